"""Security logging: each scenario (a login, a failed login, a rate-limit block, a logout, a
denial, a refused webhook signature, a rejected upload) logs exactly one structured security
event, and no log line of any logger, at DEBUG, holds a secret or personal value seeded here:
a password, an API key, a webhook secret, a session cookie, an email address."""

import base64
import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from recruitment.logs import JsonFormatter

EMAIL = "seeded.person+secret@example.org"
PASSWORD = "Seeded-Password-7f3kq9ZxLw"
WRONG_PASSWORD = "Seeded-Wrong-Password-c81nB2"
WEBHOOK_SECRET = "anymail-user:Seeded-Webhook-Secret-Q4m8Rt"


@pytest.fixture(autouse=True)
def _empty_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What production writes: every record through the JSON formatter, at DEBUG."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def all_loggers_at_debug(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)


def security_events(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "security"]


def test_each_scenario_logs_one_security_event_and_no_secret(
    db, caplog, json_log, all_loggers_at_debug, settings, key_client, company
):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": WEBHOOK_SECRET}
    person = UserFactory(email=EMAIL, full_name="Seeded Personname")
    person.set_password(PASSWORD)
    person.save()
    EmailAddress.objects.create(user=person, email=EMAIL, verified=True, primary=True)
    api = key_client(company, "jobs:read")
    api_key = api._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    browser = Client()
    secrets = {"password": PASSWORD, "wrong password": WRONG_PASSWORD, "api key": api_key}
    secrets |= {"webhook secret": WEBHOOK_SECRET.split(":")[1], "email": EMAIL}
    secrets |= {"email's local part": EMAIL.split("@")[0], "name": "Personname"}

    def login(password: str, email: str = EMAIL):
        return lambda: browser.post(
            reverse("account_login"), {"login": email, "password": password}
        )

    def bad_upload():
        return browser.post(
            reverse("applications:document-upload"),
            {"file": SimpleUploadedFile(f"{EMAIL}.exe", b"MZ\x90\x00binary", "application/pdf")},
        )

    def forged_webhook():
        wrong = base64.b64encode(b"anymail-user:guessed").decode()
        return browser.post(
            reverse("anymail:postmark_tracking_webhook"),
            data=json.dumps({"RecordType": "Delivery", "Recipient": EMAIL}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Basic {wrong}",
        )

    scenarios: list[tuple[str, Callable, str, int]] = [
        ("bad password", login(WRONG_PASSWORD), "auth.login_failed", 200),
        ("unknown address", login(WRONG_PASSWORD, "nobody." + EMAIL), "auth.login_failed", 200),
        ("good login", login(PASSWORD), "auth.login", 302),
        ("api denial", lambda: api.get("/api/v1/applications"), "access.denied", 403),
        ("bad upload", bad_upload, "upload.rejected", 400),
        ("forged webhook", forged_webhook, "webhook.signature_invalid", 400),
        ("logout", lambda: browser.post(reverse("account_logout")), "auth.logout", 302),
        ("csrf denial", lambda: Client(enforce_csrf_checks=True).post(reverse("account_login"),
                                                                      {"login": EMAIL}),
         "access.denied", 403),
    ]  # fmt: skip
    scenarios.append(("blocked login", login(PASSWORD), "auth.rate_limited", 200))

    session_cookies = []
    captured: list[str] = []  # every record of every scenario, as text and with its fields
    for name, run, event, status in scenarios:
        if name == "logout":
            session_cookies.append(browser.cookies["sessionid"].value)
        if name == "blocked login":
            for _ in range(4):  # with "bad password" above, the 5 failures the address may have
                login(WRONG_PASSWORD)()
        caplog.clear()
        response = run()
        assert response.status_code == status, (name, response.status_code)
        logged = [r.getMessage() for r in security_events(caplog)]
        captured.append(caplog.text)
        captured.extend(repr(vars(r)) for r in caplog.records)
        assert logged == [event], name
        record = security_events(caplog)[0]
        assert record.event == event
        if hasattr(record, "ip_prefix") and record.ip_prefix:
            assert record.ip_prefix.endswith("/24")
        if name == "good login":
            assert record.user_id == person.pk
        if name == "blocked login":
            assert BLOCKED in response.content.decode()

    secrets["session cookie"] = session_cookies[0]
    logs = "\n".join(captured) + "\n" + json_log.getvalue()
    assert "upload.rejected" in logs and "auth.rate_limited" in json_log.getvalue()
    leaked = {name: value for name, value in secrets.items() if value.lower() in logs.lower()}
    assert leaked == {}


BLOCKED = "Too many failed login attempts"
