"""The demo boards: DEBUG-only views serving the bundled boards, and the demo seed's sources
crawling them for real."""

from __future__ import annotations

import pytest

from jobs.models import Job
from pipeline.demo import DEMO_BOARDS, demo_seed
from pipeline.models import PipelineRun, Source
from pipeline.scraping.config import source_config_validate
from pipeline.scraping.process import crawl_in_subprocess

BOARD_URL = "/demo-boards/greenhouse/v1/boards/harbourlight/jobs?content=true"


@pytest.mark.django_db
def test_demo_boards_are_not_served_without_debug(client, settings):
    settings.DEBUG = False

    assert client.get(BOARD_URL).status_code == 404
    assert client.get("/demo-boards/careers/fernhollow/sitemap.xml").status_code == 404


@pytest.mark.django_db
def test_demo_boards_serve_the_bundled_feeds_in_debug(client, settings):
    settings.DEBUG = True

    board = client.get(BOARD_URL)
    sitemap = client.get("/demo-boards/careers/fernhollow/sitemap.xml")
    page = client.get("/demo-boards/careers/fernhollow/jobs/senior-python-developer")

    assert board.status_code == 200 and board["Content-Type"] == "application/json"
    assert len(b"".join(board.streaming_content)) > 1000
    assert sitemap.status_code == 200
    assert b"http://testserver/demo-boards/careers/fernhollow/jobs/senior-python-developer" in (
        sitemap.content
    )
    assert b'"@type": "JobPosting"' in b"".join(page.streaming_content)
    assert client.get("/demo-boards/lever/v0/postings/nobody").status_code == 404
    assert client.get("/demo-boards/careers/fernhollow/jobs/..%2Fsecret").status_code == 404


@pytest.mark.django_db
def test_demo_seed_adds_one_valid_source_of_each_kind_pointing_at_the_demo_boards(settings):
    settings.DEMO_BOARDS_BASE_URL = "http://127.0.0.1:8123"

    demo_seed(jobs=0, candidates=0)
    demo_seed(jobs=0, candidates=0)

    sources = Source.objects.filter(name__in=[board[0] for board in DEMO_BOARDS])
    assert sorted(sources.values_list("kind", flat=True)) == [
        "ashby",
        "greenhouse",
        "jsonld",
        "lever",
    ]
    for source in sources:
        source_config_validate(kind=source.kind, config=source.config)
        urls = source.config.get("base_url") or source.config["sitemap_urls"][0]
        assert urls.startswith("http://127.0.0.1:8123/demo-boards/")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("crawl_environment")
def test_every_demo_source_crawls_its_demo_board(live_server, settings):
    settings.DEBUG = True
    settings.DEMO_BOARDS_BASE_URL = live_server.url
    demo_seed(jobs=0, candidates=0)
    expected = {"greenhouse": 8, "lever": 7, "ashby": 6, "jsonld": 5}

    for name, kind, *_ in DEMO_BOARDS:
        source = Source.objects.get(name=name)
        run = PipelineRun.objects.create(kind=PipelineRun.Kind.SCRAPE, source=source)
        code = crawl_in_subprocess(source=source, run=run)
        run.refresh_from_db()
        assert (code, run.status, run.error) == (0, "succeeded", ""), name
        assert run.stats["counts"]["created"] == expected[kind], name
        assert not [key for key in run.stats["counts"] if key.startswith("skipped")], name

    fernhollow = Job.objects.filter(company__name="Fernhollow Health")
    assert fernhollow.count() == 5 and not fernhollow.first().company.is_tenant
    remote = Job.objects.get(title="Mobile Engineer (React Native)")
    assert (remote.remote, remote.country) == ("remote", "GB")
    assert Job.objects.filter(company__name="Orbitvale Space", salary_currency="EUR").count() == 5
