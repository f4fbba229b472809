"""Memory of a web worker: the RSS of gunicorn workers serving the job board and job pages with
100k jobs and no semantic search.

    DEBUG=1 .venv/bin/python benchmarks/memory.py [--jobs 100000] [--applications 100000]
        [--requests 400] [--keep] [--reuse] [--json PATH]

It seeds `recruitment_bench_memory` beside the development database the way benchmarks/api.py
does, without embeddings: the board then searches by full text and a job page's similar jobs
are the newest open ones, so nothing asks for the model (the embedding model loads only on the
first semantic search of a process, `jobs/embeddings.py`). It collects the static files' manifest
into a temporary directory, as a deployment has (about a minute), and serves the project with
gunicorn (2 sync workers, `recruitment.settings`, DEBUG off). It reads each worker's memory after
start-up (the floor), asks --requests pages over HTTP (the board with words, filters and both
orders, each URL once, and job pages, in turn), then reads it again: RSS and peak RSS (VmRSS,
VmHWM of /proc/<pid>/status), USS (the pages no other process shares), and whether torch is
mapped into the worker (the model loaded). The target: at most 200 MB of RSS a worker, with the
model not loaded. It prints figures and asserts nothing. The database is dropped at the end
unless --keep; --reuse serves a kept one.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from benchmarks._scratch import scratch_database  # noqa: E402
from benchmarks.api import _get, _seed, _serve  # noqa: E402  (sets Django up)
from benchmarks.pages import _board_urls, _job_urls  # noqa: E402

SCRATCH_DATABASE = "recruitment_bench_memory"
RSS_TARGET_MB = 200


def _status_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, and its USS (the pages no other process shares), in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    values["USS"] = round(psutil.Process(pid).memory_full_info().uss / 2**20, 1)
    return values


def _collectstatic(root: str) -> None:
    """The manifest of static files that templates need with DEBUG off, as a deployment has."""
    started = time.monotonic()
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(64),
           "ALLOWED_HOSTS": "127.0.0.1", "STATIC_ROOT": root}  # fmt: skip
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput",
                    "-v", "0"], env=env, cwd=ROOT, check=True)  # fmt: skip
    print(f"collectstatic in {time.monotonic() - started:.1f} s", flush=True)


def _model_loaded(pid: int) -> bool:
    """Whether torch's library is mapped into the process: the model needs it."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return "libtorch" in maps or "/torch/" in maps


def _workers(master_pid: int) -> list[int]:
    return sorted(child.pid for child in psutil.Process(master_pid).children())


def run(*, requests: int) -> dict:
    """Serve, ask the pages, and return the workers' figures."""
    from jobs.models import Job

    if Job.objects.filter(embedding__isnull=False).exists():  # a database kept from elsewhere:
        Job.objects.update(embedding=None)  # leave semantic search no vectors to use
    half = requests // 2
    urls = [url for pair in zip(_board_urls(half), _job_urls(requests - half, skip=100),
                                strict=False) for url in pair]  # fmt: skip
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    try:
        _collectstatic(static_root)
        return _serve_and_measure(urls, static_root)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)


def _serve_and_measure(urls: list[str], static_root: str) -> dict:
    server = _serve(DJANGO_SETTINGS_MODULE="recruitment.settings", STATIC_ROOT=static_root)
    try:
        for _ in range(20):  # both workers up: each imports the project after the fork
            _get(server.port, "/health/live")
        time.sleep(1)
        workers = _workers(server.process.pid)
        started = {pid: _status_mb(pid) for pid in workers}
        rss = ", ".join(f"{figures['VmRSS']:.0f} MB" for figures in started.values())
        print(f"gunicorn workers {workers}; RSS after start-up: {rss}", flush=True)
        failed = 0
        began = time.monotonic()
        for url in urls:
            status, _ = _get(server.port, url)
            failed += status != 200
        seconds = time.monotonic() - began
        served = {pid: _status_mb(pid) for pid in _workers(server.process.pid)}
        loaded = {pid: _model_loaded(pid) for pid in served}
    finally:
        server.stop()
    rss = max(figures["VmRSS"] for figures in served.values())
    peak = max(figures["VmHWM"] for figures in served.values())
    print(f"{len(urls)} pages (board and job pages) in {seconds:.1f} s, {failed} not 200")
    for pid, figures in served.items():
        print(f"  worker {pid}: RSS {figures['VmRSS']:.0f} MB, peak {figures['VmHWM']:.0f} MB, "
              f"USS {figures['USS']:.0f} MB, "
              f"model loaded: {'yes' if loaded[pid] else 'no'}")  # fmt: skip
    verdict = "met" if rss <= RSS_TARGET_MB and not any(loaded.values()) else "MISSED"
    print(f"target: worker RSS {rss:.0f} MB ≤ {RSS_TARGET_MB} MB, model not loaded: {verdict}")
    return {
        "pages": len(urls),
        "failed": failed,
        "seconds": round(seconds, 1),
        "rss_mb": rss,
        "peak_rss_mb": peak,
        "start_rss_mb": max(figures["VmRSS"] for figures in started.values()),
        "uss_mb": max(figures["USS"] for figures in served.values()),
        "model_loaded": any(loaded.values()),
        "workers": {
            str(pid): {**figures, "model_loaded": loaded[pid]} for pid, figures in served.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="pages to ask in all")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="use a kept scratch database")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    keep = args.keep or args.reuse
    with scratch_database(SCRATCH_DATABASE, create=not args.reuse, keep=keep):
        if not args.reuse:
            _seed(args.jobs, args.applications)
        figures = run(requests=args.requests)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
