"""The applications part of the privacy registry (accounts.privacy): a candidate's
applications, consents, interviews, offers and documents, exported as the candidate sees them
and erased for good.

The export shows what the candidate is shown: a stage by its candidate label, never the
company's internal stage names, ratings, notes or scorecards. Erasure deletes the applications
(with their history, interviews, offers and notes) and the candidate's documents, and deletes the
documents' files from storage once the deletion is committed. The panel of an interview still to
come gets a cancellation for their calendars; the invitations already sent lose their calendar
file, which named the candidate.

Retention's anonymisation (`Erasure.anonymise`, applications/retention.py) keeps the
applications for statistics instead: job, stage, status, source, dates, the stage history
(without its free-text reasons), interviews (without title, place and link, which may name
them), offers, and scorecards' ratings and recommendation (without the notes). It deletes the
cover letter, answers, rejection reason, notes and documents (and their files).

The retention consent's withdrawal (accounts.privacy.retention_consent_withdraw) clears the
applications' `consent_retention`.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.mail import email_build, emails_queue
from accounts.models import OutboundEmail, User
from accounts.privacy import (
    ERASED,
    Erasure,
    Export,
    ExportFile,
    on_retention_consent_withdrawn,
    privacy_part_register,
)
from applications import invites
from applications.documents import STORAGE_ERRORS
from applications.invites import interview_calendar
from applications.models import (
    Application,
    Document,
    Interview,
    Note,
    Offer,
    Scorecard,
    StageChange,
)

logger = logging.getLogger(__name__)

STORAGE = "private"


def _archive_name(document: Document) -> str:
    return f"files/{document.pk}-{document.original_name}"


def applications_export(*, user: User) -> Export:
    applications = (
        Application.objects.filter(candidate=user)
        .select_related("job__company", "stage")
        .prefetch_related(
            Prefetch(
                "stage_changes",
                queryset=StageChange.objects.select_related("to_stage").order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch("interviews", queryset=Interview.objects.order_by("starts_at")),
            Prefetch(
                "offers",
                queryset=Offer.objects.exclude(status=Offer.Status.DRAFT).order_by("created_at"),
            ),
        )
        .order_by("created_at", "id")
    )
    documents = list(
        Document.objects.filter(Q(owner=user) | Q(application__candidate=user)).order_by(
            "created_at", "id"
        )
    )
    return Export(
        parts={
            "applications": [_application_data(a) for a in applications],
            "consents": [
                {
                    "application": a.pk,
                    "job": a.job.title,
                    "company": a.job.company.name,
                    "processing": a.consent_processing,
                    "retention_for_future_roles": a.consent_retention,
                    "given_at": a.consented_at,
                }
                for a in applications
            ],
            "documents": [
                {
                    "id": d.pk,
                    "kind": d.get_kind_display(),
                    "name": d.original_name,
                    "content_type": d.content_type,
                    "size": d.size,
                    "sha256": d.sha256,
                    "application": d.application_id,
                    "uploaded_at": d.created_at,
                    "text_extraction": d.get_status_display(),
                    "extracted_text": d.extracted_text,
                    "parsed": d.parsed,
                    "file": _archive_name(d),
                }
                for d in documents
            ],
        },
        files=[
            ExportFile(name=_archive_name(d), storage=STORAGE, key=d.storage_key) for d in documents
        ],
    )


def _application_data(application: Application) -> dict[str, Any]:
    job = application.job
    labels = {q.get("key"): q.get("label") or q.get("key") for q in job.questions or []}
    return {
        "id": application.pk,
        "job": {"id": job.pk, "title": job.title, "company": job.company.name},
        "applied_at": application.created_at,
        "source": application.get_source_display(),
        "status": application.get_status_display(),
        "stage": application.stage.candidate_name,
        "timeline": [
            {
                "stage": change.to_stage.candidate_name,
                "status": Application.Status(change.status).label,
                "at": change.created_at,
            }
            for change in application.stage_changes.all()
        ],
        "cover_letter": application.cover_letter,
        "answers": [
            {"question": labels.get(key, key), "answer": value}
            for key, value in (application.answers or {}).items()
        ],
        "consents": {
            "processing": application.consent_processing,
            "retention_for_future_roles": application.consent_retention,
            "given_at": application.consented_at,
        },
        "interviews": [
            {
                "title": i.title,
                "starts_at": i.starts_at,
                "ends_at": i.ends_at,
                "timezone": i.timezone,
                "location": i.location,
                "meeting_url": i.meeting_url,
                "status": i.get_status_display(),
            }
            for i in application.interviews.all()
        ],
        "offers": [
            {
                "salary": o.salary,
                "currency": o.currency,
                "period": o.get_salary_period_display(),
                "start_date": o.start_date,
                "status": o.get_status_display(),
                "sent_at": o.sent_at,
                "responded_at": o.responded_at,
            }
            for o in application.offers.all()
        ],
    }


def applications_erase(*, user: User, erasure: Erasure) -> dict[str, int]:
    applications = Application.objects.filter(candidate=user)
    documents = Document.objects.filter(Q(owner=user) | Q(application__candidate=user))
    interviews = Interview.objects.filter(application__candidate=user)
    related = {
        "applications.application": applications,
        "applications.stagechange": StageChange.objects.filter(application__candidate=user),
        "applications.document": documents,
        "applications.interview": interviews,
        "applications.scorecard": Scorecard.objects.filter(interview__application__candidate=user),
        "applications.offer": Offer.objects.filter(application__candidate=user),
        "applications.note": Note.objects.filter(application__candidate=user),
    }
    counts: dict[str, int] = {}
    for label, rows in related.items():
        ids = list(rows.values_list("pk", flat=True))
        erasure.add_subjects(label, ids)
        counts[label.split(".")[1] + "s"] = len(ids)
    keys = list(documents.values_list("storage_key", flat=True))
    counts.update(_invites_erase(erasure.subjects.get("applications.interview", set())))
    counts["panel_cancellations"] = _panel_cancel(interviews)
    documents.delete()
    if erasure.anonymise:
        counts.update(_applications_anonymise(user))
    else:
        applications.delete()  # their history, interviews, scorecards, offers and notes with them
    # As a company member, they leave the panels of interviews still to come.
    counts["panels_left"] = Interview.interviewers.through.objects.filter(
        user_id=user.pk, interview__status=Interview.Status.SCHEDULED
    ).delete()[0]
    transaction.on_commit(lambda: _files_delete(keys), robust=True)
    return counts


def _applications_anonymise(user: User) -> dict[str, int]:
    """Keep `user`'s applications for statistics, without what they or others wrote about
    them (the documents are gone already)."""
    return {
        "anonymised": Application.objects.filter(candidate=user).update(
            cover_letter="", answers={}, rejection_reason="", rating=None
        ),
        "notes_deleted": Note.objects.filter(application__candidate=user).delete()[0],
        "reasons_cleared": StageChange.objects.filter(application__candidate=user)
        .exclude(reason="")
        .update(reason=""),
        "interviews_cleared": Interview.objects.filter(application__candidate=user).update(
            title=ERASED, location="", meeting_url=""
        ),
        "scorecard_notes_cleared": Scorecard.objects.filter(
            interview__application__candidate=user
        ).update(notes=""),
    }


def applications_retention_withdraw(*, user: User) -> int:
    """Clear the retention consent of `user`'s applications (its withdrawal is recorded)."""
    return Application.objects.filter(candidate=user, consent_retention=True).update(
        consent_retention=False
    )


