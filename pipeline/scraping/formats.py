"""Each source format into one normalised posting dict. Pure functions: no database, no Scrapy.

A board's job (Greenhouse, Lever, Ashby) is first written as the schema.org JobPosting it
describes, so that `posting_normalise` does titles, places, seniority, salary and skills the
same way for every source; then the board's own structured facts (Lever's workplaceType and
salaryRange, Ashby's isRemote and compensation tiers) override what was guessed from text.

The posting dict holds POSTING_KEYS plus:
    external_id       the posting's id on its source (a board's id, a page's canonical URL)
    description_html  the description as safe HTML (sanitised), "" when there is none
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping
from typing import Any

from jobs.descriptions import html_sanitise
from pipeline.normalize import Taxonomy, posting_normalise, text_clean
from pipeline.normalize.salary import (
    Salary,
    currency_code,
    period_normalise,
    salary_checked,
    salary_from_text,
)
from pipeline.scraping.dedup import url_canonical

MAX_EXTERNAL_ID = 255


class PostingInvalid(ValueError):
    """An item that cannot become a posting; `reason` is the skip's counter key."""

    def __init__(self, reason: str, detail: str = "", *, external_id: str | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.external_id = external_id


# --- Listings ---------------------------------------------------------------------------------


def json_loads(body: bytes | str) -> Any:
    """Parse an API's JSON (raw control characters in strings tolerated); ValueError if bad."""
    if isinstance(body, bytes):
        body = body.decode("utf-8-sig", errors="replace")
    return json.loads(body, strict=False)


def listing_jobs(kind: str, payload: Any) -> list[Any]:
    """The job entries of a board's listing payload; PostingInvalid("invalid_listing") when the
    payload is not the documented shape (that makes the crawl incomplete)."""
    if kind == "lever":
        if isinstance(payload, list):
            return payload
        raise PostingInvalid("invalid_listing", "a Lever listing must be a JSON array")
    if isinstance(payload, dict) and isinstance(payload.get("jobs"), list):
        return payload["jobs"]
    raise PostingInvalid("invalid_listing", f'a {kind} listing must be an object with "jobs"')


def external_id_of(kind: str, job: Any) -> str | None:
    if not isinstance(job, Mapping):
        return None
    value = job.get("id")
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    return text[:MAX_EXTERNAL_ID] or None


def page_external_id(url: str) -> str:
    """A page's id: its canonical URL, or a hash of it when too long for the column."""
    canonical = url_canonical(url)
    if len(canonical) <= MAX_EXTERNAL_ID:
        return canonical
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


# --- Shared -----------------------------------------------------------------------------------


def _required(kind: str, job: Any) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(job, Mapping):
        raise PostingInvalid("malformed_item", f"a {kind} job must be an object, not {job!r:.80}")
    external_id = external_id_of(kind, job)
    if external_id is None:
        raise PostingInvalid("missing_id", f"a {kind} job without an id: {str(job)[:120]}")
    return external_id, job


def _finish(
    posting: dict[str, Any],
    *,
    external_id: str,
    kind: str,
    description_html: str | None,
) -> dict[str, Any]:
    if not posting.get("title"):
        raise PostingInvalid("missing_title", f"{kind} job {external_id}", external_id=external_id)
    url = posting.get("url")
    if not url or not re.match(r"https?://", url, re.IGNORECASE):
        raise PostingInvalid(
            "missing_url", f"{kind} job {external_id} has no http(s) URL", external_id=external_id
        )
    posting["title"] = posting["title"][:200]
    posting["external_id"] = external_id
    posting["description_html"] = html_sanitise(description_html)
    return posting


def _split_places(value: Any) -> list[str]:
    """'Berlin; Remote - Germany' or 'New York | London' → the places; lists pass through."""
    places: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        text = text_clean(item)
        if text:
            places += [p.strip() for p in re.split(r"\s*(?:;|\|| / |\n)\s*", text) if p.strip()]
    return places


_WORKPLACE_WORDS = re.compile(r"\b(?:hybrid|on-?site|in[- ]office)\b\s*[-–:(]?\s*", re.IGNORECASE)


def _place_values(places: list[str]) -> list[str]:
    """Places as jobLocation strings: "Hybrid - Amsterdam" reads as "Amsterdam" (the workplace
    is taken from the raw label separately)."""
    values = []
    for place in places:
        cleaned = _WORKPLACE_WORDS.sub(" ", place).strip(" -–()")
        if cleaned:
            values.append(cleaned)
    return values


def _override_workplace(posting: dict[str, Any], workplace: str | None) -> None:
    if workplace in ("onsite", "hybrid", "remote"):
        posting["workplace"] = workplace
        posting["remote"] = workplace == "remote"


def _fill_country(posting: dict[str, Any], country: Any) -> None:
    code = text_clean(country)
    if not code or len(code) != 2:
        return
    for location in posting["locations"]:
        if not location.get("country") and location.get("city"):
            location["country"] = code.upper()
    if not posting["locations"]:
        posting["locations"] = [{"city": None, "region": None, "country": code.upper()}]


def _monetary(low: Any, high: Any, currency: Any, period: str | None) -> dict[str, Any] | None:
    if low in (None, "") and high in (None, ""):
        return None
    return {
        "@type": "MonetaryAmount",
        "currency": currency,
        "value": {"minValue": low, "maxValue": high, "unitText": (period or "year").upper()},
    }


# --- Greenhouse -------------------------------------------------------------------------------

_SALARY_FIELD = re.compile(r"salary|compensation|pay|wage", re.IGNORECASE)
_EMPLOYMENT_FIELD = re.compile(r"employment|commitment|job type|contract type", re.IGNORECASE)
_WORKPLACE_FIELD = re.compile(r"workplace|remote|location type|work type", re.IGNORECASE)


def _greenhouse_metadata(job: Mapping[str, Any]) -> dict[str, Any]:
    """The custom fields a board shares, by role: salary, employment, workplace."""
    found: dict[str, Any] = {}
    metadata = job.get("metadata")
    for field in metadata if isinstance(metadata, list) else []:
        if not isinstance(field, Mapping) or field.get("value") in (None, "", []):
            continue
        name = str(field.get("name") or "")
        for role, pattern in (
            ("salary", _SALARY_FIELD),
            ("employment", _EMPLOYMENT_FIELD),
            ("workplace", _WORKPLACE_FIELD),
        ):
            if role not in found and pattern.search(name):
                found[role] = field["value"]
    return found


def _greenhouse_salary(value: Any) -> dict[str, Any] | str | None:
    """A currency_range ({min_value, max_value, unit}) or currency ({amount, unit}) field as a
    MonetaryAmount; a text value stays text."""
    if isinstance(value, Mapping):
        if "min_value" in value or "max_value" in value:
            return _monetary(
                value.get("min_value"), value.get("max_value"), value.get("unit"), None
            )
        if "amount" in value:
            return _monetary(value.get("amount"), value.get("amount"), value.get("unit"), None)
        return None
    return text_clean(value)


def greenhouse_posting(job: Any, *, taxonomy: Taxonomy) -> dict[str, Any]:
    """One job of `GET /v1/boards/{board}/jobs?content=true`."""
    external_id, job = _required("greenhouse", job)
    content = job.get("content")
    description = html.unescape(content) if isinstance(content, str) else None
    location = job.get("location")
    location_name = location.get("name") if isinstance(location, Mapping) else location
    places = _split_places(location_name)
    offices = job.get("offices")
    for office in offices if isinstance(offices, list) else []:
        if isinstance(office, Mapping):
            for place in _split_places(office.get("location") or office.get("name")):
                if place not in places:
                    places.append(place)
    metadata = _greenhouse_metadata(job)
    salary = _greenhouse_salary(metadata.get("salary"))
    data = {
        "title": job.get("title"),
        "description": description,
        "jobLocation": _place_values(places),
        "datePosted": job.get("first_published") or job.get("updated_at"),
        "employmentType": metadata.get("employment"),
        "hiringOrganization": job.get("company_name"),
        "baseSalary": salary if isinstance(salary, dict) else None,
    }
    posting = posting_normalise(data, taxonomy=taxonomy, url=text_clean(job.get("absolute_url")))
    if isinstance(salary, str) and (from_text := salary_from_text(salary)):
        posting["salary"] = from_text.as_dict()
    workplace_labels = [*places, text_clean(metadata.get("workplace")) or ""]
    posting["workplace"] = _workplace_of_labels(workplace_labels) or posting["workplace"]
    posting["remote"] = posting["workplace"] == "remote"
    return _finish(
        posting, external_id=external_id, kind="greenhouse", description_html=description
    )


def _workplace_of_labels(labels: list[str]) -> str | None:
    text = " ".join(labels).lower()
    if re.search(r"\bhybrid\b", text):
        return "hybrid"
    if re.search(r"\b(?:remote|anywhere|work from home)\b", text):
        return "remote"
    return None


# --- Lever ------------------------------------------------------------------------------------

_LEVER_INTERVALS = {"year": "year", "month": "month", "week": "week", "day": "day", "hour": "hour"}


def _lever_period(interval: Any) -> str | None:
    """ "per-year-salary", "per-month-salary", "per-hour-wage", ...; "one-time" is no period."""
    text = (text_clean(interval) or "").lower()
    for word, period in _LEVER_INTERVALS.items():
        if word in text:
            return period
    return None


def _lever_description(job: Mapping[str, Any]) -> str | None:
    """The posting's HTML: opening, description, the lists (each a heading and its items),
    then the closing text; plain-text fields when the HTML ones are missing."""
    parts: list[str] = []
    for html_key, text_key in (("opening", "openingPlain"), ("description", "descriptionPlain")):
        if isinstance(job.get(html_key), str) and job[html_key].strip():
            parts.append(job[html_key])
        elif isinstance(job.get(text_key), str) and job[text_key].strip():
            parts.append(f"<p>{html.escape(job[text_key])}</p>")
    lists = job.get("lists")
    for item in lists if isinstance(lists, list) else []:
        if not isinstance(item, Mapping):
            continue
        heading = text_clean(item.get("text"))
        content = item.get("content")
        if heading:
            parts.append(f"<h3>{html.escape(heading)}</h3>")
        if isinstance(content, str) and content.strip():
            parts.append(content if "<li" in content.lower() else f"<p>{content}</p>")
            if "<li" in content.lower() and not re.search(r"<[ou]l\b", content, re.I):
                parts[-1] = f"<ul>{content}</ul>"
    if isinstance(job.get("additional"), str) and job["additional"].strip():
        parts.append(job["additional"])
    elif isinstance(job.get("additionalPlain"), str) and job["additionalPlain"].strip():
        parts.append(f"<p>{html.escape(job['additionalPlain'])}</p>")
    return "\n".join(parts) or None


def lever_posting(job: Any, *, taxonomy: Taxonomy) -> dict[str, Any]:
    """One posting of `GET /v0/postings/{site}?mode=json`."""
    external_id, job = _required("lever", job)
    categories = job.get("categories") if isinstance(job.get("categories"), Mapping) else {}
    places = _split_places(categories.get("allLocations") or categories.get("location"))
    description = _lever_description(job)
    salary_range = job.get("salaryRange")
    base_salary = None
    if isinstance(salary_range, Mapping) and _lever_period(salary_range.get("interval")):
        base_salary = _monetary(
            salary_range.get("min"),
            salary_range.get("max"),
            salary_range.get("currency"),
            _lever_period(salary_range.get("interval")),
        )
    workplace = (text_clean(job.get("workplaceType")) or "").lower().replace("-", "")
    data = {
        "title": job.get("text"),
        "description": description,
        "jobLocation": _place_values(places),
        "jobLocationType": "TELECOMMUTE" if workplace == "remote" else None,
        "datePosted": job.get("createdAt"),
        "employmentType": categories.get("commitment"),
        "baseSalary": base_salary,
    }
    posting = posting_normalise(data, taxonomy=taxonomy, url=text_clean(job.get("hostedUrl")))
    _fill_country(posting, job.get("country"))
    if workplace in ("remote", "hybrid", "onsite"):
        _override_workplace(posting, workplace)
    elif labelled := _workplace_of_labels(places):
        _override_workplace(posting, labelled)
    if not posting["url"]:
        posting["url"] = text_clean(job.get("applyUrl"))
    return _finish(posting, external_id=external_id, kind="lever", description_html=description)


# --- Ashby ------------------------------------------------------------------------------------

_ASHBY_WORKPLACES = {"remote": "remote", "hybrid": "hybrid", "onsite": "onsite"}
_ASHBY_SALARY_TYPES = ("salary", "hourly", "base")


def _ashby_interval(value: Any) -> str | None:
    """ "1 YEAR", "1 MONTH", "1 HOUR", "YEAR" → a period."""
    text = text_clean(value)
    if text is None:
        return None
    return period_normalise(re.sub(r"^\s*\d+\s*", "", text))


def ashby_salary(job: Mapping[str, Any]) -> Salary | None:
    """The base pay of the compensation tiers: the lowest minimum and highest maximum of the
    salary components that share the first one's currency and interval."""
    compensation = job.get("compensation") if isinstance(job.get("compensation"), Mapping) else {}
    tiers = job.get("compensationTiers") or compensation.get("compensationTiers") or []
    components = []
    for tier in tiers if isinstance(tiers, list) else []:
        if isinstance(tier, Mapping) and isinstance(tier.get("components"), list):
            components += [c for c in tier["components"] if isinstance(c, Mapping)]
    summary = compensation.get("summaryComponents")
    if not components and isinstance(summary, list):
        components = [c for c in summary if isinstance(c, Mapping)]
    pay = [
        component
        for component in components
        if str(component.get("compensationType", "")).lower() in _ASHBY_SALARY_TYPES
        and _ashby_interval(component.get("interval"))
        and currency_code(component.get("currencyCode"))
    ]
    if not pay:
        return None
    currency = currency_code(pay[0].get("currencyCode"))
    period = _ashby_interval(pay[0].get("interval"))
    same = [
        c
        for c in pay
        if currency_code(c.get("currencyCode")) == currency
        and _ashby_interval(c.get("interval")) == period
    ]
    lows = [float(c["minValue"]) for c in same if _is_number(c.get("minValue"))]
    highs = [float(c["maxValue"]) for c in same if _is_number(c.get("maxValue"))]
    if not lows and not highs:
        return None
    return salary_checked(
        Salary(min(lows) if lows else None, max(highs) if highs else None, currency, period)
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ashby_places(job: Mapping[str, Any]) -> list[Any]:
    """Places as jobLocation values: the postal address when given, else the location name."""
    places: list[Any] = []
    address = job.get("address")
    postal = address.get("postalAddress") if isinstance(address, Mapping) else None
    if isinstance(postal, Mapping) and any(postal.values()):
        places.append({"address": dict(postal)})
    elif job.get("location"):
        places += _place_values(_split_places(job.get("location")))
    secondary = job.get("secondaryLocations")
    for item in secondary if isinstance(secondary, list) else []:
        if not isinstance(item, Mapping):
            continue
        address = item.get("address")
        postal = address.get("postalAddress") if isinstance(address, Mapping) else None
        if isinstance(postal, Mapping) and any(postal.values()):
            places.append({"address": dict(postal)})
        elif item.get("location"):
            places += _place_values(_split_places(item.get("location")))
    return places


def ashby_posting(job: Any, *, taxonomy: Taxonomy) -> dict[str, Any]:
    """One job of `GET /posting-api/job-board/{board}?includeCompensation=true`."""
    external_id, job = _required("ashby", job)
    if job.get("isListed") is False:
        raise PostingInvalid("unlisted", f"ashby job {external_id} is not listed")
    description = job.get("descriptionHtml")
    if not isinstance(description, str) or not description.strip():
        plain = job.get("descriptionPlain")
        description = text_clean(plain) and str(plain)
    workplace = _ASHBY_WORKPLACES.get(
        re.sub(r"[^a-z]", "", (text_clean(job.get("workplaceType")) or "").lower())
    )
    if job.get("isRemote") is True and workplace != "hybrid":
        workplace = "remote"
    data = {
        "title": job.get("title"),
        "description": description,
        "jobLocation": _ashby_places(job),
        "jobLocationType": "TELECOMMUTE" if workplace == "remote" else None,
        "datePosted": job.get("publishedAt"),
        "employmentType": job.get("employmentType"),
    }
    posting = posting_normalise(data, taxonomy=taxonomy, url=text_clean(job.get("jobUrl")))
    if salary := ashby_salary(job):
        posting["salary"] = salary.as_dict()
    if workplace:
        _override_workplace(posting, workplace)
    elif labelled := _workplace_of_labels([str(job.get("location") or "")]):
        _override_workplace(posting, labelled)
    if not posting["url"]:
        posting["url"] = text_clean(job.get("applyUrl"))
    return _finish(posting, external_id=external_id, kind="ashby", description_html=description)


BOARD_PARSERS = {
    "greenhouse": greenhouse_posting,
    "lever": lever_posting,
    "ashby": ashby_posting,
}


# --- JSON-LD pages ----------------------------------------------------------------------------


def jsonld_posting(
    data: Mapping[str, Any],
    *,
    url: str,
    taxonomy: Taxonomy,
    page_description: str | None = None,
) -> dict[str, Any]:
    """A page's schema.org JobPosting (from `postings.posting_find`); its id is the page's
    canonical URL."""
    external_id = page_external_id(url)
    if not isinstance(data, Mapping):
        raise PostingInvalid("malformed_item", f"JobPosting on {url} is not an object")
    posting = posting_normalise(
        data, taxonomy=taxonomy, url=url, fallback_description=page_description
    )
    raw_description = data.get("description")
    if isinstance(raw_description, list):
        raw_description = "\n".join(item for item in raw_description if isinstance(item, str))
    if not isinstance(raw_description, str) or not text_clean(raw_description):
        raw_description = page_description
    return _finish(
        posting, external_id=external_id, kind="jsonld", description_html=raw_description
    )


def posting_parse(
    kind: str,
    data: Any,
    *,
    taxonomy: Taxonomy,
    url: str | None = None,
    page_description: str | None = None,
) -> dict[str, Any]:
    """One raw posting of any kind → the normalised posting dict (or PostingInvalid)."""
    if kind == "jsonld":
        if not url:
            raise PostingInvalid("missing_url", "a JSON-LD posting without its page's URL")
        return jsonld_posting(data, url=url, taxonomy=taxonomy, page_description=page_description)
    try:
        parser = BOARD_PARSERS[kind]
    except KeyError:
        raise PostingInvalid("unknown_kind", f"no parser for {kind!r}") from None
    return parser(data, taxonomy=taxonomy)


def raw_external_id(kind: str, data: Any, url: str | None = None) -> str | None:
    """The id of a raw posting, when it can be told without parsing the rest."""
    if kind == "jsonld":
        return page_external_id(url) if url else None
    return external_id_of(kind, data)
