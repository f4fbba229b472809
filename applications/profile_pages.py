"""The candidate's profile page: what their resume suggested, to take or leave, and the
profile's fields to edit (each saved value counts as confirmed: parsing never changes it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import CandidateProfile
from accounts.selectors import candidate_profile_of
from accounts.services import user_me_update
from applications.documents import SUGGESTED_FIELDS, profile_suggestion_use
from applications.profile_forms import (
    PROFILE_FIELDS,
    ProfileForm,
    skills_complete,
)
from jobs.selectors import skill_names

# Fields whose value is a default until someone picks one: not "filled in" by anybody.
FIELD_DEFAULTS = frozenset({"remote_preference", "desired_salary_period"})
SUGGESTION_LABELS = {
    "name": "Name",
    "phone": "Phone",
    "links": "Links",
    "location": "Location",
    "current_title": "Current job title",
    "years_experience": "Years of experience",
    "skills": "Skills",
    "education": "Education",
    "work_history": "Work history",
}


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "use":
        return _suggestion_use(request)
    current = candidate_profile_of(user=request.user) or CandidateProfile(user=request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST, kept_skills=current.skills)
        if form.is_valid():
            try:
                user_me_update(
                    user=request.user,
                    full_name=form.cleaned_data["full_name"],
                    profile=form.profile_values(),
                    keep_set=True,
                    create_profile=True,
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("me-profile")
    else:
        form = ProfileForm(initial=ProfileForm.initial_of(current))
    return render(
        request,
        "profile/profile.html",
        {
            "nav": "profile",
            "form": form,
            "profile": current,
            "suggestions": _suggestion_rows(current),
            "confirmed": set(current.confirmed_fields),
            "filled_for_you": _filled_for_you(current),
        },
    )


def _suggestion_use(request: HttpRequest) -> HttpResponse:
    current = candidate_profile_of(user=request.user)
    field_name = request.POST.get("field", "")
    if current is None or field_name not in {*SUGGESTED_FIELDS, "name"}:
        messages.error(request, "There is no such suggestion to use.")
        return redirect("me-profile")
    try:
        profile_suggestion_use(profile=current, field_name=field_name, actor=request.user)
    except ValidationError as error:
        messages.error(
            request,
            f"We couldn't use the suggested {SUGGESTION_LABELS[field_name].lower()}: "
            f"{' '.join(error.messages)} Please type it in below instead.",
        )
    else:
        messages.success(request, f"{SUGGESTION_LABELS[field_name]}: the suggestion is now yours.")
    return redirect("me-profile")


def _errors_to_form(form: ProfileForm, error: ValidationError) -> None:
    fields = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for name, texts in fields.items():
        form.add_error(name if name in form.fields else None, texts)


@login_required
@require_GET
def skills(request: HttpRequest) -> JsonResponse:
    """Skills of the taxonomy for the skills field's autocomplete: ?q=what is typed."""
    query = request.GET.get("q", "")[:100]
    return JsonResponse({"skills": skills_complete(query)})


# --- Suggestions, as the page shows them -----------------------------------------------------


def _suggestion_rows(profile: CandidateProfile) -> list[dict[str, Any]]:
    """Each parsed field whose suggestion differs from what the profile says now."""
    rows = []
    for name, label in SUGGESTION_LABELS.items():
        suggestion = (profile.suggestions or {}).get(name) or {}
        value = suggestion.get("value")
        if value in (None, "", [], {}):
            continue
        now = _current(profile, name)
        if _same(name, value, now):
            continue
        rows.append(
            {
                "field": name,
                "label": label,
                "suggested": _shown(name, value),
                "current": _shown(name, now),
                "confidence": round(float(suggestion.get("confidence") or 0) * 100),
                "confirmed": bool(
                    set(SUGGESTED_FIELDS.get(name, ())) & set(profile.confirmed_fields)
                ),
            }
        )
    return rows


def _filled_for_you(profile: CandidateProfile) -> set[str]:
    """The fields resume parsing or enrichment filled and the candidate has not confirmed yet."""
    if profile.pk is None:
        return set()
    confirmed = set(profile.confirmed_fields)
    return {
        name
        for name in PROFILE_FIELDS
        if name not in confirmed
        and name not in FIELD_DEFAULTS
        and getattr(profile, name) not in (None, "", [], {})
    }


def _current(profile: CandidateProfile, name: str) -> Any:
    if name == "name":
        return profile.user.full_name if profile.user_id else ""
    if name == "location":
        return {"city": profile.city, "region": profile.region, "country": profile.country}
    return getattr(profile, SUGGESTED_FIELDS[name][0])


def _same(name: str, suggested: Any, now: Any) -> bool:
    if name == "location":
        return all((suggested.get(key) or "") == (now.get(key) or "") for key in now)
    if name == "skills":
        return set(suggested) <= set(now)
    return suggested == now


def _shown(name: str, value: Any) -> list[str]:
    """A value as the candidate reads it, as lines (none when empty)."""
    if value in (None, "", [], {}):
        return []
    if name == "location":
        place = ", ".join(v for v in (value.get(k) for k in ("city", "region", "country")) if v)
        return [place] if place else []
    if name == "skills":
        return skill_names(slugs=list(value))
    if name == "links":
        urls = [value.get("linkedin"), value.get("github"), *(value.get("other") or [])]
        return [url for url in urls if url]
    if name == "work_history":
        return [
            _period(" at ".join(p for p in (e.get("title"), e.get("company")) if p), e)
            for e in value
        ]
    if name == "education":
        return [
            _period(", ".join(p for p in (e.get("degree"), e.get("institution")) if p), e)
            for e in value
        ]
    return [str(value)]


def _period(text: str, entry: dict) -> str:
    start, end = entry.get("start") or "", entry.get("end") or ""
    if start or end:
        return f"{text} ({start}–{end or 'now'})"
    return text
