"""Bad crawls: a local site that answers slowly, drops connections, sends 500s, loops redirects,
serves 50 MB pages and bytes its charset cannot hold. The nightly's scrape stage crawls it for
real (each source in its own `manage.py crawl` process); the crawl finishes, counts and logs
each failure once, stores the good pages and keeps every posting stored before."""

from __future__ import annotations

import copy
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from jobs.models import Job
from pipeline.ingest import Outcome, ingest_finish, ingest_posting, ingest_start
from pipeline.models import PipelineRun, ScrapedPosting, Source
from pipeline.orchestration import pipeline_execute
from pipeline.scraping.formats import posting_parse
from pipeline.scraping.postings import Page, posting_find
from pipeline.tests.conftest import BoardServer, Route

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("crawl_environment")]

BOARDS = Path(__file__).parent / "fixtures" / "boards"
DOWNLOAD_TIMEOUT = 2  # seconds; production waits 30 (SCRAPE_DOWNLOAD_TIMEOUT)
HUGE_PAGE = 50 * 1024 * 1024  # over the production page cap, SCRAPE_MAX_PAGE_BYTES (5 MiB)
HUGE_LISTING = 64 * 1024 * 1024  # over the production listing cap (50 MiB, a sitemap's limit)
CHUNK = 1024 * 1024

Fault = Callable[[BaseHTTPRequestHandler], None]


# --- The faults -------------------------------------------------------------------------------


