"""The enrich stage: text into fields (without overwriting people's values), features, vectors."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, CandidateProfile, RemotePreference
from accounts.tests.factories import CandidateProfileFactory, CompanyFactory
from jobs.models import Job, JobSkill, Skill
from jobs.services import job_update
from jobs.tests.factories import JobFactory, SkillFactory
from pipeline import enrich as enrich_module
from pipeline.enrich import job_enrich, jobs_enrich, profile_enrich, profiles_enrich
from pipeline.matching.features import FEATURES_VERSION
from pipeline.models import JobEnrichment, PipelineRun, ProfileEnrichment
from pipeline.runs import run_tracked

POSTING = """We build payments software.

Must have: 5+ years of Java; Kafka; PostgreSQL.
Nice to have: Kubernetes.

Seniority: senior. Location: Hamburg, Germany, hybrid (two days in the office). \
Salary: EUR 70,000-85,000."""

pytestmark = pytest.mark.django_db


@pytest.fixture
def skills():
    return {
        slug: SkillFactory(name=name, slug=slug, aliases=aliases)
        for name, slug, aliases in (
            ("Java", "java", []),
            ("Apache Kafka", "kafka", ["kafka"]),
            ("PostgreSQL", "postgresql", ["postgres"]),
            ("Kubernetes", "kubernetes", ["k8s"]),
        )
    }


def test_jobs_enrich_fills_only_blanks_of_a_tenant_job(skills):
    job = JobFactory(
        title="Backend Engineer",
        description_text=POSTING,
        city="Berlin",
        country="DE",
        seniority="",
        salary_min=60000,
        salary_max=65000,
        salary_currency="EUR",
    )

    counts = jobs_enrich(jobs=[job])

    job.refresh_from_db()
    assert counts["enriched"] == 1
    assert (job.city, job.salary_min, job.salary_max) == ("Berlin", 60000, 65000)  # kept
    assert job.seniority == "senior"  # filled
    assert job.remote == "hybrid"  # the model's default replaced by what the text says
    enrichment = JobEnrichment.objects.get(job=job)
    assert enrichment.features["version"] == FEATURES_VERSION
    assert enrichment.features["location"]["city"] == "Berlin"
    assert sorted(enrichment.filled) == ["remote", "seniority", "skills"]


def test_jobs_enrich_writes_skills_with_their_required_flag(skills):
    scraped = JobFactory(
        company=CompanyFactory(is_tenant=False), title="Backend Engineer", description_text=POSTING
    )

    jobs_enrich(jobs=[scraped])

    rows = dict(JobSkill.objects.filter(job=scraped).values_list("skill__slug", "required"))
    assert rows == {"java": True, "kafka": True, "postgresql": True, "kubernetes": False}


def test_jobs_enrich_keeps_a_recruiters_skills_on_a_tenant_job(skills):
    job = JobFactory(title="Backend Engineer", description_text=POSTING)
    JobSkill.objects.create(job=job, skill=skills["kubernetes"], required=True)

    jobs_enrich(jobs=[job])

    assert list(JobSkill.objects.filter(job=job).values_list("skill__slug", "required")) == [
        ("kubernetes", True)
    ]
    required = JobEnrichment.objects.get(job=job).features["required"]
    assert [["kubernetes"]] in [requirement["any"] for requirement in required]


def test_jobs_enrich_refreshes_what_it_filled_on_a_scraped_job():
    job = JobFactory(
        company=CompanyFactory(is_tenant=False),
        title="Data Engineer",
        description_text="Location: Munich, Germany, on site.",
        city="",
        country="",
    )
    jobs_enrich(jobs=[job])
    job.refresh_from_db()
    assert (job.city, job.country) == ("Munich", "DE")

    job_update(job=job, actor=None, description_text="Location: Vienna, Austria, on site.")
    jobs_enrich(jobs=[job])

    job.refresh_from_db()
    assert (job.city, job.country) == ("Vienna", "AT")


def test_jobs_enrich_reads_a_job_again_only_when_it_changed(skills):
    job = JobFactory(title="Backend Engineer", description_text=POSTING)
    assert jobs_enrich(jobs=[job])["enriched"] == 1
    first = JobEnrichment.objects.get(job=job).enriched_at

    assert jobs_enrich(jobs=[job]) == {"enriched": 0, "unchanged": 1, "embedded": 0, "skipped": 0}
    assert jobs_enrich()["enriched"] == 0  # nothing changed since it was read

    job_update(job=job, actor=None, description_text=POSTING.replace("Kafka", "RabbitMQ"))
    assert jobs_enrich()["enriched"] == 1
    assert JobEnrichment.objects.get(job=job).enriched_at > first


def test_jobs_enrich_embeds_and_reports_through_progress(skills):
    job = JobFactory(title="Backend Engineer", description_text=POSTING)

    with run_tracked(kind=PipelineRun.Kind.ENRICH) as progress:
        counts = jobs_enrich(jobs=[job], progress=progress)

    job.refresh_from_db()
    assert counts["embedded"] == 1
    assert job.embedding is not None and len(job.embedding) == 384
    run = PipelineRun.objects.get()
    assert run.status == PipelineRun.Status.SUCCEEDED
    assert run.progress_done == 1
    assert run.stats["counts"]["jobs.enriched"] == 1
    assert run.stats["counts"]["jobs.embedded"] == 1


RESUME = """Senior backend engineer with eight years of Java and Spring Boot. I have not used \
Kafka in production. I live in Berlin, Germany, and I only accept fully remote positions."""


def test_profiles_enrich_fills_unconfirmed_fields_and_keeps_confirmed_ones(skills):
    profile = CandidateProfileFactory(
        headline="Senior Java Engineer",
        resume_text=RESUME,
        city="Hamburg",
        country="",
        skills=[],
        confirmed_fields=["city"],
    )

    counts = profiles_enrich(profiles=[profile])

    profile.refresh_from_db()
    assert counts["enriched"] == 1
    assert profile.city == "Hamburg"  # confirmed
    assert profile.country == "DE"
    assert profile.seniority == "senior"
    assert profile.years_experience == 8
    assert profile.remote_preference == RemotePreference.REMOTE
    assert profile.current_title == "Senior Java Engineer"
    assert profile.skills == ["java"]  # not Kafka: the resume says they have not used it
    features = ProfileEnrichment.objects.get(profile=profile).features
    assert features["remote_only"] is True
    assert features["skills"]["kafka"] == 0.0
    assert profile.embedding is not None


def test_profiles_enrich_skips_unchanged_profiles(skills):
    profile = CandidateProfileFactory(headline="Senior Java Engineer", resume_text=RESUME)
    profiles_enrich(profiles=[profile])

    assert profiles_enrich(profiles=[profile])["unchanged"] == 1
    assert profiles_enrich()["enriched"] == 0


# --- Chunks: a few queries per chunk, one bad item skipped alone --------------------------------


def _scraped_jobs(n):
    company = CompanyFactory(is_tenant=False)
    return [
        JobFactory(
            company=company,
            title="Backend Engineer",
            description_text=POSTING,
            city="",
            country="",
            seniority="",
            salary_min=None,
            salary_max=None,
            salary_currency="",
        )
        for _ in range(n)
    ]


def _enrich_queries(enrich, items):
    with CaptureQueriesContext(connection) as queries:
        counts = enrich(items)
    assert counts["enriched"] == len(items)
    return len(queries)


def test_jobs_enrich_costs_the_same_queries_for_more_jobs(skills):

    def queries(n):
        jobs = [*_scraped_jobs(n), JobFactory(title="Backend Engineer", description_text=POSTING)]
        for job in jobs[:n]:  # a flag the text corrects
            JobSkill.objects.create(job=job, skill=skills["kubernetes"], required=True)
        return _enrich_queries(lambda items: jobs_enrich(jobs=items), jobs)

    assert queries(6) == queries(2)


def test_profiles_enrich_costs_at_most_one_query_more_per_profile(skills):

    def queries(n):
        profiles = [
            CandidateProfileFactory(headline="Senior Java Engineer", resume_text=RESUME, skills=[])
            for _ in range(n)
        ]
        return _enrich_queries(lambda items: profiles_enrich(profiles=items), profiles)

    # The one per profile is profile_features_of's (the names of the profile's skills).
    assert queries(6) <= queries(2) + 4


def test_jobs_enrich_audits_what_it_fills_as_job_update_does(skills):
    enriched, updated = _scraped_jobs(2)

    jobs_enrich(jobs=[enriched])
    fields = JobEnrichment.objects.get(job=enriched).filled
    enriched.refresh_from_db()
    assert set(fields) >= {"city", "country", "seniority", "salary"}
    values = {
        name: getattr(enriched, name)
        for name in ("city", "country", "remote", "seniority", "salary_min", "salary_max")
        + ("salary_currency", "salary_period")
        if getattr(enriched, name) != getattr(updated, name)
    }
    job_update(job=updated, actor=None, **values)

    def trail(job):
        return list(
            AuditEvent.objects.filter(target_type="jobs.job", target_id=str(job.pk))
            .exclude(action="job.created")
            .values_list(
                "actor", "actor_label", "company", "action", "target_repr", "changes", "ip_address"
            )
        )

    assert trail(enriched) == trail(updated)
    assert trail(enriched)[0][5]["city"] == ["", "Hamburg"]


def test_jobs_enrich_skips_an_invalid_job_and_keeps_the_rest_of_its_chunk(skills, monkeypatch):
    monkeypatch.setattr(enrich_module, "CHUNK", 2)
    jobs = _scraped_jobs(3)
    bad = jobs[1]
    Job.objects.filter(pk=bad.pk).update(employment_type="gig")  # no longer a choice

    with run_tracked(kind=PipelineRun.Kind.ENRICH) as progress:
        counts = jobs_enrich(jobs=jobs, progress=progress)

    assert (counts["enriched"], counts["skipped"]) == (2, 1)
    assert set(JobEnrichment.objects.values_list("job", flat=True)) == {jobs[0].pk, jobs[2].pk}
    bad.refresh_from_db()
    assert (bad.city, JobSkill.objects.filter(job=bad).count()) == ("", 0)
    assert not AuditEvent.objects.filter(action="job.updated", target_id=str(bad.pk)).exists()
    run = PipelineRun.objects.get()
    assert run.progress_done == 3
    assert run.stats["counts"]["skipped.job_enrich_invalid"] == 1
    assert run.stats["counts"]["jobs.enriched"] == 2


def test_profiles_enrich_skips_an_invalid_profile_and_keeps_the_others(skills):
    profiles = [
        CandidateProfileFactory(headline="Senior Java Engineer", resume_text=RESUME, skills=[])
        for _ in range(3)
    ]
    bad = profiles[0]
    CandidateProfile.objects.filter(pk=bad.pk).update(desired_salary_period="fortnight")

    counts = profiles_enrich(profiles=profiles)

    assert (counts["enriched"], counts["skipped"]) == (2, 1)
    assert not ProfileEnrichment.objects.filter(profile=bad).exists()
    bad.refresh_from_db()
    assert bad.skills == []
    assert CandidateProfile.objects.get(pk=profiles[2].pk).skills == ["java"]


def test_a_chunk_the_database_refuses_is_read_again_one_by_one(monkeypatch):
    """A DataError fails the whole chunk's transaction: its items are read again alone, so
    only the one at fault is skipped (and nothing of the failed attempt is kept)."""
    monkeypatch.setattr(enrich_module, "CHUNK", 3)

    def read(ids):
        for pk in ids:
            SkillFactory(slug=f"read-{pk}")
            if pk == 2:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1 / 0")  # DataError
        return dict.fromkeys(ids, True)

    counts = {"enriched": 0, "unchanged": 0, "skipped": 0}
    enriched = enrich_module._enrich_chunks(
        [1, 2, 3, 4], read, noun="job", counts=counts, progress=None
    )

    assert enriched == [1, 3, 4]
    assert counts == {"enriched": 3, "unchanged": 0, "skipped": 1}
    assert sorted(Skill.objects.values_list("slug", flat=True)) == ["read-1", "read-3", "read-4"]


def test_job_enrich_reads_one_job(skills):
    job = _scraped_jobs(1)[0]

    assert job_enrich(job=job) is True
    assert job_enrich(job=job) is False
    assert job_enrich(job=job, force=True) is True
    job.refresh_from_db()
    assert job.city == "Hamburg"
    with pytest.raises(Job.DoesNotExist):
        job_enrich(job=Job(pk=job.pk + 1000))


def test_job_enrich_raises_what_keeps_a_job_from_being_written(skills):
    job = _scraped_jobs(1)[0]
    Job.objects.filter(pk=job.pk).update(employment_type="gig")

    with pytest.raises(ValidationError):
        job_enrich(job=job)

    assert not JobEnrichment.objects.filter(job=job).exists()


def test_profile_enrich_reads_one_profile(skills):
    profile = CandidateProfileFactory(headline="Senior Java Engineer", resume_text=RESUME)

    assert profile_enrich(profile=profile) is True
    assert profile_enrich(profile=profile) is False
    with pytest.raises(CandidateProfile.DoesNotExist):
        profile_enrich(profile=CandidateProfile(pk=profile.pk + 1000))
