"""Hiring an applicant: interviews, scorecards, offers and notes. The writes (services) and the
caller-scoped reads (selectors), shared by the partner API and the admin.

Who sees what:
- interviews and their scorecards: members with `interviews.view_all_feedback` (hiring
  managers and up) and keys with `interviews:read` see all of their company's; an interviewer
  sees only the interviews they sit on and their own scorecards, and the others' scorecards of
  an interview only once they have submitted their own (so theirs is their own judgement);
- offers: `offers.view`; notes: `applications.view`.

Who writes what:
- interviews: `interviews.schedule` (recruiters and up, keys with `interviews:write`);
- scorecards: a person only, never a key (a scorecard is someone's judgement): an interviewer
  on the interview, or a member who may schedule interviews; only the author edits it;
- offers: `offers.manage`, moving draft → sent → accepted or declined, or withdrawn before an
  answer;
- notes: `applications.comment`; only the note's author (the member, or the API key, that
  wrote it) edits or deletes it.

A service given `actor=None` is the system itself: it checks no permission.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership, Role, SalaryPeriod, User
from accounts.permissions import (
    company_ids_with,
    has_perm,
    person_of,
    require_perm,
    scope_queryset,
)
from accounts.services import audit_record
from accounts.webhooks import webhook_event_emit
from applications import invites
from applications.invites import interview_invites_queue
from applications.models import Application, Interview, Note, Offer, Scorecard
from applications.selectors import (
    INTERVIEW_ROLE_LIMITS,
    ON_APPLICATION_ROLE_LIMITS,
    SCORECARD_ROLE_LIMITS,
    applications_scoped,
)
from applications.services import application_offer_recorded
from recruitment.api import ApplicationError

# --- Rules shared by the services ----------------------------------------------------------

RATING_MIN, RATING_MAX = 1, 4
RATINGS_MAX_CRITERIA = 50
CRITERION_MAX_LENGTH = 100
INTERVIEWERS_MAX = 20

KEY_WRITES_NO_SCORECARD = (
    "An API key cannot write or edit a scorecard: a scorecard is an interviewer's own "
    "judgement. The interviewer signs in to write it."
)


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _require_active(application: Application, refused: str) -> None:
    if application.status != Application.Status.ACTIVE:
        raise ApplicationError(
            f"This application is {application.get_status_display().lower()}: {refused}.",
            code="application_closed",
        )


def _application(application: Application) -> Application:
    """The application with its job and company, as the checks and the audit read them."""
    return Application.objects.select_related("job__company").get(pk=application.pk)


def _changes(obj, fields: dict) -> dict[str, list[str]]:
    """Set the `fields` that differ on `obj`; return them as the audit trail records them."""
    changes = {}
    for name, value in fields.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = [str(old), str(value)]
            setattr(obj, name, value)
    return changes


# --- Interviews ----------------------------------------------------------------------------

INTERVIEW_FIELDS = ("title", "starts_at", "ends_at", "timezone", "location", "meeting_url")

# What an update may do to the status; cancelling is interview_cancel's.
_INTERVIEW_MOVES: dict[str, set[str]] = {
    Interview.Status.SCHEDULED: {Interview.Status.COMPLETED, Interview.Status.NO_SHOW},
    Interview.Status.COMPLETED: {Interview.Status.NO_SHOW},  # corrections of what happened
    Interview.Status.NO_SHOW: {Interview.Status.COMPLETED},
    Interview.Status.CANCELLED: set(),
}


def _interview_errors(interview: Interview) -> dict[str, str]:
    errors = {}
    if interview.starts_at and interview.ends_at and interview.ends_at <= interview.starts_at:
        errors["ends_at"] = "The interview must end after it starts."
    if interview.timezone not in _timezones():
        errors["timezone"] = "Give an IANA time zone name, e.g. Europe/Berlin."
    return errors


def _panel_errors(*, company_id: int, interviewer_ids: Collection[int]) -> dict[str, str]:
    if len(interviewer_ids) > INTERVIEWERS_MAX:
        return {"interviewers": f"An interview has at most {INTERVIEWERS_MAX} interviewers."}
    members = set(
        Membership.objects.filter(company_id=company_id, user_id__in=interviewer_ids).values_list(
            "user_id", flat=True
        )
    )
    outsiders = sorted(set(interviewer_ids) - members)
    if outsiders:
        return {
            "interviewers": "Interviewers must be members of the company; these are not: "
            + ", ".join(map(str, outsiders))
            + "."
        }
    return {}


@transaction.atomic
def interview_schedule(
    *,
    application: Application,
    starts_at: datetime,
    ends_at: datetime,
    actor: User | None,
    interviewer_ids: Collection[int] = (),
    title: str = "Interview",
    timezone: str = "UTC",
    location: str = "",
    meeting_url: str = "",
) -> Interview:
    """Schedule an interview of an active application with a panel of the company's members."""
    application = _application(application)
    if actor is not None:
        require_perm(actor, "interviews.schedule", application.job)
    _require_active(application, "no interview can be scheduled")
    interviewer_ids = set(interviewer_ids)
    interview = Interview(
        application=application,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        location=location,
        meeting_url=meeting_url,
        created_by=person_of(actor),
    )
    errors = _interview_errors(interview) | _panel_errors(
        company_id=application.job.company_id, interviewer_ids=interviewer_ids
    )
    if errors:
        raise ValidationError(errors)
    interview.full_clean()
    interview.save()
    interview.interviewers.set(interviewer_ids)
    audit_record(
        action="interview.scheduled",
        actor=actor,
        target=interview,
        company=application.job.company,
        changes={
            "starts_at": interview.starts_at.isoformat(),
            "interviewers": sorted(interviewer_ids),
        },
    )
    _interview_emit(interview, "interview.scheduled")
    interview_invites_queue(interview=interview, kind=invites.SCHEDULED)
    return interview


