"""Deterministic demo and benchmark data; `manage.py seed_demo` calls `demo_seed`.

Every row has a natural key (emails such as candidate00042@demo.example, job slugs such as
job-000123), and every job and candidate comes from its own seeded `random.Random`, so a second
run adds nothing and a run with bigger numbers adds only the missing rows. The bulk tables are
written with `bulk_create` in batches, one transaction per batch. Companies and memberships are
few and go through their services, whose hooks make the default stages and the audit trail.
Embeddings stay NULL: the enrichment pipeline fills them.
"""

from __future__ import annotations

import html
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import reset_queries, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import (
    CandidateProfile,
    Company,
    Membership,
    RemotePreference,
    Role,
    SalaryPeriod,
    Seniority,
    User,
)
from accounts.services import company_create, membership_set
from applications.models import (
    Application,
    Interview,
    Note,
    Offer,
    Scorecard,
    Stage,
    StageChange,
)
from jobs.models import Job, JobSkill, Skill
from pipeline.models import ScrapedPosting, Source
from recruitment.api import ApplicationError

DEMO_PASSWORD = "demo-password-2026"
DEMO_DOMAIN = "demo.example"
SUPERUSER_EMAIL = f"admin@{DEMO_DOMAIN}"
DEFAULT_JOBS = 60
DEFAULT_CANDIDATES = 40

APP_LABELS = ("accounts", "jobs", "applications", "pipeline")
# allauth's EmailAddress rows make the demo candidates able to log in on the site, where
# email verification is mandatory; the summary counts them too.
REPORT_APP_LABELS = (*APP_LABELS, "account")

JOB_BATCH = 2_000
CANDIDATE_BATCH = 1_000
INSERT_BATCH = 5_000
SEED = "seed-demo-v1"
# The first jobs all belong to tenants, so that even a small demo has full pipelines; after
# that every tenth job is a tenant's and the rest are scraped from other employers.
TENANT_HEAD = 30
TENANT_EVERY = 10
JOB_SLUG = re.compile(r"^job-(\d{6,})$")

# --- Reference data ------------------------------------------------------------------------

C = Skill.Category
# (name, slug, category, aliases)
SKILLS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Python", "python", C.LANGUAGE, ("py", "python3")),
    ("Java", "java", C.LANGUAGE, ("java 17", "jvm")),
    ("JavaScript", "javascript", C.LANGUAGE, ("js", "ecmascript", "es6")),
    ("TypeScript", "typescript", C.LANGUAGE, ("ts",)),
    ("Go", "go", C.LANGUAGE, ("golang",)),
    ("Rust", "rust", C.LANGUAGE, ("rust-lang",)),
    ("C#", "csharp", C.LANGUAGE, ("c sharp", "c#")),
    ("C++", "cpp", C.LANGUAGE, ("c++", "cplusplus")),
    ("Kotlin", "kotlin", C.LANGUAGE, ()),
    ("Swift", "swift", C.LANGUAGE, ("swiftui",)),
    ("Ruby", "ruby", C.LANGUAGE, ()),
    ("PHP", "php", C.LANGUAGE, ()),
    ("Scala", "scala", C.LANGUAGE, ()),
    ("SQL", "sql", C.LANGUAGE, ("t-sql", "pl/sql", "ansi sql")),
    ("Bash", "bash", C.LANGUAGE, ("shell", "shell scripting", "sh")),
    ("Django", "django", C.FRAMEWORK, ("django rest framework", "drf")),
    ("Flask", "flask", C.FRAMEWORK, ()),
    ("FastAPI", "fastapi", C.FRAMEWORK, ("fast api",)),
    ("React", "react", C.FRAMEWORK, ("reactjs", "react.js")),
    ("Vue.js", "vuejs", C.FRAMEWORK, ("vue", "vue.js")),
    ("Angular", "angular", C.FRAMEWORK, ("angularjs",)),
    ("Node.js", "nodejs", C.FRAMEWORK, ("node", "node.js")),
    ("Next.js", "nextjs", C.FRAMEWORK, ("next",)),
    ("Spring Boot", "spring-boot", C.FRAMEWORK, ("spring", "spring framework")),
    ("Ruby on Rails", "ruby-on-rails", C.FRAMEWORK, ("rails", "ror")),
    (".NET", "dotnet", C.FRAMEWORK, ("dotnet", ".net core", "asp.net")),
    ("React Native", "react-native", C.FRAMEWORK, ("rn",)),
    ("pandas", "pandas", C.DATA, ()),
    ("PyTorch", "pytorch", C.DATA, ("torch",)),
    ("TensorFlow", "tensorflow", C.DATA, ("tf", "keras")),
    ("scikit-learn", "scikit-learn", C.DATA, ("sklearn",)),
    ("Machine learning", "machine-learning", C.DATA, ("ml",)),
    ("Deep learning", "deep-learning", C.DATA, ("dl", "neural networks")),
    ("Natural language processing", "nlp", C.DATA, ("nlp", "llm", "large language models")),
    ("Data analysis", "data-analysis", C.DATA, ("analytics",)),
    ("Statistics", "statistics", C.DATA, ("statistical modelling",)),
    ("Apache Spark", "apache-spark", C.DATA, ("spark", "pyspark")),
    ("Apache Airflow", "airflow", C.DATA, ("airflow",)),
    ("dbt", "dbt", C.DATA, ("data build tool",)),
    ("Tableau", "tableau", C.DATA, ()),
    ("Power BI", "power-bi", C.DATA, ("powerbi",)),
    ("PostgreSQL", "postgresql", C.TOOL, ("postgres", "psql", "pg")),
    ("MySQL", "mysql", C.TOOL, ("mariadb",)),
    ("MongoDB", "mongodb", C.TOOL, ("mongo",)),
    ("Redis", "redis", C.TOOL, ()),
    ("Elasticsearch", "elasticsearch", C.TOOL, ("elastic", "opensearch")),
    ("Apache Kafka", "kafka", C.TOOL, ("kafka",)),
    ("Celery", "celery", C.TOOL, ()),
    ("GraphQL", "graphql", C.TOOL, ("gql",)),
    ("REST APIs", "rest-apis", C.TOOL, ("rest", "restful apis")),
    ("Docker", "docker", C.TOOL, ("containers",)),
    ("Kubernetes", "kubernetes", C.TOOL, ("k8s",)),
    ("Terraform", "terraform", C.TOOL, ("hcl",)),
    ("AWS", "aws", C.TOOL, ("amazon web services",)),
    ("Google Cloud", "google-cloud", C.TOOL, ("gcp", "google cloud platform")),
    ("Azure", "azure", C.TOOL, ("microsoft azure",)),
    ("Linux", "linux", C.TOOL, ("unix",)),
    ("Git", "git", C.TOOL, ("github", "gitlab")),
    ("GitHub Actions", "github-actions", C.TOOL, ("gh actions",)),
    ("Figma", "figma", C.TOOL, ()),
    ("Jira", "jira", C.TOOL, ()),
    ("CI/CD", "ci-cd", C.PRACTICE, ("continuous integration", "continuous delivery")),
    ("Test automation", "test-automation", C.PRACTICE, ("automated testing", "qa automation")),
    ("Agile", "agile", C.PRACTICE, ("scrum", "kanban")),
    ("Microservices", "microservices", C.PRACTICE, ("service-oriented architecture",)),
    ("System design", "system-design", C.PRACTICE, ("software architecture",)),
    ("Application security", "application-security", C.PRACTICE, ("appsec", "security")),
    ("Accessibility", "accessibility", C.PRACTICE, ("a11y", "wcag")),
    ("UX research", "ux-research", C.PRACTICE, ("user research",)),
    ("UI design", "ui-design", C.PRACTICE, ("interface design", "visual design")),
    ("Product management", "product-management", C.PRACTICE, ("product owner",)),
    ("Payments", "payments", C.DOMAIN, ("fintech",)),
    ("Healthcare", "healthcare", C.DOMAIN, ("healthtech",)),
    ("E-commerce", "e-commerce", C.DOMAIN, ("ecommerce", "online retail")),
    ("Communication", "communication", C.SOFT, ()),
    ("Mentoring", "mentoring", C.SOFT, ("coaching",)),
    ("Stakeholder management", "stakeholder-management", C.SOFT, ()),
)
del C


