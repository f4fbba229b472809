"""Scraped postings into jobs: upsert, deduplicate, close what vanished. The crawl's item pipeline
calls these services; every Job write goes through `jobs.services`.

One crawl of one source is an `IngestSession`:

- `ingest_start` loads what the source already holds (one query), the skill taxonomy and the
  employers by normalised name.
- `ingest_posting` takes one normalised posting (`pipeline.scraping.formats`):
  - **unchanged** (same content hash as stored, job still linked): nothing is written now; its
    `last_seen_at` moves later, in bulk. The Job row is not saved, so its `updated_at` stays and
    enrichment and matching skip it.
  - **changed**: the ScrapedPosting is updated, and the Job through `job_update` when this
    posting is the one the Job was made from (a duplicate posting never overwrites it).
  - **new**: linked to an open Job of another source when it is the same job (same canonical
    URL, same fingerprint of employer + title + place, or a near-duplicate description of the
    same employer by MinHash), else a new Job is created and published.
- `ingest_keep_alive` marks a posting that was listed but could not be read (a broken page, a
  timeout) as seen, so that one bad page never closes a job.
- `ingest_finish` closes the postings the crawl did not see, but only when the crawl completed:
  after a failed listing nothing is closed. A Job closes when no live posting points at it.

Malformed items never raise out of here: `ingest_posting` turns a bad item into a counted skip
(`progress.skip`) and rolls back only that item's writes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from datasketch import MinHash, MinHashLSH
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Company, SalaryPeriod, Seniority
from accounts.services import company_create
from jobs.models import Job, JobSkill, Skill
from jobs.selectors import skill_taxonomy
from jobs.services import job_close, job_create, job_publish, job_update
from pipeline.models import ScrapedPosting, Source
from pipeline.normalize import Taxonomy, taxonomy_build
from pipeline.runs import RunProgress
from pipeline.scraping.dedup import (
    company_key,
    description_minhash,
    locations_compatible,
    posting_fingerprint,
    url_canonical,
)
from pipeline.scraping.formats import PostingInvalid
from recruitment.api import ApplicationError

logger = logging.getLogger(__name__)

# Seen-but-unchanged postings are touched in one UPDATE per this many.
TOUCH_BATCH = 500
MAX_SALARY = 2_147_483_647  # Job.salary_* are PositiveIntegerFields


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    REOPENED = "reopened"
    SKIPPED = "skipped"


@dataclass
class _Stored:
    pk: int
    content_hash: str
    job_id: int | None
    gone: bool


@dataclass
class _NearIndex:
    """MinHash LSH over one employer's open jobs (by normalised name)."""

    lsh: MinHashLSH
    signatures: dict[int, MinHash] = field(default_factory=dict)
    places: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class IngestSession:
    source: Source
    progress: RunProgress | None
    started_at: datetime
    taxonomy: Taxonomy
    skill_ids: dict[str, int]
    stored: dict[str, _Stored]
    config: dict[str, Any] = field(default_factory=dict)
    touched: list[int] = field(default_factory=list)
    kept_alive: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _companies: dict[str, list[tuple[int, bool]]] | None = None
    _employers: dict[str, Company] = field(default_factory=dict)
    _near: dict[str, _NearIndex] = field(default_factory=dict)
    # Jobs a live posting of this source points at: a source's own listing is the authority on
    # which of its postings are distinct, so they are never its duplicates.
    own_jobs: set[int] = field(default_factory=set)
    _open_jobs: _OpenJobs | None = None

    @property
    def complete(self) -> bool:
        return not self.failures

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n
        if self.progress is not None:
            self.progress.count(key, n)

    def advance(self, **counts: int) -> None:
        """One posting done, with its counts."""
        for key, n in counts.items():
            self.counts[key] += n
        if self.progress is not None:
            self.progress.advance(1, **counts)


def _taxonomy() -> tuple[Taxonomy, dict[str, int]]:
    entries = skill_taxonomy()
    taxonomy = taxonomy_build([(name, aliases) for _slug, name, aliases in entries])
    skill_ids = {name.strip().lower(): pk for pk, name in Skill.objects.values_list("pk", "name")}
    return taxonomy, skill_ids


