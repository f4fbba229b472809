"""The demo boards: local copies of the Greenhouse, Lever and Ashby APIs and of a career site
with JSON-LD pages, so the demo's sources can be crawled without the internet. DEBUG only:
with DEBUG off every URL here is a 404."""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

DEMO_BOARDS = Path(__file__).resolve().parent / "demo_boards"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def _demo_path(*parts: str) -> Path:
    """A file or folder of the bundled demo boards; 404 unless DEBUG and it exists."""
    if not settings.DEBUG:
        raise Http404("The demo boards exist only in development (DEBUG).")
    names = [Path(part).stem for part in parts[1:]]
    if not all(_NAME.match(name) for name in names):
        raise Http404("No such demo board.")
    path = DEMO_BOARDS.joinpath(*parts)
    if not path.exists():
        raise Http404("No such demo board.")
    return path


def _json(*parts: str) -> FileResponse:
    return FileResponse(_demo_path(*parts).open("rb"), content_type="application/json")


@require_safe
def greenhouse_jobs(request: HttpRequest, board: str) -> FileResponse:
    """GET {base}/v1/boards/{board}/jobs?content=true"""
    return _json("greenhouse", f"{board}.json")


@require_safe
def lever_postings(request: HttpRequest, site: str) -> FileResponse:
    """GET {base}/v0/postings/{site}?mode=json"""
    return _json("lever", f"{site}.json")


@require_safe
def ashby_job_board(request: HttpRequest, board: str) -> FileResponse:
    """GET {base}/posting-api/job-board/{board}?includeCompensation=true"""
    return _json("ashby", f"{board}.json")


@require_safe
def careers_sitemap(request: HttpRequest, site: str) -> HttpResponse:
    """A sitemap of the site's job pages, with absolute URLs on the host that serves it."""
    folder = _demo_path("careers", site, "jobs")
    urls = "".join(
        "<url><loc>{}</loc></url>".format(
            escape(
                request.build_absolute_uri(
                    reverse("demo-boards-careers-job", args=[site, page.stem])
                )
            )
        )
        for page in sorted(folder.glob("*.html"))
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )
    return HttpResponse(body, content_type="application/xml")


@require_safe
def careers_job(request: HttpRequest, site: str, slug: str) -> FileResponse:
    page = _demo_path("careers", site, "jobs", f"{slug}.html")
    return FileResponse(page.open("rb"), content_type="text/html; charset=utf-8")
