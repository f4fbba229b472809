"""Interviews, scorecards, offers and notes: the services' rules and the selectors' scopes."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.authentication import ApiKeyPrincipal
from accounts.models import AuditEvent, Role
from accounts.services import api_key_create
from accounts.tests.factories import MembershipFactory
from applications.hiring import (
    application_for_hiring,
    interview_cancel,
    interview_list,
    interview_schedule,
    interview_update,
    note_create,
    note_delete,
    note_list,
    note_update,
    offer_accept,
    offer_create,
    offer_decline,
    offer_list,
    offer_send,
    offer_update,
    offer_withdraw,
    scorecard_list,
    scorecard_submit,
    scorecard_update,
)
from applications.models import Application, Interview, Note, Scorecard, Stage
from applications.tests.factories import ApplicationFactory
from jobs.tests.factories import JobFactory
from recruitment.api import ApplicationError

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0) + timedelta(days=2)


def _principal(company, *scopes):
    api_key, _ = api_key_create(
        company=company, name=f"key {uuid.uuid4().hex[:8]}", scopes=list(scopes), actor=None
    )
    return ApiKeyPrincipal(api_key)


@pytest.fixture
def application(company, hiring_manager):
    job = JobFactory(company=company)
    job.hiring_team.add(hiring_manager)  # a hiring manager sees their hiring teams' jobs
    return ApplicationFactory(job=job)


@pytest.fixture
def other_application(other_company):
    return ApplicationFactory(job=JobFactory(company=other_company))


def _schedule(application, actor, interviewers=(), **fields):
    return interview_schedule(
        application=application,
        starts_at=fields.pop("starts_at", START),
        ends_at=fields.pop("ends_at", START + timedelta(hours=1)),
        actor=actor,
        interviewer_ids=[user.pk for user in interviewers],
        **fields,
    )


@pytest.fixture
def interview(application, recruiter, interviewer):
    return _schedule(application, recruiter, [interviewer], title="Technical interview")


def _events(action):
    return list(AuditEvent.objects.filter(action=action))


# --- Interviews ----------------------------------------------------------------------------


def test_interview_schedule_sets_the_panel_the_creator_and_records_it(
    application, recruiter, interviewer, hiring_manager
):
    interview = _schedule(
        application, recruiter, [interviewer, hiring_manager], timezone="Europe/Berlin"
    )
    assert interview.created_by == recruiter
    assert set(interview.interviewers.all()) == {interviewer, hiring_manager}
    (event,) = _events("interview.scheduled")
    assert (event.actor, event.company_id) == (recruiter, application.job.company_id)
    assert event.changes["interviewers"] == sorted([interviewer.pk, hiring_manager.pk])


def test_interview_schedule_refuses_an_end_before_the_start_and_an_unknown_timezone(
    application, recruiter
):
    with pytest.raises(ValidationError) as error:
        _schedule(application, recruiter, ends_at=START, timezone="Mars/Olympus")
    assert set(error.value.message_dict) == {"ends_at", "timezone"}
    assert not Interview.objects.exists()


def test_interview_schedule_refuses_interviewers_outside_the_company(
    application, recruiter, other_company
):
    outsider = MembershipFactory(company=other_company, role=Role.RECRUITER).user
    with pytest.raises(ValidationError) as error:
        _schedule(application, recruiter, [outsider])
    assert str(outsider.pk) in error.value.message_dict["interviewers"][0]


def test_interview_schedule_refuses_a_closed_application(application, recruiter):
    Application.objects.filter(pk=application.pk).update(status=Application.Status.REJECTED)
    with pytest.raises(ApplicationError) as error:
        _schedule(application, recruiter)
    assert error.value.code == "application_closed"


def test_interview_schedule_needs_the_schedule_permission(application, interviewer, company):
    with pytest.raises(PermissionDenied):
        _schedule(application, interviewer)
    with pytest.raises(PermissionDenied):
        _schedule(application, _principal(company, "interviews:read"))


def test_a_key_schedules_an_interview_without_a_creator_and_is_named_in_the_audit(
    application, company
):
    key = _principal(company, "interviews:write")
    interview = _schedule(application, key)
    assert interview.created_by is None
    (event,) = _events("interview.scheduled")
    assert event.actor is None
    assert event.actor_label == str(key)


def test_interview_update_reschedules_and_raises_the_sequence(interview, recruiter, interviewer):
    updated = interview_update(
        interview=interview,
        actor=recruiter,
        starts_at=START + timedelta(days=1),
        ends_at=START + timedelta(days=1, hours=1),
        interviewer_ids=[],
    )
    assert updated.sequence == 1
    assert not updated.interviewers.exists()
    (event,) = _events("interview.updated")
    assert event.changes["interviewers"] == [[interviewer.pk], []]


def test_interview_update_checks_the_times_it_ends_up_with(interview, recruiter):
    with pytest.raises(ValidationError) as error:
        interview_update(interview=interview, actor=recruiter, starts_at=START + timedelta(hours=2))
    assert "ends_at" in error.value.message_dict


def test_interview_update_without_a_change_writes_nothing(interview, recruiter):
    updated = interview_update(interview=interview, actor=recruiter, title=interview.title)
    assert updated.sequence == 0
    assert not _events("interview.updated")


def test_interview_update_records_the_outcome_but_never_reopens(interview, recruiter):
    done = interview_update(interview=interview, actor=recruiter, status="completed")
    assert done.status == Interview.Status.COMPLETED
    assert interview_update(interview=done, actor=recruiter, status="no_show").status == "no_show"
    with pytest.raises(ApplicationError) as error:
        interview_update(interview=done, actor=recruiter, status="scheduled")
    assert error.value.code == "invalid_transition"
    with pytest.raises(ApplicationError) as error:
        interview_update(interview=done, actor=recruiter, title="Moved")
    assert error.value.code == "interview_not_scheduled"


def test_interview_cancel_once(interview, recruiter):
    cancelled = interview_cancel(interview=interview, actor=recruiter, reason="Candidate ill")
    assert (cancelled.status, cancelled.sequence) == (Interview.Status.CANCELLED, 1)
    assert _events("interview.cancelled")[0].changes["reason"] == "Candidate ill"
    with pytest.raises(ApplicationError):
        interview_cancel(interview=cancelled, actor=recruiter)
    with pytest.raises(ApplicationError):
        interview_update(interview=cancelled, actor=recruiter, status="completed")


def test_interview_cancel_needs_the_schedule_permission(interview, interviewer):
    with pytest.raises(PermissionDenied):
        interview_cancel(interview=interview, actor=interviewer)


# --- Scorecards ----------------------------------------------------------------------------

RATINGS = {"Problem solving": 4, "Communication": 3}


def test_an_interviewer_on_the_panel_submits_one_scorecard(interview, interviewer):
    scorecard = scorecard_submit(
        interview=interview, actor=interviewer, ratings=RATINGS, recommendation="yes"
    )
    assert scorecard.author == interviewer
    assert scorecard.submitted_at is not None
    assert _events("scorecard.submitted")[0].actor == interviewer
    with pytest.raises(ApplicationError) as error:
        scorecard_submit(interview=interview, actor=interviewer, recommendation="no")
    assert error.value.code == "scorecard_exists"
    assert error.value.extra == {"scorecard": scorecard.pk}


def test_who_may_write_a_scorecard(interview, company, recruiter, hiring_manager):
    off_panel = MembershipFactory(company=company, role=Role.INTERVIEWER).user
    with pytest.raises(PermissionDenied):
        scorecard_submit(interview=interview, actor=off_panel, recommendation="yes")
    with pytest.raises(PermissionDenied):
        scorecard_submit(interview=interview, actor=hiring_manager, recommendation="yes")
    with pytest.raises(PermissionDenied, match="API key"):
        scorecard_submit(
            interview=interview,
            actor=_principal(company, "interviews:write"),
            recommendation="yes",
        )
    # Recruiters and up write one without sitting on the panel.
    assert scorecard_submit(interview=interview, actor=recruiter, recommendation="no").pk


def test_a_panel_member_who_left_the_company_writes_no_scorecard(interview, interviewer):
    interviewer.memberships.all().delete()
    with pytest.raises(PermissionDenied):
        scorecard_submit(interview=interview, actor=interviewer, recommendation="yes")


@pytest.mark.parametrize(
    "ratings",
    [
        {"Depth": 5},
        {"Depth": 0},
        {"Depth": True},
        {"Depth": "3"},
        {"": 3},
        {"x" * 101: 3},
        {"nul\x00": 3},
        ["Depth", 3],
    ],
)
def test_scorecard_ratings_are_one_to_four_per_named_criterion(interview, interviewer, ratings):
    with pytest.raises(ValidationError) as error:
        scorecard_submit(
            interview=interview, actor=interviewer, ratings=ratings, recommendation="yes"
        )
    assert "ratings" in error.value.message_dict
    assert not Scorecard.objects.exists()


def test_a_submitted_scorecard_needs_a_recommendation_a_draft_does_not(interview, interviewer):
    with pytest.raises(ValidationError) as error:
        scorecard_submit(interview=interview, actor=interviewer, ratings=RATINGS)
    assert "recommendation" in error.value.message_dict
    draft = scorecard_submit(interview=interview, actor=interviewer, ratings=RATINGS, draft=True)
    assert draft.submitted_at is None
    with pytest.raises(ValidationError):
        scorecard_update(scorecard=draft, actor=interviewer, submit=True)
    submitted = scorecard_update(
        scorecard=draft, actor=interviewer, recommendation="strong_yes", submit=True
    )
    assert submitted.submitted_at is not None
    with pytest.raises(ValidationError):
        scorecard_update(scorecard=submitted, actor=interviewer, recommendation="")


def test_a_cancelled_interview_takes_no_scorecard(interview, recruiter, interviewer):
    interview_cancel(interview=interview, actor=recruiter)
    with pytest.raises(ApplicationError) as error:
        scorecard_submit(interview=interview, actor=interviewer, recommendation="yes")
    assert error.value.code == "interview_cancelled"


def test_only_its_author_edits_a_scorecard(interview, interviewer, recruiter, company):
    scorecard = scorecard_submit(interview=interview, actor=interviewer, recommendation="yes")
    for actor in (recruiter, _principal(company, "interviews:write")):
        with pytest.raises(PermissionDenied):
            scorecard_update(scorecard=scorecard, actor=actor, notes="Overruled.")
    edited = scorecard_update(scorecard=scorecard, actor=interviewer, ratings={"Depth": 2})
    assert edited.ratings == {"Depth": 2}
    assert _events("scorecard.updated")[0].changes["ratings"]


def test_an_interviewer_sees_the_interviews_and_scorecards_of_their_panels_only(
    application, company, recruiter, interviewer, hiring_manager
):
    mine = _schedule(application, recruiter, [interviewer])
    theirs = _schedule(application, recruiter, [hiring_manager])
    on_mine = scorecard_submit(interview=mine, actor=interviewer, recommendation="yes")
    on_theirs = scorecard_submit(interview=theirs, actor=hiring_manager, recommendation="no")
    colleague = MembershipFactory(company=company, role=Role.INTERVIEWER).user
    mine.interviewers.add(colleague)

    assert list(interview_list(user=interviewer)) == [mine]
    assert list(scorecard_list(user=interviewer)) == [on_mine]
    assert set(interview_list(user=hiring_manager)) == {mine, theirs}
    assert set(scorecard_list(user=hiring_manager)) == {on_mine, on_theirs}
    assert set(scorecard_list(user=_principal(company, "interviews:read"))) == {on_mine, on_theirs}
    assert not scorecard_list(user=_principal(company, "offers:read")).exists()
    # The panel reads each other's scorecards once their own is in, not before.
    assert not scorecard_list(user=colleague).exists()
    own = scorecard_submit(interview=mine, actor=colleague, recommendation="no")
    assert set(scorecard_list(user=colleague)) == {on_mine, own}


def test_an_author_still_reads_their_scorecard_after_leaving_the_panel(interview, interviewer):
    scorecard = scorecard_submit(interview=interview, actor=interviewer, recommendation="yes")
    interview.interviewers.clear()
    assert list(scorecard_list(user=interviewer)) == [scorecard]
    assert not interview_list(user=interviewer).exists()


def test_hiring_reads_of_another_company_are_empty(
    other_application, other_company, company, recruiter
):
    other_recruiter = MembershipFactory(company=other_company, role=Role.RECRUITER).user
    interview = _schedule(other_application, other_recruiter)
    scorecard_submit(interview=interview, actor=other_recruiter, recommendation="yes")
    offer_create(application=other_application, salary=1, currency="EUR", actor=other_recruiter)
    note_create(application=other_application, body="Theirs.", actor=other_recruiter)
    for user in (recruiter, _principal(company, *sorted(_ALL_SCOPES))):
        assert not interview_list(user=user).exists()
        assert not scorecard_list(user=user).exists()
        assert not offer_list(user=user).exists()
        assert not note_list(user=user).exists()
        assert (
            application_for_hiring(
                user=user, perm="interviews.schedule", application_id=other_application.pk
            )
            is None
        )


_ALL_SCOPES = {"interviews:write", "offers:write", "applications:write"}


def test_interview_list_filters(application, recruiter):
    early = _schedule(application, recruiter)
    late = _schedule(
        application,
        recruiter,
        starts_at=START + timedelta(days=5),
        ends_at=START + timedelta(days=6),
    )
    interview_cancel(interview=late, actor=recruiter)
    assert list(interview_list(user=recruiter, filters={"status": "cancelled"})) == [late]
    after = {"starts_after": START + timedelta(days=1)}
    assert list(interview_list(user=recruiter, filters=after)) == [late]
    before = {"starts_before": START + timedelta(days=1)}
    assert list(interview_list(user=recruiter, filters=before)) == [early]
    Interview.objects.filter(pk=early.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = {"updated_after": timezone.now() - timedelta(days=1)}
    assert list(interview_list(user=recruiter, filters=since)) == [late]


# --- Offers --------------------------------------------------------------------------------


def _offer(application, actor, **fields):
    return offer_create(
        application=application,
        salary=fields.pop("salary", Decimal("72000")),
        currency=fields.pop("currency", "eur"),
        actor=actor,
        **fields,
    )


def test_an_offer_goes_draft_sent_accepted_with_its_times(application, recruiter):
    offer = _offer(application, recruiter, start_date=timezone.localdate())
    assert (offer.status, offer.currency, offer.created_by) == ("draft", "EUR", recruiter)
    sent = offer_send(offer=offer, actor=recruiter)
    assert sent.sent_at is not None
    accepted = offer_accept(offer=sent, actor=recruiter)
    assert (accepted.status, accepted.responded_at is not None) == ("accepted", True)
    actions = list(
        AuditEvent.objects.filter(action__startswith="offer.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["offer.created", "offer.sent", "offer.accepted"]


def test_offer_moves_write_the_stage_history(application, recruiter):
    offer = offer_send(offer=_offer(application, recruiter), actor=recruiter)
    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.OFFER  # sending moved it from "applied"

    offer_decline(offer=offer, actor=recruiter)
    again = offer_send(offer=_offer(application, recruiter, salary=80000), actor=recruiter)
    offer_accept(offer=again, actor=recruiter)

    history = [
        (change.from_stage.kind, change.to_stage.kind, change.reason, change.actor)
        for change in application.stage_changes.order_by("id")
    ]
    assert history == [
        (Stage.Kind.APPLIED, Stage.Kind.OFFER, "Offer sent", recruiter),
        (Stage.Kind.OFFER, Stage.Kind.OFFER, "Offer declined", recruiter),
        (Stage.Kind.OFFER, Stage.Kind.OFFER, "Offer sent", recruiter),
        (Stage.Kind.OFFER, Stage.Kind.OFFER, "Offer accepted", recruiter),
    ]
    assert [event.changes["stage"] for event in _events("application.moved")] == [
        ["Applied", "Offer"]
    ]


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        ([], offer_accept),
        ([], offer_decline),
        ([offer_send], offer_send),
        ([offer_send, offer_decline], offer_withdraw),
        ([offer_send, offer_accept], offer_withdraw),
        ([offer_withdraw], offer_send),
    ],
)
def test_offer_transitions_refuse_the_wrong_status(application, recruiter, moves, refused):
    offer = _offer(application, recruiter)
    for move in moves:
        offer = move(offer=offer, actor=recruiter)
    with pytest.raises(ApplicationError) as error:
        refused(offer=offer, actor=recruiter)
    assert error.value.code == "invalid_transition"


def test_one_live_offer_per_application(application, recruiter):
    first = _offer(application, recruiter)
    with pytest.raises(ApplicationError) as error:
        _offer(application, recruiter)
    assert (error.value.code, error.value.extra) == ("offer_exists", {"offer": first.pk})
    offer_withdraw(offer=first, actor=recruiter)
    assert _offer(application, recruiter).pk != first.pk


def test_offers_only_for_active_applications(application, recruiter):
    offer = _offer(application, recruiter)
    Application.objects.filter(pk=application.pk).update(status=Application.Status.WITHDRAWN)
    with pytest.raises(ApplicationError) as error:
        offer_send(offer=offer, actor=recruiter)
    assert error.value.code == "application_closed"
    offer_withdraw(offer=offer, actor=recruiter)
    with pytest.raises(ApplicationError):
        _offer(application, recruiter)


def test_offer_input_is_checked(application, recruiter):
    with pytest.raises(ValidationError) as error:
        _offer(application, recruiter, currency="E1", salary=Decimal("-1"))
    assert set(error.value.message_dict) == {"currency", "salary"}


def test_only_a_draft_offer_changes(application, recruiter):
    offer = offer_update(offer=_offer(application, recruiter), actor=recruiter, salary=80000)
    assert offer.salary == 80000
    assert _events("offer.updated")[0].changes["salary"]
    offer_send(offer=offer, actor=recruiter)
    with pytest.raises(ApplicationError) as error:
        offer_update(offer=offer, actor=recruiter, salary=90000)
    assert error.value.code == "offer_not_draft"


def test_offers_need_the_manage_permission(application, hiring_manager, recruiter, company):
    with pytest.raises(PermissionDenied):
        _offer(application, hiring_manager)
    offer = _offer(application, recruiter)
    with pytest.raises(PermissionDenied):
        offer_send(offer=offer, actor=_principal(company, "offers:read"))
    assert offer_send(offer=offer, actor=_principal(company, "offers:write")).status == "sent"
    assert list(offer_list(user=hiring_manager)) == [offer]


# --- Notes ---------------------------------------------------------------------------------


def test_notes_by_a_member_only_their_author_changes(application, recruiter, hiring_manager):
    note = note_create(application=application, body="  Strong on SQL. ", actor=hiring_manager)
    assert (note.author, note.api_key, note.body) == (hiring_manager, None, "Strong on SQL.")
    with pytest.raises(PermissionDenied):
        note_update(note=note, body="Weak on SQL.", actor=recruiter)
    with pytest.raises(PermissionDenied):
        note_delete(note=note, actor=recruiter)
    assert note_update(note=note, body="Great on SQL.", actor=hiring_manager).body == (
        "Great on SQL."
    )
    note_delete(note=note, actor=hiring_manager)
    assert not Note.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="note.")] == [
        "note.deleted",
        "note.updated",
        "note.created",
    ]


def test_a_key_writes_notes_that_only_it_changes(application, company, hiring_manager):
    key = _principal(company, "applications:write")
    note = note_create(application=application, body="Synced from HRIS.", actor=key)
    assert (note.author, note.api_key) == (None, key.api_key)
    for other in (_principal(company, "applications:write"), hiring_manager):
        with pytest.raises(PermissionDenied):
            note_update(note=note, body="Changed.", actor=other)
    note_delete(note=note, actor=key)


def test_notes_need_a_body_and_the_comment_permission(application, interviewer, recruiter):
    with pytest.raises(ValidationError):
        note_create(application=application, body="   ", actor=recruiter)
    with pytest.raises(PermissionDenied):
        note_create(application=application, body="Hi.", actor=interviewer)
    assert not note_list(user=interviewer).exists()
