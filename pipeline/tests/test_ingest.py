"""The ingest services against the real database: upserts, duplicates across sources, closing
what vanished, and skips that lose nothing."""

from __future__ import annotations

import copy
import uuid

import pytest

from accounts.models import Company
from accounts.tests.factories import CompanyFactory, UserFactory
from jobs.models import Job, JobSkill, Skill
from jobs.services import job_create, job_publish
from pipeline.ingest import (
    Outcome,
    employer_get_or_create,
    ingest_deferred,
    ingest_finish,
    ingest_listing_failed,
    ingest_posting,
    ingest_skip,
    ingest_start,
)
from pipeline.models import PipelineRun, ScrapedPosting, Source
from pipeline.runs import run_tracked

pytestmark = pytest.mark.django_db

DESCRIPTION = (
    "Tidewater Analytics builds the analytics platform that logistics teams use to plan "
    "routes, forecast demand and understand their costs. As a backend engineer you will "
    "design, build and run the services behind it, written in Python with Django and "
    "PostgreSQL, deployed with Docker on Kubernetes. You will own APIs from the first sketch "
    "to production, review code with care, mentor two engineers and take part in a humane "
    "on-call rotation. We offer thirty days of holiday, a learning budget and a quiet office "
    "by the river in Berlin, and we are happy to talk about part-time arrangements."
)


def _posting(**overrides) -> dict:
    posting = {
        "external_id": "4012001",
        "url": "https://boards.greenhouse.io/tidewater/jobs/4012001",
        "title": "Senior Backend Engineer",
        "company": "Tidewater Analytics",
        "locations": [{"city": "Berlin", "region": None, "country": "DE"}],
        "remote": False,
        "workplace": "onsite",
        "employment_type": "full_time",
        "seniority": "senior",
        "date_posted": "2026-09-28",
        "valid_through": None,
        "salary": {"min": 70000, "max": 90000, "currency": "EUR", "period": "year"},
        "skills": ["python", "django", "cobol-for-martians"],
        "description": DESCRIPTION,
        "description_html": f"<p>{DESCRIPTION}</p>",
    }
    posting.update(overrides)
    return posting


def _source(name: str = "", kind: str = "greenhouse", company: Company | None = None) -> Source:
    return Source.objects.create(
        name=name or f"board {uuid.uuid4().hex[:6]}",
        kind=kind,
        company=company,
        config={"board": "tidewater"} if kind != "jsonld" else {"start_urls": ["https://x.org"]},
    )


def _crawl(source: Source, postings: list[dict], *, complete: bool = True) -> dict[str, int]:
    session = ingest_start(source=source)
    for posting in postings:
        ingest_posting(session=session, posting=posting, raw={"id": posting["external_id"]})
    return ingest_finish(session=session, complete=complete).counts


@pytest.fixture
def skills():
    return {
        name: Skill.objects.create(name=name, slug=name.lower())
        for name in ("Python", "Django", "Kotlin")
    }


def test_new_posting_creates_a_published_job_of_a_non_tenant_employer(skills):
    source = _source()

    counts = _crawl(source, [_posting()])

    assert counts["created"] == 1
    job = Job.objects.get()
    assert job.status == Job.Status.OPEN
    assert job.published_at.date().isoformat() == "2026-09-28"
    assert (job.title, job.city, job.country, job.remote, job.seniority) == (
        "Senior Backend Engineer",
        "Berlin",
        "DE",
        "onsite",
        "senior",
    )
    assert (job.salary_min, job.salary_max, job.salary_currency, job.salary_period) == (
        70000,
        90000,
        "EUR",
        "year",
    )
    assert job.company.name == "Tidewater Analytics" and job.company.is_tenant is False
    assert job.external_id == "4012001" and len(job.fingerprint) == 64
    assert set(JobSkill.objects.filter(job=job).values_list("skill__name", flat=True)) == {
        "Python",
        "Django",
    }
    posting = ScrapedPosting.objects.get()
    assert (posting.job, posting.source, posting.gone_at) == (job, source, None)
    assert posting.raw == {"id": "4012001"}


