"""The email outbox: queued once, claimed by one worker, sent once, retried with backoff, never
to a suppressed address; anymail's tracking webhooks update delivery and suppress."""

from __future__ import annotations

import base64
import json
import smtplib
import threading
import time
from datetime import timedelta

import pytest
import responses
from anymail.exceptions import AnymailRecipientsRefused
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.mail import (
    email_build,
    email_delivery_record,
    email_queue,
    emails_queue,
    emails_suppressed,
    outbox_claim,
    outbox_retry_delay,
    outbox_send_due,
)
from accounts.models import EmailSuppression, OutboundEmail
from accounts.tasks import outbox_send
from accounts.tests.factories import UserFactory

WEBHOOK_AUTH = "anymail-user:s3cret-webhook-pass"
POSTMARK_SEND_URL = "https://api.postmarkapp.com/email"


def _queue(**overrides) -> OutboundEmail:
    fields = {
        "to": "ada@example.com",
        "kind": "test.hello",
        "subject": "Hello",
        "body_text": "Hello Ada.",
        "body_html": "<p>Hello Ada.</p>",
        "dedupe_key": "test.hello:1",
        "headers": {"List-Unsubscribe": "<https://example.com/u/1/>"},
    }
    email, _ = email_queue(**{**fields, **overrides})
    return email


