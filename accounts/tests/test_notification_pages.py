"""The notification pages: the in-app list (newest first, paginated, marked read when opened or
all at once), the nav badge, the settings form per kind and channel, one-click unsubscribe for
every kind of email, and the notifications that stage changes and interviews create."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.mail import unsubscribe_token_make
from accounts.models import (
    AuditEvent,
    DigestFrequency,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboundEmail,
    PushSubscription,
)
from accounts.notifications import notify
from accounts.push import push_public_key
from accounts.tests.factories import UserFactory
from applications.emails import email_template_save, stage_change_email_queue
from applications.hiring import interview_schedule
from applications.models import EmailTemplate, Stage
from applications.services import application_move, application_submit, application_withdraw
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db


LIST = reverse("me-notifications")
SETTINGS = reverse("me-notification-settings")


@pytest.fixture
def person(db):
    return UserFactory(email="ada@example.com")


@pytest.fixture
def person_client(person):
    client = Client()
    client.force_login(person)
    return client


def _notify(user, n: int, **fields) -> Notification:
    values = {
        "user": user,
        "kind": NotificationKind.APPLICATION_UPDATE,
        "title": f"Update {n}",
        "body": f"Body {n}",
        "url": "/me/",
        "dedupe_key": f"test:{user.pk}:{n}",
    }
    notification = notify(**(values | fields))
    # Distinct times, oldest first, whatever the clock's resolution.
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=1000 - n)
    )
    return notification


def _titles(response) -> list[str]:
    return re.findall(
        r'class="notification-title">\s*<a href="[^"]+">(?:<span[^>]*>Unread: </span>)?([^<]+)</a>',
        response.content.decode(),
    )


# --- Login --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("get", SETTINGS),
        ("post", SETTINGS),
        ("get", reverse("me-notification-open", args=[1])),
        ("post", reverse("me-notifications-read-all")),
    ],
)
def test_anonymous_people_are_sent_to_the_login_page(client, method, url):
    response = getattr(client, method)(url)

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == reverse("account_login") and f"next={url}" in response["Location"]


# --- The list -----------------------------------------------------------------------------------


def test_the_list_shows_ones_own_notifications_newest_first_in_pages(person_client, person):
    for n in range(25):
        _notify(person, n)
    _notify(UserFactory(), 99, title="Someone else's")

    first = person_client.get(LIST)
    second = person_client.get(LIST, {"page": 2})

    assert first.status_code == 200 and first.context["nav"] == "notifications"
    assert _titles(first) == [f"Update {n}" for n in range(24, 4, -1)]
    assert _titles(second) == [f"Update {n}" for n in range(4, -1, -1)]
    html = first.content.decode()
    assert html.count("<h1>") == 1
    assert 'aria-label="Pages of notifications"' in html and 'rel="next"' in html
    assert "Someone else" not in html + second.content.decode()


@pytest.mark.parametrize("page", ["abc", "999", "-1"])
def test_a_bad_page_number_still_shows_a_page(person_client, person, page):
    _notify(person, 1)

    response = person_client.get(LIST, {"page": page})

    assert response.status_code == 200
    assert _titles(response) == ["Update 1"]


def test_an_empty_list_says_so(person_client):
    response = person_client.get(LIST)

    assert response.status_code == 200
    assert "No notifications yet" in response.content.decode()
    assert "Mark all read" not in response.content.decode()


def test_the_nav_badge_counts_unread_notifications_in_one_query(person_client, person):
    for n in range(3):
        _notify(person, n)
    Notification.objects.filter(title="Update 0").update(read_at=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        response = person_client.get(LIST)

    html = response.content.decode()
    assert '<span class="badge" aria-label="2 unread">2</span>' in html
    badge = [q["sql"] for q in queries if "COUNT(" in q["sql"] and "read_at" in q["sql"]]
    assert len(badge) == 1  # shown twice (badge, "Mark all read"), counted once


def test_no_badge_for_anonymous_people_and_none_when_all_is_read(client, person_client, person):
    assert (
        "unread_notifications" not in client.get(reverse("email-unsubscribe", args=["x"])).context
    )
    _notify(person, 1, url="")
    Notification.objects.update(read_at=timezone.now())

    assert 'class="badge"' not in person_client.get(LIST).content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(person_client, person):
    notification = _notify(person, 1, url="/me/?tab=applications")

    response = person_client.get(reverse("me-notification-open", args=[notification.pk]))

    assert response.status_code == 302 and response["Location"] == "/me/?tab=applications"
    notification.refresh_from_db()
    read_at = notification.read_at
    assert read_at is not None
    person_client.get(reverse("me-notification-open", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at == read_at  # the first reading counts


@pytest.mark.parametrize("url", ["", "https://evil.example.com/", "//evil.example.com/x"])
def test_opening_a_notification_never_leaves_the_site(person_client, person, url):
    notification = _notify(person, 1, url=url)

    response = person_client.get(reverse("me-notification-open", args=[notification.pk]))

    assert response.status_code == 302 and response["Location"] == LIST


def test_another_persons_notification_is_not_found(person_client):
    theirs = _notify(UserFactory(), 1)

    response = person_client.get(reverse("me-notification-open", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_marks_only_ones_own(person_client, person):
    for n in range(3):
        _notify(person, n)
    theirs = _notify(UserFactory(), 9)
    assert "Mark all read" in person_client.get(LIST).content.decode()

    response = person_client.post(reverse("me-notifications-read-all"), follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert "Marked 3 notifications read." in response.content.decode()
    assert not Notification.objects.filter(user=person, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert person_client.get(reverse("me-notifications-read-all")).status_code == 405


def test_mark_all_read_needs_the_csrf_token(person):
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    _notify(person, 1)

    assert client.post(reverse("me-notifications-read-all")).status_code == 403
    assert Notification.objects.get().read_at is None


# --- Settings -----------------------------------------------------------------------------------


def test_the_settings_page_shows_the_defaults_per_kind_and_channel(person_client, person):
    response = person_client.get(SETTINGS)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1>") == 1
    for legend in ("Application updates", "Interview invitations and reminders", "Job matches"):
        assert f"<legend>{legend}</legend>" in html
    assert re.search(
        r'<input type="checkbox" name="application_updates" id="id_application_updates" checked',
        html,
    )
    assert '<label for="id_match_digest">Email digest</label>' in html
    assert re.search(r'<option value="weekly" selected>Weekly</option>', html)
    assert not NotificationPreference.objects.filter(user=person).exists()


def test_saving_the_settings_changes_each_kind_and_channel(person_client, person):
    response = person_client.post(
        SETTINGS,
        {"application_updates_push": "on", "interview_updates": "on", "match_digest": "daily"},
        follow=True,
    )

    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "Your notification settings are saved." in response.content.decode()
    preference = NotificationPreference.objects.get(user=person)
    assert (
        preference.application_updates,
        preference.application_updates_push,
        preference.interview_updates,
        preference.interview_updates_push,
        preference.match_digest,
        preference.match_digest_push,
    ) == (False, True, True, False, DigestFrequency.DAILY, False)
    event = AuditEvent.objects.get(action="notifications.updated")
    assert event.changes["match_digest"] == ["weekly", "daily"]
    assert 'name="match_digest_push" id="id_match_digest_push">' in response.content.decode()


@pytest.mark.parametrize("value", ["hourly", ""])
def test_a_bad_digest_choice_is_an_inline_error_and_keeps_what_was_typed(
    person_client, person, value
):
    NotificationPreference.objects.create(user=person, match_digest=DigestFrequency.WEEKLY)

    response = person_client.post(SETTINGS, {"interview_updates_push": "on", "match_digest": value})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert 'id="id_match_digest-error"' in html
    assert re.search(
        r'<select name="match_digest"[^>]*aria-describedby="id_match_digest-error"', html
    )
    assert re.search(r'<select name="match_digest"[^>]*aria-invalid="true"', html)
    # What was typed is kept: the one box ticked stays ticked, the others stay clear.
    assert re.search(r'name="interview_updates_push" id="id_interview_updates_push" checked', html)
    assert re.search(r'name="application_updates" id="id_application_updates">', html)
    assert NotificationPreference.objects.get(user=person).match_digest == DigestFrequency.WEEKLY


def test_the_settings_page_lists_ones_browsers_and_says_when_push_is_off(
    person_client, person, settings
):
    PushSubscription.objects.create(
        user=person,
        endpoint="https://push.example.com/1",
        p256dh="k",
        auth="a",
        user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    )
    PushSubscription.objects.create(
        user=UserFactory(),
        endpoint="https://push.example.com/2",
        p256dh="k",
        auth="a",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1",
    )
    settings.VAPID_PRIVATE_KEY = ""
    settings.DEBUG = False

    html = person_client.get(SETTINGS).content.decode()

    assert "Push notifications are not set up on this server." in html
    assert "Firefox on Linux" in html and "Safari on iOS" not in html
    assert "js/push.js" not in html


def test_the_settings_page_offers_push_with_the_public_key_when_set_up(person_client, settings):
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    settings.VAPID_PRIVATE_KEY = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    settings.VAPID_PUBLIC_KEY = ""

    html = person_client.get(SETTINGS).content.decode()

    assert f'data-public-key="{push_public_key()}"' in html
    assert f'data-subscribe-url="{reverse("me-push-subscribe")}"' in html
    assert "js/push.js" in html and "<noscript>" in html


# --- Unsubscribe from every kind of email -------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "off"),
    [
        ("application_updates", "emails about your applications", False),
        ("interview_updates", "interview invitations and reminders", False),
        ("match_digest", "job match digest", DigestFrequency.NEVER),
    ],
)
def test_one_click_unsubscribe_works_for_every_kind_without_logging_in(
    client, person, kind, name, off
):
    url = reverse(
        "email-unsubscribe", args=[unsubscribe_token_make(user_id=person.pk, digest=kind)]
    )

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert f"Stop sending the {name} to a…@example.com?" in confirm.content.decode()
    assert 'class="card narrow-card"' in confirm.content.decode()
    assert not NotificationPreference.objects.filter(user=person).exists()

    done = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert f"We will not send the {name} to a…@example.com any more." in done.content.decode()
    assert getattr(NotificationPreference.objects.get(user=person), kind) == off


def test_a_stage_email_carries_a_one_click_unsubscribe_link(company):
    job = JobFactory(company=company)
    screen = Stage.objects.get(company=company, kind=Stage.Kind.SCREEN)
    email_template_save(
        template=EmailTemplate(
            company=company, name="Screen", subject="Hi", body="Hello.", send_on_stage=screen
        ),
        actor=None,
    )
    application = application_submit(job=job, candidate=UserFactory(), consent_processing=True)

    application_move(application=application, stage=screen, actor=None)

    email = OutboundEmail.objects.get(kind="application.stage_email")
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"<(http[^>]+)>", email.headers["List-Unsubscribe"]).group(1)
    assert link in email.body_text
    client = Client()
    client.post(urlsplit(link).path)
    assert (
        NotificationPreference.objects.get(user=application.candidate).application_updates is False
    )


# --- What creates notifications -----------------------------------------------------------------


def test_a_stage_change_notifies_the_candidate_exactly_once(company, recruiter):
    job = JobFactory(company=company, title="Data Engineer")
    screen = Stage.objects.get(company=company, kind=Stage.Kind.SCREEN)
    screen.candidate_label = "Phone screen"
    screen.save()
    application = application_submit(job=job, candidate=UserFactory(), consent_processing=True)
    assert not Notification.objects.exists()  # applying is the candidate's own doing

    application_move(application=application, stage=screen, actor=recruiter)
    change = application.stage_changes.latest("created_at")
    stage_change_email_queue(application=application, change=change)  # a re-run

    notification = Notification.objects.get()
    assert notification.user == application.candidate
    assert notification.kind == NotificationKind.APPLICATION_UPDATE
    assert notification.title == f"Data Engineer at {company.name}: Phone screen"
    assert notification.body == "Your application moved to “Phone screen”."
    assert notification.url == reverse("me-dashboard")

    application_withdraw(application=application, candidate=application.candidate)
    assert Notification.objects.count() == 1  # withdrawing is their own doing too


def test_an_interview_notifies_the_candidate_and_not_the_panel_and_can_be_unsubscribed_from(
    company, interviewer
):
    job = JobFactory(company=company, title="Data Engineer")
    application = application_submit(job=job, candidate=UserFactory(), consent_processing=True)
    starts = (timezone.now() + timedelta(days=3)).replace(microsecond=0)

    interview_schedule(
        application=application,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        interviewer_ids=[interviewer.pk],
        actor=None,
    )

    emails = {e.to: e for e in OutboundEmail.objects.filter(kind="interview.scheduled")}
    candidate_email = emails[application.candidate.email]
    link = re.search(r"<(http[^>]+)>", candidate_email.headers["List-Unsubscribe"]).group(1)
    assert link in candidate_email.body_text
    assert emails[interviewer.email].headers == {}  # the panel's invites are their work
    Client().post(urlsplit(link).path)
    preference = NotificationPreference.objects.get(user=application.candidate)
    assert preference.interview_updates is False

    notification = Notification.objects.get()
    assert notification.user == application.candidate
    assert notification.kind == NotificationKind.INTERVIEW_UPDATE
    assert notification.title == f"Interview: Data Engineer at {company.name}"
    assert notification.body.startswith("An interview has been scheduled. ")
