"""The forms of the candidate's profile page."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib.resources import files

from django import forms

from accounts.models import CandidateProfile, RemotePreference, SalaryPeriod, Seniority
from applications.resumes.places import COUNTRIES
from jobs.search.salary import CURRENCY_RATES_EUR
from jobs.selectors import skill_names
from jobs.skills import skill_key, skill_matcher

MAX_SKILLS = 100
_COUNTRY = re.compile(r"[A-Z]{2}")
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_SKILL_SEPARATORS = re.compile(r"[,;\n]+")

# The profile's fields this form edits; the name is the user's.
PROFILE_FIELDS = (
    "headline",
    "current_title",
    "summary",
    "years_experience",
    "seniority",
    "skills",
    "city",
    "region",
    "country",
    "remote_preference",
    "desired_salary_min",
    "desired_salary_currency",
    "desired_salary_period",
    "phone",
)


@cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 codes and their English names, from the IANA table tzdata ships."""
    table = files("tzdata.zoneinfo").joinpath("iso3166.tab").read_text(encoding="utf-8")
    rows = (line.split("\t", 1) for line in table.splitlines() if line and line[0] != "#")
    return {code: name.strip() for code, name in rows}


def _country_code_of(name: str) -> str | None:
    key = name.strip().lower()
    found = COUNTRIES.get(key)
    if found:
        return found
    return next((code for code, known in country_names().items() if known.lower() == key), None)


def skills_resolve(text: str, *, kept: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Split comma-separated skills and find each in the taxonomy by name, alias or slug.
    Slugs in `kept` (the profile's own, perhaps gone from the taxonomy since) pass as they are.
    Return (slugs in order, without repeats; the spellings nobody knows)."""
    spellings = [part.strip() for part in _SKILL_SEPARATORS.split(text) if part.strip()]
    if not spellings:
        return [], []
    matcher = skill_matcher()
    slugs_known = {term.slug for term in matcher.skills} | set(kept)
    slugs: list[str] = []
    unknown: list[str] = []
    for spelling in spellings:
        index = matcher.terms.get(skill_key(spelling))
        if index is not None:
            slugs.append(matcher.skills[index].slug)
        elif spelling.lower() in slugs_known:
            slugs.append(spelling.lower())
        else:
            unknown.append(spelling)
    return list(dict.fromkeys(slugs)), unknown


class ProfileForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=200, required=False)
    headline = forms.CharField(
        max_length=200,
        required=False,
        help_text="One line recruiters see first, e.g. “Backend engineer who loves data”.",
    )
    current_title = forms.CharField(label="Current job title", max_length=200, required=False)
    summary = forms.CharField(
        label="About you",
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    years_experience = forms.IntegerField(
        label="Years of experience",
        min_value=0,
        max_value=70,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    seniority = forms.ChoiceField(choices=[("", "Not set"), *Seniority.choices], required=False)
    skills = forms.CharField(
        label="Skills you have",
        required=False,
        max_length=5_000,
        help_text="Separate skills with commas, e.g. Python, Django, PostgreSQL.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-skills-input": ""}),
    )
    city = forms.CharField(max_length=100, required=False)
    region = forms.CharField(label="Region or state", max_length=100, required=False)
    country = forms.CharField(
        max_length=60,
        required=False,
        help_text="Two-letter code, e.g. DE, GB, US.",
        widget=forms.TextInput(attrs={"autocomplete": "country", "size": 4}),
    )
    remote_preference = forms.ChoiceField(
        label="Where do you want to work?",
        choices=RemotePreference.choices,
        widget=forms.RadioSelect,
    )
    desired_salary_min = forms.IntegerField(
        label="Lowest salary you would take",
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    desired_salary_currency = forms.ChoiceField(
        label="Currency",
        choices=[("", "—"), *((code, code) for code in sorted(CURRENCY_RATES_EUR))],
        required=False,
    )
    desired_salary_period = forms.ChoiceField(label="Per", choices=SalaryPeriod.choices)
    phone = forms.CharField(
        max_length=32,
        required=False,
        help_text="With the country code, e.g. +49 30 1234567.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    def __init__(self, *args, kept_skills: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_skills = tuple(kept_skills)

    @classmethod
    def initial_of(cls, profile: CandidateProfile) -> dict:
        initial = {name: getattr(profile, name) for name in PROFILE_FIELDS}
        initial["full_name"] = profile.user.full_name
        initial["skills"] = ", ".join(skill_names(slugs=profile.skills))
        return initial

    def clean_country(self) -> str:
        value = self.cleaned_data["country"].strip()
        if not value:
            return ""
        if _COUNTRY.fullmatch(value.upper()) and value.upper() in country_names():
            return value.upper()
        code = _country_code_of(value)
        if code:
            message = f"Use the two-letter country code “{code}” for {value}."
        else:
            message = "Use a two-letter country code, e.g. DE, GB or US."
        raise forms.ValidationError(message, code="country")

    def clean_phone(self) -> str:
        value = re.sub(r"[\s().-]", "", self.cleaned_data["phone"])
        if value and not _PHONE.fullmatch(value):
            raise forms.ValidationError(
                "Write the number with its country code, e.g. +49 30 1234567.", code="phone"
            )
        return value

    def clean_skills(self) -> list[str]:
        slugs, unknown = skills_resolve(self.cleaned_data["skills"], kept=self.kept_skills)
        if unknown:
            raise forms.ValidationError(
                "We don't know %(skills)s. Check the spelling or pick a skill from the list.",
                code="unknown_skill",
                params={"skills": ", ".join(f"“{name}”" for name in unknown)},
            )
        if len(slugs) > MAX_SKILLS:
            raise forms.ValidationError(f"List at most {MAX_SKILLS} skills.", code="too_many")
        return slugs

    def clean(self):
        data = super().clean()
        if data.get("desired_salary_min") is not None and not data.get("desired_salary_currency"):
            self.add_error("desired_salary_currency", "Choose the currency of your salary.")
        return data

    def profile_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in PROFILE_FIELDS}


# The matcher's skills as (name key, alias keys, name, slug), made once per taxonomy version.
_complete_index: tuple[object, list[tuple[str, tuple[str, ...], str, str]]] | None = None


def _completions_index() -> list[tuple[str, tuple[str, ...], str, str]]:
    global _complete_index
    matcher = skill_matcher()
    if _complete_index is None or _complete_index[0] is not matcher:
        rows = [
            (skill_key(t.name), tuple(skill_key(a) for a in t.aliases), t.name, t.slug)
            for t in matcher.skills
        ]
        _complete_index = (matcher, rows)
    return _complete_index[1]


def skills_complete(query: str, *, limit: int = 10) -> list[dict[str, str]]:
    """Taxonomy skills for what the candidate is typing: names starting with it first, then
    names with a word starting with it, then those with an alias starting with it."""
    key = skill_key(query)
    if not key:
        return []
    ranked: list[tuple[int, int, str, str]] = []
    for name_key, alias_keys, name, slug in _completions_index():
        if name_key.startswith(key):
            rank = 0
        elif f" {key}" in f" {name_key}":
            rank = 1
        elif any(alias.startswith(key) for alias in alias_keys):
            rank = 2
        else:
            continue
        ranked.append((rank, len(name), name, slug))
    ranked.sort()
    return [{"slug": slug, "name": name} for _, _, name, slug in ranked[:limit]]
