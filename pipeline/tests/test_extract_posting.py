"""`manage.py extract_posting` and the page reader behind it (pipeline.scraping.postings).

The five pages in fixtures/jobposting-pages/ are real pages saved from live job boards (see
../shared/fixtures/README.md); the expected values below were read off each page by hand.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from jobs.models import Skill
from pipeline.demo import SKILLS
from pipeline.normalize import POSTING_KEYS
from pipeline.scraping.postings import (
    Page,
    PageTooLarge,
    PageUnreadable,
    PostingNotFound,
    jsonld_loads,
    page_decode,
    page_fetch,
    page_read,
    posting_find,
)

PAGES = Path(__file__).parent / "fixtures" / "jobposting-pages"
UNREACHABLE_DATABASE = "postgresql://postgres@/recruitment?host=/nonexistent-socket-dir"

# Every addressCountry of the Stack Overflow remote page, in page order, less "AN" (the
# Netherlands Antilles, withdrawn from ISO 3166-1 in 2010; its successors are listed too).
REMOTE_COUNTRIES = [
    code
    for code in re.findall(
        r'"addressCountry":"(\w+)"', (PAGES / "stackoverflow-job-remote.html").read_text()
    )
    if code != "AN"
]

EXPECTED = {
    "linkedin-job.html": {
        "title": "Start kariéry jako Junior C++ Programátor/ka",
        "company": "Experis Czech Republic",
        "locations": [{"city": None, "region": None, "country": "CZ"}],
        "remote": False,
        "workplace": "onsite",
        "employment_type": "other",  # the page's JSON-LD says OTHER
        "seniority": "junior",
        "date_posted": "2020-04-16",
        "valid_through": None,  # 1970-01-01: "unknown"
        "salary": None,
        "skills": ["c++"],
        "description_start": "Zajímá tě svět IT technologií? Jsi čerstvý absolvent/ka",
        "description_end": "Těšíme se na Vás! :-)",
        "description_has": [
            "Alespoň základní znalost programování v C++ (vše ostatní tě naučíme)\n"
            "AJ alespoň na úrovni porozumění"
        ],
        "url": "https://cz.linkedin.com/jobs/view/start-kari%C3%A9ry-jako-junior-c%2B%2B-"
        "program%C3%A1tor-ka-at-experis-czech-republic-1824273387"
        "?refId=0a28c57f-134b-4fef-8fee-b182034fb581",
    },
    "remoteok-job.html": {
        "title": "Software Engineer II",
        "company": "Comscore",
        "locations": [],  # "Anywhere" in every address field
        "remote": True,
        "workplace": "remote",
        "employment_type": "full_time",
        "seniority": "mid",  # Engineer II
        "date_posted": "2020-10-25",
        "valid_through": "2020-11-25",
        "salary": {"min": 55000, "max": 55000, "currency": "USD", "period": "year"},
        "skills": ["apache spark", "java", "linux", "machine learning", "scala", "sql"],
        "description_start": "Job Title: Software Engineer II\n\n"
        "Location: Remote or any Comscore location\n\nAbout this Role:",
        "description_end": "E-Verify process after hire.\nApply now and work remotely at Comscore",
        "description_has": ["What You’ll Do:", "big data web & engineering solutions"],
        "url": "https://remoteok.io/remote-jobs/99859-remote-software-engineer-ii-comscore",
    },
    "stackoverflow-job-remote.html": {
        "title": "Senior Front-End Engineer",
        "company": "Hummingbot",
        "locations": [{"city": None, "region": None, "country": c} for c in REMOTE_COUNTRIES],
        "remote": True,
        "workplace": "remote",
        "employment_type": "full_time",
        "seniority": "senior",
        "date_posted": "2020-09-25",
        "valid_through": "2021-09-25",
        "salary": {"min": 75000, "max": 125000, "currency": "USD", "period": "year"},
        "skills": ["django", "javascript", "machine learning", "mysql", "python", "react", "redux"],
        "description_start": "About this job\n\nCompensation: $75k - 125k | Equity\n"
        "Location options: Remote\nJob type: Full-time\nExperience level: Senior\n",
        "description_end": "Company-sponsored training programs and continuing education",
        "description_has": [
            "Technologies\n\nreactjs, python, javascript, redux\n\nJob description",
            "What you'll be doing:\n* Ship code and deploy daily\n* Build and maintain",
        ],
        "url": "http://stackoverflow.com/jobs/440502/senior-front-end-engineer-hummingbot",
    },
    "stackoverflow-job.html": {
        "title": "Solution Engineer (M/F/X)",
        "company": "QUAJOO GmbH",
        "locations": [{"city": "Leipzig", "region": None, "country": "DE"}],  # region "-"
        "remote": False,
        "workplace": "onsite",
        "employment_type": "full_time",
        "seniority": "junior",  # experienceRequirements "Junior, Mid-Level": open from junior
        "date_posted": "2020-03-24",
        "valid_through": "2021-02-03",
        "salary": None,  # "reasonably salaried"
        "skills": ["agile", "angular", "aws", "c#", "python"],
        "description_start": "About this job\n\nJob type: Full-time\n"
        "Experience level: Junior, Mid-Level\nIndustry: Agile Software Development",
        "description_end": "will ensure your future-all-round carefree package",
        "description_has": ["Your tasks:\n\nAs a determined and communicative team member"],
        "url": "http://stackoverflow.com/jobs/292933/solution-engineer-m-f-x-quajoo-gmbh",
    },
    "weworkremotely-job.html": {
        "title": "DevOps Engineer, Kubernetes, AWS/GCP",
        "company": "Bluelight Consulting",
        # "Sacramento, CA": CA could be California or Canada, so the country stays unknown.
        "locations": [{"city": "Sacramento", "region": "CA", "country": None}],
        "remote": True,
        "workplace": "remote",
        "employment_type": "full_time",  # "Full-Time"
        "seniority": None,  # "from Staff level to Lead Engineer": no one level
        "date_posted": "2020-10-20",
        "valid_through": "2020-11-19",
        "salary": None,
        "skills": [
            "aws",
            "ci/cd",
            "communication",
            "git",
            "google cloud",
            "kubernetes",
            "terraform",
        ],
        "description_start": "DESCRIPTION\n\nDevOps-as-a-Service provider, Bluelight Consulting",
        "description_end": "Company-sponsored coursework, exams, and certifications",
        "description_has": [
            "especially Helm & Ansible\nTesting, code review, good communication skills",
            "REQUIREMENTS\n\nCloud Engineering",
        ],
        "url": "https://weworkremotely.com/remote-jobs/"
        "bluelight-consulting-devops-engineer-kubernetes-aws-gcp",
    },
}


@pytest.fixture
def demo_skills(db):
    Skill.objects.bulk_create(
        Skill(name=name, slug=slug, category=category, aliases=list(aliases))
        for name, slug, category, aliases in SKILLS
    )


def extract(*args: str) -> tuple[dict, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("extract_posting", *args, stdout=stdout, stderr=stderr)
    return json.loads(stdout.getvalue()), stderr.getvalue()


def run_command(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": UNREACHABLE_DATABASE}
    return subprocess.run(
        [sys.executable, "manage.py", "extract_posting", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def html_page(*scripts: str, body: str = "", head: str = "") -> bytes:
    blocks = "".join(f'<script type="application/ld+json">{script}</script>' for script in scripts)
    return f"<html><head>{head}{blocks}</head><body>{body}</body></html>".encode()


POSTING = {
    "@context": "https://schema.org",
    "@type": "JobPosting",
    "title": "Backend Engineer",
    "description": "<p>Build APIs.</p>",
    "hiringOrganization": {"@type": "Organization", "name": "Acme"},
}


# --- The five real pages -------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_extract_posting_reads_each_shared_page_field_by_field(demo_skills, page):
    expected = EXPECTED[page]
    posting, _ = extract(str(PAGES / page))

    assert tuple(posting) == POSTING_KEYS
    for key in POSTING_KEYS:
        if key != "description":
            assert posting[key] == expected[key], key
    description = posting["description"]
    assert description.startswith(expected["description_start"])
    assert description.endswith(expected["description_end"])
    for passage in expected["description_has"]:
        assert passage in description
    assert not re.search(r"</?[a-z][a-z0-9]*[\s>/]", description), "HTML left in the text"
    assert not re.search(r"&(?:[a-z]+|#\d+);", description), "entities left in the text"
    assert "\n\n\n" not in description and "  " not in description


def test_the_real_pages_hold_the_documented_traps():
    wwr = (PAGES / "weworkremotely-job.html").read_text()
    script = re.findall(r'<script type="application/ld\+json">(.*?)</script>', wwr, re.S)[-1]
    with pytest.raises(json.JSONDecodeError):
        json.loads(script)  # raw newlines inside strings: strict JSON fails
    assert jsonld_loads(script)["employmentType"] == "Full-Time"
    linkedin = (PAGES / "linkedin-job.html").read_text()
    assert '"description":null' in linkedin and '"validThrough":"1970-01-01' in linkedin


def test_linkedin_description_comes_from_the_page_not_its_criteria(demo_skills):
    posting, _ = extract(str(PAGES / "linkedin-job.html"))
    assert "Seniority level" not in posting["description"]
    assert "Information Technology" not in posting["description"]


def test_extract_posting_reads_skills_from_the_database(db):
    Skill.objects.create(name="Blockchain", slug="blockchain", aliases=["crypto"])
    posting, stderr = extract(str(PAGES / "stackoverflow-job-remote.html"))
    # The declared skills as written, plus "blockchain" from the database: the demo list
    # (which maps "reactjs" to "react") is not used.
    assert posting["skills"] == ["blockchain", "javascript", "python", "reactjs", "redux"]
    assert stderr == ""


def test_extract_posting_uses_the_built_in_list_when_the_skill_table_is_empty(db):
    posting, _ = extract(str(PAGES / "weworkremotely-job.html"))
    assert posting["skills"] == EXPECTED["weworkremotely-job.html"]["skills"]


def test_extract_posting_url_option_names_the_page(demo_skills):
    posting, _ = extract(str(PAGES / "remoteok-job.html"), "--url", "https://example.com/job/1")
    assert posting["url"] == "https://example.com/job/1"


# --- Over HTTP, from a local server --------------------------------------------------------


class FixtureHandler(SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(3)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/remoteok-job.html")
            self.end_headers()
            return
        if self.path == "/stream":  # no Content-Length: the cap must hold while reading
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>" + b"x" * 50_000 + b"</html>")
            return
        super().do_GET()

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(FixtureHandler, directory=str(PAGES)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_extract_posting_fetches_a_url(demo_skills, server):
    posting, _ = extract(f"{server}/stackoverflow-job.html")
    expected = EXPECTED["stackoverflow-job.html"]
    assert posting["url"] == f"{server}/stackoverflow-job.html"
    for key in ("title", "company", "locations", "seniority", "skills", "date_posted"):
        assert posting[key] == expected[key], key


def test_extract_posting_reports_the_url_after_redirects(demo_skills, server):
    posting, _ = extract(f"{server}/redirect")
    assert posting["url"] == f"{server}/remoteok-job.html"
    assert posting["title"] == "Software Engineer II"


def test_page_fetch_sends_an_honest_user_agent(server, monkeypatch):
    seen = {}

    def remember(self, *args):
        seen["agent"] = self.headers["User-Agent"]

    monkeypatch.setattr(FixtureHandler, "log_message", remember)
    page_fetch(f"{server}/remoteok-job.html")
    assert seen["agent"].startswith("recruitment-pipeline/")


def test_page_fetch_caps_a_page_without_content_length(server):
    with pytest.raises(PageTooLarge, match="larger than the 10,000-byte cap"):
        page_fetch(f"{server}/stream", max_bytes=10_000)


def test_call_command_raises_command_errors_with_exit_codes(db, server, tmp_path):
    with pytest.raises(CommandError, match="HTTP 404") as not_found:
        extract(f"{server}/missing.html")
    assert not_found.value.returncode == 2
    empty = tmp_path / "empty.html"
    empty.write_bytes(html_page(body="<p>Hello</p>"))
    with pytest.raises(CommandError, match="no schema.org JobPosting") as no_posting:
        extract(str(empty))
    assert no_posting.value.returncode == 1


# --- Exit codes and one-line errors, through a real process ---------------------------------


def assert_one_line(stderr: str, pattern: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in stderr


def test_command_exits_1_for_a_page_without_a_posting(tmp_path):
    page = tmp_path / "about.html"
    page.write_bytes(html_page('{"@context": "https://schema.org", "@type": "Organization"}'))
    result = run_command(str(page))
    assert result.returncode == 1
    assert result.stdout == ""
    assert_one_line(result.stderr, r"^CommandError: no schema\.org JobPosting found on .*about")


def test_command_exits_1_for_a_page_over_the_size_cap():
    result = run_command(str(PAGES / "remoteok-job.html"), "--max-bytes", "1000")
    assert result.returncode == 1
    assert_one_line(result.stderr, r"larger than the 1,000-byte cap; skipped$")


def test_command_exits_2_for_a_missing_file(tmp_path):
    result = run_command(str(tmp_path / "nope.html"))
    assert result.returncode == 2
    assert_one_line(result.stderr, r"^CommandError: cannot read .*nope\.html: No such file")


def test_command_exits_2_for_an_http_error(server):
    result = run_command(f"{server}/missing.html")
    assert result.returncode == 2
    assert_one_line(result.stderr, r"cannot fetch .*/missing\.html: HTTP 404")


def test_command_exits_2_on_a_timeout(server):
    result = run_command(f"{server}/slow", "--timeout", "0.5")
    assert result.returncode == 2
    assert_one_line(result.stderr, r"cannot fetch .*/slow: .*timed out")


def test_command_exits_2_when_nothing_listens():
    result = run_command("http://127.0.0.1:9/job.html", "--timeout", "2")
    assert result.returncode == 2
    assert_one_line(result.stderr, r"cannot fetch http://127\.0\.0\.1:9/job\.html: ")


def test_command_exits_1_for_a_url_over_the_size_cap(server):
    result = run_command(f"{server}/linkedin-job.html", "--max-bytes", "5000")
    assert result.returncode == 1
    assert_one_line(result.stderr, r"larger than the 5,000-byte cap; skipped$")


def test_command_prints_json_without_a_database(server):
    result = run_command(f"{server}/weworkremotely-job.html")
    assert result.returncode == 0, result.stderr
    posting = json.loads(result.stdout)
    assert posting["title"] == "DevOps Engineer, Kubernetes, AWS/GCP"
    assert posting["skills"] == EXPECTED["weworkremotely-job.html"]["skills"]
    assert_one_line(result.stderr, r"^note: database unreachable; using the built-in skill list$")


# --- Malformed pages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "title"),
    [
        ('{"@type": "JobPosting", "title": "Line one\nline\ttwo"}', "Line one\nline\ttwo"),
        ('{"@type": "JobPosting", "title": "It\\\'s \\d fine"}', "It's \\d fine"),
        ('{"@type": "JobPosting", "title": "Trailing", "skills": ["a", "b",],}', "Trailing"),
        ('// comment\n{"@type": "JobPosting", /* note */ "title": "Comments"}', "Comments"),
        ('<!--\n{"@type": "JobPosting", "title": "Wrapped"}\n-->', "Wrapped"),
        ('//<![CDATA[\n{"@type": "JobPosting", "title": "CDATA"}\n//]]>', "CDATA"),
        ('{&quot;@type&quot;: &quot;JobPosting&quot;, &quot;title&quot;: &quot;Soup&quot;}',
         "Soup"),
        ('{"@type": "JobPosting", "title": "Python", "image": None, "remote": True}', "Python"),
        ('{"@type": "JobPosting", "title": "The "best" job"}', 'The "best" job'),
        ('{"@type": "JobPosting", "title": "\\u00c9t\\u00e9"};', "Été"),
    ],
)  # fmt: skip
def test_jsonld_loads_repairs_what_real_sites_break(script, title):
    assert jsonld_loads(script)["title"] == title


def test_jsonld_loads_reads_objects_written_one_after_another():
    assert jsonld_loads('{"a": 1}\n{"b": 2}') == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize("script", ['{"@type": "JobPosting", "title": "cut', "", "<p>no</p>"])
def test_jsonld_loads_gives_up_with_a_value_error(script):
    with pytest.raises(ValueError):
        jsonld_loads(script)


def test_posting_find_reads_a_page_whose_json_ld_breaks_extruct():
    page = html_page(
        '{"@context": "https://schema.org", "@type": "Organization", "name": "A\\\'s"}',
        '{"@type": "JobPosting", "title": "Data Engineer", "description": "x\\d",}',
    )
    found = posting_find(Page(page))
    assert found.data["title"] == "Data Engineer"
    assert found.syntax == "json-ld"


def test_posting_find_reads_a_script_type_with_parameters():
    body = (
        '<script type="application/ld+json; charset=utf-8">' + json.dumps(POSTING) + "</script>"
    ).encode()
    assert posting_find(Page(body)).data["title"] == "Backend Engineer"


@pytest.mark.parametrize(
    "body",
    [
        '<script type="application/ld+json">' + "[" * 100_000 + "</script>",
        '<div itemscope itemtype="http://schema.org/Thing" itemprop="x">' * 5_000,
    ],
)
def test_posting_find_survives_absurd_nesting(body):
    with pytest.raises(PostingNotFound):
        posting_find(Page(body.encode()))
    # and the process still reads microdata afterwards (extruct's XPath lock is not stuck)
    item = '<div itemscope itemtype="http://schema.org/JobPosting"><h1 itemprop="title">T</h1>'
    assert posting_find(Page(item.encode())).data["title"] == "T"


def test_posting_find_skips_an_unreadable_script_and_says_so():
    found = posting_find(
        Page(html_page('{"@type": "JobPosting", "title": "cut', json.dumps(POSTING)))
    )
    assert found.data["title"] == "Backend Engineer"
    assert found.skipped_scripts == 1
    assert found.notes == ["1 unreadable JSON-LD script(s) skipped"]


def test_posting_find_counts_unreadable_scripts_when_nothing_is_found():
    with pytest.raises(PostingNotFound, match=r"\(1 unreadable JSON-LD script\(s\) skipped\)"):
        posting_find(Page(html_page('{"@type": "JobPosting", "title": "cut'), name="x.html"))


def test_posting_find_takes_the_first_complete_of_two_postings():
    incomplete = {"@type": "JobPosting", "title": "Teaser", "description": "None"}
    found = posting_find(Page(html_page(json.dumps(incomplete), json.dumps(POSTING))))
    assert found.data["title"] == "Backend Engineer"
    assert (found.position, found.total, found.complete) == (2, 2, True)
    assert found.notes == ["the page has 2 JobPostings; took #2 (json-ld), the first complete one"]


def test_posting_find_takes_the_first_of_two_complete_postings():
    second = {**POSTING, "title": "Frontend Engineer"}
    found = posting_find(Page(html_page(json.dumps([POSTING, second]))))
    assert (found.data["title"], found.position, found.total) == ("Backend Engineer", 1, 2)


def test_posting_find_takes_the_first_when_none_is_complete():
    found = posting_find(
        Page(
            html_page(
                json.dumps({"@type": "JobPosting", "title": "A"}),
                json.dumps({"@type": "JobPosting", "title": "B"}),
            )
        )
    )
    assert (found.data["title"], found.complete) == ("A", False)
    assert found.notes == [
        "the page has 2 JobPostings; took #1 (json-ld), none is complete; the first"
    ]


@pytest.mark.parametrize(
    "script",
    [
        json.dumps({"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, POSTING]}),
        json.dumps({"@type": "WebPage", "mainEntity": POSTING}),
        json.dumps([{"@type": "BreadcrumbList"}, {**POSTING, "@type": ["JobPosting"]}]),
        json.dumps({**POSTING, "@type": "http://schema.org/JobPosting"}),
    ],
)
def test_posting_find_reads_wrapped_postings(script):
    assert posting_find(Page(html_page(script))).data["title"] == "Backend Engineer"


def test_posting_find_reads_microdata():
    body = """
      <div itemscope itemtype="http://schema.org/JobPosting">
        <h1 itemprop="title">Platform Engineer</h1>
        <div itemprop="hiringOrganization" itemscope itemtype="http://schema.org/Organization">
          <span itemprop="name">Initech</span></div>
        <div itemprop="jobLocation" itemscope itemtype="http://schema.org/Place">
          <div itemprop="address" itemscope itemtype="http://schema.org/PostalAddress">
            <span itemprop="addressLocality">Lyon</span>
            <span itemprop="addressCountry">France</span></div></div>
        <div itemprop="description">Run Kubernetes.</div>
      </div>"""
    found = posting_find(Page(html_page(body=body)))
    assert found.syntax == "microdata"
    assert found.data["title"] == "Platform Engineer"
    assert found.data["hiringOrganization"]["name"] == "Initech"
    assert found.data["jobLocation"]["address"]["addressCountry"] == "France"


@pytest.mark.parametrize(
    "body",
    [
        html_page('{"@context": "https://schema.org", "@type": "Organization", "name": "X"}'),
        b"<html><body><p>Just a page</p></body></html>",
        b"",
        b"\x00\x01\x02 binary",
        b"%PDF-1.4 not html at all",
    ],
)
def test_posting_find_raises_posting_not_found(body):
    with pytest.raises(PostingNotFound, match="no schema.org JobPosting|not an HTML page"):
        posting_find(Page(body))


def test_posting_find_skips_a_page_over_the_size_cap_without_parsing_it():
    with pytest.raises(PageTooLarge, match="larger than the 1,000-byte cap; skipped"):
        posting_find(Page(b"<html>" + b" " * 2000 + b"</html>"), max_bytes=1000)


def test_page_read_caps_the_file_and_reports_unreadable_ones(tmp_path):
    big = tmp_path / "big.html"
    big.write_bytes(b"x" * 2001)
    with pytest.raises(PageTooLarge):
        page_read(big, max_bytes=2000)
    assert page_read(big, max_bytes=2001).body == b"x" * 2001
    with pytest.raises(PageUnreadable, match="cannot read"):
        page_read(tmp_path)  # a directory


def test_posting_find_decodes_bad_bytes_leniently():
    body = html_page(json.dumps(POSTING), head='<meta charset="utf-8">')
    body = body.replace(b"Backend", b"Back\xff\xfend")  # not UTF-8, though it says so
    found = posting_find(Page(body))
    assert found.data["title"] == "Back\ufffd\ufffdnd Engineer"


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        ("<p>Zürich</p>".encode("cp1252"), None, "Zürich"),  # undeclared, not UTF-8
        ('<meta charset="iso-8859-2"><p>Programátor Kč</p>'.encode("iso-8859-2"), None,
         "Programátor Kč"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>café</p>'
         .encode("latin-1"), None, "café"),
        ("<p>naïve</p>".encode("cp1252"), "text/html; charset=windows-1252", "naïve"),
        ("\ufeff<p>Straße</p>".encode("utf-16-le"), None, "Straße"),
        ("<p>Straße</p>".encode(), "text/html; charset=bogus-charset", "Straße"),
        ('<meta charset="utf-16"><p>Straße</p>'.encode(), None, "Straße"),
    ],
)  # fmt: skip
def test_page_decode(body, content_type, text):
    assert text in page_decode(body, content_type)


def test_posting_find_uses_the_meta_description_when_nothing_else_describes_the_job():
    posting = {**POSTING, "description": None}
    head = '<meta name="description" content="Build APIs in Go.">'
    found = posting_find(Page(html_page(json.dumps(posting), head=head)))
    assert found.page_description == "Build APIs in Go."


def test_posting_find_reads_the_canonical_url():
    head = '<link rel="alternate canonical" href="https://jobs.example.com/1">'
    assert posting_find(Page(html_page(json.dumps(POSTING), head=head))).url == (
        "https://jobs.example.com/1"
    )
    assert posting_find(Page(html_page(json.dumps(POSTING)))).url is None
