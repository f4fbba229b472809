"""The enrich stage: read postings and resumes into their fields and into matching's features,
then give what changed new vectors.

A job or profile is read again only when what it is read from changed: a hash of its text and
fields (after enrichment's own writes) is kept beside its features (`JobEnrichment`,
`ProfileEnrichment`), with the reader's version, so a better reader re-reads everything once.
Items are read `CHUNK` to a transaction, with a few queries per chunk rather than per item.

What the text says fills the fields the structured data lacks:
- jobs: place, remote/hybrid/on site, seniority, salary and skills with their required flag
  ("Must have" vs "Nice to have"). A tenant's job only has blanks filled (a recruiter's values
  are never overwritten); a scraped job's fields that enrichment filled before are refreshed.
- profiles: skills (as `jobs.Skill` slugs), place, seniority, years, remote preference and the
  current role, never a field the candidate confirmed (`confirmed_fields`).
Everything else matching needs (hiring regions, visa sponsorship, shifts, relocation, the roles a
candidate does not want, ...) has no column and stays in `features`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import CandidateProfile, RemotePreference, SalaryPeriod
from jobs.models import Job, JobSkill, Skill
from jobs.services import job_changes_set, jobs_changes_save, jobs_embed
from jobs.skills import SkillMatcher, skill_matcher
from pipeline.embedding import profiles_embed
from pipeline.matching.features import (
    FEATURES_VERSION,
    job_features,
    posting_sections,
    profile_features,
)
from pipeline.matching.selectors import (
    job_features_of,
    job_text,
    lexicon_key,
    profile_features_of,
    profile_text,
)
from pipeline.models import JobEnrichment, ProfileEnrichment
from pipeline.runs import RunProgress

logger = logging.getLogger(__name__)

LEVEL_SENIORITY = {0: "intern", 1: "junior", 2: "mid", 3: "senior", 4: "lead"}
MAX_SALARY = 2_147_483_647
# Items read per transaction, in a few queries whatever the size; their rows stay locked until
# it commits (about a second).
CHUNK = 200


def _digest(parts: Iterable[Any]) -> str:
    payload = json.dumps([FEATURES_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _ids(items: Iterable | QuerySet | None, default: QuerySet) -> list[int]:
    if items is None:
        items = default
    if isinstance(items, QuerySet):
        return list(items.values_list("pk", flat=True))
    return [item.pk for item in items]


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _is_current(enrichment: JobEnrichment | ProfileEnrichment | None, inputs: str) -> bool:
    return (
        enrichment is not None
        and enrichment.text_hash == inputs
        and enrichment.features.get("version") == FEATURES_VERSION
    )


class _Skills:
    """The database's skill taxonomy for one run: found in text, by slug, by id."""

    def __init__(self) -> None:
        self.matcher: SkillMatcher = skill_matcher()
        self._ids: dict[str, int] | None = None
        self.names: dict[str, str] = {skill.slug: skill.name for skill in self.matcher.skills}

    def find(self, text: str | None, *, prose: bool = True) -> list[str]:
        """Slugs of the skills written in `text`, in order."""
        slugs = [self.matcher.skills[m.index].slug for m in self.matcher.find(text, prose=prose)]
        return list(dict.fromkeys(slugs))

    def ids(self) -> dict[str, int]:
        if self._ids is None:
            self._ids = dict(Skill.objects.values_list("slug", "id"))
        return self._ids


# By id of each item found: whether it was read, or why nothing of it could be written.
_Read = dict[int, bool | ValidationError]


def _enrich_chunks(
    ids: list[int],
    read: Callable[[list[int]], _Read],
    *,
    noun: str,
    counts: dict,
    progress: RunProgress | None,
) -> list[int]:
    """Read `ids` a chunk per transaction with `read`; count each one in `counts` and
    `progress`, and return the ids that were read.

    One item whose fields cannot take what its text says is skipped, the rest of its chunk
    kept. A value only the database refuses (DataError) fails the whole chunk, which is then
    read one item per transaction to skip just that one.
    """
    enriched: list[int] = []
    for chunk in _chunks(ids):
        try:
            with transaction.atomic():
                results = read(chunk)
        except DataError:
            results = {pk: _read_one(read, pk) for pk in chunk}
        for pk in chunk:
            done = results.get(pk)  # None: deleted since the list was made
            if isinstance(done, ValidationError | DataError):
                counts["skipped"] += 1
                if progress:
                    progress.skip(f"{noun}_enrich_invalid", detail=f"{noun} {pk}: {done}")
                else:
                    logger.warning(
                        f"{noun} enrichment skipped", extra={noun: pk, "error": str(done)}
                    )
                done = None
            if done:
                enriched.append(pk)
                counts["enriched"] += 1
            elif done is False:
                counts["unchanged"] += 1
            if progress:
                progress.advance(**{f"{noun}s.{'enriched' if done else 'unchanged'}": 1})
    return enriched


