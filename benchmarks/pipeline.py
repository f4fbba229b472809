"""The pipeline's figures: embedding throughput, crawl speed, matching latency, a nightly run.

    DEBUG=1 .venv/bin/python benchmarks/pipeline.py [--postings 10000] [--candidates 10000]
        [--existing-jobs N] [--only embedding,crawl,matching,nightly] [--json PATH]

Each part uses its own scratch database beside the development one (never the developer's data)
and prints figures against the targets of issue 4; nothing here asserts on time.

- embedding: the pipeline's texts/s against raw `model.encode` on the same texts (≥ 90%);
- crawl: pages/s from a local server;
- matching: one candidate among 100k jobs, p50/p95 ms (≤ 20 ms) and recall@20 against exact
  search (≥ 0.95);
- nightly: the wall time of the whole chain (scrape, enrich, match, send) on N postings served
  by local Greenhouse-style boards and M candidates (≤ 15 min for 10k + 10k), per stage, and
  the peak RSS of this process during the run (it runs the chain as a worker does; ≤ 1.5 GB),
  which also holds the local boards' JSON, and of its crawl child processes. With
  --existing-jobs N the database first holds N demo jobs as an earlier nightly run leaves them
  (vectors, matching features, the HNSW index, VACUUM ANALYZE), so that the run shows how its
  cost grows with the jobs already stored: the crawl checks each new posting against every
  open job, and each candidate is matched among all of them.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import resource
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks._scratch import scratch_database  # noqa: E402
from jobs.models import Job  # noqa: E402
from pipeline import demo  # noqa: E402
from pipeline.models import Match, PipelineRun, Source  # noqa: E402
from pipeline.orchestration import pipeline_execute  # noqa: E402

SCRATCH_DATABASE = "recruitment_bench_pipeline"
PARTS = ("embedding", "crawl", "matching", "nightly")
POSTINGS_PER_BOARD = 500


def _greenhouse_job(number: int, world) -> dict:
    """One demo job plan as the Greenhouse Job Board API returns it."""
    plan = demo._plan_job(number, world)
    job = plan.job
    where = ", ".join(part for part in (job.city, job.country) if part) or "Remote"
    if job.remote == "remote" and job.city:
        where += " (Remote)"
    return {
        "id": 4_000_000 + number,
        "internal_job_id": 9_000_000 + number,
        "title": job.title,
        "updated_at": timezone.now().isoformat(),
        "requisition_id": f"R-{number}",
        "location": {"name": where},
        "absolute_url": f"https://boards.example.com/jobs/{4_000_000 + number}",
        "language": "en",
        "metadata": None,
        # The Job Board API sends the description as entity-escaped HTML.
        "content": html.escape(job.description_html),
        "departments": [{"id": 1, "name": job.company.name, "child_ids": [], "parent_id": None}],
        "offices": [
            {"id": 1, "name": where, "location": where, "child_ids": [], "parent_id": None}
        ],
    }


class _Boards(BaseHTTPRequestHandler):
    boards: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            body, status = b"User-agent: *\nAllow: /\n", 200
        else:
            board = path.rstrip("/").split("/")[-2] if path.endswith("/jobs") else ""
            body = self.boards.get(board)
            status = 200 if body is not None else 404
            body = body or b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve_boards(postings: int, *, first: int = 1) -> tuple[ThreadingHTTPServer, list[str]]:
    """Serve `postings` demo job plans, numbered from `first` (after the jobs already seeded,
    so that the boards post new jobs), as local Greenhouse boards."""
    world = demo._seed_world(now=timezone.now())
    boards: dict[str, bytes] = {}
    jobs = [_greenhouse_job(number, world) for number in range(first, first + postings)]
    for start in range(0, postings, POSTINGS_PER_BOARD):
        chunk = jobs[start : start + POSTINGS_PER_BOARD]
        name = f"bench{start // POSTINGS_PER_BOARD:03d}"
        boards[name] = json.dumps({"jobs": chunk, "meta": {"total": len(chunk)}}).encode()
    _Boards.boards = boards
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Boards)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, sorted(boards)


def _peak_rss_reset() -> None:
    """Start this process's peak RSS (VmHWM) afresh, where Linux allows it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # then the peak counts from the process's start


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _existing_jobs_ready() -> None:
    """Give the seeded jobs what an earlier nightly run leaves them: vectors (the matching
    benchmark's template vectors plus noise, as encoding them all would take hours), matching
    features and the HNSW index; then VACUUM ANALYZE."""
    from benchmarks import _matching, search

    search.NOISE = _matching.NOISE
    search._embed_jobs()
    print(f"  stored job features in {_matching._store_job_features():.1f} s", flush=True)
    search._prepare(compact=False)


