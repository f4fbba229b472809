import itertools
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.postgres.search import SearchQuery as TextQuery
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import CompanyFactory
from jobs import search
from jobs.models import CurrencyRate, Job, JobSkill, SearchTerm
from jobs.search import JobSearchFilters, correct_query, salary_yearly, search_jobs, tuning
from jobs.services import currency_rates_sync, job_embed, jobs_embed, search_vocabulary_refresh
from jobs.tests.factories import JobFactory, SkillFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

SKILL_NAMES = {
    "python": "Python",
    "django": "Django",
    "postgresql": "PostgreSQL",
    "react": "React",
    "kubernetes": "Kubernetes",
    "figma": "Figma",
}


@pytest.fixture(autouse=True)
def _currency_rates():
    # Migration 0004 fills the rates; a transactional test elsewhere may have flushed them.
    if not CurrencyRate.objects.exists():
        currency_rates_sync()


@pytest.fixture(autouse=True)
def _fresh_search_caches():
    search.search_caches_clear()
    yield
    search.search_caches_clear()


def make_job(title, description="", *, skills=(), days_ago=1.0, **fields) -> Job:
    fields.setdefault("published_at", timezone.now() - timedelta(days=days_ago))
    job = JobFactory(title=title, description_text=description, **fields)
    for slug in skills:
        skill = SkillFactory(slug=slug, name=SKILL_NAMES.get(slug, slug.title()))
        JobSkill.objects.create(job=job, skill=skill)
    return job


def ids(result) -> list[int]:
    return [hit.job.pk for hit in result.results]


# --- Relevance, syntax, typos, highlighting ------------------------------------------------


def test_exact_title_match_beats_a_description_mention():
    mention = make_job("Backend Engineer", "You will work next to our data scientist team.")
    title = make_job("Data Scientist", "Build models.", days_ago=20)
    make_job("Frontend Engineer", "React all day.")

    result = search_jobs(query="data scientist")

    assert ids(result) == [title.pk, mention.pk]
    assert result.total == 2 and result.total_is_exact
    assert result.mode_used == "fulltext"
    top = result.results[0].score_parts
    assert top["text_rank"] > result.results[1].score_parts["text_rank"]
    assert 0 < top["recency"] < 1


def test_recency_breaks_ties_between_equally_relevant_jobs():
    old = make_job("Python Developer", days_ago=60)
    new = make_job("Python Developer", days_ago=2)
    assert ids(search_jobs(query="python developer")) == [new.pk, old.pk]


def test_skills_weigh_more_than_the_description():
    in_skills = make_job("Backend Engineer", "Build services.", skills=["kubernetes"], days_ago=9)
    in_text = make_job("Backend Engineer", "We run Kubernetes.", days_ago=1)
    assert ids(search_jobs(query="kubernetes")) == [in_skills.pk, in_text.pk]


def test_a_typo_query_finds_the_job_and_says_what_it_searched():
    python = make_job("Python Developer", "Build APIs.", skills=["python"])
    make_job("Product Designer", "Design flows.")
    search_vocabulary_refresh()

    result = search_jobs(query="pyhton developr")

    assert ids(result) == [python.pk]
    assert result.did_you_mean == "python developer"
    assert result.query_used == "python developer"
    assert "<mark>Python</mark>" in result.results[0].title_html


def test_a_query_that_finds_enough_is_not_corrected():
    make_job("Python Developer")
    search_vocabulary_refresh()
    result = search_jobs(query="python developer")
    assert result.did_you_mean is None and result.query_used == "python developer"


def test_correct_query_keeps_the_search_syntax_and_known_words():
    make_job("Senior Kubernetes Engineer", skills=["kubernetes"])
    make_job("Python Developer", skills=["python"])
    search_vocabulary_refresh()
    assert SearchTerm.objects.filter(word="kubernetes").exists()

    assert correct_query('"kubernets enginer" OR pyhton -pyhton') == (
        '"kubernetes engineer" OR python -pyhton'
    )
    assert correct_query("senior engineer") is None
    assert correct_query("xyzzy") is None  # nothing near it


def test_websearch_syntax_quotes_or_and_exclusion():
    phrase = make_job("Machine Learning Engineer", "Train models.")
    apart = make_job("Learning Platform Engineer", "Machine rooms.")
    rust = make_job("Rust Developer", "Systems work.")

    assert set(ids(search_jobs(query="machine learning"))) == {phrase.pk, apart.pk}
    assert ids(search_jobs(query='"machine learning"')) == [phrase.pk]
    assert set(ids(search_jobs(query="rust OR platform"))) == {rust.pk, apart.pk}
    assert ids(search_jobs(query="engineer -platform")) == [phrase.pk]


