"""Matching latency and recall: one candidate among 100,000 jobs, in a scratch database.

    DEBUG=1 .venv/bin/python benchmarks/_matching.py [--jobs 100000] [--queries 50] [--keep]
        [--reuse] [--json PATH]

`measure()` seeds `recruitment_bench_matching` next to the development database with the search
benchmark's helpers (`demo_seed`, template vectors plus noise for every job, the HNSW index
rebuilt, VACUUM ANALYZE), stores every job's matching features as the enrich stage would, and
enriches `queries` demo candidates for real (features and model vectors). It then times
two things per candidate, after a warm-up, one candidate after another as a serving process
would, with DEBUG off: the nearest-job search alone (the MATCH_SHORTLIST nearest, from the in-memory copy of the
open jobs' vectors, or with MATCH_MEMORY_SEARCH=false through the HNSW index), whose 20 nearest
it compares with an exact scan's (`nearest_recall_at_20`), and the whole of
`matches_for_candidate` (that search, the jobs' features, the re-rank and the explanations),
whose top 20 it compares with the same re-rank over the exact shortlist (a sequential scan in
cosine order): `recall_at_20`. The exact searches run after the timed ones. It prints figures
and asserts nothing; `make bench` skips this helper module, `benchmarks/pipeline.py` calls
`measure()`.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks import search  # noqa: E402
from benchmarks._scratch import scratch_database  # noqa: E402
from benchmarks.search import _embed_jobs, _prepare, _seed  # noqa: E402

SCRATCH_DATABASE = "recruitment_bench_matching"
# The search benchmark gives each job its (title, skills) template's vector plus noise of length
# 0.12: jobs of one template are then 0.99 alike, far more than any two real postings (in the
# matching dev set, postings of one role family are 0.45-0.70 alike by the same model). For
# matching that turns the shortlist's edge into hundreds of ties, so this benchmark spreads them
# as real postings are: noise of length 0.6 makes jobs of one template about 0.74 alike.
NOISE = 0.6
TOP = 20
FEATURE_BATCH = 2_000


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _store_job_features() -> float:
    """JobEnrichment rows for every job, as `jobs_enrich` stores them (features only: the
    seed's fields need no filling). Return seconds."""
    from jobs.models import Job
    from pipeline.matching.selectors import job_features_of
    from pipeline.models import JobEnrichment

    started = time.monotonic()
    now = timezone.now()
    batch: list[JobEnrichment] = []
    jobs = Job.objects.select_related("company").prefetch_related("job_skills__skill")
    jobs = jobs.order_by("pk")
    for job in jobs.iterator(chunk_size=FEATURE_BATCH):
        batch.append(
            JobEnrichment(
                job_id=job.pk,
                text_hash="benchmark",
                features=job_features_of(job, skills=job.job_skills.all()),
                enriched_at=now,
            )
        )
        if len(batch) >= FEATURE_BATCH:
            JobEnrichment.objects.bulk_create(batch)
            batch = []
    JobEnrichment.objects.bulk_create(batch)
    return time.monotonic() - started


def _query_profiles(queries: int) -> list:
    """`queries` demo candidates, enriched and embedded for real."""
    from accounts.models import CandidateProfile
    from pipeline.enrich import profiles_enrich

    ids = list(CandidateProfile.objects.order_by("pk").values_list("pk", flat=True)[:queries])
    profiles_enrich(profiles=CandidateProfile.objects.filter(pk__in=ids))
    return list(CandidateProfile.objects.filter(pk__in=ids).order_by("pk"))


def measure(jobs: int = 100_000, queries: int = 50, *, keep: bool = False,
            reuse: bool = False) -> dict:  # fmt: skip
    """Seed (unless `reuse`), then time matching `queries` candidates among `jobs` jobs.

    Return p50/p95 milliseconds of `matches_for_candidate`, recall@20 against exact search,
    and the figures around them.
    """
    from jobs.models import Job
    from pipeline.matching import matches_for_candidate
    from pipeline.matching.selectors import jobs_nearest
    from pipeline.matching.vectors import jobs_nearest_in_memory, open_job_vectors_load

    shortlist = settings.MATCH_SHORTLIST

    with scratch_database(SCRATCH_DATABASE, create=not reuse, keep=keep or reuse):
        if not reuse:
            _seed(jobs, queries)
            search.NOISE = NOISE
            _embed_jobs()
            print(f"stored job features in {_store_job_features():.1f} s", flush=True)
            _prepare(compact=False)
        profiles = _query_profiles(queries)
        # A serving process runs with DEBUG off: no SQL kept per query (make bench sets DEBUG
        # for its seeding), which cost 1-2 ms of a match's three queries.
        settings.DEBUG = False
        open_jobs = Job.objects.filter(status=Job.Status.OPEN).count()
        loaded = distinct = None
        if settings.MATCH_MEMORY_SEARCH:  # as a worker's background thread makes it
            started = time.perf_counter()
            copy = open_job_vectors_load()
            loaded = (time.perf_counter() - started, copy.matrix.nbytes / 1e6)
            print(f"open job vectors in memory: {len(copy.ids):,} in {loaded[0]:.1f} s, "
                  f"{loaded[1]:.0f} MB", flush=True)  # fmt: skip
            # How much the ranking can share: a part repeated among jobs is scored once a
            # candidate (the seed's jobs come from templates, so they repeat more than real
            # postings; a job whose parts are all new costs what pair_score costs).
            distinct = {name: len(values) for name, values in copy.parts.items()}
            print(f"distinct parts among them: {distinct}", flush=True)
        for profile in profiles[:5]:  # warm up: caches, the lexicon, the connection
            matches_for_candidate(profile=profile, limit=TOP)
        # As recruitment/wsgi.py does in a serving process: what start-up made (here with the
        # copy of the vectors and the caches) out of the garbage collector's sight.
        gc.freeze()
        # As a process serving candidates one after another: the exact searches, which
        # read every row (and flush the CPU's caches), come after.
        timings, shortlist_timings, found, nearest = [], [], {}, {}
        for profile in profiles:
            started = time.perf_counter()
            nearest[profile.pk] = jobs_nearest_in_memory(profile.embedding, limit=shortlist)
            if nearest[profile.pk] is None:  # no copy (MATCH_MEMORY_SEARCH=false): the index
                nearest[profile.pk] = jobs_nearest(profile.embedding, limit=shortlist)
            shortlist_timings.append((time.perf_counter() - started) * 1000)
        for profile in profiles:
            started = time.perf_counter()
            found[profile.pk] = matches_for_candidate(profile=profile, limit=TOP)
            timings.append((time.perf_counter() - started) * 1000)
        exact_timings, recalls, shortlist_recalls = [], [], []
        for profile in profiles:
            started = time.perf_counter()
            exact = matches_for_candidate(profile=profile, limit=TOP, exact=True)
            exact_timings.append((time.perf_counter() - started) * 1000)
            if exact:
                wanted = {r.job_id for r in exact}
                got = {r.job_id for r in found[profile.pk]}
                recalls.append(len(wanted & got) / len(wanted))
            exact_nearest = {pk for pk, _ in jobs_nearest(profile.embedding, limit=TOP, exact=True)}
            if exact_nearest:
                got = {pk for pk, _ in nearest[profile.pk][:TOP]}
                shortlist_recalls.append(len(exact_nearest & got) / len(exact_nearest))
    return {
        "jobs": jobs,
        "open_jobs": open_jobs,
        "queries": len(timings),
        "shortlist": settings.MATCH_SHORTLIST,
        "search": "in memory, two passes" if loaded else "HNSW index",
        "memory_copy_s": round(loaded[0], 1) if loaded else None,
        "memory_copy_mb": round(loaded[1]) if loaded else None,
        "distinct_parts": distinct if loaded else None,
        "ef_search": settings.MATCH_EF_SEARCH,
        "nearest_p50_ms": round(_percentile(shortlist_timings, 50), 2),
        "nearest_p95_ms": round(_percentile(shortlist_timings, 95), 2),
        "nearest_recall_at_20": _mean(shortlist_recalls),
        "p50_ms": round(_percentile(timings, 50), 2),
        "p95_ms": round(_percentile(timings, 95), 2),
        "max_ms": round(max(timings), 2),
        "exact_p50_ms": round(_percentile(exact_timings, 50), 2),
        "exact_p95_ms": round(_percentile(exact_timings, 95), 2),
        "recall_at_20": _mean(recalls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="use a kept scratch database")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures = measure(args.jobs, args.queries, keep=args.keep, reuse=args.reuse)
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    print("targets: p95 <= 20 ms, recall@20 >= 0.95")


if __name__ == "__main__":
    main()
