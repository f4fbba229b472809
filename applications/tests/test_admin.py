from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent, User
from accounts.tests.factories import MembershipFactory, UserFactory
from applications.hiring import interview_schedule, note_create, offer_create, scorecard_submit
from applications.models import Application, Interview, Note, Offer, Scorecard, Stage, StageChange
from applications.services import application_move, application_submit
from applications.tests.factories import _application
from jobs.models import Job
from jobs.tests.factories import JobFactory
from recruitment.tests.admin_helpers import _messages, _url

START = (timezone.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)


def _audited(action, target, actor):
    return AuditEvent.objects.filter(action=action, target_id=str(target.pk), actor=actor).exists()


def _interview_form(application, interviewers=(), **overrides):
    """What the interview add page posts (the split date and time widgets, no scorecards)."""
    ends = START + timedelta(hours=1)
    return {
        "application": application.pk,
        "title": "Technical interview",
        "starts_at_0": START.date().isoformat(),
        "starts_at_1": START.time().isoformat(),
        "ends_at_0": ends.date().isoformat(),
        "ends_at_1": ends.time().isoformat(),
        "timezone": "Europe/Berlin",
        "location": "",
        "meeting_url": "",
        "interviewers": [user.pk for user in interviewers],
        "scorecards-TOTAL_FORMS": "0",
        "scorecards-INITIAL_FORMS": "0",
        **overrides,
    }


def _scheduled(application=None, interviewers=()):
    return interview_schedule(
        application=application or _application(),
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        interviewer_ids=[user.pk for user in interviewers],
        actor=None,
    )


def _draft_offer(application=None):
    return offer_create(
        application=application or _application(),
        salary=Decimal("70000"),
        currency="EUR",
        actor=None,
    )


