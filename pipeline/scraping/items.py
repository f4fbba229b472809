"""What the spiders yield to the item pipeline. Spiders read and parse; only the pipeline writes,
so every event of a crawl (a posting, an unreadable page, a failed listing) is an item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class RawPosting:
    """One posting as its source gave it: a board's job object, or a page's JobPosting."""

    kind: str
    data: Any
    url: str | None = None  # a page's URL as listed (JSON-LD); boards carry theirs in `data`
    page_description: str | None = None  # the page's description HTML when the posting has none


@dataclass
class PostingSkipped:
    """A listed posting that could not be read. With an `external_id` a stored posting stays
    alive, unless the reason says it is gone (not_found, no_posting)."""

    reason: str
    detail: str = ""
    external_id: str | None = None


@dataclass
class PostingsFound:
    """The listing named this many more postings (for the progress total)."""

    count: int


@dataclass
class ListingFailed:
    """A listing could not be read: the crawl is incomplete and will close nothing."""

    reason: str
    detail: str


@dataclass
class PostingsDeferred:
    """Listed postings left for a later crawl (over the source's max_pages): not read this
    time, and not closed either."""

    external_ids: list[str]
