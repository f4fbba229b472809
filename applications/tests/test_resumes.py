"""Resume parsing: the whole corpus end to end (real files), then each heuristic on its own."""

import json

import pytest

from applications.extraction import extract_text
from applications.resumes import FIELDS, SkillTerm, parse_resume
from applications.resumes.dates import find_range
from applications.tests import resume_corpus

TODAY = resume_corpus.CORPUS_TODAY
TAXONOMY = [SkillTerm(slug, name, aliases) for name, slug, aliases in resume_corpus.TAXONOMY]
KEYS = [key for key, *_ in resume_corpus.LAYOUTS]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    return resume_corpus.generated(tmp_path_factory)


@pytest.fixture(scope="session")
def parsed(corpus):
    results = {}
    for key, resume in corpus.items():
        text = extract_text(path=resume.path, content_type=resume.content_type).text
        results[key] = parse_resume(text, skills=TAXONOMY, today=TODAY)
    return results


def parse(text: str) -> dict:
    return parse_resume(text, skills=TAXONOMY, today=TODAY)


def value(result: dict, field: str):
    return result[field]["value"]


# --- The corpus --------------------------------------------------------------------------------


def test_the_corpus_has_at_least_twelve_pdf_and_docx_resumes_in_several_layouts(corpus):
    binary = [r for r in corpus.values() if r.content_type != resume_corpus.TEXT]

    assert len(binary) >= 12
    assert {r.content_type for r in binary} == {resume_corpus.PDF, resume_corpus.DOCX}
    assert len({r.layout for r in binary}) == len(binary)


@pytest.mark.parametrize("key", KEYS)
def test_parse_resume_finds_the_key_fields_of_every_corpus_resume(corpus, parsed, key):
    truth = corpus[key].truth
    result = parsed[key]

    assert value(result, "name") == truth["name"]
    assert value(result, "email") == truth["email"]
    assert value(result, "phone") == truth["phone"]
    assert value(result, "location")["country"] == truth["location"]["country"]
    assert value(result, "current_title") == truth["current_title"]
    assert abs(value(result, "years_experience") - truth["years_experience"]) <= 1
    assert set(truth["skills"]) <= set(value(result, "skills"))
    assert len(value(result, "work_history")) == len(truth["work_history"])
    assert len(value(result, "education")) == len(truth["education"])


@pytest.mark.parametrize("key", KEYS)
def test_parse_resume_gives_every_field_a_confidence_and_serialises_to_json(parsed, key):
    result = parsed[key]

    assert list(result) == list(FIELDS)
    for field in result.values():
        assert 0.0 <= field["confidence"] <= 1.0
    assert json.loads(json.dumps(result)) == result


def test_parse_resume_scores_high_precision_and_recall_on_the_corpus(corpus, parsed):
    totals = {field: [0, 0, 0] for field in FIELDS}
    for key, resume in corpus.items():
        for field, counts in resume_corpus.score(parsed[key], resume.truth).items():
            totals[field] = [a + b for a, b in zip(totals[field], counts, strict=True)]

    for field, (tp, fp, fn) in totals.items():
        assert tp / (tp + fp) >= 0.9, field
        assert tp / (tp + fn) >= 0.9, field


def test_parse_resume_of_empty_text_suggests_nothing():
    result = parse("")

    assert {name: field["confidence"] for name, field in result.items()} == dict.fromkeys(
        FIELDS, 0.0
    )


# --- Dates and years ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Jan 2019 – Present", "2019-01", None),
        ("January 2019 - March 2021", "2019-01", "2021-03"),
        ("Sept. 2016 – Aug. 2019", "2016-09", "2019-08"),
        ("2018-2021", "2018", "2021"),
        ("2018 — 2021", "2018", "2021"),
        ("03/2017 - 06/2019", "2017-03", "2019-06"),
        ("03.2017 – 06.2019", "2017-03", "2019-06"),
        ("2019-03 – 2021-06", "2019-03", "2021-06"),
        ("2015 to 2018", "2015", "2018"),
        ("Jun 2014 until Mar 2017", "2014-06", "2017-03"),
        ("Jan '19 – Dec '20", "2019-01", "2020-12"),
        ("Since 2020", "2020", None),
        ("2021 – current", "2021", None),
        ("Mar 2020 - now", "2020-03", None),
        ("Oktober 2018 bis heute", "2018-10", None),
    ],
)
def test_find_range_reads_the_usual_date_formats(text, start, end):
    found = find_range(f"Engineer, Acme | {text} | Berlin", TODAY)

    assert found.start.iso() == start
    assert (found.end.iso() if found.end else None) == end


