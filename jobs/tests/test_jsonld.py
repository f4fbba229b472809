"""The JobPosting JSON-LD of job pages, read back as a search engine does (extruct)."""

import re
from datetime import datetime, timedelta

import extruct
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import CompanyFactory
from jobs import jsonld
from jobs.models import Job
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db

SITE = "https://jobs.example.org"
EMPLOYMENT_TYPES = {"FULL_TIME", "PART_TIME", "CONTRACTOR", "TEMPORARY", "INTERN", "VOLUNTEER",
                    "PER_DIEM", "OTHER"}  # fmt: skip
UNITS = {"HOUR", "DAY", "WEEK", "MONTH", "YEAR"}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def posting_of(client, job: Job) -> tuple[dict, str]:
    path = reverse("job-detail", kwargs={"company_slug": job.company.slug, "slug": job.slug})
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    data = extruct.extract(html, base_url=SITE + path, syntaxes=["json-ld"])["json-ld"]
    postings = [item for item in data if item.get("@type") == "JobPosting"]
    assert len(postings) == 1
    return postings[0], html


def iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None, value
    return moment


def assert_required(posting: dict, job: Job) -> None:
    """Google's required properties, present and valid."""
    assert posting["@context"].startswith("https://schema.org")
    assert posting["title"] == job.title
    assert posting["description"].startswith("<")  # HTML
    assert iso(posting["datePosted"]) == job.published_at
    organization = posting["hiringOrganization"]
    assert organization["@type"] == "Organization" and organization["name"] == job.company.name
    if posting.get("jobLocationType") == "TELECOMMUTE":
        requirement = posting["applicantLocationRequirements"]
        assert requirement["@type"] in ("Country", "State", "AdministrativeArea")
        assert requirement["name"]
    else:
        place = posting["jobLocation"]
        assert place["@type"] == "Place"
        assert place["address"]["@type"] == "PostalAddress"
        assert place["address"]["addressCountry"]
    assert posting["employmentType"] in EMPLOYMENT_TYPES
    assert iso(posting["validThrough"]) > iso(posting["datePosted"])
    identifier = posting["identifier"]
    assert identifier == {"@type": "PropertyValue", "name": job.company.name, "value": str(job.pk)}
    assert isinstance(posting["directApply"], bool)


def test_an_onsite_job_with_a_salary(client):
    company = CompanyFactory(name="Acme & Sons", website="https://acme.example")
    published = timezone.now() - timedelta(days=3)
    job = JobFactory(
        company=company,
        title="Senior Backend Engineer",
        description_html="<p>Build <strong>APIs</strong>.</p>",
        city="Munich",
        region="Bavaria",
        country="DE",
        remote=Job.Remote.HYBRID,
        salary_min=70_000,
        salary_max=90_000,
        salary_currency="EUR",
        salary_period="year",
        published_at=published,
    )

    posting, _ = posting_of(client, job)

    assert_required(posting, job)
    assert posting["description"] == "<p>Build <strong>APIs</strong>.</p>"
    assert posting["hiringOrganization"]["sameAs"] == "https://acme.example"
    assert posting["jobLocation"]["address"] == {
        "@type": "PostalAddress",
        "addressLocality": "Munich",
        "addressRegion": "Bavaria",
        "addressCountry": "DE",
    }
    assert "jobLocationType" not in posting
    assert posting["employmentType"] == "FULL_TIME"
    # No closing date: valid for 60 days after publication.
    assert iso(posting["validThrough"]) == published + timedelta(days=60)
    salary = posting["baseSalary"]
    assert salary["@type"] == "MonetaryAmount"
    assert re.fullmatch(r"[A-Z]{3}", salary["currency"]) and salary["currency"] == "EUR"
    value = salary["value"]
    assert value["@type"] == "QuantitativeValue"
    assert (value["minValue"], value["maxValue"]) == (70_000, 90_000)
    assert value["unitText"] in UNITS and value["unitText"] == "YEAR"
    assert posting["directApply"] is True
    assert posting["url"] == SITE + reverse(
        "job-detail", kwargs={"company_slug": company.slug, "slug": job.slug}
    )


def test_a_remote_scraped_contract_without_salary(client):
    company = CompanyFactory(name="Faraway Ltd", is_tenant=False)
    closes = timezone.now() + timedelta(days=10)
    job = JobFactory(
        company=company,
        title="Remote Data Contractor",
        description_html="",
        description_text="Clean data.\n\nShip reports & dashboards.",
        city="",
        country="PT",
        remote=Job.Remote.REMOTE,
        employment_type=Job.EmploymentType.CONTRACT,
        salary_min=None,
        salary_max=None,
        salary_currency="",
        closes_at=closes,
        external_url="https://faraway.example/jobs/7",
    )

    posting, _ = posting_of(client, job)

    assert_required(posting, job)
    assert posting["jobLocationType"] == "TELECOMMUTE"
    assert posting["applicantLocationRequirements"] == {"@type": "Country", "name": "PT"}
    assert "jobLocation" not in posting
    assert posting["description"] == "<p>Clean data.</p><p>Ship reports &amp; dashboards.</p>"
    assert posting["employmentType"] == "CONTRACTOR"
    assert iso(posting["validThrough"]) == closes
    assert "baseSalary" not in posting
    assert "sameAs" not in posting["hiringOrganization"]
    assert posting["directApply"] is False


def test_a_remote_job_of_a_region_requires_applicants_there():
    job = JobFactory(remote=Job.Remote.REMOTE, country="", region="European Union")
    posting = jsonld.job_posting(job, url=SITE + "/jobs/x/y/")
    assert posting["applicantLocationRequirements"] == {
        "@type": "AdministrativeArea",
        "name": "European Union",
    }


@pytest.mark.parametrize(
    ("employment_type", "expected"),
    [("full_time", "FULL_TIME"), ("part_time", "PART_TIME"), ("contract", "CONTRACTOR"),
     ("temporary", "TEMPORARY"), ("internship", "INTERN")],
)  # fmt: skip
def test_employment_types_map_to_schema_org(employment_type, expected):
    job = JobFactory.build(employment_type=employment_type, company=CompanyFactory.build())
    job.published_at = timezone.now()
    assert jsonld.job_posting(job, url=SITE)["employmentType"] == expected


@pytest.mark.parametrize(
    ("period", "unit"),
    [("hour", "HOUR"), ("day", "DAY"), ("week", "WEEK"), ("month", "MONTH"), ("year", "YEAR")],
)
def test_salary_periods_map_to_unit_text(period, unit):
    job = JobFactory.build(salary_period=period, salary_max=None, company=CompanyFactory.build())
    job.published_at = timezone.now()
    value = jsonld.job_posting(job, url=SITE)["baseSalary"]["value"]
    assert value == {"@type": "QuantitativeValue", "unitText": unit, "minValue": 60_000}


def test_the_script_cannot_be_closed_by_the_job_text(client):
    title = "Engineer </script><script>alert(1)</script> <!-- & more"
    job = JobFactory(title=title, description_html="<p>A </script> tag.</p>")

    posting, html = posting_of(client, job)

    assert posting["title"] == title
    assert posting["description"] == "<p>A </script> tag.</p>"
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in script and ">" not in script and "&" not in script
    assert "<script>alert(1)" not in html
