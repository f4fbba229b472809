"""Scoring one candidate for one job: parts, deal-breakers and plain-English reasons."""

import json
from pathlib import Path

import pytest

from pipeline.matching.features import job_features, profile_features
from pipeline.matching.scoring import DEFAULT_WEIGHTS, PartsIndex, ShortlistScorer, pair_score

DEV_SET = Path(__file__).parent / "fixtures" / "matching-dev" / "dataset.jsonl"

BERLIN_JAVA = job_features(
    title="Senior Java Backend Engineer",
    text="Must have: Java; Spring Boot; Kafka; PostgreSQL.\nNice to have: Kubernetes.\n\n"
    "Seniority: senior. Location: Berlin, Germany, hybrid (two office days a week).",
)
EU_REMOTE_JAVA = job_features(
    title="Senior Backend Engineer (Java)",
    text="Must have: Java; Kafka.\n\nLocation: Remote within the EU (we cannot hire outside "
    "the EU).",
)
NIGHT_ICU = job_features(
    title="Registered Nurse – Medical ICU (Nights)",
    text="Requirements: active RN license; 2 years of ICU experience; BLS and ACLS.\n\n"
    "Schedule: three 12-hour night shifts per week. Location: on site in Boston, "
    "Massachusetts.",
)


def _profile(headline, text):
    return profile_features(headline=headline, text=text)


SENIOR_BERLIN = _profile(
    "Senior Java Engineer – Spring Boot, Kafka",
    "Backend engineer with 8 years of Java: Spring Boot microservices on Kafka and "
    "PostgreSQL, deployed on Kubernetes. Based in Berlin, Germany; happy with hybrid work.",
)


def _score(job, profile, similarity=0.5):
    return pair_score(job, profile, similarity=similarity, weights=DEFAULT_WEIGHTS)


def test_a_strong_match_has_full_parts_and_names_its_skills():
    scored = _score(BERLIN_JAVA, SENIOR_BERLIN)

    assert scored.feasible
    assert scored.score > 0.9
    assert scored.parts["role"] == 1.0
    assert scored.parts["skills"] == 1.0
    assert scored.parts["nice_to_have"] == 1.0
    assert scored.parts["seniority"] == 1.0
    assert scored.parts["location"] == 1.0
    assert scored.parts["remote"] == 1.0
    assert scored.parts["semantic"] == 0.5
    assert scored.explanation["summary"] == "Strong match."
    assert scored.explanation["matched_skills"] == ["Java", "Spring", "Kafka", "PostgreSQL"]
    assert scored.explanation["missing_required_skills"] == []
    assert "Same role: backend engineer (Java)." in scored.explanation["reasons"]
    assert "Lives within reach of Berlin (DE) (hybrid)." in scored.explanation["reasons"]


def test_remote_only_candidate_is_filtered_for_an_onsite_or_hybrid_job():
    remote_only = _profile(
        "Senior Java Engineer – Spring, Kafka (remote only)",
        "Eight years of Java with Spring Boot, Kafka and PostgreSQL. I live in Berlin but I "
        "only accept fully remote positions.",
    )

    hybrid = _score(BERLIN_JAVA, remote_only)
    remote = _score(EU_REMOTE_JAVA, remote_only)

    assert not hybrid.feasible
    assert hybrid.parts["remote"] == 0.0
    assert hybrid.explanation["blocked_by"] == ["remote_only"]
    assert (
        "The candidate works remotely only; the job is hybrid in Berlin (DE)."
        in (hybrid.explanation["reasons"])
    )
    assert remote.feasible
    assert remote.score > 0.9


def test_remote_job_restricted_to_countries_filters_candidates_elsewhere():
    london = _profile(
        "Principal Java Engineer – Kafka",
        "Fourteen years of Java and Kafka. I work remotely from London.",
    )
    lisbon = _profile(
        "Senior Java Engineer – Kafka", "Nine years of Java and Kafka. Based in Lisbon, Portugal."
    )

    blocked = _score(EU_REMOTE_JAVA, london)

    assert not blocked.feasible
    assert blocked.explanation["blocked_by"] == ["hiring_region"]
    assert "can only employ people in the EU; the candidate lives in the UK" in (
        " ".join(blocked.explanation["reasons"])
    )
    assert _score(EU_REMOTE_JAVA, lisbon).feasible


