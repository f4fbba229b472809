"""A job as a schema.org JobPosting in JSON-LD, for search engines' job listings.

Google's required properties are always given (title, description, datePosted,
hiringOrganization, and jobLocation or, for remote jobs, jobLocationType TELECOMMUTE with
applicantLocationRequirements); the recommended ones whenever the job knows them.
"""

from __future__ import annotations

import html
import json
from datetime import timedelta
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from jobs.models import Job

# How long a posting without a closing date is announced as valid.
DEFAULT_VALIDITY = timedelta(days=60)

EMPLOYMENT_TYPES = {
    Job.EmploymentType.FULL_TIME: "FULL_TIME",
    Job.EmploymentType.PART_TIME: "PART_TIME",
    Job.EmploymentType.CONTRACT: "CONTRACTOR",
    Job.EmploymentType.TEMPORARY: "TEMPORARY",
    Job.EmploymentType.INTERNSHIP: "INTERN",
}

# SalaryPeriod values → schema.org QuantitativeValue unitText.
SALARY_UNITS = {"hour": "HOUR", "day": "DAY", "week": "WEEK", "month": "MONTH", "year": "YEAR"}

# Characters that could end the <script> element or open a comment inside it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def job_posting(job: Job, *, url: str) -> dict[str, Any]:
    """The JobPosting of `job`, whose page is at the absolute `url`."""
    company = job.company
    organization: dict[str, Any] = {"@type": "Organization", "name": company.name}
    if company.website:
        organization["sameAs"] = company.website
    published = job.published_at
    valid_through = job.closes_at or published + DEFAULT_VALIDITY
    posting: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": job.title,
        "description": job.description_html or _paragraphs(job.description_text),
        "datePosted": published.isoformat(),
        "validThrough": valid_through.isoformat(),
        "employmentType": EMPLOYMENT_TYPES.get(job.employment_type, "OTHER"),
        "hiringOrganization": organization,
        "identifier": {"@type": "PropertyValue", "name": company.name, "value": str(job.pk)},
        "directApply": job.applies_here,
        "url": url,
    }
    if job.remote == Job.Remote.REMOTE:
        posting["jobLocationType"] = "TELECOMMUTE"
        if job.country:
            posting["applicantLocationRequirements"] = {"@type": "Country", "name": job.country}
        elif job.region:
            posting["applicantLocationRequirements"] = {
                "@type": "AdministrativeArea",
                "name": job.region,
            }
    else:
        address = {"@type": "PostalAddress"}
        for key, value in (
            ("addressLocality", job.city),
            ("addressRegion", job.region),
            ("addressCountry", job.country),
        ):
            if value:
                address[key] = value
        posting["jobLocation"] = {"@type": "Place", "address": address}
    if job.salary_min is not None or job.salary_max is not None:
        value: dict[str, Any] = {
            "@type": "QuantitativeValue",
            "unitText": SALARY_UNITS.get(job.salary_period, "YEAR"),
        }
        if job.salary_min is not None:
            value["minValue"] = job.salary_min
        if job.salary_max is not None:
            value["maxValue"] = job.salary_max
        posting["baseSalary"] = {
            "@type": "MonetaryAmount",
            "currency": job.salary_currency,
            "value": value,
        }
    skills = getattr(job, "skill_names", None)
    if skills:
        posting["skills"] = ", ".join(skills)
    return posting


def as_script(data: dict[str, Any]) -> SafeString:
    """`data` as JSON safe to put inside a <script> element: no "<", ">" or "&" survives to
    close it early (as Django's json_script does)."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES))  # noqa: S308  # nosec B308, B703 # json.dumps with <, > and & escaped, as Django's json_script


def _paragraphs(text: str) -> str:
    blocks = [block.strip() for block in text.split("\n\n") if block.strip()]
    return "".join(f"<p>{html.escape(block)}</p>" for block in blocks)
