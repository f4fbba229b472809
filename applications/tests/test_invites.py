"""Interview invitations: real .ics files parsed back with the icalendar library, queued in the
real outbox by the hiring services (and so by the admin and the API alike)."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from accounts.models import Notification, NotificationPreference, OutboundEmail, Role
from accounts.tests.factories import MembershipFactory, UserFactory
from applications.hiring import interview_cancel, interview_schedule, interview_update
from applications.invites import interview_reminders_queue
from applications.models import Interview
from applications.services import application_submit
from applications.tasks import interview_reminders_send
from jobs.tests.factories import JobFactory
from recruitment.tests.admin_helpers import _url

pytestmark = pytest.mark.django_db

# 10:00 in Berlin on a winter day is 09:00 UTC.
STARTS = datetime(2030, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def application():
    return application_submit(
        job=JobFactory(title="Data Engineer"), candidate=UserFactory(), consent_processing=True
    )


def _panel(application, count=2):
    return [
        MembershipFactory(company=application.job.company, role=Role.INTERVIEWER).user
        for _ in range(count)
    ]


def _schedule(application, panel, **fields):
    return interview_schedule(
        application=application,
        starts_at=fields.pop("starts_at", STARTS),
        ends_at=fields.pop("ends_at", STARTS + timedelta(hours=1)),
        timezone=fields.pop("timezone", "Europe/Berlin"),
        location="Room 4",
        meeting_url="https://meet.example.com/abc",
        interviewer_ids=[user.pk for user in panel],
        actor=None,
        **fields,
    )


def _invite(email):
    (attachment,) = email.attachments
    assert attachment["filename"] == "invite.ics"
    calendar = Calendar.from_ical(base64.b64decode(attachment["content_base64"]))
    (event,) = calendar.walk("VEVENT")
    return calendar, event, attachment


def _emails(kind):
    return {email.to: email for email in OutboundEmail.objects.filter(kind=kind)}


def test_scheduling_mails_the_candidate_and_panel_an_ics_invite_in_utc(application):
    panel = _panel(application)

    interview = _schedule(application, panel)

    emails = _emails("interview.scheduled")
    assert set(emails) == {application.candidate.email, *(user.email for user in panel)}
    calendar, event, attachment = _invite(emails[application.candidate.email])
    assert attachment["content_type"] == "text/calendar; charset=utf-8; method=REQUEST"
    assert str(calendar["method"]) == "REQUEST"
    assert event.decoded("dtstart") == STARTS
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert event.decoded("dtend") == STARTS + timedelta(hours=1)
    assert event.to_ical().decode().count("DTSTART:20300115T090000Z") == 1
    assert str(event["uid"]) == f"interview-{interview.pk}@localhost"
    assert event["sequence"] == 0
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["location"]) == "Room 4"
    assert str(event["url"]) == "https://meet.example.com/abc"
    attendees = {str(address).removeprefix("mailto:") for address in event["attendee"]}
    assert attendees == set(emails)
    body = emails[application.candidate.email].body_text
    assert "10:00–11:00 (Europe/Berlin; 09:00 UTC)" in body
    assert "Data Engineer" in emails[application.candidate.email].subject


def test_a_reschedule_sends_the_next_sequence_and_cancels_for_who_left_the_panel(application):
    staying, leaving = _panel(application)
    joining = _panel(application, 1)[0]
    interview = _schedule(application, [staying, leaving])
    later = STARTS + timedelta(days=1)

    interview_update(
        interview=interview,
        actor=None,
        starts_at=later,
        ends_at=later + timedelta(hours=1),
        interviewer_ids=[staying.pk, joining.pk],
    )

    updated = _emails("interview.updated")
    assert set(updated) == {application.candidate.email, staying.email, joining.email}
    _, event, _ = _invite(updated[staying.email])
    assert event["sequence"] == 1
    assert event.decoded("dtstart") == later
    cancelled = _emails("interview.cancelled")
    assert set(cancelled) == {leaving.email}
    calendar, event, _ = _invite(cancelled[leaving.email])
    assert str(calendar["method"]) == "CANCEL"
    assert event["sequence"] == 1


def test_recording_the_outcome_sends_nothing(application):
    interview = _schedule(application, _panel(application, 1))
    Interview.objects.filter(pk=interview.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    before = OutboundEmail.objects.count()

    interview_update(interview=interview, actor=None, status=Interview.Status.COMPLETED)

    assert OutboundEmail.objects.count() == before


def test_a_cancellation_sends_method_cancel_to_everyone(application):
    panel = _panel(application)
    interview = _schedule(application, panel)

    interview_cancel(interview=interview, actor=None)

    cancelled = _emails("interview.cancelled")
    assert set(cancelled) == {application.candidate.email, *(user.email for user in panel)}
    calendar, event, attachment = _invite(cancelled[application.candidate.email])
    assert attachment["content_type"].endswith("method=CANCEL")
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["status"]) == "CANCELLED"
    assert event["sequence"] == 1


def test_a_candidate_who_turned_interview_updates_off_gets_no_invite(application):
    NotificationPreference.objects.create(user=application.candidate, interview_updates=False)
    panel = _panel(application, 1)

    _schedule(application, panel)

    assert set(_emails("interview.scheduled")) == {panel[0].email}


def test_reminders_go_out_once_the_day_before(application):
    panel = _panel(application, 1)
    now = timezone.now()
    soon = _schedule(
        application, panel, starts_at=now + timedelta(hours=20), ends_at=now + timedelta(hours=21)
    )
    Interview.objects.filter(pk=soon.pk).update(updated_at=now - timedelta(days=3))
    # Scheduled only hours ahead: the invitation is reminder enough.
    other = application_submit(
        job=application.job, candidate=UserFactory(), consent_processing=True
    )
    _schedule(other, panel, starts_at=now + timedelta(hours=5), ends_at=now + timedelta(hours=6))
    # Next week: not yet.
    later = _schedule(
        other, panel, starts_at=now + timedelta(days=7), ends_at=now + timedelta(days=7, hours=1)
    )
    Interview.objects.filter(pk=later.pk).update(updated_at=now - timedelta(days=3))

    assert interview_reminders_send() == 2
    assert interview_reminders_queue() == 0  # the next hour's sweep adds nothing

    reminders = _emails("interview.reminder")
    assert set(reminders) == {application.candidate.email, panel[0].email}
    assert all(email.refs == [soon.pk] for email in reminders.values())
    assert "Reminder, tomorrow" in reminders[panel[0].email].subject


def _due_interviews(application, panel, count):
    now = timezone.now()
    for _ in range(count):
        other = application_submit(
            job=application.job, candidate=UserFactory(), consent_processing=True
        )
        interview = _schedule(
            other, panel, starts_at=now + timedelta(hours=20), ends_at=now + timedelta(hours=21)
        )
        Interview.objects.filter(pk=interview.pk).update(updated_at=now - timedelta(days=3))


def test_the_reminder_sweep_costs_the_same_queries_however_many_are_due(application):
    panel = _panel(application, 1)
    _due_interviews(application, panel, 2)
    with CaptureQueriesContext(connection) as few:
        assert interview_reminders_queue() == 4  # candidate and interviewer, twice
    _due_interviews(application, panel, 5)
    with CaptureQueriesContext(connection) as many:
        assert interview_reminders_queue() == 10
    assert len(many) == len(few)
    assert (
        Notification.objects.filter(kind="interview_update").count() == 7 * 2
    )  # invite + reminder


def test_scheduling_in_the_admin_queues_the_invites(admin_client_, application):
    (interviewer,) = _panel(application, 1)

    response = admin_client_.post(
        _url(Interview, "add"),
        {
            "application": application.pk,
            "title": "Technical interview",
            "starts_at_0": "2030-01-15",
            "starts_at_1": "09:00:00",
            "ends_at_0": "2030-01-15",
            "ends_at_1": "10:00:00",
            "timezone": "UTC",
            "location": "",
            "meeting_url": "",
            "interviewers": [interviewer.pk],
            "scorecards-TOTAL_FORMS": "0",
            "scorecards-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert set(_emails("interview.scheduled")) == {application.candidate.email, interviewer.email}


def test_an_interview_recorded_after_the_fact_sends_no_invitation(application):
    past = timezone.now() - timedelta(days=2)

    _schedule(
        application, _panel(application, 1), starts_at=past, ends_at=past + timedelta(hours=1)
    )

    assert not OutboundEmail.objects.filter(kind__startswith="interview.").exists()
