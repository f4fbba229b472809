"""Crawl speed: N career pages with JSON-LD from a local server, through the real `manage.py
crawl` process, into a scratch database.

    DEBUG=1 .venv/bin/python benchmarks/_crawl.py [--pages 500] [--json PATH]

It measures our pipeline (fetch, extract, normalise, dedup, write), not politeness: AutoThrottle
and the download delay are off and 16 requests run at once. The figure includes the child
process's start (about 2.5 s). A second crawl of the same pages (all unchanged) is timed too,
and so is the floor: plain Scrapy fetching the same pages with a spider that does nothing
(`_scrapy_floor.py`, a child process timed from its start too).
`benchmarks/pipeline.py --only crawl` calls `measure()`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from benchmarks._scratch import scratch_database  # noqa: E402
from pipeline.models import PipelineRun, Source  # noqa: E402
from pipeline.scraping.process import crawl_in_subprocess  # noqa: E402

SCRATCH_DATABASE = "recruitment_bench_crawl"
CRAWL_ENVIRONMENT = {
    "SCRAPE_AUTOTHROTTLE": "0",
    "SCRAPE_DOWNLOAD_DELAY": "0",
    "SCRAPE_CONCURRENCY_PER_DOMAIN": "16",
    "SCRAPE_HTTP_CACHE": "0",
}
COMPANIES = [f"{a} {b}" for a in ("Amber", "Basalt", "Cedar", "Delta", "Ember", "Flint", "Garnet",
             "Heron") for b in ("Labs", "Systems", "Health", "Logistics", "Energy")]  # fmt: skip
TITLES = ("Backend Engineer", "Frontend Engineer", "Data Engineer", "Data Scientist",
          "Site Reliability Engineer", "Product Designer", "Product Manager", "QA Engineer",
          "Mobile Engineer", "Security Engineer", "Engineering Manager", "Data Analyst")  # fmt: skip
LEVELS = ("Junior ", "", "Senior ", "Staff ", "Lead ")
PLACES = (("Berlin", "DE"), ("Amsterdam", "NL"), ("London", "GB"), ("Paris", "FR"),
          ("Lisbon", "PT"), ("Warsaw", "PL"), ("Austin", "US"), ("Toronto", "CA"))  # fmt: skip
WORDS = (
    "python django postgresql kubernetes docker terraform aws react typescript kafka redis "
    "airflow dbt spark pandas pytorch tableau figma graphql rest linux git ci testing teams "
    "customers product platform data pipelines services reliability latency design review "
    "mentor ship build own improve measure learn deliver scale secure document automate "
    "operate migrate analyse forecast model monitor debug release plan research support "
    "clinics energy payments retail logistics travel insurance media games education farming"
).split()


def _page(number: int, rng: random.Random) -> bytes:
    company = COMPANIES[number % len(COMPANIES)]
    city, country = PLACES[rng.randrange(len(PLACES))]
    title = rng.choice(LEVELS) + rng.choice(TITLES)
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(60)).capitalize() for _ in range(3)]
    posting = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": title,
        "description": "".join(f"<p>{text}.</p>" for text in paragraphs),
        "datePosted": "2026-10-01",
        "employmentType": "FULL_TIME",
        "hiringOrganization": {"@type": "Organization", "name": company},
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": city,
                "addressCountry": country,
            },
        },
        "baseSalary": {
            "@type": "MonetaryAmount",
            "currency": "EUR",
            "value": {
                "minValue": 40000 + number % 50 * 1000,
                "maxValue": 90000,
                "unitText": "YEAR",
            },
        },
    }
    return (
        f"<!doctype html><html><head><title>{title}</title>"
        f'<script type="application/ld+json">{json.dumps(posting)}</script></head>'
        f"<body><h1>{title}</h1>{posting['description']}</body></html>"
    ).encode()


def _serve(pages: int) -> ThreadingHTTPServer:
    rng = random.Random("bench-crawl")
    bodies = {f"/jobs/{n}": _page(n, rng) for n in range(1, pages + 1)}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path == "/robots.txt":
                body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
            elif self.path == "/sitemap.xml":
                host = f"http://127.0.0.1:{self.server.server_port}"
                urls = "".join(f"<url><loc>{host}{path}</loc></url>" for path in bodies)
                body = (
                    '<?xml version="1.0"?><urlset '
                    f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
                ).encode()
                kind = "application/xml"
            elif self.path in bodies:
                body, kind = bodies[self.path], "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def _environment(values: dict[str, str]):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _crawl(source: Source) -> tuple[float, PipelineRun]:
    run = PipelineRun.objects.create(kind=PipelineRun.Kind.SCRAPE, source=source)
    started = time.monotonic()
    crawl_in_subprocess(source=source, run=run)
    seconds = time.monotonic() - started
    run.refresh_from_db()
    return seconds, run


def _scrapy_floor(sitemap_url: str) -> tuple[float, int]:
    """Plain Scrapy fetching the same pages with a spider that does nothing (`_scrapy_floor.py`),
    in a child process timed from its start as ours is; return (seconds, pages fetched)."""
    concurrency = CRAWL_ENVIRONMENT["SCRAPE_CONCURRENCY_PER_DOMAIN"]
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_scrapy_floor.py")), sitemap_url,
         "--concurrency", concurrency],
        capture_output=True, text=True, check=True, timeout=600,
    ).stdout  # fmt: skip
    seconds = time.monotonic() - started
    return seconds, json.loads(out.splitlines()[-1])["fetched"]


def measure(pages: int = 500) -> dict:
    """Serve `pages` JSON-LD pages, crawl them twice, and fetch them with plain Scrapy (the
    floor); return {"pages", "seconds", "pages_per_s", "recrawl_seconds", "status", "counts",
    "scrapy_seconds", "scrapy_pages", "scrapy_pages_per_s"}."""
    server = _serve(pages)
    sitemap_url = f"http://127.0.0.1:{server.server_port}/sitemap.xml"
    try:
        with (
            scratch_database(SCRATCH_DATABASE),
            _environment({**CRAWL_ENVIRONMENT, "SCRAPE_MAX_PAGES": str(max(pages, 1))}),
        ):
            call_command("migrate", verbosity=0, interactive=False)
            source = Source.objects.create(
                name="Benchmark career pages",
                kind=Source.Kind.JSONLD,
                config={"sitemap_urls": [sitemap_url]},
                schedule=Source.Schedule.MANUAL,
            )
            seconds, run = _crawl(source)
            recrawl_seconds, rerun = _crawl(source)
        scrapy_seconds, scrapy_pages = _scrapy_floor(sitemap_url)
    finally:
        server.shutdown()
        server.server_close()
    return {
        "pages": pages,
        "seconds": round(seconds, 2),
        "pages_per_s": round(pages / seconds, 1) if seconds else 0.0,
        "recrawl_seconds": round(recrawl_seconds, 2),
        "status": [run.status, rerun.status],
        "counts": run.stats.get("counts", {}),
        "scrapy_seconds": round(scrapy_seconds, 2),
        "scrapy_pages": scrapy_pages,
        "scrapy_pages_per_s": round(scrapy_pages / scrapy_seconds, 1) if scrapy_seconds else 0.0,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures = measure(args.pages)
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
