"""Writes for applications: the pipeline stages and the application's life."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.mail import email_queue
from accounts.models import Company, ConsentPurpose, User
from accounts.permissions import person_of, require_perm
from accounts.privacy import consent_record
from accounts.services import audit_record, user_create
from accounts.webhooks import webhook_event_emit
from applications import uploads
from applications.answers import answers_clean
from applications.documents import document_attach
from applications.emails import stage_change_email_queue
from applications.models import Application, Document, EmailTemplate, Stage, StageChange
from applications.retention import returning_applicant_mark
from jobs.models import Job
from recruitment.api import ApplicationError

DEFAULT_STAGES: tuple[tuple[str, str, str], ...] = (
    # (name, kind, what the candidate sees)
    ("Applied", Stage.Kind.APPLIED, "Application received"),
    ("Phone screen", Stage.Kind.SCREEN, "In review"),
    ("Interview", Stage.Kind.INTERVIEW, "Interviewing"),
    ("Offer", Stage.Kind.OFFER, "Offer"),
    ("Hired", Stage.Kind.HIRED, "Hired"),
    ("Rejected", Stage.Kind.REJECTED, "Not selected"),
)


def stage_template_create(*, company: Company) -> list[Stage]:
    """Give a tenant `company` the default pipeline, unless it already has stages.

    Employers known only from scraped postings take no applications here, so they get none.
    """
    if not company.is_tenant:
        return []
    if company.stages.exists():
        return list(company.stages.all())
    stages = [
        Stage(company=company, name=name, kind=kind, position=position, candidate_label=label)
        for position, (name, kind, label) in enumerate(DEFAULT_STAGES, start=1)
    ]
    return Stage.objects.bulk_create(stages)


def _stage_of_kind(company_id: int, kind: str) -> Stage:
    stage = Stage.objects.filter(company_id=company_id, kind=kind).order_by("position").first()
    if stage is None:
        raise ApplicationError(
            f"The company has no '{Stage.Kind(kind).label}' stage.", code="stage_missing"
        )
    return stage


@transaction.atomic
def application_submit(
    *,
    job: Job,
    candidate: User,
    consent_processing: bool,
    consent_retention: bool = False,
    cover_letter: str = "",
    answers: dict | None = None,
    source: str = Application.Source.CAREERS_SITE,
    actor: User | None = None,
) -> Application:
    """Create an application in the company's first stage, with its history and audit."""
    if not consent_processing:
        raise ValidationError(
            {"consent_processing": "We need your consent to process your application."}
        )
    if job.status != Job.Status.OPEN:
        raise ApplicationError("This job is not open for applications.", code="job_not_open")
    if not job.applies_here:
        raise ApplicationError(
            "This job takes applications on the employer's own site.", code="apply_elsewhere"
        )
    if Application.objects.filter(job=job, candidate=candidate).exists():
        raise ApplicationError("You have already applied to this job.", code="already_applied")
    # A person applying for themselves answers the required questions; a member or partner
    # sending a sourced candidate may not know every answer.
    applying_themselves = actor is None or getattr(actor, "pk", None) == candidate.pk
    try:
        answers = answers_clean(
            questions=job.questions, answers=answers or {}, require=applying_themselves
        )
    except ValidationError as error:
        raise ValidationError(
            {
                "answers": [
                    f"{key}: {message}"
                    for key, messages in error.message_dict.items()
                    for message in messages
                ]
            }
        ) from None
    now = timezone.now()
    stage = _stage_of_kind(job.company_id, Stage.Kind.APPLIED)
    application = Application(
        job=job,
        candidate=candidate,
        stage=stage,
        source=source,
        cover_letter=cover_letter,
        answers=answers or {},
        consent_processing=True,
        consent_retention=consent_retention,
        consented_at=now,
        stage_entered_at=now,
    )
    application.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:  # a concurrent duplicate passed the check above
        raise ApplicationError(
            "You have already applied to this job.", code="already_applied"
        ) from exc
    # One record per consent given, with the version of the text shown (accounts.privacy).
    subject = f"application:{application.pk}"
    consent_record(user=candidate, purpose=ConsentPurpose.PROCESSING, granted=True, subject=subject)
    if consent_retention:
        consent_record(
            user=candidate, purpose=ConsentPurpose.RETENTION, granted=True, subject=subject
        )
    returning_applicant_mark(email=candidate.email)  # anonymised by retention before?
    submitter = actor if actor is not None else candidate
    change = StageChange.objects.create(
        application=application,
        from_stage=None,
        to_stage=stage,
        actor=person_of(submitter),  # None when an API key sent it; the audit names the key
        created_at=now,
    )
    emailed = stage_change_email_queue(application=application, change=change)  # "we got it"?
    if not emailed and applying_themselves:
        application_receipt_queue(application=application)
    audit_record(
        action="application.submitted",
        actor=submitter,
        target=application,
        company=job.company,
    )
    webhook_event_emit(
        company_id=job.company_id,
        event="application.created",
        data={"application": application_event_data(application)},
    )
    return application


