"""Every URL pattern of the site, requested by people who must not get in.

The sweep walks `get_resolver().url_patterns` (admin, API, allauth, pages, provider webhooks,
demo boards), builds a concrete URL for each pattern from real rows (a company with an open
job, an application, a stored document, an interview, a scorecard, an offer, a note, a
webhook endpoint and delivery, a match, a notification...), and asks:

- anonymous GET and POST: 2xx only for the explicit `PUBLIC` allow-list below; everything else
  answers a redirect to a login page, or 401/403/404/405 (400 only where a signature or basic
  auth is what refuses, `SIGNED`);
- a signed-in candidate with no membership, everywhere: 2xx only for public URLs, their own
  pages (`me/...` without another person's object) and the API's own-data reads (`OWN_API`);
- a hiring manager of company A over company B's object URLs (admin and API, every method):
  never 2xx.

POSTs carry no data and no CSRF token, from a client that does not enforce CSRF: a view's own
permission check must refuse them, not the CSRF middleware (a CSRF 403 would hide a missing
check). A pattern the sweep cannot build must be listed in `UNBUILDABLE` with the reason; any
other pattern it cannot build fails the test, so a new URL cannot slip past unswept.
"""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, IntervalSchedule, SolarSchedule

from accounts.mail import UNSUBSCRIBABLE, unsubscribe_token_make
from accounts.models import Notification, PushSubscription, Role
from accounts.services import membership_set
from accounts.tests.factories import CandidateProfileFactory, CompanyFactory, UserFactory
from accounts.webhooks import webhook_endpoint_create, webhook_ping
from applications.models import Document, Interview, Note, Offer, Scorecard
from applications.services import application_submit
from jobs.tests.factories import JobFactory
from pipeline.models import Match, PipelineRun

pytestmark = pytest.mark.django_db

# --- What anybody may open ----------------------------------------------------------------

PUBLIC = {
    # The job board, its pages and what search engines and feed readers fetch.
    "",
    "jobs/",
    "jobs/feed.atom",
    "jobs/<slug:company_slug>/<slug:slug>/",
    "sitemap.xml",
    "sitemap-board.xml",
    "sitemap-jobs-<int:section>.xml",
    "robots.txt",
    # The apply page shows the job and asks an anonymous visitor to sign in or sign up.
    "jobs/<slug:company_slug>/<slug:slug>/apply/",
    # Load balancers probe these; they say nothing but "up".
    "health/live",
    "health/ready",
    # Signing in, signing up, resetting a password and confirming an email: the doors in.
    "accounts/login/",
    "accounts/signup/",
    "accounts/inactive/",
    "accounts/confirm-email/",
    "accounts/password/reset/",
    "accounts/password/reset/done/",
    "accounts/password/reset/key/done/",
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$",
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
    "accounts/login/code/confirm/",
    "accounts/logout/",
    "admin/login/",
    "admin/logout/",
    # The "your account is erased" page, shown once the person is signed out for good.
    "me/privacy/deleted/",
    # One-click unsubscribe (RFC 8058): the signed token in the URL is the credential.
    "email/unsubscribe/<str:token>/",
    # The push service worker: static JavaScript the browser fetches from the site's root.
    "sw.js",
    # The partner API's public job board and job search, deliberately open (read-only).
    "api/v1/public/jobs",
    "api/v1/public/jobs/<int:pk>",
    "api/v1/search/jobs",
    # The OpenAPI schema and its docs: the partner API's contract is published on purpose.
    "api/schema/",
    "api/docs/",
    # Fake job boards for the demo crawl: fixture data only, and 404 unless DEBUG.
    "demo-boards/greenhouse/v1/boards/<slug:board>/jobs",
    "demo-boards/lever/v0/postings/<slug:site>",
    "demo-boards/ashby/posting-api/job-board/<slug:board>",
    "demo-boards/careers/<slug:site>/sitemap.xml",
    "demo-boards/careers/<slug:site>/jobs/<slug:slug>",
}

