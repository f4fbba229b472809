"""The public job board: search page, job page, feed, sitemap and robots.txt."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import CompanyFactory
from jobs import embeddings, pages, search
from jobs.models import CurrencyRate, Job, JobSkill, SearchQuery
from jobs.search import tuning
from jobs.services import currency_rates_sync, search_vocabulary_refresh
from jobs.tests.factories import JobFactory, SkillFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def _search_ready():
    if not CurrencyRate.objects.exists():
        currency_rates_sync()
    search.search_caches_clear()
    yield
    search.search_caches_clear()


def make_job(title="Python Developer", description="Build APIs.", *, skills=(), days_ago=1.0,
             **fields) -> Job:  # fmt: skip
    fields.setdefault("published_at", timezone.now() - timedelta(days=days_ago))
    job = JobFactory(title=title, description_text=description, **fields)
    for slug, required in skills:
        skill = SkillFactory(slug=slug, name=slug.title())
        JobSkill.objects.create(job=job, skill=skill, required=required)
    return job


def job_url(job: Job) -> str:
    return reverse("job-detail", kwargs={"company_slug": job.company.slug, "slug": job.slug})


def text(response) -> str:
    return response.content.decode()


def plain(response) -> str:
    """The page without highlighting."""
    return re.sub(r"</?mark>", "", text(response))


# --- The board -------------------------------------------------------------------------------


def test_home_and_jobs_show_open_jobs_newest_first_without_the_model(client):
    older = make_job("Data Engineer", days_ago=5)
    newer = make_job("Frontend Developer", days_ago=1)
    make_job("Secret Draft", status=Job.Status.DRAFT, published_at=None)
    make_job("Closed Role", status=Job.Status.CLOSED)

    for url in ("/", "/jobs/"):
        response = client.get(url)
        html = text(response)
        assert response.status_code == 200
        assert html.count("<h1") == 1
        assert html.index("Frontend Developer") < html.index("Data Engineer")
        assert "Secret Draft" not in html and "Closed Role" not in html
        assert "2 jobs" in html
        assert f'href="{job_url(newer)}"' in html and f'href="{job_url(older)}"' in html
    assert 'aria-current="page">Jobs</a>' in html
    assert not embeddings.is_loaded()
    assert not SearchQuery.objects.exists()  # browsing is not a search


def test_a_query_highlights_matches_and_is_logged(client):
    make_job("Senior Python Engineer", "Write Python services all day.")
    make_job("Product Designer", "Figma.")

    response = client.get("/jobs/", {"q": "python"})

    html = text(response)
    assert response.status_code == 200
    assert "<mark>Python</mark> Engineer" in html
    assert "Write <mark>Python</mark> services" in html
    assert "Product Designer" not in html
    assert 'value="python"' in html and "1 job<" in html
    logged = SearchQuery.objects.get()
    assert logged.query == "python" and logged.result_count == 1
    assert not embeddings.is_loaded()  # no job has an embedding: full text, no model


def test_titles_and_snippets_are_escaped(client):
    make_job("<script>alert(1)</script> Engineer", "<b>bold</b> engineer")
    html = text(client.get("/jobs/", {"q": "engineer"}))
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "<b>bold</b>" not in html


def test_filters_narrow_the_results_and_facets_count_each_value(client):
    make_job("Remote Python Dev", remote=Job.Remote.REMOTE, country="PT")
    make_job("Berlin Python Dev", remote=Job.Remote.ONSITE, country="DE")
    make_job("Hamburg Python Dev", remote=Job.Remote.ONSITE, country="DE", seniority="senior")

    response = client.get("/jobs/", {"q": "python", "remote": "onsite"})

    html = plain(response)
    assert "Berlin Python Dev" in html and "Hamburg Python Dev" in html
    assert "Remote Python Dev" not in html
    assert "2 jobs<" in html
    # Each value has a labelled checkbox and its count; the remote facet counts without its
    # own filter (faceted search), so "Remote" still shows 1.
    assert re.search(r'<input type="checkbox" name="remote" value="onsite" id="([^"]+)" checked>'
                     r'<label for="\1">On site <span class="facet-count"><span aria-hidden="true">'
                     r"2</span>", html)  # fmt: skip
    assert re.search(r'value="remote" id="[^"]+"><label[^>]*>Remote <span class="facet-count">'
                     r'<span aria-hidden="true">1</span>', html)  # fmt: skip
    assert re.search(r'value="DE" id="[^"]+"><label[^>]*>DE <span class="facet-count">'
                     r'<span aria-hidden="true">2</span>', html)  # fmt: skip
    assert 'name="seniority" value="senior"' in html
    # The filter in use can be removed with one link.
    remove = re.search(r'<a class="tag" href="([^"]+)"><span class="visually-hidden">Remove '
                       r"Work place: </span>On site", html)  # fmt: skip
    assert remove and parse_qs(urlsplit(remove.group(1).replace("&amp;", "&")).query) == {
        "q": ["python"]
    }


def test_several_filters_and_salary_and_posted_date(client):
    make_job("Cheap Go Dev", salary_min=20_000, salary_max=30_000, days_ago=2)
    rich = make_job("Rich Go Dev", salary_min=90_000, salary_max=120_000, days_ago=2,
                    skills=[("go", True)])  # fmt: skip
    make_job("Old Rich Go Dev", salary_min=90_000, salary_max=120_000, days_ago=40)

    response = client.get(
        "/jobs/", {"q": "go", "salary_min": "75000", "posted_within_days": "7", "skills": "go"}
    )

    html = plain(response)
    assert "Rich Go Dev" in html and "Cheap Go Dev" not in html and "Old Rich" not in html
    assert f'href="{job_url(rich)}?search=' in html
    assert 'type="radio" name="salary_min" value="75000" id="f-salary_min-2" checked' in html
    assert 'name="posted_within_days" value="7"' in html
    assert "90,000–120,000 EUR per year" in html


def test_long_facets_list_the_most_frequent_values_and_the_selected_ones(client, monkeypatch):
    monkeypatch.setattr(pages, "FACET_MAX", 3)
    monkeypatch.setattr(pages, "FACET_SHOWN", 2)
    jobs = [make_job(f"Go Dev {n}", company=CompanyFactory(name=f"Firm {c}")) for n, c in
            enumerate("ABCDZ")]  # fmt: skip
    make_job("Go Dev 0 again", company=jobs[0].company)
    last = jobs[-1].company

    html = text(client.get("/jobs/", {"q": "go", "company": last.slug}))

    facet = re.search(r"<legend>Company</legend>(.*?)</fieldset>", html, re.S).group(1)
    listed = re.findall(r'name="company" value="([^"]+)"', facet)
    # The three most frequent (two shown, one under "More"), then the selected one, which
    # is not among them (each of the others has as many jobs, and sorts first by name).
    assert listed[0] == jobs[0].company.slug  # two jobs: the most frequent
    assert len(listed) == 4 and listed[-1] == last.slug
    assert "<details" in facet
    assert re.search(rf'value="{last.slug}" id="[^"]+" checked', html)


def test_sorting_by_salary(client):
    make_job("Go Dev Low", salary_min=30_000, salary_max=40_000)
    make_job("Go Dev High", salary_min=90_000, salary_max=100_000)
    html = plain(client.get("/jobs/", {"q": "go", "sort": "salary"}))
    assert html.index("Go Dev High") < html.index("Go Dev Low")
    assert '<option value="salary" selected>' in html


def test_large_sets_show_approximate_counts(client, monkeypatch):
    # Small-scale stand-ins for 100k jobs: a 1/4 sample (by a hash of the id) of at least
    # one job sizes everything, counts stop at 1 and facets count at most about 2 rows.
    monkeypatch.setattr(tuning, "SAMPLE_RATES", (4,))
    monkeypatch.setattr(tuning, "ESTIMATE_SAMPLE", 1)
    monkeypatch.setattr(tuning, "COUNT_CAP", 1)
    monkeypatch.setattr(tuning, "FACET_MAX_ROWS", 2)
    for n in range(24):
        make_job(f"Cloud Engineer {n}", "Cloud.", days_ago=n + 0.5)

    html = text(client.get("/jobs/", {"q": "cloud"}))

    assert re.search(r">about [\d,]+ jobs<", html)
    assert re.search(r'<span aria-hidden="true">~\d+</span><span class="visually-hidden">'
                     r"\(about \d+ jobs\)", html)  # fmt: skip


def test_pagination_links_keep_the_query_and_filters(client):
    for n in range(23):
        make_job(f"Kotlin Developer {n}", remote=Job.Remote.REMOTE, days_ago=n + 1)

    response = client.get("/jobs/", {"q": "kotlin", "remote": "remote", "sort": "newest"})
    html = plain(response)
    assert html.count('class="card job-card"') == pages.PAGE_SIZE
    next_link = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(next_link).query) == {
        "q": ["kotlin"], "remote": ["remote"], "sort": ["newest"], "page": ["2"]
    }  # fmt: skip

    second = plain(client.get(next_link))
    assert second.count('class="card job-card"') == 3
    assert '<ol class="job-list" start="21">' in second
    assert "Kotlin Developer 22" in second
    previous = re.search(r'href="([^"]+)" rel="prev"', second).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(previous).query) == {
        "q": ["kotlin"], "remote": ["remote"], "sort": ["newest"]
    }  # fmt: skip
    assert 'aria-current="page"><span class="visually-hidden">Page </span>2</a>' in second


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"sort": "cheapest"}, "Sort", "Choose one of relevance, newest, salary."),
        ({"page": "abc"}, "Page", "Enter a whole number."),
        ({"page": "999999"}, "Page", "Enter a number from 1 to 10,000."),
        ({"page": "600"}, "Page", "Results stop at 10,000; narrow the search instead."),
        ({"salary_min": "-5"}, "Salary", "Enter a whole number."),
        ({"remote": "moon"}, "Work place", "Unknown value moon"),
        ({"skills": "no-such-skill"}, "Skills", "Unknown skill: no-such-skill."),
        ({"country": "Germany"}, "Country", "Use ISO 3166-1 alpha-2 codes"),
        ({"company": "nobody"}, "Company", "Unknown company: nobody."),
        ({"posted_within_days": "9999"}, "Posted", "Enter a number from 1 to 365."),
        ({"q": "rust " * 120}, "Search", "Ensure the query has at most 500 characters."),
    ],
)
def test_bad_parameters_give_a_message_and_the_rest_of_the_search(client, params, field, message):
    make_job("Rust Engineer")
    response = client.get("/jobs/", params)
    html = plain(response)
    assert response.status_code == 200
    assert 'class="form-errors" role="alert"' in html
    assert f"<li>{field}: {message}" in html
    assert "Rust Engineer" in html  # the search ran without the bad parameter


def test_many_bad_parameters_at_once_each_get_a_message(client):
    """The service refuses in stages (sort, then the page, then filters): each is reported."""
    make_job("Rust Engineer")
    params = {"sort": "x", "page": "600", "remote": "moon", "salary_min": "9" * 5000}
    response = client.get("/jobs/", params)
    html = plain(response)
    assert response.status_code == 200
    for field in ("Sort", "Page", "Work place", "Salary"):
        assert f"<li>{field}: " in html
    assert "Rust Engineer" in html


def test_a_page_past_the_end_shows_the_last_page(client):
    for n in range(22):
        make_job(f"Scala Developer {n}", days_ago=n + 1)
    response = client.get("/jobs/", {"q": "scala", "page": "7"})
    html = plain(response)
    assert response.status_code == 200
    assert "<li>Page: This search has 2 pages; here is the last.</li>" in html
    assert '<ol class="job-list" start="21">' in html and "No jobs found" not in html


def test_a_bad_value_is_shown_beside_its_field_and_the_typed_query_kept(client):
    make_job("Rust Engineer")
    html = plain(client.get("/jobs/", {"q": "rust", "salary_min": "lots", "sort": "x"}))
    assert 'value="rust"' in html
    assert 'aria-describedby="error-salary_min"' in html and 'id="error-salary_min"' in html
    assert 'aria-invalid="true" aria-describedby="board-sort-error"' in html
    assert "Rust Engineer" in html


def test_a_typo_finds_the_corrected_query_and_says_so(client):
    make_job("Python Developer", skills=[("python", True)])
    make_job("Product Designer")
    search_vocabulary_refresh()

    html = text(client.get("/jobs/", {"q": "pyhton developr"}))

    assert "<mark>Python</mark> <mark>Developer</mark>" in html
    assert "No jobs matched “pyhton developr”" in html
    assert "<strong>python developer</strong>" in html


def test_few_results_suggest_the_did_you_mean_query_as_a_link(client):
    make_job("Script Wrangler", "Pyhton scripts.")  # a typo in a description, not a title
    for n in range(3):
        make_job(f"Python Developer {n}")
    search_vocabulary_refresh()

    html = plain(client.get("/jobs/", {"q": "pyhton", "remote": ""}))

    assert "Script Wrangler" in html
    link = re.search(r'Did you mean <a href="([^"]+)">python</a>\?', html)
    assert link and parse_qs(urlsplit(link.group(1)).query) == {"q": ["python"]}


def test_no_results_offer_links_that_drop_each_filter(client):
    make_job("Elixir Developer", remote=Job.Remote.ONSITE, country="DE")

    response = client.get("/jobs/", {"q": "elixir", "remote": "remote", "country": "FR"})

    html = plain(response)
    assert response.status_code == 200
    assert "No jobs found" in html and "0 jobs" in html
    relaxed = re.search(r'<ul class="relaxed-filters">(.*?)</ul>', html, re.S).group(1)
    found = dict(re.findall(r'<a href="([^"]+)">([^<]+)</a>', relaxed))
    urls = {label: url.replace("&amp;", "&") for url, label in found.items()}
    assert parse_qs(urlsplit(urls["Work place: Remote"]).query) == {
        "q": ["elixir"], "country": ["FR"]
    }  # fmt: skip
    assert parse_qs(urlsplit(urls["Country: FR"]).query) == {"q": ["elixir"], "remote": ["remote"]}
    assert parse_qs(urlsplit(urls["any filter"]).query) == {"q": ["elixir"]}
    assert "Elixir Developer" in plain(client.get(urls["any filter"]))


def test_opening_a_result_records_the_click_once(client):
    job = make_job("Haskell Developer")
    html = text(client.get("/jobs/", {"q": "haskell"}))
    logged = SearchQuery.objects.get()
    link = f"{job_url(job)}?search={logged.pk}&amp;position=1"
    assert f'href="{link}"' in html

    assert client.get(link.replace("&amp;", "&")).status_code == 200
    logged.refresh_from_db()
    assert (logged.clicked_job, logged.clicked_position) == (job, 1)
    assert logged.clicked_at is not None


@pytest.mark.parametrize("params", ["search=abc&position=1", "search=99999999&position=1",
                                    "search={pk}&position=0", "search={pk}&position=x",
                                    "search=99999999999999999999999&position=1",
                                    "search=%C2%B2&position=1", "search={pk}&position=%D9%A3"])  # fmt: skip
def test_a_bad_click_link_still_shows_the_job(client, params):
    job = make_job("Haskell Developer")
    logged = SearchQuery.objects.create(query="haskell", result_count=1)
    response = client.get(f"{job_url(job)}?{params.format(pk=logged.pk)}")
    assert response.status_code == 200
    logged.refresh_from_db()
    assert logged.clicked_at is None


def test_another_sessions_search_gets_no_click(client):
    job = make_job("Haskell Developer")
    logged = SearchQuery.objects.create(query="haskell", result_count=1, session_hash="f" * 64)
    assert client.get(f"{job_url(job)}?search={logged.pk}&position=1").status_code == 200
    logged.refresh_from_db()
    assert logged.clicked_at is None


# --- The job page --------------------------------------------------------------------------


def test_job_page_shows_the_whole_job_and_links_to_apply(client, settings):
    settings.SITE_URL = "https://jobs.example.org"
    company = CompanyFactory(name="Acme Robotics", website="https://acme.example")
    job = make_job(
        "Robotics Engineer",
        company=company,
        city="Munich",
        region="Bavaria",
        seniority="senior",
        description_html="<p>Build <strong>robots</strong>.</p>",
        skills=[("python", True), ("ros", False)],
    )

    response = client.get(job_url(job))

    html = text(response)
    assert response.status_code == 200
    assert html.count("<h1") == 1 and ">Robotics Engineer</h1>" in html
    assert '<a href="https://acme.example" rel="noopener">Acme Robotics</a>' in html
    assert "<p>Build <strong>robots</strong>.</p>" in html
    assert "60,000–80,000 EUR per year" in html
    assert "<dd>Munich, Bavaria, DE</dd>" in html and "<dd>Senior</dd>" in html
    assert "<dd>Full-time</dd>" in html
    assert '<li class="tag">Python</li>' in html and '<li class="tag tag-good">Ros</li>' in html
    apply = reverse("job-apply", kwargs={"company_slug": company.slug, "slug": job.slug})
    assert f'<a class="button" href="{apply}">Apply' in html
    canonical = f"https://jobs.example.org{job_url(job)}"
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert f'<meta property="og:url" content="{canonical}">' in html
    assert '<meta property="og:title" content="Robotics Engineer at Acme Robotics">' in html
    assert '<meta property="og:type" content="website">' in html
    assert '<meta name="description" content="Build APIs.">' in html


def test_job_page_without_salary_or_place(client):
    job = make_job("Writer", salary_min=None, salary_max=None, salary_currency="", city="",
                   country="")  # fmt: skip
    html = text(client.get(job_url(job)))
    assert "<dt>Salary</dt>" not in html
    assert "<dd>Not stated</dd>" in html


def test_a_scraped_job_links_to_the_company_site(client):
    company = CompanyFactory(is_tenant=False)
    job = make_job(company=company, external_url="https://careers.example/jobs/1")
    html = text(client.get(job_url(job)))
    assert (
        'href="https://careers.example/jobs/1" rel="noopener nofollow">Apply on the company' in html
    )
    assert "/apply/" not in html


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Job.Status.DRAFT, "published_at": None},
        {"status": Job.Status.OPEN, "published_at": None, "_other_company": True},
    ],
)
def test_draft_and_unknown_jobs_are_404(client, fields):
    other = fields.pop("_other_company", False)
    if other:
        job = make_job()
        url = reverse("job-detail", kwargs={"company_slug": "not-a-company", "slug": job.slug})
    else:
        job = make_job(**fields)
        url = job_url(job)
    assert client.get(url).status_code == 404
    assert client.get("/jobs/nobody/nothing/").status_code == 404


@pytest.mark.parametrize("state", ["closed", "archived", "expired"])
def test_jobs_no_longer_open_answer_410_with_a_way_on(client, state):
    if state == "expired":
        job = make_job(days_ago=30, closes_at=timezone.now() - timedelta(days=1))
    else:
        job = make_job(status=state)
    response = client.get(job_url(job))
    html = text(response)
    assert response.status_code == 410
    assert "This job is closed" in html and job.title in html
    assert '<meta name="robots" content="noindex">' in html
    assert "/jobs/?q=Python+Developer" in html


def test_job_page_refuses_writes(client):
    job = make_job()
    assert client.post(job_url(job)).status_code == 405
    assert client.post("/jobs/").status_code == 405


# --- Similar jobs --------------------------------------------------------------------------


def vector(*head: float) -> list[float]:
    return [*head, *([0.0] * (384 - len(head)))]


def test_similar_jobs_are_the_nearest_open_jobs_by_meaning(client):
    job = make_job("Machine Learning Engineer", embedding=vector(1, 0))
    near = make_job("Data Scientist", embedding=vector(0.9, 0.1))
    far = make_job("Pastry Chef", embedding=vector(0, 1))
    middle = make_job("ML Researcher", embedding=vector(0.7, 0.7))
    make_job("Closed ML Job", status=Job.Status.CLOSED, embedding=vector(1, 0))
    for n in range(5):
        make_job(f"Filler {n}", embedding=vector(0.1, 1))

    from jobs.selectors import job_similar_list

    similar = job_similar_list(job=job)
    assert [j.pk for j in similar[:2]] == [near.pk, middle.pk]
    assert len(similar) == 5 and job.pk not in {j.pk for j in similar}
    assert far.pk not in {j.pk for j in similar[:2]}

    html = text(client.get(job_url(job)))
    aside = html[html.index('id="similar-heading"') :]
    assert aside.index("Data Scientist") < aside.index("ML Researcher")
    assert "Closed ML Job" not in aside and "Machine Learning Engineer" not in aside


def test_similar_jobs_fall_back_to_shared_skills(client):
    job = make_job("Django Developer", skills=[("django", True)])
    same = make_job("Backend Developer", skills=[("django", True)])
    make_job("Nurse", skills=[("care", True)])
    html = text(client.get(job_url(job)))
    aside = html[html.index('id="similar-heading"') :]
    assert "Backend Developer" in aside and "Nurse" not in aside
    assert f'href="{job_url(same)}"' in aside


def test_no_similar_jobs_says_so(client):
    job = make_job("Lighthouse Keeper")
    assert "No similar jobs open right now" in text(client.get(job_url(job)))


# --- Feed, sitemap, robots.txt -------------------------------------------------------------


def test_feed_is_atom_of_the_newest_open_jobs(client, monkeypatch, settings):
    settings.SITE_URL = "https://jobs.example.org"
    monkeypatch.setattr(pages, "FEED_SIZE", 2)
    make_job("Oldest", days_ago=9)
    middle = make_job("Middle <Dev>", days_ago=5, remote=Job.Remote.REMOTE)
    newest = make_job("Newest", days_ago=1)
    make_job("Closed", status=Job.Status.CLOSED)

    response = client.get(reverse("job-feed"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles == [f"Newest at {newest.company.name}", f"Middle <Dev> at {middle.company.name}"]
    first = entries[0]
    assert first.find(f"{ATOM}link").get("href") == f"https://jobs.example.org{job_url(newest)}"
    assert first.findtext(f"{ATOM}id") == f"https://jobs.example.org{job_url(newest)}"
    assert datetime.fromisoformat(first.findtext(f"{ATOM}updated"))
    assert "Remote (Berlin, DE)" in entries[1].findtext(f"{ATOM}summary")


def test_sitemap_index_lists_the_board_and_every_open_job(client, settings, monkeypatch):
    settings.SITE_URL = "https://jobs.example.org"
    monkeypatch.setattr(pages, "SITEMAP_SECTION_SIZE", 2)
    open_jobs = [make_job(f"Job {n}") for n in range(5)]
    closed = make_job("Closed", status=Job.Status.CLOSED)
    draft = make_job("Draft", status=Job.Status.DRAFT, published_at=None)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    index = ET.fromstring(response.content)
    assert index.tag == f"{SITEMAP}sitemapindex"
    locs = [s.findtext(f"{SITEMAP}loc") for s in index.findall(f"{SITEMAP}sitemap")]
    assert locs[0] == "https://jobs.example.org/sitemap-board.xml"
    urls, lastmods = [], []
    for loc in locs:
        page = client.get(urlsplit(loc).path)
        assert page.status_code == 200
        urlset = ET.fromstring(page.content)
        assert urlset.tag == f"{SITEMAP}urlset"
        entries = urlset.findall(f"{SITEMAP}url")
        assert len(entries) <= 2 or loc.endswith("board.xml")
        urls += [u.findtext(f"{SITEMAP}loc") for u in entries]
        lastmods += [u.findtext(f"{SITEMAP}lastmod") for u in entries if loc.endswith("s.xml")]
    assert "https://jobs.example.org/jobs/" in urls
    assert {f"https://jobs.example.org{job_url(j)}" for j in open_jobs} <= set(urls)
    assert f"https://jobs.example.org{job_url(closed)}" not in urls
    assert f"https://jobs.example.org{job_url(draft)}" not in urls
    assert len(urls) == 6
    assert all(datetime.fromisoformat(m).tzinfo is not None for m in lastmods if m)
    assert client.get("/sitemap-jobs-9999.xml").status_code == 404


def test_feed_sitemap_and_job_page_read_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    jobs = [
        make_job(f"Job {n}", skills=[("python", True)], embedding=vector(1, n)) for n in range(6)
    ]
    with django_assert_num_queries(1):
        assert client.get(reverse("job-feed")).status_code == 200
    with django_assert_num_queries(1):
        assert client.get("/sitemap.xml").status_code == 200
    section = jobs[0].pk // pages.SITEMAP_SECTION_SIZE
    with django_assert_num_queries(1):
        assert client.get(f"/sitemap-jobs-{section}.xml").status_code == 200
    # The job, its skills, its embedding, the similar jobs (with their companies).
    with django_assert_num_queries(4):
        assert client.get(job_url(jobs[0])).status_code == 200


def test_robots_txt_allows_jobs_and_points_to_the_sitemap(client, settings):
    settings.SITE_URL = "https://jobs.example.org"
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Allow: /jobs/" in lines
    for path in ("/admin/", "/api/", "/me/", "/accounts/"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: https://jobs.example.org/sitemap.xml" in lines
