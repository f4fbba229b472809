"""Reading postings and resumes for matching (pure functions, no database)."""

import pytest

from pipeline.matching.features import job_features, profile_features, years_in
from pipeline.matching.places import EU, places_in, regions_in
from pipeline.matching.roles import NEIGHBOUR, role_closeness, role_read
from pipeline.matching.skills import skills_in

JAVA_POSTING = """Our payments core is Java 17 with Spring Boot, Kafka and PostgreSQL.

Must have: 5+ years of professional Java development; Spring Boot or Spring Framework; \
Docker and Kubernetes; strong Python or Scala.
Nice to have: AWS, Kotlin.

Seniority: senior. Location: Berlin, Germany, hybrid (two office days a week). \
Salary: EUR 80,000-95,000."""


def _groups(requirements):
    return [requirement["any"] for requirement in requirements]


def test_job_features_split_required_from_nice_to_have_with_alternatives():
    features = job_features(title="Senior Java Backend Engineer", text=JAVA_POSTING)

    assert _groups(features["required"]) == [
        [["java"]],
        [["spring"]],
        [["docker"], ["kubernetes"]],
        [["python", "scala"]],
    ]
    assert _groups(features["nice"]) == [[["aws"], ["kotlin"]]]


def test_job_features_read_level_place_workplace_and_salary():
    features = job_features(title="Senior Java Backend Engineer", text=JAVA_POSTING)

    assert features["level"] == 3
    assert features["workplace"] == "hybrid"
    assert features["location"]["metro"] == "berlin"
    assert features["location"]["country"] == "DE"
    assert features["hiring_regions"] == []
    assert features["salary"] == {"min": 80000, "max": 95000, "currency": "EUR", "period": "year"}


@pytest.mark.parametrize(
    ("location", "regions"),
    [
        ("Remote within the EU (we cannot hire outside the EU).", EU),
        ("Fully remote within the United States (we can only employ US residents).", {"US"}),
        ("Remote in the United States or Canada.", {"US", "CA"}),
        ("Fully remote within Germany (you must live in Germany).", {"DE"}),
        ("Fully remote, worldwide (we hire in any country).", {"ANY"}),
    ],
)
def test_job_features_read_the_countries_a_remote_job_employs_in(location, regions):
    features = job_features(title="Data Engineer", text=f"Build pipelines.\n\nLocation: {location}")

    assert features["workplace"] == "remote"
    assert set(features["hiring_regions"]) == set(regions)


def test_job_features_read_visa_shift_and_hours():
    text = (
        "Schedule: three 12-hour night shifts per week. We cannot sponsor visas for this "
        "position. Hours: 30 hours a week. Location: on site in Boston, Massachusetts."
    )
    features = job_features(title="Registered Nurse – ICU (Nights)", text=text)

    assert features["visa"] == "none"
    assert features["shift"] == "night"
    assert features["hours"] == 30
    assert features["workplace"] == "onsite"
    assert features["location"]["metro"] == "boston"


def test_a_negated_remote_option_is_not_remote():
    text = "Location: New York City, hybrid. We do not offer fully remote for this role."

    assert job_features(title="Python Engineer", text=text)["workplace"] == "hybrid"


def test_skills_synonyms_map_to_one_skill():
    assert skills_in("I run k8s clusters and write ECMAScript and TS; SFDC power user.") == [
        "kubernetes",
        "javascript",
        "typescript",
        "salesforce",
    ]


def test_java_is_not_javascript():
    assert skills_in("Java and JavaScript") == ["java", "javascript"]
    assert skills_in("We write JavaScript") == ["javascript"]


def test_candidate_skills_read_what_they_lack_and_what_they_are_learning():
    features = profile_features(
        headline="Senior Java Developer",
        text="I build Spring Boot services. I have not worked with Kafka or PostgreSQL in "
        "production. I am learning Kubernetes through internal workshops.",
    )

    skills = features["skills"]
    assert skills["spring"] == 1.0
    assert skills["java"] == 1.0  # the headline, and Spring implies it
    assert skills["kafka"] == 0.0
    assert skills["postgresql"] == 0.0
    assert skills["kubernetes"] == 0.4


