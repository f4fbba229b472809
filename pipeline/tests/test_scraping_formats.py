"""The per-kind parsers, config validation, dedup keys and sanitising: plain functions, no
Scrapy and no database."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from jobs.descriptions import html_sanitise
from pipeline.normalize import taxonomy_build
from pipeline.scraping.config import listing_url, source_config_validate
from pipeline.scraping.dedup import (
    company_key,
    description_minhash,
    locations_compatible,
    posting_fingerprint,
    title_key,
    url_canonical,
)
from pipeline.scraping.formats import (
    PostingInvalid,
    ashby_posting,
    greenhouse_posting,
    jsonld_posting,
    lever_posting,
    listing_jobs,
    posting_parse,
)
from pipeline.scraping.postings import (
    Page,
    PostingNotFound,
    PostingUnreadable,
    page_read,
    posting_find,
)

FIXTURES = Path(__file__).parent / "fixtures"
TAXONOMY = taxonomy_build(
    [(name, []) for name in ("Python", "Django", "PostgreSQL", "SQL", "PyTorch", "React")]
)


def _jobs(kind: str) -> list:
    return listing_jobs(kind, json.loads((FIXTURES / "boards" / f"{kind}.json").read_text()))


# --- Greenhouse -------------------------------------------------------------------------------


def test_greenhouse_job_becomes_a_posting_with_salary_place_and_safe_html():
    posting = greenhouse_posting(_jobs("greenhouse")[0], taxonomy=TAXONOMY)

    assert posting["external_id"] == "4012001"
    assert posting["title"] == "Senior Backend Engineer (Python)"
    assert posting["company"] == "Tidewater Analytics"
    assert posting["locations"] == [{"city": "Berlin", "region": None, "country": "DE"}]
    assert (posting["workplace"], posting["remote"]) == ("onsite", False)
    assert posting["employment_type"] == "full_time"
    assert posting["salary"] == {"min": 70000, "max": 90000, "currency": "EUR", "period": "year"}
    assert posting["date_posted"] == "2026-09-28"
    assert posting["skills"] == ["django", "postgresql", "python"]
    assert posting["description"].startswith("About the role\n\nYou will design")
    assert "<h2>About the role</h2>" in posting["description_html"]
    assert "script" not in posting["description_html"]
    assert "alert" not in posting["description_html"]
    assert "onclick" not in posting["description_html"]


def test_greenhouse_remote_part_time_with_pay_in_a_text_field():
    posting = greenhouse_posting(_jobs("greenhouse")[1], taxonomy=TAXONOMY)

    assert (posting["workplace"], posting["remote"]) == ("remote", True)
    assert posting["locations"] == [{"city": None, "region": None, "country": "US"}]
    assert posting["employment_type"] == "part_time"
    assert posting["salary"] == {"min": 45, "max": 55, "currency": "USD", "period": "hour"}


def test_greenhouse_hybrid_office():
    posting = greenhouse_posting(_jobs("greenhouse")[2], taxonomy=TAXONOMY)

    assert posting["workplace"] == "hybrid"
    assert posting["locations"][0] == {"city": "Amsterdam", "region": None, "country": "NL"}


# --- Lever ------------------------------------------------------------------------------------


def test_lever_posting_reads_salary_range_workplace_type_and_locations():
    posting = lever_posting(_jobs("lever")[0], taxonomy=TAXONOMY)

    assert posting["external_id"] == "5f1c2a10-aaaa-4b6e-9d31-000000000001"
    assert posting["title"] == "Machine Learning Engineer"
    assert posting["salary"] == {"min": 80000, "max": 105000, "currency": "EUR", "period": "year"}
    assert (posting["workplace"], posting["remote"]) == ("hybrid", False)
    assert posting["locations"][0] == {"city": "Munich", "region": None, "country": "DE"}
    assert posting["employment_type"] == "full_time"
    assert posting["date_posted"] == "2026-09-21"  # createdAt 1790000000000 ms
    assert posting["url"] == "https://jobs.lever.co/kestrel/5f1c2a10-aaaa-4b6e-9d31-000000000001"
    assert "<h3>What you will do</h3>" in posting["description_html"]
    assert "<li>Ship demand forecasting models</li>" in posting["description_html"]
    assert "Relocation support is available." in posting["description"]
    assert posting["skills"] == ["python", "pytorch"]


def test_lever_remote_hourly_part_time_from_plain_text():
    posting = lever_posting(_jobs("lever")[1], taxonomy=TAXONOMY)

    assert (posting["workplace"], posting["remote"]) == ("remote", True)
    assert posting["salary"] == {"min": 24, "max": 30, "currency": "USD", "period": "hour"}
    assert posting["employment_type"] == "part_time"
    assert posting["locations"] == [{"city": None, "region": None, "country": "US"}]
    assert posting["description_html"].startswith("<p>Help fleet operators")


def test_lever_intern_without_salary_is_an_onsite_internship():
    posting = lever_posting(_jobs("lever")[2], taxonomy=TAXONOMY)

    assert posting["salary"] is None
    assert (posting["workplace"], posting["employment_type"]) == ("onsite", "internship")
    assert posting["locations"] == [{"city": "Vienna", "region": None, "country": "AT"}]


def test_lever_one_time_pay_is_no_salary():
    job = copy.deepcopy(_jobs("lever")[0])
    job["salaryRange"]["interval"] = "one-time"

    assert lever_posting(job, taxonomy=TAXONOMY)["salary"] is None


# --- Ashby ------------------------------------------------------------------------------------


def test_ashby_job_takes_the_widest_salary_of_its_tiers_and_its_addresses():
    posting = ashby_posting(_jobs("ashby")[0], taxonomy=TAXONOMY)

    assert posting["salary"] == {"min": 80000, "max": 110000, "currency": "EUR", "period": "year"}
    assert posting["workplace"] == "hybrid"
    assert posting["locations"] == [
        {"city": "Lisbon", "region": "Lisbon", "country": "PT"},
        {"city": "Porto", "region": None, "country": "PT"},
    ]
    assert posting["employment_type"] == "full_time"
    assert posting["date_posted"] == "2026-09-30"
    assert posting["skills"] == ["react"]


def test_ashby_is_remote_hourly_part_time():
    posting = ashby_posting(_jobs("ashby")[1], taxonomy=TAXONOMY)

    assert (posting["workplace"], posting["remote"]) == ("remote", True)
    assert posting["salary"] == {"min": 28, "max": 34, "currency": "EUR", "period": "hour"}
    assert posting["employment_type"] == "part_time"
    assert posting["locations"] == [{"city": None, "region": "EU", "country": None}]


def test_ashby_top_level_compensation_tiers_and_unlisted_jobs():
    job = copy.deepcopy(_jobs("ashby")[2])
    job["compensationTiers"] = [
        {
            "components": [
                {
                    "compensationType": "Salary",
                    "interval": "1 MONTH",
                    "currencyCode": "GBP",
                    "minValue": 4000,
                    "maxValue": 5000,
                }
            ]
        }
    ]
    assert ashby_posting(job, taxonomy=TAXONOMY)["salary"] == {
        "min": 4000,
        "max": 5000,
        "currency": "GBP",
        "period": "month",
    }
    job["isListed"] = False
    with pytest.raises(PostingInvalid) as error:
        ashby_posting(job, taxonomy=TAXONOMY)
    assert error.value.reason == "unlisted"


# --- Malformed items --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "job", "reason"),
    [
        ("greenhouse", {"title": "No id"}, "missing_id"),
        ("greenhouse", {"id": 7, "title": "", "absolute_url": "https://x.org/7"}, "missing_title"),
        ("lever", {"id": "u1", "text": "Engineer"}, "missing_url"),
        ("ashby", ["not", "an", "object"], "malformed_item"),
        ("lever", {"id": True, "text": "Engineer"}, "missing_id"),
    ],
)
def test_items_missing_an_id_or_title_are_invalid_with_a_reason(kind, job, reason):
    with pytest.raises(PostingInvalid) as error:
        posting_parse(kind, job, taxonomy=TAXONOMY)
    assert error.value.reason == reason


def test_missing_title_keeps_the_id_so_the_stored_posting_stays_alive():
    with pytest.raises(PostingInvalid) as error:
        greenhouse_posting({"id": 7, "absolute_url": "https://x.org/7"}, taxonomy=TAXONOMY)
    assert error.value.external_id == "7"


@pytest.mark.parametrize(
    ("kind", "payload"),
    [("greenhouse", [1, 2]), ("ashby", {"apiVersion": "1"}), ("lever", {"jobs": []})],
)
def test_listing_of_the_wrong_shape_is_invalid(kind, payload):
    with pytest.raises(PostingInvalid) as error:
        listing_jobs(kind, payload)
    assert error.value.reason == "invalid_listing"


# --- JSON-LD pages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "title", "company"),
    [
        ("linkedin-job", "Start kariéry jako Junior C++ Programátor/ka", "Experis Czech Republic"),
        ("remoteok-job", "Software Engineer II", "Comscore"),
        ("stackoverflow-job", "Solution Engineer (M/F/X)", "QUAJOO GmbH"),
        ("stackoverflow-job-remote", "Senior Front-End Engineer", "Hummingbot"),
        ("weworkremotely-job", "DevOps Engineer, Kubernetes, AWS/GCP", "Bluelight Consulting"),
    ],
)
def test_real_pages_become_postings_keyed_by_canonical_url(page, title, company):
    found = posting_find(page_read(FIXTURES / "jobposting-pages" / f"{page}.html"))
    url = f"https://Careers.Example.org/jobs/{page}/?utm_campaign=x&fbclid=1"

    posting = jsonld_posting(
        found.data, url=url, taxonomy=TAXONOMY, page_description=found.page_description
    )

    assert (posting["title"], posting["company"]) == (title, company)
    assert posting["external_id"] == f"https://careers.example.org/jobs/{page}"
    assert posting["description"] and posting["description_html"]
    assert "<script" not in posting["description_html"]


def test_page_whose_json_ld_no_repair_reads_is_unreadable_not_merely_without_posting():
    broken = Page(b'<html><script type="application/ld+json">{"title": [[[</script></html>')
    empty = Page(b"<html><body><p>We are not hiring.</p></body></html>")

    with pytest.raises(PostingUnreadable):
        posting_find(broken)
    with pytest.raises(PostingNotFound) as error:
        posting_find(empty)
    assert not isinstance(error.value, PostingUnreadable)


# --- Config -----------------------------------------------------------------------------------


def test_valid_configs_are_cleaned_and_give_listing_urls(settings):
    settings.SCRAPE_GREENHOUSE_BASE_URL = "https://boards-api.greenhouse.io"
    greenhouse = source_config_validate(kind="greenhouse", config={"board": " acme "})
    lever = source_config_validate(
        kind="lever", config={"board": "acme", "base_url": "http://127.0.0.1:8000/demo/"}
    )
    ashby = source_config_validate(kind="ashby", config={"board": "acme", "company": "Acme"})

    assert listing_url(kind="greenhouse", config=greenhouse) == (
        "https://boards-api.greenhouse.io/v1/boards/acme/jobs?content=true"
    )
    assert listing_url(kind="lever", config=lever) == (
        "http://127.0.0.1:8000/demo/v0/postings/acme?mode=json"
    )
    assert listing_url(kind="ashby", config=ashby) == (
        "https://api.ashbyhq.com/posting-api/job-board/acme?includeCompensation=true"
    )
    jsonld = source_config_validate(
        kind="jsonld",
        config={"sitemap_urls": "https://x.org/sitemap.xml", "allow": [r"/jobs/\d+"]},
    )
    assert jsonld["sitemap_urls"] == ["https://x.org/sitemap.xml"]


@pytest.mark.parametrize(
    ("kind", "config", "message"),
    [
        ("greenhouse", {}, 'A greenhouse source needs "board"'),
        ("greenhouse", {"board": "acme/../x"}, '"board" must be a board name'),
        ("lever", {"sites": "acme"}, "Unknown key(s) for a lever source: sites"),
        ("ashby", {"board": "acme", "base_url": "ftp://x"}, '"base_url" must be an http(s) URL'),
        ("jsonld", {}, 'A jsonld source needs "start_urls"'),
        ("jsonld", {"start_urls": ["javascript:alert(1)"]}, "not http(s) URLs"),
        ("jsonld", {"start_urls": ["https://x.org"], "allow": ["(unclosed"]}, "not a valid"),
        ("jsonld", {"start_urls": ["https://x.org"], "max_pages": 0}, '"max_pages" must be'),
        ("greenhouse", ["board"], "must be a JSON object"),
    ],
)
def test_bad_configs_give_a_clear_message(kind, config, message):
    with pytest.raises(ValidationError) as error:
        source_config_validate(kind=kind, config=config)
    assert any(message in text for text in error.value.message_dict["config"])


# --- Dedup keys -------------------------------------------------------------------------------


def test_canonical_url_strips_tracking_parameters_and_noise():
    assert url_canonical(
        "HTTPS://www.Example.org:443/jobs/42/?utm_source=li&utm_medium=x&gclid=1&fbclid=2"
        "&ref=feed&source=agg&lang=en&id=7#apply"
    ) == ("https://example.org/jobs/42?id=7&lang=en")
    assert url_canonical("http://example.org:8080/a//b/") == "http://example.org:8080/a/b"


def test_fingerprint_ignores_legal_forms_case_gender_tags_and_abbreviations():
    berlin = [{"city": "Berlin", "region": None, "country": "DE"}]
    one = posting_fingerprint(
        company="Tidewater Analytics GmbH",
        title="Sr. Backend Engineer (m/w/d)",
        locations=berlin,
        remote=False,
    )
    two = posting_fingerprint(
        company="tidewater analytics",
        title="Senior backend engineer",
        locations=berlin,
        remote=False,
    )
    munich = posting_fingerprint(
        company="Tidewater Analytics",
        title="Senior Backend Engineer",
        locations=[{"city": "Munich", "country": "DE"}],
        remote=False,
    )

    assert one == two != munich
    assert company_key("The Acme Robotics, Inc.") == "acme robotics"
    assert title_key("Jr. Data Engineer (f/m/x)") == "junior data engineer"


def test_minhash_finds_reworded_text_similar_and_other_text_not():
    text = " ".join(f"word{i} shared phrase number {i}" for i in range(60))
    reworded = text.replace("word10 ", "term10 ")
    other = " ".join(f"different content {i} entirely" for i in range(60))

    base = description_minhash(text)
    assert base.jaccard(description_minhash(reworded)) > 0.9
    assert base.jaccard(description_minhash(other)) < 0.2
    assert description_minhash("too short") is None


def test_locations_are_compatible_unless_a_named_field_differs():
    berlin = {"city": "Berlin", "country": "DE"}
    assert locations_compatible(berlin, {"country": "DE"})
    assert locations_compatible(berlin, {})
    assert not locations_compatible(berlin, {"city": "Munich", "country": "DE"})


# --- Sanitising -------------------------------------------------------------------------------


def test_sanitised_html_keeps_text_markup_and_drops_anything_active():
    dirty = (
        '<h1>Role</h1><p style="color:red" onmouseover="x()">Hi <a href="javascript:steal()">'
        'me</a> <a href="https://x.org/apply">apply</a></p><script>alert(1)</script>'
        '<iframe src="https://evil.example"></iframe><img src=x onerror="alert(1)">'
        "<form><input name=q></form><ul><li>One</li></ul>"
    )

    clean = html_sanitise(dirty)

    assert clean.startswith("<h2>Role</h2><p>Hi <a>me</a>")
    assert '<a href="https://x.org/apply" rel="nofollow noopener noreferrer">apply</a>' in clean
    for bad in ("script", "alert", "iframe", "onerror", "onmouseover", "style", "<img", "<form"):
        assert bad not in clean
    assert "<ul><li>One</li></ul>" in clean


def test_plain_and_entity_encoded_descriptions_become_safe_html():
    assert html_sanitise("Line one\nline two\n\n<3 & more") == (
        "<p>Line one<br>line two</p><p>&lt;3 &amp; more</p>"
    )
    assert (
        html_sanitise("&lt;p&gt;Hello &amp;amp; welcome&lt;/p&gt;") == "<p>Hello &amp; welcome</p>"
    )
    assert html_sanitise("") == ""
