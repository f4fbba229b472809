"""Run one crawl of one Source in this process, with Scrapy, into the ingest services.

Twisted's reactor starts once per process and cannot restart, so a process crawls once:
`manage.py crawl` calls `crawl_source`, and long-lived workers start that command in a child
process (`process.crawl_in_subprocess`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from scrapy import signals
from scrapy.crawler import CrawlerProcess

from pipeline.ingest import IngestResult, ingest_finish, ingest_start
from pipeline.models import Source
from pipeline.runs import RunProgress
from pipeline.scraping.config import source_config_validate
from pipeline.scraping.spiders import BoardSpider, JsonLdSpider

logger = logging.getLogger(__name__)

# Never cached: an error page cached in development would hide a recovered site.
UNCACHED_STATUSES = [401, 403, 404, 408, 410, 429, 500, 502, 503, 504, 522, 524]


class CrawlFailed(Exception):
    """The crawl did not complete (a listing failed, it timed out, an item could not be
    stored); nothing was closed. What was stored stays stored."""


def crawler_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Scrapy settings from the SCRAPE_* Django settings."""
    robots_agent = settings.SCRAPE_USER_AGENT.split("/")[0].split()[0]
    values = {
        "BOT_NAME": robots_agent,
        "USER_AGENT": settings.SCRAPE_USER_AGENT,
        "ROBOTSTXT_OBEY": settings.SCRAPE_OBEY_ROBOTS,
        "ROBOTSTXT_USER_AGENT": robots_agent,
        "AUTOTHROTTLE_ENABLED": settings.SCRAPE_AUTOTHROTTLE,
        "AUTOTHROTTLE_START_DELAY": settings.SCRAPE_AUTOTHROTTLE_START_DELAY,
        "AUTOTHROTTLE_MAX_DELAY": settings.SCRAPE_AUTOTHROTTLE_MAX_DELAY,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": settings.SCRAPE_AUTOTHROTTLE_TARGET_CONCURRENCY,
        "CONCURRENT_REQUESTS": max(16, settings.SCRAPE_CONCURRENCY_PER_DOMAIN),
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.SCRAPE_CONCURRENCY_PER_DOMAIN,
        "DOWNLOAD_DELAY": settings.SCRAPE_DOWNLOAD_DELAY,
        "DOWNLOAD_TIMEOUT": settings.SCRAPE_DOWNLOAD_TIMEOUT,
        "DNS_TIMEOUT": settings.SCRAPE_DOWNLOAD_TIMEOUT,
        "DOWNLOAD_MAXSIZE": settings.SCRAPE_MAX_LISTING_BYTES,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": settings.SCRAPE_RETRY_TIMES,
        "RETRY_BACKOFF": settings.SCRAPE_RETRY_BACKOFF,
        "RETRY_BACKOFF_MAX": settings.SCRAPE_RETRY_BACKOFF_MAX,
        "COOKIES_ENABLED": False,
        "HTTPCACHE_ENABLED": settings.SCRAPE_HTTP_CACHE,
        "HTTPCACHE_DIR": str(settings.SCRAPE_HTTP_CACHE_DIR),
        "HTTPCACHE_EXPIRATION_SECS": settings.SCRAPE_HTTP_CACHE_SECONDS,
        "HTTPCACHE_IGNORE_HTTP_CODES": UNCACHED_STATUSES,
        "HTTPCACHE_POLICY": "pipeline.scraping.middlewares.RemoteOnlyCachePolicy",
        "CLOSESPIDER_TIMEOUT": settings.SCRAPE_CRAWL_TIMEOUT,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "pipeline.scraping.middlewares.BackoffRetryMiddleware": 550,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "pipeline.scraping.middlewares.SharedRobotsTxtMiddleware": 100,
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
            "pipeline.scraping.middlewares.UnfilteredMetaRefreshMiddleware": 580,
            "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
            "pipeline.scraping.middlewares.UnfilteredRedirectMiddleware": 600,
        },
        "ITEM_PIPELINES": {"pipeline.scraping.pipelines.IngestPipeline": 300},
        # Django's ORM is synchronous: the default (non-asyncio) reactor runs it as is.
        "TWISTED_REACTOR": None,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOG_INSTALL_ROOT_HANDLER": False,
        "STATS_DUMP": False,
    }
    values.update(overrides or {})
    return values


def _quiet_scrapy(level: str) -> None:
    for name in ("scrapy", "scrapy.utils.log", "scrapy.crawler", "twisted", "protego"):
        logging.getLogger(name).setLevel(level)


def _spider_for(source: Source, config: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    if source.kind == Source.Kind.JSONLD:
        return JsonLdSpider, {
            "config": config,
            "max_pages": settings.SCRAPE_MAX_PAGES,
            "max_page_bytes": settings.SCRAPE_MAX_PAGE_BYTES,
            "max_listing_bytes": settings.SCRAPE_MAX_LISTING_BYTES,
        }
    return BoardSpider, {
        "kind": source.kind,
        "config": config,
        "max_listing_bytes": settings.SCRAPE_MAX_LISTING_BYTES,
    }


def crawl_source(
    *,
    source: Source,
    progress: RunProgress | None = None,
    scrapy_settings: dict[str, Any] | None = None,
) -> IngestResult:
    """Crawl `source` once, storing what it lists, and close what vanished when the crawl
    completed. Raise ValidationError for a bad config, CrawlFailed for an incomplete crawl
    (after storing what was read). Once per process (Twisted's reactor)."""
    config = source_config_validate(kind=source.kind, config=source.config)
    session = ingest_start(source=source, progress=progress, config=config)
    spider_class, spider_kwargs = _spider_for(source, config)
    values = crawler_settings(scrapy_settings)
    # Scrapy's logging set-up puts its loggers at DEBUG (every item would be logged); Django's
    # handlers stay in charge, with Scrapy's own loggers at LOG_LEVEL.
    _quiet_scrapy(values["LOG_LEVEL"])
    process = CrawlerProcess(values)
    _quiet_scrapy(values["LOG_LEVEL"])
    crawler = process.create_crawler(spider_class)
    outcome: dict[str, Any] = {}

    def spider_closed(spider, reason: str) -> None:
        outcome["reason"] = reason

    def spider_error(failure, response, spider) -> None:
        session.failures.append(f"spider error on {response.url}: {failure.getErrorMessage()}")

    crawler.signals.connect(spider_closed, signal=signals.spider_closed)
    crawler.signals.connect(spider_error, signal=signals.spider_error)
    process.crawl(crawler, ingest=session, **spider_kwargs)
    process.start()

    reason = outcome.get("reason", "not started")
    if reason != "finished":
        session.failures.append(f"the crawl stopped early ({reason})")
    stats = crawler.stats
    if progress is not None:
        progress.count("requests", int(stats.get_value("downloader/request_count", 0)))
        if retries := int(stats.get_value("retry/count", 0)):
            progress.count("retries", retries)
        if forbidden := int(stats.get_value("robotstxt/forbidden", 0)):
            progress.count("robots_forbidden", forbidden)
    result = ingest_finish(session=session, complete=session.complete)
    if not result.complete:
        raise CrawlFailed("crawl incomplete, nothing closed: " + "; ".join(result.failures[:5]))
    return result