class Family(NamedTuple):
    """A kind of role: what it is called, which skills it needs, what the work is."""

    area: str
    titles: tuple[str, ...]
    headline: str
    core: tuple[str, ...]
    extra: tuple[str, ...]
    duties: tuple[str, ...]
    weight: int


FAMILIES: tuple[Family, ...] = (
    Family(
        "Backend",
        ("Backend Engineer", "Python Developer", "Software Engineer, Backend"),
        "backend developer (Python, Django)",
        ("python", "django", "postgresql"),
        ("fastapi", "flask", "redis", "celery", "docker", "aws", "rest-apis", "sql", "kafka"),
        ("design and build APIs", "own services end to end", "tune slow queries"),
        14,
    ),
    Family(
        "Platform",
        ("Java Engineer", "Backend Engineer (Java)", "Kotlin Developer"),
        "Java and Kotlin engineer",
        ("java", "spring-boot", "sql"),
        ("kotlin", "kafka", "postgresql", "microservices", "docker", "kubernetes", "aws"),
        ("build event-driven services", "keep the platform reliable", "review designs"),
        9,
    ),
    Family(
        "Infrastructure",
        ("Go Engineer", "Platform Engineer (Go)", "Distributed Systems Engineer"),
        "Go engineer for distributed systems",
        ("go", "kubernetes", "postgresql"),
        ("docker", "microservices", "aws", "redis", "kafka", "rust", "linux"),
        ("build the platform other teams ship on", "scale storage", "cut latency"),
        5,
    ),
    Family(
        "Frontend",
        ("Frontend Engineer", "React Developer", "UI Engineer"),
        "frontend developer (React, TypeScript)",
        ("javascript", "typescript", "react"),
        ("nextjs", "vuejs", "graphql", "accessibility", "figma", "test-automation"),
        ("ship accessible interfaces", "build the design system", "measure web performance"),
        10,
    ),
    Family(
        "Product Engineering",
        ("Full-stack Developer", "Software Engineer", "Full-stack Engineer (TypeScript)"),
        "full-stack developer",
        ("typescript", "react", "nodejs"),
        ("python", "django", "postgresql", "graphql", "docker", "aws", "nextjs"),
        ("ship features from database to browser", "pair with designers", "run experiments"),
        10,
    ),
    Family(
        "Mobile",
        ("Mobile Developer", "iOS Engineer", "Android Engineer"),
        "mobile developer",
        ("react-native", "typescript"),
        ("swift", "kotlin", "graphql", "test-automation", "ci-cd"),
        ("build our mobile apps", "own releases to the stores", "improve app start time"),
        5,
    ),
    Family(
        "Data",
        ("Data Engineer", "Analytics Engineer", "Data Platform Engineer"),
        "data engineer",
        ("python", "sql", "apache-spark"),
        ("airflow", "dbt", "kafka", "aws", "postgresql", "scala", "google-cloud"),
        ("build data pipelines", "model the warehouse", "keep data quality high"),
        8,
    ),
    Family(
        "Machine Learning",
        ("Machine Learning Engineer", "Data Scientist", "NLP Engineer"),
        "machine learning engineer",
        ("python", "machine-learning", "pytorch"),
        ("tensorflow", "scikit-learn", "pandas", "nlp", "deep-learning", "statistics", "sql"),
        ("train and ship models", "evaluate ranking quality", "build feature pipelines"),
        7,
    ),
    Family(
        "Cloud",
        ("DevOps Engineer", "Site Reliability Engineer", "Cloud Engineer"),
        "DevOps and cloud engineer",
        ("kubernetes", "terraform", "aws"),
        ("docker", "linux", "ci-cd", "go", "python", "google-cloud", "azure", "github-actions"),
        ("automate infrastructure", "run on-call with the team", "lower the cloud bill"),
        8,
    ),
    Family(
        "Design",
        ("Product Designer", "UX Designer", "UI Designer"),
        "product designer",
        ("figma", "ui-design", "ux-research"),
        ("accessibility", "communication", "agile"),
        ("design end-to-end flows", "run user interviews", "grow the design system"),
        5,
    ),
    Family(
        "Analytics",
        ("Data Analyst", "BI Analyst", "Product Analyst"),
        "data analyst",
        ("sql", "data-analysis"),
        ("python", "tableau", "power-bi", "statistics", "pandas", "dbt"),
        ("answer product questions with data", "build dashboards", "design experiments"),
        5,
    ),
    Family(
        "Quality",
        ("QA Engineer", "Test Automation Engineer", "Software Engineer in Test"),
        "QA automation engineer",
        ("test-automation", "ci-cd"),
        ("python", "java", "javascript", "typescript", "docker"),
        ("automate end-to-end tests", "own the release checklist", "find bugs early"),
        4,
    ),
    Family(
        "Security",
        ("Security Engineer", "Application Security Engineer", "Cloud Security Engineer"),
        "security engineer",
        ("application-security", "linux"),
        ("python", "aws", "kubernetes", "go", "terraform"),
        ("threat-model new features", "run the bug bounty", "harden the cloud"),
        3,
    ),
    Family(
        "Product",
        ("Product Manager", "Technical Product Manager", "Product Owner"),
        "product manager",
        ("product-management", "agile", "stakeholder-management"),
        ("sql", "data-analysis", "communication", "jira", "ux-research"),
        ("own the roadmap", "talk to customers every week", "write crisp specs"),
        5,
    ),
    Family(
        "Engineering",
        (".NET Developer", "C# Engineer", "Backend Engineer (.NET)"),
        ".NET developer",
        ("csharp", "dotnet", "sql"),
        ("azure", "angular", "microservices", "docker", "mysql"),
        ("modernise a large codebase", "build APIs on Azure", "mentor junior developers"),
        4,
    ),
)
FAMILY_WEIGHTS = [family.weight for family in FAMILIES]


class Place(NamedTuple):
    city: str
    region: str
    country: str
    currency: str
    tz: str
    salary: int  # a mid-level annual salary, in the local currency
    weight: int


PLACES: tuple[Place, ...] = (
    Place("Berlin", "Berlin", "DE", "EUR", "Europe/Berlin", 68_000, 12),
    Place("Munich", "Bavaria", "DE", "EUR", "Europe/Berlin", 72_000, 6),
    Place("Hamburg", "Hamburg", "DE", "EUR", "Europe/Berlin", 65_000, 4),
    Place("Amsterdam", "North Holland", "NL", "EUR", "Europe/Amsterdam", 70_000, 6),
    Place("Paris", "Île-de-France", "FR", "EUR", "Europe/Paris", 60_000, 6),
    Place("Madrid", "Community of Madrid", "ES", "EUR", "Europe/Madrid", 45_000, 4),
    Place("Barcelona", "Catalonia", "ES", "EUR", "Europe/Madrid", 45_000, 3),
    Place("Lisbon", "Lisbon", "PT", "EUR", "Europe/Lisbon", 38_000, 3),
    Place("Dublin", "Leinster", "IE", "EUR", "Europe/Dublin", 75_000, 3),
    Place("London", "England", "GB", "GBP", "Europe/London", 70_000, 8),
    Place("Manchester", "England", "GB", "GBP", "Europe/London", 55_000, 2),
    Place("Warsaw", "Masovia", "PL", "PLN", "Europe/Warsaw", 220_000, 3),
    Place("Stockholm", "Stockholm County", "SE", "SEK", "Europe/Stockholm", 650_000, 2),
    Place("Copenhagen", "Capital Region", "DK", "DKK", "Europe/Copenhagen", 650_000, 2),
    Place("Zurich", "Zurich", "CH", "CHF", "Europe/Zurich", 120_000, 2),
    Place("New York", "New York", "US", "USD", "America/New_York", 160_000, 6),
    Place("San Francisco", "California", "US", "USD", "America/Los_Angeles", 175_000, 5),
    Place("Austin", "Texas", "US", "USD", "America/Chicago", 140_000, 3),
    Place("Seattle", "Washington", "US", "USD", "America/Los_Angeles", 165_000, 2),
    Place("Toronto", "Ontario", "CA", "CAD", "America/Toronto", 115_000, 3),
    Place("Bangalore", "Karnataka", "IN", "INR", "Asia/Kolkata", 2_400_000, 3),
    Place("Singapore", "Singapore", "SG", "SGD", "Asia/Singapore", 110_000, 2),
    Place("Sydney", "New South Wales", "AU", "AUD", "Australia/Sydney", 140_000, 2),
    Place("Tokyo", "Tokyo", "JP", "JPY", "Asia/Tokyo", 8_500_000, 2),
    Place("São Paulo", "São Paulo", "BR", "BRL", "America/Sao_Paulo", 180_000, 2),
)
PLACE_WEIGHTS = [place.weight for place in PLACES]
TIMEZONE_OF_COUNTRY = {place.country: place.tz for place in PLACES}