# Provider webhooks: anyone may call them, and the signature (svix) or basic auth (anymail)
# refuses the unsigned request, with a 400 or 401/403.
SIGNED_PREFIXES = ("anymail/", "webhooks/clerk/")

# What a signed-in person reads of their own through the API.
OWN_API = {
    "api/v1/users/me",
    "api/v1/users/me/matches",
    "api/v1/applications",  # their own applications
    "api/v1/documents",  # their own documents
}

# A signed-in person's own account pages outside `me/`: allauth's email and password pages,
# re-authentication, and uploading their own document.
OWN_PAGES = {
    "accounts/reauthenticate/",
    "accounts/email/",
    "accounts/password/change/",
    "accounts/password/set/",
    "documents/upload",
}

# Patterns the sweep cannot build, with the reason. Empty: every pattern is built.
UNBUILDABLE: dict[str, str] = {
    "admin/r/<path:content_type_id>/<path:object_id>/": (
        "Django's own 'view on site' redirect, shadowed by our scoped one "
        "(admin/r/<int:content_type_id>/<path:object_id>/, accounts.admin.view_on_site), which "
        "the sweep requests at the same URLs"
    ),
}

# Regex patterns, with a concrete path for each (route converters are filled in by name).
REGEX_EXAMPLES = {
    "admin/^(?P<app_label>auth|sites|django_celery_beat|account|accounts|jobs|applications|"
    "pipeline)/$": "admin/applications/",
    "admin/(?P<url>.*)$": "admin/no-such-page/",
    # A made-up key: an anonymous visitor holds no real one.
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": "accounts/confirm-email/not-a-key/",
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": (
        "accounts/password/reset/key/1-not-a-key/"
    ),
    "anymail/^mailgun/inbound(_mime)?/$": "anymail/mailgun/inbound/",
    "api/v1/^pipeline/(?P<stage>scrape|enrich|match|send|nightly)$": "api/v1/pipeline/match",
}

_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_OBJECT_PARAMETERS = {"pk", "object_id", "id", "delivery_id", "first", "second"}
_REGEX_MARKS = ("^", "$", "(?P", "(")


# --- The rows the URLs name ---------------------------------------------------------------


@dataclass
class World:
    """One company's rows, as a hiring manager of another company must never see them."""

    company: object
    job: object
    member: object
    candidate: object
    application: object
    document: object
    interview: object
    scorecard: object
    offer: object
    note: object
    endpoint: object
    delivery: object
    match: object
    notification: object
    push: object
    run: object
    other_candidate: object


def _world() -> World:
    company = CompanyFactory()
    member = UserFactory(is_staff=True)
    membership_set(company=company, user=member, role=Role.RECRUITER, actor=None)
    job = JobFactory(company=company)
    candidate = CandidateProfileFactory().user
    application = application_submit(job=job, candidate=candidate, consent_processing=True)
    other_candidate = CandidateProfileFactory().user
    application_submit(job=job, candidate=other_candidate, consent_processing=True)
    key = f"sweep/{uuid.uuid4().hex}.txt"
    storages["private"].save(key, ContentFile(b"Ada Lovelace, analyst"))
    document = Document.objects.create(
        owner=candidate,
        application=application,
        storage_key=key,
        original_name="cv.txt",
        content_type="text/plain",
        size=21,
        sha256="0" * 64,
    )
    starts = timezone.now() + timedelta(days=1)
    interview = Interview.objects.create(
        application=application, starts_at=starts, ends_at=starts + timedelta(hours=1)
    )
    interview.interviewers.add(member)
    endpoint = webhook_endpoint_create(
        company=company, url="https://93.184.215.14/hooks", events=["*"], actor=None
    )
    return World(
        company=company,
        job=job,
        member=member,
        candidate=candidate,
        application=application,
        document=document,
        interview=interview,
        scorecard=Scorecard.objects.create(interview=interview, author=member),
        offer=Offer.objects.create(application=application, salary=70000, currency="EUR"),
        note=Note.objects.create(application=application, author=member, body="Strong on SQL."),
        endpoint=endpoint,
        delivery=webhook_ping(endpoint=endpoint, actor=None),
        match=Match.objects.create(candidate=candidate.candidate_profile, job=job, score=0.8),
        notification=Notification.objects.create(
            user=candidate, kind="application_update", title="Moved", dedupe_key=str(uuid.uuid4())
        ),
        push=PushSubscription.objects.create(
            user=candidate,
            endpoint=f"https://push.example.com/{uuid.uuid4()}",
            p256dh="BPk",
            auth="x",
        ),
        run=PipelineRun.objects.create(
            kind=PipelineRun.Kind.SCRAPE, status=PipelineRun.Status.SUCCEEDED
        ),
        other_candidate=other_candidate,
    )