def _read_one(
    read: Callable[[list[int]], _Read], pk: int
) -> bool | ValidationError | DataError | None:
    try:
        with transaction.atomic():
            return read([pk]).get(pk)
    except DataError as error:
        return error


def _one(result: _Read, pk: int, model: type) -> bool:
    """The result for one item read alone, raised as the item's own functions raise it."""
    if pk not in result:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist.")
    if isinstance(result[pk], ValidationError):
        raise result[pk]
    return result[pk]


# --- Jobs --------------------------------------------------------------------------------------


def _job_inputs(job: Job, skills: list[tuple[int, bool]]) -> str:
    return _digest(
        [
            job.title, job_text(job), job.city, job.region, job.country, job.remote,
            job.seniority, job.salary_min, job.salary_max, job.salary_currency,
            job.salary_period, sorted(skills),
        ]
    )  # fmt: skip


def _job_skill_rows(ids: Iterable[int]) -> dict[int, list[JobSkill]]:
    rows: dict[int, list[JobSkill]] = {pk: [] for pk in ids}
    for row in JobSkill.objects.filter(job_id__in=rows).select_related("skill").order_by("pk"):
        rows[row.job_id].append(row)
    return rows


def _skill_pairs(rows: list[JobSkill]) -> list[tuple[int, bool]]:
    return [(row.skill_id, row.required) for row in rows]


def _salary_fields(salary: dict | None) -> dict[str, Any]:
    if not salary or not salary.get("currency") or salary.get("period") not in SalaryPeriod.values:
        return {}
    low, high = salary.get("min"), salary.get("max")
    low = int(low) if low is not None else None
    high = int(high) if high is not None else None
    if low is None and high is None:
        return {}
    if any(v is not None and not 0 < v <= MAX_SALARY for v in (low, high)):
        return {}
    if low is not None and high is not None and low > high:
        low, high = high, low
    return {
        "salary_min": low,
        "salary_max": high,
        "salary_currency": salary["currency"][:3].upper(),
        "salary_period": salary["period"],
    }


def _job_fills(job: Job, read: dict, filled_before: set[str]) -> dict[str, Any]:
    """The fields the text fills: blanks, and (on scraped jobs) what it filled before."""
    refresh = not job.company.is_tenant

    def may(name: str, blank: bool) -> bool:
        return blank or (refresh and name in filled_before)

    fields: dict[str, Any] = {}
    place = read["location"]
    if place.get("city") and read["workplace"] != "remote" and may("city", not job.city):
        fields["city"] = place["city"][:100]
    if place.get("country") and may("country", not job.country):
        fields["country"] = place["country"]
    if read["workplace"] != job.remote and may("remote", job.remote == Job.Remote.ONSITE):
        fields["remote"] = read["workplace"]
    level = read.get("level")
    if level is not None and may("seniority", not job.seniority):
        fields["seniority"] = LEVEL_SENIORITY[level]
    salary_blank = job.salary_min is None and job.salary_max is None and not job.salary_currency
    if may("salary", salary_blank):
        fields.update(_salary_fields(read.get("salary")))
    return {name: value for name, value in fields.items() if getattr(job, name) != value}


