"""Embedding throughput: the pipeline (jobs_embed, profiles_embed) against raw `model.encode`.

    DEBUG=1 .venv/bin/python benchmarks/_embedding.py [--texts 2000] [--rounds 3] [--json PATH]

Seeds half the texts as jobs and half as candidate profiles (seed_demo) in a scratch database
beside the development one, embeds them through the pipeline's services, then feeds the same
texts straight to the model, in alternating order for `rounds` rounds. Reports texts per second
of both and their ratio (the pipeline's overhead: reading rows, hashing, writing vectors), the
pipeline's time per text split into the model, the vector writes and the rest, and what the
HNSW indexes cost the writes (the same vectors written with and without them). Also texts per
second at 64, 128 and 256 tokens. The model is loaded before any clock starts. Prints figures,
asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from benchmarks._scratch import scratch_database  # noqa: E402

SCRATCH_DATABASE = "recruitment_bench_embedding"
TOKEN_SAMPLE = 500  # texts timed at each token limit


def _encode_rate(model, texts: list[str]) -> float:
    started = time.perf_counter()
    model.encode(
        texts,
        batch_size=settings.EMBEDDING_BATCH_SIZE,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return len(texts) / (time.perf_counter() - started)


class _Clock:
    """Seconds spent in the pipeline's model calls and vector writes, by wrapping the names
    the two services call (the rest of a service's time is reading rows, texts and hashes)."""

    def __init__(self) -> None:
        self.seconds = {"encode": 0.0, "store": 0.0}

    def wrap(self, name: str, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        import jobs.services
        import pipeline.embedding

        modules = (jobs.services, pipeline.embedding)
        originals = [(module.embed_array, module.vectors_store) for module in modules]
        for module in modules:
            module.embed_array = self.wrap("encode", module.embed_array)
            module.vectors_store = self.wrap("store", module.vectors_store)
        try:
            yield
        finally:
            for module, (embed, store) in zip(modules, originals, strict=True):
                module.embed_array, module.vectors_store = embed, store


def _forget_vectors() -> None:
    """Every job and profile without a vector, and no dead row versions left in their tables
    or HNSW indexes, so that each round writes into the same state."""
    from django.db import connection

    from accounts.models import CandidateProfile
    from jobs.models import Job

    Job.objects.update(embedding=None, content_hash="")
    CandidateProfile.objects.update(embedding=None, content_hash="")
    with connection.cursor() as cursor:
        for model in (Job, CandidateProfile):
            cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")


def _store_seconds(rows: dict) -> float:
    """Seconds to write these (pk, vector, hash) rows per model, in the pipeline's chunks."""
    from jobs.embeddings import vectors_store

    _forget_vectors()
    started = time.perf_counter()
    for model, model_rows in rows.items():
        for start in range(0, len(model_rows), settings.EMBEDDING_CHUNK_SIZE):
            vectors_store(model, model_rows[start : start + settings.EMBEDDING_CHUNK_SIZE])
    return time.perf_counter() - started


def measure(texts: int = 2000, rounds: int = 3) -> dict:
    """Seed `texts` jobs and profiles, embed them both ways `rounds` times, and return the
    figures."""
    import numpy as np
    from django.db import connection

    from accounts.models import CandidateProfile
    from jobs.embeddings import get_model
    from jobs.models import Job, Skill
    from jobs.services import job_embedding_text, jobs_embed
    from pipeline.embedding import profile_embedding_text, profiles_embed

    with scratch_database(SCRATCH_DATABASE):
        call_command("migrate", verbosity=0, interactive=False)
        call_command(
            "seed_demo", jobs=texts // 2, candidates=texts - texts // 2, stdout=io.StringIO()
        )
        model = get_model()
        model.max_seq_length = settings.EMBEDDING_MAX_TOKENS

        names = dict(Skill.objects.values_list("slug", "name"))
        job_texts = [
            job_embedding_text(job) for job in Job.objects.prefetch_related("job_skills__skill")
        ]
        profile_texts = [
            profile_embedding_text(profile, skill_names=names)
            for profile in CandidateProfile.objects.all()
        ]
        all_texts = job_texts + profile_texts
        _encode_rate(model, all_texts[:: max(1, len(all_texts) // 128)])  # warm up
        clock = _Clock()

        # Rounds of each service and the model alone on the same texts, back to back, the
        # pipeline first in one round and the model first in the next: the machine's speed
        # drifts, and this makes both meet the drift alike.
        pipeline_seconds = raw_seconds = 0.0
        embedded = 0
        ratios = []

        def pipeline_part() -> tuple[int, float]:
            with clock.installed():
                started = time.perf_counter()
                done = jobs_embed(jobs=Job.objects.all())
                done += profiles_embed(profiles=CandidateProfile.objects.all())
                return done, time.perf_counter() - started

        def raw_part() -> float:
            started = time.perf_counter()
            _encode_rate(model, job_texts)
            _encode_rate(model, profile_texts)
            return time.perf_counter() - started

        for round_number in range(rounds):
            _forget_vectors()
            seconds = {}
            if round_number % 2:
                seconds["raw"] = raw_part()
                done, seconds["pipeline"] = pipeline_part()
            else:
                done, seconds["pipeline"] = pipeline_part()
                seconds["raw"] = raw_part()
            embedded += done
            pipeline_seconds += seconds["pipeline"]
            raw_seconds += seconds["raw"]
            ratios.append((done / seconds["pipeline"]) / (len(all_texts) / seconds["raw"]))

        started = time.perf_counter()
        unchanged = jobs_embed(jobs=Job.objects.all())
        unchanged += profiles_embed(profiles=CandidateProfile.objects.all())
        unchanged_seconds = time.perf_counter() - started

        # What the HNSW indexes cost the writes: the same vectors written with and without
        # them (dropped in this scratch database only).
        stored = {
            model: [
                (pk, np.asarray(vector, dtype=np.float32), digest)
                for pk, vector, digest in model.objects.values_list(
                    "pk", "embedding", "content_hash"
                )
            ]
            for model in (Job, CandidateProfile)
        }
        store_indexed = _store_seconds(stored)
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX jobs_job_embedding_hnsw, accounts_profile_embedding_hnsw")
        store_bare = _store_seconds(stored)

        tokenizer = model.tokenizer
        lengths = [len(ids) for ids in tokenizer(all_texts)["input_ids"]]
        sample = all_texts[:: max(1, len(all_texts) // TOKEN_SAMPLE)][:TOKEN_SAMPLE]
        by_tokens = {}
        for tokens in (64, 128, 256):
            model.max_seq_length = tokens
            by_tokens[tokens] = round(_encode_rate(model, sample), 1)
        model.max_seq_length = settings.EMBEDDING_MAX_TOKENS

    pipeline_rate = embedded / pipeline_seconds
    raw_rate = rounds * len(all_texts) / raw_seconds
    per_text_ms = 1000 / embedded
    encode = clock.seconds["encode"]
    store = clock.seconds["store"]
    return {
        "texts": len(all_texts),
        "rounds": rounds,
        "embedded": embedded,
        "max_tokens": settings.EMBEDDING_MAX_TOKENS,
        "mean_tokens": round(sum(lengths) / len(lengths), 1),
        "pipeline_texts_per_s": round(pipeline_rate, 1),
        "raw_encode_texts_per_s": round(raw_rate, 1),
        "pipeline_vs_raw": round(pipeline_rate / raw_rate, 3),
        "pipeline_vs_raw_by_round": [round(ratio, 3) for ratio in ratios],
        "pipeline_encode_ms_per_text": round(encode * per_text_ms, 2),
        "pipeline_store_ms_per_text": round(store * per_text_ms, 3),
        "pipeline_rest_ms_per_text": round((pipeline_seconds - encode - store) * per_text_ms, 3),
        "store_ms_per_vector_with_hnsw": round(store_indexed * 1000 / len(all_texts), 3),
        "store_ms_per_vector_without_hnsw": round(store_bare * 1000 / len(all_texts), 3),
        "unchanged_rerun_seconds": round(unchanged_seconds, 2),
        "unchanged_rerun_embedded": unchanged,
        "texts_per_s_at_64_tokens": by_tokens[64],
        "texts_per_s_at_128_tokens": by_tokens[128],
        "texts_per_s_at_256_tokens": by_tokens[256],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="pipeline and raw runs each")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    import torch

    print(f"torch threads: {torch.get_num_threads()}", flush=True)
    figures = measure(args.texts, args.rounds)
    for key, value in figures.items():
        print(f"{key:28} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