def _invites_erase(interview_ids: set[str]) -> dict[str, int]:
    """The invitations of their interviews name them in the calendar file, for every panel
    member: unsent ones go (the interview is gone), sent ones lose the file."""
    if not interview_ids:
        return {"invites_dropped": 0, "invites_cleared": 0}
    invites = OutboundEmail.objects.filter(
        kind__startswith="interview.", refs__overlap=[int(pk) for pk in interview_ids]
    )
    unsent = [OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING]
    return {
        "invites_dropped": invites.filter(status__in=unsent).delete()[0],
        "invites_cleared": invites.exclude(attachments=[]).update(attachments=[]),
    }


def _panel_cancel(interviews) -> int:
    """Take their interviews still to come off the panel's calendars: a cancellation whose
    calendar file lists the panel only, so it doesn't name the candidate."""
    upcoming = (
        interviews.filter(status=Interview.Status.SCHEDULED, ends_at__gt=timezone.now())
        .select_related("application__job__company")
        .prefetch_related("interviewers")
    )
    emails = []
    for interview in upcoming:
        panel = list(interview.interviewers.all())
        interview.sequence += 1  # a cancellation is an update of the invitation
        ics = interview_calendar(interview, attendees=panel, cancel=True)
        job = interview.application.job
        for member in panel:
            emails.append(
                email_build(
                    to=member.email,
                    user=member,
                    kind=f"interview.{invites.CANCELLED}",
                    subject=f"Cancelled interview: {job.title} at {job.company.name}",
                    body_text=(
                        f"Hello {member.full_name or member.email},\n\n"
                        "The interview has been cancelled: the candidate withdrew and deleted "
                        f"their account.\n\n{interview.title}: {job.title} at "
                        f"{job.company.name}\n"
                    ),
                    dedupe_key=(
                        f"interview:{interview.pk}:{interview.sequence}:{invites.CANCELLED}:"
                        f"{member.email.lower()}"
                    ),
                    refs=[interview.pk],
                    attachments=[
                        {
                            "filename": "invite.ics",
                            "content_type": "text/calendar; charset=utf-8; method=CANCEL",
                            "content_base64": base64.b64encode(ics).decode("ascii"),
                        }
                    ],
                )
            )
    return sum(new for _, new in emails_queue(emails=emails))


def _files_delete(keys: list[str]) -> None:
    storage = storages[STORAGE]
    failed = 0
    for key in keys:
        try:
            storage.delete(key)
        except STORAGE_ERRORS:
            failed += 1
    if failed:
        # The rows are gone; the key names no one. An operator deletes what is left.
        logger.error("erased documents left in storage", extra={"count": failed})


def privacy_register() -> None:
    privacy_part_register(name="applications", export=applications_export, erase=applications_erase)
    on_retention_consent_withdrawn("applications", applications_retention_withdraw)