S = Seniority
SENIORITY_PAY = {
    S.INTERN: 0.35,
    S.JUNIOR: 0.7,
    S.MID: 1.0,
    S.SENIOR: 1.3,
    S.LEAD: 1.5,
    S.PRINCIPAL: 1.75,
    S.EXECUTIVE: 2.1,
}
SENIORITY_YEARS = {
    S.INTERN: (0, 1),
    S.JUNIOR: (0, 2),
    S.MID: (2, 5),
    S.SENIOR: (5, 11),
    S.LEAD: (8, 16),
    S.PRINCIPAL: (12, 25),
    S.EXECUTIVE: (15, 30),
}
JOB_SENIORITY = {
    S.JUNIOR: 14,
    S.MID: 32,
    S.SENIOR: 32,
    S.LEAD: 9,
    S.PRINCIPAL: 4,
    S.EXECUTIVE: 2,
    "": 7,
}
CANDIDATE_SENIORITY = {
    S.INTERN: 4,
    S.JUNIOR: 20,
    S.MID: 34,
    S.SENIOR: 30,
    S.LEAD: 9,
    S.PRINCIPAL: 3,
}
TITLE_PREFIX = {
    S.INTERN: "",
    S.JUNIOR: "Junior ",
    S.MID: "",
    S.SENIOR: "Senior ",
    S.LEAD: "Lead ",
    S.PRINCIPAL: "Principal ",
    "": "",
}
del S

E = Job.EmploymentType
EMPLOYMENT = {E.FULL_TIME: 74, E.CONTRACT: 10, E.PART_TIME: 6, E.TEMPORARY: 3, E.INTERNSHIP: 7}
del E
REMOTE = {Job.Remote.ONSITE: 38, Job.Remote.HYBRID: 37, Job.Remote.REMOTE: 25}

# (name, slug)
TENANTS: tuple[tuple[str, str], ...] = (
    ("Acme Robotics", "acme"),
    ("Globex Logistics", "globex"),
    ("Initech Software", "initech"),
    ("Umbra Health", "umbra"),
    ("Nimbus Energy", "nimbus"),
)
EMPLOYERS: tuple[str, ...] = (
    "Northwind Analytics",
    "Bluebird Payments",
    "Cobalt Systems",
    "Driftwood Games",
    "Evergreen Grid",
    "Fjord Freight",
    "Granite Security",
    "Harbor Health Labs",
    "Ironbark Robotics",
    "Juniper Retail",
    "Kestrel Aerospace",
    "Lumen Labs",
    "Meridian Insurance",
    "Nova Mobility",
    "Orchard Foods",
    "Pinnacle Media",
    "Quarry Data",
    "Riverstone Bank",
    "Saffron Travel",
    "Tidal Telecom",
    "Umber Biotech",
    "Vantage Legal",
    "Willow Learning",
    "Xenon Climate",
    "Yarrow Agritech",
    "Zephyr Cloud",
    "Atlas Parcel",
    "Beacon Property",
    "Cinder Studios",
    "Delta Devices",
)
# (email local part, role, shown in the printed logins)
MEMBERS: tuple[tuple[str, str, bool], ...] = (
    ("owner", Role.OWNER, True),
    ("admin", Role.ADMIN, True),
    ("recruiter", Role.RECRUITER, True),
    ("recruiter2", Role.RECRUITER, False),
    ("hiring-manager", Role.HIRING_MANAGER, True),
    ("interviewer", Role.INTERVIEWER, True),
    ("interviewer2", Role.INTERVIEWER, False),
)
FIRST_NAMES = (
    "Ada", "Amara", "Anders", "Aiko", "Ben", "Bianca", "Carlos", "Chen", "Chloe", "Dara",
    "David", "Elif", "Emma", "Farah", "Felix", "Greta", "Hana", "Hugo", "Ines", "Ivan",
    "Jamal", "Jana", "Jonas", "Kai", "Kofi", "Lara", "Leo", "Lina", "Luca", "Maya",
    "Mateo", "Mei", "Mia", "Nadia", "Nils", "Noah", "Olga", "Omar", "Priya", "Rafael",
    "Rosa", "Sami", "Sara", "Sofia", "Tariq", "Thea", "Tomás", "Uma", "Viktor", "Wen",
    "Yara", "Yusuf", "Zoe", "Arjun", "Camille", "Diego", "Freya", "Kenji", "Lucía", "Malik",
)  # fmt: skip
LAST_NAMES = (
    "Andersen", "Bakker", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hoffmann",
    "Ivanova", "Jansen", "Kowalski", "Larsen", "Müller", "Nakamura", "Okafor", "Petrov",
    "Quinn", "Rossi", "Schmidt", "Tanaka", "Usman", "Varga", "Weber", "Xu", "Yilmaz",
    "Zhang", "Novak", "Silva", "Moreau", "Kim", "Singh", "Haddad", "Mensah", "O'Brien",
    "Lindqvist", "Horvath", "Ferreira", "Kaya", "Nguyen", "Park", "Wagner", "Lopez",
    "Becker", "Santos", "Virtanen", "Dimitrov", "Sato", "Cohen", "Ali", "Murphy",
)  # fmt: skip
BENEFITS = (
    "30 days of paid holiday",
    "a learning budget of 2,000 a year",
    "flexible working hours",
    "a company pension plan",
    "equity for every employee",
    "a home-office budget",
    "parental leave beyond the legal minimum",
    "a yearly team retreat",
    "private health insurance",
    "a four-day week in summer",
)
QUESTIONS = (
    {"key": "notice_period", "label": "What is your notice period?", "type": "text"},
    {"key": "work_permit", "label": "Do you have the right to work here?", "type": "boolean"},
    {
        "key": "start",
        "label": "When could you start?",
        "type": "choice",
        "choices": ["Immediately", "Within a month", "In 2-3 months"],
    },
)
REJECTION_REASONS = (
    "Not enough experience with the core stack",
    "Salary expectations too far apart",
    "Position filled by another candidate",
    "Not the right seniority for this role",
    "Did not pass the technical interview",
    "Location does not fit the role",
    "Candidate declined our offer",
)
WITHDRAWAL_REASONS = (
    "Accepted another offer",
    "Decided to stay with my current employer",
    "The commute is too long",
    "",
)
NOTES = (
    "Strong communicator; walked us through a real outage calmly.",
    "Portfolio looks solid. Ask about team size at the current job.",
    "Salary expectation is at the top of the band.",
    "Referred by a former colleague, who speaks highly of them.",
    "Available in six weeks; notice period confirmed.",
    "Asked good questions about how we run on-call.",
    "Prefers hybrid, two office days at most.",
    "Second opinion needed on system design depth.",
)
SCORECARD_NOTES = (
    "Clear reasoning, tested the edge cases without prompting.",
    "Good fundamentals; a bit slow on the follow-up questions.",
    "Great collaboration during the pairing exercise.",
    "Struggled to explain trade-offs in the design.",
    "Would be a strong addition to the team.",
    "Solid, but not yet at the level the role needs.",
)
SCORECARD_CRITERIA = ("technical", "problem_solving", "communication", "collaboration")
INTERVIEW_TITLES = (
    "Technical interview",
    "System design interview",
    "Hiring manager interview",
    "Meet the team",
)
COVER_LETTER = (
    "Dear {company} team,\n\nI would love to join you as {title}. I have spent the last years "
    "building products with a similar stack, and your mission is the reason I am applying.\n\n"
    "Best regards,\n{name}"
)

K = Stage.Kind
A = Application.Status
OPEN_JOB_OUTCOMES = {
    K.APPLIED: 30,
    K.SCREEN: 17,
    K.INTERVIEW: 14,
    K.OFFER: 5,
    K.HIRED: 5,
    K.REJECTED: 24,
    A.WITHDRAWN: 5,
}
CLOSED_JOB_OUTCOMES = {K.HIRED: 12, K.REJECTED: 80, A.WITHDRAWN: 8}
# The first candidates take these outcomes in turn, so that even a tiny demo has every one.
FORCED_OUTCOMES = (K.APPLIED, K.SCREEN, K.INTERVIEW, K.OFFER, K.HIRED, K.REJECTED, A.WITHDRAWN)
APPLICATIONS_PER_CANDIDATE = {0: 14, 1: 18, 2: 18, 3: 16, 4: 12, 5: 9, 6: 6, 8: 5, 12: 2}
SOURCES = {
    Application.Source.CAREERS_SITE: 60,
    Application.Source.REFERRAL: 10,
    Application.Source.SOURCED: 9,
    Application.Source.API: 8,
    Application.Source.AGENCY: 5,
    Application.Source.MATCH: 8,
}