def test_candidate_role_comes_from_the_headline_not_from_what_the_resume_mentions():
    recruiter = profile_features(
        headline="Tech Recruiter – senior Java and Kotlin engineers",
        text="I hire senior Java backend engineers who build Spring Boot microservices.",
    )
    engineer = profile_features(
        headline="Senior Java Engineer – Spring Boot, Kafka", text="I build Java services."
    )
    job = role_read("Senior Java Backend Engineer")

    assert recruiter["role"]["keys"] == ["recruiter"]
    assert role_closeness(job, role_read("Tech Recruiter")) == 0
    assert engineer["role"] == {"keys": ["backend"], "stack": ["java"]}


def test_role_stack_tells_java_from_javascript_and_python():
    java_job = role_read("Senior Java Backend Engineer (Payments)")

    assert role_closeness(java_job, role_read("Senior Java Engineer – Spring")) == 1.0
    assert role_closeness(java_job, role_read("Senior Scala Engineer")) == pytest.approx(NEIGHBOUR)
    assert role_closeness(java_job, role_read("Senior Python Engineer – FastAPI")) < 0.35
    assert role_closeness(java_job, role_read("Frontend Developer – JavaScript, React")) < 0.35
    assert role_closeness(role_read("Data Engineer"), role_read("Data Scientist")) < 0.35


def test_candidate_level_from_headline_years_and_student_status():
    assert profile_features(headline="Junior React Developer", text="")["level"] == 1
    assert profile_features(headline="Principal Java Engineer", text="")["level"] == 4
    assert profile_features(headline="Data Analyst", text="Analyst with seven years of "
                            "experience.")["level"] == 3  # fmt: skip
    student = profile_features(
        headline="Computer Science student – Java (Werkstudent)",
        text="I am looking for a working-student position of up to 20 hours a week.",
    )
    assert student["level"] == 0
    assert student["max_hours"] == 20


def test_candidate_conditions_remote_only_relocation_and_work_rights():
    features = profile_features(
        headline="Senior SDET – Playwright",
        text="I live in London and I am looking for remote roles with UK employers; I do not "
        "have the right to work in the US or Canada. I only consider fully remote positions.",
    )
    mover = profile_features(
        headline="Java Developer",
        text="Based in Munich. Open to relocating within Germany (Berlin or Hamburg preferred).",
    )

    assert features["remote_only"] is True
    assert features["location"]["country"] == "GB"
    assert set(features["work_rights"]["excluded"]) == {"US", "CA"}
    assert mover["location"]["metro"] == "munich"
    assert "DE" in mover["relocation"]["countries"]
    assert {"berlin", "hamburg"} <= set(mover["relocation"]["metros"])
    assert mover["remote_only"] is False


def test_candidate_roles_they_do_not_want_and_day_shifts():
    features = profile_features(
        headline="ICU RN – day shifts only",
        text="Because of childcare I can only work day shifts and no nights. I am not looking "
        "for a recruiting or talent role.",
    )

    assert features["day_shift_only"] is True
    assert "recruiter" in features["excluded_roles"]


def test_places_group_towns_into_metro_areas_and_resolve_shared_names():
    assert [p.metro for p in places_in("I live in Salford and work in Evanston")] == [
        "manchester",
        "chicago",
    ]
    assert places_in("Cambridge, Massachusetts")[0].metro == "boston"
    assert places_in("Cambridge, UK")[0].country == "GB"
    assert regions_in("anywhere in Europe (EU, UK, Switzerland, Norway)") >= {"GB", "CH", "DE"}


def test_years_in_reads_words_and_months():
    assert years_in("Nurse with five years of experience") == 5
    assert years_in("SDR with 18 months of experience") == 1.5
    assert years_in("one and a half years at a startup") == 1.5
