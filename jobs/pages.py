"""The public job board: search, job pages, feed, sitemap and robots.txt.

Every state of the board lives in the query string (q, sort, page and the filters), so a search
can be shared, bookmarked and paged without JavaScript. `search_jobs` validates it: a bad
parameter is named in an inline message and left out, and the search runs without it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlencode
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from jobs import jsonld, selectors
from jobs.models import Job
from jobs.search import MAX_QUERY_LENGTH, SORTS, JobSearchResult, search_jobs
from jobs.services import search_click_record, search_query_log

PAGE_SIZE = 20
SITEMAP_SECTION_SIZE = 10_000  # ids per sitemap section: never more URLs than this in one
FEED_SIZE = 50
SITE_NAME = "Recruitment"

SORT_LABELS = {"relevance": "Best match", "newest": "Newest", "salary": "Highest salary"}
# The board's filters: query parameter, facet name, legend, several values or one.
FILTERS = (
    ("remote", "remote", "Work place", True),
    ("employment_type", "employment_type", "Employment type", True),
    ("seniority", "seniority", "Seniority", True),
    ("salary_min", "salary", "Salary", False),
    ("posted_within_days", "posted_within_days", "Posted", False),
    ("country", "country", "Country", True),
    ("company", "company", "Company", True),
    ("skills", "skills", "Skills", True),
)
FACET_SHOWN = 8  # values shown before "More"
FACET_MAX = 40  # values listed at most (the most frequent, and any selected)
# What each parameter is called on the page, in messages about it.
PARAMETER_LABELS = {
    "q": "Search",
    "sort": "Sort",
    "page": "Page",
    **{param: legend for param, _, legend, _ in FILTERS},
}
_SERVICE_NAMES = {"query": "q"}  # search_jobs' argument → the board's parameter


# --- The board --------------------------------------------------------------------------------


@dataclass
class _BoardState:
    path: str
    q: str
    sort: str
    page: str
    filters: dict[str, list[str] | str]

    def pairs(self, **changes) -> list[tuple[str, str]]:
        """The state as query parameters (defaults left out), with `changes` applied."""
        values = {"q": self.q, "sort": self.sort, "page": self.page, **self.filters, **changes}
        out = []
        for name, value in values.items():
            if name == "sort" and value == "relevance":
                continue
            if name == "page" and str(value) == "1":
                continue
            for item in value if isinstance(value, list) else [value]:
                if item not in ("", None):
                    out.append((name, str(item)))
        return out

    def url(self, **changes) -> str:
        pairs = self.pairs(**changes)
        return f"{self.path}?{urlencode(pairs)}" if pairs else self.path


def _board_state(path: str, data: QueryDict) -> _BoardState:
    filters: dict[str, list[str] | str] = {}
    for param, _, _, many in FILTERS:
        if many:
            filters[param] = [value for value in data.getlist(param) if value.strip()]
        else:
            filters[param] = data.get(param, "").strip()
    return _BoardState(
        path=path,
        q=data.get("q", ""),
        sort=data.get("sort", "relevance") or "relevance",
        page=data.get("page", "1") or "1",
        filters=filters,
    )


def _search(state: _BoardState) -> tuple[JobSearchResult, dict[str, list[str]]]:
    """Search; a parameter the service refuses is reported and dropped, and the search run
    again without it."""
    errors: dict[str, list[str]] = {}
    # The service reports its refusals in stages (words and sort, then the page, then the
    # filters): each attempt drops what it refused, so one per parameter is enough.
    for _ in range(len(state.filters) + 4):
        try:
            result = search_jobs(
                query=state.q,
                filters={name: value for name, value in state.filters.items() if value},
                sort=state.sort,
                page=state.page,
                page_size=PAGE_SIZE,
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                param = _SERVICE_NAMES.get(name, name)
                errors.setdefault(param, []).extend(messages)
                if param == "q":  # too long: search with its beginning
                    state.q = " ".join(state.q.split())[:MAX_QUERY_LENGTH]
                elif param == "sort":
                    state.sort = "relevance"
                elif param in ("page", "page_size"):
                    state.page = "1"
                elif param in state.filters:
                    state.filters[param] = [] if isinstance(state.filters[param], list) else ""
            continue
        return result, errors
    raise ValidationError(errors)  # the service refused its own defaults: a bug, not input


def _facet_groups(state: _BoardState, result: JobSearchResult, errors) -> list[dict]:
    groups = []
    for param, facet_name, legend, many in FILTERS:
        facet = result.facets.get(facet_name)
        if facet is None:
            continue
        values = [
            {
                "value": value.value,
                "label": value.label,
                "count": f"{value.count:,}",
                "approximate": facet.approximate,
                "selected": value.selected,
                "id": f"f-{param}-{index}",
            }
            for index, value in enumerate(facet.values)
            if value.count or value.selected
        ]
        # Thousands of companies may match: list the most frequent (facets come sorted by
        # count) and keep any selected one.
        values = [v for i, v in enumerate(values) if i < FACET_MAX or v["selected"]]
        if not values:
            continue
        groups.append(
            {
                "param": param,
                "legend": legend,
                "many": many,
                "shown": values[:FACET_SHOWN],
                "more": values[FACET_SHOWN:],
                "more_selected": any(v["selected"] for v in values[FACET_SHOWN:]),
                "none_selected": not any(v["selected"] for v in values),
                "errors": errors.get(param, []),
            }
        )
    return groups


def _active_filters(state: _BoardState, result: JobSearchResult) -> list[dict]:
    """Each filter value in force, with the URL of the same search without it."""
    labels: dict[tuple[str, str], str] = {}
    for param, facet_name, _, _ in FILTERS:
        facet = result.facets.get(facet_name)
        for value in facet.values if facet else ():
            labels[param, value.value] = value.label
    active = []
    for param, _, legend, many in FILTERS:
        current = state.filters[param]
        for value in current if many else [current] if current else []:
            rest = [v for v in current if v != value] if many else ""
            active.append(
                {
                    "legend": legend,
                    "label": labels.get((param, value), value),
                    "url": state.url(page="1", **{param: rest}),
                }
            )
    return active


def _pages(state: _BoardState, result: JobSearchResult) -> list[dict]:
    last = result.num_pages
    wanted = {1, last, *range(result.page - 2, result.page + 3)}
    pages, previous = [], 0
    for number in sorted(n for n in wanted if 1 <= n <= last):
        if number > previous + 1:
            pages.append({"gap": True})
        pages.append(
            {"number": number, "url": state.url(page=number), "current": number == result.page}
        )
        previous = number
    return pages


@require_safe
def board(request: HttpRequest) -> HttpResponse:
    state = _board_state(request.path, request.GET)
    typed = state.q
    result, errors = _search(state)
    if not result.results and result.total and result.page > result.num_pages:
        # A page past the end (an old bookmark, a hand-made URL): show the last one.
        errors.setdefault("page", []).append(
            f"This search has {result.num_pages} page{pluralize(result.num_pages)}; "
            "here is the last."
        )
        state.page = str(result.num_pages)
        result, _ = _search(state)
    logged = None
    if result.query and result.page == 1:
        session_key = request.session.session_key
        logged = search_query_log(result=result, user=request.user, session_key=session_key)
    state.page = str(result.page)
    cards = [
        {
            "hit": hit,
            # A result opened from a logged search says so, for the click-through analytics.
            "url": hit.job.get_absolute_url()
            + (f"?{urlencode({'search': logged.pk, 'position': hit.position})}" if logged else ""),
            "place": job_place(hit.job),
            "salary": hit.job.salary_display,
        }
        for hit in result.results
    ]
    context = {
        "nav": "jobs",
        "q": typed,
        "state": state,
        "result": result,
        "errors": errors,
        "error_items": [(PARAMETER_LABELS.get(k, k), m) for k, ms in errors.items() for m in ms],
        "cards": cards,
        "total": f"about {result.total:,}" if not result.total_is_exact else f"{result.total:,}",
        "sorts": [(value, SORT_LABELS[value]) for value in SORTS],
        "facet_groups": _facet_groups(state, result, errors),
        "active_filters": _active_filters(state, result),
        "clear_url": state.url(**{param: [] if many else "" for param, _, _, many in FILTERS}),
        "did_you_mean_url": (
            state.url(q=result.did_you_mean, page="1") if result.did_you_mean else None
        ),
        "corrected": result.query_used != result.query,
        "pages": _pages(state, result) if result.num_pages > 1 else [],
        "previous_url": state.url(page=result.page - 1) if result.page > 1 else None,
        "next_url": state.url(page=result.page + 1) if result.has_next else None,
    }
    return render(request, "jobs/board.html", context)


# --- The job page -----------------------------------------------------------------------------


def job_place(job: Job) -> str:
    place = ", ".join(part for part in (job.city, job.region, job.country) if part)
    if job.remote == Job.Remote.REMOTE:
        return f"Remote ({place})" if place else "Remote"
    if job.remote == Job.Remote.HYBRID:
        return f"Hybrid · {place}" if place else "Hybrid"
    return place


def _summary(job: Job, length: int = 200) -> str:
    text = " ".join(job.description_text.split())
    if not text:
        return f"{job.title} at {job.company.name}"
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"


@require_safe
def job_detail(request: HttpRequest, company_slug: str, slug: str) -> HttpResponse:
    try:
        job = selectors.job_public_get(company_slug=company_slug, slug=slug)
    except Job.DoesNotExist:
        gone = selectors.job_public_gone(company_slug=company_slug, slug=slug)
        if gone is None:
            raise Http404("No such job.") from None
        search_url = reverse("job-board") + "?" + urlencode({"q": gone.title})
        context = {"nav": "jobs", "job": gone, "search_url": search_url}
        return render(request, "jobs/job_gone.html", context, status=410)

    _record_click(request, job)
    skills = selectors.job_public_skills(job=job)
    job.skill_names = [job_skill.skill.name for job_skill in skills]
    url = settings.SITE_URL + request.path
    applies_here = job.applies_here
    external = job.external_url if job.external_url.startswith(("https://", "http://")) else ""
    similar = selectors.job_similar_list(job=job)
    context = {
        "nav": "jobs",
        "job": job,
        "canonical_url": url,
        "summary": _summary(job),
        "place": job_place(job),
        "salary": job.salary_display,
        "required_skills": [s.skill for s in skills if s.required],
        "nice_skills": [s.skill for s in skills if not s.required],
        "apply_url": reverse("job-apply", kwargs={"company_slug": company_slug, "slug": slug})
        if applies_here
        else "",
        "external_url": "" if applies_here else external,
        "jsonld": jsonld.as_script(jsonld.job_posting(job, url=url)),
        "similar": [
            {"job": other, "url": other.get_absolute_url(), "place": job_place(other)}
            for other in similar
        ],
        "site_name": SITE_NAME,
    }
    return render(request, "jobs/job_detail.html", context)


def _record_click(request: HttpRequest, job: Job) -> None:
    """Record that the job was opened from a search's results (?search=id&position=n); a
    link that is not one is ignored, as it only feeds analytics."""
    search_id, position = request.GET.get("search", ""), request.GET.get("position", "")
    if not (re.fullmatch(r"[0-9]{1,18}", search_id) and re.fullmatch(r"[0-9]{1,9}", position)):
        return
    logged = selectors.search_query_get(pk=int(search_id))
    if logged is None:
        return
    try:
        search_click_record(
            search=logged,
            job=job,
            position=min(int(position), 32_767),
            session_key=request.session.session_key,
        )
    except (PermissionDenied, ValidationError):
        pass  # another session's search, or position 0: not a click to count


# --- Feed, sitemap, robots.txt ----------------------------------------------------------------


@require_safe
@cache_control(public=True, max_age=600)
def feed(request: HttpRequest) -> HttpResponse:
    feed = Atom1Feed(
        title=f"New jobs · {SITE_NAME}",
        link=settings.SITE_URL + reverse("job-board"),
        description="The newest open jobs.",
        feed_url=settings.SITE_URL + reverse("job-feed"),
        language="en",
    )
    for job in selectors.job_feed_list(limit=FEED_SIZE):
        url = settings.SITE_URL + job.get_absolute_url()
        place = job_place(job)
        feed.add_item(
            title=f"{job.title} at {job.company.name}",
            link=url,
            unique_id=url,
            description=html.escape(f"{place}. {_summary(job)}" if place else _summary(job)),
            pubdate=job.published_at,
            updateddate=job.updated_at,
            author_name=job.company.name,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response


def _w3c(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


_SITEMAP_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


@require_safe
@cache_control(public=True, max_age=3600)
def sitemap(request: HttpRequest) -> HttpResponse:
    """The sitemap index: the board's sitemap, and one per section of open jobs."""
    entries = [f"<sitemap><loc>{xml_escape(settings.SITE_URL + reverse('sitemap-board'))}</loc>"]
    entries[0] += "</sitemap>"
    for section, lastmod in selectors.job_sitemap_sections(size=SITEMAP_SECTION_SIZE):
        loc = settings.SITE_URL + reverse("sitemap-jobs", kwargs={"section": section})
        entries.append(
            f"<sitemap><loc>{xml_escape(loc)}</loc><lastmod>{_w3c(lastmod)}</lastmod></sitemap>"
        )
    body = f"{_SITEMAP_HEAD}<sitemapindex {_SITEMAP_NS}>\n" + "\n".join(entries)
    return HttpResponse(body + "\n</sitemapindex>\n", content_type="application/xml")