def test_unchanged_posting_writes_nothing_but_last_seen(skills):
    source = _source()
    _crawl(source, [_posting()])
    job = Job.objects.get()
    posting = ScrapedPosting.objects.get()

    counts = _crawl(source, [_posting()])

    assert counts["unchanged"] == 1 and "updated" not in counts
    job_after = Job.objects.get()
    assert job_after.updated_at == job.updated_at
    posting_after = ScrapedPosting.objects.get()
    assert posting_after.last_seen_at > posting.last_seen_at
    assert posting_after.content_hash == posting.content_hash


def test_changed_posting_updates_its_job_and_adds_new_skills(skills):
    source = _source()
    _crawl(source, [_posting()])
    job = Job.objects.get()

    counts = _crawl(source, [_posting(title="Staff Backend Engineer", skills=["kotlin"])])

    assert counts["updated"] == 1
    job_after = Job.objects.get()
    assert job_after.title == "Staff Backend Engineer"
    assert job_after.updated_at > job.updated_at
    # New skills are linked; pruning is enrichment's, which reads the changed job again.
    assert set(JobSkill.objects.filter(job=job).values_list("skill__name", flat=True)) == {
        "Python",
        "Django",
        "Kotlin",
    }


def test_same_job_on_two_sources_is_one_job_by_fingerprint():
    first, second = _source("greenhouse board"), _source("career pages", kind="jsonld")
    _crawl(first, [_posting()])

    counts = _crawl(
        second,
        [
            _posting(
                external_id="https://careers.tidewater.example/jobs/backend",
                url="https://careers.tidewater.example/jobs/backend",
                company="Tidewater Analytics GmbH",
                title="Sr. Backend Engineer (m/w/d)",
                description="A shorter text of the same job that shares few shingles.",
            )
        ],
    )

    assert counts["duplicate"] == 1 and counts["duplicate.fingerprint"] == 1
    assert Job.objects.count() == 1
    assert set(ScrapedPosting.objects.values_list("job_id", flat=True)) == {Job.objects.get().pk}
    assert Company.objects.filter(name__startswith="Tidewater").count() == 1


def test_same_url_with_tracking_parameters_is_one_job():
    first, second = _source("greenhouse board"), _source("aggregator", kind="jsonld")
    _crawl(first, [_posting()])
    url = (
        "https://boards.greenhouse.io/tidewater/jobs/4012001/"
        "?utm_source=newsletter&utm_medium=email&gclid=abc&fbclid=xyz&ref=feed&source=agg"
    )

    counts = _crawl(
        second,
        [_posting(external_id=url, url=url, title="Backend Engineer, Platform team")],
    )

    assert counts["duplicate.url"] == 1
    assert Job.objects.count() == 1
    assert ScrapedPosting.objects.get(source=second).url == (
        "https://boards.greenhouse.io/tidewater/jobs/4012001"
    )


def test_near_duplicate_description_of_the_same_employer_is_one_job():
    first, second = _source("greenhouse board"), _source("career pages", kind="jsonld")
    _crawl(first, [_posting()])
    reworded = DESCRIPTION.replace("thirty days of holiday", "thirty-two days of holiday")

    counts = _crawl(
        second,
        [
            _posting(
                external_id="https://careers.tidewater.example/jobs/7",
                url="https://careers.tidewater.example/jobs/7",
                title="Python Engineer (Backend)",
                description=reworded,
            )
        ],
    )

    assert counts["duplicate.near"] == 1
    assert Job.objects.count() == 1


