"""The enrich stage: read postings and resumes into their fields and into matching's features,
then give what changed new vectors.

A job or profile is read again only when what it is read from changed: a hash of its text and
fields (after enrichment's own writes) is kept beside its features (`JobEnrichment`,
`ProfileEnrichment`), with the reader's version, so a better reader re-reads everything once.

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
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import CandidateProfile, RemotePreference, SalaryPeriod
from jobs.models import Job, JobSkill, Skill
from jobs.services import job_update, jobs_embed
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


def _digest(parts: Iterable[Any]) -> str:
    payload = json.dumps([FEATURES_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _ids(items: Iterable | QuerySet | None, default: QuerySet) -> list[int]:
    if items is None:
        items = default
    if isinstance(items, QuerySet):
        return list(items.values_list("pk", flat=True))
    return [item.pk for item in items]


class _Skills:
    """The database's skill taxonomy for one run: found in text, by slug, by id."""

    def __init__(self) -> None:
        self.matcher: SkillMatcher = skill_matcher()
        self._ids: dict[str, int] | None = None

    def find(self, text: str | None, *, prose: bool = True) -> list[str]:
        """Slugs of the skills written in `text`, in order."""
        slugs = [self.matcher.skills[m.index].slug for m in self.matcher.find(text, prose=prose)]
        return list(dict.fromkeys(slugs))

    def ids(self) -> dict[str, int]:
        if self._ids is None:
            self._ids = dict(Skill.objects.values_list("slug", "id"))
        return self._ids


# --- Jobs --------------------------------------------------------------------------------------


def _job_inputs(job: Job, skills: list[tuple[int, bool]]) -> str:
    return _digest(
        [
            job.title, job_text(job), job.city, job.region, job.country, job.remote,
            job.seniority, job.salary_min, job.salary_max, job.salary_currency,
            job.salary_period, sorted(skills),
        ]
    )  # fmt: skip


def _job_skill_rows(job: Job) -> list[JobSkill]:
    return list(JobSkill.objects.filter(job=job).select_related("skill"))


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
    job: Job, rows: list[JobSkill], found: dict[str, bool], taxonomy: _Skills, *, tenant: bool
) -> bool:
    """Create the JobSkill rows of skills the text names, with their required flag; on a
    scraped job also correct the flag of existing rows. Return whether anything changed."""
    ids = taxonomy.ids()
    current = {row.skill.slug: row for row in rows}
    changed = False
    create = [
        JobSkill(job=job, skill_id=ids[slug], required=required)
        for slug, required in found.items()
        if slug not in current and slug in ids
    ]
    if create:
        JobSkill.objects.bulk_create(create, ignore_conflicts=True)
        changed = True
    if not tenant:
        for slug, row in current.items():
            if slug in found and row.required != found[slug]:
                row.required = found[slug]
                row.save(update_fields=["required"])
                changed = True
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


