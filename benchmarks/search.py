"""Time job search at 100,000 jobs in a scratch database on the development server.

    DEBUG=1 .venv/bin/python benchmarks/search.py [--jobs 100000] [--queries 200]
        [--keep] [--reuse] [--compact] [--slowest N] [--json PATH]

It never touches the developer's database: it creates `recruitment_bench_search` next to it
(dropping a leftover first), migrates it, seeds it with `demo_seed`, gives the jobs embeddings,
runs VACUUM ANALYZE (and VACUUM FULL on jobs_job with --compact: the seed leaves dead row
versions behind), and prints p50/p95 milliseconds of `jobs.search.search_jobs` (service time,
one client, after a warm-up that loads the model) for three modes: full text, hybrid, and
filtered with facets, then a few more. It drops the database at the end unless --keep;
--reuse runs the searches against a kept one. It prints figures and asserts nothing.

The mix: common terms (each in a third or more of the open jobs: "engineer", "senior",
"remote", ...), middling and rare terms, typos and the websearch syntax (quotes, OR, -word),
drawn with repetition; a few searches ask for page 2 to 5, or for the newest or best-paid
first. Filtered searches add one to three random filters.

Embeddings: encoding 100k descriptions would take about 12 minutes on this machine, so the
benchmark encodes each distinct (title, required skills) template for real with the project's
model, and gives every job its template's vector plus small deterministic noise, normalised.
Query vectors are real encodings of the query text, and the hybrid modes clear the
per-process cache of query vectors before every search, so each pays for its encoding.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.contrib.postgres.search import SearchQuery  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks._scratch import scratch_database  # noqa: E402
from pipeline import demo  # noqa: E402

SCRATCH_DATABASE = "recruitment_bench_search"
NOISE = 0.12  # length of the per-job noise vector before normalising


def _seed(jobs: int, candidates: int) -> None:
    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    demo.demo_seed(jobs=jobs, candidates=candidates)
    print(
        f"demo_seed(jobs={jobs:,}, candidates={candidates:,}) in {time.monotonic() - started:.1f} s"
    )


def _embed_jobs() -> None:
    """Template vectors for real, plus deterministic noise per job (see the module docstring)."""
    from jobs.embeddings import embed_texts

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT j.id, j.title,
                   coalesce(string_agg(s.name, ', ' ORDER BY s.name)
                            FILTER (WHERE js.required), '')
              FROM jobs_job j
              LEFT JOIN jobs_jobskill js ON js.job_id = j.id
              LEFT JOIN jobs_skill s ON s.id = js.skill_id
             GROUP BY j.id
            """
        )
        rows = cursor.fetchall()
    templates = sorted({(title, skills) for _, title, skills in rows})
    texts = [f"{title}. Skills: {skills}" if skills else title for title, skills in templates]
    vectors = np.asarray(embed_texts(texts), dtype=np.float32)
    index = {template: k for k, template in enumerate(templates)}
    print(
        f"encoded {len(templates):,} distinct (title, required skills) templates in "
        f"{time.monotonic() - started:.1f} s; jobs get template + noise {NOISE}, normalised"
    )

    started = time.monotonic()
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    base = vectors[[index[(title, skills)] for _, title, skills in rows]]
    rng = np.random.default_rng(20261126)
    noise = rng.standard_normal(base.shape).astype(np.float32)
    noise *= NOISE / np.linalg.norm(noise, axis=1, keepdims=True)
    embedded = base + noise
    embedded /= np.linalg.norm(embedded, axis=1, keepdims=True)

    raw = connection.connection  # the psycopg connection under Django's
    with connection.cursor() as cursor:
        # The HNSW build is fast only while its graph fits in memory (about 2 kB a job);
        # beyond, it goes on disk page by page. One parallel worker beside the leader.
        cursor.execute(f"SET maintenance_work_mem = '{max(1024, len(rows) * 4 // 1024)}MB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        cursor.execute("DROP INDEX IF EXISTS jobs_job_embedding_hnsw")
        cursor.execute("CREATE TEMP TABLE bench_vectors (id bigint, embedding text)")
    with raw.cursor().copy("COPY bench_vectors (id, embedding) FROM STDIN") as copy:
        for pk, vector in zip(ids.tolist(), embedded, strict=True):
            copy.write_row((pk, "[" + ",".join(f"{x:.6f}" for x in vector) + "]"))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE jobs_job j SET embedding = v.embedding::vector FROM bench_vectors v "
            "WHERE j.id = v.id"
        )
        cursor.execute("DROP TABLE bench_vectors")
        print(f"stored {len(rows):,} job vectors in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        cursor.execute(
            "CREATE INDEX jobs_job_embedding_hnsw ON jobs_job USING hnsw "
            "(embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        print(f"rebuilt the HNSW index in {time.monotonic() - started:.1f} s")


def _prepare(*, compact: bool) -> None:
    from jobs.services import search_vocabulary_refresh

    started = time.monotonic()
    with connection.cursor() as cursor:
        if compact:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("VACUUM FULL jobs_job")
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT pg_relation_size('jobs_job') / 8192")
        (pages,) = cursor.fetchone()
    words = search_vocabulary_refresh()
    print(
        f"{'VACUUM FULL jobs_job, ' if compact else ''}VACUUM ANALYZE and vocabulary "
        f"({words:,} words) in {time.monotonic() - started:.1f} s; jobs_job heap: {pages:,} pages"
    )


# The query mix: common terms (a third or more of the jobs each), middling and rare terms,
# typos, and the websearch syntax. Drawn with repetition, as real traffic repeats.
COMMON = [
    "engineer", "senior", "remote", "python", "team", "build", "hybrid", "sql",
    "senior engineer", "python engineer", "remote engineer", "senior developer",
]  # fmt: skip
MIDDLING = [
    "react developer", "kubernetes", "data engineer", "machine learning", "product designer",
    "berlin", "django postgresql", "backend engineer", "devops", "typescript",
    "site reliability", "qa automation", "data analyst", "london", "docker aws",
]  # fmt: skip
RARE = [
    "rust", "swift ios", "head of security", "tableau", "principal go engineer", "nlp",
    "zephyr cloud", "scala spark", "power bi", "ruby", "kotlin android", "terraform azure",
    "lead product manager", "graphql", "intern",
]  # fmt: skip
TYPOS = [
    "pyhton developr", "kubernets", "enginer", "frontend develper", "machin lerning",
    "djnago", "reactt developer", "postgress", "tablaeu", "sofware engineer",
]  # fmt: skip
SYNTAX = [
    "python -django", "react OR vue", '"data engineer"', '"machine learning" -senior',
    "golang OR rust", '"site reliability" OR devops',
]  # fmt: skip
MIX = [(COMMON, "common", 35), (MIDDLING, "middling", 25), (RARE, "rare", 20),
       (TYPOS, "typo", 14), (SYNTAX, "syntax", 6)]  # fmt: skip


def _queries(count: int, seed: str) -> list[tuple[str, str, dict]]:
    """(category, query, extra search_jobs arguments) for `count` searches."""
    rng = random.Random(seed)
    pools = [pool for pool, _, _ in MIX]
    names = [name for _, name, _ in MIX]
    weights = [weight for _, _, weight in MIX]
    out = []
    for _ in range(count):
        k = rng.choices(range(len(pools)), weights=weights)[0]
        extra: dict = {}
        roll = rng.random()
        if roll < 0.08:
            extra["page"] = rng.randint(2, 5)
        elif roll < 0.14:
            extra["sort"] = "newest"
        elif roll < 0.18:
            extra["sort"] = "salary"
        out.append((names[k], rng.choice(pools[k]), extra))
    return out


def _random_filters(rng: random.Random, companies: list[str]) -> dict:
    choices = [
        lambda: {"country": [rng.choice(["DE", "US", "GB", "NL", "FR"])]},
        lambda: {"remote": [rng.choice(["remote", "hybrid", "onsite"])]},
        lambda: {"employment_type": [rng.choice(["full_time", "contract"])]},
        lambda: {"seniority": rng.sample(["junior", "mid", "senior", "lead"], k=2)},
        lambda: {"salary_min": rng.choice([50_000, 75_000, 100_000])},
        lambda: {"posted_within_days": rng.choice([7, 30])},
        lambda: {"skills": rng.choice([["python"], ["react"], ["kubernetes", "docker"]])},
        lambda: {"company": [rng.choice(companies)]},
        lambda: {"city": [rng.choice(["Berlin", "London", "New York", "Amsterdam"])]},
    ]
    filters: dict = {}
    for make in rng.sample(choices, k=rng.randint(1, 3)):
        filters.update(make())
    return filters


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[index]


SLOWEST = 0  # --slowest N: print the N slowest searches of each mode, with their steps


def _time(runs: list[tuple[str, dict]], *, cold_vectors: bool) -> list[tuple[str, float]]:
    from jobs import search

    timings = []
    slow = []
    estimated = sampled = 0
    for category, kwargs in runs:
        if cold_vectors:
            search.query_vectors_clear()  # every hybrid search encodes its query
        started = time.perf_counter()
        result = search.search_jobs(**kwargs)
        ms = (time.perf_counter() - started) * 1000
        timings.append((category, ms))
        slow.append((ms, kwargs, result.timings))
        estimated += not result.total_is_exact
        sampled += any(facet.approximate for facet in result.facets.values())
    for ms, kwargs, steps in sorted(slow, key=lambda row: -row[0])[:SLOWEST]:
        shown = {k: v for k, v in kwargs.items() if k not in ("mode", "facets")}
        print(f"      {ms:6.1f} ms {shown} {steps}")
    print(
        f"    {estimated} of {len(runs)} totals estimated from the sample, "
        f"{sampled} facet sets counted on a sample"
    )
    return timings


def _report(name: str, timings: list[tuple[str, float]]) -> dict:
    """Print the figures of one mode and return them."""
    values = [ms for _, ms in timings]
    print(
        f"{name:<38} p50 {_percentile(values, 50):6.1f} ms   p95 {_percentile(values, 95):6.1f} ms"
        f"   p99 {_percentile(values, 99):6.1f}   max {max(values):6.1f}   (n={len(values)})"
    )
    by_category: dict[str, list[float]] = {}
    for category, ms in timings:
        by_category.setdefault(category, []).append(ms)
    print(
        "    p95 by kind: "
        + ", ".join(
            f"{category} {_percentile(v, 95):.1f} (n={len(v)})"
            for category, v in by_category.items()
        )
    )
    return {
        "p50_ms": round(_percentile(values, 50), 2),
        "p95_ms": round(_percentile(values, 95), 2),
        "p99_ms": round(_percentile(values, 99), 2),
        "max_ms": round(max(values), 2),
        "n": len(values),
    }


def run(queries: int) -> dict:
    """Time the modes; return {mode: {"p50_ms", "p95_ms", "p99_ms", "max_ms", "n"}}."""
    from accounts.models import Company
    from jobs import search
    from jobs.models import Job

    open_jobs = Job.objects.filter(status=Job.Status.OPEN).count()
    print()
    print(f"{Job.objects.count():,} jobs, {open_jobs:,} open; share of open jobs matching:")
    for term in ("engineer", "senior", "remote", "python", "team", "hybrid", "sql"):
        n = Job.objects.filter(
            status=Job.Status.OPEN, search_vector=SearchQuery(term, search_type="websearch")
        ).count()
        print(f"    {term:<10} {n:7,}  ({n / open_jobs:.0%})")

    companies = list(Company.objects.values_list("slug", flat=True))
    plain = _queries(queries, "search-bench-v1")
    rng = random.Random("search-bench-filters-v1")
    filtered = [(category, q, {**extra, "filters": _random_filters(rng, companies)})
                for category, q, extra in _queries(queries, "search-bench-v1-filtered")]  # fmt: skip

    print(
        f"ranking: bounded candidates (RANK_CANDIDATES={search.RANK_CANDIDATES}, recency "
        f"window); totals counted up to COUNT_CAP={search.COUNT_CAP:,}, estimated beyond; "
        f"facets exact up to about FACET_MAX_ROWS={search.FACET_MAX_ROWS:,} rows, sampled beyond"
    )
    # Warm up: load the model, fill the buffer cache and the per-process quantiles.
    for _, q, extra in plain[:25]:
        search.search_jobs(query=q, mode="hybrid", **extra)
    search.search_jobs(query="engineer", filters={"country": ["DE"]})

    print()
    print(f"{queries} searches each, one client, service time of search_jobs (page 1 mostly):")
    figures = {}
    figures["fulltext"] = _report(
        "full text (no facets)",
        _time([(c, {"query": q, "mode": "fulltext", "facets": False, **x}) for c, q, x in plain],
              cold_vectors=False),
    )  # fmt: skip
    figures["hybrid"] = _report(
        "hybrid (no facets, query encoded cold)",
        _time([(c, {"query": q, "mode": "hybrid", "facets": False, **x}) for c, q, x in plain],
              cold_vectors=True),
    )  # fmt: skip
    figures["filtered"] = _report(
        "full text + filters + facets",
        _time([(c, {"query": q, "mode": "fulltext", "facets": True, **x})
               for c, q, x in filtered], cold_vectors=False),
    )  # fmt: skip
    print("and, beyond the three asked for:")
    figures["fulltext_facets"] = _report(
        "full text + facets (no filters)",
        _time([(c, {"query": q, "mode": "fulltext", "facets": True, **x}) for c, q, x in plain],
              cold_vectors=False),
    )  # fmt: skip
    figures["hybrid_filtered"] = _report(
        "hybrid + filters + facets (job board)",
        _time([(c, {"query": q, "mode": "hybrid", "facets": True, **x})
               for c, q, x in filtered], cold_vectors=True),
    )  # fmt: skip
    figures["browse"] = _report(
        "browse: filters + facets, no query",
        _time([(c, {"query": "", "facets": True, "filters": x["filters"]})
               for c, _, x in filtered], cold_vectors=False),
    )  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="use a kept scratch database")
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument(
        "--compact",
        action="store_true",
        help="VACUUM FULL jobs_job after seeding (the seed leaves dead row versions behind)",
    )
    parser.add_argument("--slowest", type=int, default=0, help="show the N slowest searches")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    global SLOWEST
    SLOWEST = args.slowest

    keep = args.keep or args.reuse
    with scratch_database(SCRATCH_DATABASE, create=not args.reuse, keep=keep):
        if not args.reuse:
            _seed(args.jobs, args.candidates)
            _embed_jobs()
            _prepare(compact=args.compact)
        if not args.seed_only:
            figures = run(args.queries)
            if args.json:
                args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
