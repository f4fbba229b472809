"""What a search takes: the query, sort, mode and paging, and the filters; their validation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from accounts.models import Company, Seniority
from jobs.models import Job, Skill

SORTS = ("relevance", "newest", "salary")
MODES = ("auto", "fulltext", "hybrid", "semantic")
MAX_PAGE_SIZE = 100
MAX_OFFSET = 10_000  # deeper pages are refused; nobody pages past 10,000 results
MAX_QUERY_LENGTH = 500

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


@dataclass(frozen=True)
class JobSearchFilters:
    """Narrow a search. Several values of one filter mean any of them; skills mean all.

    Salaries are yearly, in settings.SEARCH_CURRENCY: `salary_min` keeps jobs whose range
    reaches it, `salary_max` jobs whose range starts at or below it; either one leaves out jobs
    without a salary.
    """

    city: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    remote: tuple[str, ...] = ()
    employment_type: tuple[str, ...] = ()
    seniority: tuple[str, ...] = ()
    company: tuple[str, ...] = ()  # company slugs
    skills: tuple[str, ...] = ()  # skill slugs, all required
    salary_min: int | None = None
    salary_max: int | None = None
    posted_within_days: int | None = None

    @classmethod
    def from_data(cls, data: JobSearchFilters | Mapping[str, Any] | None) -> JobSearchFilters:
        """Validate filters from a mapping (a form, query parameters, JSON); raise
        ValidationError with a message per field."""
        if isinstance(data, JobSearchFilters):
            data = data.as_dict()
        data = dict(data or {})
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        known = set(cls.__dataclass_fields__)
        for name in sorted(set(data) - known):
            errors[name] = ["Unknown filter."]

        choices = {
            "remote": Job.Remote.values,
            "employment_type": Job.EmploymentType.values,
            "seniority": Seniority.values,
        }
        for name in ("city", "country", "remote", "employment_type", "seniority", "company"):
            items, problem = _strings(data.get(name))
            if problem:
                errors[name] = [problem]
                continue
            if name == "country":
                items = [item.upper() for item in items]
                bad = [item for item in items if not re.fullmatch(r"[A-Z]{2}", item)]
                if bad:
                    errors[name] = [f"Use ISO 3166-1 alpha-2 codes, not {', '.join(bad)}."]
            elif name in choices:
                bad = [item for item in items if item not in choices[name]]
                if bad:
                    errors[name] = [
                        f"Unknown value {', '.join(bad)}; choose from {', '.join(choices[name])}."
                    ]
            elif name == "company":
                bad = [item for item in items if not _SLUG.match(item)]
                if bad:
                    errors[name] = [f"Not a company slug: {', '.join(bad)}."]
            elif any(len(item) > 100 for item in items):
                errors[name] = ["Ensure each value has at most 100 characters."]
            values[name] = tuple(dict.fromkeys(items))

        skills, problem = _strings(data.get("skills"))
        if problem or any(not _SLUG.match(s) for s in skills):
            errors["skills"] = [problem or "Use skill slugs, e.g. python, machine-learning."]
        elif skills:
            known_skills = set(Skill.objects.filter(slug__in=skills).values_list("slug", flat=True))
            unknown = [s for s in skills if s not in known_skills]
            if unknown:
                errors["skills"] = [f"Unknown skill: {', '.join(unknown)}."]
        values["skills"] = tuple(dict.fromkeys(skills))
        if values.get("company") and "company" not in errors:
            found = set(
                Company.objects.filter(slug__in=values["company"]).values_list("slug", flat=True)
            )
            unknown = [slug for slug in values["company"] if slug not in found]
            if unknown:
                errors["company"] = [f"Unknown company: {', '.join(unknown)}."]

        for name, low, high in (
            ("salary_min", 0, 100_000_000),
            ("salary_max", 0, 100_000_000),
            ("posted_within_days", 1, 365),
        ):
            number, problem = _integer(data.get(name), low, high)
            if problem:
                errors[name] = [problem]
            values[name] = number
        if (
            values.get("salary_min") is not None
            and values.get("salary_max") is not None
            and values["salary_min"] > values["salary_max"]
        ):
            errors["salary_max"] = ["Must be at least salary_min."]
        if errors:
            raise ValidationError(errors)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The filters that are set, as plain JSON-ready values."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value in ((), None):
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @property
    def is_empty(self) -> bool:
        return not self.as_dict()


def _strings(value: Any) -> tuple[list[str], str | None]:
    if value is None or value == "":
        return [], None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset):
        return [], "Give a string or a list of strings."
    items = []
    for item in value:
        if not isinstance(item, str):
            return [], "Give a string or a list of strings."
        if item.strip():
            items.append(item.strip())
    if len(items) > 50:
        return [], "Give at most 50 values."
    return items, None


def _integer(value: Any, low: int, high: int) -> tuple[int | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, "Enter a whole number."
    if isinstance(value, str):
        if not re.fullmatch(r"\s*[0-9]{1,18}\s*", value):
            return None, "Enter a whole number."
        value = int(value)
    if not isinstance(value, int):
        return None, "Enter a whole number."
    if not low <= value <= high:
        return None, f"Enter a number from {low:,} to {high:,}."
    return value, None


def _validate(query, sort, page, page_size, mode) -> tuple[str, str, int, int, str]:
    errors: dict[str, list[str]] = {}
    if not isinstance(query, str):
        errors["query"] = ["Enter text."]
        query = ""
    query = " ".join(query.replace("\x00", " ").split())
    if len(query) > MAX_QUERY_LENGTH:
        errors["query"] = [f"Ensure the query has at most {MAX_QUERY_LENGTH} characters."]
    if sort not in SORTS:
        errors["sort"] = [f"Choose one of {', '.join(SORTS)}."]
    if mode not in MODES:
        errors["mode"] = [f"Choose one of {', '.join(MODES)}."]
    page_number, problem = _integer(page, 1, MAX_OFFSET)
    if problem or page_number is None:
        errors["page"] = [problem or "Enter a page number."]
    size, problem = _integer(page_size, 1, MAX_PAGE_SIZE)
    if problem or size is None:
        errors["page_size"] = [problem or "Enter a page size."]
    if not errors and (page_number - 1) * size >= MAX_OFFSET:
        errors["page"] = [f"Results stop at {MAX_OFFSET:,}; narrow the search instead."]
    if errors:
        raise ValidationError(errors)
    return query, sort, page_number, size, mode