def _interview_emit(interview: Interview, event: str) -> None:
    webhook_event_emit(
        company_id=interview.application.job.company_id,
        event=event,
        data={
            "interview": {
                "id": interview.pk,
                "application_id": interview.application_id,
                "title": interview.title,
                "starts_at": interview.starts_at,
                "ends_at": interview.ends_at,
                "timezone": interview.timezone,
                "status": interview.status,
            }
        },
    )


def _locked_interview(interview: Interview) -> Interview:
    return (
        Interview.objects.select_for_update(of=("self",))
        .select_related("application__job__company")
        .get(pk=interview.pk)
    )


@transaction.atomic
def interview_update(
    *,
    interview: Interview,
    actor: User | None,
    interviewer_ids: Collection[int] | None = None,
    status: str | None = None,
    **fields,
) -> Interview:
    """Change a scheduled interview's time, place or panel (each change raises the invite's
    SEQUENCE), or record what happened: completed or no-show."""
    unknown = set(fields) - set(INTERVIEW_FIELDS)
    if unknown:
        raise TypeError(f"interview_update() got unexpected fields: {', '.join(sorted(unknown))}")
    interview = _locked_interview(interview)
    job = interview.application.job
    if actor is not None:
        require_perm(actor, "interviews.schedule", job)
    was = interview.status
    if (fields or interviewer_ids is not None) and was != Interview.Status.SCHEDULED:
        raise ApplicationError(
            f"This interview is {interview.get_status_display().lower()}: only a scheduled "
            "interview can be changed.",
            code="interview_not_scheduled",
        )
    changes = _changes(interview, fields)
    errors = _interview_errors(interview)
    panel_before = set(interview.interviewers.values_list("pk", flat=True))
    panel_after = panel_before if interviewer_ids is None else set(interviewer_ids)
    if panel_after != panel_before:
        errors |= _panel_errors(company_id=job.company_id, interviewer_ids=panel_after)
        changes["interviewers"] = [sorted(panel_before), sorted(panel_after)]
    if errors:
        raise ValidationError(errors)
    if changes:
        interview.sequence += 1  # the invite changed: calendars replace the old one
    if status is not None and status != was:
        if status not in _INTERVIEW_MOVES[was]:
            raise ApplicationError(
                f"A {interview.get_status_display().lower()} interview cannot become "
                f"{Interview.Status(status).label.lower()}."
                + (" Cancel it with the cancel action." if status == "cancelled" else ""),
                code="invalid_transition",
            )
        changes["status"] = [was, status]
        interview.status = status
    if not changes:
        return interview
    interview.full_clean()
    interview.save()
    if panel_after != panel_before:
        interview.interviewers.set(panel_after)
    audit_record(
        action="interview.updated",
        actor=actor,
        target=interview,
        company=job.company,
        changes=changes,
    )
    if interview.status == Interview.Status.SCHEDULED and set(changes) - {"status"}:
        removed = User.objects.filter(pk__in=panel_before - panel_after).order_by("pk")
        interview_invites_queue(interview=interview, kind=invites.UPDATED, removed=list(removed))
    return interview