class DisconnectingBackend(BaseEmailBackend):
    """An SMTP server that hangs up: a transient failure."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefusingBackend(BaseEmailBackend):
    """A provider that refuses the recipient for good."""

    def send_messages(self, email_messages):
        raise AnymailRecipientsRefused("Recipient marked inactive", esp_name="Postmark")


@pytest.fixture
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": WEBHOOK_AUTH}


def _basic_auth(credentials: str = WEBHOOK_AUTH) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def _post_postmark(client, payload: dict, **extra):
    return client.post(
        reverse("anymail:postmark_tracking_webhook"),
        data=json.dumps(payload),
        content_type="application/json",
        **extra,
    )


# --- Queueing ---------------------------------------------------------------------------------


def test_email_queue_with_the_same_dedupe_key_adds_one_row(db):
    user = UserFactory()
    first, created_first = email_queue(
        to=user.email,
        user=user,
        kind="test.hello",
        subject="Hello\nthere",
        body_text="Hi.",
        dedupe_key="test.hello:42",
        refs=[3, 1],
    )
    again, created_again = email_queue(
        to=user.email,
        kind="test.hello",
        subject="Other",
        body_text="Other",
        dedupe_key="test.hello:42",
    )

    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert OutboundEmail.objects.filter(dedupe_key="test.hello:42").count() == 1
    assert again.subject == "Hello there"  # one line: a header can't carry a newline
    assert again.refs == [3, 1] and again.status == OutboundEmail.Status.QUEUED


def _built(key: str, **overrides) -> OutboundEmail:
    fields = {"to": "ada@example.com", "kind": "test.hello", "subject": "Hello", "body_text": "Hi."}
    return email_build(**{**fields, **overrides}, dedupe_key=key)


def test_emails_queue_inserts_the_new_rows_at_once_and_returns_the_known_ones(db):
    known = _queue(dedupe_key="k-known")
    user = UserFactory()
    batch = [
        _built("k-new", user=user, to=user.email, refs=[2, 1], subject="New\nline"),
        _built("k-known"),
        _built("k-other"),
        _built("k-new"),  # the same email twice in one batch
    ]

    with CaptureQueriesContext(connection) as queries:
        results = emails_queue(emails=batch)

    assert len(queries) == 2  # the known keys, then one INSERT
    assert [created for _, created in results] == [True, False, True, False]
    assert results[1][0].pk == known.pk
    assert results[3][0] is results[0][0]
    assert OutboundEmail.objects.count() == 3
    row = OutboundEmail.objects.get(dedupe_key="k-new")
    assert row.pk == results[0][0].pk and row.user == user and row.refs == [2, 1]
    assert row.subject == "New line" and row.status == OutboundEmail.Status.QUEUED
    assert emails_queue(emails=[_built("k-other")])[0][1] is False


def test_email_build_validates_without_a_query(db):
    user = UserFactory()

    with CaptureQueriesContext(connection) as queries:
        email = _built("k1", user=user)
        with pytest.raises(ValidationError) as error:
            _built("k2", to="not an address")

    assert len(queries) == 0
    assert email.pk is None and email.next_attempt_at == email.created_at
    assert "to" in error.value.message_dict


def test_emails_suppressed_answers_for_many_addresses_in_one_query(db):
    EmailSuppression.objects.create(email="bounced@example.com", reason="bounced")

    with CaptureQueriesContext(connection) as queries:
        suppressed = emails_suppressed([" Bounced@Example.com", "ada@example.com"])

    assert suppressed == {"bounced@example.com"} and len(queries) == 1
    assert emails_suppressed([]) == set()


# --- Sending ----------------------------------------------------------------------------------


def test_outbox_send_due_sends_each_email_once(db, mailoutbox):
    email = _queue()

    first = outbox_send_due(limit=10)
    second = outbox_send_due(limit=10)

    assert first["sent"] == 1 and first["claimed"] == 1
    assert second["claimed"] == 0 and second.get("sent", 0) == 0
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == "Hello"
    assert message.body == "Hello Ada."
    assert message.alternatives[0][0] == "<p>Hello Ada.</p>"
    assert message.alternatives[0][1] == "text/html"
    assert message.extra_headers["List-Unsubscribe"] == "<https://example.com/u/1/>"
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1 and email.sent_at is not None and email.last_error == ""


def test_outbox_send_due_sends_attachments(db, mailoutbox):
    _queue(
        attachments=[
            {
                "filename": "invite.ics",
                "content_type": "text/calendar",
                "content_base64": base64.b64encode(b"BEGIN:VCALENDAR").decode(),
            }
        ]
    )

    outbox_send_due(limit=10)

    assert mailoutbox[0].attachments == [("invite.ics", "BEGIN:VCALENDAR", "text/calendar")]


def test_outbox_send_due_respects_the_limit_and_oldest_first(db, mailoutbox):
    now = timezone.now()
    for n in range(3):
        _queue(dedupe_key=f"k{n}", subject=f"n{n}", now=now - timedelta(minutes=10 - n))

    result = outbox_send_due(limit=2)

    assert result["sent"] == 2
    assert [m.subject for m in mailoutbox] == ["n0", "n1"]
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).count() == 1


def test_outbox_send_task_sends_due_emails(db, mailoutbox):
    _queue()

    outbox_send.delay()

    assert len(mailoutbox) == 1
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


def test_second_claim_of_the_same_row_loses(db):
    email = _queue()

    winner = outbox_claim(email_id=email.pk)
    loser = outbox_claim(email_id=email.pk)

    assert winner is not None and winner.status == OutboundEmail.Status.SENDING
    assert winner.attempts == 1
    assert loser is None
    email.refresh_from_db()
    assert email.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_row_have_one_winner():
    # Saved without email_queue: its task, queued on commit (run at once here), would send it.
    email = email_build(
        to="ada@example.com", kind="test.hello", subject="Hello", body_text="Hi", dedupe_key="c:1"
    )
    email.save()
    results: list[OutboundEmail | None] = []

    def claim():
        try:
            results.append(outbox_claim(email_id=email.pk))
        finally:
            connections.close_all()

    # Hold the row so both claims are waiting on it at once, then let them race.
    from django.db import transaction

    with transaction.atomic():
        OutboundEmail.objects.select_for_update().get(pk=email.pk)
        threads = [threading.Thread(target=claim) for _ in range(2)]
        for thread in threads:
            thread.start()
        _wait_for_lock_waiters(2)
    for thread in threads:
        thread.join()

    assert len(results) == 2
    assert sum(result is not None for result in results) == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENDING and email.attempts == 1


def _wait_for_lock_waiters(count: int) -> None:
    """Block until `count` other sessions wait on a lock (they are queued behind ours)."""
    deadline = time.monotonic() + 60  # fail rather than hang if nobody ever waits
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # Activity is snapshotted once per transaction unless the snapshot is dropped.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.01)
    raise AssertionError(f"{count} sessions never queued up behind our lock")


def test_transient_failure_is_retried_with_exponential_backoff(db, settings, mailoutbox):
    settings.EMAIL_BACKEND = "accounts.tests.test_mail.DisconnectingBackend"
    settings.EMAIL_OUTBOX_RETRY_SECONDS = 60
    email = _queue()
    start = timezone.now()

    first = outbox_send_due(limit=10, now=start)
    email.refresh_from_db()
    assert first["retried"] == 1
    assert email.status == OutboundEmail.Status.QUEUED and email.attempts == 1
    assert email.next_attempt_at == start + timedelta(seconds=60)
    assert "SMTPServerDisconnected" in email.last_error

    # Not due again before its time.
    assert outbox_send_due(limit=10, now=start + timedelta(seconds=59))["claimed"] == 0

    second_at = start + timedelta(seconds=60)
    outbox_send_due(limit=10, now=second_at)
    email.refresh_from_db()
    assert email.attempts == 2
    assert email.next_attempt_at == second_at + timedelta(seconds=120)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox_send_due(limit=10, now=second_at + timedelta(seconds=120))
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 3
    assert len(mailoutbox) == 1


def test_retry_delay_doubles_up_to_the_cap(settings):
    settings.EMAIL_OUTBOX_RETRY_SECONDS = 60
    settings.EMAIL_OUTBOX_RETRY_MAX_SECONDS = 300

    delays = [outbox_retry_delay(n).total_seconds() for n in range(1, 6)]

    assert delays == [60, 120, 240, 300, 300]


def test_failing_email_gives_up_after_the_attempt_cap(db, settings):
    settings.EMAIL_BACKEND = "accounts.tests.test_mail.DisconnectingBackend"
    settings.EMAIL_OUTBOX_MAX_ATTEMPTS = 3
    email = _queue()
    at = timezone.now()

    for _ in range(3):
        outbox_send_due(limit=10, now=at)
        at += timedelta(days=1)
    email.refresh_from_db()

    assert email.status == OutboundEmail.Status.FAILED and email.attempts == 3
    assert outbox_send_due(limit=10, now=at + timedelta(days=1))["claimed"] == 0


def test_refused_recipient_fails_at_once_and_is_suppressed(db, settings):
    settings.EMAIL_BACKEND = "accounts.tests.test_mail.RefusingBackend"
    email = _queue()

    result = outbox_send_due(limit=10)

    email.refresh_from_db()
    assert result["failed"] == 1
    assert email.status == OutboundEmail.Status.FAILED and email.attempts == 1
    assert "AnymailRecipientsRefused" in email.last_error
    suppression = EmailSuppression.objects.get(email="ada@example.com")
    assert suppression.reason == EmailSuppression.Reason.REJECTED


def test_suppressed_address_is_never_sent_to(db, mailoutbox):
    EmailSuppression.objects.create(email="ada@example.com", reason="complained")
    email = _queue(to="Ada@Example.com")

    result = outbox_send_due(limit=10)

    email.refresh_from_db()
    assert result["suppressed"] == 1
    assert mailoutbox == []
    assert email.status == OutboundEmail.Status.FAILED
    assert email.last_error == "suppressed: complained"


def test_row_left_sending_by_a_lost_worker_is_retried_after_the_timeout(db, settings, mailoutbox):
    settings.EMAIL_OUTBOX_SENDING_TIMEOUT = 900
    email = _queue()
    claimed_at = timezone.now()
    assert outbox_claim(email_id=email.pk, now=claimed_at) is not None
    # The worker dies here: the row stays "sending".

    too_soon = outbox_send_due(limit=10, now=claimed_at + timedelta(seconds=899))
    later = outbox_send_due(limit=10, now=claimed_at + timedelta(seconds=900))

    assert too_soon["claimed"] == 0
    assert later["sent"] == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 2
    assert len(mailoutbox) == 1


def test_lost_worker_on_the_last_attempt_fails_the_row(db, settings):
    settings.EMAIL_OUTBOX_MAX_ATTEMPTS = 1
    email = _queue()
    claimed_at = timezone.now()
    outbox_claim(email_id=email.pk, now=claimed_at)

    result = outbox_send_due(limit=10, now=claimed_at + timedelta(hours=1))

    email.refresh_from_db()
    assert result["gave_up"] == 1
    assert email.status == OutboundEmail.Status.FAILED
    assert email.last_error.startswith("gave up")


def test_a_late_outcome_does_not_overwrite_a_reclaimed_row(db, settings, mailoutbox):
    email = _queue()
    start = timezone.now()
    stale = outbox_claim(email_id=email.pk, now=start)
    # The lease runs out and another worker sends it.
    outbox_send_due(limit=10, now=start + timedelta(seconds=settings.EMAIL_OUTBOX_SENDING_TIMEOUT))

    from accounts.mail import _finish

    assert _finish(stale, status=OutboundEmail.Status.QUEUED, last_error="late") is False
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.last_error == ""


# --- A real provider (Postmark's HTTP API, mocked) and its tracking webhook -------------------


@responses.activate
def test_postmark_send_stores_the_provider_message_id_and_passes_headers(db, settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "server-token"}
    responses.post(
        POSTMARK_SEND_URL,
        json={
            "To": "ada@example.com",
            "SubmittedAt": "2026-11-26T10:00:00.0000000-05:00",
            "MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
            "ErrorCode": 0,
            "Message": "OK",
        },
    )
    email = _queue()

    outbox_send_due(limit=10)

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.provider_message_id == "b7bc2f4a-e38e-4336-af7d-e6c392c2f817"
    sent = json.loads(responses.calls[0].request.body)
    assert sent["To"] == "ada@example.com"
    assert {"Name": "List-Unsubscribe", "Value": "<https://example.com/u/1/>"} in sent["Headers"]
    assert sent["Metadata"] == {"outbox_id": str(email.pk)}
    assert sent["Tag"] == "test.hello"


@responses.activate
def test_postmark_inactive_recipient_fails_without_retry(db, settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "server-token"}
    responses.post(
        POSTMARK_SEND_URL,
        status=422,
        json={
            "ErrorCode": 406,
            "Message": "You tried to send to recipient(s) that have been marked as inactive. "
            "Found inactive addresses: ada@example.com. Inactive recipients are ones that have "
            "generated a hard bounce, a spam complaint, or a manual suppression.",
        },
    )
    email = _queue()

    outbox_send_due(limit=10)

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert EmailSuppression.objects.filter(email="ada@example.com", reason="rejected").exists()


def _bounce(message_id: str, email: str = "ada@example.com") -> dict:
    # Postmark's bounce webhook, as in its documentation.
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "match.digest",
        "MessageID": message_id,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, "
        "mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "noreply@jobs.example.com",
        "BouncedAt": "2026-11-26T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "3 new job matches for you",
        "Content": "<Full dump of bounce>",
    }


def _sent(message_id: str = "883953f4-6105-42a2-a16a-77a8eac79483", **overrides):
    email = _queue(**overrides)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENT,
        sent_at=timezone.now(),
        provider_message_id=message_id,
        delivery_status="sent",
    )
    email.refresh_from_db()
    return email


def test_postmark_bounce_webhook_marks_the_email_and_suppresses_the_address(
    db, client, webhook_secret
):
    email = _sent()

    response = _post_postmark(client, _bounce(email.provider_message_id), **_basic_auth())

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "bounced"
    assert email.delivery_updated_at.year == 2026
    suppression = EmailSuppression.objects.get(email="ada@example.com")
    assert suppression.reason == EmailSuppression.Reason.BOUNCED
    assert suppression.esp_name == "Postmark"
    assert "unable to deliver" in suppression.detail


def test_postmark_webhook_without_basic_auth_is_refused(db, client, webhook_secret):
    email = _sent()

    missing = _post_postmark(client, _bounce(email.provider_message_id))
    wrong = _post_postmark(
        client, _bounce(email.provider_message_id), **_basic_auth("anymail-user:guess")
    )

    # anymail answers a failed webhook validation with 400 (a SuspiciousOperation).
    assert missing.status_code == 400
    assert wrong.status_code == 400
    email.refresh_from_db()
    assert email.delivery_status == "sent"
    assert not EmailSuppression.objects.exists()


def test_postmark_delivery_then_open_update_the_status_and_suppress_nothing(
    db, client, webhook_secret
):
    email = _sent()
    delivery = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": email.provider_message_id,
        "Recipient": "ada@example.com",
        "Tag": "match.digest",
        "DeliveredAt": "2026-11-26T16:33:54.9070259Z",
        "Details": "Test delivery webhook details",
        "Metadata": {},
    }
    opened = {
        "RecordType": "Open",
        "MessageStream": "outbound",
        "FirstOpen": True,
        "Client": {"Name": "Chrome 35.0.1916.153", "Company": "Google", "Family": "Chrome"},
        "OS": {"Name": "OS X 10.7 Lion", "Company": "Apple Computer, Inc.", "Family": "OS X"},
        "Platform": "WebMail",
        "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5)",
        "ReadSeconds": 5,
        "Geo": {"CountryISOCode": "DE", "Country": "Germany", "City": "Berlin"},
        "MessageID": email.provider_message_id,
        "Metadata": {},
        "ReceivedAt": "2026-11-26T17:00:00.0000000Z",
        "Tag": "match.digest",
        "Recipient": "ada@example.com",
    }

    assert _post_postmark(client, delivery, **_basic_auth()).status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "delivered"
    assert _post_postmark(client, opened, **_basic_auth()).status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "opened"
    # A late "delivered" does not hide the open.
    assert _post_postmark(client, delivery, **_basic_auth()).status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "opened"
    assert not EmailSuppression.objects.exists()


def test_postmark_spam_complaint_suppresses_the_address(db, client, webhook_secret):
    email = _sent()
    complaint = {
        "RecordType": "SpamComplaint",
        "MessageStream": "outbound",
        "ID": 42,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Tag": "match.digest",
        "MessageID": email.provider_message_id,
        "Metadata": {},
        "ServerID": 1234,
        "Description": "",
        "Details": "Test spam complaint details",
        "Email": "Ada@Example.com",
        "From": "noreply@jobs.example.com",
        "BouncedAt": "2026-11-26T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": False,
        "Subject": "3 new job matches for you",
        "Content": "<Abuse report dump>",
    }

    assert _post_postmark(client, complaint, **_basic_auth()).status_code == 200

    email.refresh_from_db()
    assert email.delivery_status == "complained"
    assert EmailSuppression.objects.get(email="ada@example.com").reason == "complained"


def test_postmark_unsubscribe_suppresses_and_resubscribe_lifts_it(db, client, webhook_secret):
    email = _sent()
    change = {
        "RecordType": "SubscriptionChange",
        "MessageID": email.provider_message_id,
        "ServerID": 123456,
        "MessageStream": "outbound",
        "ChangedAt": "2026-11-26T10:53:34.416071Z",
        "Recipient": "ada@example.com",
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
        "Tag": "match.digest",
        "Metadata": {},
    }

    assert _post_postmark(client, change, **_basic_auth()).status_code == 200
    assert EmailSuppression.objects.get(email="ada@example.com").reason == "unsubscribed"

    resubscribed = {**change, "SuppressSending": False, "SuppressionReason": None}
    assert _post_postmark(client, resubscribed, **_basic_auth()).status_code == 200
    assert not EmailSuppression.objects.filter(email="ada@example.com").exists()


def test_event_for_an_unknown_message_still_suppresses_the_recipient(db):
    result = email_delivery_record(
        event_type="bounced", message_id="not-ours", recipient="Someone@Example.com"
    )

    assert result is None
    assert EmailSuppression.objects.get(email="someone@example.com").reason == "bounced"


def test_event_found_by_outbox_id_metadata_when_the_message_id_is_unknown(db):
    email = _sent(message_id="")

    found = email_delivery_record(
        event_type="delivered", message_id="other-id", metadata={"outbox_id": str(email.pk)}
    )

    assert found is not None and found.pk == email.pk
    email.refresh_from_db()
    assert email.delivery_status == "delivered"


# --- Admin ------------------------------------------------------------------------------------


def test_staff_suppress_an_address_in_the_admin_and_it_is_stored_lower_cased(admin_client_):
    response = admin_client_.post(
        reverse("admin:accounts_emailsuppression_add"),
        {"email": "Someone@Example.COM", "reason": "manual", "detail": "Asked by phone"},
    )

    assert response.status_code == 302
    suppression = EmailSuppression.objects.get()
    assert suppression.email == "someone@example.com"
    assert suppression.reason == EmailSuppression.Reason.MANUAL
    assert suppression.detail == "Asked by phone"


def test_event_for_an_unusable_address_is_ignored_not_an_error(db, client, webhook_secret):
    response = _post_postmark(client, _bounce("not-ours", email="not an address"), **_basic_auth())

    assert response.status_code == 200
    assert not EmailSuppression.objects.exists()


def test_the_webhook_of_a_provider_we_are_not_set_up_for_answers_404_not_500(
    client, db, webhook_secret
):
    # Mailgun's tracking webhook needs MAILGUN_WEBHOOK_SIGNING_KEY, which we don't set: anymail
    # raises a configuration error when the view is built, which used to be a 500.
    response = client.post(
        reverse("anymail:mailgun_tracking_webhook"),
        data="{}",
        content_type="application/json",
        **_basic_auth(),
    )
    assert response.status_code == 404