def ingest_start(
    *, source: Source, progress: RunProgress | None = None, config: dict | None = None
) -> IngestSession:
    """Begin one crawl of `source`: load its stored postings, the skills and the employers."""
    taxonomy, skill_ids = _taxonomy()
    stored = {
        external_id: _Stored(pk, content_hash, job_id, gone_at is not None)
        for pk, external_id, content_hash, job_id, gone_at in ScrapedPosting.objects.filter(
            source=source
        ).values_list("pk", "external_id", "content_hash", "job_id", "gone_at")
    }
    return IngestSession(
        source=source,
        progress=progress,
        started_at=timezone.now(),
        taxonomy=taxonomy,
        skill_ids=skill_ids,
        stored=stored,
        config=dict(config if config is not None else source.config),
        own_jobs={s.job_id for s in stored.values() if s.job_id is not None and not s.gone},
    )


# --- One posting ------------------------------------------------------------------------------


def posting_content_hash(posting: dict[str, Any], *, company: str) -> str:
    data = {**posting, "company": company}
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def ingest_posting(*, session: IngestSession, posting: dict[str, Any], raw: Any) -> str:
    """Store one normalised posting; return its outcome (an `Outcome` value). A posting that
    cannot be stored is a counted skip, and nothing of it is written."""
    try:
        outcome = _ingest(session, posting, raw)
    except PostingInvalid as exc:
        ingest_skip(
            session=session,
            reason=exc.reason,
            detail=exc.detail,
            external_id=exc.external_id or posting.get("external_id"),
        )
        return Outcome.SKIPPED
    except (ValidationError, IntegrityError, DataError, ApplicationError) as exc:
        ingest_skip(
            session=session,
            reason="invalid",
            detail=f"{posting.get('external_id')}: {_error_text(exc)}",
            external_id=posting.get("external_id"),
        )
        return Outcome.SKIPPED
    session.advance(seen=1, **{outcome: 1})
    if len(session.touched) >= TOUCH_BATCH:
        _touch_flush(session)
    return outcome


def ingest_skip(
    *, session: IngestSession, reason: str, detail: str = "", external_id: str | None = None
) -> None:
    """Count a posting that could not be read; when its id is known and it is stored, it stays
    alive (a bad page this time is no reason to close the job)."""
    _skip_record(session, reason, detail)
    session.advance(seen=1)
    if external_id and reason not in GONE_REASONS:
        ingest_keep_alive(session=session, external_id=external_id)


# A page that answered "not found", or holds no posting any more, is gone, not merely unreadable.
GONE_REASONS = frozenset({"not_found", "no_posting", "unlisted"})


def ingest_keep_alive(*, session: IngestSession, external_id: str) -> None:
    stored = session.stored.get(external_id)
    if stored is not None and not stored.gone:
        session.kept_alive.add(external_id)
        session.touched.append(stored.pk)


def ingest_listing_failed(*, session: IngestSession, reason: str, detail: str) -> None:
    """A listing (a board's feed, a sitemap, a start page) could not be read: counted as a skip,
    and the crawl is incomplete, so it will close nothing."""
    session.failures.append(f"{reason}: {detail}")
    _skip_record(session, reason, detail)


def _skip_record(session: IngestSession, reason: str, detail: str) -> None:
    session.counts[f"skipped.{reason}"] += 1
    if session.progress is not None:
        session.progress.skip(reason, detail=detail)
    else:
        logger.warning("pipeline item skipped: %s: %s", reason, detail[:500])


def ingest_deferred(*, session: IngestSession, external_ids: list[str]) -> None:
    """Listed postings this crawl leaves unread (over max_pages): kept alive, counted."""
    for external_id in external_ids:
        ingest_keep_alive(session=session, external_id=external_id)
    session.count("deferred", len(external_ids))


def ingest_found(*, session: IngestSession, n: int) -> None:
    if session.progress is not None:
        session.progress.add_total(n)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return str(exc)