def test_no_visa_sponsorship_filters_candidates_abroad_without_the_right_to_work():
    job = job_features(
        title="Junior Java Developer",
        text="Requirements: Java; SQL.\n\nLocation: Manchester, on site. We cannot sponsor visas.",
    )
    abroad = _profile("Junior Java Developer", "One year of Java and SQL in Pune, India.")
    local = _profile("Junior Java Developer", "One year of Java and SQL. Based in Manchester.")

    assert not _score(job, abroad).feasible
    assert _score(job, abroad).explanation["blocked_by"] == ["visa"]
    assert _score(job, local).feasible


def test_java_developer_outranks_javascript_developer_and_recruiter_for_a_java_job():
    javascript = _profile(
        "Frontend Developer – JavaScript, React",
        "Four years of JavaScript and React. Based in Berlin, Germany.",
    )
    recruiter = _profile(
        "Tech Recruiter – senior Java engineers",
        "I hire senior Java engineers who build Spring Boot microservices with Kafka and "
        "PostgreSQL. Based in Berlin.",
    )

    java = _score(BERLIN_JAVA, SENIOR_BERLIN).score
    assert _score(BERLIN_JAVA, javascript).score < 0.3 < java
    assert _score(BERLIN_JAVA, recruiter).score < 0.3
    assert _score(BERLIN_JAVA, recruiter).parts["role"] == 0.0
    assert "Different field" in _score(BERLIN_JAVA, recruiter).explanation["reasons"][0]


def test_each_level_below_costs_and_a_junior_is_far_below_a_senior():
    mid = _profile("Java Developer", "Four years of Java, Spring Boot, Kafka and PostgreSQL. "
                   "Based in Berlin.")  # fmt: skip
    junior = _profile("Junior Java Developer", "One year of Java, Spring Boot, Kafka and "
                      "PostgreSQL. Based in Berlin.")  # fmt: skip

    senior_score = _score(BERLIN_JAVA, SENIOR_BERLIN)
    mid_score = _score(BERLIN_JAVA, mid)
    junior_score = _score(BERLIN_JAVA, junior)

    assert senior_score.score > mid_score.score > junior_score.score
    assert mid_score.parts["seniority"] == pytest.approx(2 / 3, abs=0.001)
    assert junior_score.parts["seniority"] == pytest.approx(1 / 3, abs=0.001)
    assert (
        "One level below the job (mid-level for a senior job)."
        in (mid_score.explanation["reasons"])
    )


def test_missing_required_skills_are_named_and_cost_points():
    no_kafka = _profile(
        "Senior Java Developer – Spring, Oracle",
        "Nine years of Java and Spring Boot on Oracle. I have not worked with Kafka or "
        "PostgreSQL in production. Based in Berlin.",
    )

    scored = _score(BERLIN_JAVA, no_kafka)

    assert scored.parts["skills"] == 0.5
    assert scored.explanation["missing_required_skills"] == ["Kafka", "PostgreSQL"]
    assert scored.score < _score(BERLIN_JAVA, SENIOR_BERLIN).score


def test_living_abroad_without_moving_is_at_most_weak_and_moving_within_country_is_fine():
    amsterdam = _profile("Senior Java Engineer – Spring, Kafka",
                         "Eight years of Java, Spring Boot, Kafka and PostgreSQL. Based in "
                         "Amsterdam, Netherlands.")  # fmt: skip
    munich_mover = _profile("Senior Java Engineer – Spring, Kafka",
                            "Eight years of Java, Spring Boot, Kafka and PostgreSQL. Based in "
                            "Munich; willing to relocate within Germany.")  # fmt: skip
    munich = _profile("Senior Java Engineer – Spring, Kafka",
                      "Eight years of Java, Spring Boot, Kafka and PostgreSQL. Based in "
                      "Munich.")  # fmt: skip

    abroad = _score(BERLIN_JAVA, amsterdam)
    assert abroad.feasible
    assert abroad.explanation["summary"] == "Weak match."
    assert _score(BERLIN_JAVA, munich_mover).score > _score(BERLIN_JAVA, munich).score
    assert _score(BERLIN_JAVA, munich).score > abroad.score
    assert _score(BERLIN_JAVA, munich_mover).parts["location"] == 1.0


