"""Interview invitations: iCalendar (RFC 5545) events mailed through the outbox.

The candidate and every interviewer get an email with an `invite.ics` attachment when an
interview is scheduled; a change of time, place or panel sends the event again with a higher
SEQUENCE (calendars replace the old one), someone taken off the panel gets a cancellation, and
a cancelled interview sends METHOD:CANCEL to everyone. A reminder goes out the day before.

Every email is queued in the transaction of the change it reports, keyed by the interview, its
SEQUENCE and the address, so a re-run never mails twice. Times are written in UTC ("...Z"),
which every calendar reads; the email's text also gives them in the interview's time zone.
"""

from __future__ import annotations

import base64
from collections.abc import Collection
from datetime import datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from accounts.mail import (
    email_build,
    emails_queue,
    unsubscribe_headers,
    unsubscribe_token_make,
    unsubscribe_url,
)
from accounts.models import Notification, NotificationKind, NotificationPreference, User
from accounts.notifications import notify_many
from applications.models import Interview

PRODID = "-//Recruitment platform//Interviews//EN"
# How long before an interview its reminder is due; the sweep runs every hour.
REMINDER_AHEAD = timedelta(days=1)
SCHEDULED, UPDATED, CANCELLED, REMINDER = "scheduled", "updated", "cancelled", "reminder"


def _uid(interview: Interview) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"interview-{interview.pk}@{domain}"


