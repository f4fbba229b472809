"""A corpus of resumes as real PDF (reportlab) and DOCX (python-docx) files, with ground truth.

`generate(directory)` writes every file and returns `CorpusFile`s. Each person is rendered in
its own layout (one or two columns, tables, page headers and footers, nested tables) and with
its own date, phone and work-history formats. The ground truth is written down by hand, never
computed by the parser under test; only the years of experience are derived, from the true
month-precise dates (which some layouts print as years only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

CORPUS_TODAY = date(2026, 11, 1)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"

# The skill taxonomy the corpus is scored against: the demo's (pipeline/demo.py), with its
# noisy aliases ("rest", "next", "node", "sh", "ts", "github"...), so the matcher is tested on
# the real thing. (name, slug, aliases)
TAXONOMY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Python", "python", ("py", "python3")),
    ("Java", "java", ("java 17", "jvm")),
    ("JavaScript", "javascript", ("js", "ecmascript", "es6")),
    ("TypeScript", "typescript", ("ts",)),
    ("Go", "go", ("golang",)),
    ("Rust", "rust", ("rust-lang",)),
    ("C#", "csharp", ("c sharp", "c#")),
    ("C++", "cpp", ("c++", "cplusplus")),
    ("Kotlin", "kotlin", ()),
    ("Swift", "swift", ("swiftui",)),
    ("Ruby", "ruby", ()),
    ("PHP", "php", ()),
    ("Scala", "scala", ()),
    ("SQL", "sql", ("t-sql", "pl/sql", "ansi sql")),
    ("Bash", "bash", ("shell", "shell scripting", "sh")),
    ("Django", "django", ("django rest framework", "drf")),
    ("Flask", "flask", ()),
    ("FastAPI", "fastapi", ("fast api",)),
    ("React", "react", ("reactjs", "react.js")),
    ("Vue.js", "vuejs", ("vue", "vue.js")),
    ("Angular", "angular", ("angularjs",)),
    ("Node.js", "nodejs", ("node", "node.js")),
    ("Next.js", "nextjs", ("next",)),
    ("Spring Boot", "spring-boot", ("spring", "spring framework")),
    ("Ruby on Rails", "ruby-on-rails", ("rails", "ror")),
    (".NET", "dotnet", ("dotnet", ".net core", "asp.net")),
    ("React Native", "react-native", ("rn",)),
    ("pandas", "pandas", ()),
    ("PyTorch", "pytorch", ("torch",)),
    ("TensorFlow", "tensorflow", ("tf", "keras")),
    ("scikit-learn", "scikit-learn", ("sklearn",)),
    ("Machine learning", "machine-learning", ("ml",)),
    ("Deep learning", "deep-learning", ("dl", "neural networks")),
    ("Natural language processing", "nlp", ("nlp", "llm", "large language models")),
    ("Data analysis", "data-analysis", ("analytics",)),
    ("Statistics", "statistics", ("statistical modelling",)),
    ("Apache Spark", "apache-spark", ("spark", "pyspark")),
    ("Apache Airflow", "airflow", ("airflow",)),
    ("dbt", "dbt", ("data build tool",)),
    ("Tableau", "tableau", ()),
    ("Power BI", "power-bi", ("powerbi",)),
    ("PostgreSQL", "postgresql", ("postgres", "psql", "pg")),
    ("MySQL", "mysql", ("mariadb",)),
    ("MongoDB", "mongodb", ("mongo",)),
    ("Redis", "redis", ()),
    ("Elasticsearch", "elasticsearch", ("elastic", "opensearch")),
    ("Apache Kafka", "kafka", ("kafka",)),
    ("Celery", "celery", ()),
    ("GraphQL", "graphql", ("gql",)),
    ("REST APIs", "rest-apis", ("rest", "restful apis")),
    ("Docker", "docker", ("containers",)),
    ("Kubernetes", "kubernetes", ("k8s",)),
    ("Terraform", "terraform", ("hcl",)),
    ("AWS", "aws", ("amazon web services",)),
    ("Google Cloud", "google-cloud", ("gcp", "google cloud platform")),
    ("Azure", "azure", ("microsoft azure",)),
    ("Linux", "linux", ("unix",)),
    ("Git", "git", ("github", "gitlab")),
    ("GitHub Actions", "github-actions", ("gh actions",)),
    ("Figma", "figma", ()),
    ("Jira", "jira", ()),
    ("CI/CD", "ci-cd", ("continuous integration", "continuous delivery")),
    ("Test automation", "test-automation", ("automated testing", "qa automation")),
    ("Agile", "agile", ("scrum", "kanban")),
    ("Microservices", "microservices", ("service-oriented architecture",)),
    ("System design", "system-design", ("software architecture",)),
    ("Application security", "application-security", ("appsec", "security")),
    ("Accessibility", "accessibility", ("a11y", "wcag")),
    ("UX research", "ux-research", ("user research",)),
    ("UI design", "ui-design", ("interface design", "visual design")),
    ("Product management", "product-management", ("product owner",)),
    ("Payments", "payments", ("fintech",)),
    ("Healthcare", "healthcare", ("healthtech",)),
    ("E-commerce", "e-commerce", ("ecommerce", "online retail")),
    ("Communication", "communication", ()),
    ("Mentoring", "mentoring", ("coaching",)),
    ("Stakeholder management", "stakeholder-management", ()),
)
_SKILL_NAMES = {slug: name for name, slug, _ in TAXONOMY}

MONTHS = "January February March April May June July August September October November December"
MONTH_NAMES = MONTHS.split()


@dataclass(frozen=True)
class Job:
    title: str
    company: str
    start: tuple[int, int]
    end: tuple[int, int] | None  # None: still there
    location: str
    bullets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Education:
    degree: str
    institution: str
    start: int
    end: int


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    email: str
    phone: str  # as printed
    phone_e164: str
    location: str  # as printed
    city: str
    country: str
    headline: str
    summary: str
    skills: tuple[str, ...]  # "slug" or "slug=Printed name"
    jobs: tuple[Job, ...]
    education: tuple[Education, ...]
    linkedin: str | None = None
    github: str | None = None
    other_links: tuple[str, ...] = ()
    # Taxonomy skills named elsewhere in the text (bullets, summary) but not in the skill list.
    extra_skills: tuple[str, ...] = ()
    extra_text: tuple[str, ...] = ()  # non-taxonomy skills printed in the list
    date_format: str = "mon_year"
    separator: str = " – "
    present: str = "Present"
    work_format: str = "title_at_company"


@dataclass
class CorpusFile:
    person: Person
    path: Path
    content_type: str
    layout: str
    truth: dict = field(default_factory=dict)


# --- Date and entry formats -------------------------------------------------------------------


def format_date(value: tuple[int, int] | None, person: Person) -> str:
    if value is None:
        return person.present
    year, month = value
    fmt = person.date_format
    if fmt == "mon_year":
        return f"{MONTH_NAMES[month - 1][:3]} {year}"
    if fmt == "month_year":
        return f"{MONTH_NAMES[month - 1]} {year}"
    if fmt == "mon_dot":
        name = MONTH_NAMES[month - 1]
        return f"{name[:4] if name == 'September' else name[:3]}{'' if month == 5 else '.'} {year}"
    if fmt == "mm_slash":
        return f"{month:02d}/{year}"
    if fmt == "mm_dot":
        return f"{month:02d}.{year}"
    if fmt == "iso":
        return f"{year}-{month:02d}"
    if fmt == "year":
        return str(year)
    raise ValueError(fmt)


def format_range(job: Job, person: Person) -> str:
    return f"{format_date(job.start, person)}{person.separator}{format_date(job.end, person)}"


def entry_lines(job: Job, person: Person) -> list[str]:
    """The header lines of one work-history entry, in the person's format."""
    dates = format_range(job, person)
    fmt = person.work_format
    if fmt == "title_at_company":
        return [f"{job.title} at {job.company}", f"{dates} | {job.location}"]
    if fmt == "company_dash_title":
        return [f"{job.company} — {job.title}", f"{dates}, {job.location}"]
    if fmt == "title_first":
        return [job.title, f"{job.company} | {job.location} | {dates}"]
    if fmt == "company_first":
        return [job.company, job.title, f"{dates} · {job.location}"]
    if fmt == "one_line":
        return [f"{job.title} | {job.company} | {dates}"]
    if fmt == "one_line_comma":
        return [f"{job.title}, {job.company} ({dates})"]
    if fmt == "date_first":
        return [dates, job.title, f"{job.company}, {job.location}"]
    raise ValueError(fmt)