@pytest.mark.parametrize("text", ["+49 30 1234 5678", "Raised 2019 funding", "2021 - 2019"])
def test_find_range_ignores_what_is_not_a_range(text):
    assert find_range(text, TODAY) is None


def test_years_of_experience_merge_overlapping_jobs_and_count_present_until_today():
    text = """Experience
Engineer at Acme Corp
Jan 2015 – Dec 2019
Consultant at Side Gig Ltd
Jan 2018 – Dec 2020
Lead Engineer at Bigger Corp
Jan 2022 – Present
"""
    result = parse(text)

    # 2015-2020 (six years, the overlap once) and 2022 to November 2026 (four years, 11 months)
    assert value(result, "years_experience") == 10


def test_years_of_experience_prefer_an_explicit_statement_that_agrees_with_the_dates():
    text = """Summary
Engineer with over 9 years of experience.
Experience
Engineer at Acme Corp
Jan 2018 – Present
"""
    result = parse(text)

    # The dates give 8 years and 11 months: the statement agrees, and says more.
    assert value(result, "years_experience") == 9
    assert result["years_experience"]["confidence"] == pytest.approx(0.9)


def test_years_of_experience_come_from_a_statement_when_there_are_no_dates():
    result = parse("Summary\nProduct designer with 7+ years of experience in fintech.")

    assert value(result, "years_experience") == 7


# --- Skills ------------------------------------------------------------------------------------


def skills_of(text: str) -> list[str]:
    return value(parse(text), "skills")


def test_skills_match_on_word_boundaries_so_go_is_not_good_or_google():
    text = "Summary\nA good engineer going places, ex-Google, with a go-getter attitude."

    assert skills_of(text) == []


def test_skills_handle_cpp_csharp_dotnet_and_nodejs():
    text = "Skills\nC++, C#, .NET, Node.js, ASP.NET, TypeScript"

    assert skills_of(text) == ["cpp", "csharp", "dotnet", "nodejs", "typescript"]


def test_skills_prefer_the_longest_term_react_native_is_not_react():
    text = "Experience\nBuilt apps in React Native and JavaScript; shipped with GitHub Actions."

    assert skills_of(text) == ["react-native", "javascript", "github-actions"]


def test_skills_match_aliases_to_their_skill():
    text = "Skills\nPostgres, K8s, golang, sklearn, Amazon Web Services"

    assert skills_of(text) == ["postgresql", "kubernetes", "go", "scikit-learn", "aws"]


def test_ambiguous_terms_count_only_as_skills_or_in_their_own_spelling():
    prose = "Summary\nI rest on weekends, plan the next step and go shell hunting."
    assert skills_of(prose) == []

    assert skills_of("Summary\nDesigned REST APIs and wrote Go services.") == ["rest-apis", "go"]
    assert skills_of("Skills\nrest, next, go, shell") == ["rest-apis", "nextjs", "go", "bash"]


def test_a_github_link_is_not_the_git_skill():
    text = "Ada Lovelace\nGitHub: github.com/ada | ada@example.com\nSkills\nPython"

    assert skills_of(text) == ["python"]


def test_skills_found_in_a_skills_section_are_more_confident():
    in_section = parse("Skills\nPython, Django")
    in_prose = parse("Summary\nI write Python and Django.")

    assert in_section["skills"]["confidence"] > in_prose["skills"]["confidence"]


# --- Contact details ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contact", "phone"),
    [
        ("Berlin, Germany | 030 1234567", "+49301234567"),
        ("London, UK · 020 7946 0958", "+442079460958"),
        ("Lyon, France\nTél: 06 12 34 56 78", "+33612345678"),
        ("Austin, TX | (512) 555-0147", "+15125550147"),
        ("Mobile: +44 7911 123456 / London", "+447911123456"),
        ("Paris | +33 (0)1 23 45 67 89", "+33123456789"),
        ("Phone: 0049 30 1234 5678 | Berlin, Germany", "+493012345678"),
    ],
)
def test_phone_is_normalised_to_e164_with_the_location_as_region_hint(contact, phone):
    result = parse(f"Jane Doe\n{contact}\njane@example.com\nExperience\n")

    assert value(result, "phone") == phone


def test_a_national_phone_without_a_location_falls_back_on_the_email_country():
    result = parse("Jane Doe\njane@example.de\n030 1234567\n")

    assert value(result, "phone") == "+49301234567"
    assert result["phone"]["confidence"] < 0.9


def test_a_year_range_is_not_a_phone():
    assert value(parse("Jane Doe\nBerlin, Germany\n2015 - 2018\n"), "phone") is None


