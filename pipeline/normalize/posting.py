"""One JobPosting dict in, the platform's normalised fields out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from pipeline.normalize.dates import date_normalise
from pipeline.normalize.employment import employment_type_normalise
from pipeline.normalize.places import locations_normalise, workplace_normalise
from pipeline.normalize.salary import salary_from_structured, salary_from_text
from pipeline.normalize.seniority import seniority_normalise
from pipeline.normalize.skills import Taxonomy, skills_extract
from pipeline.normalize.text import as_list, description_normalise, text_clean

POSTING_KEYS = (
    "title",
    "company",
    "locations",
    "remote",
    "workplace",
    "employment_type",
    "seniority",
    "date_posted",
    "valid_through",
    "salary",
    "skills",
    "description",
    "url",
)


def posting_normalise(
    data: Mapping[str, Any],
    *,
    taxonomy: Taxonomy,
    url: str | None = None,
    fallback_description: str | None = None,
) -> dict[str, Any]:
    """Return the normalised fields (POSTING_KEYS) of one JobPosting dict.

    `fallback_description` (HTML or text from the page around the posting) is used when the
    posting has no description of its own.
    """
    title = text_clean(data.get("title")) or text_clean(data.get("name"))
    description = description_normalise(data.get("description"))
    if description is None and fallback_description:
        description = description_normalise(fallback_description)
    locations, anywhere = locations_normalise(
        data.get("jobLocation"), requirements=data.get("applicantLocationRequirements")
    )
    places = [text for place in as_list(data.get("jobLocation")) if (text := _place_text(place))]
    workplace = workplace_normalise(
        location_type=data.get("jobLocationType"),
        title=title,
        places=places,
        anywhere=anywhere,
        text=description,
    )
    seniority = seniority_normalise(
        title=title, text=description, experience=data.get("experienceRequirements")
    )
    salary = salary_from_structured(
        data.get("baseSalary") or data.get("estimatedSalary"), currency=data.get("salaryCurrency")
    ) or salary_from_text(description)
    extra = [description_normalise(data.get(k)) for k in ("qualifications", "responsibilities")]
    skill_text = "\n\n".join(part for part in (description, *extra) if part)
    return {
        "title": title,
        "company": text_clean(data.get("hiringOrganization")),
        "locations": [asdict(location) for location in locations],
        "remote": workplace == "remote",
        "workplace": workplace,
        "employment_type": employment_type_normalise(data.get("employmentType"))
        or ("internship" if seniority == "intern" else None),
        "seniority": seniority,
        "date_posted": date_normalise(data.get("datePosted")),
        "valid_through": date_normalise(data.get("validThrough")),
        "salary": salary.as_dict() if salary else None,
        "skills": skills_extract(
            declared=data.get("skills"), title=title, text=skill_text, taxonomy=taxonomy
        ),
        "description": description,
        "url": url,
    }


def _place_text(place: Any) -> str | None:
    if isinstance(place, dict):
        address = place.get("address")
        if isinstance(address, dict):
            return " ".join(
                text
                for key in ("addressLocality", "addressRegion", "addressCountry")
                if (text := text_clean(address.get(key)))
            )
        return text_clean(address) or text_clean(place.get("name"))
    return text_clean(place)
