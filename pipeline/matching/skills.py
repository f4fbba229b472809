"""The matcher's own skill vocabulary: names, the other ways people write them, and what one
skill implies about another.

Matching reads postings and resumes with this fixed vocabulary (plus the aliases of any
`jobs.Skill` row of the same name), so a match does not change when a large taxonomy is loaded
into the database, and synonyms ("k8s", "ECMAScript", "SFDC", "travel jabs") are known whatever
the database holds. Requirements a recruiter set as JobSkill rows are honoured on top of this.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from jobs.skills import SkillMatcher, SkillTerm, skill_key

# (name, aliases, implied skills). Aliases are other spellings of the same skill; an implied
# skill is one a person who has this skill also has (Django → Python, EKS → Kubernetes and AWS).
Entry = tuple[str, tuple[str, ...], tuple[str, ...]]

_SOFTWARE: tuple[Entry, ...] = (
    ("Java", ("core java", "java ee", "j2ee", "jakarta ee", "java se"), ("jvm",)),
    ("Kotlin", (), ("jvm",)),
    ("Scala", (), ("jvm",)),
    ("JVM", ("java virtual machine",), ()),
    ("Python", ("python3", "py"), ()),
    (
        "JavaScript",
        ("js", "ecmascript", "es6", "es6+", "es2015", "es2022", "vanilla javascript"),
        (),
    ),
    ("TypeScript", ("ts",), ("javascript",)),
    ("Go", ("golang",), ()),
    ("Rust", (), ()),
    ("C#", ("c sharp", "csharp"), ()),
    (".NET", ("dotnet", ".net core", "asp.net"), ("c#",)),
    ("C++", ("cpp",), ()),
    ("Ruby", (), ()),
    ("PHP", (), ()),
    ("Swift", ("swiftui",), ()),
    ("Objective-C", (), ()),
    ("Elixir", (), ()),
    ("R", ("r programming", "tidyverse", "rstudio"), ()),
    ("MATLAB", ("simulink",), ()),
    ("VBA", ("vba macros", "excel macros"), ()),
    (
        "Bash",
        ("shell scripting", "shell scripts", "bash scripting", "bash scripts", "unix shell"),
        (),
    ),
    ("PowerShell", (), ()),
    ("SQL", ("ansi sql", "sql queries", "spark sql"), ()),
    ("T-SQL", ("tsql", "transact-sql"), ("sql", "sql server")),
    ("PL/SQL", ("plsql", "pl sql"), ("sql", "oracle")),
    ("HTML", ("html5", "semantic html", "semantic markup"), ()),
    ("CSS", ("css3", "scss", "sass", "css modules", "styled-components"), ()),
    ("Tailwind CSS", ("tailwind",), ("css",)),
    ("Bootstrap", (), ("css",)),
    ("Spring", ("spring boot", "spring framework", "springboot", "spring mvc"), ("java",)),
    ("Hibernate", ("jpa",), ("java",)),
    ("Akka", (), ("scala",)),
    ("Django", ("django framework",), ("python",)),
    ("Django REST Framework", ("drf", "django rest"), ("django", "rest apis", "python")),
    ("FastAPI", ("fast api",), ("python", "rest apis", "async programming")),
    ("Flask", (), ("python",)),
    ("asyncio", ("async python", "aiohttp"), ("python", "async programming")),
    ("Async programming", ("asynchronous programming", "async framework", "async frameworks"), ()),
    ("Celery", (), ("python",)),
    ("SQLAlchemy", (), ("python",)),
    ("pytest", (), ("python", "automated testing")),
    ("React", ("reactjs", "react.js", "react 18", "react hooks"), ("javascript",)),
    ("Redux", ("redux toolkit", "zustand", "mobx", "react query"), ()),
    ("Next.js", ("nextjs",), ("react",)),
    ("Vue.js", ("vue", "vuejs", "vue 3", "vue.js 3"), ("javascript",)),
    ("Nuxt", ("nuxt.js", "nuxtjs"), ("vue.js",)),
    ("Angular", ("angularjs", "angular material"), ("typescript",)),
    ("RxJS", (), ()),
    ("Node.js", ("node", "nodejs", "node js"), ("javascript",)),
    ("Express", ("express.js", "expressjs"), ("node.js",)),
    ("NestJS", ("nest.js",), ("node.js", "typescript")),
    ("React Native", (), ("react", "mobile development")),
    ("Android", ("jetpack compose",), ("mobile development",)),
    ("iOS", ("xcode", "uikit"), ("mobile development",)),
    ("Mobile development", ("mobile apps", "mobile app development"), ()),
    ("GraphQL", (), ()),
    (
        "REST APIs",
        (
            "rest",
            "rest api",
            "restful",
            "restful apis",
            "rest services",
            "rest endpoints",
            "api design",
            "rest api design",
            "web apis",
        ),
        (),
    ),
    ("gRPC", (), ()),
    ("Microservices", ("microservice", "micro-services", "service-oriented architecture"), ()),
    (
        "Event-driven architecture",
        ("event-driven", "event driven", "event sourcing", "event-sourced"),
        (),
    ),
    ("Distributed systems", (), ()),
    ("Domain-driven design", ("ddd", "domain driven design"), ()),
    ("System design", ("software architecture", "architecture decision records"), ()),
    (
        "Object-oriented programming",
        ("oop", "object oriented programming", "object-oriented design"),
        (),
    ),
    ("Data structures", ("algorithms",), ()),
    ("Git", ("github", "gitlab", "bitbucket", "pull requests", "merge requests"), ()),
    (
        "Automated testing",
        (
            "unit tests",
            "unit testing",
            "integration tests",
            "test automation",
            "automated tests",
            "tdd",
            "property-based testing",
            "property-based tests",
            "testing discipline",
            "contract tests",
        ),
        (),
    ),
    ("JUnit", ("junit 5", "mockito"), ("automated testing",)),
    ("Testcontainers", (), ("automated testing",)),
    ("Jest", ("testing library", "react testing library", "vitest"), ("automated testing",)),
    ("Jasmine", ("karma",), ("automated testing",)),
    ("Kafka", ("apache kafka", "kafka streams", "kafka connect", "msk", "event streaming"), ()),
    ("RabbitMQ", (), ()),
    ("JMS", ("ibm mq",), ()),
    ("Redis", (), ()),
    ("PostgreSQL", ("postgres", "psql", "managed postgres"), ("sql",)),
    ("MySQL", ("mariadb",), ("sql",)),
    ("SQL Server", ("mssql", "ms sql", "microsoft sql server"), ("sql",)),
    ("Oracle", ("oracle database",), ("sql",)),
    ("MongoDB", ("mongo",), ()),
    ("SQLite", (), ("sql",)),
    ("Elasticsearch", ("opensearch",), ()),
    ("Figma", (), ()),
    ("Accessibility", ("a11y", "wcag", "wcag 2.1", "screen-reader", "keyboard navigation"), ()),
    ("Web performance", ("core web vitals", "lighthouse", "bundle size"), ()),
    ("Design systems", ("design system", "component library", "design-system"), ()),
    ("OpenTelemetry", (), ("observability",)),
    (
        "Payments",
        (
            "card payments",
            "payment processing",
            "card authorisation",
            "settlement",
            "clearing",
            "sepa",
        ),
        (),
    ),
)

_DATA: tuple[Entry, ...] = (
    ("pandas", (), ("python",)),
    ("NumPy", (), ("python",)),
    ("scikit-learn", ("sklearn", "scikit learn"), ("python", "machine learning")),
    ("PyTorch", ("torch",), ("python", "deep learning")),
    ("TensorFlow", ("keras",), ("deep learning",)),
    ("Hugging Face", ("transformers", "hugging face transformers"), ("deep learning", "nlp")),
    ("spaCy", (), ("nlp", "python")),
    (
        "NLP",
        (
            "natural language processing",
            "computational linguistics",
            "entity extraction",
            "document classification",
            "machine translation",
        ),
        (),
    ),
    (
        "Computer vision",
        ("image processing", "object detection", "opencv", "perception models", "perception"),
        (),
    ),
    (
        "Machine learning",
        (
            "ml",
            "ml models",
            "machine learning models",
            "predictive models",
            "predictive modelling",
            "forecasting models",
            "classification models",
            "gradient boosting",
            "glms",
            "glm",
            "regression models",
        ),
        (),
    ),
    ("Deep learning", ("neural networks", "deep learning models"), ("machine learning",)),
    ("LightGBM", (), ("machine learning",)),
    ("XGBoost", (), ("machine learning",)),
    (
        "MLOps",
        (
            "ml ops",
            "model registry",
            "experiment tracking",
            "model deployment",
            "ml infrastructure",
        ),
        (),
    ),
    ("MLflow", (), ("mlops",)),
    ("Kubeflow", ("kubeflow pipelines",), ("mlops", "kubernetes")),
    ("SageMaker", ("vertex ai",), ("mlops",)),
    ("ONNX", ("tensorrt", "edge inference"), ()),
    (
        "Statistics",
        (
            "stats",
            "statistical modelling",
            "statistical analysis",
            "hypothesis testing",
            "statistical significance",
            "econometrics",
            "biostatistics",
            "applied statistics",
            "survival models",
            "mixed models",
            "anova",
            "statistical rigour",
            "backtesting",
            "applied stats",
        ),
        (),
    ),
    (
        "Experimentation",
        (
            "a/b tests",
            "a/b testing",
            "ab testing",
            "experimental design",
            "experiment design",
            "price experiments",
            "price tests",
            "price testing",
            "pricing experiments",
            "bandit experiments",
            "multi-armed bandits",
            "incrementality tests",
            "power analysis",
            "sequential testing",
            "experimentation",
        ),
        (),
    ),
    ("Causal inference", ("difference-in-differences",), ()),
    ("Forecasting", ("demand forecasting", "time series"), ()),
    ("Spark", ("apache spark", "pyspark", "spark structured streaming", "databricks", "emr"), ()),
    ("Hadoop", ("hdfs", "hive", "sqoop", "oozie", "cloudera"), ()),
    ("Flink", ("apache flink",), ()),
    ("Airflow", ("apache airflow", "cloud composer", "airflow dags", "dags"), ()),
    ("dbt", ("data build tool", "dbt models", "dbt fundamentals"), ()),
    ("Snowflake", (), ("data warehouse",)),
    ("BigQuery", ("big query",), ("data warehouse", "google cloud")),
    ("Redshift", (), ("data warehouse", "aws")),
    (
        "Data warehouse",
        ("data warehousing", "cloud warehouse", "lakehouse", "delta tables", "delta lake"),
        (),
    ),
    (
        "Data pipelines",
        (
            "etl",
            "elt",
            "ingestion pipelines",
            "batch pipelines",
            "streaming pipelines",
            "data ingestion",
            "etl pipelines",
        ),
        (),
    ),
    (
        "Streaming",
        (
            "stream processing",
            "real-time pipelines",
            "streaming platform",
            "streaming ingestion",
            "pub/sub",
            "dataflow",
            "kinesis",
        ),
        (),
    ),
    (
        "Data quality",
        ("data-quality checks", "data quality checks", "great expectations", "data contracts"),
        (),
    ),
    (
        "Data modelling",
        (
            "data modeling",
            "dimensional modelling",
            "dimensional modeling",
            "star schemas",
            "star schema",
            "semantic models",
            "semantic layer",
            "data models",
        ),
        (),
    ),
    ("Informatica", ("informatica powercenter",), ("data pipelines",)),
    ("SSIS", (), ("data pipelines", "sql server")),
    ("Azure Data Factory", ("adf",), ("data pipelines", "azure")),
    (
        "Excel",
        (
            "microsoft excel",
            "advanced excel",
            "pivot tables",
            "vlookup",
            "index/match",
            "spreadsheets",
        ),
        (),
    ),
    ("Google Sheets", (), ()),
    ("Tableau", ("tableau server",), ()),
    ("Power BI", ("powerbi", "power query"), ()),
    ("DAX", ("dax measures",), ("power bi",)),
    ("Looker", ("lookml",), ()),
    ("Looker Studio", ("data studio", "google data studio"), ()),
    ("Google Analytics", ("ga4", "google analytics 4", "google tag manager"), ()),
    ("Dashboards", ("dashboard", "reporting dashboards"), ()),
    ("Data analysis", ("ad-hoc analysis", "data analytics"), ()),
    ("Jupyter", ("jupyter notebooks",), ("python",)),
)

_INFRA: tuple[Entry, ...] = (
    (
        "AWS",
        (
            "amazon web services",
            "ec2",
            "s3",
            "lambda",
            "aws lambda",
            "rds",
            "ecs",
            "sqs",
            "iam",
            "cloudwatch",
            "aws cloud practitioner",
            "aws certified",
        ),
        (),
    ),
    ("EKS", ("amazon eks",), ("kubernetes", "aws")),
    (
        "Azure",
        (
            "microsoft azure",
            "az-900",
            "az-104",
            "entra id",
            "azure ad",
            "azure monitor",
            "key vault",
        ),
        (),
    ),
    ("AKS", (), ("kubernetes", "azure")),
    ("Google Cloud", ("gcp", "google cloud platform", "gke"), ()),
    (
        "Kubernetes",
        ("k8s", "kubernetes clusters", "openshift", "helm", "strimzi", "cka", "ckad"),
        (),
    ),
    (
        "Docker",
        (
            "containers",
            "containerise",
            "containerised",
            "containerize",
            "dockerfiles",
            "docker images",
            "containerisation",
        ),
        (),
    ),
    ("Terraform", ("terraform modules",), ("infrastructure as code",)),
    ("Bicep", (), ("infrastructure as code", "azure")),
    ("Infrastructure as code", ("iac",), ()),
    ("Ansible", (), ()),
    (
        "Linux",
        (
            "linux servers",
            "linux administration",
            "rhel",
            "debian",
            "ubuntu",
            "unix",
            "linux internals",
            "linux command line",
        ),
        (),
    ),
    ("Windows Server", ("active directory", "group policy"), ()),
    (
        "Networking",
        ("tcp/ip", "bgp", "vpn", "network debugging", "tcpdump", "ebpf", "container networking"),
        (),
    ),
    ("Prometheus", ("alertmanager", "thanos"), ("monitoring",)),
    ("Grafana", ("loki",), ("monitoring",)),
    ("Monitoring", ("observability", "alerting", "zabbix", "nagios", "slos", "slo"), ()),
    (
        "CI/CD",
        (
            "ci",
            "ci/cd pipelines",
            "continuous integration",
            "continuous delivery",
            "build pipelines",
            "release pipelines",
            "deployment pipelines",
            "build-and-release pipelines",
        ),
        (),
    ),
    ("Jenkins", (), ("ci/cd",)),
    ("GitHub Actions", (), ("ci/cd",)),
    ("GitLab CI", ("gitlab ci/cd",), ("ci/cd",)),
    ("CircleCI", (), ("ci/cd",)),
    ("Azure DevOps", (), ("ci/cd",)),
    ("Argo CD", ("gitops",), ("kubernetes",)),
    ("Istio", ("linkerd", "service mesh"), ()),
    (
        "Incident response",
        ("on-call", "on call", "incident reviews", "postmortems", "incident response", "pager"),
        (),
    ),
    ("VMware", ("hyper-v", "virtualisation", "virtualization"), ()),
)

_QA: tuple[Entry, ...] = (
    ("Selenium", ("selenium webdriver", "webdriver"), ("test automation",)),
    (
        "Test automation",
        (
            "automation testing",
            "ui automation",
            "automation frameworks",
            "test frameworks",
            "end-to-end tests",
            "e2e tests",
        ),
        (),
    ),
    ("TestNG", (), ("test automation",)),
    ("Cucumber", ("bdd",), ("test automation",)),
    ("Appium", (), ("test automation",)),
    ("Playwright", (), ("test automation",)),
    ("Cypress", (), ("test automation",)),
    (
        "API testing",
        (
            "api tests",
            "api test suites",
            "rest assured",
            "postman",
            "newman",
            "supertest",
            "contract testing",
            "pact",
        ),
        (),
    ),
    ("Performance testing", ("jmeter", "k6", "load testing"), ()),
    (
        "Manual testing",
        (
            "test cases",
            "test plans",
            "regression testing",
            "functional testing",
            "user acceptance testing",
        ),
        (),
    ),
    ("Jira", ("testrail",), ()),
    ("ISTQB", (), ()),
)

_HEALTH: tuple[Entry, ...] = (
    (
        "Registered nurse",
        (
            "rn",
            "rn license",
            "registered nurse",
            "nmc registered",
            "nmc registration",
            "nmc-registered",
            "nursing license",
            "compact license",
            "multistate rn license",
            "bsn",
            "nurse license",
        ),
        (),
    ),
    (
        "Critical care",
        (
            "icu",
            "intensive care",
            "critical care",
            "ccrn",
            "ventilated patients",
            "ventilators",
            "vasoactive drips",
            "arterial lines",
            "medical icu",
            "surgical icu",
        ),
        (),
    ),
    ("Step-down care", ("step-down", "step down", "telemetry"), ()),
    ("Emergency nursing", ("emergency department", "trauma center", "triage"), ()),
    ("BLS", ("basic life support",), ()),
    ("ACLS", ("advanced cardiac life support",), ()),
    ("PALS", (), ()),
    ("CRRT", (), ()),
    ("Epic", ("epic ehr", "epic clarity", "clarity reports", "clindoc", "epic documentation"), ()),
    ("Cerner", (), ()),
    (
        "EHR",
        (
            "electronic health record",
            "super-user",
            "super user",
            "flowsheets",
            "order sets",
            "best-practice alerts",
            "ehr",
        ),
        (),
    ),
    ("Nursing informatics", ("clinical informatics", "health informatics"), ()),
    (
        "Vaccination",
        (
            "vaccinations",
            "vaccines",
            "immunisations",
            "immunizations",
            "immunisation",
            "travel vaccines",
            "travel jabs",
            "flu vaccinations",
            "vaccine schedule",
            "childhood vaccine schedule",
            "jabs",
            "vaccination clinics",
        ),
        (),
    ),
    (
        "Wound care",
        (
            "wound dressings",
            "dressings",
            "leg ulcers",
            "leg ulcer management",
            "tissue viability",
            "pressure ulcers",
        ),
        (),
    ),
    ("Cervical screening", ("smear tests", "smears", "cervical smears"), ()),
    (
        "Chronic disease management",
        ("long-term condition reviews", "diabetes care", "asthma", "copd", "diabetes"),
        (),
    ),
    ("SystmOne", ("emis",), ()),
    ("Palliative care", ("end-of-life care",), ()),
    ("IV therapy", (), ()),
)

_BUSINESS: tuple[Entry, ...] = (
    ("Salesforce", ("sfdc", "salesforce administrator"), ("crm",)),
    ("HubSpot", (), ("crm",)),
    ("CRM", ("crm skills",), ()),
    ("Gainsight", (), ()),
    ("Zendesk", ("intercom",), ()),
    ("Gong", ("outreach",), ()),
    ("MEDDICC", ("meddic",), ()),
    ("B2B SaaS", ("saas", "b2b software", "saas sales", "b2b saas sales"), ()),
    (
        "Closing",
        (
            "full-cycle deals",
            "full sales cycle",
            "negotiate and close",
            "close deals",
            "closing experience",
            "carried a quota",
            "new logos",
        ),
        (),
    ),
    ("Quota attainment", ("quota", "president's club", "of quota", "ote"), ()),
    (
        "Prospecting",
        (
            "cold calling",
            "cold calls",
            "outbound prospecting",
            "prospect",
            "email sequences",
            "linkedin sales navigator",
            "book meetings",
            "qualify leads",
            "lead qualification",
        ),
        (),
    ),
    (
        "Account management",
        (
            "book of accounts",
            "upsell",
            "cross-sell",
            "expansion",
            "business reviews",
            "quarterly business reviews",
            "qbrs",
        ),
        (),
    ),
    (
        "Renewals",
        ("retention", "renewal", "churn risk", "gross retention", "net revenue retention"),
        (),
    ),
    ("Customer onboarding", ("onboarding", "adoption"), ()),
    (
        "Recruiting",
        (
            "recruitment",
            "hiring",
            "talent acquisition",
            "full-cycle recruiting",
            "interview loops",
            "closing offers",
            "close offers",
        ),
        (),
    ),
    (
        "Technical recruiting",
        (
            "technical hiring",
            "engineering hiring",
            "tech recruiting",
            "technical roles",
            "software engineering roles",
        ),
        ("recruiting",),
    ),
    ("Sourcing", ("linkedin recruiter", "passive candidates", "source on linkedin"), ()),
    (
        "Applicant tracking systems",
        ("ats", "greenhouse", "lever", "ashby", "workday recruiting", "bullhorn", "personio"),
        (),
    ),
    ("Employer branding", (), ()),
    ("Diversity hiring", ("diversity sourcing", "diversity hiring programmes"), ()),
    (
        "HR business partnering",
        ("hr business partner", "people partner", "hrbp", "business partnering"),
        (),
    ),
    (
        "Employee relations",
        (
            "er casework",
            "er cases",
            "employee relations cases",
            "disciplinaries",
            "grievances",
            "capability",
            "conduct",
            "absence management",
            "sickness absence",
            "long-term absence",
        ),
        (),
    ),
    (
        "Employment law",
        ("employment legislation", "uk employment law", "case law", "employment tribunals"),
        (),
    ),
    (
        "Change management",
        (
            "organisational change",
            "restructures",
            "restructure",
            "reorganisations",
            "redundancy programmes",
            "redundancies",
            "change programmes",
            "leading change",
        ),
        (),
    ),
    (
        "Collective consultation",
        (
            "consultations",
            "collective consultations",
            "trade union",
            "union representatives",
            "unionised",
            "recognised trade union",
            "union relations",
        ),
        (),
    ),
    ("TUPE", ("tupe transfers", "business transfers"), ()),
    ("CIPD", ("mcipd", "cipd level 7", "cipd level 5", "chartered mcipd"), ()),
    ("HRIS", ("workday", "hr systems"), ()),
    ("Payroll", ("sage payroll", "hmrc submissions"), ()),
    ("Coaching", ("coaching qualifications", "coach managers"), ()),
    ("Stakeholder management", ("stakeholders",), ()),
    ("Project management", ("pmp", "prince2"), ()),
    ("Agile", ("scrum", "kanban", "sprint ceremonies"), ()),
    ("Lean Six Sigma", ("six sigma", "lean"), ()),
    ("Insurance", ("insurer", "underwriting", "motor insurance", "policy administration"), ()),
    (
        "Financial services",
        (
            "fintech",
            "banking",
            "lending",
            "credit risk",
            "trading",
            "financial markets",
            "hedge funds",
        ),
        (),
    ),
    ("Accounting", ("bookkeeping", "management accounts", "fp&a", "general ledger"), ()),
)

_LANGUAGES: tuple[Entry, ...] = (
    ("English", (), ()),
    ("German", (), ()),
    ("French", (), ()),
    ("Spanish", (), ()),
    ("Portuguese", (), ()),
    ("Dutch", (), ()),
    ("Polish", (), ()),
    ("Italian", (), ()),
)

LEXICON: tuple[Entry, ...] = _SOFTWARE + _DATA + _INFRA + _QA + _HEALTH + _BUSINESS + _LANGUAGES

# Spellings that are ordinary words in most sentences: they count only when written as a name
# (capitalised inside a sentence, or in capitals), like the normaliser's ambiguous words.
AMBIGUOUS = frozenset(
    {"lambda", "lever", "lean", "conduct", "capability", "epic", "workday", "outreach",
     "transformers", "perception", "ashby", "ci"}
)  # fmt: skip

# Business domains: a posting that names one in its title wants it, but as a plus.
DOMAINS = frozenset({"payments", "insurance", "financial services", "accounting", "b2b saas"})

# Skill names written for people, by canonical key.
DISPLAY = {name.lower(): name for name, _, _ in LEXICON}


def _key(name: str) -> str:
    return " ".join(name.strip().lower().split())


IMPLIES: dict[str, tuple[str, ...]] = {
    _key(name): tuple(_key(item) for item in implied) for name, _, implied in LEXICON if implied
}


@lru_cache(maxsize=1)
def lexicon_matcher() -> SkillMatcher:
    """The one skill matcher of the project (`jobs.skills`), loaded with the lexicon."""
    return SkillMatcher(SkillTerm(_key(name), name, aliases) for name, aliases, _ in LEXICON)


def skill_mentions(text: str | None, *, prose: bool = True) -> list[tuple[str, int, int]]:
    """(canonical key, start, end) of every lexicon skill written in `text`, in order.

    The matcher's rules apply (short and everyday spellings count only when written as a
    name); the lexicon's own everyday words (AMBIGUOUS) follow the same rule.
    """
    matcher = lexicon_matcher()
    found = []
    for match in matcher.find(text, prose=prose):
        if match.written == match.written.lower() and skill_key(match.written) in AMBIGUOUS:
            continue
        found.append((matcher.skills[match.index].slug, match.start, match.end))
    return found


def skills_in(text: str | None, *, prose: bool = True) -> list[str]:
    """The lexicon's canonical keys found in `text`, in order of first mention."""
    return list(dict.fromkeys(key for key, _, _ in skill_mentions(text, prose=prose)))


def with_implied(skills: Iterable[str]) -> set[str]:
    """Close a set of canonical keys under IMPLIES."""
    closed = set(skills)
    todo = list(closed)
    while todo:
        for implied in IMPLIES.get(todo.pop(), ()):
            if implied not in closed:
                closed.add(implied)
                todo.append(implied)
    return closed


def display(key: str) -> str:
    return DISPLAY.get(key, key)
