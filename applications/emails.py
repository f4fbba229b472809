"""Email templates to candidates: merge fields, validation, preview, and queuing through the
outbox.

A template's subject and body hold merge fields in double braces, e.g. "Hello
{{ candidate_name }}". Only the fields of MERGE_FIELDS exist, and they are replaced as plain
text: a template is never run as a Django template, so a member writing one can reach nothing
else. An unknown field is refused when the template is saved.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.mail import email_queue, unsubscribe_headers, unsubscribe_token_make, unsubscribe_url
from accounts.models import NotificationKind, NotificationPreference, User
from accounts.notifications import notify
from accounts.permissions import require_perm
from accounts.services import audit_record
from applications.models import Application, EmailTemplate, Interview, StageChange

MERGE_FIELDS: dict[str, str] = {
    "candidate_name": "the candidate's name (or email address)",
    "job_title": "the job's title",
    "company_name": "the company's name",
    "stage": "the application's stage, as candidates see it",
    "interview_time": "the next scheduled interview's start, in its time zone",
    "recruiter_name": "the name of the member who acted (or the company's name)",
}
# What a preview shows without an application.
SAMPLE_VALUES: dict[str, str] = {
    "candidate_name": "Ada Lovelace",
    "job_title": "Data Engineer",
    "company_name": "Example Ltd",
    "stage": "Interview",
    "interview_time": "Tuesday 15 January 2030, 10:00 (Europe/Berlin)",
    "recruiter_name": "Rita Recruiter",
}
_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
TEMPLATE_FIELDS = ("name", "subject", "body", "send_on_stage", "is_active")


def merge_field_errors(text: str) -> list[str]:
    """The unknown merge fields in `text`, as messages."""
    unknown = sorted(
        {inner.strip() for inner in _BRACES.findall(text) if inner.strip() not in MERGE_FIELDS}
    )
    return [
        f"Unknown merge field {{{{ {name} }}}}; use one of: "
        + ", ".join(f"{{{{ {field} }}}}" for field in MERGE_FIELDS)
        + "."
        for name in unknown
    ]


def merge(text: str, values: dict[str, str]) -> str:
    return _FIELD.sub(lambda match: values.get(match.group(1), ""), text)


def merge_values(application: Application, *, actor: User | None = None) -> dict[str, str]:
    job = application.job
    interview = (
        Interview.objects.filter(
            application=application,
            status=Interview.Status.SCHEDULED,
            starts_at__gt=timezone.now(),
        )
        .order_by("starts_at")
        .first()
    )
    interview_time = ""
    if interview is not None:
        local = interview.starts_at.astimezone(ZoneInfo(interview.timezone))
        interview_time = f"{local:%A %d %B %Y, %H:%M} ({interview.timezone})"
    stage = application.stage
    actor_name = getattr(actor, "full_name", "") if getattr(actor, "pk", None) else ""
    return {
        "candidate_name": application.candidate.full_name or application.candidate.email,
        "job_title": job.title,
        "company_name": job.company.name,
        "stage": stage.candidate_name,
        "interview_time": interview_time,
        "recruiter_name": actor_name or job.company.name,
    }


def template_render(
    template: EmailTemplate, application: Application | None = None, *, actor=None
) -> tuple[str, str]:
    """The template's subject and body for `application`, or with sample values."""
    values = SAMPLE_VALUES if application is None else merge_values(application, actor=actor)
    return merge(template.subject, values), merge(template.body, values)


@transaction.atomic
def email_template_save(*, template: EmailTemplate, actor: User | None) -> EmailTemplate:
    """Create or change a template: merge fields checked, its trigger stage of its company."""
    if actor is not None:
        require_perm(actor, "applications.reject", template.company)
    errors = {}
    for field in ("subject", "body"):
        if messages := merge_field_errors(getattr(template, field)):
            errors[field] = messages
    stage = template.send_on_stage
    if stage is not None and stage.company_id != template.company_id:
        errors["send_on_stage"] = ["Choose a stage of the template's company."]
    if errors:
        raise ValidationError(errors)
    created = template.pk is None
    template.full_clean()
    template.save()
    audit_record(
        action="email_template.created" if created else "email_template.updated",
        actor=actor,
        target=template,
        company=template.company,
        changes={"send_on_stage": stage.name if stage else None, "is_active": template.is_active},
    )
    return template


def stage_change_email_queue(
    *,
    application: Application,
    change: StageChange,
    actor=None,
    template: EmailTemplate | None = None,
) -> bool:
    """Tell the candidate about a stage change: an in-app notification (and web push, per
    their preferences) for a change someone else made, and an email with `template` (chosen by
    a recruiter) or the company's automatic one for the new stage, if any. Once per stage
    change; no email to a candidate who turned application updates off. Returns whether an
    email was queued."""
    candidate = application.candidate
    if change.actor_id != candidate.pk:  # not their own doing (applying, withdrawing)
        _stage_change_notify(application=application, change=change)
    if template is None:
        template = EmailTemplate.objects.filter(
            send_on_stage_id=change.to_stage_id, is_active=True
        ).first()
    if template is None:
        return False
    if NotificationPreference.objects.filter(user=candidate, application_updates=False).exists():
        return False
    subject, body = template_render(template, application, actor=actor)
    token = unsubscribe_token_make(user_id=candidate.pk, digest="application_updates")
    footer = f"Stop emails about your applications: {unsubscribe_url(token=token)}"
    _, created = email_queue(
        to=candidate.email,
        kind="application.stage_email",
        subject=subject,
        body_text=body.rstrip() + "\n\n-- \n" + footer + "\n",
        dedupe_key=f"stage-email:{change.pk}",
        user=candidate,
        refs=[application.pk, template.pk],
        headers=unsubscribe_headers(token=token),
    )
    return created


def _stage_change_notify(*, application: Application, change: StageChange) -> None:
    job = application.job
    stage = change.to_stage
    label = stage.candidate_name
    notify(
        user=application.candidate,
        kind=NotificationKind.APPLICATION_UPDATE,
        title=f"{job.title} at {job.company.name}: {label}",
        body=f"Your application moved to “{label}”.",
        url=reverse("me-dashboard"),
        dedupe_key=f"stage-change:{change.pk}",
    )
