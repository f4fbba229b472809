import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs import embeddings
from jobs.models import Job
from jobs.tests.factories import JobFactory

ROOT = Path(__file__).resolve().parents[2]


def test_vectors_are_unit_length_384_dimensional_and_semantic():
    ml, ml_short, chef = (
        np.array(v)
        for v in embeddings.embed_texts(["machine learning engineer", "ML engineer", "pastry chef"])
    )
    assert ml.shape == (384,)
    assert abs(np.linalg.norm(ml) - 1) < 1e-5
    assert ml @ ml_short > ml @ chef + 0.2
    assert embeddings.is_loaded()
    assert embeddings.embed_texts([]) == []
    assert embeddings.embed_query("ML engineer") == ml_short.tolist()


def test_text_hash_changes_with_the_text():
    assert embeddings.text_hash("a") == embeddings.text_hash("a")
    assert embeddings.text_hash("a") != embeddings.text_hash("b")


def test_the_project_imports_without_loading_torch():
    script = (
        "import sys, django; django.setup()\n"
        "import recruitment.urls, jobs.embeddings, jobs.selectors\n"
        "from django.test import Client\n"
        "Client().get('/')\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    env = {
        **os.environ,
        "DEBUG": "true",
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "recruitment.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_text_hash_names_the_model_and_its_token_limit(settings):
    settings.EMBEDDING_MAX_TOKENS = 128
    before = embeddings.text_hash("a")
    assert embeddings.model_signature() == "all-MiniLM-L6-v2@128"

    settings.EMBEDDING_MAX_TOKENS = 256
    assert embeddings.text_hash("a") != before
    assert embeddings.model_signature() == "all-MiniLM-L6-v2@256"

    settings.EMBEDDING_MAX_TOKENS = 128
    assert embeddings.text_hash("a") == before


def test_embed_texts_reads_at_most_the_configured_tokens(settings):
    start = "Senior data engineer building batch pipelines with Spark and Airflow"
    texts = [f"{start}. Also a keen baker.", f"{start}. Remote from Lisbon, Portugal."]

    settings.EMBEDDING_MAX_TOKENS = 8
    short = np.array(embeddings.embed_texts(texts))
    assert embeddings.get_model().max_seq_length == 8
    assert short[0] @ short[1] > 0.9999  # the first 8 tokens (with [CLS] and [SEP]) only

    settings.EMBEDDING_MAX_TOKENS = 256
    full = np.array(embeddings.embed_texts(texts))
    assert full[0] @ full[1] < 0.98


@pytest.mark.django_db
def test_vectors_store_writes_each_rows_vector_and_hash_in_binary_whatever_the_rows():
    first, second = JobFactory(), JobFactory()
    one = [1.0] + [0.0] * 383
    two = np.array([0.0, -0.5] + [0.1] * 382, dtype=np.float32)
    with CaptureQueriesContext(connection) as queries:
        embeddings.vectors_store(Job, [(first.pk, one, "a" * 64), (second.pk, two, "b" * 64)])
    first.refresh_from_db()
    second.refresh_from_db()
    assert list(first.embedding) == one and first.content_hash == "a" * 64
    assert (
        np.array_equal(np.asarray(second.embedding, dtype=np.float32), two)
        and second.content_hash == "b" * 64
    )

    # The same statements for 40 rows as for 2, and a second call in the same transaction
    # finds the rows of the first gone.
    jobs = JobFactory.create_batch(40)
    rows = [(job.pk, [float(i)] + [0.5] * 383, f"{i:064x}") for i, job in enumerate(jobs)]
    with CaptureQueriesContext(connection) as more:
        embeddings.vectors_store(Job, rows)
    assert len(more.captured_queries) == len(queries.captured_queries)
    stored = dict(
        Job.objects.filter(pk__in=[job.pk for job in jobs]).values_list("pk", "embedding")
    )
    assert {pk: vector[0] for pk, vector in stored.items()} == {
        job.pk: float(i) for i, job in enumerate(jobs)
    }
    first.refresh_from_db()
    assert list(first.embedding) == one

    with CaptureQueriesContext(connection) as none:
        embeddings.vectors_store(Job, [])  # nothing to write is no statement and no error
    assert none.captured_queries == []


@pytest.mark.django_db
def test_vectors_store_refuses_a_vector_of_the_wrong_size_or_a_foreign_hash_and_writes_nothing():
    job = JobFactory()
    with pytest.raises(ValueError, match="384-dimensional"):
        embeddings.vectors_store(Job, [(job.pk, [1.0] * 3, "a" * 64)])
    with pytest.raises(ValueError, match="text_hash"):
        embeddings.vectors_store(Job, [(job.pk, [1.0] * 384, "short")])
    job.refresh_from_db()
    assert job.embedding is None and job.content_hash == ""