def test_highlights_are_marked_and_everything_else_is_escaped():
    make_job(
        "Python <b>Developer</b>",
        "Write <script>alert(1)</script> Python & Django, with \ue000 forged marks \ue001.",
    )
    hit = search_jobs(query="python").results[0]

    assert hit.title_html == "<mark>Python</mark> &lt;b&gt;Developer&lt;/b&gt;"
    assert "<mark>Python</mark>" in hit.snippet_html
    # ts_headline drops the markup of the text; whatever is left is escaped.
    assert "<script" not in hit.snippet_html and "alert(1)" in hit.snippet_html
    assert "&amp;" in hit.snippet_html
    stripped = hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and "\ue000" not in stripped


def test_snippets_without_a_query_are_the_start_of_the_description():
    make_job("Chef", "word " * 50)
    hit = search_jobs().results[0]
    assert hit.snippet_html.endswith("…") and "<mark>" not in hit.snippet_html


# --- Only open jobs, validation ------------------------------------------------------------


def test_only_open_jobs_that_have_not_closed_are_found():
    open_job = make_job("Data Engineer")
    make_job("Data Engineer", status=Job.Status.DRAFT, published_at=None)
    make_job("Data Engineer", status=Job.Status.CLOSED)
    make_job("Data Engineer", closes_at=timezone.now() - timedelta(hours=1), days_ago=10)

    assert ids(search_jobs(query="data engineer")) == [open_job.pk]
    assert ids(search_jobs()) == [open_job.pk]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sort": "cheapest"}, "sort"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": 101}, "page_size"),
        ({"page": 600, "page_size": 20}, "page"),
        ({"mode": "magic"}, "mode"),
        ({"query": "x" * 501}, "query"),
        ({"filters": {"remote": "moon"}}, "remote"),
        ({"filters": {"country": "Germany"}}, "country"),
        ({"filters": {"skills": ["no-such-skill"]}}, "skills"),
        ({"filters": {"company": ["no-such-company"]}}, "company"),
        ({"filters": {"salary_min": "lots"}}, "salary_min"),
        ({"filters": {"salary_min": 90_000, "salary_max": 50_000}}, "salary_max"),
        ({"filters": {"posted_within_days": 0}}, "posted_within_days"),
        ({"filters": {"colour": "blue"}}, "colour"),
        ({"filters": {"city": 5}}, "city"),
    ],
)
def test_bad_input_is_a_validation_error_with_field_messages(kwargs, field):
    with pytest.raises(ValidationError) as error:
        search_jobs(**kwargs)
    assert field in error.value.message_dict


def test_filters_are_cleaned_and_accepted_as_a_dataclass():
    job = make_job("Engineer", remote="remote", country="DE", salary_min=60_000)
    filters = JobSearchFilters.from_data(
        {"remote": "remote", "country": [" de ", "DE"], "salary_min": "50000", "city": ""}
    )
    assert filters == JobSearchFilters(remote=("remote",), country=("DE",), salary_min=50_000)
    assert filters.as_dict() == {"country": ["DE"], "remote": ["remote"], "salary_min": 50_000}
    assert JobSearchFilters.from_data(filters) == filters
    assert JobSearchFilters.from_data(None).is_empty
    assert ids(search_jobs(filters=filters)) == [job.pk]


def test_the_callers_transaction_keeps_its_planner_settings(embedded_jobs):
    search_vocabulary_refresh()
    search_jobs(query="machine learning", filters={"remote": "onsite"}, mode="hybrid")
    search_jobs(query="pyhton")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), "
            "current_setting('enable_bitmapscan'), current_setting('hnsw.iterative_scan'), "
            "current_setting('pg_trgm.similarity_threshold')"
        )
        assert cursor.fetchone() == ("on", "on", "on", "off", "0.3")


def test_a_query_of_only_stop_words_browses():
    job = make_job("Engineer")
    result = search_jobs(query="the and of")
    assert ids(result) == [job.pk] and result.total == 1


# --- Filters and facets --------------------------------------------------------------------

PLACES = [("Berlin", "DE"), ("Munich", "DE"), ("London", "GB"), ("New York", "US"), ("", "")]
SALARIES = [  # (min, max, currency, period)
    (50_000, 70_000, "EUR", "year"),
    (4_000, 6_000, "GBP", "month"),
    (120_000, 160_000, "USD", "year"),
    (None, None, "", "year"),
    (500, 700, "EUR", "day"),
    (80_000, None, "EUR", "year"),
]
SKILL_SETS = [("python", "django"), ("python",), ("react",), ("python", "postgresql"), ()]