def _choice(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _rng(kind: str, number: int) -> random.Random:
    """A generator of its own for each row, so a row never depends on how many were asked."""
    return random.Random(f"{SEED}:{kind}:{number}")


# --- Bookkeeping -----------------------------------------------------------------------------


def row_counts(app_labels: tuple[str, ...] = APP_LABELS) -> dict[str, int]:
    """Count the rows of every model (and many-to-many table) of the given apps."""
    counts = {}
    for label in app_labels:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            counts[model._meta.label] = model._base_manager.count()
    return counts


@dataclass
class SeedReport:
    jobs: int
    candidates: int
    seconds: float
    before: dict[str, int]
    after: dict[str, int]

    @property
    def created(self) -> dict[str, int]:
        return {
            label: count - self.before.get(label, 0)
            for label, count in self.after.items()
            if count != self.before.get(label, 0)
        }

    def summary(self) -> str:
        created = self.created
        lines = [
            f"Demo data for --jobs {self.jobs} --candidates {self.candidates} "
            f"in {self.seconds:.1f} s: "
            + (f"{sum(created.values()):,} rows created." if created else "nothing to add.")
        ]
        width = max((len(label) for label in created), default=0)
        lines += [f"  {label:<{width}}  {count:>+10,}" for label, count in created.items()]
        lines += ["", *demo_logins(candidates=self.candidates)]
        return "\n".join(lines)


def demo_logins(*, candidates: int = DEFAULT_CANDIDATES) -> list[str]:
    first_name, first_slug = TENANTS[0]
    rows = [("admin (superuser)", SUPERUSER_EMAIL, f"{settings.SITE_URL}/admin/")]
    rows += [
        (f"{role.label.lower()} ({first_name})", _member_email(local, first_slug), "")
        for local, role, shown in MEMBERS
        if shown
    ]
    if candidates:
        rows.append(("candidate", _candidate_email(1), f"{settings.SITE_URL}/"))
    width = max(len(row[0]) for row in rows)
    email_width = max(len(row[1]) for row in rows)
    others = ", ".join(f"{slug}.{DEMO_DOMAIN}" for _, slug in TENANTS[1:])
    lines = [
        f"Demo logins (password: {DEMO_PASSWORD}):",
        *(f"  {who:<{width}}  {email:<{email_width}}  {url}".rstrip() for who, email, url in rows),
        f"  Members log in at {settings.SITE_URL}/admin/; the same roles exist at {others}.",
    ]
    if candidates > 1:
        lines.append(f"  Candidates: {_candidate_email(1)} to {_candidate_email(candidates)}.")
    return lines


def _member_email(local: str, company_slug: str) -> str:
    return f"{local}@{company_slug}.{DEMO_DOMAIN}"


def _candidate_email(number: int) -> str:
    return f"candidate{number:05d}@{DEMO_DOMAIN}"


def _job_slug(number: int) -> str:
    return f"job-{number:06d}"


@cache
def _password_hash() -> str:
    # PBKDF2 is deliberately slow: hash once, give every demo user the same hash.
    return make_password(DEMO_PASSWORD)


def _round_pay(value: float) -> int:
    """Keep three significant digits: 68,400 not 68,437."""
    value = max(int(value), 1)
    step = 10 ** max(len(str(value)) - 3, 0)
    return max(round(value / step) * step, step)


def _pay_for_period(annual: float, period: str) -> int:
    per = {
        SalaryPeriod.YEAR: 1,
        SalaryPeriod.MONTH: 12,
        SalaryPeriod.WEEK: 48,
        SalaryPeriod.DAY: 200,
        SalaryPeriod.HOUR: 1_600,
    }
    return _round_pay(annual / per[period])


def _person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


# --- The world: skills, companies, members, stages, sources ----------------------------------


@dataclass
class _World:
    now: datetime
    password: str
    skill_ids: dict[str, int]
    skill_names: dict[str, str]
    tenants: list[Company]
    employers: list[Company]
    company_names: dict[int, str] = field(default_factory=dict)
    staff: dict[int, dict[str, int]] = field(default_factory=dict)  # company → key → user
    stages: dict[int, dict[str, int]] = field(default_factory=dict)  # company → kind → stage
    sources: dict[int | None, int] = field(default_factory=dict)  # employer (None: JSON-LD)


def _seed_skills() -> tuple[dict[str, int], dict[str, str]]:
    Skill.objects.bulk_create(
        [
            Skill(name=name, slug=slug, category=category, aliases=list(aliases))
            for name, slug, category, aliases in SKILLS
        ],
        ignore_conflicts=True,
    )
    rows = Skill.objects.filter(slug__in=[s[1] for s in SKILLS]).values_list("slug", "id", "name")
    return {slug: pk for slug, pk, _ in rows}, {slug: name for slug, _, name in rows}


def _seed_users(users: list[User]) -> dict[str, int]:
    """Insert the users that are missing, verify their emails; return email → id."""
    User.objects.bulk_create(users, batch_size=INSERT_BATCH, ignore_conflicts=True)
    ids = dict(User.objects.filter(email__in=[u.email for u in users]).values_list("email", "id"))
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=ids[u.email], email=u.email, verified=True, primary=True)
            for u in users
            if u.email in ids
        ],
        batch_size=INSERT_BATCH,
        ignore_conflicts=True,
    )
    return ids


@transaction.atomic
def _seed_world(*, now: datetime) -> _World:
    password = _password_hash()
    skill_ids, skill_names = _seed_skills()

    rng = _rng("staff", 0)
    staff_users = [
        User(
            email=SUPERUSER_EMAIL,
            full_name="Demo Admin",
            password=password,
            is_staff=True,
            is_superuser=True,
            date_joined=now - timedelta(days=400),
        )
    ]
    for _, slug in TENANTS:
        for local, _role, _shown in MEMBERS:
            staff_users.append(
                User(
                    email=_member_email(local, slug),
                    full_name=_person_name(rng),
                    password=password,
                    is_staff=True,
                    date_joined=now - timedelta(days=rng.randint(200, 400)),
                )
            )
    user_ids = _seed_users(staff_users)

    wanted = [(name, slug, True) for name, slug in TENANTS]
    wanted += [(name, slugify(name), False) for name in EMPLOYERS]
    existing = {c.slug: c for c in Company.objects.filter(slug__in=[w[1] for w in wanted])}
    for name, slug, is_tenant in wanted:
        if slug not in existing:
            existing[slug] = company_create(
                name=name,
                slug=slug,
                website=f"https://{slug}.{DEMO_DOMAIN}",
                description=f"{name}: a demo {'tenant' if is_tenant else 'employer'}.",
                is_tenant=is_tenant,
            )
    tenants = [existing[slug] for _, slug in TENANTS]
    employers = [existing[slug] for _, slug, is_tenant in wanted if not is_tenant]
    world = _World(now, password, skill_ids, skill_names, tenants, employers)
    world.company_names = {c.pk: c.name for c in tenants + employers}

    members = set(
        Membership.objects.filter(company__in=tenants).values_list("company_id", "user_id")
    )
    users = User.objects.in_bulk(list(user_ids.values()))
    for company in tenants:
        world.staff[company.pk] = {}
        for local, role, _shown in MEMBERS:
            user_id = user_ids.get(_member_email(local, company.slug))
            if user_id is None:
                continue
            world.staff[company.pk][local] = user_id
            if (company.pk, user_id) not in members:
                membership_set(company=company, user=users[user_id], role=role, actor=None)

    for stage in Stage.objects.filter(company__in=tenants).order_by("position"):
        world.stages.setdefault(stage.company_id, {}).setdefault(stage.kind, stage.pk)
    for company in tenants:
        missing = set(Stage.Kind.values) - set(world.stages.get(company.pk, {}))
        if missing:
            raise ApplicationError(
                f"{company.name} has no stage of kind {', '.join(sorted(missing))}; the demo "
                "applications need one of each.",
                code="stage_missing",
            )

    world.sources = _seed_sources(employers, now=now)
    _seed_demo_boards()
    return world


