"""Embedding throughput: the pipeline (jobs_embed, profiles_embed) against raw `model.encode`.

    DEBUG=1 .venv/bin/python benchmarks/_embedding.py [--texts 2000] [--json PATH]

Seeds half the texts as jobs and half as candidate profiles (seed_demo) in a scratch database
beside the development one, embeds them through the pipeline's services, then feeds the same
texts straight to the model, and reports texts per second of both and their ratio (the
pipeline's overhead: reading rows, hashing, writing vectors). Also texts per second at 64, 128
and 256 tokens. The model is loaded before any clock starts. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
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


def measure(texts: int = 2000) -> dict:
    """Seed `texts` jobs and profiles, embed them both ways, and return the figures."""
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
        Job.objects.update(embedding=None, content_hash="")
        CandidateProfile.objects.update(embedding=None, content_hash="")
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

        # Each service, then the model alone on the same texts, back to back, so that a busy
        # machine slows both alike.
        seconds = {}
        started = time.perf_counter()
        embedded = jobs_embed(jobs=Job.objects.all())
        seconds["jobs_embed"] = time.perf_counter() - started
        started = time.perf_counter()
        _encode_rate(model, job_texts)
        seconds["jobs_raw"] = time.perf_counter() - started
        started = time.perf_counter()
        embedded += profiles_embed(profiles=CandidateProfile.objects.all())
        seconds["profiles_embed"] = time.perf_counter() - started
        started = time.perf_counter()
        _encode_rate(model, profile_texts)
        seconds["profiles_raw"] = time.perf_counter() - started
        pipeline_seconds = seconds["jobs_embed"] + seconds["profiles_embed"]
        raw_seconds = seconds["jobs_raw"] + seconds["profiles_raw"]

        started = time.perf_counter()
        unchanged = jobs_embed(jobs=Job.objects.all())
        unchanged += profiles_embed(profiles=CandidateProfile.objects.all())
        unchanged_seconds = time.perf_counter() - started

        tokenizer = model.tokenizer
        lengths = [len(ids) for ids in tokenizer(all_texts)["input_ids"]]
        sample = all_texts[:: max(1, len(all_texts) // TOKEN_SAMPLE)][:TOKEN_SAMPLE]
        by_tokens = {}
        for tokens in (64, 128, 256):
            model.max_seq_length = tokens
            by_tokens[tokens] = round(_encode_rate(model, sample), 1)
        model.max_seq_length = settings.EMBEDDING_MAX_TOKENS

    pipeline_rate = embedded / pipeline_seconds
    raw_rate = len(all_texts) / raw_seconds
    return {
        "texts": len(all_texts),
        "embedded": embedded,
        "max_tokens": settings.EMBEDDING_MAX_TOKENS,
        "mean_tokens": round(sum(lengths) / len(lengths), 1),
        "pipeline_texts_per_s": round(pipeline_rate, 1),
        "raw_encode_texts_per_s": round(raw_rate, 1),
        "pipeline_vs_raw": round(pipeline_rate / raw_rate, 3),
        "jobs_embed_texts_per_s": round(len(job_texts) / seconds["jobs_embed"], 1),
        "jobs_raw_texts_per_s": round(len(job_texts) / seconds["jobs_raw"], 1),
        "profiles_embed_texts_per_s": round(len(profile_texts) / seconds["profiles_embed"], 1),
        "profiles_raw_texts_per_s": round(len(profile_texts) / seconds["profiles_raw"], 1),
        "unchanged_rerun_seconds": round(unchanged_seconds, 2),
        "unchanged_rerun_embedded": unchanged,
        "texts_per_s_at_64_tokens": by_tokens[64],
        "texts_per_s_at_128_tokens": by_tokens[128],
        "texts_per_s_at_256_tokens": by_tokens[256],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    import torch

    print(f"torch threads: {torch.get_num_threads()}", flush=True)
    figures = measure(args.texts)
    for key, value in figures.items():
        print(f"{key:28} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