# Which row each route's parameters name: (route prefix, {parameter: value of the world}).
ROUTE_VALUES = [
    ("api/v1/webhooks/<int:pk>", {"pk": "endpoint", "delivery_id": "delivery"}),
    ("api/v1/jobs/<int:pk>", {"pk": "job"}),
    ("api/v1/public/jobs/<int:pk>", {"pk": "job"}),
    ("api/v1/applications/<int:pk>", {"pk": "application"}),
    ("api/v1/candidates/<int:pk>", {"pk": "candidate"}),
    ("api/v1/documents/<int:pk>", {"pk": "document"}),
    ("api/v1/interviews/<int:pk>", {"pk": "interview"}),
    ("api/v1/scorecards/<int:pk>", {"pk": "scorecard"}),
    ("api/v1/offers/<int:pk>", {"pk": "offer"}),
    ("api/v1/notes/<int:pk>", {"pk": "note"}),
    ("api/v1/pipeline/runs/<int:pk>", {"pk": "run"}),
    ("documents/<int:pk>", {"pk": "document"}),
    ("me/applications/<int:pk>", {"pk": "application"}),
    ("me/interviews/<int:pk>", {"pk": "interview"}),
    ("me/notifications/push/<int:pk>", {"pk": "push"}),
    ("me/notifications/<int:pk>", {"pk": "notification"}),
    ("me/matches/<int:pk>", {"pk": "match"}),
    (
        "admin/applications/application/duplicates/",
        {"first": "candidate", "second": "other_candidate"},
    ),
]


def _value(world: World, route: str, name: str) -> str | None:
    """The concrete value of parameter `name` in `route`, from `world`'s rows."""
    for prefix, names in ROUTE_VALUES:
        if route.startswith(prefix) and name in names:
            return str(getattr(world, names[name]).pk)
    fixed = {
        "company_slug": world.company.slug,
        "section": "1",
        "token": unsubscribe_token_make(
            user_id=world.candidate.pk, digest=next(iter(UNSUBSCRIBABLE))
        ),
        "board": "acme",
        "site": "acme",
    }
    if route.startswith("jobs/"):
        fixed["slug"] = world.job.slug
    if route.startswith("demo-boards/"):
        fixed["slug"] = "acme-1"
    if route.startswith("admin/r/"):
        fixed["content_type_id"] = str(ContentType.objects.get_for_model(world.job).pk)
        fixed["object_id"] = str(world.job.pk)
    return fixed.get(name)


# --- Admin rows: one real row of every registered model -----------------------------------

_ADMIN_APPS = ("accounts", "jobs", "applications", "pipeline")
# Rows of the admin models of third-party apps, which no app's ADMIN_ROWS makes.
_EXTRA_ROWS = {
    Group: lambda: Group.objects.create(name=f"sweep {uuid.uuid4().hex[:6]}"),
    EmailAddress: lambda: EmailAddress.objects.create(
        user=UserFactory(), email=f"{uuid.uuid4().hex[:8]}@example.com"
    ),
    IntervalSchedule: lambda: IntervalSchedule.objects.create(every=10, period="seconds"),
    SolarSchedule: lambda: SolarSchedule.objects.create(
        event="sunrise", latitude=52.5, longitude=13.4
    ),
    ClockedSchedule: lambda: ClockedSchedule.objects.create(clocked_time=timezone.now()),
}


