"""Fixtures for the pipeline's crawl tests: a local board server and the crawl's environment."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# Smaller than the real pages' 215 KB at most, so a page of a few hundred KB is "huge".
MAX_PAGE_BYTES = 300_000
USER_AGENT = "RecruitmentBot/1.0 (job postings; +https://jobs.example.org/bot)"


@dataclass
class Route:
    body: bytes
    content_type: str = "application/json"
    status: int = 200
    # Statuses to answer before the normal one, once each (e.g. [503] for one failure).
    first: list[int] = field(default_factory=list)
    delay: float = 0.0  # seconds before answering


class BoardServer:
    """A threaded HTTP server on 127.0.0.1:<free port> serving `routes` (path with query →
    Route) and recording every request as (path, user agent)."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append((self.path, self.headers.get("User-Agent", "")))
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                if route is None:
                    self._send(404, b"not found", "text/plain")
                elif route.delay:
                    time.sleep(route.delay)
                    self._send(route.status, route.body, route.content_type)
                elif route.first:
                    self._send(route.first.pop(0), b"try again later", "text/plain")
                else:
                    self._send(route.status, route.body, route.content_type)

            def _send(self, status, body, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def json(self, path: str, data, **kwargs) -> None:
        self.routes[path] = Route(json.dumps(data).encode(), **kwargs)

    def html(self, path: str, body: bytes | str, **kwargs) -> None:
        body = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(body, "text/html; charset=utf-8", **kwargs)

    def text(self, path: str, body: str) -> None:
        self.routes[path] = Route(body.encode(), "text/plain")

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    board = BoardServer()
    board.text("/robots.txt", "User-agent: *\nDisallow: /private/\n")
    yield board
    board.close()


@pytest.fixture
def crawl_environment(monkeypatch):
    """The child crawl inherits this: no HTTP cache, no politeness delays (a local server),
    quick retries, a small page cap."""
    for name, value in {
        "DEBUG": "1",
        "SCRAPE_HTTP_CACHE": "0",
        "SCRAPE_AUTOTHROTTLE": "0",
        "SCRAPE_DOWNLOAD_DELAY": "0",
        "SCRAPE_RETRY_BACKOFF": "0.1",
        "SCRAPE_DOWNLOAD_TIMEOUT": "15",
        "SCRAPE_MAX_PAGE_BYTES": str(MAX_PAGE_BYTES),
        "SCRAPE_USER_AGENT": USER_AGENT,
    }.items():
        monkeypatch.setenv(name, value)