def _job_skills_write(
    found: dict[int, dict[str, bool]],
    rows: dict[int, list[JobSkill]],
    tenant: set[int],
    taxonomy: _Skills,
) -> set[int]:
    """Create the JobSkill rows of skills the texts name (`found` by job id), with their
    required flag; on scraped jobs also correct the flag of existing rows. Return the ids of
    the jobs whose skills changed."""
    ids = taxonomy.ids()
    changed: set[int] = set()
    create: list[JobSkill] = []
    flags: dict[bool, list[int]] = {True: [], False: []}
    for pk, skills in found.items():
        current = {row.skill.slug: row for row in rows[pk]}
        new = [
            JobSkill(job_id=pk, skill_id=ids[slug], required=required)
            for slug, required in skills.items()
            if slug not in current and slug in ids
        ]
        create += new
        fixed = [] if pk in tenant else [
            row for slug, row in current.items() if slug in skills and row.required != skills[slug]
        ]  # fmt: skip
        for row in fixed:
            flags[skills[row.skill.slug]].append(row.pk)
        if new or fixed:
            changed.add(pk)
    if create:
        JobSkill.objects.bulk_create(create, ignore_conflicts=True)
    for required, pks in flags.items():
        if pks:
            JobSkill.objects.filter(pk__in=pks).update(required=required)
    return changed


def _found_job_skills(job: Job, text: str, taxonomy: _Skills) -> dict[str, bool]:
    """Taxonomy skills of the posting → required (title, "Must have") or not ("Nice to
    have"); skills only in the description are required when it has no requirements."""
    required, nice, rest = posting_sections(text)
    found: dict[str, bool] = {}
    for slug in taxonomy.find(job.title, prose=False):
        found[slug] = True
    for section in required:
        for slug in taxonomy.find(section):
            found.setdefault(slug, True)
    for section in nice:
        for slug in taxonomy.find(section):
            found.setdefault(slug, False)
    for slug in taxonomy.find(rest):
        found.setdefault(slug, not required)
    return found


def _jobs_read(ids: list[int], taxonomy: _Skills, *, force: bool = False) -> _Read:
    """Read the jobs `ids` whose inputs changed (or all, with `force`), in the caller's
    transaction, with a few queries for the lot. Return, by id of each job found: whether it
    was read, or the ValidationError that kept its fields (and so everything of it) unwritten.

    Fields are written as `job_update` writes them (validated, audited), but in one UPDATE
    per set of changed fields and one INSERT of audit events (`jobs_changes_save`).
    """
    locked = Job.objects.select_for_update(of=("self",)).select_related("company")
    jobs = {job.pk: job for job in locked.filter(pk__in=ids).order_by("pk")}
    enrichments = {row.pk: row for row in JobEnrichment.objects.filter(job_id__in=jobs)}
    rows = _job_skill_rows(jobs)
    results: _Read = {}
    filled: dict[int, set[str]] = {}
    changes: dict[Job, dict[str, list[str]]] = {}
    found: dict[int, dict[str, bool]] = {}
    for pk, job in jobs.items():
        enrichment = enrichments.get(pk)
        if not force and _is_current(enrichment, _job_inputs(job, _skill_pairs(rows[pk]))):
            results[pk] = False
            continue
        text = job_text(job)
        filled_before = set(enrichment.filled) if enrichment else set()
        fields = _job_fills(job, job_features(title=job.title, text=text), filled_before)
        if fields:
            try:
                changes[job] = job_changes_set(job=job, **fields)
            except ValidationError as error:
                results[pk] = error
                continue
        results[pk] = True
        filled[pk] = filled_before | {"salary" if n.startswith("salary") else n for n in fields}
        if not job.company.is_tenant or not rows[pk] or "skills" in filled_before:
            found[pk] = _found_job_skills(job, text, taxonomy)
    jobs_changes_save(changes=changes, actor=None)
    tenant = {pk for pk in found if jobs[pk].company.is_tenant}
    changed = _job_skills_write(found, rows, tenant, taxonomy)
    rows.update(_job_skill_rows(changed))
    now = timezone.now()
    read = []
    for pk, names in filled.items():
        job = jobs[pk]
        if pk in changed:
            names.add("skills")
        declared = job.company.is_tenant and "skills" not in names
        read.append(
            JobEnrichment(
                job=job,
                text_hash=_job_inputs(job, _skill_pairs(rows[pk])),
                features=job_features_of(job, skills=rows[pk], declared=declared),
                filled=sorted(names),
                enriched_at=now,
            )
        )
    JobEnrichment.objects.bulk_create(
        read,
        update_conflicts=True,
        unique_fields=["job"],
        update_fields=["text_hash", "features", "filled", "enriched_at"],
    )
    return results