@transaction.atomic
def interview_cancel(*, interview: Interview, actor: User | None, reason: str = "") -> Interview:
    interview = _locked_interview(interview)
    job = interview.application.job
    if actor is not None:
        require_perm(actor, "interviews.schedule", job)
    if interview.status != Interview.Status.SCHEDULED:
        raise ApplicationError(
            f"This interview is {interview.get_status_display().lower()}: only a scheduled "
            "interview can be cancelled.",
            code="invalid_transition",
        )
    interview.status = Interview.Status.CANCELLED
    interview.sequence += 1  # the cancellation is an update of the invite
    interview.full_clean()
    interview.save()
    audit_record(
        action="interview.cancelled",
        actor=actor,
        target=interview,
        company=job.company,
        changes={"status": [Interview.Status.SCHEDULED, Interview.Status.CANCELLED]}
        | ({"reason": reason} if reason else {}),
    )
    _interview_emit(interview, "interview.cancelled")
    interview_invites_queue(interview=interview, kind=invites.CANCELLED)
    return interview


# --- Scorecards ----------------------------------------------------------------------------


def _ratings_errors(ratings) -> dict[str, str]:
    message = (
        f"Give ratings as {{criterion: {RATING_MIN}..{RATING_MAX}}}, with at most "
        f"{RATINGS_MAX_CRITERIA} criteria named in up to {CRITERION_MAX_LENGTH} characters."
    )
    if not isinstance(ratings, dict) or len(ratings) > RATINGS_MAX_CRITERIA:
        return {"ratings": message}
    for criterion, rating in ratings.items():
        if (
            not isinstance(criterion, str)
            or not criterion.strip()
            or len(criterion) > CRITERION_MAX_LENGTH
            or "\x00" in criterion  # PostgreSQL's jsonb cannot hold it
            or isinstance(rating, bool)
            or not isinstance(rating, int)
            or not RATING_MIN <= rating <= RATING_MAX
        ):
            return {"ratings": message}
    return {}


def interview_criteria(interview: Interview) -> list[str]:
    """What an interview's scorecards rate: the job's criteria, else those of the stage the
    application stands in; empty lets interviewers name their own."""
    application = interview.application
    return list(application.job.scorecard_criteria or application.stage.scorecard_criteria)


def _criteria_errors(ratings: dict, criteria: list[str], *, submitted: bool) -> dict[str, str]:
    """Ratings against the interview's criteria: none other, and all of them once submitted."""
    if not criteria or not isinstance(ratings, dict):
        return {}
    unknown = sorted(set(ratings) - set(criteria))
    if unknown:
        return {"ratings": f"Rate only this interview's criteria ({', '.join(criteria)}); "
                f"not: {', '.join(unknown)}."}  # fmt: skip
    missing = [criterion for criterion in criteria if criterion not in ratings]
    if submitted and missing:
        return {"ratings": f"Rate every criterion to submit; missing: {', '.join(missing)}."}
    return {}


