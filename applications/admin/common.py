"""What the back office's application admins share: related rows to load and the scorecards a
user may read. The rows lower roles see are `applications.selectors`' role limits."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join

from applications.hiring import scorecard_list

# Enough to show "candidate → job at company" without a query per row.
APPLICATION_RELATED = ("application__candidate", "application__job__company")

SCORECARD_FIELDS = ("ratings", "recommendation", "notes")

# What the application's page shows of a parsed resume, in this order.
PARSED_FIELDS = (
    ("current_title", "Title"),
    ("location", "Location"),
    ("years_experience", "Years of experience"),
    ("skills", "Skills"),
    ("work_history", "Experience"),
    ("education", "Education"),
)


def parsed_value(value) -> str:
    if isinstance(value, list):
        return "; ".join(parsed_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(str(item) for item in value.values() if item not in (None, "", []))
    return "" if value is None else str(value)


def parsed_resume(parsed: dict):
    """A parsed resume ({field: {"value", "confidence"}}) as a short definition list."""
    rows = [
        (label, text)
        for name, label in PARSED_FIELDS
        if (text := parsed_value((parsed.get(name) or {}).get("value")))
    ]
    if not rows:
        return ""
    return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))


def readable_scorecards(request, queryset):
    """Of `queryset`, the scorecards the user may read (scorecard_list): an interviewer sees
    the others' only after submitting their own."""
    if request.user.is_superuser:
        return queryset
    return queryset.filter(pk__in=scorecard_list(user=request.user).values("pk"))