def _ingest(session: IngestSession, posting: dict[str, Any], raw: Any) -> str:
    external_id = posting.get("external_id")
    if not external_id:
        raise PostingInvalid("missing_id", "a posting without an id")
    url = url_canonical(posting["url"])
    company = _company_for(session, posting)
    content_hash = posting_content_hash(posting, company=company.name)
    stored = session.stored.get(external_id)
    if (
        stored is not None
        and stored.content_hash == content_hash
        and stored.job_id is not None
        and not stored.gone
    ):
        session.touched.append(stored.pk)
        return Outcome.UNCHANGED
    fingerprint = posting_fingerprint(
        company=company.name,
        title=posting["title"],
        locations=posting.get("locations") or [],
        remote=bool(posting.get("remote")),
    )
    fields = _job_fields(posting, url=url, fingerprint=fingerprint)
    with transaction.atomic():
        now = timezone.now()
        record = (
            ScrapedPosting.objects.select_for_update()
            .filter(source=session.source, external_id=external_id)
            .first()
        )
        values = {
            "url": url[:1000],
            "raw": _jsonable(raw),
            "content_hash": content_hash,
            "fingerprint": fingerprint,
            "last_seen_at": now,
            "gone_at": None,
        }
        was_gone = record is not None and record.gone_at is not None
        job = Job.objects.filter(pk=record.job_id).first() if record and record.job_id else None
        outcome = Outcome.UPDATED
        if job is None:
            job, outcome = _job_for_new_posting(session, posting, company, fields, url)
        elif _owns(job, fields):
            job = _job_refresh(session, job, posting, fields)
        if was_gone and job.status == Job.Status.CLOSED and _made_by_scraping(job):
            job = job_publish(job=job, actor=None)
            outcome = Outcome.REOPENED
        values["job"] = job
        if record is None:
            record = ScrapedPosting(
                source=session.source, external_id=external_id, first_seen_at=now, **values
            )
        else:
            for name, value in values.items():
                setattr(record, name, value)
        # The database enforces the posting's unique and check constraints (a violation is a
        # counted skip); validating them here would cost two queries per posting.
        record.full_clean(validate_unique=False, validate_constraints=False)
        record.save()
    session.stored[external_id] = _Stored(record.pk, content_hash, job.pk, False)
    session.own_jobs.add(job.pk)
    return outcome


def _jsonable(raw: Any) -> Any:
    try:
        return json.loads(json.dumps(raw, default=str))
    except (TypeError, ValueError):
        return {"repr": repr(raw)[:10_000]}


def _owns(job: Job, fields: dict[str, Any]) -> bool:
    """The posting a Job was made from writes it; postings linked later as duplicates don't."""
    return job.external_id == fields["external_id"] and job.external_url == fields["external_url"]


def _made_by_scraping(job: Job) -> bool:
    """Jobs the pipeline created (no author, and a posting of that URL); a job a recruiter made
    is never closed or reopened by a crawl."""
    return (
        job.created_by_id is None
        and ScrapedPosting.objects.filter(job=job, url=job.external_url).exists()
    )


# --- Companies --------------------------------------------------------------------------------


def companies_by_key() -> dict[str, list[tuple[int, bool]]]:
    """Every company by normalised name: [(id, is_tenant)]."""
    index: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for pk, name, is_tenant in Company.objects.values_list("pk", "name", "is_tenant"):
        index[company_key(name)].append((pk, is_tenant))
    return index


def _company_index(session: IngestSession) -> dict[str, list[tuple[int, bool]]]:
    """Loaded once per crawl, and kept up to date with the employers it creates."""
    if session._companies is None:
        session._companies = companies_by_key()
    return session._companies


def _company_for(session: IngestSession, posting: dict[str, Any]) -> Company:
    """The source's company, else the employer the posting names (a non-tenant company, found
    again by normalised name). A posting never lands in a tenant's company by naming it."""
    if session.source.company_id:
        return session.source.company
    name = (
        posting.get("company") or session.config.get("company") or _board_employer(session) or ""
    ).strip()
    key = company_key(name)
    if not key:
        raise PostingInvalid(
            "missing_company",
            f"{posting.get('external_id')} names no employer and the source has no company",
            external_id=posting.get("external_id"),
        )
    if key in session._employers:
        return session._employers[key]
    employer = employer_get_or_create(name=name[:200], index=_company_index(session))
    session._employers[key] = employer
    return employer


def _board_employer(session: IngestSession) -> str | None:
    """A board's own name as the employer's ("acme-robotics" → "Acme Robotics"): Lever's
    postings never name their company, and Greenhouse's do not always."""
    board = session.config.get("board") or session.config.get("site")
    if session.source.kind == Source.Kind.JSONLD or not board:
        return None
    return " ".join(board.replace("_", "-").replace(".", "-").split("-")).title()