def test_links_separate_linkedin_github_and_other_urls():
    text = (
        "Jane Doe\nlinkedin.com/in/jane-doe/ · https://GitHub.com/janedoe · "
        "https://jane.dev · www.example.org/blog. · jane@example.com"
    )

    assert value(parse(text), "links") == {
        "linkedin": "https://linkedin.com/in/jane-doe",
        "github": "https://github.com/janedoe",
        "other": ["https://jane.dev", "https://example.org/blog"],
    }


@pytest.mark.parametrize(
    ("line", "location"),
    [
        ("Toronto, ON, Canada", {"city": "Toronto", "region": "ON", "country": "CA"}),
        ("Austin, TX", {"city": "Austin", "region": "TX", "country": "US"}),
        ("Singapore", {"city": "Singapore", "region": "", "country": "SG"}),
        ("Location: Villeurbanne, France", {"city": "Villeurbanne", "region": "", "country": "FR"}),
        ("Remote | München", {"city": "München", "region": "", "country": "DE"}),
    ],
)
def test_location_reads_city_region_and_country(line, location):
    assert value(parse(f"Jane Doe\n{line}\njane@example.com"), "location") == location


@pytest.mark.parametrize(
    ("first_lines", "name"),
    [
        ("MARÍA GARCÍA LÓPEZ\nFrontend Developer", "María García López"),
        ("Curriculum Vitae\nLukas van der Berg", "Lukas van der Berg"),
        ("Dr. Jane Smith, PhD\nResearch Scientist", "Jane Smith"),
        ("Senior Data Scientist\nName: Sophie Müller", "Sophie Müller"),
        ("Liam O'Connor | Mobile Engineer | liam@example.ie", "Liam O'Connor"),
    ],
)
def test_name_is_found_near_the_top(first_lines, name):
    assert value(parse(first_lines), "name") == name


def test_a_job_title_or_a_place_is_not_a_name():
    result = parse("Senior Backend Engineer\nBerlin, Germany\nAcme GmbH")

    assert value(result, "name") is None


# --- Work history and education ----------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        "Senior Engineer at Acme Corp\nJan 2019 – Present | Berlin, Germany",
        "Acme Corp — Senior Engineer\nJan 2019 – Present",
        "Senior Engineer\nAcme Corp | Berlin, Germany | Jan 2019 – Present",
        "Acme Corp\nSenior Engineer\nJan 2019 – Present",
        "Senior Engineer | Acme Corp | Jan 2019 – Present",
        "Senior Engineer, Acme Corp (Jan 2019 – Present)",
        "Jan 2019 – Present\nSenior Engineer\nAcme Corp, Berlin, Germany",
    ],
)
def test_work_history_reads_title_and_company_in_any_common_layout(entry):
    text = f"Experience\n{entry}\nBuilt the payments platform.\n"

    assert value(parse(text), "work_history") == [
        {"title": "Senior Engineer", "company": "Acme Corp", "start": "2019-01", "end": "present"}
    ]


def test_work_history_keeps_every_entry_and_skips_bullets():
    text = """Work Experience
Staff Engineer at Bayview Systems Inc.
2021 – Present
Led the platform team of eight.
Owned the event bus
Software Engineer at Infosys Limited
Jul 2010 – Jan 2016
- Built back-office tools.
"""
    history = value(parse(text), "work_history")

    assert [(e["title"], e["company"]) for e in history] == [
        ("Staff Engineer", "Bayview Systems Inc."),
        ("Software Engineer", "Infosys Limited"),
    ]
    assert history[1]["start"] == "2010-07"
    assert history[1]["end"] == "2016-01"


def test_current_title_is_the_latest_role():
    text = """Experience
Engineer at Old Co Ltd
2012 – 2016
Principal Engineer at New Co Ltd
2016 – Present
"""
    assert value(parse(text), "current_title") == "Principal Engineer"


def test_education_reads_degree_institution_and_years_in_one_or_two_lines():
    text = """Education
BSc Computer Science, University of Manchester, 2011 – 2015
University of Leeds
MSc Mathematics, 2015-2016
Diplom-Informatiker — Technische Universität München (2005–2010)
"""
    assert value(parse(text), "education") == [
        {
            "degree": "BSc Computer Science",
            "institution": "University of Manchester",
            "start": 2011,
            "end": 2015,
        },
        {
            "degree": "MSc Mathematics",
            "institution": "University of Leeds",
            "start": 2015,
            "end": 2016,
        },
        {
            "degree": "Diplom-Informatiker",
            "institution": "Technische Universität München",
            "start": 2005,
            "end": 2010,
        },
    ]