def test_day_shift_only_nurse_is_a_weak_match_for_a_night_job():
    nights = _profile("ICU Registered Nurse – CCRN, BLS, ACLS",
                      "Registered nurse with six years in a Boston ICU. BLS and ACLS. "
                      "Available for night shifts.")  # fmt: skip
    days = _profile("ICU RN – day shifts only",
                    "ICU registered nurse with five years in a Boston ICU. BLS and ACLS. I can "
                    "only work day shifts and no nights.")  # fmt: skip

    assert _score(NIGHT_ICU, nights).explanation["summary"] == "Strong match."
    assert _score(NIGHT_ICU, days).feasible
    assert _score(NIGHT_ICU, days).explanation["summary"] == "Weak match."


def test_working_student_hours_and_unwanted_roles_rule_a_match_out():
    student = _profile(
        "Computer Science student – Java, Spring Boot (Werkstudent)",
        "I am looking for a working-student position of up to 20 hours a week. Based in Berlin.",
    )
    engineer = _profile(
        "Software Engineer – backend, technical interviewer",
        "I run technical interviews. I am not looking for a recruiting or talent role. London.",
    )
    recruiter_job = job_features(title="Technical Recruiter", text="Location: London, hybrid.")

    assert _score(BERLIN_JAVA, student).explanation["blocked_by"] == ["hours", "internship"]
    assert _score(recruiter_job, engineer).explanation["blocked_by"] == ["role_preference"]


def test_weights_change_the_score():
    mid = _profile("Java Developer", "Four years of Java, Spring Boot, Kafka and PostgreSQL. "
                   "Based in Berlin.")  # fmt: skip
    lenient = {**DEFAULT_WEIGHTS, "seniority": 0.0}

    default = pair_score(BERLIN_JAVA, mid, similarity=0.5, weights=DEFAULT_WEIGHTS).score
    assert pair_score(BERLIN_JAVA, mid, similarity=0.5, weights=lenient).score > default


def test_the_shortlist_scorer_gives_every_pair_the_score_of_pair_score():
    """Jobs and candidates of the matching dev set (every kind of role, place, schedule and
    requirement it holds), each job as its row of a PartsIndex: the same score and
    feasibility as pair_score for every pair and similarity, unknown roles included."""
    jobs, profiles = [], []
    for line in DEV_SET.read_text().splitlines():
        row = json.loads(line)
        if row["type"] == "job":
            jobs.append(job_features(title=row["title"], text=row["description"]))
        elif row["type"] == "candidate":
            profiles.append(_profile(row["headline"], row["resume_text"]))
    jobs += [BERLIN_JAVA, EU_REMOTE_JAVA, NIGHT_ICU, {"version": 1}]  # the last: nothing known
    index = PartsIndex()
    rows = [index.add(job) for job in jobs]
    assert len(index.parts["where"]) < len(jobs)  # parts are shared, or nothing is tested
    pairs = infeasible = 0
    for profile in profiles[:40] + [SENIOR_BERLIN]:
        scorer = ShortlistScorer(profile, index.parts, DEFAULT_WEIGHTS)
        for number, (job, row) in enumerate(zip(jobs, rows, strict=True)):
            similarity = (0.1, 0.45, 0.8, None)[number % 4]
            expected = pair_score(
                job, profile, similarity=similarity, weights=DEFAULT_WEIGHTS, explain=False
            )
            assert scorer.score(row, similarity) == (expected.score, expected.feasible)
            pairs += 1
            infeasible += not expected.feasible
    assert pairs > 1000 and infeasible > 10