@transaction.atomic
def job_enrich(*, job: Job, taxonomy: _Skills | None = None, force: bool = False) -> bool:
    """Read one job again if its inputs changed (or `force`); return whether it was read."""
    return _one(_jobs_read([job.pk], taxonomy or _Skills(), force=force), job.pk, Job)


def _stale_jobs() -> QuerySet[Job]:
    """Jobs never read, changed since, or read by an older reader; archived ones left out."""
    return Job.objects.exclude(status=Job.Status.ARCHIVED).filter(
        Q(enrichment__isnull=True)
        | Q(updated_at__gt=F("enrichment__enriched_at"))
        | ~Q(enrichment__features__version=FEATURES_VERSION)
    )


def jobs_enrich(
    *, jobs: Iterable[Job] | QuerySet[Job] | None = None, progress: RunProgress | None = None
) -> dict:
    """Enrich `jobs` (default: every job changed since it was last read), then embed the ones
    whose embedded text changed. Return counts: enriched, unchanged, embedded, skipped."""
    ids = _ids(jobs, _stale_jobs())
    counts = {"enriched": 0, "unchanged": 0, "embedded": 0, "skipped": 0}
    if progress:
        progress.add_total(len(ids))
    taxonomy = _Skills()
    enriched = _enrich_chunks(
        ids,
        lambda chunk: _jobs_read(chunk, taxonomy),
        noun="job",
        counts=counts,
        progress=progress,
    )
    if enriched:
        counts["embedded"] = jobs_embed(jobs=Job.objects.filter(pk__in=enriched))
        if progress:
            progress.count("jobs.embedded", counts["embedded"])
    return counts


# --- Profiles ----------------------------------------------------------------------------------

_PROFILE_FIELDS = (
    "headline", "summary", "resume_text", "current_title", "city", "region", "country",
    "remote_preference", "seniority", "years_experience", "skills", "desired_salary_min",
    "desired_salary_currency", "desired_salary_period", "confirmed_fields",
)  # fmt: skip


def _profile_inputs(profile: CandidateProfile) -> str:
    return _digest([getattr(profile, name) for name in _PROFILE_FIELDS])


def _profile_fills(
    profile: CandidateProfile, read: dict, found_slugs: list[str], filled_before: set[str]
) -> dict[str, Any]:
    confirmed = set(profile.confirmed_fields)

    def may(name: str, blank: bool) -> bool:
        return name not in confirmed and (blank or name in filled_before)

    fields: dict[str, Any] = {}
    place = read["location"]
    if place.get("city") and may("city", not profile.city):
        fields["city"] = place["city"][:100]
    if place.get("country") and may("country", not profile.country):
        fields["country"] = place["country"]
    if (
        read["level"] is not None
        and read["level_source"] != "listed"
        and may("seniority", not profile.seniority)
    ):
        fields["seniority"] = LEVEL_SENIORITY[read["level"]]
    if read["years"] is not None and may("years_experience", profile.years_experience is None):
        fields["years_experience"] = min(70, int(read["years"]))
    if read["remote_only"] and may(
        "remote_preference", profile.remote_preference == RemotePreference.ANY
    ):
        fields["remote_preference"] = RemotePreference.REMOTE
    if read["role_title"] and may("current_title", not profile.current_title):
        fields["current_title"] = read["role_title"][:200]
    if found_slugs and "skills" not in confirmed:
        merged = list(dict.fromkeys([*profile.skills, *found_slugs]))
        if merged != list(profile.skills):
            fields["skills"] = merged
    return {name: value for name, value in fields.items() if getattr(profile, name) != value}


def _found_profile_skills(profile: CandidateProfile, read: dict, taxonomy: _Skills) -> list[str]:
    """Taxonomy skills the resume shows the candidate has (not those they say they lack or
    are only learning)."""
    strengths = read["skills"]
    text = f"{profile.headline}\n{profile_text(profile)}"
    return [
        slug
        for slug in taxonomy.find(text)
        if strengths.get(lexicon_key(taxonomy.names[slug]), 1.0) >= 0.5
    ]


