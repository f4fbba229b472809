"""Writes for jobs: create, edit, and move through draft → open → closed → archived; and the
writes of search: its vocabulary, currency rates, job embeddings and analytics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import slugify

from accounts.models import Company, User
from accounts.permissions import person_of, require_perm
from accounts.services import audit_event_build, audit_record, audit_records
from accounts.webhooks import webhook_event_emit
from jobs.descriptions import html_sanitise
from jobs.embeddings import embed_array, text_hash, vectors_store
from jobs.models import CurrencyRate, Job, JobSkill, SearchQuery, SearchTerm
from jobs.search import JobSearchResult, currency_rates
from recruitment.api import ApplicationError

# Which status may follow which; anything else is refused.
_TRANSITIONS: dict[str, set[str]] = {
    Job.Status.DRAFT: {Job.Status.OPEN, Job.Status.ARCHIVED},
    Job.Status.OPEN: {Job.Status.CLOSED},
    Job.Status.CLOSED: {Job.Status.OPEN, Job.Status.ARCHIVED},
    Job.Status.ARCHIVED: set(),
}

# The fields job_create and job_update accept; status moves only through the transitions.
JOB_FIELDS = (
    "title",
    "description_html",
    "description_text",
    "city",
    "region",
    "country",
    "remote",
    "employment_type",
    "seniority",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_period",
    "questions",
    "scorecard_criteria",
    "closes_at",
    "external_url",
    "external_id",
    "fingerprint",
)


def _unique_slug(company: Company, title: str, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:200] or "job"
    # One query for every slug of this stem, not one per candidate: an employer with hundreds of
    # "Backend Engineer" postings would otherwise cost hundreds of queries per new job.
    taken = Job.objects.filter(company=company, slug__startswith=base)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    used = set(taken.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _salary_check(job: Job) -> None:
    """The salary rules of Job's constraints, with errors on the fields a client sent."""
    errors = {}
    has_salary = job.salary_min is not None or job.salary_max is not None
    if has_salary and not job.salary_currency:
        errors["salary_currency"] = ["A salary needs its currency."]
    if (
        job.salary_min is not None
        and job.salary_max is not None
        and job.salary_min > job.salary_max
    ):
        errors["salary_max"] = ["Must be at least salary_min."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def job_create(
    *,
    company: Company,
    title: str,
    actor: User | None,
    publish_at: datetime | None = None,
    **fields,
) -> Job:
    """Create a draft job; with `publish_at`, create it open, published then (one write
    instead of a create and a `job_publish`, as a crawl does for each new posting; both
    events are audited)."""
    if actor is not None:
        require_perm(actor, "jobs.create", company)
        if publish_at is not None:
            require_perm(actor, "jobs.publish", company)
    unknown = set(fields) - set(JOB_FIELDS)
    if unknown:
        raise TypeError(f"job_create() got unexpected fields: {', '.join(sorted(unknown))}")
    _description_sanitise(fields)
    job = Job(
        company=company,
        title=title,
        slug=_unique_slug(company, title),
        created_by=person_of(actor),  # an API key's principal is no User
        **fields,
    )
    if publish_at is not None:
        job.status, job.published_at = Job.Status.OPEN, publish_at
        if job.closes_at and job.closes_at <= publish_at:
            job.closes_at = None  # as job_publish does with a closing date already past
    _salary_check(job)
    job.full_clean()
    job.save()
    audit_record(action="job.created", actor=actor, target=job)
    if publish_at is not None:
        audit_record(
            action="job.published",
            actor=actor,
            target=job,
            changes={"status": [Job.Status.DRAFT, Job.Status.OPEN]},
        )
    return job


# What a copy of a job leaves out: where a crawled posting came from is the original's alone.
_NOT_DUPLICATED = frozenset({"external_url", "external_id", "fingerprint"})


@transaction.atomic
def job_duplicate(*, job: Job, actor: User | None) -> Job:
    """A new draft with the job's text, place, terms, skills and hiring team, to post a
    similar opening without retyping it."""
    fields = {name: getattr(job, name) for name in JOB_FIELDS if name not in _NOT_DUPLICATED}
    fields.pop("title")
    copy = job_create(company=job.company, title=job.title, actor=actor, **fields)
    JobSkill.objects.bulk_create(
        JobSkill(job=copy, skill_id=skill_id, required=required)
        for skill_id, required in job.job_skills.values_list("skill_id", "required")
    )
    copy.hiring_team.set(job.hiring_team.all())
    audit_record(
        action="job.duplicated", actor=actor, target=copy, changes={"duplicate_of": [None, job.pk]}
    )
    return copy


def _description_sanitise(fields: dict) -> None:
    """Every writer's description HTML is made safe here, whoever sent it (a form, the API, a
    crawl): the job page shows it as it is stored."""
    if "description_html" in fields:
        fields["description_html"] = html_sanitise(fields["description_html"])


def job_changes_set(*, job: Job, **fields) -> dict[str, list[str]]:
    """Set the `fields` that differ on `job` and validate it, without saving; return the
    changes as the audit trail records them (empty: nothing to save). With `jobs_changes_save`
    it is `job_update` for many jobs at once.

    The company and creator are not checked again: no field here changes them, and checking
    that they exist (and the slug unique within the company) costs three queries.
    """
    unknown = set(fields) - set(JOB_FIELDS)
    if unknown:
        raise TypeError(f"job update got unexpected fields: {', '.join(sorted(unknown))}")
    _description_sanitise(fields)
    changes = {}
    for name, value in fields.items():
        old = getattr(job, name)
        if old != value:
            changes[name] = [str(old), str(value)]
            setattr(job, name, value)
    if changes:
        _salary_check(job)
        job.full_clean(exclude=["company", "created_by"])
    return changes


def jobs_changes_save(*, changes: dict[Job, dict[str, list[str]]], actor: User | None) -> None:
    """Save what `job_changes_set` set on each job, with its `job.updated` audit event: one
    UPDATE per set of changed fields and one INSERT of events. Call it in a transaction that
    holds the jobs' rows."""
    by_fields: dict[tuple[str, ...], list[Job]] = defaultdict(list)
    events = []
    now = timezone.now()
    for job, changed in changes.items():
        if not changed:
            continue
        job.updated_at = now  # what save() sets (auto_now)
        by_fields[tuple(sorted(changed))].append(job)
        events.append(
            audit_event_build(action="job.updated", actor=actor, target=job, changes=changed)
        )
    for names, jobs in by_fields.items():
        Job.objects.bulk_update(jobs, [*names, "updated_at"])
    audit_records(events)


@transaction.atomic
def job_update(*, job: Job, actor: User | None, **fields) -> Job:
    if actor is not None:
        require_perm(actor, "jobs.edit", job)
    changes = job_changes_set(job=job, **fields)
    if changes:
        job.save()
        audit_record(action="job.updated", actor=actor, target=job, changes=changes)
    return job


def _job_transition(
    *, job: Job, to: str, actor: User | None, action: str, at: datetime | None = None
) -> Job:
    if actor is not None:
        require_perm(actor, "jobs.publish", job)
    job = Job.objects.select_for_update().get(pk=job.pk)
    if to not in _TRANSITIONS[job.status]:
        raise ApplicationError(
            f"The job is {job.get_status_display().lower()}; it cannot become "
            f"{Job.Status(to).label.lower()}.",
            code="invalid_transition",
        )
    old = job.status
    job.status = to
    if to == Job.Status.OPEN:
        job.published_at = at or timezone.now()
        if job.closes_at and job.closes_at <= job.published_at:
            job.closes_at = None  # reopening past the old closing date
    job.full_clean()
    job.save(update_fields=["status", "published_at", "closes_at", "updated_at"])
    audit_record(action=action, actor=actor, target=job, changes={"status": [old, to]})
    if action in _WEBHOOK_EVENTS:
        webhook_event_emit(company_id=job.company_id, event=action, data=job_event_data(job))
    return job


# The transitions partners can subscribe to (accounts.webhooks.WEBHOOK_EVENTS).
_WEBHOOK_EVENTS = {"job.published", "job.closed"}


def job_event_data(job: Job) -> dict:
    """A job in webhook events: what a receiver needs to fetch the rest."""
    return {
        "job": {
            "id": job.pk,
            "title": job.title,
            "status": job.status,
            "published_at": job.published_at,
            "closes_at": job.closes_at,
        }
    }


@transaction.atomic
def job_publish(*, job: Job, actor: User | None, at: datetime | None = None) -> Job:
    return _job_transition(job=job, to=Job.Status.OPEN, actor=actor, action="job.published", at=at)


@transaction.atomic
def job_close(*, job: Job, actor: User | None) -> Job:
    return _job_transition(job=job, to=Job.Status.CLOSED, actor=actor, action="job.closed")


@transaction.atomic
def job_archive(*, job: Job, actor: User | None) -> Job:
    return _job_transition(job=job, to=Job.Status.ARCHIVED, actor=actor, action="job.archived")


@transaction.atomic
def job_delete(*, job: Job, actor: User | None) -> bool:
    """Take a job away: delete it when nobody applied, else archive it (closing it first when
    open), so its applications and their history stay. An archived job with applications
    stays as it is. Return True when the row is gone.

    The row is locked first: an application arriving meanwhile waits, then finds no job.
    """
    if actor is not None:
        require_perm(actor, "jobs.publish", job)
    job = Job.objects.select_for_update().only("pk", "status", "company_id", "title").get(pk=job.pk)
    if not job.applications.exists():
        audit_record(action="job.deleted", actor=actor, target=job)
        job.delete()
        return True
    if job.status == Job.Status.OPEN:
        job = job_close(job=job, actor=actor)
    if job.status != Job.Status.ARCHIVED:
        job_archive(job=job, actor=actor)
    return False


# --- Search: vocabulary, currency rates, embeddings, analytics ------------------------------

# Words of open jobs' titles, skills, companies and cities, with how many jobs use each: the
# vocabulary "did you mean" corrects against. One statement; the nightly pipeline calls it.
_VOCABULARY_SQL = """
WITH words AS (
    SELECT word, ndoc FROM ts_stat($q$
        SELECT to_tsvector('simple'::regconfig,
                           concat_ws(' ', j.title, j.skills_text, c.name, j.city))
          FROM jobs_job j JOIN accounts_company c ON c.id = j.company_id
         WHERE j.status = 'open'
    $q$)
    WHERE length(word) BETWEEN 2 AND 100 AND word ~ '^[[:alpha:]][[:alpha:]+#.-]*$'
)
MERGE INTO jobs_searchterm t USING words w ON t.word = w.word
WHEN MATCHED AND t.frequency <> w.ndoc THEN UPDATE SET frequency = w.ndoc
WHEN NOT MATCHED THEN INSERT (word, frequency) VALUES (w.word, w.ndoc)
WHEN NOT MATCHED BY SOURCE THEN DELETE
"""


@transaction.atomic
def search_vocabulary_refresh() -> int:
    """Rebuild the "did you mean" vocabulary from the open jobs; return its size."""
    with connection.cursor() as cursor:
        cursor.execute(_VOCABULARY_SQL)
    return SearchTerm.objects.count()


@transaction.atomic
def currency_rates_sync() -> int:
    """Write the fixed rate table (converted to settings.SEARCH_CURRENCY) and re-derive every
    job's yearly salary; return how many jobs have a salary."""
    rates = currency_rates()
    for currency, rate in rates.items():
        CurrencyRate.objects.update_or_create(currency=currency, defaults={"rate": rate})
    CurrencyRate.objects.exclude(currency__in=list(rates)).delete()
    # Writing a derived column makes the trigger derive it again.
    return Job.objects.filter(salary_currency__gt="").update(salary_min_yearly=None)


# The model reads settings.EMBEDDING_MAX_TOKENS tokens (256 at most, about 1,200 characters):
# more text only costs tokenising. Title and skills come first, so a low limit keeps them.
EMBEDDING_DESCRIPTION_CHARS = 1_200


def job_embedding_text(job: Job) -> str:
    """What a job's vector is made from: title, skills, then the start of the description."""
    skills = ", ".join(sorted(js.skill.name for js in job.job_skills.all()))
    parts = [job.title]
    if skills:
        parts.append(f"Skills: {skills}")
    if job.description_text:
        parts.append(job.description_text[:EMBEDDING_DESCRIPTION_CHARS])
    return ". ".join(parts)


def jobs_embed(*, jobs: Iterable[Job] | QuerySet[Job], batch_size: int | None = None) -> int:
    """Give `jobs` vectors of their current text; skip those whose text is unchanged since
    their vector was made (content_hash). Return how many were embedded.

    The model loads on first use, in the process that calls this (a worker).
    """
    batch_size = batch_size or settings.EMBEDDING_CHUNK_SIZE
    ids = (
        list(jobs.values_list("pk", flat=True))
        if isinstance(jobs, QuerySet)
        else [job.pk for job in jobs]
    )
    embedded = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        rows = (
            Job.objects.filter(pk__in=chunk)
            .defer("search_vector", "embedding", "description_html")
            .annotate(has_vector=Q(embedding__isnull=False))
            .prefetch_related("job_skills__skill")
        )
        todo = []
        for job in rows:
            text = job_embedding_text(job)
            digest = text_hash(text)
            if job.has_vector and job.content_hash == digest:
                continue
            todo.append((job, text, digest))
        if not todo:
            continue
        vectors = embed_array([text for _, text, _ in todo])
        vectors_store(
            Job,
            [
                (job.pk, vector, digest)
                for (job, _, digest), vector in zip(todo, vectors, strict=True)
            ],
        )
        embedded += len(todo)
    return embedded


def job_embed(*, job: Job) -> Job:
    """Give one job a vector of its current text (unless unchanged); return it refreshed."""
    jobs_embed(jobs=[job])
    job.refresh_from_db(fields=["embedding", "content_hash"])
    return job


def search_normalize(query: str) -> str:
    """The form queries are grouped by in analytics: lower case, single spaces."""
    return " ".join(query.lower().split())[:500]


def search_session_hash(session_key: str | None) -> str:
    """A salted hash of a session key (salted with SECRET_KEY): sessions can be told apart
    in analytics, and the key itself is never stored."""
    if not session_key:
        return ""
    return salted_hmac("jobs.search.session", session_key, algorithm="sha256").hexdigest()


def search_query_log(
    *,
    result: JobSearchResult,
    user: User | None = None,
    session_key: str | None = None,
) -> SearchQuery:
    """Record one search for analytics."""
    entry = SearchQuery(
        query=result.query[:500],
        normalized_query=search_normalize(result.query),
        filters=result.filters.as_dict(),
        mode=result.mode_used,
        result_count=result.total,
        took_ms=round(result.took_ms),
        session_hash=search_session_hash(session_key),
        user=user if user is not None and user.is_authenticated else None,
    )
    entry.full_clean()
    entry.save()
    return entry


def search_click_record(
    *,
    search: SearchQuery,
    job: Job,
    position: int | None = None,
    session_key: str | None = None,
) -> SearchQuery:
    """Record the result a searcher opened. The first click of a search counts; later ones
    change nothing. Only the session that searched may record its click."""
    if search.session_hash and search.session_hash != search_session_hash(session_key):
        raise PermissionDenied("This search belongs to another session.")
    if position is not None and position < 1:
        raise ValidationError({"position": ["Positions start at 1."]})
    # Claim the row only if no click was recorded yet (two tabs may click at once).
    SearchQuery.objects.filter(pk=search.pk, clicked_at__isnull=True).update(
        clicked_job=job, clicked_position=position, clicked_at=timezone.now()
    )
    search.refresh_from_db()
    return search