class AdminRows:
    """A real row per admin model, made on first use: another company's, for the members."""

    def __init__(self):
        self.makers = _EXTRA_ROWS | {
            model: make
            for app in _ADMIN_APPS
            for model, make in import_module(f"{app}.tests.factories").ADMIN_ROWS.items()
        }
        self.rows = {}

    def pk_for(self, app_label: str, model_name: str) -> str | None:
        model = next(
            (m for m in admin.site._registry if m._meta.label_lower == f"{app_label}.{model_name}"),
            None,
        )
        if model is None:
            return None
        if model not in self.rows:
            make = self.makers.get(model)
            self.rows[model] = make() if make else model._default_manager.order_by("pk").first()
        row = self.rows[model]
        return None if row is None else str(row.pk)


_ADMIN_OBJECT = re.compile(r"^admin/(\w+)/(\w+)/<(?:\w+:)?(object_id|id)>/")


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


@dataclass(frozen=True)
class Target:
    route: str
    url: str

    @property
    def has_object(self) -> bool:
        """Does the URL name a row (of another person or company, in the sweeps)?"""
        return bool(set(_CONVERTER.findall(self.route)) & _OBJECT_PARAMETERS)


def _build(world: World, admin_rows: AdminRows) -> tuple[list[Target], list[str]]:
    """A URL for every pattern, and the patterns that could not be built."""
    targets, missing = [], []
    for route, pattern in _walk(get_resolver().url_patterns):
        if route in UNBUILDABLE:
            continue
        if route in REGEX_EXAMPLES:
            path = REGEX_EXAMPLES[route]
        elif any(mark in route for mark in _REGEX_MARKS):
            missing.append(route)
            continue
        else:
            admin_object = _ADMIN_OBJECT.match(route)

            def fill(match, route=route, admin_object=admin_object):
                name = match.group(1)
                if admin_object and name == admin_object.group(3):
                    value = admin_rows.pk_for(admin_object.group(1), admin_object.group(2))
                else:
                    value = _value(world, route, name)
                if value is None:
                    raise LookupError(name)
                return value

            try:
                path = _CONVERTER.sub(fill, route)
            except LookupError:
                missing.append(route)
                continue
        url = "/" + path
        assert resolve(url).func == pattern.callback, f"{url} does not resolve to {route}"
        targets.append(Target(route, url))
    return targets, missing


@pytest.fixture
def sweep(settings):
    settings.ACCOUNT_RATE_LIMITS = False  # hundreds of requests from one address
    # As in production: anymail's webhooks check basic auth (without a secret they accept
    # anyone, and say so in a warning).
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "anymail:sweep-secret"}
    settings.CLERK_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"sweep" * 6).decode()
    world = _world()
    targets, missing = _build(world, AdminRows())
    assert not missing, f"list these in UNBUILDABLE with the reason, or build them: {missing}"
    stale = set(UNBUILDABLE) - {route for route, _ in _walk(get_resolver().url_patterns)}
    assert not stale, f"UNBUILDABLE names patterns that no longer exist: {stale}"
    return world, targets


# --- The checks ----------------------------------------------------------------------------

_LOGIN_PAGES = ("/accounts/login/", "/admin/login/")


def _refused(response, url: str) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return True
    location = response.headers.get("Location", "")
    if response.status_code != 302:
        return False
    # The admin's old object URL only redirects to the change page, which is swept itself.
    return location.startswith(_LOGIN_PAGES) or location == f"{url}change/"


def _signed(route: str) -> bool:
    return route.startswith(SIGNED_PREFIXES)


def _requests(client: Client, url: str, methods=("get", "post")):
    for method in methods:
        yield method, getattr(client, method)(url, content_type="application/json")


