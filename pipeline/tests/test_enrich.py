"""The enrich stage: text into fields (without overwriting people's values), features, vectors."""

import pytest

from accounts.models import RemotePreference
from accounts.tests.factories import CandidateProfileFactory, CompanyFactory
from jobs.models import JobSkill
from jobs.services import job_update
from jobs.tests.factories import JobFactory, SkillFactory
from pipeline.enrich import jobs_enrich, profiles_enrich
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