def test_near_duplicate_of_another_employer_or_place_is_a_new_job():
    first, second = _source("greenhouse board"), _source("career pages", kind="jsonld")
    _crawl(first, [_posting()])

    counts = _crawl(
        second,
        [
            _posting(
                external_id="https://other.example/jobs/1",
                url="https://other.example/jobs/1",
                title="Python Engineer",
                company="Harbour Freight Systems",
            ),
            _posting(
                external_id="https://careers.tidewater.example/jobs/8",
                url="https://careers.tidewater.example/jobs/8",
                title="Python Engineer",
                locations=[{"city": "Munich", "region": None, "country": "DE"}],
            ),
        ],
    )

    assert counts["created"] == 2 and "duplicate" not in counts
    assert Job.objects.count() == 3


def test_vanished_posting_is_closed_after_a_complete_crawl():
    source = _source()
    _crawl(source, [_posting(), _posting(external_id="2", url="https://x.example/2", title="QA")])

    counts = _crawl(source, [_posting()])

    assert counts["closed"] == 1 and counts["gone"] == 1
    closed = Job.objects.get(external_id="2")
    assert closed.status == Job.Status.CLOSED
    assert ScrapedPosting.objects.get(external_id="2").gone_at is not None
    assert Job.objects.get(external_id="4012001").status == Job.Status.OPEN


def test_incomplete_crawl_closes_nothing():
    source = _source()
    _crawl(source, [_posting(), _posting(external_id="2", url="https://x.example/2", title="QA")])
    session = ingest_start(source=source)
    ingest_listing_failed(session=session, reason="http_500", detail="HTTP 500 for the listing")

    result = ingest_finish(session=session)

    assert result.complete is False and result.closed_jobs == 0
    assert Job.objects.filter(status=Job.Status.OPEN).count() == 2
    assert not ScrapedPosting.objects.filter(gone_at__isnull=False).exists()


def test_unreadable_posting_is_kept_alive_but_a_gone_page_is_closed():
    source = _source()
    postings = [
        _posting(),
        _posting(external_id="2", url="https://x.example/2", title="QA Engineer"),
        _posting(external_id="3", url="https://x.example/3", title="Designer"),
    ]
    _crawl(source, postings)
    session = ingest_start(source=source)
    ingest_skip(session=session, reason="timeout", detail="took too long", external_id="2")
    ingest_skip(session=session, reason="not_found", detail="HTTP 404", external_id="3")
    ingest_posting(session=session, posting=_posting(), raw={})

    result = ingest_finish(session=session)

    assert result.counts["skipped.timeout"] == 1 and result.closed_jobs == 1
    assert Job.objects.get(external_id="2").status == Job.Status.OPEN
    assert Job.objects.get(external_id="3").status == Job.Status.CLOSED


def test_job_stays_open_while_another_source_still_lists_it():
    first, second = _source("greenhouse board"), _source("career pages", kind="jsonld")
    _crawl(first, [_posting()])
    other_url = "https://careers.tidewater.example/jobs/backend"
    _crawl(second, [_posting(external_id=other_url, url=other_url)])

    counts = _crawl(first, [])

    job = Job.objects.get()
    assert counts["gone"] == 1 and counts["closed"] == 0
    assert job.status == Job.Status.OPEN
    # The posting still listed takes over the job's provenance.
    assert (job.external_url, job.external_id) == (other_url, other_url)

    _crawl(second, [])
    assert Job.objects.get().status == Job.Status.CLOSED


def test_posting_back_after_it_vanished_reopens_its_job():
    source = _source()
    _crawl(source, [_posting()])
    _crawl(source, [])
    assert Job.objects.get().status == Job.Status.CLOSED

    counts = _crawl(source, [_posting()])

    assert counts["reopened"] == 1
    assert Job.objects.get().status == Job.Status.OPEN
    assert ScrapedPosting.objects.get().gone_at is None


def test_a_recruiters_job_linked_as_duplicate_is_never_closed_by_a_crawl():
    tenant = CompanyFactory(name="Tidewater Analytics")
    recruiter = UserFactory(is_superuser=True)
    job = job_create(
        company=tenant,
        title="Senior Backend Engineer",
        actor=recruiter,
        city="Berlin",
        country="DE",
        external_url="https://boards.greenhouse.io/tidewater/jobs/4012001",
    )
    job_publish(job=job, actor=recruiter)
    source = _source(company=tenant)
    _crawl(source, [_posting()])
    assert Job.objects.count() == 1 and ScrapedPosting.objects.get().job == job

    _crawl(source, [])

    assert Job.objects.get().status == Job.Status.OPEN