def _address(user: User, role: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    if user.full_name:
        address.params["cn"] = vText(user.full_name)
    address.params["role"] = vText(role)
    address.params["partstat"] = vText("NEEDS-ACTION")
    address.params["rsvp"] = vText("TRUE")
    return address


def interview_calendar(
    interview: Interview, *, attendees: Collection[User], cancel: bool = False
) -> bytes:
    """The interview as an iCalendar object: METHOD:REQUEST, or METHOD:CANCEL with `cancel`."""
    job = interview.application.job
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", _uid(interview))
    event.add("sequence", interview.sequence)
    event.add("dtstamp", timezone.now().astimezone(ZoneInfo("UTC")))
    event.add("dtstart", interview.starts_at.astimezone(ZoneInfo("UTC")))
    event.add("dtend", interview.ends_at.astimezone(ZoneInfo("UTC")))
    event.add("summary", f"{interview.title}: {job.title} at {job.company.name}")
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    if interview.location:
        event.add("location", interview.location)
    if interview.meeting_url:
        event.add("url", interview.meeting_url)
    event.add("description", _details(interview))
    organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    organizer.params["cn"] = vText(job.company.name)
    event.add("organizer", organizer)
    candidate_id = interview.application.candidate_id
    for user in attendees:
        role = "REQ-PARTICIPANT" if user.pk == candidate_id else "CHAIR"
        event.add("attendee", _address(user, role))
    calendar.add_component(event)
    return calendar.to_ical()


def _when(interview: Interview) -> str:
    local = ZoneInfo(interview.timezone)
    starts, ends = interview.starts_at.astimezone(local), interview.ends_at.astimezone(local)
    utc = interview.starts_at.astimezone(ZoneInfo("UTC"))
    return f"{starts:%A %d %B %Y, %H:%M}–{ends:%H:%M} ({interview.timezone}; {utc:%H:%M} UTC)"


def _details(interview: Interview) -> str:
    lines = [f"When: {_when(interview)}"]
    if interview.location:
        lines.append(f"Where: {interview.location}")
    if interview.meeting_url:
        lines.append(f"Join: {interview.meeting_url}")
    return "\n".join(lines)


_SUBJECTS = {
    SCHEDULED: "Interview: {title}",
    UPDATED: "Updated interview: {title}",
    CANCELLED: "Cancelled interview: {title}",
    REMINDER: "Reminder, tomorrow: {title}",
}
_OPENINGS = {
    SCHEDULED: "An interview has been scheduled.",
    UPDATED: "The interview has changed; the attached invitation replaces the earlier one.",
    CANCELLED: "The interview has been cancelled.",
    REMINDER: "A reminder of your interview tomorrow.",
}


def _email(interview: Interview, user: User, kind: str, ics: bytes, *, now: datetime):
    job = interview.application.job
    title = f"{job.title} at {job.company.name}"
    greeting = f"Hello {user.full_name}," if user.full_name else "Hello,"
    body = "\n\n".join(
        [greeting, _OPENINGS[kind], f"{interview.title}: {title}", _details(interview)]
    )
    method = "CANCEL" if kind == CANCELLED else "REQUEST"
    headers = None
    if user.pk == interview.application.candidate_id:
        # The candidate may switch these off (the panel's are part of their work).
        token = unsubscribe_token_make(user_id=user.pk, digest="interview_updates")
        body += f"\n\n-- \nStop interview emails: {unsubscribe_url(token=token)}"
        headers = unsubscribe_headers(token=token)
    return email_build(
        to=user.email,
        kind=f"interview.{kind}",
        subject=_SUBJECTS[kind].format(title=title),
        body_text=body + "\n",
        dedupe_key=f"interview:{interview.pk}:{interview.sequence}:{kind}:{user.email.lower()}",
        user=user,
        refs=[interview.pk],
        headers=headers,
        attachments=[
            {
                "filename": "invite.ics",
                "content_type": f"text/calendar; charset=utf-8; method={method}",
                "content_base64": base64.b64encode(ics).decode("ascii"),
            }
        ],
        now=now,
    )


def _candidate_notice(interview: Interview, kind: str) -> Notification:
    """The candidate's in-app notification (unsaved: `notify_many` adds it, once, with its
    web push per their preferences)."""
    job = interview.application.job
    return Notification(
        user=interview.application.candidate,
        kind=NotificationKind.INTERVIEW_UPDATE,
        title=_SUBJECTS[kind].format(title=f"{job.title} at {job.company.name}"),
        body=f"{_OPENINGS[kind]} {_when(interview)}",
        url=reverse("me-dashboard"),
        dedupe_key=f"interview:{interview.pk}:{interview.sequence}:{kind}",
    )


def _muted(candidate_ids: Collection[int]) -> set[int]:
    """Those of the candidates who switched interview updates off."""
    return set(
        NotificationPreference.objects.filter(
            user_id__in=candidate_ids, interview_updates=False
        ).values_list("user_id", flat=True)
    )


def _recipients(
    interview: Interview, users: Collection[User], muted: set[int] | None = None
) -> list[User]:
    """`users` less a candidate who switched interview updates off (`muted`, when known)."""
    if muted is None:
        muted = _muted([interview.application.candidate_id])
    return [user for user in users if user.pk not in muted]


def interview_invites_queue(
    *, interview: Interview, kind: str, removed: Collection[User] = ()
) -> int:
    """Queue the invitation emails of a scheduled, changed or cancelled interview (`kind`);
    `removed` panel members get a cancellation. An interview already over sends none. Returns
    how many emails are new."""
    interview = Interview.objects.select_related(
        "application__candidate", "application__job__company"
    ).get(pk=interview.pk)
    if interview.ends_at <= timezone.now():
        return 0  # recorded after the fact: no calendar needs it
    panel = list(interview.interviewers.order_by("pk"))
    attendees = [interview.application.candidate, *panel]
    now = timezone.now()
    cancel = kind == CANCELLED
    ics = interview_calendar(interview, attendees=attendees, cancel=cancel)
    emails = [
        _email(interview, user, kind, ics, now=now) for user in _recipients(interview, attendees)
    ]
    notify_many(notifications=[_candidate_notice(interview, kind)])
    if removed:
        dropped = interview_calendar(interview, attendees=removed, cancel=True)
        emails += [_email(interview, user, CANCELLED, dropped, now=now) for user in removed]
    return sum(new for _, new in emails_queue(emails=emails))


def interview_reminders_queue(*, now: datetime | None = None) -> int:
    """Queue a reminder for each scheduled interview starting within a day, unless its
    invitation went out less than a day before it (the invite is reminder enough). Runs hourly;
    each reminder is keyed by the interview's SEQUENCE, so it goes out once per version."""
    now = now or timezone.now()
    due = (
        Interview.objects.filter(
            status=Interview.Status.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_AHEAD,
        )
        .filter(updated_at__lt=F("starts_at") - REMINDER_AHEAD)
        .select_related("application__candidate", "application__job__company")
        .prefetch_related("interviewers")
        .order_by("starts_at")
    )
    due = list(due)
    muted = _muted({interview.application.candidate_id for interview in due})
    emails, notices = [], []
    for interview in due:
        attendees = [interview.application.candidate, *interview.interviewers.all()]
        ics = interview_calendar(interview, attendees=attendees)
        notices.append(_candidate_notice(interview, REMINDER))
        emails += [
            _email(interview, user, REMINDER, ics, now=now)
            for user in _recipients(interview, attendees, muted)
        ]
    notify_many(notifications=notices)
    return sum(new for _, new in emails_queue(emails=emails))