def skill_names(person: Person) -> list[str]:
    names = []
    for item in person.skills:
        slug, _, printed = item.partition("=")
        names.append(printed or _SKILL_NAMES[slug])
    return names + list(person.extra_text)


def contact_items(person: Person) -> list[str]:
    items = [person.location, person.phone, person.email]
    items += [link for link in (person.linkedin, person.github) if link]
    return items + list(person.other_links)


def education_line(edu: Education) -> str:
    return f"{edu.degree}, {edu.institution}, {edu.start} – {edu.end}"


# --- Ground truth ------------------------------------------------------------------------------


def _month_index(value: tuple[int, int]) -> int:
    return value[0] * 12 + value[1] - 1


def true_years(person: Person, today: date = CORPUS_TODAY) -> int:
    covered: set[int] = set()
    for job in person.jobs:
        end = job.end or (today.year, today.month)
        covered.update(range(_month_index(job.start), _month_index(end) + 1))
    return len(covered) // 12


def _normalize_url(url: str) -> str:
    url = url.removeprefix("https://").removeprefix("http://").removeprefix("www.")
    return "https://" + url.rstrip("/")


def truth_of(person: Person) -> dict:
    slugs = [item.partition("=")[0] for item in person.skills] + list(person.extra_skills)
    latest = max(person.jobs, key=lambda job: job.start)
    return {
        "name": person.name,
        "email": person.email,
        "phone": person.phone_e164,
        "links": {
            "linkedin": _normalize_url(person.linkedin) if person.linkedin else None,
            "github": _normalize_url(person.github) if person.github else None,
            "other": [_normalize_url(url) for url in person.other_links],
        },
        "location": {"city": person.city, "country": person.country},
        "current_title": latest.title,
        "years_experience": true_years(person),
        "skills": sorted(set(slugs)),
        "education": [
            {"degree": e.degree, "institution": e.institution, "end": e.end}
            for e in person.education
        ],
        "work_history": [
            {
                "title": job.title,
                "company": job.company,
                "start": f"{job.start[0]}-{job.start[1]:02d}",
                "end": "present" if job.end is None else f"{job.end[0]}-{job.end[1]:02d}",
            }
            for job in person.jobs
        ],
    }


# --- The people --------------------------------------------------------------------------------