def employer_get_or_create(
    *, name: str, index: dict[str, list[tuple[int, bool]]] | None = None
) -> Company:
    """The non-tenant company of this name (by normalised name: "Acme, Inc." is "ACME"),
    created when missing. Serialised per name, so two crawls make one company."""
    key = company_key(name)
    if not key:
        raise ValidationError({"name": ["An employer needs a name."]})
    index = index if index is not None else companies_by_key()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"employer:{key}"]
            )
        # The index may predate another crawl's new employer; under the lock, look again.
        ids = [pk for pk, is_tenant in index.get(key, []) if not is_tenant]
        longest = max(key.split(), key=len)
        candidates = Company.objects.filter(is_tenant=False).filter(
            Q(pk__in=ids) | Q(name__iexact=name) | Q(name__icontains=longest)
        )
        found = [c for c in candidates.order_by("pk") if company_key(c.name) == key]
        if found:
            return found[0]
        base = slugify(name)[:190] or "employer"
        slug, n = base, 2
        while Company.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        company = company_create(name=name, slug=slug, is_tenant=False)
    index[key].append((company.pk, False))
    return company


# --- Jobs -------------------------------------------------------------------------------------


def _published_at(posting: dict[str, Any]) -> datetime:
    now = timezone.now()
    day = _date(posting.get("date_posted"))
    if day is None:
        return now
    at = datetime.combine(day, time(0, 0), tzinfo=UTC)
    return min(at, now)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _salary_fields(salary: dict[str, Any] | None) -> dict[str, Any]:
    empty = {
        "salary_min": None,
        "salary_max": None,
        "salary_currency": "",
        "salary_period": SalaryPeriod.YEAR,
    }
    if not salary or not salary.get("currency"):
        return empty
    amounts = []
    for key in ("min", "max"):
        value = salary.get(key)
        amounts.append(None if value is None else round(float(value)))
    low, high = amounts
    if low is None and high is None:
        return empty
    if any(v is not None and not 0 <= v <= MAX_SALARY for v in amounts):
        return empty
    currency = str(salary["currency"]).upper()
    period = salary.get("period") or SalaryPeriod.YEAR
    if len(currency) != 3 or period not in SalaryPeriod.values:
        return empty
    return {
        "salary_min": low,
        "salary_max": high,
        "salary_currency": currency,
        "salary_period": period,
    }


def _job_fields(posting: dict[str, Any], *, url: str, fingerprint: str) -> dict[str, Any]:
    """The posting as `job_create` / `job_update` fields (all of JOB_FIELDS a posting has)."""
    location = (posting.get("locations") or [{}])[0]
    country = (location.get("country") or "").upper()
    workplace = posting.get("workplace") or ("remote" if posting.get("remote") else "onsite")
    employment = posting.get("employment_type")
    seniority = posting.get("seniority")
    valid_through = _date(posting.get("valid_through"))
    return {
        "title": posting["title"][:200],
        "description_html": posting.get("description_html") or "",
        "description_text": posting.get("description") or "",
        "city": (location.get("city") or "")[:100],
        "region": (location.get("region") or "")[:100],
        "country": country if len(country) == 2 and country.isalpha() else "",
        "remote": workplace if workplace in Job.Remote.values else Job.Remote.ONSITE,
        "employment_type": (
            employment if employment in Job.EmploymentType.values else Job.EmploymentType.FULL_TIME
        ),
        "seniority": seniority if seniority in Seniority.values else "",
        **_salary_fields(posting.get("salary")),
        "closes_at": (
            datetime.combine(valid_through, time(23, 59, 59), tzinfo=UTC) if valid_through else None
        ),
        "external_url": url[:1000],
        "external_id": posting["external_id"][:255],
        "fingerprint": fingerprint,
    }


def _skill_ids(session: IngestSession, posting: dict[str, Any]) -> set[int]:
    return {
        session.skill_ids[name] for name in posting.get("skills") or [] if name in session.skill_ids
    }


def _skills_add(job: Job, skill_ids: set[int], *, new: bool = False) -> None:
    """Link the posting's skills that the job lacks (a `new` job lacks them all). Never removes
    one nor changes a required flag: enrichment reads the job again when its text changed and
    owns that judgement."""
    if not skill_ids:
        return
    current = (
        set() if new else set(JobSkill.objects.filter(job=job).values_list("skill_id", flat=True))
    )
    JobSkill.objects.bulk_create(
        [JobSkill(job=job, skill_id=pk, required=True) for pk in skill_ids - current],
        ignore_conflicts=True,
    )