def test_source_company_wins_and_a_posting_naming_a_tenant_gets_its_own_employer():
    tenant = CompanyFactory(name="Tidewater Analytics", is_tenant=True)
    own = _source(company=tenant)
    aggregator = _source("aggregator", kind="jsonld")

    _crawl(own, [_posting()])
    qa = "Test our analytics platform by hand and with Playwright; write clear bug reports."
    _crawl(
        aggregator,
        [
            _posting(
                external_id="https://agg.example/1",
                url="https://agg.example/1",
                title="QA Engineer",
                description=qa,
            )
        ],
    )

    assert Job.objects.get(external_id="4012001").company == tenant
    scraped = Job.objects.get(external_id="https://agg.example/1").company
    assert scraped != tenant and scraped.is_tenant is False
    assert scraped.name == "Tidewater Analytics" and scraped.slug != tenant.slug


def test_employer_is_found_again_by_normalised_name():
    first = employer_get_or_create(name="Acme Robotics, Inc.")

    assert employer_get_or_create(name="ACME robotics") == first
    assert employer_get_or_create(name="The Acme Robotics GmbH") == first
    assert employer_get_or_create(name="Acme Rockets") != first


def test_posting_that_fails_validation_is_a_counted_skip_and_keeps_the_stored_job():
    source = _source(kind="jsonld")
    with run_tracked(kind=PipelineRun.Kind.SCRAPE, source=source) as progress:
        session = ingest_start(source=source, progress=progress)
        ingest_posting(session=session, posting=_posting(), raw={})
        bad = _posting(url="not a url at all", external_id="9")
        outcome = ingest_posting(session=session, posting=bad, raw={})
        no_company = _posting(company=None, external_id="10", url="https://x.example/10")
        ingest_posting(session=session, posting=no_company, raw={})
        ingest_finish(session=session)

    run = PipelineRun.objects.get()
    assert outcome == Outcome.SKIPPED
    assert run.status == "succeeded"
    assert run.stats["counts"]["skipped.invalid"] == 1
    assert run.stats["counts"]["skipped.missing_company"] == 1
    assert run.stats["counts"]["created"] == 1 and run.stats["counts"]["seen"] == 3
    assert any("missing_company" in error for error in run.stats["errors"])
    assert Job.objects.count() == 1


def test_absurd_salary_is_dropped_not_stored():
    source = _source()
    salary = {"min": 10**12, "max": 10**13, "currency": "EUR", "period": "year"}

    _crawl(source, [_posting(salary=salary)])

    job = Job.objects.get()
    assert (job.salary_min, job.salary_max, job.salary_currency) == (None, None, "")


def test_posting_dict_is_not_modified():
    source = _source()
    posting = _posting()
    before = copy.deepcopy(posting)

    _crawl(source, [posting])

    assert posting == before


def test_board_postings_without_an_employer_take_the_boards_name():
    source = Source.objects.create(
        name="kestrel", kind="lever", config={"site": "kestrel-mobility"}
    )

    _crawl(source, [_posting(company=None)])

    assert Job.objects.get().company.name == "Kestrel Mobility"


def test_postings_deferred_past_max_pages_are_not_closed():
    source = _source(kind="jsonld")
    _crawl(source, [_posting(), _posting(external_id="2", url="https://x.example/2", title="QA")])
    session = ingest_start(source=source)
    ingest_deferred(session=session, external_ids=["2"])

    result = ingest_finish(session=session)

    assert result.counts["deferred"] == 1 and result.closed_jobs == 1
    assert Job.objects.get(external_id="2").status == Job.Status.OPEN
    assert Job.objects.get(external_id="4012001").status == Job.Status.CLOSED