PEOPLE: tuple[Person, ...] = (
    Person(
        key="ada",
        name="Ada Lovelace",
        email="ada.lovelace@example.co.uk",
        phone="+44 20 7946 0958",
        phone_e164="+442079460958",
        location="London, UK",
        city="London",
        country="GB",
        headline="Senior Backend Engineer",
        summary=(
            "Backend engineer with 11 years of experience building reliable services. Good at "
            "turning vague requirements into systems the rest of the team can operate."
        ),
        skills=(
            "python",
            "django",
            "postgresql=Postgres",
            "redis",
            "celery",
            "docker",
            "kubernetes=K8s",
            "aws",
            "git",
            "rest-apis=RESTful APIs",
        ),
        jobs=(
            Job(
                "Senior Backend Engineer",
                "Thames Ledger Ltd",
                (2021, 1),
                None,
                "London, UK",
                (
                    "Led the move of billing to Django and PostgreSQL, cutting batch time by 70%.",
                    "Introduced Celery queues with Redis for reconciliation jobs.",
                ),
            ),
            Job(
                "Backend Engineer",
                "Bright Data Co.",
                (2017, 3),
                (2020, 12),
                "Cambridge, UK",
                ("Built internal APIs in Python used by five product teams.",),
            ),
            Job(
                "Junior Developer",
                "Kew Software",
                (2015, 9),
                (2017, 2),
                "London, UK",
                ("Maintained Docker-based test environments.",),
            ),
        ),
        education=(Education("BSc Computer Science", "University of Manchester", 2011, 2015),),
        linkedin="https://www.linkedin.com/in/ada-lovelace",
        github="github.com/adalovelace",
        date_format="mon_year",
        work_format="title_at_company",
    ),
    Person(
        key="rajesh",
        name="Rajesh Kumar",
        email="raj.kumar@example.com",
        phone="(415) 555-0132",
        phone_e164="+14155550132",
        location="San Francisco, CA",
        city="San Francisco",
        country="US",
        headline="Staff Software Engineer",
        summary=(
            "Engineer with over 15 years of experience designing event-driven platforms on the "
            "JVM. Going deep on reliability and cost."
        ),
        skills=(
            "java",
            "spring-boot",
            "kafka=Apache Kafka",
            "microservices",
            "aws",
            "terraform",
            "sql",
            "kubernetes",
            "go=Golang",
        ),
        jobs=(
            Job(
                "Staff Software Engineer",
                "Bayview Systems Inc.",
                (2021, 4),
                None,
                "San Francisco, CA",
                ("Own the event platform: Kafka clusters moving 2B messages a day.",),
            ),
            Job(
                "Senior Software Engineer",
                "Golden Gate Analytics LLC",
                (2016, 2),
                (2021, 3),
                "Oakland, CA",
                ("Split a monolith into twelve Spring Boot microservices.",),
            ),
            Job(
                "Software Engineer",
                "Infosys Limited",
                (2010, 7),
                (2016, 1),
                "Pune, India",
                ("Built Java back-office tools for banking clients.",),
            ),
        ),
        education=(
            Education(
                "B.Tech Computer Engineering", "Indian Institute of Technology Bombay", 2006, 2010
            ),
        ),
        linkedin="linkedin.com/in/rajeshkumar",
        date_format="year",
        separator="-",
        work_format="company_dash_title",
    ),
    Person(
        key="sophie",
        name="Sophie Müller",
        email="sophie.mueller@example.de",
        phone="030 12345678",
        phone_e164="+493012345678",
        location="Berlin, Germany",
        city="Berlin",
        country="DE",
        headline="Data Scientist",
        summary=(
            "Data scientist turning messy data into forecasts. I enjoy explaining models to "
            "non-technical colleagues."
        ),
        skills=(
            "python",
            "pandas",
            "scikit-learn",
            "pytorch",
            "sql",
            "machine-learning",
            "statistics",
            "apache-spark=PySpark",
            "tableau",
        ),
        jobs=(
            Job(
                "Senior Data Scientist",
                "Spree Mobility GmbH",
                (2019, 7),
                None,
                "Berlin, Germany",
                ("Built demand forecasting with PyTorch and scikit-learn.",),
            ),
            Job(
                "Data Scientist",
                "Kreuzberg Insights GmbH",
                (2017, 3),
                (2019, 6),
                "Berlin, Germany",
                ("Churn models in pandas; dashboards in Tableau.",),
            ),
        ),
        education=(
            Education("M.Sc. Statistics", "Humboldt-Universität zu Berlin", 2014, 2016),
            Education("B.Sc. Mathematics", "Universität Leipzig", 2011, 2014),
        ),
        github="https://github.com/sophiemueller",
        date_format="mm_slash",
        separator=" - ",
        work_format="date_first",
    ),
    Person(
        key="jeanluc",
        name="Jean-Luc Martin",
        email="jl.martin@example.fr",
        phone="06 12 34 56 78",
        phone_e164="+33612345678",
        location="Lyon, France",
        city="Lyon",
        country="FR",
        headline="DevOps Engineer",
        summary="DevOps engineer who automates everything twice: once by hand, then properly.",
        skills=(
            "linux",
            "bash",
            "docker",
            "kubernetes",
            "terraform",
            "google-cloud=GCP",
            "ci-cd",
            "python",
            "github-actions",
        ),
        extra_text=("Ansible", "Prometheus"),
        jobs=(
            Job(
                "DevOps Engineer",
                "Rhône Cloud SAS",
                (2018, 9),
                None,
                "Lyon, France",
                ("Moved 40 services to Kubernetes on GCP with Terraform.",),
            ),
            Job(
                "System Administrator",
                "Soieries Numériques SA",
                (2015, 1),
                (2018, 8),
                "Villeurbanne, France",
                ("Ran the Linux fleet and the backup rotation.",),
            ),
        ),
        education=(Education("Licence Informatique", "Université Lyon 1", 2011, 2014),),
        date_format="year",
        separator=" to ",
        work_format="title_at_company",
    ),
    Person(
        key="maria",
        name="María García López",
        email="maria.garcia@example.es",
        phone="+34 612 345 678",
        phone_e164="+34612345678",
        location="Madrid, Spain",
        city="Madrid",
        country="ES",
        headline="Frontend Developer",
        summary=(
            "Frontend developer focused on accessible interfaces. Next goal: design systems at "
            "scale."
        ),
        skills=(
            "javascript",
            "typescript",
            "react",
            "vuejs=Vue.js",
            "nodejs=Node.js",
            "graphql",
            "figma",
            "accessibility=WCAG",
        ),
        extra_text=("CSS", "HTML"),
        jobs=(
            Job(
                "Frontend Developer",
                "Castellana Retail Tech SL",
                (2021, 4),
                None,
                "Madrid, Spain",
                ("Rebuilt the checkout in React and TypeScript.",),
            ),
            Job(
                "Web Developer",
                "Agencia Sol",
                (2019, 1),
                (2021, 3),
                "Madrid, Spain",
                ("Shipped Vue.js sites for twenty clients.",),
            ),
        ),
        education=(
            Education(
                "Grado en Ingeniería Informática", "Universidad Politécnica de Madrid", 2014, 2018
            ),
        ),
        linkedin="linkedin.com/in/mariagarcialopez",
        date_format="month_year",
        separator=" - ",
        work_format="title_first",
    ),
    Person(
        key="liam",
        name="Liam O'Connor",
        email="liam.oconnor@example.ie",
        phone="+353 1 234 5678",
        phone_e164="+35312345678",
        location="Dublin, Ireland",
        city="Dublin",
        country="IE",
        headline="Mobile Engineer",
        summary="Mobile engineer shipping iOS and Android apps used by millions.",
        skills=("swift", "kotlin", "react-native", "typescript", "git"),
        extra_text=("Firebase",),
        jobs=(
            Job(
                "Senior Mobile Engineer",
                "Liffey Apps Ltd",
                (2019, 9),
                None,
                "Dublin, Ireland",
                (
                    "Led the React Native rewrite of the banking app.",
                    "Cut crash rate from 2% to 0.1%.",
                ),
            ),
            Job(
                "iOS Developer",
                "Emerald Games",
                (2016, 9),
                (2019, 8),
                "Galway, Ireland",
                ("Wrote Swift games with 4.5-star ratings.",),
            ),
            Job(
                "Android Developer Intern",
                "Shamrock Labs",
                (2015, 6),
                (2016, 8),
                "Cork, Ireland",
                ("Kotlin prototypes of a ticketing app.",),
            ),
        ),
        education=(Education("BSc Software Engineering", "Trinity College Dublin", 2011, 2015),),
        github="github.com/liamoc",
        other_links=("https://liamoconnor.dev",),
        date_format="mon_dot",
        present="Current",
        work_format="company_dash_title",
    ),
    Person(
        key="chen",
        name="Chen Wei",
        email="chen.wei@example.sg",
        phone="+65 6123 4567",
        phone_e164="+6561234567",
        location="Singapore",
        city="Singapore",
        country="SG",
        headline="Machine Learning Engineer",
        summary="ML engineer shipping NLP models to production.",
        skills=(
            "python",
            "tensorflow",
            "pytorch",
            "deep-learning",
            "nlp=Large language models",
            "docker",
            "aws",
            "sql",
        ),
        extra_skills=("machine-learning",),
        jobs=(
            Job(
                "Machine Learning Engineer",
                "Lion City AI Pte Ltd",
                (2021, 6),
                None,
                "Singapore",
                ("Fine-tuned transformer models with PyTorch for support tickets.",),
            ),
            Job(
                "Data Engineer",
                "Marina Bay Logistics",
                (2018, 3),
                (2021, 5),
                "Singapore",
                ("Built SQL pipelines feeding TensorFlow models.",),
            ),
        ),
        education=(
            Education("Master of Computing", "National University of Singapore", 2016, 2018),
        ),
        linkedin="https://linkedin.com/in/chenwei-ml",
        github="github.com/chenwei",
        date_format="iso",
        present="now",
        work_format="one_line",
    ),
    Person(
        key="amara",
        name="Amara Okafor",
        email="amara.okafor@example.ca",
        phone="+1 416 555 0178",
        phone_e164="+14165550178",
        location="Toronto, ON, Canada",
        city="Toronto",
        country="CA",
        headline="Senior Product Manager",
        summary=(
            "Product manager with 11 years of experience in marketplaces. I bring engineering, "
            "design and sales to one plan."
        ),
        skills=(
            "product-management",
            "agile=Scrum",
            "jira",
            "data-analysis=Analytics",
            "sql",
            "stakeholder-management",
            "figma",
        ),
        jobs=(
            Job(
                "Senior Product Manager",
                "Maple Commerce Inc.",
                (2020, 2),
                None,
                "Toronto, Canada",
                ("Grew marketplace conversion by 18% through checkout experiments.",),
            ),
            Job(
                "Product Manager",
                "Lakeshore Software",
                (2017, 5),
                (2020, 1),
                "Toronto, Canada",
                ("Ran discovery interviews and owned the Jira roadmap.",),
            ),
            Job(
                "Business Analyst",
                "Northern Bank",
                (2015, 9),
                (2017, 4),
                "Ottawa, Canada",
                ("SQL reports for the retail lending team.",),
            ),
        ),
        education=(
            Education("MBA", "University of Toronto", 2013, 2015),
            Education("BA Economics", "McGill University", 2009, 2013),
        ),
        linkedin="linkedin.com/in/amaraokafor",
        date_format="mon_year",
        work_format="title_at_company",
    ),
    Person(
        key="lukas",
        name="Lukas van der Berg",
        email="lukas.vanderberg@example.nl",
        phone="+31 20 123 4567",
        phone_e164="+31201234567",
        location="Amsterdam, Netherlands",
        city="Amsterdam",
        country="NL",
        headline="Full-Stack Developer",
        summary="Full-stack developer on the Microsoft stack.",
        skills=(
            "csharp=C#",
            "dotnet=.NET Core",
            "azure",
            "sql=T-SQL",
            "javascript",
            "angular",
            "docker",
        ),
        jobs=(
            Job(
                "Full-Stack Developer",
                "Grachten Software BV",
                (2019, 4),
                None,
                "Amsterdam, Netherlands",
                ("ASP.NET APIs and Angular front ends for insurers.",),
            ),
            Job(
                ".NET Developer",
                "Polder Systems",
                (2016, 1),
                (2019, 3),
                "Utrecht, Netherlands",
                ("C# services on Azure; moved builds to Docker.",),
            ),
        ),
        education=(Education("BSc Computer Science", "Vrije Universiteit Amsterdam", 2012, 2015),),
        linkedin="https://www.linkedin.com/in/lukasvdberg/",
        date_format="year",
        work_format="company_dash_title",
    ),
    Person(
        key="hannah",
        name="Hannah Schmidt",
        email="hannah.schmidt@example.de",
        phone="0151 2345 6789",
        phone_e164="+4915123456789",
        location="Munich, Germany",
        city="Munich",
        country="DE",
        headline="Embedded Software Engineer",
        summary="Embedded engineer writing firmware for medical devices.",
        skills=("cpp=C++", "rust", "linux", "python", "git"),
        extra_text=("CMake", "FreeRTOS"),
        jobs=(
            Job(
                "Embedded Software Engineer",
                "Isar Medical Devices GmbH",
                (2019, 7),
                None,
                "Munich, Germany",
                ("Firmware in C++ and Rust for infusion pumps.",),
            ),
            Job(
                "Firmware Developer",
                "Alpen Robotics AG",
                (2017, 3),
                (2019, 6),
                "Augsburg, Germany",
                ("Motor control on embedded Linux.",),
            ),
            Job(
                "Working Student",
                "Bavaria Sensors GmbH",
                (2015, 10),
                (2017, 2),
                "Munich, Germany",
                ("Python test rigs for sensor boards.",),
            ),
        ),
        education=(
            Education("M.Sc. Electrical Engineering", "Technische Universität München", 2014, 2017),
        ),
        date_format="mm_dot",
        work_format="title_at_company",
    ),
    Person(
        key="emilie",
        name="Émilie Dubois",
        email="emilie.dubois@example.fr",
        phone="+33 1 23 45 67 89",
        phone_e164="+33123456789",
        location="Paris, France",
        city="Paris",
        country="FR",
        headline="UX Designer",
        summary="UX designer who tests early and often with real users.",
        skills=(
            "figma",
            "ux-research=User research",
            "ui-design=Interface design",
            "accessibility",
        ),
        extra_text=("Prototyping", "Design systems"),
        jobs=(
            Job(
                "Senior UX Designer",
                "Seine Studio",
                (2021, 9),
                None,
                "Paris, France",
                ("Led user research for a banking app redesign.",),
            ),
            Job(
                "UX Designer",
                "Marais Digital",
                (2018, 1),
                (2021, 8),
                "Paris, France",
                ("Interface design for e-learning products.",),
            ),
        ),
        education=(
            Education(
                "Master Design d'Interaction", "École de design Nantes Atlantique", 2016, 2018
            ),
        ),
        linkedin="linkedin.com/in/emiliedubois",
        date_format="year",
        work_format="company_dash_title",
    ),
    Person(
        key="daniel",
        name="Daniel Cohen",
        email="dan.cohen@example.com",
        phone="+1-212-555-0187",
        phone_e164="+12125550187",
        location="New York, NY",
        city="New York",
        country="US",
        headline="Site Reliability Engineer",
        summary=(
            "SRE with 10 years of experience keeping payment systems up. Good at incident "
            "response and going from alert to root cause fast."
        ),
        skills=(
            "go",
            "kubernetes",
            "terraform",
            "aws",
            "linux",
            "postgresql",
            "redis",
            "python",
        ),
        extra_text=("Prometheus", "Grafana"),
        jobs=(
            Job(
                "Site Reliability Engineer",
                "Hudson Pay Inc.",
                (2020, 3),
                None,
                "New York, NY",
                ("On-call lead; wrote Go tooling for failovers.",),
            ),
            Job(
                "Systems Engineer",
                "Brooklyn Hosting LLC",
                (2017, 6),
                (2020, 2),
                "Brooklyn, NY",
                ("Automated Linux provisioning with Terraform.",),
            ),
            Job(
                "IT Support Specialist",
                "Queens College",
                (2016, 1),
                (2017, 5),
                "Queens, NY",
                ("Helpdesk and lab machines.",),
            ),
        ),
        education=(Education("BS Computer Science", "City College of New York", 2011, 2015),),
        github="https://github.com/dcohen-sre",
        date_format="mon_year",
        work_format="company_first",
    ),
    Person(
        key="priya",
        name="Priya Nair",
        email="priya.nair@example.in",
        phone="+91 98765 43210",
        phone_e164="+919876543210",
        location="Bengaluru, India",
        city="Bengaluru",
        country="IN",
        headline="QA Automation Engineer",
        summary="QA engineer building automated testing into delivery pipelines.",
        skills=(
            "test-automation",
            "java",
            "python",
            "ci-cd=Continuous integration",
            "sql",
            "jira",
            "agile",
        ),
        extra_text=("Selenium", "Jenkins"),
        jobs=(
            Job(
                "QA Automation Engineer",
                "Lotus Infotech Pvt Ltd",
                (2020, 8),
                None,
                "Bengaluru, India",
                ("Selenium suites in Java, run on every merge.",),
            ),
            Job(
                "Software Test Engineer",
                "Cauvery Systems",
                (2017, 4),
                (2020, 7),
                "Mysuru, India",
                ("Manual and automated regression testing.",),
            ),
        ),
        education=(
            Education(
                "Bachelor of Engineering", "Visvesvaraya Technological University", 2013, 2017
            ),
        ),
        linkedin="linkedin.com/in/priyanair-qa",
        date_format="mon_year",
        separator=" – ",
        work_format="one_line",
    ),
    Person(
        key="tom",
        name="Tom Baker",
        email="tom.baker@example.co.uk",
        phone="0161 496 0123",
        phone_e164="+441614960123",
        location="Manchester, UK",
        city="Manchester",
        country="GB",
        headline="Data Engineer",
        summary="Data engineer building batch and streaming pipelines.",
        skills=(
            "python",
            "airflow=Apache Airflow",
            "dbt",
            "apache-spark=Apache Spark",
            "kafka=Kafka",
            "aws",
            "sql",
            "power-bi=Power BI",
        ),
        jobs=(
            Job(
                "Data Engineer",
                "Northern Rail Data Ltd",
                (2019, 2),
                None,
                "Manchester, UK",
                ("Airflow and dbt pipelines over 3 TB a day.",),
            ),
            Job(
                "BI Developer",
                "Salford Analytics",
                (2015, 6),
                (2019, 1),
                "Salford, UK",
                ("Power BI reports and SQL warehouses.",),
            ),
        ),
        education=(Education("BSc Mathematics", "University of Leeds", 2012, 2015),),
        date_format="year",
        separator="-",
        present="current",
        work_format="title_first",
    ),
    Person(
        key="olivia",
        name="Olivia Brown",
        email="olivia.brown@example.com",
        phone="512-555-0147",
        phone_e164="+15125550147",
        location="Austin, TX",
        city="Austin",
        country="US",
        headline="Web Developer",
        summary="Web developer who likes boring technology and fast pages.",
        skills=("ruby", "ruby-on-rails=Rails", "javascript", "postgresql", "redis"),
        extra_text=("Heroku",),
        jobs=(
            Job(
                "Web Developer",
                "Lone Star Web Co.",
                (2018, 6),
                None,
                "Austin, TX",
                ("Rails apps for local businesses.",),
            ),
            Job(
                "Junior Web Developer",
                "Bluebonnet Media",
                (2016, 6),
                (2018, 5),
                "Austin, TX",
                ("JavaScript widgets and email templates.",),
            ),
        ),
        education=(
            Education("BS Information Systems", "University of Texas at Austin", 2012, 2016),
        ),
        date_format="month_year",
        separator=" - ",
        present="present",
        work_format="title_at_company",
    ),
)


