"""Real crawls: `manage.py crawl` in a child process, against a real local HTTP server serving
the documented board formats and real career pages, into the test database."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from jobs.models import Job, JobSkill, Skill
from pipeline.models import PipelineRun, ScrapedPosting, Source
from pipeline.scraping.process import crawl_in_subprocess
from pipeline.tests.conftest import MAX_PAGE_BYTES, USER_AGENT, BoardServer, Route

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("crawl_environment")]

FIXTURES = Path(__file__).parent / "fixtures"
BOARDS = FIXTURES / "boards"
PAGES = FIXTURES / "jobposting-pages"


@pytest.fixture
def skills(db):
    names = ["Python", "Django", "PostgreSQL", "Kubernetes", "SQL", "PyTorch", "TypeScript"]
    return [Skill.objects.create(name=name, slug=name.lower()) for name in names]


def _fixture(name: str):
    return json.loads((BOARDS / name).read_text())


def _source(kind: str, server: BoardServer, **config) -> Source:
    return Source.objects.create(
        name=f"{kind} board", kind=kind, config={"base_url": server.url, **config}
    )


def _crawl(source: Source) -> tuple[int, PipelineRun]:
    run = PipelineRun.objects.create(kind=PipelineRun.Kind.SCRAPE, source=source)
    code = crawl_in_subprocess(source=source, run=run)
    run.refresh_from_db()
    return code, run


GREENHOUSE_LISTING = "/v1/boards/tidewater/jobs?content=true"


def test_greenhouse_crawl_creates_published_jobs_then_updates_closes_and_leaves_unchanged(
    server, skills
):
    listing = _fixture("greenhouse.json")
    server.json(GREENHOUSE_LISTING, listing)
    source = _source("greenhouse", server, board="tidewater")

    code, run = _crawl(source)

    assert (code, run.status, run.error) == (0, "succeeded", "")
    counts = run.stats["counts"]
    assert (counts["seen"], counts["created"]) == (4, 4)
    assert (run.progress_done, run.progress_total) == (4, 4)
    backend = Job.objects.get(external_id="4012001")
    assert backend.status == Job.Status.OPEN and backend.published_at is not None
    assert backend.company.name == "Tidewater Analytics" and not backend.company.is_tenant
    assert (backend.city, backend.country, backend.remote) == ("Berlin", "DE", "onsite")
    assert (backend.salary_min, backend.salary_max, backend.salary_currency) == (
        70000,
        90000,
        "EUR",
    )
    assert backend.external_url == "https://boards.greenhouse.io/tidewater/jobs/4012001"
    assert "<script" not in backend.description_html and "onclick" not in backend.description_html
    assert "<li>Own APIs end to end</li>" in backend.description_html
    assert sorted(JobSkill.objects.filter(job=backend).values_list("skill__name", flat=True)) == [
        "Django",
        "Kubernetes",
        "PostgreSQL",
        "Python",
    ]
    assert Job.objects.get(external_id="4012002").remote == "remote"
    assert Job.objects.get(external_id="4012003").remote == "hybrid"
    assert ("/robots.txt", USER_AGENT) in server.requests
    source.refresh_from_db()
    assert source.last_crawled_at is not None

    # Second crawl: 4012002 changed its title, 4012004 vanished, the rest are the same.
    before = dict(Job.objects.values_list("external_id", "updated_at"))
    changed = copy.deepcopy(listing)
    changed["jobs"][1]["title"] = "Senior Data Analyst"
    del changed["jobs"][3]
    server.json(GREENHOUSE_LISTING, changed)

    code, run = _crawl(source)

    assert (code, run.status) == (0, "succeeded")
    counts = run.stats["counts"]
    assert (counts["unchanged"], counts["updated"], counts["closed"]) == (2, 1, 1)
    after = dict(Job.objects.values_list("external_id", "updated_at"))
    assert after["4012001"] == before["4012001"] and after["4012003"] == before["4012003"]
    assert after["4012002"] > before["4012002"]
    assert Job.objects.get(external_id="4012002").title == "Senior Data Analyst"
    assert Job.objects.get(external_id="4012004").status == Job.Status.CLOSED
    gone = ScrapedPosting.objects.get(external_id="4012004")
    assert gone.gone_at is not None
    seen = ScrapedPosting.objects.get(external_id="4012001")
    assert seen.last_seen_at > seen.first_seen_at and seen.gone_at is None


def test_failed_listing_closes_nothing_and_fails_the_run_after_retries(server):
    server.json(GREENHOUSE_LISTING, _fixture("greenhouse.json"))
    source = _source("greenhouse", server, board="tidewater")
    assert _crawl(source)[0] == 0

    server.routes[GREENHOUSE_LISTING].status = 500
    requests_before = server.paths().count(GREENHOUSE_LISTING)
    code, run = _crawl(source)

    assert code == 1 and run.status == PipelineRun.Status.FAILED
    assert "HTTP 500" in run.error and "nothing closed" in run.error
    assert run.stats["counts"]["skipped.http_500"] == 1
    # RETRY_TIMES is 2: three requests for the listing, then give up.
    assert server.paths().count(GREENHOUSE_LISTING) - requests_before == 3
    assert Job.objects.filter(status=Job.Status.OPEN).count() == 4
    assert not ScrapedPosting.objects.filter(gone_at__isnull=False).exists()


def test_listing_503_is_retried_then_succeeds(server):
    server.json(GREENHOUSE_LISTING, _fixture("greenhouse.json"), first=[503])
    source = _source("greenhouse", server, board="tidewater")

    code, run = _crawl(source)

    assert (code, run.status) == (0, "succeeded")
    assert server.paths().count(GREENHOUSE_LISTING) == 2
    assert run.stats["counts"]["retries"] == 1
    assert run.stats["counts"]["created"] == 4


def test_invalid_json_listing_is_a_counted_skip_and_closes_nothing(server):
    server.json(GREENHOUSE_LISTING, _fixture("greenhouse.json"))
    source = _source("greenhouse", server, board="tidewater")
    assert _crawl(source)[0] == 0
    server.routes[GREENHOUSE_LISTING].body = b'{"jobs": [{"id": 1, "title": "Cut off'

    code, run = _crawl(source)

    assert code == 1 and run.status == PipelineRun.Status.FAILED
    assert run.stats["counts"]["skipped.invalid_json"] == 1
    assert Job.objects.filter(status=Job.Status.OPEN).count() == 4


def test_listing_that_times_out_is_retried_then_fails_the_crawl(server, monkeypatch):
    monkeypatch.setenv("SCRAPE_DOWNLOAD_TIMEOUT", "1")
    server.json(GREENHOUSE_LISTING, _fixture("greenhouse.json"), delay=2.5)
    source = _source("greenhouse", server, board="tidewater")

    code, run = _crawl(source)

    assert code == 1 and run.status == PipelineRun.Status.FAILED
    assert run.stats["counts"]["skipped.timeout"] == 1
    assert run.stats["counts"]["retries"] == 2
    assert server.paths().count(GREENHOUSE_LISTING) == 3


def test_lever_crawl_stores_salary_and_workplace_and_skips_broken_items(server, skills):
    postings = _fixture("lever.json")
    no_id = {**postings[0], "id": None}
    no_title = {**postings[1], "id": "5f1c2a10-aaaa-4b6e-9d31-0000000000ff", "text": "  "}
    server.json("/v0/postings/kestrel?mode=json", [*postings, no_id, no_title, "not a posting"])
    source = _source("lever", server, site="kestrel", company="Kestrel Mobility")

    code, run = _crawl(source)

    assert (code, run.status) == (0, "succeeded")
    counts = run.stats["counts"]
    assert counts["created"] == 3
    assert counts["skipped.missing_id"] == 1
    assert counts["skipped.missing_title"] == 1
    assert counts["skipped.malformed_item"] == 1
    assert counts["seen"] == 6
    ml = Job.objects.get(title="Machine Learning Engineer")
    assert ml.company.name == "Kestrel Mobility"
    assert (ml.remote, ml.city, ml.country) == ("hybrid", "Munich", "DE")
    assert (ml.salary_min, ml.salary_max, ml.salary_currency, ml.salary_period) == (
        80000,
        105000,
        "EUR",
        "year",
    )
    support = Job.objects.get(title="Customer Support Specialist")
    assert (support.remote, support.employment_type, support.salary_period) == (
        "remote",
        "part_time",
        "hour",
    )
    assert Job.objects.get(title="Operations Intern").employment_type == "internship"


def test_ashby_crawl_reads_compensation_tiers_and_remote(server):
    server.json("/posting-api/job-board/lumenwave?includeCompensation=true", _fixture("ashby.json"))
    source = _source("ashby", server, board="lumenwave", company="Lumenwave")

    code, run = _crawl(source)

    assert (code, run.status, run.stats["counts"]["created"]) == (0, "succeeded", 3)
    staff = Job.objects.get(title="Staff Frontend Engineer")
    assert (staff.salary_min, staff.salary_max, staff.remote, staff.city, staff.country) == (
        80000,
        110000,
        "hybrid",
        "Lisbon",
        "PT",
    )
    support = Job.objects.get(title="Support Engineer")
    assert (support.remote, support.employment_type, support.salary_period) == (
        "remote",
        "part_time",
        "hour",
    )


def _jsonld_site(server: BoardServer) -> list[str]:
    """The five real pages, a page whose JSON-LD no repair can read, a huge page and a page
    robots.txt disallows, all listed in a sitemap."""
    paths = []
    for page in sorted(PAGES.glob("*.html")):
        path = f"/jobs/{page.stem}?utm_source=sitemap"
        server.html(path.split("?")[0], page.read_bytes())
        paths.append(path)
    server.html(
        "/jobs/broken",
        '<html><script type="application/ld+json">{"@type": "JobPosting", "title": [[[</script>'
        "</html>",
    )
    server.html("/jobs/huge", "<html><body>" + "x" * (MAX_PAGE_BYTES + 50_000) + "</body></html>")
    server.html("/private/secret-job", (PAGES / "remoteok-job.html").read_bytes())
    paths += ["/jobs/broken", "/jobs/huge", "/private/secret-job"]
    urls = "".join(f"<url><loc>{server.url}{path}</loc></url>" for path in paths)
    sitemap = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    server.routes["/sitemap.xml"] = Route(sitemap.encode(), "application/xml")
    return paths


def test_jsonld_crawl_reads_real_pages_from_a_sitemap_obeying_robots_and_skipping_bad_pages(
    server,
):
    _jsonld_site(server)
    source = Source.objects.create(
        name="career pages",
        kind=Source.Kind.JSONLD,
        config={"sitemap_urls": [f"{server.url}/sitemap.xml"]},
    )

    code, run = _crawl(source)

    assert (code, run.status, run.error) == (0, "succeeded", "")
    counts = run.stats["counts"]
    assert counts["created"] == 5
    assert counts["skipped.broken_jsonld"] == 1
    assert counts["skipped.too_large"] == 1
    assert counts["skipped.robots"] == 1
    assert "/private/secret-job" not in server.paths()
    companies = set(Job.objects.values_list("company__name", flat=True))
    assert companies == {
        "Experis Czech Republic",
        "Comscore",
        "Hummingbot",
        "QUAJOO GmbH",
        "Bluelight Consulting",
    }
    quajoo = Job.objects.get(company__name="QUAJOO GmbH")
    assert (quajoo.city, quajoo.country, quajoo.title) == (
        "Leipzig",
        "DE",
        "Solution Engineer (M/F/X)",
    )
    # Ids are the canonical page URLs: no tracking parameters.
    assert ScrapedPosting.objects.filter(
        external_id=f"{server.url}/jobs/stackoverflow-job"
    ).exists()

    # The broken page stays unreadable on the next crawl: the posting is not closed for it,
    # while a page gone from the sitemap is.
    sitemap = server.routes["/sitemap.xml"]
    sitemap.body = sitemap.body.replace(
        f"{server.url}/jobs/remoteok-job?utm_source=sitemap".encode(), b""
    )
    code, run = _crawl(source)
    assert (code, run.stats["counts"]["unchanged"], run.stats["counts"]["closed"]) == (0, 4, 1)
    assert Job.objects.get(company__name="Comscore").status == Job.Status.CLOSED


def test_crawl_command_by_name_prints_a_summary_and_plain_progress(server):
    server.json(GREENHOUSE_LISTING, _fixture("greenhouse.json"))
    source = _source("greenhouse", server, board="tidewater")
    env = {**os.environ, "DATABASE_URL": _database_url()}

    done = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "crawl", source.name],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith("crawl greenhouse board: seen 4, created 4, updated 0, unchanged 0")
    assert "skipped 0" in summary and "succeeded" in summary
    assert "\r" not in done.stdout  # no progress bar without a terminal
    run = PipelineRun.objects.get(source=source)
    assert (run.kind, run.status) == ("scrape", "succeeded")


def test_crawl_of_a_source_with_a_bad_config_fails_with_a_clear_message():
    source = Source.objects.create(name="no board", kind="greenhouse", config={"boards": "x"})
    env = {**os.environ, "DATABASE_URL": _database_url()}

    done = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "crawl", str(source.pk)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 1
    assert "Unknown key(s) for a greenhouse source: boards" in done.stderr
    assert 'needs "board"' in done.stderr
    assert PipelineRun.objects.get(source=source).status == PipelineRun.Status.FAILED


def test_crawl_in_subprocess_kills_a_crawl_past_its_timeout_and_fails_its_run(server):
    source = _source("greenhouse", server, board="tidewater")
    run = PipelineRun.objects.create(kind=PipelineRun.Kind.SCRAPE, source=source)

    code = crawl_in_subprocess(source=source, run=run, timeout=0)

    run.refresh_from_db()
    assert code != 0
    assert run.status == PipelineRun.Status.FAILED
    assert "killed after 0 s" in run.error


def _database_url() -> str:
    from recruitment.database import database_url

    return database_url()