def _urlset(rows: list[str]) -> HttpResponse:
    body = f"{_SITEMAP_HEAD}<urlset {_SITEMAP_NS}>\n" + "\n".join(rows) + "\n</urlset>\n"
    return HttpResponse(body, content_type="application/xml")


@require_safe
@cache_control(public=True, max_age=3600)
def sitemap_board(request: HttpRequest) -> HttpResponse:
    loc = xml_escape(settings.SITE_URL + reverse("job-board"))
    return _urlset([f"<url><loc>{loc}</loc><changefreq>hourly</changefreq></url>"])


@require_safe
@cache_control(public=True, max_age=3600)
def sitemap_jobs(request: HttpRequest, section: int) -> HttpResponse:
    rows = selectors.job_sitemap_entries(section=section, size=SITEMAP_SECTION_SIZE)
    if not rows:
        raise Http404("No open jobs in this section.")
    urls = []
    for company_slug, slug, updated_at in rows:
        path = reverse("job-detail", kwargs={"company_slug": company_slug, "slug": slug})
        loc = xml_escape(settings.SITE_URL + path)
        urls.append(f"<url><loc>{loc}</loc><lastmod>{_w3c(updated_at)}</lastmod></url>")
    return _urlset(urls)


@require_safe
@cache_control(public=True, max_age=3600)
def robots(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Allow: /",
        "Allow: /jobs/",
        "Disallow: /jobs/*/apply/",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /me/",
        "Disallow: /accounts/",
        "",
        f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