def _holes(client, targets, allowed, *, user=None, methods=("get", "post"), body=None) -> list[str]:
    holes = []
    for target in targets:
        for method in methods:
            if user is not None:
                client.force_login(user)  # a POST may have signed them out (logout, erase)
            if body is None or method == "get":
                response = getattr(client, method)(target.url)
            else:
                response = getattr(client, method)(
                    target.url, body, content_type="application/json"
                )
            status = response.status_code
            if status >= 500:
                holes.append(f"{method.upper()} {target.url} → {status}")
            elif 200 <= status < 300 and not allowed(target):
                holes.append(f"{method.upper()} {target.url} → {status}")
            elif not (200 <= status < 300) and not allowed(target):
                if not _refused(response, target.url) and not (
                    _signed(target.route) and status == 400
                ):
                    where = response.headers.get("Location", "")
                    holes.append(f"{method.upper()} {target.url} → {status} {where}")
    return holes


def test_the_sweep_covers_every_kind_of_url(sweep):
    _world, targets = sweep
    routes = {target.route for target in targets}
    for expected in (
        "admin/applications/application/<path:object_id>/change/",
        "api/v1/applications/<int:pk>",
        "accounts/login/",
        "me/profile/",
        "jobs/<slug:company_slug>/<slug:slug>/",
        "health/live",
        "anymail/postmark/tracking/",
        "documents/<int:pk>/download",
    ):
        assert expected in routes
    assert len(targets) > 300  # the admin alone has hundreds


def test_anonymous_requests_get_in_only_on_the_public_urls(sweep):
    _world, targets = sweep
    client = Client()
    holes = _holes(client, targets, lambda target: target.route in PUBLIC)
    assert not holes, "\n".join(holes)


def test_anonymous_gets_the_public_pages(sweep):
    """The allow-list is not an empty promise: these answer 200 to anyone."""
    _world, targets = sweep
    client = Client()
    for target in targets:
        if target.route in {"", "jobs/", "accounts/login/", "health/live", "api/v1/search/jobs"}:
            assert client.get(target.url).status_code == 200, target.url


def _candidate_allowed(target: Target) -> bool:
    if target.route in PUBLIC or target.route in OWN_API or target.route in OWN_PAGES:
        return True
    # Their own pages; another person's object on them (an id in the URL) must be refused.
    return target.route.startswith("me/") and not target.has_object


def test_a_candidate_gets_in_only_on_public_urls_and_their_own(sweep):
    _world, targets = sweep
    stranger = CandidateProfileFactory().user
    client = Client()
    holes = _holes(client, targets, _candidate_allowed, user=stranger)
    assert not holes, "\n".join(holes)


def test_a_candidate_reads_their_own_through_the_api(sweep):
    world, _targets = sweep
    client = Client()
    client.force_login(world.candidate)
    response = client.get("/api/v1/applications")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [world.application.pk]


def test_a_hiring_manager_never_gets_another_companys_objects(sweep):
    world_b, targets = sweep
    world_a = _world()
    manager = UserFactory(is_staff=True)
    membership_set(company=world_a.company, user=manager, role=Role.HIRING_MANAGER, actor=None)
    world_a.job.hiring_team.add(manager)
    client = Client()
    client.force_login(manager)
    # The control: their own company's application is theirs to read.
    own = client.get(f"/api/v1/applications/{world_a.application.pk}")
    assert own.status_code == 200
    objects = [
        target
        for target in targets
        if target.has_object and target.route.startswith(("admin/", "api/"))
    ]
    assert any(target.url.endswith(f"/{world_b.application.pk}") for target in objects)
    # A body that would pass validation, so the answer is the object check's, not a 400.
    body = {
        "stage": world_b.application.stage_id,
        "rating": 3,
        "reason": "sweep",
        "body": "sweep",
        "title": "sweep",
        "status": "completed",
    }
    holes = _holes(
        client,
        objects,
        lambda target: target.route in PUBLIC,
        user=manager,
        methods=("get", "post", "patch", "delete"),
        body=body,
    )
    assert not holes, "\n".join(holes)