def _job_for_new_posting(
    session: IngestSession,
    posting: dict[str, Any],
    company: Company,
    fields: dict[str, Any],
    url: str,
) -> tuple[Job, str]:
    duplicate = _duplicate_of(session, posting, company, fields, url)
    if duplicate is not None:
        return duplicate, Outcome.DUPLICATE
    create = dict(fields)
    title = create.pop("title")
    job = job_create(
        company=company, title=title, actor=None, publish_at=_published_at(posting), **create
    )
    _skills_add(job, _skill_ids(session, posting), new=True)
    _near_add(session, company, job)
    return job, Outcome.CREATED


def _job_refresh(
    session: IngestSession, job: Job, posting: dict[str, Any], fields: dict[str, Any]
) -> Job:
    """Write a changed posting to the Job it made (only the fields that differ are saved)."""
    fields = dict(fields)
    if fields["closes_at"] and job.published_at and fields["closes_at"] < job.published_at:
        fields["closes_at"] = None
    job = job_update(job=job, actor=None, **fields)
    _skills_add(job, _skill_ids(session, posting))
    return job


# --- Duplicates across sources ----------------------------------------------------------------


@dataclass
class _OpenJobs:
    """Open jobs by canonical URL (their own, and their postings' on any source) and by
    fingerprint: loaded once per crawl, at its first new posting, so that each new posting
    costs dict lookups instead of scans. A job another crawl creates meanwhile is missed, as
    it would be by a query a moment earlier."""

    by_url: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_fingerprint: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


def _open_jobs(session: IngestSession) -> _OpenJobs:
    if session._open_jobs is None:
        index = _OpenJobs()
        jobs = Job.objects.filter(status=Job.Status.OPEN).values_list(
            "pk", "external_url", "fingerprint"
        )
        for pk, url, fingerprint in jobs.order_by("pk").iterator(chunk_size=5000):
            if url:
                index.by_url[url_canonical(url)].append(pk)
            if fingerprint:
                index.by_fingerprint[fingerprint].append(pk)
        linked = (
            ScrapedPosting.objects.filter(
                gone_at__isnull=True, job__isnull=False, job__status=Job.Status.OPEN
            )
            .exclude(source=session.source)
            .values_list("url", "job_id")
        )
        for url, job_id in linked.order_by("job_id").iterator(chunk_size=5000):
            if job_id not in index.by_url[url]:
                index.by_url[url].append(job_id)
        session._open_jobs = index
    return session._open_jobs


def _first_open(ids: list[int], own: set[int]) -> Job | None:
    ids = [pk for pk in ids if pk not in own]
    if not ids:
        return None
    return Job.objects.filter(pk__in=ids, status=Job.Status.OPEN).order_by("pk").first()


def _duplicate_of(
    session: IngestSession,
    posting: dict[str, Any],
    company: Company,
    fields: dict[str, Any],
    url: str,
) -> Job | None:
    index = _open_jobs(session)
    own = session.own_jobs
    if (job := _first_open(index.by_url.get(url, []), own)) is not None:
        session.count("duplicate.url")
        return job
    if (job := _first_open(index.by_fingerprint.get(fields["fingerprint"], []), own)) is not None:
        session.count("duplicate.fingerprint")
        return job
    job = _near_duplicate(session, posting, company, own)
    if job is not None:
        session.count("duplicate.near")
    return job


def _near_index(session: IngestSession, company: Company) -> _NearIndex:
    key = company_key(company.name)
    if key not in session._near:
        index = _NearIndex(
            lsh=MinHashLSH(threshold=settings.SCRAPE_NEAR_DUPLICATE_THRESHOLD, num_perm=128)
        )
        company_ids = [pk for pk, _ in _company_index(session).get(key, [])] or [company.pk]
        rows = Job.objects.filter(status=Job.Status.OPEN, company_id__in=company_ids).values_list(
            "pk", "description_text", "city", "region", "country"
        )
        for pk, text, city, region, country in rows.iterator(chunk_size=500):
            _near_insert(index, pk, text, {"city": city, "region": region, "country": country})
        session._near[key] = index
    return session._near[key]