@pytest.fixture
def catalogue():
    """24 engineering jobs over every filter's values, and a few jobs that do not match."""
    companies = [CompanyFactory(name=n.title(), slug=n) for n in ("acme", "globex", "initech")]
    jobs = []
    combos = zip(
        range(24),
        itertools.cycle(PLACES),
        itertools.cycle(Job.Remote.values),
        itertools.cycle(["full_time", "contract", "part_time", "full_time"]),
        itertools.cycle(["senior", "junior", "mid", "senior", ""]),
        itertools.cycle(companies),
        itertools.cycle(SALARIES),
        itertools.cycle(SKILL_SETS),
        strict=False,
    )
    for n, (city, country), remote, kind, seniority, company, salary, skills in combos:
        low, high, currency, period = salary
        jobs.append(
            make_job(
                f"Software Engineer {n}",
                "Build things.",
                skills=skills,
                days_ago=[0.5, 2, 5, 10, 20, 45][n % 6],
                city=city,
                country=country,
                remote=remote,
                employment_type=kind,
                seniority=seniority,
                company=company,
                salary_min=low,
                salary_max=high,
                salary_currency=currency,
                salary_period=period,
            )
        )
    make_job("Product Designer", "Design.", company=companies[0], skills=["figma"])
    make_job("Software Engineer", "Closed.", status=Job.Status.CLOSED, company=companies[1])
    return jobs


def _orm(queryset, filters: dict, skip: str | None = None):
    """The same filters, written independently with the ORM."""
    now = timezone.now()
    for name, value in filters.items():
        if name == skip:
            continue
        if name in ("city", "country", "remote", "employment_type", "seniority"):
            queryset = queryset.filter(**{f"{name}__in": value})
        elif name == "company":
            queryset = queryset.filter(company__slug__in=value)
        elif name == "skills":
            for slug in value:
                queryset = queryset.filter(job_skills__skill__slug=slug)
        elif name == "posted_within_days":
            queryset = queryset.filter(published_at__gte=now - timedelta(days=value))
        elif name == "salary_min":
            keep = [j.pk for j in queryset if _top(j) is not None and _top(j) >= value]
            queryset = queryset.filter(pk__in=keep)
        elif name == "salary_max":
            keep = [j.pk for j in queryset if _bottom(j) is not None and _bottom(j) <= value]
            queryset = queryset.filter(pk__in=keep)
    return queryset


def _yearly(amount, job):
    return salary_yearly(amount, job.salary_currency, job.salary_period)


def _top(job):
    return _yearly(job.salary_max, job) or _yearly(job.salary_min, job)


def _bottom(job):
    return _yearly(job.salary_min, job) or _yearly(job.salary_max, job)


def _matching():
    return Job.objects.filter(
        status=Job.Status.OPEN, search_vector=TextQuery("engineer", search_type="websearch")
    )


FILTER_CASES = [
    {},
    {"city": ["Berlin"]},
    {"country": ["DE", "GB"]},
    {"remote": ["remote"]},
    {"employment_type": ["contract"]},
    {"seniority": ["senior", "junior"]},
    {"company": ["acme"]},
    {"skills": ["python", "django"]},
    {"salary_min": 75_000},
    {"salary_max": 60_000},
    {"posted_within_days": 7},
    {"country": ["DE"], "remote": ["hybrid", "remote"], "seniority": ["senior"]},
    {"skills": ["python"], "salary_min": 50_000, "posted_within_days": 30, "company": ["globex"]},
]


