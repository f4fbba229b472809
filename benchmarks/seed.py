"""Time `seed_demo` at benchmark size in a scratch database on the development server.

    DEBUG=1 .venv/bin/python benchmarks/seed.py [--jobs 100000] [--candidates 10000] [--json PATH]

It never touches the developer's database: it creates `recruitment_bench_seed` next to it
(dropping a leftover first), migrates it, seeds it, prints rows per model, seconds, rows per
second and peak RSS, and drops it again. It prints figures and asserts nothing about time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from benchmarks._scratch import scratch_database  # noqa: E402
from pipeline import demo  # noqa: E402

SCRATCH_DATABASE = "recruitment_bench_seed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    with scratch_database(SCRATCH_DATABASE):
        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        migrate_seconds = time.monotonic() - started
        print(f"scratch database {SCRATCH_DATABASE} migrated in {migrate_seconds:.1f} s")
        print(f"seed_demo --jobs {args.jobs} --candidates {args.candidates} ...", flush=True)

        output = io.StringIO()
        started = time.monotonic()
        call_command(
            "seed_demo", jobs=args.jobs, candidates=args.candidates, verbosity=2, stdout=output
        )
        seconds = time.monotonic() - started
        counts = demo.row_counts()

    total = sum(counts.values())
    width = max(len(label) for label in counts)
    print()
    print(f"{'model':<{width}}  {'rows':>10}")
    for label, count in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"{label:<{width}}  {count:>10,}")
    print(f"{'total':<{width}}  {total:>10,}")
    print()
    print(f"seed_demo       {seconds:10.1f} s")
    print(f"rows per second {total / seconds:10,.0f}")
    # Linux reports ru_maxrss in kilobytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS        {peak:10.0f} MB")
    if args.json:
        figures = {
            "jobs": args.jobs,
            "candidates": args.candidates,
            "rows": total,
            "seconds": round(seconds, 1),
            "rows_per_s": round(total / seconds),
            "peak_rss_mb": round(peak),
            "counts": counts,
        }
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