def _author_of(actor: User | None) -> User:
    author = person_of(actor)
    if author is None:
        raise PermissionDenied(KEY_WRITES_NO_SCORECARD)
    return author


def _require_may_write_scorecard(author: User, interview: Interview) -> None:
    sits = interview.interviewers.filter(pk=author.pk).exists()
    if not (
        (sits and has_perm(author, "interviews.feedback", interview))
        or has_perm(author, "interviews.schedule", interview)
    ):
        raise PermissionDenied(
            "Only an interviewer on this interview, or a member who schedules interviews, "
            "writes its scorecard."
        )


@transaction.atomic
def scorecard_submit(
    *,
    interview: Interview,
    actor: User,
    ratings: dict | None = None,
    recommendation: str = "",
    notes: str = "",
    draft: bool = False,
) -> Scorecard:
    """The actor's scorecard of an interview: submitted (with a recommendation), or a draft
    to finish with scorecard_update. One per author and interview."""
    author = _author_of(actor)
    interview = Interview.objects.select_related(
        "application__job__company", "application__stage"
    ).get(pk=interview.pk)
    _require_may_write_scorecard(author, interview)
    if interview.status == Interview.Status.CANCELLED:
        raise ApplicationError(
            "This interview was cancelled: it takes no scorecard.", code="interview_cancelled"
        )
    existing = Scorecard.objects.filter(interview=interview, author=author).first()
    if existing is not None:
        raise ApplicationError(
            "You already wrote a scorecard for this interview: edit that one.",
            code="scorecard_exists",
            extra={"scorecard": existing.pk},
        )
    ratings = ratings if ratings is not None else {}
    errors = _ratings_errors(ratings) or _criteria_errors(
        ratings, interview_criteria(interview), submitted=not draft
    )
    if not draft and not recommendation:
        errors["recommendation"] = "Give a recommendation to submit the scorecard."
    if errors:
        raise ValidationError(errors)
    scorecard = Scorecard(
        interview=interview,
        author=author,
        ratings=ratings,
        recommendation=recommendation,
        notes=notes,
        submitted_at=None if draft else timezone.now(),
    )
    scorecard.full_clean()
    try:
        with transaction.atomic():
            scorecard.save()
    except IntegrityError as exc:  # a concurrent twin passed the check above
        raise ApplicationError(
            "You already wrote a scorecard for this interview: edit that one.",
            code="scorecard_exists",
        ) from exc
    audit_record(
        action="scorecard.submitted" if not draft else "scorecard.drafted",
        actor=actor,
        target=scorecard,
        company=interview.application.job.company,
        changes={"interview": interview.pk, "recommendation": recommendation},
    )
    return scorecard