# --- PDF (reportlab) ---------------------------------------------------------------------------


def _pdf_styles():
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    base = getSampleStyleSheet()
    return {
        "name": ParagraphStyle("name", parent=base["Title"], fontSize=20, alignment=0),
        "headline": ParagraphStyle("headline", parent=base["Heading3"]),
        "h": ParagraphStyle("h", parent=base["Heading2"], spaceBefore=8),
        "body": base["BodyText"],
        "small": ParagraphStyle("small", parent=base["BodyText"], fontSize=8.5, leading=11),
        "bullet": ParagraphStyle("bullet", parent=base["BodyText"], leftIndent=12),
    }


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pdf_experience(person: Person, styles, style="body") -> list:
    from reportlab.platypus import Paragraph

    flow = []
    for job in person.jobs:
        lines = entry_lines(job, person)
        flow.append(Paragraph(f"<b>{_esc(lines[0])}</b>", styles[style]))
        flow.extend(Paragraph(_esc(line), styles[style]) for line in lines[1:])
        flow.extend(Paragraph("• " + _esc(b), styles["bullet"]) for b in job.bullets)
    return flow


def _pdf_single_column(person: Person, path: Path, *, caps_name: bool, bullets_skills: bool):
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    s = _pdf_styles()
    name = person.name.upper() if caps_name else person.name
    flow = [
        Paragraph(_esc(name), s["name"]),
        Paragraph(_esc(person.headline), s["headline"]),
        Paragraph(_esc(" | ".join(contact_items(person))), s["body"]),
        Paragraph("Summary", s["h"]),
        Paragraph(_esc(person.summary), s["body"]),
        Paragraph("Experience", s["h"]),
        *_pdf_experience(person, s),
        Paragraph("Education", s["h"]),
        *[Paragraph(_esc(education_line(e)), s["body"]) for e in person.education],
        Paragraph("Skills", s["h"]),
    ]
    if bullets_skills:
        flow += [Paragraph("• " + _esc(n), s["bullet"]) for n in skill_names(person)]
    else:
        flow.append(Paragraph(_esc(", ".join(skill_names(person))), s["body"]))
    SimpleDocTemplate(str(path), pagesize=A4, title="Resume").build(flow)