def _seed_sources(employers: list[Company], *, now: datetime) -> dict[int | None, int]:
    boards = {
        Source.Kind.GREENHOUSE: employers[0],
        Source.Kind.LEVER: employers[1],
        Source.Kind.ASHBY: employers[2],
    }
    sources = [
        Source(
            name=f"{company.name} on {kind.label.split()[0]}",
            kind=kind,
            company=company,
            config={"board": company.slug},
            schedule=Source.Schedule.MANUAL,  # the hosts are fake: crawl only when asked
            last_crawled_at=now,
        )
        for kind, company in boards.items()
    ]
    sources.append(
        Source(
            name="Demo career pages (JSON-LD)",
            kind=Source.Kind.JSONLD,
            config={
                "start_urls": [
                    f"https://careers.{c.slug}.{DEMO_DOMAIN}/jobs" for c in employers[3:]
                ]
            },
            schedule=Source.Schedule.MANUAL,
            last_crawled_at=now,
        )
    )
    Source.objects.bulk_create(sources, ignore_conflicts=True)
    by_name = dict(
        Source.objects.filter(name__in=[s.name for s in sources]).values_list("name", "id")
    )
    # Each board's employer is crawled from its board; every other employer by JSON-LD.
    return {source.company_id: by_name[source.name] for source in sources}


# Sources that really crawl: the DEBUG-only /demo-boards/ views serve these bundled boards
# (pipeline/demo_boards/). (name, kind, employer or None, config without base_url, path)
DEMO_BOARDS = (
    (
        "Harbourlight Energy (demo Greenhouse board)",
        Source.Kind.GREENHOUSE,
        "Harbourlight Energy",
        {"board": "harbourlight"},
        "greenhouse",
    ),
    (
        "Quillstone Books (demo Lever board)",
        Source.Kind.LEVER,
        "Quillstone Books",
        {"site": "quillstone"},
        "lever",
    ),
    (
        "Orbitvale Space (demo Ashby board)",
        Source.Kind.ASHBY,
        "Orbitvale Space",
        {"board": "orbitvale"},
        "ashby",
    ),
    ("Fernhollow Health careers (demo JSON-LD pages)", Source.Kind.JSONLD, None, {}, "careers"),
)


def demo_board_config(kind: str, config: dict, path: str) -> dict:
    base = f"{settings.DEMO_BOARDS_BASE_URL}/demo-boards/{path}"
    if kind == Source.Kind.JSONLD:
        return {"sitemap_urls": [f"{base}/fernhollow/sitemap.xml"], "allow": ["/jobs/"]}
    return {**config, "base_url": base}


def _seed_demo_boards() -> None:
    """One source of each kind, crawlable from the local demo boards (Crawl now in the admin,
    or `manage.py crawl NAME` while the dev server runs). Their schedule is manual, so the
    nightly run does not depend on the dev server being up."""
    for name, kind, employer, config, path in DEMO_BOARDS:
        company = None
        if employer:
            slug = slugify(employer)
            company = Company.objects.filter(slug=slug).first() or company_create(
                name=employer,
                slug=slug,
                website=f"https://{slug}.{DEMO_DOMAIN}",
                description=f"{employer}: a demo employer with its own job board.",
                is_tenant=False,
            )
        wanted = demo_board_config(kind, config, path)
        source = Source.objects.filter(name=name).first()
        if source is None:
            source = Source(
                name=name,
                kind=kind,
                company=company,
                config=wanted,
                schedule=Source.Schedule.MANUAL,
            )
            source.full_clean()
            source.save()
        elif source.config != wanted:  # DEMO_BOARDS_BASE_URL changed
            Source.objects.filter(pk=source.pk).update(config=wanted)


# --- Jobs ------------------------------------------------------------------------------------


def _job_family(rng: random.Random) -> Family:
    return rng.choices(FAMILIES, weights=FAMILY_WEIGHTS)[0]


@cache
def _family_of_job(number: int) -> Family:
    # The family is the first draw of the job's generator; candidates use it to pick jobs.
    return _job_family(_rng("job", number))


def _is_tenant_job(number: int) -> bool:
    return number <= TENANT_HEAD or number % TENANT_EVERY == 0


@dataclass
class _JobPlan:
    job: Job
    skills: list[tuple[str, bool]]
    team: list[int]
    posting: ScrapedPosting | None


def _plan_job(number: int, world: _World) -> _JobPlan:
    rng = _rng("job", number)
    family = _job_family(rng)
    tenant = _is_tenant_job(number)
    if tenant:
        count = len(world.tenants)
        company = world.tenants[
            (number - 1) % count if number <= TENANT_HEAD else rng.randrange(count)
        ]
    else:
        company = rng.choice(world.employers)
    now = world.now

    employment = _choice(rng, EMPLOYMENT)
    seniority = Seniority.INTERN if employment == "internship" else _choice(rng, JOB_SENIORITY)
    if seniority == Seniority.EXECUTIVE:
        title = f"Head of {family.area}"
    elif seniority == Seniority.INTERN:
        title = f"{rng.choice(family.titles)} Intern"
    else:
        title = TITLE_PREFIX[seniority] + rng.choice(family.titles)
    remote = _choice(rng, REMOTE)
    place = rng.choices(PLACES, weights=PLACE_WEIGHTS)[0]
    city, region, country, currency = place.city, place.region, place.country, place.currency
    if remote == Job.Remote.REMOTE:
        where = rng.random()
        if where < 0.3:  # anywhere
            city = region = country = ""
            currency = rng.choice(("USD", "EUR"))
        elif where < 0.6:  # anywhere in the country
            city = region = ""

    period = SalaryPeriod.YEAR
    if employment == "contract":
        period = SalaryPeriod.DAY
    elif employment == "internship":
        period = SalaryPeriod.MONTH
    elif employment in ("part_time", "temporary") and rng.random() < 0.5:
        period = SalaryPeriod.HOUR
    salary_min = salary_max = None
    if rng.random() < (0.85 if tenant else 0.6):
        annual = place.salary * SENIORITY_PAY.get(seniority, 1.0) * rng.uniform(0.85, 1.2)
        if currency != place.currency:
            annual = 70_000 * SENIORITY_PAY.get(seniority, 1.0) * rng.uniform(0.9, 1.3)
        salary_min = _pay_for_period(annual * 0.9, period)
        salary_max = max(_pay_for_period(annual * 1.15, period), salary_min)
        shape = rng.random()
        if shape < 0.06:
            salary_max = None  # "from 60k"
        elif shape < 0.09:
            salary_min = None  # "up to 80k"

    if tenant:
        status = (
            Job.Status.OPEN
            if number <= len(world.tenants)
            else _choice(rng, {"open": 75, "draft": 8, "closed": 14, "archived": 3})
        )
    else:
        status = _choice(rng, {"open": 85, "closed": 15})
    published_at = closes_at = None
    if status == Job.Status.OPEN:
        published_at = now - timedelta(days=rng.uniform(1, 75))
        if rng.random() < 0.3:
            closes_at = max(published_at + timedelta(days=30), now) + timedelta(
                days=rng.randint(7, 60)
            )
    elif status in (Job.Status.CLOSED, Job.Status.ARCHIVED):
        published_at = now - timedelta(days=rng.uniform(60, 360))
        closes_at = published_at + timedelta(days=rng.uniform(21, 50))
    created_at = (published_at or now) - timedelta(days=rng.uniform(0.5, 20))
    updated_at = closes_at if closes_at and closes_at < now else (published_at or created_at)

    required = list(family.core)
    if len(required) > 2 and rng.random() < 0.3:
        required.remove(rng.choice(required[1:]))
    nice = rng.sample(family.extra, k=min(len(family.extra), rng.randint(1, 4)))
    skills = [(slug, True) for slug in required] + [(slug, False) for slug in nice]

    company_name = company.name
    place_text = ", ".join(p for p in (city, country) if p) or "anywhere"
    remote_text = {
        "onsite": f"on site in {place_text}",
        "hybrid": f"hybrid, with two office days in {place_text}",
        "remote": f"fully remote ({place_text})",
    }[remote]
    duties = rng.sample(family.duties, k=len(family.duties))
    benefits = rng.sample(BENEFITS, k=3)
    must = ", ".join(world.skill_names[s] for s in required)
    plus = ", ".join(world.skill_names[s] for s in nice)
    kind_text = Job.EmploymentType(employment).label.lower()
    paragraphs = [
        f"{company_name} is hiring a {title} for the {family.area} team.",
        f"You will {duties[0]}, {duties[1]} and {duties[2]}.",
        f"Must have: {must}. Nice to have: {plus}.",
        f"We offer {benefits[0]}, {benefits[1]} and {benefits[2]}.",
        f"This is a {kind_text} role, {remote_text}.",
    ]
    description_text = "\n\n".join(paragraphs)
    description_html = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)

    team: list[int] = []
    questions: list[dict] = []
    external_url = external_id = ""
    created_by_id = None
    posting = None
    if tenant:
        staff = world.staff.get(company.pk, {})
        created_by_id = staff.get(rng.choice(("recruiter", "recruiter2")))
        keys = ["hiring-manager", "interviewer"] + (["interviewer2"] if rng.random() < 0.5 else [])
        team = [staff[k] for k in keys if k in staff]
        if rng.random() < 0.35:
            questions = [
                {**q, "required": q["key"] == "work_permit"}
                for q in QUESTIONS[: rng.randint(1, len(QUESTIONS))]
            ]
    else:
        external_id = f"{number}"
        external_url = f"https://careers.{company.slug}.{DEMO_DOMAIN}/jobs/{number}"
        seen_from = published_at or created_at
        gone = closes_at if status == Job.Status.CLOSED else None
        posting = ScrapedPosting(
            source_id=world.sources.get(company.pk, world.sources[None]),
            external_id=external_id,
            url=external_url,
            raw={"title": title, "company": company_name, "location": place_text},
            first_seen_at=seen_from,
            last_seen_at=gone or now,
            gone_at=gone,
        )

    job = Job(
        company_id=company.pk,
        title=title,
        slug=_job_slug(number),
        description_html=description_html,
        description_text=description_text,
        city=city,
        region=region,
        country=country,
        remote=remote,
        employment_type=employment,
        seniority=seniority,
        salary_min=salary_min,
        salary_max=salary_max,
        salary_currency=currency if salary_min or salary_max else "",
        salary_period=period,
        questions=questions,
        status=status,
        published_at=published_at,
        closes_at=closes_at,
        external_url=external_url,
        external_id=external_id,
        created_by_id=created_by_id,
        created_at=created_at,
        updated_at=updated_at,
    )
    return _JobPlan(job, skills, team, posting)


