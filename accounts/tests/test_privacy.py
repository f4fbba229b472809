"""Privacy pages and the accounts part of the registry: the page, download my data, and delete
my account (confirmation, last owners, what is scrubbed, sessions, the confirmation email)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from allauth.core import ratelimit
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.mail import email_queue
from accounts.models import (
    AuditEvent,
    CandidateProfile,
    Membership,
    Notification,
    NotificationPreference,
    OutboundEmail,
    PushSubscription,
    Role,
    User,
)
from accounts.privacy import CONFIRMATION_KIND, ERASED, erasure_confirmations_scrub, privacy_parts
from accounts.services import audit_record
from accounts.tasks import outbox_send
from accounts.tests.factories import PASSWORD, CandidateProfileFactory, MembershipFactory

PRIVACY = reverse("me-privacy")
EXPORT = reverse("me-privacy-export")
DELETE = reverse("me-privacy-delete")
DELETED = reverse("me-privacy-deleted")


@pytest.fixture
def person(db):
    profile = CandidateProfileFactory(
        user__email="grace.hopper@example.com",
        user__full_name="Grace Hopper",
        phone="+14155550123",
        resume_text="COBOL pioneer and rear admiral of the compiler.",
        headline="Compiler engineer",
    )
    profile.embedding = [0.1] * 384
    profile.save()
    return profile.user


@pytest.fixture
def person_client(person):
    client = Client()
    client.force_login(person)
    return client


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _part(archive: zipfile.ZipFile, name: str):
    return json.loads(archive.read(f"{name}.json"))


def _outbox(user, **fields) -> OutboundEmail:
    email, _ = email_queue(
        to=user.email,
        user=user,
        kind=fields.pop("kind", "application.received"),
        subject=fields.pop("subject", f"Thanks, {user.full_name}"),
        body_text=fields.pop("body_text", f"Hello {user.full_name}, we got your application."),
        dedupe_key=fields.pop("dedupe_key", f"test:{user.pk}:{OutboundEmail.objects.count()}"),
        **fields,
    )
    return email


def test_the_registry_holds_every_app_in_layer_order():
    assert [part.name for part in privacy_parts()] == [
        "accounts",
        "jobs",
        "applications",
        "pipeline",
    ]


@pytest.mark.parametrize(
    ("method", "url"), [("get", PRIVACY), ("post", EXPORT), ("get", DELETE), ("post", DELETE)]
)
def test_anonymous_people_are_sent_to_log_in(client, db, method, url):
    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_page_explains_what_is_kept_and_offers_both_actions(person_client):
    response = person_client.get(PRIVACY)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert f'action="{EXPORT}"' in html and ">Download my data</button>" in html
    assert f'href="{DELETE}"' in html
    assert "What we keep" in html


def test_export_is_post_only(person_client):
    assert person_client.get(EXPORT).status_code == 405


def test_download_holds_the_accounts_part_and_is_audited(person, person_client):
    NotificationPreference.objects.create(user=person, product_news=True)
    Notification.objects.create(
        user=person, kind="application_update", title="You moved on", dedupe_key="n1"
    )
    _outbox(person)
    other = CandidateProfileFactory(user__email="other@example.com", phone="+4930999999").user
    _outbox(other)

    response = person_client.post(EXPORT, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    archive = _zip(response)
    account = _part(archive, "account")
    assert account["email"] == "grace.hopper@example.com"
    assert account["full_name"] == "Grace Hopper"
    profile = _part(archive, "profile")
    assert profile["phone"] == "+14155550123"
    assert profile["resume_text"] == "COBOL pioneer and rear admiral of the compiler."
    assert len(profile["embedding"]) == 384
    assert _part(archive, "notification_preferences")["product_news"] is True
    assert [n["title"] for n in _part(archive, "notifications")] == ["You moved on"]
    messages = _part(archive, "messages")
    assert [m["to"] for m in messages] == ["grace.hopper@example.com"]
    assert messages[0]["subject"] == "Thanks, Grace Hopper"
    assert "README.txt" in archive.namelist()
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"other@example.com" not in everything and b"+4930999999" not in everything
    event = AuditEvent.objects.get(action="privacy.exported")
    assert (event.actor, event.ip_address) == (person, "203.0.113.9")


def test_a_wrong_password_keeps_everything(person, person_client):
    response = person_client.post(DELETE, {"confirm": "not my password"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "That is not your password." in html
    assert 'aria-describedby="id_confirm-help id_confirm-error"' in html
    assert 'aria-invalid="true"' in html
    person.refresh_from_db()
    assert person.is_active and person.email == "grace.hopper@example.com"
    assert CandidateProfile.objects.filter(user=person).exists()
    assert not OutboundEmail.objects.filter(kind=CONFIRMATION_KIND).exists()
    assert person_client.get(PRIVACY).status_code == 200  # still logged in


@pytest.fixture
def rate_limit_cleared(person, rf):
    """Forget the attempts afterwards: the counter lives in the shared cache, where a user with
    the same id in the next test run would find it."""
    yield
    ratelimit.clear(rf.get("/"), action="reauthenticate", user=person)


def test_guessing_the_password_is_rate_limited(person, person_client, rate_limit_cleared):
    for _ in range(10):
        assert (
            "That is not your password."
            in person_client.post(DELETE, {"confirm": "guess"}).content.decode()
        )

    response = person_client.post(DELETE, {"confirm": PASSWORD})

    assert response.status_code == 400
    assert "Too many attempts" in response.content.decode()
    assert User.objects.get(pk=person.pk).is_active


def test_an_empty_confirmation_is_an_inline_error(person_client):
    response = person_client.post(DELETE, {})

    assert response.status_code == 400
    assert "Enter your password to confirm." in response.content.decode()


def test_an_account_without_a_password_confirms_with_its_email(person, person_client):
    person.set_unusable_password()
    person.save()
    person_client.force_login(person)

    page = person_client.get(DELETE).content.decode()
    assert 'type="email"' in page and "Your email address" in page
    wrong = person_client.post(DELETE, {"confirm": "grace@example.org"})
    assert wrong.status_code == 400
    assert 'value="grace@example.org"' in wrong.content.decode()  # what they typed is kept
    assert User.objects.get(pk=person.pk).is_active

    done = person_client.post(DELETE, {"confirm": " Grace.Hopper@Example.com "})
    assert done.status_code == 302
    assert not User.objects.get(pk=person.pk).is_active


def test_the_last_owner_of_a_company_cannot_leave(person, person_client, company):
    Membership.objects.create(user=person, company=company, role=Role.OWNER)

    page = person_client.get(DELETE)
    assert f"You are the only owner of {company.name}" in page.content.decode()
    assert f"you leave {company.name} (owner)" in page.content.decode()
    assert 'name="confirm"' not in page.content.decode()
    response = person_client.post(DELETE, {"confirm": PASSWORD})

    assert response.status_code == 409
    assert User.objects.get(pk=person.pk).is_active
    assert Membership.objects.filter(user=person).exists()

    MembershipFactory(company=company, role=Role.OWNER)  # a second owner
    assert person_client.post(DELETE, {"confirm": PASSWORD}).status_code == 302
    assert not Membership.objects.filter(user=person).exists()
    removed = AuditEvent.objects.get(action="membership.removed", company=company)
    assert "grace" not in removed.target_repr.lower()


def test_deleting_erases_the_accounts_part_and_logs_out_everywhere(
    person, person_client, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=person)
    Notification.objects.create(user=person, kind="match_digest", title="New jobs", dedupe_key="n")
    PushSubscription.objects.create(
        user=person, endpoint="https://push.example.net/abc", p256dh="k", auth="a"
    )
    sent = _outbox(person, subject="Welcome Grace Hopper")
    OutboundEmail.objects.filter(pk=sent.pk).update(status="sent", sent_at=sent.created_at)
    _outbox(person, subject="Your interview", dedupe_key="queued")  # not sent yet
    colleague = CandidateProfileFactory(user__email="boss@example.com").user
    digest = _outbox(
        colleague,
        subject="New applicants",
        body_text="Grace Hopper (grace.hopper@example.com, +14155550123) applied.",
    )
    audit_record(action="profile.updated", actor=person, target=person.candidate_profile)
    audit_record(
        action="membership.created",
        actor=colleague,
        changes={"user": "grace.hopper@example.com", "note": ["Grace Hopper joined"]},
    )
    LogEntry.objects.create(
        user=colleague,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(person.pk),
        object_repr="grace.hopper@example.com",
        action_flag=CHANGE,
        change_message="Changed full_name.",
    )
    elsewhere = Client()
    elsewhere.force_login(person)

    with django_capture_on_commit_callbacks(execute=True):
        response = person_client.post(DELETE, {"confirm": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == DELETED
    tombstone = User.objects.get(pk=person.pk)
    assert not tombstone.is_active and not tombstone.has_usable_password()
    assert tombstone.full_name == "" and tombstone.email.endswith("@erased.invalid")
    assert not CandidateProfile.objects.filter(user=person).exists()  # the embedding with it
    assert not NotificationPreference.objects.filter(user=person).exists()
    assert not Notification.objects.filter(user=person).exists()
    assert not PushSubscription.objects.filter(user=person).exists()
    # Logged out here and in the other session.
    for client in (person_client, elsewhere):
        assert client.get(PRIVACY)["Location"].startswith(reverse("account_login"))
    # The confirmation, queued to the old address after the scrub, names nobody; the task the
    # commit queued sent it, then forgot the address.
    confirmation = OutboundEmail.objects.get(kind=CONFIRMATION_KIND)
    assert [message.to for message in mail.outbox] == [["grace.hopper@example.com"]]
    assert (confirmation.to, confirmation.status) == ("erased@erased.invalid", "sent")
    assert "Grace" not in confirmation.body_text + confirmation.subject
    # The outbox: their unsent email dropped, the sent one kept nameless, the digest redacted.
    assert not OutboundEmail.objects.filter(dedupe_key="queued").exists()
    sent.refresh_from_db()
    assert (sent.to, sent.subject, sent.body_text, sent.user) == (
        "erased@erased.invalid",
        ERASED,
        "",
        None,
    )
    digest.refresh_from_db()
    assert digest.body_text == f"{ERASED} ({ERASED}, {ERASED}) applied."
    # The audit trail keeps its events without their personal text.
    assert AuditEvent.objects.filter(action="profile.updated").get().actor_label == ERASED
    joined = AuditEvent.objects.get(action="membership.created")
    assert joined.changes == {"user": ERASED, "note": [f"{ERASED} joined"]}
    assert LogEntry.objects.get(user=colleague).object_repr == ERASED
    erased = AuditEvent.objects.get(action="privacy.erased")
    assert erased.changes["counts"]["accounts.profile"] == 1
    # Nothing else in these tables holds them (the confirmation's address aside).
    needles = ("grace.hopper@example.com", "Grace Hopper", "+14155550123", "COBOL pioneer")
    for needle in needles:
        assert not User.objects.filter(email__icontains=needle[:12]).exists()
        assert not AuditEvent.objects.filter(actor_label__icontains=needle).exists()
        assert not AuditEvent.objects.filter(target_repr__icontains=needle).exists()
        assert not [e for e in AuditEvent.objects.all() if needle in json.dumps(e.changes)]
        assert (
            not OutboundEmail.objects.exclude(pk=confirmation.pk)
            .filter(to__icontains=needle)
            .exists()
        )
        assert not OutboundEmail.objects.filter(body_text__icontains=needle).exists()
        assert not OutboundEmail.objects.filter(subject__icontains=needle).exists()


def test_the_sent_confirmation_forgets_the_address(person, person_client):
    person_client.post(DELETE, {"confirm": PASSWORD})
    confirmation = OutboundEmail.objects.get(kind=CONFIRMATION_KIND)

    assert erasure_confirmations_scrub() == 0  # not sent yet: the address is still needed
    OutboundEmail.objects.filter(pk=confirmation.pk).update(
        status="sent", sent_at=confirmation.created_at
    )
    assert erasure_confirmations_scrub() == 1
    confirmation.refresh_from_db()
    assert confirmation.to == "erased@erased.invalid"


def test_the_outbox_task_sends_the_confirmation_then_forgets_the_address(
    person, person_client, mailoutbox
):
    address = person.email
    person_client.post(DELETE, {"confirm": PASSWORD})

    result = outbox_send()  # the task the commit queues and celery-beat runs every minute

    confirmation = OutboundEmail.objects.get(kind=CONFIRMATION_KIND)
    assert confirmation.status == "sent" and confirmation.to == "erased@erased.invalid"
    assert result["erasure_confirmations_scrubbed"] == 1
    assert [message.to for message in mailoutbox] == [[address]]


def test_the_audit_trail_stays_append_only_outside_an_erasure(person):
    event = audit_record(action="profile.updated", actor=person, target=person)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="someone else")


def test_an_erasure_may_change_the_personal_text_of_events_only(person):
    event = audit_record(action="profile.updated", actor=person, target=person)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('accounts.audit_erasure', 'on', true)")
        AuditEvent.objects.filter(pk=event.pk).update(actor_label=ERASED, changes={})
        with pytest.raises(DatabaseError, match="personal text only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")
        with pytest.raises(DatabaseError, match="delete refused"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert (event.action, event.actor_label) == ("profile.updated", ERASED)


def test_the_deleted_page_needs_no_login(client, db):
    response = client.get(DELETED)

    assert response.status_code == 200
    assert "Your account has been deleted" in response.content.decode()


def test_a_member_without_a_profile_downloads_their_account(recruiter, company):
    client = Client()
    client.force_login(recruiter)

    archive = _zip(client.post(EXPORT))

    assert _part(archive, "profile") is None
    assert _part(archive, "applications") == []
    [membership] = _part(archive, "account")["memberships"]
    assert (membership["company"], membership["role"]) == (company.name, "Recruiter")
