"""The candidate's dashboard: applications with a timeline in the company's candidate-facing
words, upcoming interviews with an .ics download, and withdrawing an application."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.tests.factories import UserFactory
from applications.models import Application, Interview, Stage, StageChange
from applications.services import application_move, application_reject, application_submit
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("me-dashboard")


@pytest.fixture
def job(company):
    return JobFactory(company=company, title="Platform Engineer")


@pytest.fixture
def application(job, candidate):
    return application_submit(job=job, candidate=candidate, consent_processing=True)


@pytest.fixture
def signed_in(client, candidate):
    client.force_login(candidate)
    return client


def _interview(application, **fields) -> Interview:
    starts = fields.pop("starts_at", timezone.now() + timedelta(days=3))
    return Interview.objects.create(
        application=application,
        title=fields.pop("title", "Technical interview"),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        **fields,
    )


def _main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.parametrize(
    "name",
    ["me-dashboard", "me-application-submitted", "me-application-withdraw", "me-interview-ics"],
)
def test_anonymous_visitors_go_to_login(client, db, name):
    url = reverse(name) if name == "me-dashboard" else reverse(name, args=[1])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_an_empty_dashboard_points_to_the_job_board(signed_in):
    response = signed_in.get(DASHBOARD)
    main = _main(response)
    assert response.status_code == 200
    assert main.count("<h1") == 1
    assert "You haven't applied to any job yet." in main
    assert reverse("job-board") in main
    assert 'aria-current="page"' in response.content.decode()


def test_the_timeline_shows_candidate_labels_never_internal_names(
    signed_in, company, application, recruiter
):
    screen = company.stages.get(kind=Stage.Kind.SCREEN)
    screen.name, screen.candidate_label = "Internal tech gate", "Under review"
    screen.save()
    interview = company.stages.get(kind=Stage.Kind.INTERVIEW)
    interview.name, interview.candidate_label = "Bar raiser loop", ""
    interview.save()
    application_move(application=application, stage=screen, actor=recruiter)
    application_move(application=application, stage=interview, actor=recruiter,
                     reason="Strong SQL, weak on Kafka")  # fmt: skip

    main = _main(signed_in.get(DASHBOARD))

    assert "Platform Engineer" in main and company.name in main
    timeline = main[main.index('<ol class="timeline">') : main.index("</ol>")]
    assert [label in timeline for label in ("Application received", "Under review")] == [
        True,
        True,
    ]
    assert "Interview</span>" in timeline  # no label: the stage kind's name
    assert timeline.index("Application received") < timeline.index("Under review")
    assert 'aria-current="step"' in timeline
    for internal in ("Internal tech gate", "Bar raiser loop", "Phone screen", "Strong SQL"):
        assert internal not in main
    assert "In progress" in main


def test_moves_between_stages_that_read_the_same_show_once(company, application, recruiter):
    from applications.candidate_selectors import candidate_dashboard_applications

    screen = company.stages.get(kind=Stage.Kind.SCREEN)
    applied_again = Stage.objects.create(
        company=company, name="Sift", kind=Stage.Kind.APPLIED, position=20,
        candidate_label="Application received",
    )  # fmt: skip
    application_move(application=application, stage=applied_again, actor=recruiter)
    application_move(application=application, stage=screen, actor=recruiter)

    (shown,) = candidate_dashboard_applications(candidate=application.candidate)
    assert [step.label for step in shown.timeline] == ["Application received", "In review"]


def test_a_rejection_reads_kindly_and_keeps_the_reason_private(signed_in, application, recruiter):
    application_reject(application=application, actor=recruiter, reason="Too junior for us")
    main = _main(signed_in.get(DASHBOARD))
    assert "Not selected this time" in main
    assert "Not selected</span>" in main  # the rejected stage's candidate label
    assert "Too junior" not in main
    assert reverse("me-application-withdraw", args=[application.pk]) not in main


def test_other_peoples_applications_are_not_shown(signed_in, company):
    other = application_submit(
        job=JobFactory(company=company, title="Secret Role"),
        candidate=UserFactory(),
        consent_processing=True,
    )
    main = _main(signed_in.get(DASHBOARD))
    assert "Secret Role" not in main and f"application-{other.pk}" not in main


def test_the_dashboard_reads_a_constant_number_of_queries(
    signed_in, candidate, company, recruiter, django_assert_max_num_queries
):
    for number in range(3):
        application = application_submit(
            job=JobFactory(company=company), candidate=candidate, consent_processing=True
        )
        application_move(
            application=application,
            stage=company.stages.get(kind=Stage.Kind.SCREEN),
            actor=recruiter,
        )
        _interview(application, title=f"Interview {number}")
    with django_assert_max_num_queries(12):
        assert signed_in.get(DASHBOARD).status_code == 200


def test_upcoming_interviews_show_their_time_place_and_calendar_link(signed_in, application):
    starts = datetime(2031, 3, 4, 9, 30, tzinfo=ZoneInfo("UTC"))
    interview = _interview(
        application,
        starts_at=starts,
        timezone="Europe/Berlin",
        location="Alexanderplatz 1, Berlin",
        meeting_url="https://meet.example.com/abc",
    )
    _interview(application, title="Already over", starts_at=timezone.now() - timedelta(days=2))
    _interview(application, title="Called off", status=Interview.Status.CANCELLED)

    main = _main(signed_in.get(DASHBOARD))

    assert "Upcoming interviews" in main
    assert "Tuesday 4 March 2031, 10:30–11:30" in main  # Berlin time
    assert "Europe/Berlin" in main
    assert "Alexanderplatz 1, Berlin" in main and "https://meet.example.com/abc" in main
    assert reverse("me-interview-ics", args=[interview.pk]) in main
    assert "Already over" not in main and "Called off" not in main


def test_the_ics_download_is_a_calendar_event_for_the_candidate(
    signed_in, application, candidate, interviewer
):
    interview = _interview(application, location="Room 4")
    interview.interviewers.add(interviewer)

    response = signed_in.get(reverse("me-interview-ics", args=[interview.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="interview-{interview.pk}.ics"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert "Platform Engineer" in str(event["SUMMARY"])
    assert event["DTSTART"].dt == interview.starts_at.replace(microsecond=0)
    assert str(event["LOCATION"]) == "Room 4"
    attendees = event["ATTENDEE"]
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == [f"mailto:{candidate.email}"]  # not the panel's


def test_another_persons_interview_is_not_found(signed_in, company):
    theirs = application_submit(
        job=JobFactory(company=company), candidate=UserFactory(), consent_processing=True
    )
    interview = _interview(theirs)
    assert signed_in.get(reverse("me-interview-ics", args=[interview.pk])).status_code == 404
    assert signed_in.get(reverse("me-interview-ics", args=[999_999])).status_code == 404


def test_withdraw_asks_first_then_withdraws(signed_in, application, candidate):
    url = reverse("me-application-withdraw", args=[application.pk])
    dashboard = _main(signed_in.get(DASHBOARD))
    assert url in dashboard

    confirm = signed_in.get(url)
    assert confirm.status_code == 200
    assert "Withdraw your application?" in confirm.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.ACTIVE

    response = signed_in.post(url, {"reason": "I took another offer."})

    assert response.status_code == 302
    assert response["Location"] == f"{DASHBOARD}#application-{application.pk}"
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    change = StageChange.objects.filter(application=application).latest("created_at")
    assert (change.status, change.actor, change.reason) == (
        Application.Status.WITHDRAWN,
        candidate,
        "I took another offer.",
    )
    page = signed_in.get(DASHBOARD)
    main = _main(page)
    assert "You withdrew your application" in main and "Withdrawn" in main
    assert url not in main
    assert "You withdrew your application for Platform Engineer" in page.content.decode()


def test_withdrawing_twice_says_it_is_closed(signed_in, application):
    url = reverse("me-application-withdraw", args=[application.pk])
    signed_in.post(url)
    again = signed_in.post(url, follow=True)
    assert "This application is already closed." in again.content.decode()
    assert StageChange.objects.filter(status=Application.Status.WITHDRAWN).count() == 1


def test_a_too_long_withdraw_reason_is_an_inline_error(signed_in, application):
    url = reverse("me-application-withdraw", args=[application.pk])
    response = signed_in.post(url, {"reason": "x" * 300})
    assert response.status_code == 400
    assert 'id="id_reason_error"' in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.ACTIVE


def test_another_persons_application_cannot_be_withdrawn_or_seen(signed_in, company):
    theirs = application_submit(
        job=JobFactory(company=company), candidate=UserFactory(), consent_processing=True
    )
    withdraw = reverse("me-application-withdraw", args=[theirs.pk])
    assert signed_in.get(withdraw).status_code == 404
    assert signed_in.post(withdraw).status_code == 404
    submitted = reverse("me-application-submitted", args=[theirs.pk])
    assert signed_in.get(submitted).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Application.Status.ACTIVE


def test_many_applications_come_in_pages_of_twenty_newest_first(signed_in, company, candidate):
    jobs = JobFactory.create_batch(21, company=company)
    for job in jobs:
        application_submit(job=job, candidate=candidate, consent_processing=True)
    first = _main(signed_in.get(DASHBOARD))
    assert first.count('class="card application"') == 20
    assert f'id="application-{jobs[0].applications.get().pk}"' not in first  # the oldest
    assert 'rel="next"' in first and "1 of 2" in first
    second = _main(signed_in.get(DASHBOARD, {"page": 2}))
    assert second.count('class="card application"') == 1
    assert f'id="application-{jobs[0].applications.get().pk}"' in second
    assert 'rel="prev"' in second
    # A page number that is not one shows the first page, not an error.
    assert signed_in.get(DASHBOARD, {"page": "abc"}).status_code == 200