def application_receipt_queue(*, application: Application) -> bool:
    """Confirm to a candidate that their application arrived, once, when the company sends no
    email of its own for the first stage. Returns whether the email is new."""
    job, candidate = application.job, application.candidate
    greeting = f"Hello {candidate.full_name}," if candidate.full_name else "Hello,"
    body = "\n\n".join(
        [
            greeting,
            f"Thank you for applying for {job.title} at {job.company.name}. "
            "We have received your application and will let you know how it goes.",
            f"Follow it, or withdraw it, on your dashboard: {settings.SITE_URL}"
            f"{reverse('me-dashboard')}",
        ]
    )
    _, created = email_queue(
        to=candidate.email,
        kind="application.received",
        subject=f"We received your application: {job.title} at {job.company.name}",
        body_text=body + "\n",
        dedupe_key=f"application-received:{application.pk}",
        user=candidate,
        refs=[application.pk],
    )
    return created


def application_event_data(application: Application) -> dict:
    """An application in webhook events (the API's ids, so a receiver can fetch the rest)."""
    return {
        "id": application.pk,
        "job_id": application.job_id,
        "candidate_id": application.candidate_id,
        "stage": _stage_data(application.stage),
        "status": application.status,
        "created_at": application.created_at,
        "updated_at": application.updated_at,
    }


def _stage_data(stage: Stage) -> dict:
    return {"id": stage.pk, "name": stage.name, "kind": stage.kind}


# What each transition tells webhook subscribers (accounts.webhooks.WEBHOOK_EVENTS).
_TRANSITION_EVENTS = {
    "application.moved": "application.stage_changed",
    "application.rejected": "application.rejected",
    "application.hired": "application.hired",
    "application.withdrawn": "application.withdrawn",
}


def candidate_find_or_create(*, email: str, full_name: str = "") -> User:
    """The person with `email` (in any case), or a new user without a password, who claims
    the account by resetting it. An existing person's name is left as they wrote it."""
    email = (email or "").strip()
    if (user := User.objects.filter(email__iexact=email).first()) is not None:
        return user
    try:
        with transaction.atomic():
            return user_create(email=email, full_name=full_name.strip())
    except IntegrityError:  # created by a concurrent request just now
        return User.objects.get(email__iexact=email)


def application_submit_with_resume(
    *,
    job: Job,
    actor,
    candidate: User | None = None,
    candidate_email: str = "",
    candidate_name: str = "",
    resume: File | None = None,
    document: Document | None = None,
    ip_address: str | None = None,
    **fields,
) -> Application:
    """Submit an application with its resume, all or nothing.

    The candidate is `candidate` (a person applying for themselves), or else the person with
    `candidate_email`, made when new: then `actor` needs `applications.create` in the job's
    company. The resume is an uploaded file, stored through the secure upload service (the
    same checks, scan and limits as the pages), or a `document` of the candidate's
    (`document_attach`). `fields` go to `application_submit`. A rejected file answers the
    upload's ValidationError and leaves nothing behind: no user, application or document.
    """
    if resume is not None and document is not None:
        raise ValidationError({"document": "Send a resume file or a document, not both."})
    if candidate is None:
        require_perm(actor, "applications.create", job)
    uploading = False
    try:
        with transaction.atomic():
            if candidate is None:
                candidate = candidate_find_or_create(
                    email=candidate_email, full_name=candidate_name
                )
            application = application_submit(job=job, candidate=candidate, actor=actor, **fields)
            if resume is not None:
                uploading = True
                uploads.document_upload(
                    owner=candidate,
                    file=resume,
                    kind=Document.Kind.RESUME,
                    application=application,
                    ip_address=ip_address,
                )
            elif document is not None:
                document_attach(document=document, application=application, actor=actor)
    except ValidationError as error:
        if uploading:
            # The service's record of the rejection went with the rolled back transaction.
            uploads.document_rejection_record(
                owner=actor, error=error, name=resume.name or "", ip_address=ip_address
            )
        raise
    return application


@transaction.atomic
def application_rate(*, application: Application, rating: int | None, actor) -> Application:
    """Set (or clear, with None) a member's 1 to 5 rating of an application."""
    application = (
        Application.objects.select_for_update().select_related("job").get(pk=application.pk)
    )
    require_perm(actor, "applications.rate", application.job)
    old = application.rating
    application.rating = rating
    application.full_clean(validate_constraints=False)
    application.save(update_fields=["rating", "updated_at"])
    audit_record(
        action="application.rated",
        actor=actor,
        target=application,
        company=application.job.company,
        changes={"rating": [old, rating]},
    )
    return application