def _seed_jobs(world: _World, *, count: int, progress: Callable[[str], None] | None) -> None:
    started = time.monotonic()
    for first in range(1, count + 1, JOB_BATCH):
        plans = [_plan_job(n, world) for n in range(first, min(first + JOB_BATCH, count + 1))]
        with transaction.atomic():
            existing = set(
                Job.objects.filter(
                    company_id__in={p.job.company_id for p in plans},
                    slug__in=[p.job.slug for p in plans],
                ).values_list("company_id", "slug")
            )
            plans = [p for p in plans if (p.job.company_id, p.job.slug) not in existing]
            Job.objects.bulk_create([p.job for p in plans], batch_size=JOB_BATCH)
            JobSkill.objects.bulk_create(
                [
                    JobSkill(job_id=p.job.pk, skill_id=world.skill_ids[slug], required=required)
                    for p in plans
                    for slug, required in p.skills
                ],
                batch_size=INSERT_BATCH,
                ignore_conflicts=True,
            )
            team = Job.hiring_team.through
            team.objects.bulk_create(
                [team(job_id=p.job.pk, user_id=user_id) for p in plans for user_id in p.team],
                batch_size=INSERT_BATCH,
                ignore_conflicts=True,
            )
            postings = []
            for p in plans:
                if p.posting is not None:
                    p.posting.job_id = p.job.pk
                    postings.append(p.posting)
            ScrapedPosting.objects.bulk_create(
                postings, batch_size=INSERT_BATCH, ignore_conflicts=True
            )
        reset_queries()  # with DEBUG on, Django keeps every (megabyte-long) INSERT otherwise
        if progress:
            done = min(first + JOB_BATCH - 1, count)
            progress(f"  jobs {done:,}/{count:,} ({time.monotonic() - started:.1f} s)")


# --- Candidates and their applications ------------------------------------------------------


class _TenantJob(NamedTuple):
    number: int
    id: int
    company_id: int
    title: str
    status: str
    published_at: datetime
    closes_at: datetime | None
    salary_min: int | None
    salary_max: int | None
    currency: str
    period: str
    city: str
    country: str
    remote: str
    questions: list
    family: Family


@dataclass
class _JobPool:
    all: list[_TenantJob]
    open: list[_TenantJob]
    by_family: dict[Family, list[_TenantJob]]


def _tenant_job_pool(world: _World, *, jobs: int) -> _JobPool:
    """The demo jobs of tenants that take or took applications, among the first `jobs`."""
    rows = (
        Job.objects.filter(
            company__in=world.tenants,
            slug__startswith="job-",
            status__in=[Job.Status.OPEN, Job.Status.CLOSED, Job.Status.ARCHIVED],
            published_at__isnull=False,
        )
        .values_list(
            "slug",
            "id",
            "company_id",
            "title",
            "status",
            "published_at",
            "closes_at",
            "salary_min",
            "salary_max",
            "salary_currency",
            "salary_period",
            "city",
            "country",
            "remote",
            "questions",
        )
        .order_by("slug", "company_id")
    )
    pool = _JobPool([], [], defaultdict(list))
    for slug, *values in rows:
        match = JOB_SLUG.match(slug)
        if match is None or int(match.group(1)) > jobs:
            continue
        number = int(match.group(1))
        job = _TenantJob(number, *values, family=_family_of_job(number))
        pool.all.append(job)
        pool.by_family[job.family].append(job)
        if job.status == Job.Status.OPEN:
            pool.open.append(job)
    return pool


@dataclass
class _Step:
    kind: str
    status: str
    at: datetime
    actor: int | None
    reason: str = ""


@dataclass
class _ApplicationPlan:
    company_id: int
    application: Application
    steps: list[_Step]
    interviews: list[tuple[Interview, list[int], list[Scorecard]]]
    offer: Offer | None
    notes: list[Note]


def _timeline(
    rng: random.Random, *, start: datetime, last_start: datetime, end: datetime, steps: int
) -> list[datetime]:
    """`steps` strictly increasing times: the first in [start, last_start], all before `end`."""
    s0 = start.timestamp()
    s1 = max(last_start.timestamp(), s0 + 1)
    # A longer history starts earlier, so there is room for the later steps.
    first = s0 + (s1 - s0) * rng.random() * (0.9 if steps == 1 else 0.6)
    times = [first]
    if steps > 1:
        last = first + max(end.timestamp() - first, 3_600.0 * steps) * rng.uniform(0.5, 1.0)
        gap = (last - first) / (steps - 1)
        times += [first + gap * (k - 1 + rng.uniform(0.3, 1.0)) for k in range(1, steps)]
    return [datetime.fromtimestamp(int(t), tz=UTC) for t in times]


