"""Downloader middlewares: retries that wait longer each time, robots.txt for every request,
redirects that end in an error instead of vanishing, and an HTTP cache policy for remote sites
only. `crawl.crawler_settings()` puts them in place of Scrapy's own.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.extensions.httpcache import DummyPolicy
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (RETRY_TIMES, RETRY_HTTP_CODES, timeouts and connection errors),
    waiting RETRY_BACKOFF seconds before the first retry, twice that before the second, and so
    on up to RETRY_BACKOFF_MAX, so a struggling server gets room to recover."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.backoff = settings.getfloat("RETRY_BACKOFF", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._pause(result)
        return result

    async def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._pause(result)
        return result

    async def _pause(self, retry: Request) -> None:
        attempt = int(retry.meta.get("retry_times", 1))
        delay = min(self.backoff * 2 ** (attempt - 1), self.backoff_max)
        if delay > 0:
            from twisted.internet import reactor  # the one Scrapy installed

            self.crawler.stats.inc_value("retry/backoff_seconds", delay)
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, fixed for requests that wait for the same robots.txt.

    Scrapy 2.19 lets every request that arrives while a host's robots.txt is downloading await
    one Deferred; the first awaiter consumes its result and the others get None, which means
    "allow everything", so the first burst of requests to a host ignored robots.txt. Here each
    waiter gets its own Deferred, fed from the shared one, and a failed robots.txt download
    releases the waiters instead of leaving them hanging.
    """

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            waiter: Deferred = Deferred()

            def relay(result: Any) -> Any:
                waiter.callback(result)
                return result

            pending.addBoth(relay)
            return await maybe_deferred_to_future(waiter)
        return await super().robot_parser(request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        pending = self._parsers.get(netloc)
        super()._robots_error(exc, netloc)
        if isinstance(pending, Deferred) and not pending.called:
            pending.callback(None)


class _RedirectsNotFiltered:
    """A redirect is exempt from the scheduler's duplicate filter.

    Scrapy gives a redirect its request's `dont_filter`, so a redirect to a URL the crawl already
    asked for (a redirect loop, or two listed URLs sharing one page) was dropped with neither
    callback nor errback: a start page lost that way left a crawl that looked complete and
    closed every posting of its source, and a posting page lost that way was closed as
    vanished. Exempt, a loop ends after REDIRECT_MAX_TIMES with IgnoreRequest, which reaches the
    errback and is counted (spiders.failure_reason: "too_many_redirects")."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request) and result is not request:
            result.dont_filter = True
        return result


class UnfilteredRedirectMiddleware(_RedirectsNotFiltered, RedirectMiddleware):
    """Scrapy's RedirectMiddleware (3xx), its redirects not filtered as duplicates."""


class UnfilteredMetaRefreshMiddleware(_RedirectsNotFiltered, MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware (<meta http-equiv="refresh">), likewise."""


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class RemoteOnlyCachePolicy(DummyPolicy):
    """Scrapy's DummyPolicy (cache every answer until HTTPCACHE_EXPIRATION_SECS), except for
    servers on this machine: the cache spares remote sites repeated crawls during development,
    while the demo boards and test servers are always read fresh."""

    def should_cache_request(self, request: Request) -> bool:
        host = (urlparse_cached(request).hostname or "").lower()
        return host not in LOCAL_HOSTS and super().should_cache_request(request)
