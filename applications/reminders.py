"""Reminders of scorecards still owed: each interviewer of an interview that is over and that
they have not scored gets one email a day (celery-beat, daily) for up to two weeks, with a link
to write it in the back office."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.mail import email_build, emails_queue
from applications.models import Interview, Scorecard

# Time to write it before the first reminder, and how long reminders go on.
SCORECARD_GRACE = timedelta(hours=2)
SCORECARD_REMINDER_DAYS = 14


def scorecard_reminders_queue(*, now: datetime | None = None) -> int:
    """Queue today's reminder for every scorecard owed; returns how many are new (a second
    run the same day adds none)."""
    now = now or timezone.now()
    panel = Interview.interviewers.through.objects
    owed = (
        panel.filter(
            interview__ends_at__lte=now - SCORECARD_GRACE,
            interview__ends_at__gt=now - timedelta(days=SCORECARD_REMINDER_DAYS),
            user__is_active=True,
        )
        .exclude(interview__status=Interview.Status.CANCELLED)
        .exclude(
            Exists(
                Scorecard.objects.filter(
                    interview_id=OuterRef("interview_id"),
                    author_id=OuterRef("user_id"),
                    submitted_at__isnull=False,
                )
            )
        )
        .select_related(
            "user", "interview__application__candidate", "interview__application__job__company"
        )
        .order_by("interview__ends_at", "pk")
    )
    day = now.date().isoformat()
    emails = [_reminder(row.interview, row.user, day=day, now=now) for row in owed]
    return sum(new for _, new in emails_queue(emails=emails))


def _reminder(interview: Interview, user, *, day: str, now: datetime):
    application = interview.application
    candidate = application.candidate.full_name or application.candidate.email
    job = application.job
    link = settings.SITE_URL + reverse("admin:applications_scorecard_add")
    link += f"?interview={interview.pk}"
    body = (
        f"Hello {user.full_name or user.email},\n\n"
        f"Your scorecard for {candidate} ({interview.title}, {job.title} at {job.company.name}, "
        f"{interview.starts_at:%d %B %Y}) is still to write. The others' scorecards for this "
        "interview stay hidden from you until yours is submitted.\n\n"
        f"Write it here: {link}\n"
    )
    return email_build(
        to=user.email,
        kind="scorecard.reminder",
        subject=f"Scorecard due: {candidate}, {job.title}",
        body_text=body,
        dedupe_key=f"scorecard-reminder:{interview.pk}:{user.pk}:{day}",
        user=user,
        refs=[interview.pk],
        now=now,
    )