@transaction.atomic
def job_enrich(*, job: Job, taxonomy: _Skills | None = None, force: bool = False) -> bool:
    """Read one job again if its inputs changed (or `force`); return whether it was read."""
    taxonomy = taxonomy or _Skills()
    job = Job.objects.select_for_update().select_related("company").get(pk=job.pk)
    enrichment = JobEnrichment.objects.filter(job=job).first()
    rows = _job_skill_rows(job)
    before = _job_inputs(job, [(row.skill_id, row.required) for row in rows])
    if (
        not force
        and enrichment is not None
        and enrichment.text_hash == before
        and enrichment.features.get("version") == FEATURES_VERSION
    ):
        return False
    text = job_text(job)
    filled_before = set(enrichment.filled) if enrichment else set()
    tenant = job.company.is_tenant
    read = job_features(title=job.title, text=text)
    fields = _job_fills(job, read, filled_before)
    if fields:
        job = job_update(job=job, actor=None, **fields)
    skills_owned = not tenant or not rows or "skills" in filled_before
    filled = filled_before | {"salary" if name.startswith("salary") else name for name in fields}
    if skills_owned and _job_skills_write(
        job, rows, _found_job_skills(job, text, taxonomy), taxonomy, tenant=tenant
    ):
        filled.add("skills")
        rows = _job_skill_rows(job)
    features = job_features_of(job, skills=rows, declared=tenant and "skills" not in filled)
    JobEnrichment.objects.update_or_create(
        job=job,
        defaults={
            "text_hash": _job_inputs(job, [(row.skill_id, row.required) for row in rows]),
            "features": features,
            "filled": sorted(filled),
            "enriched_at": timezone.now(),
        },
    )
    return True


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
    enriched: list[int] = []
    for pk in ids:
        try:
            done = job_enrich(job=Job(pk=pk), taxonomy=taxonomy)
        except Job.DoesNotExist:
            done = None  # deleted since the list was made
        except (ValidationError, DataError) as error:
            # One job whose fields cannot take what its text says must not stop the rest.
            counts["skipped"] += 1
            if progress:
                progress.skip("job_enrich_invalid", detail=f"job {pk}: {error}")
            else:
                logger.warning("job enrichment skipped", extra={"job": pk, "error": str(error)})
            done = None
        if done:
            enriched.append(pk)
            counts["enriched"] += 1
        elif done is False:
            counts["unchanged"] += 1
        if progress:
            progress.advance(**({"jobs.enriched": 1} if done else {"jobs.unchanged": 1}))
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
    names = {skill.slug: skill.name for skill in taxonomy.matcher.skills}
    return [
        slug for slug in taxonomy.find(text) if strengths.get(lexicon_key(names[slug]), 1.0) >= 0.5
    ]


@transaction.atomic
def profile_enrich(
    *, profile: CandidateProfile, taxonomy: _Skills | None = None, force: bool = False
) -> bool:
    """Read one profile again if its inputs changed (or `force`); return whether it was."""
    taxonomy = taxonomy or _Skills()
    profile = CandidateProfile.objects.select_for_update().get(pk=profile.pk)
    enrichment = ProfileEnrichment.objects.filter(profile=profile).first()
    if (
        not force
        and enrichment is not None
        and enrichment.text_hash == _profile_inputs(profile)
        and enrichment.features.get("version") == FEATURES_VERSION
    ):
        return False
    filled_before = set(enrichment.filled) if enrichment else set()
    read = profile_features(headline=profile.headline, text=profile_text(profile))
    fields = _profile_fills(
        profile, read, _found_profile_skills(profile, read, taxonomy), filled_before
    )
    if fields:
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.full_clean()
        profile.save(update_fields=[*fields, "updated_at"])
    ProfileEnrichment.objects.update_or_create(
        profile=profile,
        defaults={
            "text_hash": _profile_inputs(profile),
            "features": profile_features_of(profile),
            "filled": sorted(filled_before | set(fields)),
            "enriched_at": timezone.now(),
        },
    )
    return True


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
    enriched: list[int] = []
    for pk in ids:
        try:
            done = profile_enrich(profile=CandidateProfile(pk=pk), taxonomy=taxonomy)
        except CandidateProfile.DoesNotExist:
            done = None
        except (ValidationError, DataError) as error:
            counts["skipped"] += 1
            if progress:
                progress.skip("profile_enrich_invalid", detail=f"profile {pk}: {error}")
            else:
                logger.warning("profile enrichment skipped", extra={"profile": pk})
            done = None
        if done:
            enriched.append(pk)
            counts["enriched"] += 1
        elif done is False:
            counts["unchanged"] += 1
        if progress:
            progress.advance(**({"profiles.enriched": 1} if done else {"profiles.unchanged": 1}))
    if enriched:
        counts["embedded"] = profiles_embed(
            profiles=CandidateProfile.objects.filter(pk__in=enriched), progress=progress
        )
    return counts