def _near_insert(index: _NearIndex, pk: int, text: str, place: dict[str, Any]) -> None:
    signature = description_minhash(text)
    if signature is None or pk in index.signatures:
        return
    index.lsh.insert(pk, signature)
    index.signatures[pk] = signature
    index.places[pk] = place


def _near_add(session: IngestSession, company: Company, job: Job) -> None:
    key = company_key(company.name)
    if key in session._near:
        place = {"city": job.city, "region": job.region, "country": job.country}
        _near_insert(session._near[key], job.pk, job.description_text, place)


def _near_duplicate(
    session: IngestSession, posting: dict[str, Any], company: Company, own: set[int]
) -> Job | None:
    """An open job of the same employer whose description is a near-duplicate (estimated
    Jaccard similarity of word shingles ≥ the threshold) at a compatible place."""
    signature = description_minhash(posting.get("description"))
    if signature is None:
        return None
    index = _near_index(session, company)
    place = (posting.get("locations") or [{}])[0]
    threshold = settings.SCRAPE_NEAR_DUPLICATE_THRESHOLD
    scored = sorted(
        (
            (signature.jaccard(index.signatures[pk]), pk)
            for pk in index.lsh.query(signature)
            if locations_compatible(place, index.places[pk])
        ),
        reverse=True,
    )
    for similarity, pk in scored:
        if similarity < threshold:
            break
        if (job := _first_open([pk], own)) is not None:
            return job
    return None


# --- The end of a crawl -----------------------------------------------------------------------


def _touch_flush(session: IngestSession) -> None:
    if session.touched:
        ScrapedPosting.objects.filter(pk__in=session.touched).update(last_seen_at=timezone.now())
        session.touched.clear()


@dataclass(frozen=True)
class IngestResult:
    complete: bool
    closed_postings: int
    closed_jobs: int
    counts: dict[str, int]
    failures: list[str]


def ingest_finish(*, session: IngestSession, complete: bool = True) -> IngestResult:
    """End the crawl: move `last_seen_at` of what was seen, and when the crawl `complete`d with
    no listing failure close the postings it did not see."""
    _touch_flush(session)
    complete = complete and session.complete
    closed_postings = closed_jobs = 0
    if complete:
        closed_postings, closed_jobs = postings_close_vanished(
            source=session.source, seen_since=session.started_at, progress=session.progress
        )
        session.counts["closed"] += closed_jobs
        session.counts["gone"] += closed_postings
    Source.objects.filter(pk=session.source.pk).update(last_crawled_at=timezone.now())
    return IngestResult(
        complete, closed_postings, closed_jobs, dict(session.counts), session.failures
    )


def postings_close_vanished(
    *, source: Source, seen_since: datetime, progress: RunProgress | None = None
) -> tuple[int, int]:
    """Mark the source's live postings not seen since `seen_since` as gone, and close each Job
    the pipeline made once no live posting points at it. Return (postings, jobs) closed."""
    vanished = ScrapedPosting.objects.filter(
        source=source, gone_at__isnull=True, last_seen_at__lt=seen_since
    ).order_by("pk")
    closed_postings = closed_jobs = 0
    for posting in vanished.iterator(chunk_size=500):
        with transaction.atomic():
            now = timezone.now()
            ScrapedPosting.objects.filter(pk=posting.pk).update(gone_at=now)
            closed_postings += 1
            job = (
                Job.objects.select_for_update().filter(pk=posting.job_id).first()
                if posting.job_id
                else None
            )
            if job is None or job.status != Job.Status.OPEN:
                continue
            alive = (
                ScrapedPosting.objects.filter(job=job, gone_at__isnull=True)
                .exclude(pk=posting.pk)
                .order_by("first_seen_at", "pk")
                .first()
            )
            if alive is not None:
                if job.external_url == posting.url and job.external_id == posting.external_id:
                    # The posting it was made from is gone: the next one takes over.
                    job_update(
                        job=job, actor=None, external_url=alive.url, external_id=alive.external_id
                    )
                continue
            if not _made_by_scraping(job):
                continue
            job_close(job=job, actor=None)
            closed_jobs += 1
    if progress is not None:
        if closed_postings:
            progress.count("gone", closed_postings)
        if closed_jobs:
            progress.count("closed", closed_jobs)
    return closed_postings, closed_jobs