@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: ",".join(f) or "none")
def test_filters_narrow_and_facets_agree_with_orm_counts(catalogue, filters):
    result = search_jobs(query="engineer", filters=filters, page_size=100)

    expected = set(_orm(_matching(), filters).values_list("pk", flat=True))
    assert set(ids(result)) == expected
    assert result.total == len(expected) and result.total_is_exact
    facets = result.facets
    assert not any(facet.approximate for facet in facets.values())

    for name in ("city", "country", "remote", "employment_type", "seniority"):
        others = _orm(_matching(), filters, skip=name)
        for value in facets[name].values:
            assert value.count == others.filter(**{name: value.value}).count(), (name, value)
        shown = {v.value for v in facets[name].values if v.count}
        actual = set(others.values_list(name, flat=True)) - ({""} if name != "seniority" else set())
        assert shown == actual, name
    others = _orm(_matching(), filters, skip="company")
    for value in facets["company"].values:
        assert value.count == others.filter(company__slug=value.value).count()
    everything = _orm(_matching(), filters)
    for value in facets["skills"].values:
        assert value.count == everything.filter(job_skills__skill__slug=value.value).count()
    posted = _orm(_matching(), filters, skip="posted_within_days")
    for value in facets["posted_within_days"].values:
        since = timezone.now() - timedelta(days=int(value.value))
        assert value.count == posted.filter(published_at__gte=since).count(), value
    salaried = _orm(_matching(), {k: v for k, v in filters.items() if not k.startswith("sal")})
    for value in facets["salary"].values:
        assert value.count == sum(
            1 for j in salaried if _top(j) is not None and _top(j) >= int(value.value)
        ), value


def test_selected_filter_values_show_in_their_facet_even_without_matches(catalogue):
    result = search_jobs(query="engineer", filters={"city": ["Tokyo"]})
    assert result.total == 0
    tokyo = [v for v in result.facets["city"].values if v.value == "Tokyo"]
    assert tokyo == [search.FacetValue("Tokyo", "Tokyo", 0, True)]
    assert sum(v.count for v in result.facets["city"].values) == 20  # 24 minus 4 anywhere


def test_facets_of_a_large_set_are_sampled_and_flagged(catalogue, monkeypatch):
    monkeypatch.setattr(tuning, "FACET_MAX_ROWS", 8)
    result = search_jobs(query="engineer")
    assert all(facet.approximate for facet in result.facets.values())
    # A 1/4 sample of 24 jobs: the scaled counts add up to a multiple of 4 near 24.
    total = sum(v.count for v in result.facets["remote"].values)
    assert total % 4 == 0 and 0 < total <= 60


# --- Salaries ------------------------------------------------------------------------------


def test_salaries_are_normalised_to_yearly_in_the_search_currency(settings):
    assert settings.SEARCH_CURRENCY == "EUR"
    monthly = make_job("A", salary_min=4_000, salary_max=5_000, salary_currency="GBP",
                       salary_period="month")  # fmt: skip
    daily = make_job("B", salary_min=500, salary_max=None, salary_currency="EUR",
                     salary_period="day")  # fmt: skip
    none = make_job("C", salary_min=None, salary_max=None, salary_currency="")
    for job in (monthly, daily, none):
        job.refresh_from_db()
    assert (monthly.salary_min_yearly, monthly.salary_max_yearly) == (56_160, 70_200)
    assert (daily.salary_min_yearly, daily.salary_max_yearly) == (100_000, None)
    assert (none.salary_min_yearly, none.salary_max_yearly) == (None, None)
    assert salary_yearly(4_000, "GBP", "month") == 56_160

    monthly.salary_period = "year"
    monthly.save()
    monthly.refresh_from_db()
    assert monthly.salary_min_yearly == 4_680


def test_currency_rates_sync_rewrites_the_rates_and_the_yearly_salaries(settings):
    job = make_job("A", salary_min=100_000, salary_max=120_000, salary_currency="USD")
    settings.SEARCH_CURRENCY = "USD"
    assert currency_rates_sync() >= 1
    job.refresh_from_db()
    assert CurrencyRate.objects.get(currency="USD").rate == 1
    assert job.salary_min_yearly == 100_000
    settings.SEARCH_CURRENCY = "EUR"
    currency_rates_sync()
    job.refresh_from_db()
    assert job.salary_min_yearly == 92_000


# --- Sorting and pagination ----------------------------------------------------------------


def test_sort_by_newest_and_by_salary():
    old = make_job("Go Engineer", days_ago=30, salary_min=90_000, salary_max=100_000)
    new = make_job("Go Engineer", days_ago=1, salary_min=40_000, salary_max=50_000)
    unpaid = make_job("Go Engineer", days_ago=3, salary_min=None, salary_max=None,
                      salary_currency="")  # fmt: skip
    dollars = make_job("Go Engineer", days_ago=9, salary_min=95_000, salary_max=105_000,
                       salary_currency="USD")  # fmt: skip

    assert ids(search_jobs(query="go", sort="newest")) == [new.pk, unpaid.pk, dollars.pk, old.pk]
    # 105,000 USD is 96,600 EUR a year: below 100,000 EUR; no salary comes last.
    assert ids(search_jobs(query="go", sort="salary")) == [old.pk, dollars.pk, new.pk, unpaid.pk]
    assert ids(search_jobs(sort="salary")) == [old.pk, dollars.pk, new.pk, unpaid.pk]