@transaction.atomic
def scorecard_update(
    *,
    scorecard: Scorecard,
    actor: User | None,
    submit: bool = False,
    **fields,
) -> Scorecard:
    """The author edits their scorecard (`ratings`, `recommendation`, `notes`); `submit`
    submits a draft. A submitted scorecard keeps a recommendation."""
    unknown = set(fields) - {"ratings", "recommendation", "notes"}
    if unknown:
        raise TypeError(f"scorecard_update() got unexpected fields: {', '.join(sorted(unknown))}")
    scorecard = (
        Scorecard.objects.select_for_update(of=("self",))
        .select_related("interview__application__job__company")
        .get(pk=scorecard.pk)
    )
    if actor is not None:
        author = _author_of(actor)
        if author.pk != scorecard.author_id:
            raise PermissionDenied("Only its author edits a scorecard.")
        require_perm(author, "interviews.feedback", scorecard.interview)
    errors = _ratings_errors(fields["ratings"]) if "ratings" in fields else {}
    changes = _changes(scorecard, fields)
    if submit and scorecard.submitted_at is None:
        scorecard.submitted_at = timezone.now()
        changes["submitted"] = ["no", "yes"]
    if not errors:
        errors = _criteria_errors(
            scorecard.ratings,
            interview_criteria(scorecard.interview),
            submitted=scorecard.submitted_at is not None,
        )
    if scorecard.submitted_at is not None and not scorecard.recommendation:
        errors["recommendation"] = "A submitted scorecard needs a recommendation."
    if errors:
        raise ValidationError(errors)
    if not changes:
        return scorecard
    scorecard.full_clean()
    scorecard.save()
    audit_record(
        action="scorecard.updated",
        actor=actor,
        target=scorecard,
        company=scorecard.interview.application.job.company,
        changes={name: change for name, change in changes.items() if name != "notes"}
        | ({"notes": "changed"} if "notes" in changes else {}),
    )
    return scorecard


# --- Offers --------------------------------------------------------------------------------

OFFER_FIELDS = ("salary", "currency", "salary_period", "start_date")


def _offer_clean(offer: Offer) -> None:
    errors = {}
    currency = offer.currency
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        errors["currency"] = "Give an ISO 4217 currency code, e.g. EUR."
    if offer.salary is not None and offer.salary < 0:
        errors["salary"] = "The salary cannot be negative."
    if errors:
        raise ValidationError(errors)
    offer.full_clean(validate_constraints=False)
    # The one-live-offer rule is checked by _live_offer_refusal (a 409), not as bad input.
    offer.validate_constraints(exclude=["application"])


def _live_offer_refusal(application: Application, exclude_pk: int | None = None) -> None:
    live = Offer.objects.filter(
        application=application,
        status__in=[Offer.Status.DRAFT, Offer.Status.SENT, Offer.Status.ACCEPTED],
    )
    if exclude_pk is not None:
        live = live.exclude(pk=exclude_pk)
    if (other := live.first()) is not None:
        raise ApplicationError(
            f"This application already has a {other.get_status_display().lower()} offer: "
            "withdraw it first.",
            code="offer_exists",
            extra={"offer": other.pk},
        )


@transaction.atomic
def offer_create(
    *,
    application: Application,
    salary: Decimal,
    currency: str,
    actor: User | None,
    salary_period: str = SalaryPeriod.YEAR,
    start_date: date | None = None,
) -> Offer:
    """A draft offer for an active application; an application has one live offer at most."""
    application = _application(application)
    if actor is not None:
        require_perm(actor, "offers.manage", application.job)
    _require_active(application, "it takes no offer")
    _live_offer_refusal(application)
    offer = Offer(
        application=application,
        salary=salary,
        currency=currency.upper(),
        salary_period=salary_period,
        start_date=start_date,
        created_by=person_of(actor),
    )
    _offer_clean(offer)
    try:
        with transaction.atomic():
            offer.save()
    except IntegrityError as exc:  # a concurrent offer passed the check above
        raise ApplicationError(
            "This application already has a live offer: withdraw it first.",
            code="offer_exists",
        ) from exc
    audit_record(
        action="offer.created",
        actor=actor,
        target=offer,
        company=application.job.company,
        changes={"salary": f"{offer.salary} {offer.currency} {offer.salary_period}"},
    )
    return offer


def _locked_offer(offer: Offer) -> Offer:
    return (
        Offer.objects.select_for_update(of=("self",))
        .select_related("application__job__company")
        .get(pk=offer.pk)
    )