def nightly(*, postings: int, candidates: int, existing_jobs: int = 0) -> dict:
    with scratch_database(SCRATCH_DATABASE):
        call_command("migrate", verbosity=0, interactive=False)
        started = time.monotonic()
        call_command("load_skills", verbosity=0)
        demo.demo_seed(jobs=existing_jobs, candidates=candidates)
        if existing_jobs:
            _existing_jobs_ready()
        # The demo's own sources point at the demo boards of `make run`: leave them out.
        Source.objects.update(is_active=False)
        open_before = Job.objects.filter(status=Job.Status.OPEN).count()
        server, boards = _serve_boards(postings, first=existing_jobs + 1)
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        for board in boards:
            Source.objects.create(
                name=f"Bench board {board}",
                kind=Source.Kind.GREENHOUSE,
                config={"board": board, "base_url": base_url},
                schedule=Source.Schedule.DAILY,
            )
        setup_seconds = time.monotonic() - started
        print(
            f"  set up {candidates} candidates, {existing_jobs} jobs ({open_before} open) and "
            f"{len(boards)} boards of up to {POSTINGS_PER_BOARD} postings in "
            f"{setup_seconds:.1f} s",
            flush=True,
        )
        _peak_rss_reset()
        started = time.monotonic()
        run = pipeline_execute(kind=PipelineRun.Kind.NIGHTLY)
        seconds = time.monotonic() - started
        peak_mb = _peak_rss_mb()
        stages = {
            child.kind: {
                "status": child.status,
                "seconds": round(child.duration.total_seconds(), 1) if child.duration else None,
                "counts": child.stats.get("counts", {}),
            }
            for child in run.children.order_by("pk")
        }
        matches = Match.objects.count()
        server.shutdown()
    return {
        "status": run.status,
        "error": run.error,
        "seconds": round(seconds, 1),
        "stages": stages,
        "matches": matches,
        "postings": postings,
        "candidates": candidates,
        "existing_jobs": existing_jobs,
        "open_jobs_before": open_before,
        "setup_seconds": round(setup_seconds, 1),
        "peak_rss_mb": round(peak_mb),
        # Linux reports ru_maxrss in kilobytes: the largest crawl child's peak.
        "crawl_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--existing-jobs", type=int, default=0,
                        help="demo jobs stored before the nightly run (scaling by jobs)")  # fmt: skip
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown parts {unknown}; choose from {', '.join(PARTS)}")
    results: dict = {}

    if "embedding" in parts:
        from benchmarks._embedding import measure as embedding_measure

        print("embedding throughput ...", flush=True)
        figures = results["embedding"] = embedding_measure()
        print(f"  {json.dumps(figures)}")
    if "crawl" in parts:
        from benchmarks._crawl import measure as crawl_measure

        print("crawl speed ...", flush=True)
        figures = results["crawl"] = crawl_measure()
        print(
            f"  {figures['pages']} pages in {figures['seconds']:.1f} s = "
            f"{figures['pages_per_s']:.1f} pages/s"
        )
    if "matching" in parts:
        from benchmarks._matching import measure as matching_measure

        print("matching latency, one candidate among 100k jobs ...", flush=True)
        figures = results["matching"] = matching_measure()
        print(f"  {json.dumps(figures)}  (targets: p95 ≤ 20 ms, recall@20 ≥ 0.95)")
    if "nightly" in parts:
        print(
            f"nightly run on {args.postings} postings and {args.candidates} candidates, "
            f"{args.existing_jobs} jobs stored before ...",
            flush=True,
        )
        figures = results["nightly"] = nightly(
            postings=args.postings, candidates=args.candidates, existing_jobs=args.existing_jobs
        )
        for kind, stage in figures["stages"].items():
            counts = ", ".join(f"{k}={v}" for k, v in sorted(stage["counts"].items()))
            print(f"  {kind:7} {stage['status']:10} {stage['seconds']:>7} s  {counts}")
        print(
            f"  nightly {figures['status']} in {figures['seconds']:.1f} s "
            f"({figures['seconds'] / 60:.1f} min; target ≤ 15 min), "
            f"{figures['matches']} matches"
        )
        print(
            f"  peak RSS during the run: {figures['peak_rss_mb']} MB (target ≤ 1.5 GB), "
            f"crawl child {figures['crawl_peak_rss_mb']} MB"
        )
        if figures["error"]:
            print(f"  error: {figures['error']}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:.0f} MB")
    results["peak_rss_mb"] = round(peak_mb)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