def test_pages_cover_every_match_once_with_the_right_totals():
    jobs = [make_job(f"Platform Engineer {n}", days_ago=n + 1) for n in range(7)]
    pages = [search_jobs(query="platform", page=p, page_size=3) for p in (1, 2, 3, 4)]

    assert [len(page.results) for page in pages] == [3, 3, 1, 0]
    assert {page.total for page in pages} == {7}
    assert pages[0].num_pages == 3 and pages[0].has_next and not pages[2].has_next
    seen = [pk for page in pages for pk in ids(page)]
    assert sorted(seen) == sorted(job.pk for job in jobs)
    assert [hit.position for hit in pages[1].results] == [4, 5, 6]


def test_broad_queries_rank_a_recent_window_and_still_reach_every_match(monkeypatch):
    """The bounded plan, at small scale: totals estimated, ranking over a recency window,
    then older matches newest first, every match exactly once."""
    monkeypatch.setattr(tuning, "COUNT_CAP", 5)
    monkeypatch.setattr(tuning, "RANK_CANDIDATES", 2)
    monkeypatch.setattr(tuning, "ESTIMATE_SAMPLE", 2)  # estimate from the 1/4 sample
    jobs = [make_job(f"Cloud Engineer {n}", "Cloud.", days_ago=n + 0.5) for n in range(12)]
    make_job("Florist", days_ago=0.1)
    best_but_old = make_job("Cloud Engineer Cloud Cloud", "Cloud cloud cloud.", days_ago=40)

    first = search_jobs(query="cloud", page_size=4)
    assert not first.total_is_exact and first.total > 5  # estimated from the 1/4 sample
    pages = [first] + [search_jobs(query="cloud", page=p, page_size=4) for p in (2, 3, 4)]
    seen = [pk for page in pages for pk in ids(page)]
    assert sorted(seen) == sorted([j.pk for j in jobs] + [best_but_old.pk])
    # The old job is outside the window: it comes last, in recency order.
    assert seen[-1] == best_but_old.pk


@pytest.mark.parametrize("sort", ["newest", "salary"])
def test_ordered_pages_of_a_large_set_read_windows_and_keep_the_order(monkeypatch, sort):
    """Newest and best paid first when counting is capped: each page comes from a window of
    the order, widened when it holds too few; every match appears once, in order."""
    monkeypatch.setattr(tuning, "COUNT_CAP", 3)
    monkeypatch.setattr(tuning, "ESTIMATE_SAMPLE", 2)
    jobs = [
        make_job(f"Data Engineer {n}", days_ago=n + 0.5, salary_min=40_000 + 1_000 * (n % 7),
                 salary_max=50_000 + 1_000 * (n % 7))
        for n in range(15)
    ]  # fmt: skip
    jobs += [make_job("Data Engineer", days_ago=3.2, salary_min=None, salary_max=None,
                      salary_currency="")]  # fmt: skip
    make_job("Chef", days_ago=0.1, salary_min=900_000, salary_max=990_000)

    seen = [
        pk
        for page in (1, 2, 3, 4, 5, 6)
        for pk in ids(search_jobs(query="data", sort=sort, page=page, page_size=3))
    ]

    def top(job):
        return job.salary_max or -1

    if sort == "newest":
        expected = sorted(jobs, key=lambda j: (j.published_at, j.pk), reverse=True)
    else:
        expected = sorted(jobs, key=lambda j: (top(j), j.published_at, j.pk), reverse=True)
    assert seen == [job.pk for job in expected]


def test_filter_values_with_quotes_and_spaces_are_matched_exactly():
    quoted = make_job("Nurse", city="St. John's", country="CA")
    make_job("Nurse", city="St. Johns", country="CA")
    result = search_jobs(query="nurse", filters={"city": ["St. John's"]})
    assert ids(result) == [quoted.pk]
    assert ids(search_jobs(filters={"city": ["St. John's"], "country": "ca"})) == [quoted.pk]


# --- Semantic and hybrid -------------------------------------------------------------------


@pytest.fixture
def embedded_jobs():
    ml = make_job("ML Engineer", "Build neural network models that recommend songs.")
    chef = make_job("Pastry Chef", "Bake bread and croissants every morning.")
    driver = make_job("Truck Driver", "Deliver parcels across the region.")
    assert jobs_embed(jobs=Job.objects.all()) == 3
    return ml, chef, driver