def _slot_times(
    rng: random.Random, start: datetime, end: datetime, count: int
) -> Iterator[tuple[datetime, datetime]]:
    """`count` interviews between two stage changes, on the quarter hour."""
    span = (end - start) / count
    for k in range(count):
        at = start + span * (k + rng.uniform(0.25, 0.6))
        at = at.replace(minute=at.minute // 15 * 15, second=0, microsecond=0)
        length = min(timedelta(minutes=rng.choice((45, 60, 90))), span * 0.3)
        yield at, at + max(length, timedelta(minutes=15))


def _plan_steps(
    rng: random.Random,
    *,
    job: _TenantJob,
    outcome: str,
    candidate_id: int,
    recruiter: int | None,
    manager: int | None,
    sourced: bool,
    now: datetime,
) -> list[_Step]:
    """The application's moves, applied → … → `outcome`, at increasing times."""
    withdrawn = outcome == A.WITHDRAWN
    if withdrawn:
        outcome = rng.choice((K.APPLIED, K.SCREEN, K.INTERVIEW))
    ladder = [K.APPLIED, K.SCREEN, K.INTERVIEW, K.OFFER, K.HIRED]
    if outcome == K.REJECTED:
        depth = _choice(rng, {1: 40, 2: 33, 3: 22, 4: 5})
        kinds = [*ladder[:depth], K.REJECTED]
    else:
        kinds = ladder[: ladder.index(outcome) + 1]
    if K.INTERVIEW in kinds and rng.random() < 0.12:
        kinds.remove(K.SCREEN)  # a referral can go straight to the interviews

    # Applications arrive while the job is open; a closed job's last decisions may come later.
    last_start = min(now, job.closes_at) if job.closes_at else now
    end = now
    if job.status != Job.Status.OPEN and job.closes_at:
        end = min(now, job.closes_at + timedelta(days=45))
    times = _timeline(
        rng, start=job.published_at, last_start=last_start, end=end, steps=len(kinds) + withdrawn
    )
    steps = []
    for k, kind in enumerate(kinds):
        status = {K.REJECTED: A.REJECTED, K.HIRED: A.HIRED}.get(kind, A.ACTIVE)
        actor, reason = recruiter, ""
        if k == 0:
            actor = recruiter if sourced else candidate_id
        elif kind == K.REJECTED:
            actor = rng.choice((recruiter, manager))
            declined = kinds[-2] == K.OFFER
            reason = REJECTION_REASONS[-1] if declined else rng.choice(REJECTION_REASONS[:-1])
        steps.append(_Step(kind, status, times[k], actor, reason))
    if withdrawn:
        reason = rng.choice(WITHDRAWAL_REASONS)
        steps.append(_Step(kinds[-1], A.WITHDRAWN, times[-1], candidate_id, reason))
    return steps


def _plan_interviews(
    rng: random.Random,
    *,
    application: Application,
    job: _TenantJob,
    steps: list[_Step],
    staff: dict[str, int],
    recruiter: int | None,
    now: datetime,
) -> list[tuple[Interview, list[int], list[Scorecard]]]:
    """Interviews while the application sat in the interview stage, with panels and scorecards."""
    kinds = [step.kind for step in steps]
    if K.INTERVIEW not in kinds:
        return []
    index = kinds.index(K.INTERVIEW)
    opened = steps[index].at
    closed = steps[index + 1].at if index + 1 < len(steps) else now
    last = steps[-1]
    count = rng.choice((1, 1, 2, 2, 3))
    # Someone in the interview stage right now may have an interview coming up.
    upcoming = last.kind == K.INTERVIEW and last.status == A.ACTIVE and rng.random() < 0.5
    slots = list(_slot_times(rng, opened, closed, count - upcoming)) if count > upcoming else []
    if upcoming:
        day = now + timedelta(days=rng.randint(1, 10))
        at = day.replace(hour=rng.randint(8, 15), minute=rng.choice((0, 30)), second=0)
        slots.append((at, at + timedelta(minutes=rng.choice((45, 60)))))
    if last.status == A.HIRED or K.OFFER in kinds:
        advice = {"strong_yes": 40, "yes": 50, "no": 10}
    elif last.status == A.REJECTED:
        advice = {"strong_no": 30, "no": 55, "yes": 15}
    else:
        advice = {"strong_yes": 20, "yes": 45, "no": 30, "strong_no": 5}
    pool = [staff[k] for k in ("interviewer", "interviewer2", "hiring-manager") if k in staff]

    interviews = []
    for number, (starts_at, ends_at) in enumerate(slots):
        if starts_at > now:
            status = Interview.Status.SCHEDULED
        else:
            status = _choice(rng, {"completed": 92, "cancelled": 4, "no_show": 4})
        onsite = bool(job.city) and (
            job.remote == Job.Remote.ONSITE
            or (job.remote == Job.Remote.HYBRID and rng.random() < 0.5)
        )
        interview = Interview(
            application=application,
            title=INTERVIEW_TITLES[number % len(INTERVIEW_TITLES)],
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=TIMEZONE_OF_COUNTRY.get(job.country, "UTC"),
            location=f"Office, {job.city}" if onsite else "",
            meeting_url="" if onsite else f"https://meet.{DEMO_DOMAIN}/{rng.randrange(16**8):08x}",
            status=status,
            created_by_id=recruiter,
            created_at=min(opened + timedelta(hours=2), starts_at),
        )
        panel = rng.sample(pool, k=min(len(pool), rng.randint(1, 2)))
        scorecards = []
        if status == Interview.Status.COMPLETED:
            scorecards = [
                _plan_scorecard(rng, author=author, ends_at=ends_at, advice=advice, now=now)
                for author in panel
            ]
        interviews.append((interview, panel, scorecards))
    return interviews


def _plan_scorecard(
    rng: random.Random, *, author: int, ends_at: datetime, advice: dict[str, int], now: datetime
) -> Scorecard:
    submitted = rng.random() < 0.85
    recommendation = _choice(rng, advice)
    return Scorecard(
        author_id=author,
        ratings={criterion: rng.randint(1, 4) for criterion in SCORECARD_CRITERIA},
        # A draft may not have a recommendation yet; a submitted one always has.
        recommendation=recommendation if submitted or rng.random() < 0.5 else "",
        notes=rng.choice(SCORECARD_NOTES),
        submitted_at=min(ends_at + timedelta(hours=rng.uniform(0.5, 30)), now)
        if submitted
        else None,
        created_at=max(ends_at, min(ends_at + timedelta(minutes=20), now)),
    )


def _plan_offer(
    rng: random.Random,
    *,
    application: Application,
    job: _TenantJob,
    steps: list[_Step],
    recruiter: int | None,
    now: datetime,
) -> Offer | None:
    kinds = [step.kind for step in steps]
    if K.OFFER not in kinds:
        return None
    index = kinds.index(K.OFFER)
    made = steps[index].at
    answer = steps[index + 1] if index + 1 < len(steps) else None
    if answer is None:
        status = Offer.Status.SENT if rng.random() < 0.7 else Offer.Status.DRAFT
    elif answer.kind == K.HIRED:
        status = Offer.Status.ACCEPTED
    else:
        status = Offer.Status.DECLINED
    answered_at = answer.at if answer else None
    pay = [p for p in (job.salary_min, job.salary_max) if p]
    return Offer(
        application=application,
        salary=Decimal(_round_pay(sum(pay) / len(pay) if pay else 60_000)),
        currency=job.currency or "EUR",
        salary_period=job.period,
        start_date=(answered_at or now).date() + timedelta(days=rng.randint(14, 60)),
        status=status,
        sent_at=made + ((answered_at or now) - made) * 0.2 if status != "draft" else None,
        responded_at=made + (answered_at - made) * 0.8 if answered_at else None,
        created_by_id=recruiter,
        created_at=made,
    )


def _plan_application(
    rng: random.Random,
    *,
    world: _World,
    job: _TenantJob,
    candidate_id: int,
    candidate_name: str,
    outcome: str,
) -> _ApplicationPlan:
    now = world.now
    staff = world.staff.get(job.company_id, {})
    recruiter = staff.get(rng.choice(("recruiter", "recruiter2")))
    manager = staff.get("hiring-manager")
    source = _choice(rng, SOURCES)
    steps = _plan_steps(
        rng,
        job=job,
        outcome=outcome,
        candidate_id=candidate_id,
        recruiter=recruiter,
        manager=manager,
        sourced=source in (Application.Source.SOURCED, Application.Source.AGENCY),
        now=now,
    )
    applied_at, last = steps[0].at, steps[-1]

    rating = None
    if len(steps) > 1 and rng.random() < 0.6:
        rating = {A.HIRED: rng.randint(4, 5), A.REJECTED: rng.randint(1, 3)}.get(
            last.status, rng.randint(2, 5)
        )
    answers = {}
    for question in job.questions:
        if question.get("type") == "boolean":
            answers[question["key"]] = rng.random() < 0.9
        elif question.get("type") == "choice":
            answers[question["key"]] = rng.choice(question["choices"])
        else:
            answers[question["key"]] = rng.choice(("Two weeks", "One month", "Three months"))
    cover_letter = ""
    if rng.random() < 0.35:
        company = world.company_names.get(job.company_id, "hiring")
        cover_letter = COVER_LETTER.format(company=company, title=job.title, name=candidate_name)
    application = Application(
        job_id=job.id,
        candidate_id=candidate_id,
        stage_id=world.stages[job.company_id][last.kind],
        status=last.status,
        source=source,
        cover_letter=cover_letter,
        answers=answers,
        consent_processing=True,
        consent_retention=rng.random() < 0.6,
        consented_at=applied_at,
        rating=rating,
        rejection_reason=last.reason if last.status == A.REJECTED else "",
        stage_entered_at=last.at,
        created_at=applied_at,
        updated_at=last.at,
    )
    context = {"application": application, "job": job, "steps": steps, "now": now}
    interviews = _plan_interviews(rng, staff=staff, recruiter=recruiter, **context)
    offer = _plan_offer(rng, recruiter=recruiter, **context)
    notes = []
    if len(steps) > 1 and rng.random() < 0.4:
        notes = [
            Note(
                application=application,
                author_id=rng.choice((recruiter, manager)),
                body=rng.choice(NOTES),
                created_at=applied_at + (last.at - applied_at) * rng.random(),
            )
            for _ in range(rng.randint(1, 2))
        ]
    return _ApplicationPlan(job.company_id, application, steps, interviews, offer, notes)


@dataclass
class _CandidatePlan:
    user: User
    profile: CandidateProfile
    applications: list[tuple[_TenantJob, str, random.Random]]


def _plan_candidate(number: int, world: _World, pool: _JobPool) -> _CandidatePlan:
    rng = _rng("candidate", number)
    now = world.now
    family = _job_family(rng)
    name = _person_name(rng)
    seniority = _choice(rng, CANDIDATE_SENIORITY)
    low, high = SENIORITY_YEARS[seniority]
    years = rng.randint(low, high)
    place = rng.choices(PLACES, weights=PLACE_WEIGHTS)[0]
    skills = list(family.core) + rng.sample(family.extra, k=min(len(family.extra), 3))
    if rng.random() < 0.3:
        skills.append(rng.choice(SKILLS)[1])
    skills = list(dict.fromkeys(skills))
    names = ", ".join(world.skill_names[s] for s in skills)
    level = Seniority(seniority).label
    headline = f"{level} {family.headline}"
    salary = None
    if rng.random() < 0.75:
        salary = _round_pay(place.salary * SENIORITY_PAY[seniority] * rng.uniform(0.9, 1.2))
    joined = now - timedelta(days=rng.uniform(30, 500))

    user = User(
        email=_candidate_email(number),
        full_name=name,
        password=world.password,
        date_joined=joined,
    )
    profile = CandidateProfile(
        headline=headline,
        summary=(
            f"{level} in {family.area.lower()} with {years} years of experience, "
            f"based in {place.city}. Looking for a team that cares about craft."
        ),
        city=place.city,
        region=place.region,
        country=place.country,
        remote_preference=_choice(
            rng, {RemotePreference.ANY: 35, "remote": 30, "hybrid": 25, "onsite": 10}
        ),
        desired_salary_min=salary,
        desired_salary_currency=place.currency if salary else "",
        desired_salary_period=SalaryPeriod.YEAR,
        seniority=seniority,
        years_experience=years,
        skills=skills,
        resume_text=(
            f"{name}\n{headline}\n{place.city}, {place.country}\n\n"
            f"Experience: {years} years in {family.area.lower()}; "
            f"{rng.choice(family.duties)}, {rng.choice(family.duties)}.\n"
            f"Skills: {names}."
        ),
        created_at=joined,
        updated_at=joined,
    )

    # A generator apart from the profile's, so that more jobs change only the applications.
    picks = _rng("applications", number)
    wanted = _choice(picks, APPLICATIONS_PER_CANDIDATE)
    forced = FORCED_OUTCOMES[number - 1] if number <= len(FORCED_OUTCOMES) else None
    applications: list[tuple[_TenantJob, str, random.Random]] = []
    if pool.all:
        chosen: set[int] = set()
        if forced is not None and pool.open:
            job = picks.choice(pool.open)
            chosen.add(job.id)
            applications.append((job, forced, _rng(f"application:{job.number}", number)))
        for _ in range(wanted * 2):
            if len(applications) >= max(wanted, 1 if forced else 0):
                break
            same = pool.by_family.get(family)
            job = picks.choice(same if same and picks.random() < 0.7 else pool.all)
            if job.id in chosen:
                continue
            chosen.add(job.id)
            outcomes = OPEN_JOB_OUTCOMES if job.status == "open" else CLOSED_JOB_OUTCOMES
            applications.append(
                (job, _choice(picks, outcomes), _rng(f"application:{job.number}", number))
            )
        if applications:  # joined before the first application
            earliest = min(job.published_at for job, _, _ in applications)
            user.date_joined = min(joined, earliest - timedelta(days=1))
    return _CandidatePlan(user, profile, applications)


def _seed_candidates(
    world: _World, *, count: int, jobs: int, progress: Callable[[str], None] | None
) -> None:
    pool = _tenant_job_pool(world, jobs=jobs)
    started = time.monotonic()
    for first in range(1, count + 1, CANDIDATE_BATCH):
        plans = [
            _plan_candidate(n, world, pool)
            for n in range(first, min(first + CANDIDATE_BATCH, count + 1))
        ]
        with transaction.atomic():
            _insert_candidates(world, plans)
        reset_queries()
        if progress:
            done = min(first + CANDIDATE_BATCH - 1, count)
            progress(f"  candidates {done:,}/{count:,} ({time.monotonic() - started:.1f} s)")


def _insert_candidates(world: _World, plans: list[_CandidatePlan]) -> None:
    ids = _seed_users([p.user for p in plans])
    for p in plans:
        p.profile.user_id = ids[p.user.email]
    CandidateProfile.objects.bulk_create(
        [p.profile for p in plans], batch_size=INSERT_BATCH, ignore_conflicts=True
    )
    existing = set(
        Application.objects.filter(candidate_id__in=ids.values()).values_list(
            "job_id", "candidate_id"
        )
    )
    applications = []
    for p in plans:
        candidate_id = ids[p.user.email]
        for job, outcome, rng in p.applications:
            if (job.id, candidate_id) in existing:
                continue
            applications.append(
                _plan_application(
                    rng,
                    world=world,
                    job=job,
                    candidate_id=candidate_id,
                    candidate_name=p.user.full_name,
                    outcome=outcome,
                )
            )
    Application.objects.bulk_create([a.application for a in applications], batch_size=INSERT_BATCH)

    changes = []
    for a in applications:
        previous = None
        for step in a.steps:
            to_stage = world.stages[a.company_id][step.kind]
            changes.append(
                StageChange(
                    application_id=a.application.pk,
                    from_stage_id=previous,
                    to_stage_id=to_stage,
                    status=step.status,
                    actor_id=step.actor,
                    reason=step.reason,
                    created_at=step.at,
                )
            )
            previous = to_stage
    StageChange.objects.bulk_create(changes, batch_size=INSERT_BATCH)

    interviews = [i for a in applications for i in a.interviews]
    for interview, _, _ in interviews:
        interview.application_id = interview.application.pk
    Interview.objects.bulk_create([i for i, _, _ in interviews], batch_size=INSERT_BATCH)
    panel = Interview.interviewers.through
    panel.objects.bulk_create(
        [panel(interview_id=i.pk, user_id=u) for i, users, _ in interviews for u in users],
        batch_size=INSERT_BATCH,
    )
    scorecards = []
    for interview, _, cards in interviews:
        for card in cards:
            card.interview_id = interview.pk
            scorecards.append(card)
    Scorecard.objects.bulk_create(scorecards, batch_size=INSERT_BATCH)

    offers = [a.offer for a in applications if a.offer is not None]
    notes = [n for a in applications for n in a.notes]
    for row in (*offers, *notes):
        row.application_id = row.application.pk
    Offer.objects.bulk_create(offers, batch_size=INSERT_BATCH)
    Note.objects.bulk_create(notes, batch_size=INSERT_BATCH)


# --- Entry point -------------------------------------------------------------------------------


def demo_seed(
    *,
    jobs: int = DEFAULT_JOBS,
    candidates: int = DEFAULT_CANDIDATES,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    """Create whatever of the demo data set of this size is missing, and report what was added."""
    for name, value in (("jobs", jobs), ("candidates", candidates)):
        if value < 0:
            raise ValueError(f"{name} must be zero or more, not {value}.")
    started = time.monotonic()
    before = row_counts(REPORT_APP_LABELS)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    world = _seed_world(now=now)
    _seed_jobs(world, count=jobs, progress=progress)
    _seed_candidates(world, count=candidates, jobs=jobs, progress=progress)
    return SeedReport(
        jobs=jobs,
        candidates=candidates,
        seconds=time.monotonic() - started,
        before=before,
        after=row_counts(REPORT_APP_LABELS),
    )
