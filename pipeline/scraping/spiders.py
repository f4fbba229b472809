"""The spiders: they fetch and find postings, and yield items (`items.py`). Parsing a format
lives in `formats.py` and `postings.py`; writing lives in `pipeline/ingest.py`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import scrapy
from lxml import etree
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from pipeline.scraping.config import listing_url
from pipeline.scraping.formats import PostingInvalid, json_loads, listing_jobs, page_external_id
from pipeline.scraping.items import (
    ListingFailed,
    PostingsDeferred,
    PostingsFound,
    PostingSkipped,
    RawPosting,
)
from pipeline.scraping.postings import (
    Page,
    PageTooLarge,
    PostingNotFound,
    PostingUnreadable,
    posting_find,
)


def failure_reason(failure: Failure) -> tuple[str, str]:
    """A failed request as (reason, one line): not_found, http_503, timeout, robots,
    too_many_redirects, too_large, dns, connection_refused, download_error."""
    error = failure.value
    if failure.check(HttpError):
        status = error.response.status
        reason = "not_found" if status in (404, 410) else f"http_{status}"
        return reason, f"HTTP {status} for {error.response.url}"
    request = getattr(failure, "request", None)
    url = request.url if request is not None else "?"
    if failure.check(IgnoreRequest) and "robots" in str(error).lower():
        return "robots", f"{url} is disallowed by robots.txt"
    if failure.check(IgnoreRequest) and "redirection" in str(error).lower():
        return "too_many_redirects", f"{url}: {error}"
    named = (
        (DownloadCancelledError, "too_large"),  # over DOWNLOAD_MAXSIZE / download_maxsize
        (DownloadTimeoutError, "timeout"),
        (CannotResolveHostError, "dns"),
        (DownloadConnectionRefusedError, "connection_refused"),
    )
    for kind, reason in named:
        if failure.check(kind):
            # A download cancelled for its size carries no message of its own.
            message = str(error) or ("over the size cap" if reason == "too_large" else reason)
            return reason, f"{url}: {message}"
    message = f": {error}" if str(error) else ""
    return "download_error", f"{url}: {type(error).__name__}{message}"


class BoardSpider(scrapy.Spider):
    """Greenhouse, Lever and Ashby: one JSON listing holds every posting of the board."""

    name = "board"

    def __init__(self, *, kind: str, config: dict[str, Any], max_listing_bytes: int, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind
        self.listing = listing_url(kind=kind, config=config)
        self.max_listing_bytes = max_listing_bytes

    async def start(self):
        yield scrapy.Request(
            self.listing,
            callback=self.parse_listing,
            errback=self.listing_failed,
            headers={"Accept": "application/json"},
            meta={"download_maxsize": self.max_listing_bytes},
            dont_filter=True,
        )

    def parse_listing(self, response: Response) -> Iterator[Any]:
        try:
            jobs = listing_jobs(self.kind, json_loads(response.body))
        except PostingInvalid as exc:
            yield ListingFailed(exc.reason, f"{response.url}: {exc.detail}")
            return
        except ValueError as exc:
            yield ListingFailed("invalid_json", f"{response.url}: {exc}")
            return
        yield PostingsFound(len(jobs))
        for job in jobs:
            yield RawPosting(kind=self.kind, data=job)

    def listing_failed(self, failure: Failure) -> Iterator[Any]:
        reason, detail = failure_reason(failure)
        yield ListingFailed(reason, detail)


class JsonLdSpider(scrapy.Spider):
    """Career pages: postings from sitemaps (or robots.txt Sitemap lines) and from links on the
    start pages matching `allow`; `follow` links are more listing pages (pagination).

    A listing (sitemap, start page, followed page) that fails makes the crawl incomplete; a
    posting page that fails is a skip that keeps its stored posting alive.
    """

    name = "jsonld"

    def __init__(
        self,
        *,
        config: dict[str, Any],
        max_pages: int,
        max_page_bytes: int,
        max_listing_bytes: int,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.start_pages = list(config.get("start_urls") or [])
        self.sitemaps = list(config.get("sitemap_urls") or [])
        self.allow = [re.compile(p) for p in config.get("allow") or []]
        self.follow = list(config.get("follow") or [])
        self.max_pages = min(int(config.get("max_pages") or max_pages), max_pages)
        self.max_page_bytes = max_page_bytes
        self.max_listing_bytes = max_listing_bytes
        self.postings_seen: set[str] = set()
        self.requested = 0

    async def start(self):
        for url in self.sitemaps:
            yield self._listing_request(url, self.parse_sitemap)
        for url in self.start_pages:
            yield self._listing_request(url, self.parse_listing_page)

    def _listing_request(self, url: str, callback) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.listing_failed,
            meta={"download_maxsize": self.max_listing_bytes},
        )

    def _posting_requests(self, urls: list[str]) -> Iterator[Any]:
        """Requests for posting pages not asked for yet, up to max_pages."""
        new, deferred = [], []
        for url in urls:
            external_id = page_external_id(url)
            if external_id in self.postings_seen:
                continue
            self.postings_seen.add(external_id)
            if len(new) + self.requested >= self.max_pages:
                deferred.append(external_id)
            else:
                new.append((url, external_id))
        self.requested += len(new)
        if deferred:
            yield PostingsDeferred(deferred)
        if new:
            yield PostingsFound(len(new))
        for url, external_id in new:
            yield scrapy.Request(
                url,
                callback=self.parse_posting,
                errback=self.posting_failed,
                meta={
                    "download_maxsize": self.max_page_bytes,
                    "listed_url": url,
                    "external_id": external_id,
                },
            )

    def _allowed(self, url: str) -> bool:
        return not self.allow or any(pattern.search(url) for pattern in self.allow)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        body = response.body
        if response.url.rstrip("/").endswith("/robots.txt"):
            for url in sitemap_urls_from_robots(body, base_url=response.url):
                yield self._listing_request(url, self.parse_sitemap)
            return
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=self.max_listing_bytes)
            except (OSError, EOFError, ValueError) as exc:
                yield ListingFailed("invalid_sitemap", f"{response.url}: cannot gunzip ({exc})")
                return
        try:
            sitemap = Sitemap(body)
        except (etree.XMLSyntaxError, StopIteration, ValueError) as exc:
            yield ListingFailed("invalid_sitemap", f"{response.url}: not a sitemap ({exc})")
            return
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                yield self._listing_request(response.urljoin(entry["loc"]), self.parse_sitemap)
        elif sitemap.type == "urlset":
            urls = [response.urljoin(entry["loc"]) for entry in sitemap]
            yield from self._posting_requests([url for url in urls if self._allowed(url)])
        else:
            yield ListingFailed("invalid_sitemap", f"{response.url}: not a sitemap")

    def parse_listing_page(self, response: Response) -> Iterator[Any]:
        """A start or followed page: maybe a posting itself; its links lead to more."""
        if not hasattr(response, "text"):
            yield ListingFailed("not_html", f"{response.url} is not a page")
            return
        try:
            found = posting_find(self._page(response), max_bytes=self.max_listing_bytes)
        except PostingNotFound:
            found = None
        except PageTooLarge as exc:
            yield ListingFailed("too_large", str(exc))
            return
        if found is not None:
            listed_url = response.meta.get("redirect_urls", [response.url])[0]
            external_id = page_external_id(listed_url)
            if external_id not in self.postings_seen:
                self.postings_seen.add(external_id)
                self.requested += 1
                yield PostingsFound(1)
                yield RawPosting("jsonld", found.data, listed_url, found.page_description)
        if self.allow:
            links = LinkExtractor(allow=[p.pattern for p in self.allow]).extract_links(response)
            yield from self._posting_requests([link.url for link in links])
        if self.follow:
            for link in LinkExtractor(allow=self.follow).extract_links(response):
                yield self._listing_request(link.url, self.parse_listing_page)

    def parse_posting(self, response: Response) -> Iterator[Any]:
        external_id = response.meta["external_id"]
        listed_url = response.meta["listed_url"]
        try:
            found = posting_find(self._page(response), max_bytes=self.max_page_bytes)
        except PageTooLarge as exc:
            yield PostingSkipped("too_large", str(exc), external_id)
            return
        except PostingUnreadable as exc:
            yield PostingSkipped("broken_jsonld", str(exc), external_id)
            return
        except PostingNotFound as exc:
            yield PostingSkipped("no_posting", str(exc), external_id)
            return
        yield RawPosting("jsonld", found.data, listed_url, found.page_description)

    def posting_failed(self, failure: Failure) -> Iterator[Any]:
        reason, detail = failure_reason(failure)
        yield PostingSkipped(reason, detail, failure.request.meta.get("external_id"))

    def listing_failed(self, failure: Failure) -> Iterator[Any]:
        reason, detail = failure_reason(failure)
        yield ListingFailed(reason, detail)

    def _page(self, response: Response) -> Page:
        content_type = response.headers.get("Content-Type")
        return Page(
            body=response.body,
            url=response.url,
            content_type=content_type.decode("latin-1") if content_type else None,
            name=response.url,
        )