@transaction.atomic
def offer_update(*, offer: Offer, actor: User | None, **fields) -> Offer:
    """Change a draft's terms; a sent offer is withdrawn and made again instead."""
    unknown = set(fields) - set(OFFER_FIELDS)
    if unknown:
        raise TypeError(f"offer_update() got unexpected fields: {', '.join(sorted(unknown))}")
    offer = _locked_offer(offer)
    job = offer.application.job
    if actor is not None:
        require_perm(actor, "offers.manage", job)
    if offer.status != Offer.Status.DRAFT:
        raise ApplicationError(
            f"This offer is {offer.get_status_display().lower()}: only a draft can be changed. "
            "Withdraw it and make a new one.",
            code="offer_not_draft",
        )
    if "currency" in fields:
        fields["currency"] = fields["currency"].upper()
    changes = _changes(offer, fields)
    if not changes:
        return offer
    _offer_clean(offer)
    offer.save()
    audit_record(
        action="offer.updated", actor=actor, target=offer, company=job.company, changes=changes
    )
    return offer


# verb → (the statuses it may leave, the status it reaches, the audit's action)
_OFFER_MOVES: dict[str, tuple[set[str], str]] = {
    "send": ({Offer.Status.DRAFT}, Offer.Status.SENT),
    "accept": ({Offer.Status.SENT}, Offer.Status.ACCEPTED),
    "decline": ({Offer.Status.SENT}, Offer.Status.DECLINED),
    "withdraw": ({Offer.Status.DRAFT, Offer.Status.SENT}, Offer.Status.WITHDRAWN),
}


def _offer_move(*, offer: Offer, actor: User | None, verb: str) -> Offer:
    offer = _locked_offer(offer)
    application = offer.application
    if actor is not None:
        require_perm(actor, "offers.manage", application.job)
    leaves, reaches = _OFFER_MOVES[verb]
    if offer.status not in leaves:
        raise ApplicationError(
            f"This offer is {offer.get_status_display().lower()}: it cannot be "
            f"{Offer.Status(reaches).label.lower()}.",
            code="invalid_transition",
        )
    if verb in ("send", "accept"):
        _require_active(application, f"its offer cannot be {Offer.Status(reaches).label.lower()}")
    now = timezone.now()
    was = offer.status
    offer.status = reaches
    if reaches == Offer.Status.SENT:
        offer.sent_at = now
    elif reaches in (Offer.Status.ACCEPTED, Offer.Status.DECLINED):
        offer.responded_at = now
    _offer_clean(offer)
    offer.save()
    audit_record(
        action=f"offer.{reaches}",
        actor=actor,
        target=offer,
        company=application.job.company,
        changes={"status": [was, reaches]},
    )
    application_offer_recorded(
        application=application,
        actor=actor,
        event=f"Offer {Offer.Status(reaches).label.lower()}",
        advance=reaches == Offer.Status.SENT,
    )
    if f"offer.{reaches}" in _OFFER_EVENTS:
        webhook_event_emit(
            company_id=application.job.company_id,
            event=f"offer.{reaches}",
            data={
                "offer": {
                    "id": offer.pk,
                    "application_id": offer.application_id,
                    "status": offer.status,
                    "sent_at": offer.sent_at,
                    "responded_at": offer.responded_at,
                }
            },
        )
    return offer


# The offer moves partners can subscribe to (accounts.webhooks.WEBHOOK_EVENTS).
_OFFER_EVENTS = {"offer.sent", "offer.accepted", "offer.declined"}


@transaction.atomic
def offer_send(*, offer: Offer, actor: User | None) -> Offer:
    return _offer_move(offer=offer, actor=actor, verb="send")


@transaction.atomic
def offer_accept(*, offer: Offer, actor: User | None) -> Offer:
    """Record the candidate's yes. Hiring the application stays a step of its own."""
    return _offer_move(offer=offer, actor=actor, verb="accept")


@transaction.atomic
def offer_decline(*, offer: Offer, actor: User | None) -> Offer:
    return _offer_move(offer=offer, actor=actor, verb="decline")


