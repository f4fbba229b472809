"""Timing pages from a single in-process client (Django's test client), shared by the page
benchmarks: warm-up requests, then timed ones, p50/p95/max and the queries of one request."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

WARM_UP = 3


@dataclass(frozen=True)
class PageFigures:
    p50: float
    p95: float
    max: float
    queries: int


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, round(q * len(sorted_values)) - 1)]


def measure_pages(
    client: Client, name: str, urls: list[str], requests: int, *, warm_up: list[str] | None = None
) -> PageFigures:
    """Ask `warm_up` (default: the first URL, WARM_UP times), then `requests` requests going
    through `urls` in turn; print and return the figures. Any answer but 200 stops the run."""
    for url in warm_up if warm_up is not None else [urls[0]] * WARM_UP:
        _get(client, name, url)
    with CaptureQueriesContext(connection) as queries:
        _get(client, name, urls[0])
    query_count = len(queries)  # now: the next request clears the connection's query log
    timings = []
    for index in range(requests):
        started = time.perf_counter()
        _get(client, name, urls[index % len(urls)])
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    figures = PageFigures(
        p50=statistics.median(timings),
        p95=percentile(timings, 0.95),
        max=timings[-1],
        queries=query_count,
    )
    print(
        f"{name:<44} p50 {figures.p50:7.1f} ms  p95 {figures.p95:7.1f} ms  "
        f"max {figures.max:7.1f} ms  {figures.queries:3d} queries",
        flush=True,
    )
    return figures


def _get(client: Client, name: str, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{name}: {url} answered {response.status_code}")