def _profiles_read(ids: list[int], taxonomy: _Skills, *, force: bool = False) -> _Read:
    """Read the profiles `ids` whose inputs changed (or all, with `force`), in the caller's
    transaction, with a few queries for the lot; return as `_jobs_read` does."""
    locked = CandidateProfile.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    profiles = {profile.pk: profile for profile in locked}
    enrichments = {row.pk: row for row in ProfileEnrichment.objects.filter(profile_id__in=ids)}
    results: _Read = {}
    filled: dict[int, set[str]] = {}
    writes: dict[tuple[str, ...], list[CandidateProfile]] = defaultdict(list)
    for pk, profile in profiles.items():
        enrichment = enrichments.get(pk)
        if not force and _is_current(enrichment, _profile_inputs(profile)):
            results[pk] = False
            continue
        filled_before = set(enrichment.filled) if enrichment else set()
        read = profile_features(headline=profile.headline, text=profile_text(profile))
        found = _found_profile_skills(profile, read, taxonomy)
        fields = _profile_fills(profile, read, found, filled_before)
        if fields:
            for name, value in fields.items():
                setattr(profile, name, value)
            try:
                # The user is the locked row's own and unchanged: checking that it exists and
                # has no other profile would cost two queries and cannot fail.
                profile.full_clean(exclude=["user"])
            except ValidationError as error:
                results[pk] = error
                continue
            profile.updated_at = timezone.now()  # what save() sets (auto_now)
            writes[tuple(fields)].append(profile)
        results[pk] = True
        filled[pk] = filled_before | set(fields)
    for fields, changed in writes.items():
        CandidateProfile.objects.bulk_update(changed, [*fields, "updated_at"])
    now = timezone.now()
    ProfileEnrichment.objects.bulk_create(
        [
            ProfileEnrichment(
                profile=profiles[pk],
                text_hash=_profile_inputs(profiles[pk]),
                features=profile_features_of(profiles[pk], skill_names=taxonomy.names),
                filled=sorted(names),
                enriched_at=now,
            )
            for pk, names in filled.items()
        ],
        update_conflicts=True,
        unique_fields=["profile"],
        update_fields=["text_hash", "features", "filled", "enriched_at"],
    )
    return results


@transaction.atomic
def profile_enrich(
    *, profile: CandidateProfile, taxonomy: _Skills | None = None, force: bool = False
) -> bool:
    """Read one profile again if its inputs changed (or `force`); return whether it was."""
    result = _profiles_read([profile.pk], taxonomy or _Skills(), force=force)
    return _one(result, profile.pk, CandidateProfile)


def profile_refresh(*, profile: CandidateProfile) -> int:
    """Read a profile again after its owner changed it, then embed it if its text changed
    (the vector its matches are found by). Return how many vectors were made: 0 or 1."""
    try:
        profile_enrich(profile=profile)
    except ValidationError as error:
        # What the profile says stands; only the derived fields are left as they were.
        logger.warning("profile enrichment skipped", extra={"profile": profile.pk, "error": error})
    return profiles_embed(profiles=[profile])


def _stale_profiles() -> QuerySet[CandidateProfile]:
    return CandidateProfile.objects.filter(user__is_active=True).filter(
        Q(enrichment__isnull=True)
        | Q(updated_at__gt=F("enrichment__enriched_at"))
        | ~Q(enrichment__features__version=FEATURES_VERSION)
    )


def profiles_enrich(
    *,
    profiles: Iterable[CandidateProfile] | QuerySet[CandidateProfile] | None = None,
    progress: RunProgress | None = None,
) -> dict:
    """Enrich `profiles` (default: every active candidate's profile changed since it was last
    read), then embed those whose text changed. Return counts as `jobs_enrich` does."""
    ids = _ids(profiles, _stale_profiles())
    counts = {"enriched": 0, "unchanged": 0, "embedded": 0, "skipped": 0}
    if progress:
        progress.add_total(len(ids))
    taxonomy = _Skills()
    enriched = _enrich_chunks(
        ids,
        lambda chunk: _profiles_read(chunk, taxonomy),
        noun="profile",
        counts=counts,
        progress=progress,
    )
    if enriched:
        counts["embedded"] = profiles_embed(
            profiles=CandidateProfile.objects.filter(pk__in=enriched), progress=progress
        )
    return counts