def _pdf_two_frames(person: Person, path: Path):
    """Sidebar and main column as two Frames; name and headline drawn in the page header."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import BaseDocTemplate, Frame, FrameBreak, PageTemplate, Paragraph

    s = _pdf_styles()
    width, height = A4

    def header(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 18)
        canvas.drawString(20 * mm, height - 20 * mm, person.name)
        canvas.setFont("Helvetica", 11)
        canvas.drawString(20 * mm, height - 27 * mm, person.headline)
        canvas.restoreState()

    top = height - 35 * mm
    sidebar = Frame(15 * mm, 15 * mm, 60 * mm, top - 15 * mm, id="sidebar")
    main = Frame(80 * mm, 15 * mm, width - 95 * mm, top - 15 * mm, id="main")
    doc = BaseDocTemplate(str(path), pagesize=A4)
    doc.addPageTemplates([PageTemplate(id="two", frames=[sidebar, main], onPage=header)])
    flow = [Paragraph("Contact", s["h"])]
    flow += [Paragraph(_esc(item), s["small"]) for item in contact_items(person)]
    flow.append(Paragraph("Skills", s["h"]))
    flow += [Paragraph("• " + _esc(n), s["small"]) for n in skill_names(person)]
    flow.append(Paragraph("Education", s["h"]))
    for e in person.education:
        flow += [
            Paragraph(_esc(e.degree), s["small"]),
            Paragraph(_esc(f"{e.institution}, {e.start}–{e.end}"), s["small"]),
        ]
    flow.append(FrameBreak())
    flow += [Paragraph("Profile", s["h"]), Paragraph(_esc(person.summary), s["body"])]
    flow += [Paragraph("Work Experience", s["h"]), *_pdf_experience(person, s)]
    doc.build(flow)


def _pdf_tables(person: Person, path: Path):
    """Contact, experience and skills in tables: dates in the left column."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    s = _pdf_styles()
    grid = TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
        ]
    )
    contact = [["Location", person.location], ["Phone", person.phone], ["Email", person.email]]
    if person.linkedin:
        contact.append(["LinkedIn", person.linkedin])
    if person.github:
        contact.append(["GitHub", person.github])
    contact += [["Web", url] for url in person.other_links]
    rows = []
    for job in person.jobs:
        cell = [Paragraph(f"<b>{_esc(job.title)}</b>", s["body"])]
        cell.append(Paragraph(_esc(f"{job.company}, {job.location}"), s["body"]))
        cell += [Paragraph("• " + _esc(b), s["small"]) for b in job.bullets]
        rows.append([Paragraph(_esc(format_range(job, person)), s["body"]), cell])
    names = skill_names(person)
    skill_rows = [
        ["Programming", ", ".join(names[:3])],
        ["Libraries", ", ".join(names[3:7])],
        ["Tools", ", ".join(names[7:])],
    ]
    flow = [
        Paragraph(_esc(person.name), s["name"]),
        Paragraph(_esc(person.headline), s["headline"]),
        Table(contact, colWidths=[30 * mm, 120 * mm], style=grid),
        Paragraph(_esc(person.summary), s["body"]),
        Paragraph("Professional Experience", s["h"]),
        Table(rows, colWidths=[40 * mm, 125 * mm], style=grid),
        Paragraph("Skills", s["h"]),
        Table(skill_rows, colWidths=[35 * mm, 130 * mm], style=grid),
        Paragraph("Education", s["h"]),
    ]
    for e in person.education:
        flow.append(Paragraph(_esc(e.degree), s["body"]))
        flow.append(Paragraph(_esc(f"{e.institution} | {e.start} – {e.end}"), s["body"]))
    SimpleDocTemplate(str(path), pagesize=A4).build(flow)