def _action(client, model, action, *objs):
    return client.post(
        _url(model, "changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objs]},
    )


def _change_form(application, **overrides):
    """What the change page posts, with the read-only history rows as the browser sends them."""
    history = list(application.stage_changes.values_list("pk", flat=True))
    data = {
        "rating": "4",
        "stage_changes-TOTAL_FORMS": str(len(history)),
        "stage_changes-INITIAL_FORMS": str(len(history)),
        **{f"stage_changes-{i}-id": pk for i, pk in enumerate(history)},
        **{f"stage_changes-{i}-application": application.pk for i in range(len(history))},
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "interviews-TOTAL_FORMS": "0",
        "interviews-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def test_application_admin_keeps_status_and_stage_read_only(admin_client_):
    application = _application()
    screen = Stage.objects.get(company=application.job.company, kind=Stage.Kind.SCREEN)

    response = admin_client_.post(
        _url(Application, "change", application.pk),
        _change_form(application, stage=screen.pk, status=Application.Status.HIRED),
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.rating == 4
    assert application.stage.kind == Stage.Kind.APPLIED
    assert application.status == Application.Status.ACTIVE
    assert application.stage_changes.count() == 1
    form = admin_client_.get(_url(Application, "change", application.pk)).context["adminform"].form
    assert "stage" not in form.fields
    assert "status" not in form.fields


def test_application_admin_shows_the_stage_history_read_only(admin_client_, superuser):
    application = _application()
    screen = Stage.objects.get(company=application.job.company, kind=Stage.Kind.SCREEN)
    application_move(application=application, stage=screen, actor=None, reason="Good CV")

    response = admin_client_.get(_url(Application, "change", application.pk))

    [history] = [
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.model is StageChange
    ]
    assert history.formset.queryset.count() == 2
    assert not history.has_add_permission
    assert not history.has_change_permission
    assert not history.has_delete_permission
    assert "Good CV" in response.content.decode()


def test_application_admin_adds_a_note_as_the_current_user(admin_client_, superuser):
    application = _application()

    response = admin_client_.post(
        _url(Application, "change", application.pk),
        _change_form(
            application, **{"notes-TOTAL_FORMS": "1", "notes-0-body": "Call back on Monday."}
        ),
    )

    assert response.status_code == 302
    note = application.notes.get()
    assert note.body == "Call back on Monday."
    assert note.author == superuser
    assert _audited("note.created", note, superuser)


def test_application_admin_inline_interview_is_scheduled_through_the_service(
    admin_client_, superuser
):
    application = _application()
    ends = START + timedelta(hours=1)

    response = admin_client_.post(
        _url(Application, "change", application.pk),
        _change_form(
            application,
            **{
                "interviews-TOTAL_FORMS": "1",
                "interviews-0-title": "Phone screen",
                "interviews-0-starts_at_0": START.date().isoformat(),
                "interviews-0-starts_at_1": START.time().isoformat(),
                "interviews-0-ends_at_0": ends.date().isoformat(),
                "interviews-0-ends_at_1": ends.time().isoformat(),
                "interviews-0-timezone": "Europe/Berlin",
                "interviews-0-status": Interview.Status.SCHEDULED,
            },
        ),
    )

    assert response.status_code == 302
    interview = application.interviews.get()
    assert interview.created_by == superuser
    assert _audited("interview.scheduled", interview, superuser)


def test_application_admin_inline_refuses_editing_someone_elses_note(admin_client_):
    application = _application()
    note = note_create(application=application, body="Mine.", actor=UserFactory(is_superuser=True))
    data = _change_form(
        application,
        **{
            "notes-TOTAL_FORMS": "1",
            "notes-INITIAL_FORMS": "1",
            "notes-0-id": note.pk,
            "notes-0-application": application.pk,
            "notes-0-body": "Not yours.",
        },
    )

    response = admin_client_.post(_url(Application, "change", application.pk), data)

    assert response.status_code == 302
    assert "Only its author edits or deletes a note." in _messages(response)
    note.refresh_from_db()
    assert note.body == "Mine."
    application.refresh_from_db()
    assert application.rating is None  # the whole save was rolled back


def test_application_admin_add_goes_through_application_submit(admin_client_, superuser):
    job = JobFactory()
    candidate = UserFactory()

    response = admin_client_.post(
        _url(Application, "add"),
        {
            "job": job.pk,
            "candidate": candidate.pk,
            "source": Application.Source.SOURCED,
            "cover_letter": "",
            "answers": "{}",
            "consent_processing": "on",
        },
    )

    assert response.status_code == 302
    application = Application.objects.get(job=job, candidate=candidate)
    assert application.stage.kind == Stage.Kind.APPLIED
    assert application.stage_changes.get().actor == superuser
    assert AuditEvent.objects.filter(
        action="application.submitted", target_id=str(application.pk), actor=superuser
    ).exists()


def test_application_admin_add_to_a_closed_job_is_a_message_not_a_500(admin_client_):
    job = JobFactory(status=Job.Status.CLOSED)
    candidate = UserFactory()

    response = admin_client_.post(
        _url(Application, "add"),
        {
            "job": job.pk,
            "candidate": candidate.pk,
            "source": Application.Source.SOURCED,
            "answers": "{}",
            "consent_processing": "on",
        },
    )

    assert response.status_code == 302
    assert response.url == _url(Application, "add")
    assert "This job is not open for applications." in _messages(response)
    assert not Application.objects.filter(job=job).exists()


def test_stage_change_admin_is_read_only(admin_client_):
    change = _application().stage_changes.get()

    assert admin_client_.get(_url(StageChange, "add")).status_code == 403
    assert admin_client_.get(_url(StageChange, "delete", change.pk)).status_code == 403


# --- Interviews -----------------------------------------------------------------------------


def test_interview_admin_refuses_a_non_member_interviewer_and_saves_nothing(admin_client_):
    application = _application()
    outsider = UserFactory()

    response = admin_client_.post(
        _url(Interview, "add"), _interview_form(application, interviewers=[outsider])
    )

    assert response.status_code == 302
    assert response.url == _url(Interview, "add")
    [message] = _messages(response)
    assert "Interviewers must be members of the company" in message
    assert not Interview.objects.exists()
    assert not AuditEvent.objects.filter(action="interview.scheduled").exists()


def test_interview_admin_schedules_through_the_service_with_the_panel(admin_client_, superuser):
    application = _application()
    member = MembershipFactory(company=application.job.company).user

    response = admin_client_.post(
        _url(Interview, "add"), _interview_form(application, interviewers=[member])
    )

    assert response.status_code == 302
    interview = Interview.objects.get()
    assert list(interview.interviewers.all()) == [member]
    assert interview.created_by == superuser
    assert interview.timezone == "Europe/Berlin"
    assert _audited("interview.scheduled", interview, superuser)


def test_interview_admin_change_goes_through_interview_update(admin_client_, superuser):
    interview = _scheduled()
    outsider = UserFactory()
    form = _interview_form(interview.application, title="Panel interview", status="scheduled")
    del form["application"]  # read-only once scheduled

    response = admin_client_.post(_url(Interview, "change", interview.pk), form)

    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.title == "Panel interview"
    assert interview.sequence == 1
    assert _audited("interview.updated", interview, superuser)

    form["interviewers"] = [outsider.pk]
    response = admin_client_.post(_url(Interview, "change", interview.pk), form)

    assert "Interviewers must be members of the company" in _messages(response)[-1]
    assert not interview.interviewers.exists()


def test_interview_admin_status_cancelled_in_the_form_calls_interview_cancel(
    admin_client_, superuser
):
    interview = _scheduled()
    form = _interview_form(interview.application, status=Interview.Status.CANCELLED)
    del form["application"]

    response = admin_client_.post(_url(Interview, "change", interview.pk), form)

    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.status == Interview.Status.CANCELLED
    assert _audited("interview.cancelled", interview, superuser)
    form = admin_client_.get(_url(Interview, "change", interview.pk)).context["adminform"].form
    assert set(form.fields) == {"status"}  # only what happened may still be corrected


def test_interview_admin_offers_a_recruiter_only_their_companys_applications(client, recruiter):
    client.force_login(recruiter)
    other_application = _application()  # another company's

    response = client.post(_url(Interview, "add"), _interview_form(other_application))

    assert response.status_code == 200
    assert "application" in response.context["adminform"].form.errors
    assert not Interview.objects.exists()


def test_interview_admin_cancel_action_calls_interview_cancel(admin_client_, superuser):
    interview = _scheduled()

    response = _action(admin_client_, Interview, "cancel_interviews", interview)

    assert response.status_code == 302
    assert "Cancelled 1 interview(s)." in _messages(response)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.CANCELLED
    assert interview.sequence == 1
    assert _audited("interview.cancelled", interview, superuser)

    response = _action(admin_client_, Interview, "cancel_interviews", interview)

    assert "only a scheduled interview can be cancelled" in _messages(response)[-1]


# --- Scorecards -----------------------------------------------------------------------------


def test_scorecard_admin_author_cannot_be_chosen(admin_client_, superuser):
    interview = _scheduled()
    someone_else = UserFactory()

    form = admin_client_.get(_url(Scorecard, "add")).context["adminform"].form
    assert "author" not in form.fields

    response = admin_client_.post(
        _url(Scorecard, "add"),
        {
            "interview": interview.pk,
            "author": someone_else.pk,
            "ratings": '{"SQL": 4}',
            "recommendation": Scorecard.Recommendation.YES,
            "notes": "",
            "submit": "on",
        },
    )

    assert response.status_code == 302
    scorecard = Scorecard.objects.get()
    assert scorecard.author == superuser
    assert scorecard.submitted_at is not None
    assert _audited("scorecard.submitted", scorecard, superuser)


def test_scorecard_inline_writes_one_scorecard_per_author(admin_client_, superuser):
    interview = _scheduled()
    scorecard_submit(interview=interview, actor=superuser, recommendation="yes")
    form = _interview_form(
        interview.application,
        **{
            "scorecards-TOTAL_FORMS": "1",
            "scorecards-0-recommendation": Scorecard.Recommendation.NO,
            "scorecards-0-ratings": "{}",
        },
        status=Interview.Status.SCHEDULED,
    )
    del form["application"]

    response = admin_client_.post(_url(Interview, "change", interview.pk), form)

    assert response.status_code == 302
    assert "You already wrote a scorecard for this interview: edit that one." in _messages(response)
    assert interview.scorecards.count() == 1


def test_scorecard_admin_shows_someone_elses_scorecard_read_only(admin_client_):
    interview = _scheduled()
    scorecard = scorecard_submit(
        interview=interview, actor=UserFactory(is_superuser=True), recommendation="no"
    )

    response = admin_client_.get(_url(Scorecard, "change", scorecard.pk))

    form = response.context["adminform"].form
    assert not set(form.fields) & {"interview", "ratings", "recommendation", "notes"}


# --- Offers ---------------------------------------------------------------------------------


def test_offer_admin_send_action_moves_a_draft_to_sent(admin_client_, superuser):
    offer = _draft_offer()

    response = _action(admin_client_, Offer, "send_offers", offer)

    assert response.status_code == 302
    assert "Sent 1 offer(s)." in _messages(response)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.SENT
    assert offer.sent_at is not None
    assert _audited("offer.sent", offer, superuser)


def test_offer_admin_bad_transition_is_a_message_not_a_500(admin_client_):
    offer = _draft_offer()

    response = _action(admin_client_, Offer, "accept_offers", offer)

    assert response.status_code == 302
    [message] = _messages(response)
    assert "This offer is draft: it cannot be accepted." in message
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DRAFT
    assert offer.responded_at is None


def test_offer_admin_keeps_status_and_dates_read_only(admin_client_, superuser):
    offer = _draft_offer()

    form = admin_client_.get(_url(Offer, "change", offer.pk)).context["adminform"].form
    assert not set(form.fields) & {"status", "sent_at", "responded_at", "application"}

    response = admin_client_.post(
        _url(Offer, "change", offer.pk),
        {
            "salary": "75000",
            "currency": "eur",
            "salary_period": offer.salary_period,
            "start_date": "",
            "status": Offer.Status.ACCEPTED,
            "sent_at_0": "2020-01-01",
            "sent_at_1": "10:00",
        },
    )

    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.salary == Decimal("75000")
    assert offer.status == Offer.Status.DRAFT
    assert offer.sent_at is None
    assert _audited("offer.updated", offer, superuser)


def test_offer_admin_add_goes_through_offer_create(admin_client_, superuser):
    application = _application()
    data = {
        "application": application.pk,
        "salary": "70000",
        "currency": "EUR",
        "salary_period": "year",
        "start_date": "",
    }

    response = admin_client_.post(_url(Offer, "add"), data)

    assert response.status_code == 302
    offer = Offer.objects.get()
    assert offer.created_by == superuser
    assert _audited("offer.created", offer, superuser)

    application.status = Application.Status.REJECTED
    application.save(update_fields=["status"])
    offer.status = Offer.Status.WITHDRAWN
    offer.save(update_fields=["status"])
    response = admin_client_.post(_url(Offer, "add"), data)

    assert response.status_code == 302
    assert "This application is rejected: it takes no offer." in _messages(response)
    assert Offer.objects.count() == 1


# --- Notes ----------------------------------------------------------------------------------


def test_note_admin_add_has_the_request_user_as_author_and_an_audit_record(
    admin_client_, superuser
):
    application = _application()

    form = admin_client_.get(_url(Note, "add")).context["adminform"].form
    assert not set(form.fields) & {"author", "api_key"}

    response = admin_client_.post(
        _url(Note, "add"),
        {"application": application.pk, "body": "  Strong on SQL.  ", "author": UserFactory().pk},
    )

    assert response.status_code == 302
    note = Note.objects.get()
    assert note.author == superuser
    assert note.api_key is None
    assert note.body == "Strong on SQL."
    assert _audited("note.created", note, superuser)


def test_note_admin_edits_only_the_authors_note(admin_client_, superuser):
    mine = note_create(application=_application(), body="Mine.", actor=superuser)
    theirs = note_create(
        application=_application(), body="Theirs.", actor=UserFactory(is_superuser=True)
    )

    response = admin_client_.post(_url(Note, "change", mine.pk), {"body": "Mine, edited."})

    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.body == "Mine, edited."
    assert _audited("note.updated", mine, superuser)
    form = admin_client_.get(_url(Note, "change", theirs.pk)).context["adminform"].form
    assert "body" not in form.fields


def test_note_admin_delete_goes_through_note_delete(admin_client_, superuser):
    mine = note_create(application=_application(), body="Mine.", actor=superuser)
    theirs = note_create(
        application=_application(), body="Theirs.", actor=UserFactory(is_superuser=True)
    )

    response = _action(admin_client_, Note, "delete_notes", mine, theirs)

    assert response.status_code == 302
    assert "Theirs.: Only its author edits or deletes a note." in _messages(response)
    assert "Deleted 1 note(s)." in _messages(response)
    assert list(Note.objects.all()) == [theirs]
    assert AuditEvent.objects.filter(action="note.deleted", actor=superuser).count() == 1

    response = admin_client_.post(_url(Note, "delete", theirs.pk), {"post": "yes"})

    assert response.status_code == 302
    assert "Only its author edits or deletes a note." in _messages(response)
    assert Note.objects.filter(pk=theirs.pk).exists()


def test_job_changelist_counts_active_applicants_by_stage_in_constant_queries(admin_client_):
    job = JobFactory()
    stages = list(Stage.objects.filter(company=job.company).order_by("position"))
    applications = [_application_to(job) for _ in range(3)]
    application_move(application=applications[0], stage=stages[1], actor=None)

    with CaptureQueriesContext(connection) as one_job:
        response = admin_client_.get(_url(Job, "changelist"))
    assert f"{stages[0].name} 2 · {stages[1].name} 1" in response.content.decode()

    for _ in range(5):
        other = JobFactory()
        _application_to(other)
    with CaptureQueriesContext(connection) as six_jobs:
        admin_client_.get(_url(Job, "changelist"))
    assert len(six_jobs) == len(one_job)


def _application_to(job):
    return application_submit(job=job, candidate=UserFactory(), consent_processing=True)


def test_application_changelist_queries_are_constant_for_10_or_1000_rows(client, recruiter):
    job = JobFactory(company=recruiter.memberships.get().company)
    applied = Stage.objects.get(company=job.company, kind=Stage.Kind.APPLIED)

    def add(count):
        now = timezone.now()
        start = User.objects.count()
        candidates = User.objects.bulk_create(
            User(email=f"bulk{start + n}@example.com", full_name=f"Bulk {n}") for n in range(count)
        )
        Application.objects.bulk_create(
            Application(
                job=job,
                candidate=candidate,
                stage=applied,
                consent_processing=True,
                consented_at=now,
                stage_entered_at=now,
            )
            for candidate in candidates
        )

    client.force_login(recruiter)
    add(10)
    with CaptureQueriesContext(connection) as ten:
        response = client.get(_url(Application, "changelist"))
    assert response.context["cl"].result_count == 10

    add(990)
    with CaptureQueriesContext(connection) as thousand:
        response = client.get(_url(Application, "changelist"))
    assert len(response.context["cl"].result_list) == 50  # one page of the 1,000

    assert len(thousand) == len(ten)