@transaction.atomic
def offer_withdraw(*, offer: Offer, actor: User | None) -> Offer:
    return _offer_move(offer=offer, actor=actor, verb="withdraw")


# --- Notes ---------------------------------------------------------------------------------


def _body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something in the note."})
    return body


def _require_note_author(note: Note, actor: User | None) -> None:
    if actor is None:
        return
    if (api_key := getattr(actor, "api_key", None)) is not None:
        wrote_it = note.api_key_id is not None and note.api_key_id == api_key.pk
    else:
        wrote_it = note.author_id is not None and note.author_id == actor.pk
    if not wrote_it:
        raise PermissionDenied("Only its author edits or deletes a note.")
    require_perm(actor, "applications.comment", note.application.job)


@transaction.atomic
def note_create(*, application: Application, body: str, actor: User | None) -> Note:
    """A note on an application, by a member or by an API key (which is then its author)."""
    application = _application(application)
    if actor is not None:
        require_perm(actor, "applications.comment", application.job)
    note = Note(
        application=application,
        author=person_of(actor),
        api_key=getattr(actor, "api_key", None),
        body=_body(body),
    )
    note.full_clean()
    note.save()
    audit_record(action="note.created", actor=actor, target=note, company=application.job.company)
    return note


def _locked_note(note: Note) -> Note:
    return (
        Note.objects.select_for_update(of=("self",))
        .select_related("application__job__company")
        .get(pk=note.pk)
    )


@transaction.atomic
def note_update(*, note: Note, body: str, actor: User | None) -> Note:
    note = _locked_note(note)
    _require_note_author(note, actor)
    body = _body(body)
    if body == note.body:
        return note
    note.body = body
    note.full_clean()
    note.save()
    audit_record(
        action="note.updated", actor=actor, target=note, company=note.application.job.company
    )
    return note


@transaction.atomic
def note_delete(*, note: Note, actor: User | None) -> None:
    note = _locked_note(note)
    _require_note_author(note, actor)
    # Recorded first: the row (and its id) is gone after the delete.
    audit_record(
        action="note.deleted", actor=actor, target=note, company=note.application.job.company
    )
    note.delete()


# --- Selectors -----------------------------------------------------------------------------


def _panel_scope(
    qs: QuerySet, user, *, company_field: str, interview_field: str, mine=None, sits=None
):
    """Rows of companies where `user` sees all feedback, plus, where they only see
    interviews, the rows of `sits` (by default the interviews they sit on; a queryset of
    interview ids) and `mine` (a Q of their own rows)."""
    everything = company_ids_with(user, "interviews.view_all_feedback")
    if everything is None:
        return qs
    visible = Q(**{f"{company_field}__in": everything})
    panel_only = sorted(set(company_ids_with(user, "interviews.view")) - set(everything))
    if panel_only and person_of(user) is not None:
        if sits is None:
            sits = Interview.interviewers.through.objects.filter(user_id=user.pk).values(
                "interview_id"
            )
        own = Q(**{f"{interview_field}__in": sits})
        if mine is not None:
            own |= mine
        visible |= Q(**{f"{company_field}__in": panel_only}) & own
    return qs.filter(visible)


def _common_filters(qs: QuerySet, filters: dict) -> QuerySet:
    if (updated_after := filters.get("updated_after")) is not None:
        qs = qs.filter(updated_at__gt=updated_after)
    if (application_id := filters.get("application_id")) is not None:
        qs = qs.filter(application_id=application_id)
    return qs


def interview_list(*, user, filters: dict | None = None) -> QuerySet[Interview]:
    """Interviews `user` may see (see the module's docstring), newest first."""
    qs = Interview.objects.select_related("application__candidate").prefetch_related(
        Prefetch("interviewers", queryset=User.objects.only("id", "full_name").order_by("id"))
    )
    qs = _panel_scope(qs, user, company_field="application__job__company", interview_field="pk")
    qs = scope_queryset(
        qs, user, "interviews.view", "application__job__company", role_limits=INTERVIEW_ROLE_LIMITS
    )
    filters = filters or {}
    qs = _common_filters(qs, filters)
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if (starts_after := filters.get("starts_after")) is not None:
        qs = qs.filter(starts_at__gte=starts_after)
    if (starts_before := filters.get("starts_before")) is not None:
        qs = qs.filter(starts_at__lt=starts_before)
    return qs.order_by("-id")


