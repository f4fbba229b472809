"""The Scrapy item pipeline: each item of a crawl into the ingest services."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from pipeline.ingest import (
    IngestSession,
    ingest_deferred,
    ingest_found,
    ingest_listing_failed,
    ingest_posting,
    ingest_skip,
)
from pipeline.scraping.formats import PostingInvalid, posting_parse, raw_external_id
from pipeline.scraping.items import (
    ListingFailed,
    PostingsDeferred,
    PostingsFound,
    PostingSkipped,
    RawPosting,
)

logger = logging.getLogger(__name__)


class IngestPipeline:
    """Parse each RawPosting (formats.py) and store it (ingest.py); count skips and failures.

    The crawl's IngestSession is the spider's `ingest` attribute (set by `crawl.crawl_source`).
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        return cls(crawler)

    @property
    def session(self) -> IngestSession:
        return self.crawler.spider.ingest

    def process_item(self, item: Any) -> Any:
        session = self.session
        try:
            if isinstance(item, RawPosting):
                self._posting(session, item)
            elif isinstance(item, PostingSkipped):
                ingest_skip(
                    session=session,
                    reason=item.reason,
                    detail=item.detail,
                    external_id=item.external_id,
                )
            elif isinstance(item, PostingsFound):
                ingest_found(session=session, n=item.count)
            elif isinstance(item, PostingsDeferred):
                ingest_deferred(session=session, external_ids=item.external_ids)
            elif isinstance(item, ListingFailed):
                ingest_listing_failed(session=session, reason=item.reason, detail=item.detail)
        except Exception as exc:
            # A database error, or a bug: this item is not stored, so the crawl must not close
            # anything as vanished. Scrapy logs the error and carries on with the next item.
            session.failures.append(f"item not stored: {type(exc).__name__}: {exc}")
            raise
        return item

    def _posting(self, session: IngestSession, item: RawPosting) -> None:
        try:
            posting = posting_parse(
                item.kind,
                item.data,
                taxonomy=session.taxonomy,
                url=item.url,
                page_description=item.page_description,
            )
        except PostingInvalid as exc:
            ingest_skip(
                session=session, reason=exc.reason, detail=exc.detail, external_id=exc.external_id
            )
            return
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # Input shaped in a way no parser expected: one logged, counted skip.
            logger.warning("unreadable %s posting skipped", item.kind, exc_info=True)
            ingest_skip(
                session=session,
                reason="malformed_item",
                detail=f"{type(exc).__name__}: {exc}",
                external_id=raw_external_id(item.kind, item.data, item.url),
            )
            return
        ingest_posting(session=session, posting=posting, raw=item.data)
