"""Clerk webhooks: svix verification at /webhooks/clerk/, deduplication, and what each event
does (accounts.clerk). Deliveries are signed with svix's own `Webhook.sign`; the stored event
is applied by the task, run eagerly on commit as in production's queue-then-work."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django_celery_beat.models import PeriodicTask
from svix.webhooks import Webhook

from accounts import clerk
from accounts.clerk import clerk_event_process
from accounts.models import ApiKey, AuditEvent, ClerkEvent, Membership, Role, User
from accounts.services import api_key_create
from accounts.tasks import clerk_events_sweep
from accounts.tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory

URL = "/webhooks/clerk/"
ORG = "org_2abcDEF"


def _secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@pytest.fixture
def secret(settings) -> str:
    settings.CLERK_WEBHOOK_SECRET = _secret()
    settings.CLERK_WEBHOOK_TOLERANCE = 300
    return settings.CLERK_WEBHOOK_SECRET


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def user_event(
    event_type: str,
    clerk_id: str,
    *,
    email: str = "ada@example.com",
    first: str = "Ada",
    last: str = "Lovelace",
    verified: bool = True,
    at: datetime | None = None,
    extra_addresses: list[dict] | None = None,
) -> dict:
    """A Clerk user event as Clerk sends it (trimmed to the fields that matter here)."""
    at = at or datetime.now(UTC)
    status = "verified" if verified else "unverified"
    addresses = [
        *(extra_addresses or []),
        {
            "id": "idn_primary",
            "email_address": email,
            "verification": {"status": status, "strategy": "email_code"},
        },
    ]
    return {
        "object": "event",
        "type": event_type,
        "timestamp": _ms(at),
        "instance_id": "ins_test",
        "data": {
            "object": "user",
            "id": clerk_id,
            "first_name": first,
            "last_name": last,
            "primary_email_address_id": "idn_primary",
            "email_addresses": addresses,
            "updated_at": _ms(at),
        },
    }


def user_deleted(clerk_id: str, *, at: datetime | None = None) -> dict:
    at = at or datetime.now(UTC)
    return {
        "object": "event",
        "type": "user.deleted",
        "timestamp": _ms(at),
        "data": {"object": "user", "id": clerk_id, "deleted": True},
    }


def membership_event(
    event_type: str, clerk_id: str, role: str = "org:member", *, org: str = ORG, at=None
) -> dict:
    at = at or datetime.now(UTC)
    return {
        "object": "event",
        "type": event_type,
        "timestamp": _ms(at),
        "data": {
            "object": "organization_membership",
            "id": f"orgmem_{clerk_id}",
            "role": role,
            "organization": {"id": org, "name": "Acme", "slug": "acme"},
            "public_user_data": {"user_id": clerk_id, "identifier": "someone@example.com"},
        },
    }


def signed_headers(
    secret: str, body: str, *, msg_id: str | None = None, at: datetime | None = None
) -> dict:
    msg_id = msg_id or f"msg_{secrets.token_hex(12)}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, at, body)
    return {
        "HTTP_SVIX_ID": msg_id,
        "HTTP_SVIX_TIMESTAMP": str(int(at.timestamp())),
        "HTTP_SVIX_SIGNATURE": signature,
    }


def post(client: Client, body: str | bytes, headers: dict):
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture
def deliver(client, secret, django_capture_on_commit_callbacks):
    """`deliver(payload, msg_id=..., at=...)`: sign and post like svix, running the queued
    task on commit; returns the response."""

    def send(payload: dict, *, msg_id: str | None = None, at: datetime | None = None):
        body = json.dumps(payload)
        with django_capture_on_commit_callbacks(execute=True):
            return post(client, body, signed_headers(secret, body, msg_id=msg_id, at=at))

    return send


def refusals(caplog) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "security" and getattr(record, "event", "") == "webhook.signature_invalid"
    ]


# --- Refused deliveries ----------------------------------------------------------------------


def _assert_refused(response, caplog, reason: str, status: int = 400) -> None:
    assert response.status_code == status
    assert response.json()["error"]["code"] == reason
    assert ClerkEvent.objects.count() == 0
    logged = refusals(caplog)
    assert len(logged) == 1
    assert logged[0].source == "clerk"
    assert logged[0].reason == reason


@pytest.mark.django_db
def test_delivery_signed_with_another_secret_is_refused(client, secret, caplog):
    body = json.dumps(user_event("user.created", "user_forged"))
    response = post(client, body, signed_headers(_secret(), body))
    _assert_refused(response, caplog, "bad_signature")
    assert not User.objects.filter(clerk_user_id="user_forged").exists()


@pytest.mark.django_db
def test_tampered_body_is_refused(client, secret, caplog):
    body = json.dumps(user_event("user.created", "user_1", email="ada@example.com"))
    headers = signed_headers(secret, body)
    tampered = body.replace("ada@example.com", "eve@example.com")
    _assert_refused(post(client, tampered, headers), caplog, "bad_signature")


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [-301, 301])
def test_delivery_signed_301_seconds_away_is_refused(client, secret, caplog, offset):
    body = json.dumps(user_event("user.created", "user_1"))
    at = datetime.now(UTC) + timedelta(seconds=offset)
    _assert_refused(post(client, body, signed_headers(secret, body, at=at)), caplog, "stale")


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [-290, 290])
def test_delivery_signed_within_the_tolerance_is_accepted(client, secret, offset):
    body = json.dumps(user_event("user.created", "user_1"))
    at = datetime.now(UTC) + timedelta(seconds=offset)
    assert post(client, body, signed_headers(secret, body, at=at)).status_code == 202
    assert ClerkEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_tighter_tolerance_setting_is_enforced(client, secret, settings, caplog):
    settings.CLERK_WEBHOOK_TOLERANCE = 60
    body = json.dumps(user_event("user.created", "user_1"))
    at = datetime.now(UTC) - timedelta(seconds=90)  # svix's own five minutes would pass it
    _assert_refused(post(client, body, signed_headers(secret, body, at=at)), caplog, "stale")


@pytest.mark.django_db
def test_missing_signature_header_is_refused(client, secret, caplog):
    body = json.dumps(user_event("user.created", "user_1"))
    headers = signed_headers(secret, body)
    del headers["HTTP_SVIX_SIGNATURE"]
    _assert_refused(post(client, body, headers), caplog, "missing_headers")


@pytest.mark.django_db
@pytest.mark.parametrize("signature", ["garbage", "v1,not-base64!!", "v1", "v2,abc v1"])
def test_malformed_signature_is_a_400_not_a_500(client, secret, caplog, signature):
    body = json.dumps(user_event("user.created", "user_1"))
    headers = {**signed_headers(secret, body), "HTTP_SVIX_SIGNATURE": signature}
    _assert_refused(post(client, body, headers), caplog, "bad_signature")


@pytest.mark.django_db
def test_non_numeric_timestamp_is_refused(client, secret, caplog):
    body = json.dumps(user_event("user.created", "user_1"))
    headers = {**signed_headers(secret, body), "HTTP_SVIX_TIMESTAMP": "1e9"}
    _assert_refused(post(client, body, headers), caplog, "malformed_headers")


@pytest.mark.django_db
def test_validly_signed_body_that_is_not_json_is_refused(client, secret, caplog):
    body = "{not json"
    _assert_refused(post(client, body, signed_headers(secret, body)), caplog, "malformed_json")


@pytest.mark.django_db
def test_validly_signed_json_that_is_not_an_event_is_refused(client, secret, caplog):
    body = json.dumps(["user.created"])
    _assert_refused(post(client, body, signed_headers(secret, body)), caplog, "malformed_event")


@pytest.mark.django_db
def test_oversized_body_is_refused_with_413(client, secret, caplog):
    body = json.dumps({"type": "user.created", "data": {"pad": "x" * (1024 * 1024)}})
    _assert_refused(post(client, body, signed_headers(secret, body)), caplog, "too_large", 413)


@pytest.mark.django_db
def test_unset_secret_answers_503_and_stores_nothing(client, settings):
    settings.CLERK_WEBHOOK_SECRET = ""
    body = json.dumps(user_event("user.created", "user_1"))
    response = post(client, body, signed_headers(_secret(), body))
    assert response.status_code == 503
    assert ClerkEvent.objects.count() == 0


@pytest.mark.django_db
def test_get_is_not_allowed(client, secret):
    assert client.get(URL).status_code == 405


# --- Accepted deliveries ---------------------------------------------------------------------


@pytest.mark.django_db
def test_user_created_creates_one_linked_user(deliver):
    response = deliver(user_event("user.created", "user_ada", email="Ada@Example.com"))
    assert response.status_code == 202
    user = User.objects.get(clerk_user_id="user_ada")
    assert user.email == "ada@example.com"
    assert user.full_name == "Ada Lovelace"
    assert not user.has_usable_password()
    assert user.emailaddress_set.get().verified
    event = ClerkEvent.objects.get()
    assert event.status == ClerkEvent.Status.DONE
    assert event.svix_id.startswith("msg_")


@pytest.mark.django_db
def test_ten_replays_store_one_event_and_apply_it_once(deliver, secret):
    payload = user_event("user.created", "user_ada")
    statuses = [deliver(payload, msg_id="msg_replayed").status_code for _ in range(10)]
    assert statuses == [202] + [200] * 9
    assert ClerkEvent.objects.count() == 1
    assert User.objects.filter(clerk_user_id="user_ada").count() == 1


@pytest.mark.django_db
def test_a_replay_after_a_later_change_does_not_undo_it(deliver):
    """Same svix id again, after a newer update: the replay is recognised and ignored."""
    first = user_event("user.created", "user_ada", first="Ada")
    deliver(first, msg_id="msg_first")
    deliver(user_event("user.updated", "user_ada", first="Augusta"))
    deliver(first, msg_id="msg_first")
    assert User.objects.get(clerk_user_id="user_ada").full_name == "Augusta Lovelace"


@pytest.mark.django_db
def test_primary_email_is_the_one_named_by_primary_email_address_id(deliver):
    other = {
        "id": "idn_other",
        "email_address": "first-in-list@example.com",
        "verification": {"status": "verified"},
    }
    deliver(
        user_event("user.created", "user_ada", email="primary@example.com", extra_addresses=[other])
    )
    assert User.objects.get(clerk_user_id="user_ada").email == "primary@example.com"


@pytest.mark.django_db
def test_unverified_primary_email_creates_nobody(deliver):
    deliver(user_event("user.created", "user_ada", verified=False))
    assert not User.objects.filter(clerk_user_id="user_ada").exists()
    event = ClerkEvent.objects.get()
    assert event.status == ClerkEvent.Status.IGNORED
    assert "verified" in event.detail


@pytest.mark.django_db
def test_unverified_new_email_does_not_replace_the_old_one(deliver):
    deliver(user_event("user.created", "user_ada", email="ada@example.com"))
    deliver(
        user_event(
            "user.updated", "user_ada", email="new@example.com", verified=False, first="Augusta"
        )
    )
    user = User.objects.get(clerk_user_id="user_ada")
    assert (user.email, user.full_name) == ("ada@example.com", "Augusta Lovelace")


@pytest.mark.django_db
def test_user_updated_changes_email_and_name(deliver):
    deliver(user_event("user.created", "user_ada"))
    deliver(user_event("user.updated", "user_ada", email="ada@newmail.example", last="King"))
    user = User.objects.get(clerk_user_id="user_ada")
    assert (user.email, user.full_name) == ("ada@newmail.example", "Ada King")
    assert list(user.emailaddress_set.values_list("email", flat=True)) == ["ada@newmail.example"]


@pytest.mark.django_db
def test_existing_user_is_linked_by_verified_email_case_insensitively(deliver):
    existing = UserFactory(email="ada@example.com")
    deliver(user_event("user.created", "user_ada", email="ADA@example.com"))
    existing.refresh_from_db()
    assert existing.clerk_user_id == "user_ada"
    assert existing.has_usable_password()  # their own password still works
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_superuser_is_never_linked_by_email(deliver):
    boss = UserFactory(email="boss@example.com", is_superuser=True, is_staff=True)
    deliver(user_event("user.created", "user_boss", email="boss@example.com"))
    boss.refresh_from_db()
    assert boss.clerk_user_id is None
    assert ClerkEvent.objects.get().status == ClerkEvent.Status.IGNORED


@pytest.mark.django_db
def test_email_of_a_user_linked_to_another_clerk_user_is_not_taken(deliver):
    UserFactory(email="ada@example.com", clerk_user_id="user_other")
    deliver(user_event("user.created", "user_ada", email="ada@example.com"))
    assert not User.objects.filter(clerk_user_id="user_ada").exists()
    assert ClerkEvent.objects.get().status == ClerkEvent.Status.IGNORED


@pytest.mark.django_db
def test_older_update_arriving_late_is_ignored(deliver):
    now = datetime.now(UTC)
    deliver(user_event("user.created", "user_ada", at=now - timedelta(minutes=5)))
    deliver(user_event("user.updated", "user_ada", first="Newer", at=now))
    deliver(user_event("user.updated", "user_ada", first="Older", at=now - timedelta(minutes=1)))
    assert User.objects.get(clerk_user_id="user_ada").full_name == "Newer Lovelace"
    late = ClerkEvent.objects.order_by("-id").first()
    assert late.status == ClerkEvent.Status.IGNORED


@pytest.mark.django_db
def test_update_arriving_before_create_creates_and_the_late_create_is_ignored(deliver):
    now = datetime.now(UTC)
    deliver(user_event("user.updated", "user_ada", first="Updated", at=now))
    deliver(user_event("user.created", "user_ada", first="Created", at=now - timedelta(seconds=30)))
    assert User.objects.get(clerk_user_id="user_ada").full_name == "Updated Lovelace"


# --- Deletion --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_user_deleted_deactivates_ends_sessions_and_revokes_their_keys(deliver, company):
    deliver(user_event("user.created", "user_ada"))
    user = User.objects.get(clerk_user_id="user_ada")
    MembershipFactory(company=company, user=user, role=Role.ADMIN)
    user.set_password(PASSWORD)
    user.save()
    browser = Client()
    browser.force_login(user)
    assert Session.objects.count() == 1
    assert browser.get("/api/v1/users/me").status_code == 200
    token_before = User.objects.get(pk=user.pk).session_token
    mine, _ = api_key_create(company=company, name="mine", scopes=["jobs:read"], actor=user)
    theirs, _ = api_key_create(company=company, name="theirs", scopes=["jobs:read"], actor=None)

    assert deliver(user_deleted("user_ada")).status_code == 202

    user.refresh_from_db()
    assert not user.is_active
    assert user.clerk_deleted_at is not None
    assert user.session_token != token_before
    assert Session.objects.count() == 0
    assert browser.get("/api/v1/users/me").status_code in (401, 403)  # signed out
    assert ApiKey.objects.get(pk=mine.pk).revoked_at is not None
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None
    assert AuditEvent.objects.filter(action="user.clerk_deleted", target_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_late_update_after_deletion_leaves_the_user_inactive(deliver):
    now = datetime.now(UTC)
    deliver(user_event("user.created", "user_ada", at=now - timedelta(minutes=2)))
    deliver(user_deleted("user_ada", at=now - timedelta(minutes=1)))
    # One sent before the deletion and delivered late, one stamped after it (a retry): neither
    # brings them back nor changes them.
    deliver(user_event("user.updated", "user_ada", first="Older", at=now - timedelta(seconds=90)))
    deliver(user_event("user.updated", "user_ada", first="Later", at=now))
    deliver(user_event("user.created", "user_ada", first="Again", at=now))
    user = User.objects.get(clerk_user_id="user_ada")
    assert not user.is_active
    assert user.full_name == "Ada Lovelace"
    assert User.objects.count() == 1
    assert ClerkEvent.objects.filter(status=ClerkEvent.Status.IGNORED).count() == 3


@pytest.mark.django_db
def test_deletion_before_creation_prevents_the_creation(deliver):
    now = datetime.now(UTC)
    deliver(user_deleted("user_ada", at=now))
    deliver(user_event("user.created", "user_ada", at=now - timedelta(minutes=1)))
    assert not User.objects.filter(clerk_user_id="user_ada").exists()
    assert not User.objects.filter(email="ada@example.com").exists()


# --- Concurrency -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_with_one_svix_id_store_and_apply_once(secret):
    body = json.dumps(user_event("user.created", "user_ada"))
    headers = signed_headers(secret, body, msg_id="msg_concurrent")
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            client = Client()
            barrier.wait()
            statuses.append(post(client, body, headers).status_code)
        except BaseException as error:  # reported below; a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [200, 202]
    assert ClerkEvent.objects.count() == 1
    assert ClerkEvent.objects.get().status == ClerkEvent.Status.DONE
    assert User.objects.filter(clerk_user_id="user_ada").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_processing_of_one_event_applies_it_once(secret):
    """Two workers given the same event (the task and the sweeper): one applies it."""
    body = json.dumps(user_event("user.created", "user_ada"))
    event = ClerkEvent.objects.create(
        svix_id="msg_both",
        event_type="user.created",
        payload=json.loads(body),
        svix_timestamp=datetime.now(UTC),
    )
    barrier = threading.Barrier(2)
    results: list[str | None] = []

    def work() -> None:
        try:
            barrier.wait()
            results.append(clerk_event_process(event_id=event.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, results)) == ["None", "done"]
    assert User.objects.filter(clerk_user_id="user_ada").count() == 1


# --- The sweeper -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_event_whose_task_was_lost_is_applied_by_the_sweeper(client, secret):
    body = json.dumps(user_event("user.created", "user_ada"))
    # No on-commit execution: the queued task is lost, as in a broker outage.
    assert post(client, body, signed_headers(secret, body)).status_code == 202
    assert not User.objects.filter(clerk_user_id="user_ada").exists()
    assert clerk_events_sweep() == {"claimed": 0}  # too recent: its task still has its chance
    ClerkEvent.objects.update(received_at=datetime.now(UTC) - timedelta(minutes=3))
    assert clerk_events_sweep() == {"claimed": 1, "done": 1}
    assert User.objects.filter(clerk_user_id="user_ada").exists()
    assert clerk_events_sweep() == {"claimed": 0}


@pytest.mark.django_db
def test_an_event_whose_handler_keeps_failing_is_retried_then_failed(monkeypatch, client, secret):
    def broken(event, data):
        raise KeyError("a bug")

    monkeypatch.setitem(clerk._HANDLERS, "user.created", broken)
    body = json.dumps(user_event("user.created", "user_ada"))
    assert post(client, body, signed_headers(secret, body)).status_code == 202
    event = ClerkEvent.objects.get()
    with pytest.raises(KeyError):  # young: the error stands, the event waits for a retry
        clerk_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == ClerkEvent.Status.PENDING
    # The sweeper carries on past it (a later event behind it is applied) and retries it.
    ClerkEvent.objects.update(received_at=datetime.now(UTC) - timedelta(minutes=5))
    later = json.dumps(user_event("user.updated", "user_grace"))
    assert post(client, later, signed_headers(secret, later, msg_id="msg_later")).status_code == 202
    ClerkEvent.objects.filter(svix_id="msg_later").update(
        received_at=datetime.now(UTC) - timedelta(minutes=4)
    )
    assert clerk_events_sweep() == {"claimed": 2, "error": 1, "done": 1}
    assert User.objects.filter(clerk_user_id="user_grace").exists()
    ClerkEvent.objects.filter(pk=event.pk).update(
        received_at=datetime.now(UTC) - clerk.CLERK_GIVE_UP_AFTER
    )
    assert clerk_events_sweep() == {"claimed": 1, "failed": 1}
    event.refresh_from_db()
    assert (event.status, event.detail) == (
        ClerkEvent.Status.FAILED,
        "Gave up after an error: KeyError.",
    )
    assert clerk_events_sweep() == {"claimed": 0}


@pytest.mark.django_db
def test_sweeper_is_installed_in_celery_beat():
    task = PeriodicTask.objects.get(task="accounts.clerk_events_sweep")
    assert task.enabled
    assert task.crontab.minute == "*"


@pytest.mark.django_db
def test_unknown_event_type_is_stored_and_ignored(deliver):
    assert deliver({"type": "session.created", "data": {"id": "sess_1"}}).status_code == 202
    event = ClerkEvent.objects.get()
    assert event.status == ClerkEvent.Status.IGNORED
    assert "not handled" in event.detail


# --- Organisation memberships ----------------------------------------------------------------


@pytest.fixture
def clerk_company(db):
    company = CompanyFactory()
    company.clerk_organization_id = ORG
    company.save(update_fields=["clerk_organization_id"])
    return company


@pytest.fixture
def ada(deliver):
    deliver(user_event("user.created", "user_ada"))
    return User.objects.get(clerk_user_id="user_ada")


@pytest.mark.django_db
def test_membership_roles_follow_clerk(deliver, clerk_company, ada):
    now = datetime.now(UTC)
    deliver(
        membership_event(
            "organizationMembership.created", "user_ada", "org:admin", at=now - timedelta(minutes=2)
        )
    )
    assert Membership.objects.get(company=clerk_company, user=ada).role == Role.ADMIN
    ada.refresh_from_db()
    assert ada.is_staff  # members work in the back office
    deliver(
        membership_event(
            "organizationMembership.updated",
            "user_ada",
            "org:member",
            at=now - timedelta(minutes=1),
        )
    )
    assert Membership.objects.get(company=clerk_company, user=ada).role == Role.RECRUITER
    assert AuditEvent.objects.filter(action="membership.role_changed").count() == 1
    deliver(membership_event("organizationMembership.deleted", "user_ada", at=now))
    assert not Membership.objects.filter(company=clerk_company, user=ada).exists()
    # A creation delivered late, older than the deletion, does not re-add them.
    deliver(
        membership_event(
            "organizationMembership.created",
            "user_ada",
            "org:admin",
            at=now - timedelta(seconds=30),
        )
    )
    assert not Membership.objects.filter(company=clerk_company, user=ada).exists()


@pytest.mark.django_db
def test_membership_of_an_unlinked_organisation_is_ignored(deliver, clerk_company, ada):
    deliver(membership_event("organizationMembership.created", "user_ada", org="org_unknown"))
    assert not Membership.objects.filter(user=ada).exists()
    event = ClerkEvent.objects.get(event_type="organizationMembership.created")
    assert event.status == ClerkEvent.Status.IGNORED
    assert "org_unknown" in event.detail


@pytest.mark.django_db
def test_unknown_clerk_role_is_ignored(deliver, clerk_company, ada):
    deliver(membership_event("organizationMembership.created", "user_ada", "org:billing"))
    assert not Membership.objects.filter(user=ada).exists()
    event = ClerkEvent.objects.get(event_type="organizationMembership.created")
    assert event.status == ClerkEvent.Status.IGNORED


@pytest.mark.django_db
def test_last_owner_is_neither_removed_nor_demoted(deliver, clerk_company, ada):
    Membership.objects.create(company=clerk_company, user=ada, role=Role.OWNER)
    deliver(membership_event("organizationMembership.updated", "user_ada", "org:admin"))
    assert Membership.objects.get(company=clerk_company, user=ada).role == Role.OWNER
    deliver(membership_event("organizationMembership.updated", "user_ada", "org:member"))
    assert Membership.objects.get(company=clerk_company, user=ada).role == Role.OWNER
    deliver(membership_event("organizationMembership.deleted", "user_ada"))
    assert Membership.objects.get(company=clerk_company, user=ada).role == Role.OWNER
    last = ClerkEvent.objects.order_by("-id").first()
    assert last.status == ClerkEvent.Status.IGNORED
    assert "owner" in last.detail


@pytest.mark.django_db
def test_owner_is_removed_when_another_owner_remains(deliver, clerk_company, ada):
    MembershipFactory(company=clerk_company, role=Role.OWNER)
    Membership.objects.create(company=clerk_company, user=ada, role=Role.OWNER)
    deliver(membership_event("organizationMembership.deleted", "user_ada"))
    assert not Membership.objects.filter(company=clerk_company, user=ada).exists()


@pytest.mark.django_db
def test_membership_waits_for_its_user_then_applies(deliver, clerk_company):
    deliver(membership_event("organizationMembership.created", "user_late", "org:admin"))
    event = ClerkEvent.objects.get()
    assert event.status == ClerkEvent.Status.PENDING
    deliver(user_event("user.created", "user_late", email="late@example.com"))
    ClerkEvent.objects.filter(pk=event.pk).update(
        received_at=datetime.now(UTC) - timedelta(minutes=3)
    )
    assert clerk_events_sweep()["done"] == 1
    user = User.objects.get(clerk_user_id="user_late")
    assert Membership.objects.get(company=clerk_company, user=user).role == Role.ADMIN


@pytest.mark.django_db
def test_membership_for_a_user_never_known_is_ignored_after_an_hour(deliver, clerk_company):
    deliver(membership_event("organizationMembership.created", "user_ghost"))
    ClerkEvent.objects.update(received_at=datetime.now(UTC) - timedelta(hours=2))
    assert clerk_events_sweep() == {"claimed": 1, "ignored": 1}


@pytest.mark.django_db
def test_erased_payload_is_marked_failed_not_crashing(db):
    event = ClerkEvent.objects.create(
        svix_id="msg_erased",
        event_type="user.updated",
        payload={"erased": True},
        svix_timestamp=datetime.now(UTC),
    )
    assert clerk_event_process(event_id=event.pk) == ClerkEvent.Status.FAILED


def test_signature_helper_matches_svix_verification():
    """The tests' signing is svix's own: svix's verifier accepts what they send."""
    secret = _secret()
    body = json.dumps({"type": "user.created", "data": {}})
    headers = signed_headers(secret, body, msg_id="msg_x")
    Webhook(secret).verify(
        body,
        {
            "svix-id": headers["HTTP_SVIX_ID"],
            "svix-timestamp": headers["HTTP_SVIX_TIMESTAMP"],
            "svix-signature": headers["HTTP_SVIX_SIGNATURE"],
        },
    )
    assert abs(int(headers["HTTP_SVIX_TIMESTAMP"]) - time.time()) < 5
