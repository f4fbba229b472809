"""One-click unsubscribe (RFC 8058): signed links, a confirm page on GET, a switch on POST, a
clear 400 for a bad link, and the mailto half of List-Unsubscribe through inbound mail."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import unquote, urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.urls import resolve, reverse

from accounts.mail import (
    UNSUBSCRIBE_SALT,
    digest_unsubscribe,
    unsubscribe_headers,
    unsubscribe_token_make,
)
from accounts.models import AuditEvent, DigestFrequency, NotificationPreference
from accounts.tests.factories import UserFactory

WEBHOOK_AUTH = "anymail-user:s3cret-webhook-pass"


@pytest.fixture
def user(db):
    return UserFactory(email="grace@example.com")


@pytest.fixture
def csrf_client():
    """A client that enforces CSRF like a browser would see it: no token is sent."""
    return Client(enforce_csrf_checks=True)


def _url(user, digest="match_digest") -> str:
    return reverse(
        "email-unsubscribe", args=[unsubscribe_token_make(user_id=user.pk, digest=digest)]
    )


def _preference(user) -> NotificationPreference:
    return NotificationPreference.objects.get(user=user)


def test_get_shows_a_confirm_page_and_changes_nothing(user, client):
    NotificationPreference.objects.create(user=user, match_digest=DigestFrequency.DAILY)

    response = client.get(_url(user))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop sending the job match digest to g…@example.com?" in html
    assert '<form method="post">' in html
    assert _preference(user).match_digest == DigestFrequency.DAILY
    assert "no-cache" in response["Cache-Control"]


def test_one_click_post_switches_the_digest_off_without_login_or_csrf_token(user, csrf_client):
    NotificationPreference.objects.create(user=user, match_digest=DigestFrequency.DAILY)

    response = csrf_client.post(_url(user), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    preference = _preference(user)
    assert preference.match_digest == DigestFrequency.NEVER
    assert preference.recruiter_digest == DigestFrequency.DAILY  # the other digest stays on
    event = AuditEvent.objects.get(action="notifications.unsubscribed")
    assert event.actor == user
    assert event.changes == {"match_digest": ["daily", "never"]}


def test_post_without_a_preference_row_creates_one_switched_off(user, csrf_client):
    response = csrf_client.post(_url(user, "recruiter_digest"))

    assert response.status_code == 200
    preference = _preference(user)
    assert preference.recruiter_digest == DigestFrequency.NEVER
    assert preference.match_digest == DigestFrequency.WEEKLY  # the model default


def test_unsubscribing_twice_is_harmless_and_audited_once(user, csrf_client):
    url = _url(user)

    assert csrf_client.post(url).status_code == 200
    assert csrf_client.post(url).status_code == 200

    assert _preference(user).match_digest == DigestFrequency.NEVER
    assert AuditEvent.objects.filter(action="notifications.unsubscribed").count() == 1


def test_digest_unsubscribe_rejects_an_unknown_digest(user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        digest_unsubscribe(user=user, digest="product_news")


def _tampered(token: str, at: int = -1) -> str:
    chars = list(token)
    chars[at] = "A" if chars[at] != "A" else "B"
    return "".join(chars)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda user: _tampered(unsubscribe_token_make(user_id=user.pk, digest="match_digest")),
            id="tampered-signature",
        ),
        pytest.param(
            lambda user: _tampered(
                unsubscribe_token_make(user_id=user.pk, digest="match_digest"), at=0
            ),
            id="tampered-payload",
        ),
        pytest.param(lambda user: "not-a-token", id="garbage"),
        pytest.param(
            lambda user: signing.dumps([user.pk, "match_digest"], salt="another.salt"),
            id="other-salt",
        ),
        pytest.param(
            lambda user: signing.dumps([user.pk, "product_news"], salt=UNSUBSCRIBE_SALT),
            id="unknown-digest",
        ),
        pytest.param(
            lambda user: signing.dumps({"user": user.pk}, salt=UNSUBSCRIBE_SALT), id="bad-shape"
        ),
        pytest.param(
            lambda user: unsubscribe_token_make(user_id=user.pk + 1000, digest="match_digest"),
            id="unknown-user",
        ),
    ],
)
def test_bad_token_gets_a_clear_400_page_and_changes_nothing(user, csrf_client, make_token):
    NotificationPreference.objects.create(user=user, match_digest=DigestFrequency.DAILY)
    url = reverse("email-unsubscribe", args=[make_token(user)])

    shown = csrf_client.get(url)
    posted = csrf_client.post(url)

    for response in (shown, posted):
        assert response.status_code == 400
        assert "This unsubscribe link does not work" in response.content.decode()
    assert _preference(user).match_digest == DigestFrequency.DAILY


def test_expired_token_gets_a_400_page(user, csrf_client, settings, monkeypatch):
    settings.EMAIL_UNSUBSCRIBE_MAX_AGE = 3600
    two_hours_ago = time.time() - 7200
    monkeypatch.setattr(signing.time, "time", lambda: two_hours_ago)
    url = _url(user)
    monkeypatch.undo()

    response = csrf_client.post(url)

    assert response.status_code == 400
    assert "The link has expired." in response.content.decode()
    assert not NotificationPreference.objects.filter(user=user).exists()


def test_old_token_still_works_when_links_do_not_expire(user, csrf_client, settings, monkeypatch):
    settings.EMAIL_UNSUBSCRIBE_MAX_AGE = 0
    a_year_ago = time.time() - 365 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: a_year_ago)
    url = _url(user)
    monkeypatch.undo()

    assert csrf_client.post(url).status_code == 200
    assert _preference(user).match_digest == DigestFrequency.NEVER


def test_list_unsubscribe_headers_carry_a_one_click_url_and_a_mailto(user, settings):
    settings.SITE_URL = "https://jobs.example.com"
    settings.DEFAULT_FROM_EMAIL = "Recruitment <noreply@jobs.example.com>"
    settings.EMAIL_UNSUBSCRIBE_MAILTO = ""

    token = unsubscribe_token_make(user_id=user.pk, digest="match_digest")

    headers = unsubscribe_headers(token=token)

    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url_part, mailto_part = headers["List-Unsubscribe"].split(", ")
    url = url_part.strip("<>")
    assert url.startswith("https://jobs.example.com/email/unsubscribe/")
    match = resolve(urlsplit(url).path)
    assert match.url_name == "email-unsubscribe"
    assert mailto_part.startswith("<mailto:noreply@jobs.example.com?subject=unsubscribe%20")
    mailto_token = unquote(mailto_part.strip("<>").split("subject=")[1]).split(" ")[1]
    assert mailto_token == match.kwargs["token"] == token


def test_reply_to_the_mailto_unsubscribes_through_the_inbound_webhook(user, client, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": WEBHOOK_AUTH}
    token = unsubscribe_token_make(user_id=user.pk, digest="recruiter_digest")
    # Postmark's inbound webhook, trimmed to the fields anymail reads.
    payload = {
        "FromName": "Grace",
        "MessageStream": "inbound",
        "From": "grace@example.com",
        "FromFull": {"Email": "grace@example.com", "Name": "Grace", "MailboxHash": ""},
        "To": "noreply@jobs.example.com",
        "ToFull": [{"Email": "noreply@jobs.example.com", "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": "noreply@jobs.example.com",
        "Subject": f"unsubscribe {token}",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Thu, 26 Nov 2026 10:00:00 +0000",
        "TextBody": "",
        "HtmlBody": "",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [{"Name": "X-Spam-Status", "Value": "No"}],
        "Attachments": [],
    }

    response = client.post(
        reverse("anymail:postmark_inbound_webhook"),
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(WEBHOOK_AUTH.encode()).decode(),
    )
    ignored = client.post(
        reverse("anymail:postmark_inbound_webhook"),
        data=json.dumps({**payload, "Subject": "unsubscribe forged-token"}),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(WEBHOOK_AUTH.encode()).decode(),
    )

    assert response.status_code == 200 and ignored.status_code == 200
    assert _preference(user).recruiter_digest == DigestFrequency.NEVER