def _pdf_table_columns(person: Person, path: Path):
    """Two columns as one Table; the name only in the page header, a footer on each page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    s = _pdf_styles()
    width, height = A4

    def page(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 16)
        canvas.drawString(20 * mm, height - 15 * mm, person.name)
        canvas.setFont("Helvetica", 8)
        canvas.drawString(20 * mm, 10 * mm, f"Curriculum vitae — page {doc.page}")
        canvas.restoreState()

    left = [Paragraph("Contact", s["h"])]
    left += [Paragraph(_esc(item), s["small"]) for item in contact_items(person)]
    left += [Paragraph("Skills", s["h"])]
    left += [Paragraph(_esc(", ".join(skill_names(person))), s["small"])]
    left += [Paragraph("Languages", s["h"]), Paragraph("French, English", s["small"])]
    right = [
        Paragraph(_esc(person.headline), s["headline"]),
        Paragraph(_esc(person.summary), s["body"]),
        Paragraph("Experience", s["h"]),
        *_pdf_experience(person, s),
        Paragraph("Education", s["h"]),
        *[Paragraph(_esc(education_line(e)), s["body"]) for e in person.education],
    ]
    table = Table([[left, right]], colWidths=[55 * mm, 115 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    doc = SimpleDocTemplate(str(path), pagesize=A4, topMargin=25 * mm)
    doc.build([table], onFirstPage=page, onLaterPages=page)


def _pdf_two_pages(person: Person, path: Path):
    """Contact in a header repeated on every page, numbered footers, a page break."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    s = _pdf_styles()
    width, height = A4

    def page(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(
            20 * mm, height - 12 * mm, f"{person.name} | {person.headline} | {person.email}"
        )
        canvas.drawRightString(width - 20 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    flow = [
        Paragraph(_esc(person.name), s["name"]),
        Paragraph(_esc(" · ".join(contact_items(person))), s["body"]),
        Paragraph("About me", s["h"]),
        Paragraph(_esc(person.summary), s["body"]),
        Paragraph("Employment History", s["h"]),
        *_pdf_experience(person, s),
        Spacer(1, 10 * mm),
        PageBreak(),
        Paragraph("Technical Skills", s["h"]),
        Paragraph(_esc(" • ".join(skill_names(person))), s["body"]),
        Paragraph("Education", s["h"]),
        *[Paragraph(_esc(education_line(e)), s["body"]) for e in person.education],
        Paragraph("Interests", s["h"]),
        Paragraph("Sailing, chess and going to gigs.", s["body"]),
    ]
    doc = SimpleDocTemplate(str(path), pagesize=A4, topMargin=20 * mm)
    doc.build(flow, onFirstPage=page, onLaterPages=page)


def _pdf_skill_grid(person: Person, path: Path):
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    s = _pdf_styles()
    names = skill_names(person)
    grid = [names[i : i + 3] for i in range(0, len(names), 3)]
    grid[-1] += [""] * (3 - len(grid[-1]))
    flow = [
        Paragraph(_esc(person.name), s["name"]),
        Paragraph(_esc(person.headline), s["headline"]),
        Paragraph(_esc(" | ".join(contact_items(person))), s["small"]),
        Paragraph("Summary", s["h"]),
        Paragraph(_esc(person.summary), s["body"]),
        Paragraph("Core Skills", s["h"]),
        Table(grid),
        Paragraph("Experience", s["h"]),
        *_pdf_experience(person, s),
        Paragraph("Education", s["h"]),
    ]
    for e in person.education:
        flow.append(Paragraph(_esc(f"{e.degree} — {e.institution} ({e.start}–{e.end})"), s["body"]))
    SimpleDocTemplate(str(path), pagesize=letter).build(flow)


def write_scanned_pdf(path: Path) -> None:
    """A 'scan': lines and boxes shaped like a page of text, but no text layer at all."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4)
    width, height = A4
    canvas.setFillGray(0.2)
    y = height - 60
    for row in range(40):
        canvas.rect(50, y, 200 + (row * 37) % 280, 7, stroke=0, fill=1)
        y -= 16
    canvas.showPage()
    canvas.save()


# --- DOCX (python-docx) ------------------------------------------------------------------------


def _docx_new():
    from docx import Document

    return Document()


def _docx_experience(person: Person, container, *, bullets_style="List Bullet") -> None:
    for job in person.jobs:
        lines = entry_lines(job, person)
        first = container.add_paragraph()
        first.add_run(lines[0]).bold = True
        for line in lines[1:]:
            container.add_paragraph(line)
        for bullet in job.bullets:
            if bullets_style:
                container.add_paragraph(bullet, style=bullets_style)
            else:
                container.add_paragraph("• " + bullet)


def _docx_headings(person: Person, path: Path):
    doc = _docx_new()
    doc.add_heading(person.name, level=0)
    doc.add_paragraph(person.headline)
    doc.add_paragraph(" | ".join(contact_items(person)))
    doc.add_heading("Professional Summary", level=1)
    doc.add_paragraph(person.summary)
    doc.add_heading("Experience", level=1)
    _docx_experience(person, doc)
    doc.add_heading("Education", level=1)
    for e in person.education:
        doc.add_paragraph(f"{e.degree} — {e.institution}")
        doc.add_paragraph(f"{e.start} – {e.end}")
    doc.add_heading("Skills", level=1)
    doc.add_paragraph(", ".join(skill_names(person)))
    doc.save(str(path))


def _docx_two_column_table(person: Person, path: Path, *, nested_skills: bool):
    from docx.shared import Cm

    doc = _docx_new()
    doc.add_heading(person.name, level=0)
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(6), Cm(11)
    left.paragraphs[0].add_run("CONTACT").bold = True
    for item in contact_items(person):
        left.add_paragraph(item)
    left.add_paragraph().add_run("SKILLS").bold = True
    names = skill_names(person)
    if nested_skills:
        inner = left.add_table(rows=0, cols=2)
        half = (len(names) + 1) // 2
        for label, chunk in (("Core", names[:half]), ("Also", names[half:])):
            cells = inner.add_row().cells
            cells[0].text = label
            cells[1].text = ", ".join(chunk)
    else:
        for name in names:
            left.add_paragraph(name, style="List Bullet")
    left.add_paragraph().add_run("EDUCATION").bold = True
    for e in person.education:
        left.add_paragraph(e.degree)
        left.add_paragraph(f"{e.institution}, {e.start}–{e.end}")
    right.paragraphs[0].add_run(person.headline).bold = True
    right.add_paragraph(person.summary)
    right.add_paragraph().add_run("EXPERIENCE").bold = True
    _docx_experience(person, right)
    doc.save(str(path))


def _docx_header_tables(person: Person, path: Path):
    """Name and contact in the section header; experience, skills and education in tables."""
    doc = _docx_new()
    section = doc.sections[0]
    section.header.paragraphs[0].text = f"{person.name} | {person.headline}"
    section.header.add_paragraph(" · ".join(contact_items(person)))
    section.footer.paragraphs[0].text = f"{person.name} — CV"
    doc.add_heading("Profile", level=1)
    doc.add_paragraph(person.summary)
    doc.add_heading("Work Experience", level=1)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, ("Period", "Role", "Company"), strict=True):
        cell.text = label
    for job in person.jobs:
        cells = table.add_row().cells
        cells[0].text = format_range(job, person)
        cells[1].text = job.title
        cells[2].text = job.company
    doc.add_heading("Skills", level=1)
    names = skill_names(person)
    skills = doc.add_table(rows=0, cols=2)
    for label, chunk in (("Languages", names[:2]), ("Systems", names[2:])):
        cells = skills.add_row().cells
        cells[0].text = label
        cells[1].text = ", ".join(chunk)
    doc.add_heading("Education", level=1)
    edu = doc.add_table(rows=0, cols=3)
    for e in person.education:
        cells = edu.add_row().cells
        cells[0].text = f"{e.start} – {e.end}"
        cells[1].text = e.degree
        cells[2].text = e.institution
    doc.save(str(path))


def _docx_header_footer_contact(person: Person, path: Path):
    """The name in the page header, the contact line only in the footer."""
    doc = _docx_new()
    section = doc.sections[0]
    section.header.paragraphs[0].text = person.name
    section.footer.paragraphs[0].text = " | ".join(contact_items(person))
    doc.add_paragraph().add_run(person.headline).bold = True
    doc.add_paragraph(person.summary)
    doc.add_heading("Experience", level=2)
    _docx_experience(person, doc)
    doc.add_heading("Skills", level=2)
    doc.add_paragraph(" · ".join(skill_names(person)))
    doc.add_heading("Education", level=2)
    for e in person.education:
        doc.add_paragraph(education_line(e))
    doc.save(str(path))


def _docx_plain_caps(person: Person, path: Path):
    """Bold capitals instead of heading styles, typed bullets, one-line entries."""
    doc = _docx_new()
    doc.add_paragraph().add_run(person.name).bold = True
    doc.add_paragraph(person.headline)
    for item in contact_items(person):
        doc.add_paragraph(item)
    for heading, body in (
        ("PROFILE", [person.summary]),
        ("KEY SKILLS", [", ".join(skill_names(person))]),
    ):
        doc.add_paragraph().add_run(heading).bold = True
        for text in body:
            doc.add_paragraph(text)
    doc.add_paragraph().add_run("PROFESSIONAL EXPERIENCE").bold = True
    _docx_experience(person, doc, bullets_style="")
    doc.add_paragraph().add_run("EDUCATION").bold = True
    for e in person.education:
        doc.add_paragraph(education_line(e))
    doc.save(str(path))


def _docx_title_first(person: Person, path: Path):
    doc = _docx_new()
    section = doc.sections[0]
    section.footer.paragraphs[0].text = "References available on request"
    doc.add_heading(person.name, level=0)
    doc.add_paragraph(f"{person.headline} — {person.location}")
    doc.add_paragraph(f"{person.email} · {person.phone}")
    links = [url for url in (person.linkedin, person.github, *person.other_links) if url]
    if links:
        doc.add_paragraph("  ".join(links))
    doc.add_heading("Skills", level=1)
    names = skill_names(person)
    table = doc.add_table(rows=0, cols=4)
    for i in range(0, len(names), 4):
        cells = table.add_row().cells
        for cell, name in zip(cells, names[i : i + 4], strict=False):
            cell.text = name
    doc.add_heading("Career History", level=1)
    _docx_experience(person, doc)
    doc.add_heading("Education", level=1)
    for e in person.education:
        doc.add_paragraph(e.institution)
        doc.add_paragraph(f"{e.degree}, {e.start}-{e.end}")
    doc.save(str(path))


def _text_resume(person: Person, path: Path):
    lines = [person.name, person.headline, *contact_items(person), "", "SUMMARY", person.summary]
    lines += ["", "EXPERIENCE"]
    for job in person.jobs:
        lines += entry_lines(job, person)
        lines += [f"- {b}" for b in job.bullets]
        lines.append("")
    lines += ["EDUCATION", *[education_line(e) for e in person.education], ""]
    lines += ["SKILLS", ", ".join(skill_names(person))]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))


# Which person is rendered how: (key, layout, renderer, extension)
LAYOUTS = (
    (
        "ada",
        "pdf-single-column",
        lambda p, f: _pdf_single_column(p, f, caps_name=False, bullets_skills=False),
        "pdf",
    ),
    ("rajesh", "pdf-two-frames-header", _pdf_two_frames, "pdf"),
    ("sophie", "pdf-tables", _pdf_tables, "pdf"),
    ("jeanluc", "pdf-two-column-table-header-footer", _pdf_table_columns, "pdf"),
    (
        "maria",
        "pdf-caps-name-bullets",
        lambda p, f: _pdf_single_column(p, f, caps_name=True, bullets_skills=True),
        "pdf",
    ),
    ("liam", "pdf-two-pages-header-footer", _pdf_two_pages, "pdf"),
    ("chen", "pdf-skill-grid", _pdf_skill_grid, "pdf"),
    ("amara", "docx-headings", _docx_headings, "docx"),
    (
        "lukas",
        "docx-two-column-table",
        lambda p, f: _docx_two_column_table(p, f, nested_skills=False),
        "docx",
    ),
    ("hannah", "docx-header-tables", _docx_header_tables, "docx"),
    ("emilie", "docx-header-footer-contact", _docx_header_footer_contact, "docx"),
    (
        "daniel",
        "docx-nested-table",
        lambda p, f: _docx_two_column_table(p, f, nested_skills=True),
        "docx",
    ),
    ("priya", "docx-caps-headings", _docx_plain_caps, "docx"),
    ("tom", "docx-title-first-footer", _docx_title_first, "docx"),
    ("olivia", "text-utf8-bom-crlf", _text_resume, "txt"),
)
CONTENT_TYPES = {"pdf": PDF, "docx": DOCX, "txt": TEXT}


def person(key: str) -> Person:
    return next(p for p in PEOPLE if p.key == key)


SCANNED = "scanned.pdf"


def generate(directory: Path) -> list[CorpusFile]:
    """Write every resume of the corpus, and the scan (`SCANNED`), into `directory`; return the
    resumes with their ground truth."""
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for key, layout, render, ext in LAYOUTS:
        someone = person(key)
        path = directory / f"{key}.{ext}"
        render(someone, path)
        files.append(CorpusFile(someone, path, CONTENT_TYPES[ext], layout, truth_of(someone)))
    write_scanned_pdf(directory / SCANNED)
    return files


_generated: dict[str, list[CorpusFile]] = {}


def generated(tmp_path_factory) -> dict[str, CorpusFile]:
    """The corpus by person key, generated once per test session whichever module asks first."""
    if not _generated:
        _generated["files"] = generate(tmp_path_factory.mktemp("resume-corpus"))
    return {f.person.key: f for f in _generated["files"]}


# --- Scoring -----------------------------------------------------------------------------------


def _norm(value) -> str:
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", str(value)).casefold()
    return " ".join(re.sub(r"[^\w+#./ ]+", " ", text).replace(" .", " ").split()).strip(" .")


def _year(value: str | None) -> str | None:
    return value if value in (None, "present") else str(value)[:4]


def _items(field_name: str, value) -> list:
    """A field's value as comparable items (one for scalars, several for lists)."""
    if value in (None, "", [], {}):
        return []
    if field_name == "skills":
        return sorted(set(value))
    if field_name == "links":
        items = [("linkedin", value.get("linkedin")), ("github", value.get("github"))]
        items += [("other", url) for url in value.get("other", [])]
        return [(kind, url.rstrip("/")) for kind, url in items if url]
    if field_name == "location":
        return [(_norm(value.get("city", "")), value.get("country", ""))]
    if field_name == "education":
        return [(_norm(e["degree"]), _norm(e["institution"]), e["end"]) for e in value]
    if field_name == "work_history":
        return [
            (_norm(e["title"]), _norm(e["company"]), _year(e["start"]), _year(e["end"]))
            for e in value
        ]
    if field_name in ("email", "phone"):
        return [str(value).lower()]
    if field_name == "years_experience":
        return [int(value)]
    return [_norm(value)]


def score(predicted: dict, truth: dict) -> dict[str, tuple[int, int, int]]:
    """(true positives, false positives, false negatives) per field, items matched one to one.

    Years of experience count as right within one year; work-history dates are compared by
    year, because several layouts print only years.
    """
    counts = {}
    for name, true_value in truth.items():
        got = _items(name, predicted[name]["value"])
        want = _items(name, true_value)
        tp = 0
        for item in got:
            hit = next(
                (
                    w
                    for w in want
                    if (abs(item - w) <= 1 if name == "years_experience" else item == w)
                ),
                None,
            )
            if hit is not None:
                want.remove(hit)
                tp += 1
        counts[name] = (tp, len(got) - tp, len(want))
    return counts


def document_from_file(*, owner, path: Path, content_type: str, kind: str = "resume"):
    """Save a file into private storage under a random key, as the upload flow does, and return
    its Document (status `uploaded`)."""
    import hashlib
    import uuid

    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from applications.models import Document

    data = path.read_bytes()
    key = storages["private"].save(f"documents/{uuid.uuid4().hex}", ContentFile(data))
    return Document.objects.create(
        owner=owner,
        kind=kind,
        storage_key=key,
        original_name=path.name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