def _transition(
    *,
    application: Application,
    stage: Stage,
    status: str,
    actor: User | None,
    reason: str,
    perm: str | None,
    action: str,
    email_template: EmailTemplate | None = None,
) -> Application:
    """Move the application and write its history, audit, webhook event and candidate email
    (`email_template`, or the company's automatic one for `stage`)."""
    application = (
        Application.objects.select_for_update()
        .select_related("job", "stage")
        .get(pk=application.pk)
    )
    if perm is not None and actor is not None:
        require_perm(actor, perm, application.job)
    if stage.company_id != application.job.company_id:
        raise ValidationError({"stage": "That stage belongs to another company."})
    if application.status != Application.Status.ACTIVE:
        raise ApplicationError(
            f"This application is {application.get_status_display().lower()}; it cannot change.",
            code="application_closed",
        )
    now = timezone.now()
    old_stage, old_status = application.stage, application.status
    application.stage = stage
    application.status = status
    application.stage_entered_at = now
    if status == Application.Status.REJECTED:
        application.rejection_reason = reason
    application.full_clean(validate_constraints=False)
    application.save()
    change = StageChange.objects.create(
        application=application,
        from_stage=old_stage,
        to_stage=stage,
        status=status,
        actor=person_of(actor),  # None when an API key moved it; the audit names the key
        reason=reason,
        created_at=now,
    )
    stage_change_email_queue(
        application=application, change=change, actor=actor, template=email_template
    )
    audit_record(
        action=action,
        actor=actor,
        target=application,
        company=application.job.company,
        changes={
            "stage": [old_stage.name, stage.name],
            "status": [old_status, status],
            **({"reason": reason} if reason else {}),
        },
    )
    data = {"application": application_event_data(application)}
    if action == "application.moved":
        data |= {"from_stage": _stage_data(old_stage), "to_stage": _stage_data(stage)}
    elif action == "application.rejected":
        data["reason"] = reason
    webhook_event_emit(
        company_id=application.job.company_id, event=_TRANSITION_EVENTS[action], data=data
    )
    return application


@transaction.atomic
def application_move(
    *, application: Application, stage: Stage, actor: User | None, reason: str = ""
) -> Application:
    if stage.kind in (Stage.Kind.HIRED, Stage.Kind.REJECTED):
        raise ApplicationError(
            "Use hire or reject to move an application to that stage.", code="use_hire_or_reject"
        )
    if stage.pk == application.stage_id:
        raise ApplicationError("The application is already in that stage.", code="same_stage")
    return _transition(
        application=application,
        stage=stage,
        status=Application.Status.ACTIVE,
        actor=actor,
        reason=reason,
        perm="applications.move",
        action="application.moved",
    )


# Stage kinds in the order an application passes them, up to an offer.
_BEFORE_OFFER = (Stage.Kind.APPLIED, Stage.Kind.SCREEN, Stage.Kind.INTERVIEW)


@transaction.atomic
def application_offer_recorded(
    *, application: Application, actor: User | None, event: str, advance: bool = False
) -> Application:
    """Write what happened to the application's offer (`event`, e.g. "Offer sent") into its
    stage history: with `advance` (an offer sent), an application still before the offer stage
    moves into it; otherwise the event is a history row in the stage it stands in. The offer
    service has checked the actor's permission (`offers.manage`), so this checks none."""
    application = (
        Application.objects.select_for_update()
        .select_related("job", "stage")
        .get(pk=application.pk)
    )
    if application.status != Application.Status.ACTIVE:
        return application
    if advance and application.stage.kind in _BEFORE_OFFER:
        stage = (
            Stage.objects.filter(company_id=application.job.company_id, kind=Stage.Kind.OFFER)
            .order_by("position")
            .first()
        )
        if stage is not None:
            return _transition(
                application=application,
                stage=stage,
                status=Application.Status.ACTIVE,
                actor=actor,
                reason=event,
                perm=None,
                action="application.moved",
            )
    StageChange.objects.create(
        application=application,
        from_stage=application.stage,
        to_stage=application.stage,
        status=application.status,
        actor=person_of(actor),
        reason=event,
        created_at=timezone.now(),
    )
    return application


@transaction.atomic
def application_reject(
    *,
    application: Application,
    actor: User | None,
    reason: str,
    email_template: EmailTemplate | None = None,
) -> Application:
    """Reject with a reason (kept in the history, not shown to the candidate). The candidate
    gets `email_template` if given, else the company's automatic email for rejection, if any."""
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason for the rejection."})
    if email_template is not None and (
        email_template.company_id != application.job.company_id or not email_template.is_active
    ):
        raise ValidationError({"email_template": "Choose an active template of the company."})
    stage = _stage_of_kind(application.job.company_id, Stage.Kind.REJECTED)
    return _transition(
        application=application,
        stage=stage,
        status=Application.Status.REJECTED,
        actor=actor,
        reason=reason.strip(),
        perm="applications.reject",
        action="application.rejected",
        email_template=email_template,
    )


@transaction.atomic
def application_hire(*, application: Application, actor: User | None) -> Application:
    stage = _stage_of_kind(application.job.company_id, Stage.Kind.HIRED)
    return _transition(
        application=application,
        stage=stage,
        status=Application.Status.HIRED,
        actor=actor,
        reason="",
        perm="applications.hire",
        action="application.hired",
    )


@transaction.atomic
def application_withdraw(
    *, application: Application, candidate: User, reason: str = ""
) -> Application:
    if application.candidate_id != candidate.pk:
        raise ApplicationError("Only the candidate can withdraw an application.", code="forbidden")
    return _transition(
        application=application,
        stage=application.stage,
        status=Application.Status.WITHDRAWN,
        actor=candidate,
        reason=reason,
        perm=None,
        action="application.withdrawn",
    )
