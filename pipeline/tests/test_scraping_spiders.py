"""The spiders' callbacks on canned responses: what each listing, sitemap and page yields.
No reactor, no network, no database."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import scrapy
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from scrapy.settings import Settings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pipeline.scraping.items import (
    ListingFailed,
    PostingsDeferred,
    PostingsFound,
    PostingSkipped,
    RawPosting,
)
from pipeline.scraping.middlewares import RemoteOnlyCachePolicy
from pipeline.scraping.spiders import BoardSpider, JsonLdSpider, failure_reason

PAGES = Path(__file__).parent / "fixtures" / "jobposting-pages"
BASE = "https://careers.example.org"


def _board(kind: str = "greenhouse") -> BoardSpider:
    config = {"board": "acme", "base_url": BASE} if kind != "lever" else {"site": "acme"}
    return BoardSpider(kind=kind, config=config, max_listing_bytes=10_000_000)


def _jsonld(**config) -> JsonLdSpider:
    return JsonLdSpider(
        config={"sitemap_urls": [f"{BASE}/sitemap.xml"], **config},
        max_pages=100,
        max_page_bytes=1_000_000,
        max_listing_bytes=10_000_000,
    )


def _sitemap(*paths: str) -> bytes:
    urls = "".join(f"<url><loc>{BASE}{path}</loc></url>" for path in paths)
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>"
    ).encode()


def test_board_listing_yields_the_count_then_each_job():
    spider = _board()
    body = json.dumps({"jobs": [{"id": 1}, {"id": 2}], "meta": {"total": 2}}).encode()

    items = list(spider.parse_listing(TextResponse(spider.listing, body=body)))

    assert items[0] == PostingsFound(2)
    assert items[1:] == [RawPosting("greenhouse", {"id": 1}), RawPosting("greenhouse", {"id": 2})]
    assert spider.listing == f"{BASE}/v1/boards/acme/jobs?content=true"


def test_board_listing_that_is_not_json_or_not_the_format_fails_the_listing():
    spider = _board()

    broken = list(spider.parse_listing(TextResponse(spider.listing, body=b'{"jobs": [')))
    wrong = list(spider.parse_listing(TextResponse(spider.listing, body=b'{"postings": []}')))

    assert [type(item) for item in broken + wrong] == [ListingFailed, ListingFailed]
    assert (broken[0].reason, wrong[0].reason) == ("invalid_json", "invalid_listing")


def test_sitemap_pages_are_requested_once_and_filtered_by_allow():
    spider = _jsonld(allow=["/jobs/"])
    response = XmlResponse(
        f"{BASE}/sitemap.xml", body=_sitemap("/jobs/1?utm_source=x", "/jobs/1", "/about", "/jobs/2")
    )

    items = list(spider.parse_sitemap(response))

    assert items[0] == PostingsFound(2)
    requests = [item for item in items if isinstance(item, Request)]
    assert [r.url for r in requests] == [f"{BASE}/jobs/1?utm_source=x", f"{BASE}/jobs/2"]
    assert requests[0].meta["external_id"] == f"{BASE}/jobs/1"


def test_sitemap_index_gzip_and_robots_lead_to_more_sitemaps():
    spider = _jsonld()
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{BASE}/jobs.xml.gz</loc></sitemap></sitemapindex>"
    ).encode()
    robots = b"User-agent: *\nSitemap: /jobs-sitemap.xml\n"

    from_index = list(spider.parse_sitemap(XmlResponse(f"{BASE}/sitemap.xml", body=index)))
    from_robots = list(spider.parse_sitemap(TextResponse(f"{BASE}/robots.txt", body=robots)))
    gzipped = scrapy.http.Response(f"{BASE}/jobs.xml.gz", body=gzip.compress(_sitemap("/jobs/9")))
    from_gzip = list(spider.parse_sitemap(gzipped))

    assert [r.url for r in from_index] == [f"{BASE}/jobs.xml.gz"]
    assert [r.url for r in from_robots] == [f"{BASE}/jobs-sitemap.xml"]
    assert from_gzip[0] == PostingsFound(1) and from_gzip[1].url == f"{BASE}/jobs/9"


def test_broken_sitemap_fails_the_listing():
    spider = _jsonld()

    items = list(spider.parse_sitemap(XmlResponse(f"{BASE}/sitemap.xml", body=b"<html>oops")))

    assert len(items) == 1 and items[0].reason == "invalid_sitemap"


def test_postings_over_max_pages_are_deferred_not_requested():
    spider = JsonLdSpider(
        config={"sitemap_urls": [f"{BASE}/s.xml"]},
        max_pages=2,
        max_page_bytes=1_000,
        max_listing_bytes=1_000,
    )

    items = list(spider._posting_requests([f"{BASE}/jobs/{n}" for n in range(1, 6)]))

    assert items[0] == PostingsDeferred([f"{BASE}/jobs/3", f"{BASE}/jobs/4", f"{BASE}/jobs/5"])
    assert items[1] == PostingsFound(2)
    assert len([item for item in items if isinstance(item, Request)]) == 2


def test_posting_page_yields_its_posting_or_a_skip_with_its_id():
    spider = _jsonld()
    meta = {"external_id": f"{BASE}/jobs/1", "listed_url": f"{BASE}/jobs/1?ref=x"}
    request = Request(f"{BASE}/jobs/1", meta=meta)
    real = HtmlResponse(
        request.url, body=(PAGES / "stackoverflow-job.html").read_bytes(), request=request
    )
    empty = HtmlResponse(request.url, body=b"<html><p>Filled</p></html>", request=request)

    [posting] = list(spider.parse_posting(real))
    [skip] = list(spider.parse_posting(empty))

    assert posting.kind == "jsonld" and posting.url == f"{BASE}/jobs/1?ref=x"
    assert posting.data["title"] == "Solution Engineer (M/F/X)"
    assert skip == PostingSkipped(
        "no_posting", f"no schema.org JobPosting found on {BASE}/jobs/1", f"{BASE}/jobs/1"
    )


def test_start_page_links_matching_allow_and_follow_are_crawled():
    spider = _jsonld(
        start_urls=[f"{BASE}/jobs"], allow=[r"/jobs/\d+$"], follow=[r"/jobs\?page=\d+$"]
    )
    page = (
        '<html><body><a href="/jobs/1">One</a><a href="/jobs/2">Two</a>'
        '<a href="/jobs?page=2">Next</a><a href="/about">About</a></body></html>'
    )

    items = list(spider.parse_listing_page(HtmlResponse(f"{BASE}/jobs", body=page.encode())))

    urls = [item.url for item in items if isinstance(item, Request)]
    assert urls == [f"{BASE}/jobs/1", f"{BASE}/jobs/2", f"{BASE}/jobs?page=2"]
    assert items[0] == PostingsFound(2)


def test_failures_are_named_for_the_counts():
    request = Request(f"{BASE}/jobs/1")
    response = TextResponse(request.url, status=404, request=request)
    not_found = Failure(HttpError(response))
    not_found.request = request
    server_error = Failure(HttpError(TextResponse(request.url, status=503, request=request)))
    server_error.request = request

    assert failure_reason(not_found)[0] == "not_found"
    assert failure_reason(server_error) == ("http_503", f"HTTP 503 for {BASE}/jobs/1")


def test_board_listing_with_raw_control_characters_and_bad_bytes_is_read():
    spider = _board("lever")
    body = (
        b'[{"id": "u1", "text": "Line\nbreak \xff\xfe engineer", "hostedUrl": "https://x.org/1"}]'
    )

    items = list(spider.parse_listing(TextResponse(spider.listing, body=body)))

    assert items[0] == PostingsFound(1)
    assert items[1].data["text"].startswith("Line\nbreak")


def test_page_in_a_wrong_encoding_still_yields_its_posting():
    spider = _jsonld()
    posting = {"@type": "JobPosting", "title": "Café manager", "hiringOrganization": "Zoë GmbH"}
    body = (
        '<html><head><meta charset="utf-8"><script type="application/ld+json">'
        + json.dumps(posting, ensure_ascii=False)
        + "</script></head></html>"
    ).encode("latin-1")
    request = Request(f"{BASE}/jobs/5", meta={"external_id": "5", "listed_url": f"{BASE}/jobs/5"})

    [item] = list(spider.parse_posting(HtmlResponse(request.url, body=body, request=request)))

    assert isinstance(item, RawPosting) and item.data["title"].endswith("manager")


def test_http_cache_is_for_remote_sites_only():
    policy = RemoteOnlyCachePolicy(Settings())

    assert policy.should_cache_request(Request("https://boards-api.greenhouse.io/v1/boards/x"))
    assert not policy.should_cache_request(Request("http://127.0.0.1:8000/demo-boards/x"))
    assert not policy.should_cache_request(Request("http://localhost:8000/demo-boards/x"))