def test_semantic_search_finds_ml_engineer_for_machine_learning(embedded_jobs):
    ml, _, _ = embedded_jobs
    result = search_jobs(query="machine learning", mode="semantic")
    assert result.mode_used == "semantic"
    assert ids(result)[0] == ml.pk
    parts = result.results[0].score_parts
    assert parts["semantic_position"] == 1 and parts["semantic_distance"] < 0.7
    # No word is shared, so full text alone finds nothing.
    assert search_jobs(query="machine learning", mode="fulltext").total == 0


def test_hybrid_is_the_default_when_embeddings_exist_and_fuses_both_rankings(embedded_jobs):
    ml, chef, _ = embedded_jobs
    result = search_jobs(query="machine learning")
    assert result.mode_used == "hybrid"
    assert ids(result)[0] == ml.pk

    bread = search_jobs(query="bread")
    assert bread.mode_used == "hybrid" and ids(bread)[0] == chef.pk
    parts = bread.results[0].score_parts
    assert parts["text_position"] == 1 and parts["semantic_position"] == 1
    assert parts["rrf"] == pytest.approx(2 / 61, abs=1e-6)


@pytest.mark.parametrize("exact_limit", [0, 2_000], ids=["hnsw", "exact"])
def test_semantic_results_respect_the_filters(embedded_jobs, monkeypatch, exact_limit):
    monkeypatch.setattr(tuning, "SEMANTIC_EXACT_LIMIT", exact_limit)
    ml, _, _ = embedded_jobs
    Job.objects.filter(pk=ml.pk).update(remote="remote", city="Paris", country="FR")

    kept = search_jobs(query="machine learning", mode="semantic", filters={"remote": "remote"})
    assert ids(kept) == [ml.pk]
    gone = search_jobs(query="machine learning", mode="semantic", filters={"country": "DE"})
    assert ml.pk not in ids(gone)


def test_other_orders_than_relevance_search_by_words_only(embedded_jobs):
    result = search_jobs(query="bread", mode="hybrid", sort="newest")
    assert result.mode_used == "fulltext" and result.total == 1


def test_hybrid_falls_back_to_full_text_without_embeddings():
    job = make_job("ML Engineer", "Neural networks.")
    for mode in ("auto", "hybrid", "semantic"):
        result = search_jobs(query="ml engineer", mode=mode)
        assert result.mode_used == "fulltext", mode
        assert ids(result) == [job.pk]


def test_jobs_embed_skips_jobs_whose_text_is_unchanged(embedded_jobs):
    ml, chef, _ = embedded_jobs
    assert jobs_embed(jobs=Job.objects.all()) == 0
    before = list(Job.objects.get(pk=chef.pk).embedding)

    chef.description_text = "Bake cakes."
    chef.save()
    assert jobs_embed(jobs=[ml, chef]) == 1
    chef = job_embed(job=chef)
    assert list(chef.embedding) != before
    assert len(chef.content_hash) == 64


def test_searching_does_not_load_the_model_without_semantic_search():
    script = (
        "import sys, django; django.setup()\n"
        "import jobs.search, jobs.services, jobs.selectors, applications.selectors\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "recruitment.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


# --- The columns the database keeps --------------------------------------------------------


def test_skills_are_kept_on_the_job_by_the_database():
    job = make_job("Engineer", skills=["python", "django"])
    stale = Job.objects.get(pk=job.pk)
    job.refresh_from_db()
    assert job.skill_slugs == ["django", "python"]
    assert "Python" in job.skills_text
    assert "'python':" in str(job.search_vector) and "B" in str(job.search_vector)

    JobSkill.objects.filter(job=job, skill__slug="django").delete()
    job.refresh_from_db()
    assert job.skill_slugs == ["python"]
    assert "'django'" not in str(job.search_vector)

    # A stale instance saving old values back cannot undo the change.
    stale.title = "Senior Engineer"
    stale.save()
    job.refresh_from_db()
    assert job.skill_slugs == ["python"] and "'senior':1A" in str(job.search_vector)


def test_renaming_a_skill_or_a_company_updates_the_jobs_text():
    job = make_job("Engineer", skills=["react"])
    skill = job.skills.get()
    skill.name = "Preact"
    skill.save()
    job.company.name = "Zanzibar Works"
    job.company.save()
    job.refresh_from_db()
    assert "preact" in str(job.search_vector) and "zanzibar" in str(job.search_vector)
    assert ids(search_jobs(query="zanzibar preact")) == [job.pk]