def scorecard_list(*, user, filters: dict | None = None) -> QuerySet[Scorecard]:
    """Scorecards `user` may read: an interviewer reads their own, and the others' of an
    interview once they have submitted theirs."""
    qs = Scorecard.objects.select_related("author", "interview")
    person = person_of(user)
    qs = _panel_scope(
        qs,
        user,
        company_field="interview__application__job__company",
        interview_field="interview_id",
        mine=Q(author_id=person.pk) if person is not None else None,
        sits=scorecards_submitted_by(user=person),
    )
    # The panel rule above is the interviewer's (it keeps an author's own card after they
    # leave the panel); the hiring manager's limit is their hiring teams' jobs.
    qs = scope_queryset(
        qs,
        user,
        "interviews.view",
        "interview__application__job__company",
        role_limits={Role.HIRING_MANAGER: SCORECARD_ROLE_LIMITS[Role.HIRING_MANAGER]},
    )
    filters = filters or {}
    if (updated_after := filters.get("updated_after")) is not None:
        qs = qs.filter(updated_at__gt=updated_after)
    if (interview_id := filters.get("interview_id")) is not None:
        qs = qs.filter(interview_id=interview_id)
    if (submitted := filters.get("submitted")) is not None:
        qs = qs.filter(submitted_at__isnull=not submitted)
    return qs.order_by("-id")


def scorecards_submitted_by(*, user: User | None) -> QuerySet:
    """The ids of the interviews `user` has submitted a scorecard for."""
    if user is None:
        return Scorecard.objects.none().values("interview_id")
    return Scorecard.objects.filter(author=user, submitted_at__isnull=False).values("interview_id")


def scorecards_pending(*, user: User, now: datetime | None = None) -> QuerySet[Interview]:
    """Interviews `user` sat on that are over (held, not cancelled) and still wait for their
    submitted scorecard, oldest first."""
    now = now or timezone.now()
    return (
        Interview.objects.filter(interviewers=user, ends_at__lte=now)
        .exclude(status=Interview.Status.CANCELLED)
        .exclude(pk__in=scorecards_submitted_by(user=user))
        .order_by("ends_at")
    )


def offer_list(*, user, filters: dict | None = None) -> QuerySet[Offer]:
    """Offers of the companies where `user` may view offers (a hiring manager: of their
    hiring teams' jobs)."""
    qs = scope_queryset(
        Offer.objects.all(),
        user,
        "offers.view",
        "application__job__company",
        role_limits=ON_APPLICATION_ROLE_LIMITS,
    )
    filters = filters or {}
    qs = _common_filters(qs, filters)
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def note_list(*, user, filters: dict | None = None) -> QuerySet[Note]:
    """Notes on applications of the companies where `user` may view applications (a hiring
    manager: of their hiring teams' jobs)."""
    qs = scope_queryset(
        Note.objects.select_related("author"),
        user,
        "applications.view",
        "application__job__company",
        role_limits=ON_APPLICATION_ROLE_LIMITS,
    )
    return _common_filters(qs, filters or {}).order_by("-id")


def application_for_hiring(*, user, perm: str, application_id: int) -> Application | None:
    """The application `application_id` if `user` has `perm` in its company (a hiring
    manager: on one of their hiring teams' jobs), else None (so a request naming another
    company's application reads as naming none)."""
    qs = applications_scoped(user, perm, Application.objects.select_related("job__company"))
    return qs.filter(pk=application_id).first()