def _headers(handler: BaseHTTPRequestHandler, length: int | None, content_type: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    if length is not None:
        handler.send_header("Content-Length", str(length))
    handler.end_headers()


def trickle(content_type: str = "application/json") -> Fault:
    """Answer at once, then a byte every 0.2 s for three timeouts: never a whole page in time."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler, 10_000, content_type)
        deadline = time.monotonic() + 3 * DOWNLOAD_TIMEOUT
        while time.monotonic() < deadline:
            handler.wfile.write(b" ")
            time.sleep(0.2)
        handler.close_connection = True

    return fault


def drop_mid_body(content_type: str = "application/json") -> Fault:
    """Promise 100 KB, send 1 KB, hang up."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler, 100_000, content_type)
        handler.wfile.write(b"{" + b" " * 1023)
        handler.close_connection = True

    return fault


def drop_before_answer(handler: BaseHTTPRequestHandler) -> None:
    """Read the request, hang up without a byte."""
    handler.close_connection = True


def redirect_to(location: str) -> Fault:
    def fault(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return fault


def huge(size: int, content_type: str, *, declared: bool) -> Fault:
    """`size` bytes of page, with its Content-Length (`declared`) or ended by closing."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler, size if declared else None, content_type)
        chunk = b"<p>" + b"x" * (CHUNK - 3)
        for _ in range(size // CHUNK):
            handler.wfile.write(chunk)
        handler.close_connection = True

    return fault


def serve_faults(server: BoardServer, faults: dict[str, Fault]) -> None:
    """The shared BoardServer, with `faults` (path → fault) answered before its routes."""
    base = server.httpd.RequestHandlerClass

    class FaultHandler(base):
        def do_GET(self):  # noqa: N802 (http.server's name)
            fault = faults.get(self.path) or faults.get(self.path.split("?")[0])
            if fault is None:
                return super().do_GET()
            server.requests.append((self.path, self.headers.get("User-Agent", "")))
            try:
                fault(self)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the crawler gave up first

    server.httpd.RequestHandlerClass = FaultHandler


# --- The site ---------------------------------------------------------------------------------


def _fixture(name: str):
    return json.loads((BOARDS / name).read_text())


def _greenhouse(board: str, ids: list[int]) -> dict:
    template = _fixture("greenhouse.json")["jobs"][0]
    jobs = []
    for n in ids:
        job = copy.deepcopy(template)
        job.update(
            id=n,
            title=f"Backend Engineer {n}",
            absolute_url=f"https://boards.example.com/{board}/jobs/{n}",
            content=f"&lt;p&gt;Job {n} on {board}: Python services for team {n}.&lt;/p&gt;",
        )
        jobs.append(job)
    return {"jobs": jobs, "meta": {"total": len(jobs)}}


def _lever(site: str, ids: list[int]) -> list:
    template = _fixture("lever.json")[0]
    jobs = []
    for n in ids:
        job = copy.deepcopy(template)
        uid = f"00000000-0000-4000-8000-{n:012d}"
        job.update(
            id=uid,
            text=f"Data Engineer {n}",
            hostedUrl=f"https://jobs.example.com/{site}/{uid}",
            applyUrl=f"https://jobs.example.com/{site}/{uid}/apply",
            description=f"<div>Job {n} at {site}: pipelines in Python.</div>",
            descriptionPlain=f"Job {n} at {site}: pipelines in Python.",
        )
        jobs.append(job)
    return jobs


def _ashby(board: str, ids: list[int]) -> dict:
    template = _fixture("ashby.json")["jobs"][0]
    jobs = []
    for n in ids:
        job = copy.deepcopy(template)
        uid = f"00000000-0000-4000-9000-{n:012d}"
        job.update(
            id=uid,
            title=f"Frontend Engineer {n}",
            jobUrl=f"https://jobs.example.com/{board}/{uid}",
            applyUrl=f"https://jobs.example.com/{board}/{uid}/application",
            descriptionHtml=f"<p>Job {n} at {board}: TypeScript.</p>",
            descriptionPlain=f"Job {n} at {board}: TypeScript.",
        )
        jobs.append(job)
    return {"apiVersion": "1", "jobs": jobs}


def _posting_page(title: str, *, charset: str = "utf-8") -> bytes:
    data = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": title,
        "description": f"<p>{title}: you will build our harbour logistics software.</p>",
        "datePosted": "2026-10-01",
        "hiringOrganization": {"@type": "Organization", "name": "Harbor Labs"},
        "jobLocation": {
            "@type": "Place",
            "address": {"@type": "PostalAddress", "addressLocality": "Hamburg"},
        },
    }
    return (
        f'<html><head><meta charset="{charset}"><title>{title}</title>'
        f'<script type="application/ld+json">{json.dumps(data)}</script></head>'
        f"<body><h1>{title}</h1></body></html>"
    ).encode()


# Yesterday's pages of the career site; tonight most of them fail.
CAREER_PAGES = ["good-1", "good-2", "slow", "dropped", "dropped-early", "error", "loop", "huge"]
CAREER_NEW = ["good-3", "mojibake", "bad-charset"]  # tonight's new pages


def _sources(server: BoardServer) -> dict[str, Source]:
    def board(name: str, kind: str, **config) -> Source:
        config = {"base_url": server.url, "company": name, **config}
        return Source.objects.create(name=name, kind=kind, config=config)

    return {
        "good": board("Good Board", "greenhouse", board="good"),
        "slow": board("Slow Board", "greenhouse", board="slow"),
        "dropped": board("Dropped Board", "greenhouse", board="dropped"),
        "error": board("Error Board", "lever", site="error"),
        "loop": board("Loop Board", "ashby", board="loop"),
        "huge": board("Huge Board", "greenhouse", board="huge"),
        "career": Source.objects.create(
            name="Harbor Labs careers",
            kind=Source.Kind.JSONLD,
            config={"sitemap_urls": [f"{server.url}/sitemap.xml"]},
        ),
        "looping": Source.objects.create(
            name="Looping careers",
            kind=Source.Kind.JSONLD,
            config={"start_urls": [f"{server.url}/looping/"], "allow": ["/looping/jobs/"]},
        ),
    }


def _yesterday(server: BoardServer) -> dict[str, list[tuple[Any, str | None]]]:
    """What each source listed last night, as the spiders hand it on: (data, page URL)."""

    def pages(paths: list[str]) -> list[tuple[Any, str | None]]:
        found = []
        for path in paths:
            url = f"{server.url}{path}"
            page = Page(_posting_page(f"Harbor {path.rsplit('/', 1)[1]}"), url, "text/html")
            found.append((posting_find(page).data, url))
        return found

    return {
        "good": [(job, None) for job in _greenhouse("good", [101, 102, 103])["jobs"]],
        "slow": [(job, None) for job in _greenhouse("slow", [201, 202])["jobs"]],
        "dropped": [(job, None) for job in _greenhouse("dropped", [301])["jobs"]],
        "error": [(job, None) for job in _lever("error", [401, 402])],
        "loop": [(job, None) for job in _ashby("loop", [501])["jobs"]],
        "huge": [(job, None) for job in _greenhouse("huge", [601])["jobs"]],
        "career": pages([f"/jobs/{page}" for page in CAREER_PAGES]),
        "looping": pages(["/looping/jobs/deckhand"]),
    }


def _store_before(sources: dict[str, Source], server: BoardServer) -> dict[int, int]:
    """Store last night's postings through the ingest services a crawl calls for each item;
    return {posting id: job id}."""
    for key, listed in _yesterday(server).items():
        source = sources[key]
        session = ingest_start(source=source)
        for data, url in listed:
            posting = posting_parse(source.kind, data, taxonomy=session.taxonomy, url=url)
            assert ingest_posting(session=session, posting=posting, raw=data) == Outcome.CREATED
        assert ingest_finish(session=session).complete
    # A day later: every source is due again.
    Source.objects.update(last_crawled_at=timezone.now() - timedelta(days=1))
    return dict(ScrapedPosting.objects.values_list("pk", "job_id"))


def _tonight(server: BoardServer) -> list[tuple[str, str]]:
    """Serve tonight's site: faults everywhere, a few good and a few garbled pages. Return the
    failures the crawl must count and log, as (reason, path)."""
    # Two unchanged postings and a new one; then one in bytes that are not the UTF-8 the
    # listing says it is (Latin-1 "é" and a stray 0xff).
    listing = json.dumps(_greenhouse("good", [101, 102, 103, 104])).encode()
    listing = listing.replace(b"Backend Engineer 104", b"Ing\xe9nieur Backend \xff 104")
    server.routes["/v1/boards/good/jobs"] = Route(listing, "application/json; charset=utf-8")
    server.json("/v1/boards/slow/jobs", _greenhouse("slow", [201, 202]))
    server.json("/v1/boards/dropped/jobs", _greenhouse("dropped", [301]))
    server.json("/v0/postings/error", _lever("error", [401, 402]), status=500)
    server.json("/v1/boards/huge/jobs", _greenhouse("huge", [601]))
    for page in ["good-1", "good-2", "good-3"]:
        server.html(f"/jobs/{page}", _posting_page(f"Harbor {page}"))
    server.html("/jobs/error", _posting_page("Harbor error"), status=500)
    # A page that says UTF-8 and holds Latin-1 and stray bytes; one whose charset is made up.
    server.html(
        "/jobs/mojibake",
        _posting_page("Harbor mojibake MARK").replace(b"MARK", b"Ing\xe9nieur \xff\xfe"),
    )
    server.html(
        "/jobs/bad-charset",
        _posting_page("Harbor bad-charset MARK", charset="x-no-such-charset").replace(
            b"MARK", b"\x81\x8d caf\xe9"
        ),
    )
    paths = [f"/jobs/{page}" for page in [*CAREER_PAGES, *CAREER_NEW, "huge-stream"]]
    urls = "".join(f"<url><loc>{server.url}{path}</loc></url>" for path in paths)
    sitemap = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>"
    )
    server.routes["/sitemap.xml"] = Route(sitemap.encode(), "application/xml")
    serve_faults(
        server,
        {
            "/v1/boards/slow/jobs": trickle(),
            "/v1/boards/dropped/jobs": drop_mid_body(),
            "/posting-api/job-board/loop": redirect_to("/posting-api/job-board/loop-again"),
            "/posting-api/job-board/loop-again": redirect_to("/posting-api/job-board/loop"),
            "/v1/boards/huge/jobs": huge(HUGE_LISTING, "application/json", declared=True),
            "/jobs/slow": trickle("text/html"),
            "/jobs/dropped": drop_mid_body("text/html"),
            "/jobs/dropped-early": drop_before_answer,
            "/jobs/loop": redirect_to("/jobs/loop-again"),
            "/jobs/loop-again": redirect_to("/jobs/loop"),
            "/jobs/huge": huge(HUGE_PAGE, "text/html", declared=True),
            "/jobs/huge-stream": huge(HUGE_PAGE, "text/html", declared=False),
            "/looping/": redirect_to("/looping/again"),
            "/looping/again": redirect_to("/looping/"),
        },
    )
    return [
        ("timeout", "/v1/boards/slow/jobs"),
        ("download_error", "/v1/boards/dropped/jobs"),
        ("http_500", "/v0/postings/error"),
        ("too_many_redirects", "/posting-api/job-board/loop"),
        ("too_large", "/v1/boards/huge/jobs"),
        ("too_many_redirects", "/looping/"),
        ("timeout", "/jobs/slow"),
        ("download_error", "/jobs/dropped"),
        ("download_error", "/jobs/dropped-early"),
        ("http_500", "/jobs/error"),
        ("too_many_redirects", "/jobs/loop"),
        ("too_large", "/jobs/huge"),
        ("too_large", "/jobs/huge-stream"),
    ]


# --- The test ---------------------------------------------------------------------------------


@pytest.fixture
def fault_environment(crawl_environment, monkeypatch, settings):
    """The crawl_environment with a short download timeout, the production size caps (5 MiB a
    page, 50 MiB a listing), JSON logs from the crawl processes, and every source at once."""
    monkeypatch.setenv("SCRAPE_DOWNLOAD_TIMEOUT", str(DOWNLOAD_TIMEOUT))
    monkeypatch.delenv("SCRAPE_MAX_PAGE_BYTES")
    monkeypatch.setenv("LOG_FORMAT", "json")
    settings.PIPELINE_CRAWL_CONCURRENCY = 10


def _skip_records(output: str, server: BoardServer) -> Counter:
    """(reason, path) of each "pipeline item skipped" record the crawl processes logged."""
    found: Counter = Counter()
    for line in output.splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if record.get("message") == "pipeline item skipped":
            url = re.search(re.escape(server.url) + r"[^\s:?]*", record["detail"])
            found[(record["reason"], url.group(0).removeprefix(server.url) if url else None)] += 1
    return found


def _skips(run: PipelineRun) -> dict[str, int]:
    return {key: n for key, n in run.stats["counts"].items() if key.startswith("skipped.")}


def test_bad_crawl_finishes_counts_and_logs_each_failure_and_keeps_stored_postings(
    server, fault_environment, capfd, caplog
):
    sources = _sources(server)
    stored = _store_before(sources, server)
    assert len(stored) == 19
    failures = _tonight(server)
    capfd.readouterr()

    # The nightly's scrape stage: every due source, each in its own `manage.py crawl` process.
    run = pipeline_execute(kind=PipelineRun.Kind.SCRAPE)

    logged = capfd.readouterr()
    children = {child.source.name: child for child in run.children.select_related("source")}
    # The crawl finishes; a source whose listing failed fails alone and closes nothing.
    assert run.status == PipelineRun.Status.SUCCEEDED, run.error
    assert {name: child.status for name, child in children.items()} == {
        "Good Board": "succeeded",
        "Harbor Labs careers": "succeeded",
        "Slow Board": "failed",
        "Dropped Board": "failed",
        "Error Board": "failed",
        "Loop Board": "failed",
        "Huge Board": "failed",
        "Looping careers": "failed",
    }
    failed = sorted(name for name, child in children.items() if child.status == "failed")
    assert all("nothing closed" in children[name].error for name in failed)
    assert run.stats["counts"]["skipped.source_failed"] == len(failed)
    source_failed = [r for r in caplog.records if getattr(r, "reason", "") == "source_failed"]
    assert sorted(record.detail.split(":")[0] for record in source_failed) == failed

    # Each failure is counted once (not once per retry) under its reason ...
    assert {name: _skips(child) for name, child in children.items()} == {
        "Good Board": {},
        "Harbor Labs careers": {
            "skipped.timeout": 1,
            "skipped.download_error": 2,
            "skipped.http_500": 1,
            "skipped.too_many_redirects": 1,
            "skipped.too_large": 2,
        },
        "Slow Board": {"skipped.timeout": 1},
        "Dropped Board": {"skipped.download_error": 1},
        "Error Board": {"skipped.http_500": 1},
        "Loop Board": {"skipped.too_many_redirects": 1},
        "Huge Board": {"skipped.too_large": 1},
        "Looping careers": {"skipped.too_many_redirects": 1},
    }
    assert children["Slow Board"].stats["counts"]["retries"] == 2
    # ... and logged once, with its URL.
    assert _skip_records(logged.out + logged.err, server) == Counter(failures)

    # The good pages are stored; bytes that their charset cannot hold read as U+FFFD.
    good, career = children["Good Board"].stats["counts"], children["Harbor Labs careers"].stats
    assert (good["created"], good["unchanged"]) == (1, 3)
    assert (career["counts"]["created"], career["counts"]["unchanged"]) == (3, 2)
    new = set(Job.objects.exclude(pk__in=stored.values()).values_list("title", flat=True))
    bad_charset = {title for title in new if title.startswith("Harbor bad-charset ")}
    assert new - bad_charset == {
        "Ing\ufffdnieur Backend \ufffd 104",
        "Harbor good-3",
        "Harbor mojibake Ing\ufffdnieur \ufffd\ufffd",
    }
    assert len(bad_charset) == 1  # stored, however its made-up charset is guessed

    # Every posting stored before is still there, live, and its job open.
    kept = ScrapedPosting.objects.filter(pk__in=stored, gone_at__isnull=True)
    assert dict(kept.values_list("pk", "job_id")) == stored
    assert not Job.objects.exclude(status=Job.Status.OPEN).exists()
    assert "closed" not in run.stats["counts"]
