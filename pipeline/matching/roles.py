"""What job a title names, and how close two jobs are.

A posting's title and a candidate's headline (or current title) are read as roles from a fixed
table. Two roles are the same, neighbours (a close move: account manager ↔ account executive),
adjacent (transferable skills: data scientist ↔ data engineer) or unrelated. Software roles are
also told apart by their stack: a Python backend engineer is not a Java backend engineer.

This is what keeps "mentioning is not doing" apart: a recruiter who hires Java engineers has the
words of a Java posting in her resume, but her role is recruiter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

SAME, NEIGHBOUR, ADJACENT, UNRELATED = 1.0, 2 / 3, 1 / 3, 0.0


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    family: str
    pattern: str  # a regex searched in the lower-cased title
    level: int | None = None  # the level the title implies when it names none
    by_stack: bool = False  # software roles whose stack (Java, Python, ...) matters


# Most specific first: a title's words are claimed by the first role whose pattern matches them.
_STACK_WORDS = (
    r"java|kotlin|scala|jvm|python|django|fastapi|flask|golang|go|node(?:\.js)?|ruby|rails|"
    r"php|\.net|c#|c\+\+|rust|elixir|spring|java\s+ee|jakarta"
)
ROLES: tuple[Role, ...] = (
    # Education and training: teaching a skill is not doing it.
    Role(
        "educator",
        "teacher or trainer",
        "education",
        r"\b(?:teacher|trainer|instructor|lecturer|tutor|professor|teaching assistant)\b",
    ),
    # Students and interns take the role their subject names, at level 0 (see STUDENT).
    # Management of people who do the work.
    Role(
        "engineering_manager",
        "engineering manager",
        "management",
        r"\b(?:engineering manager|head of engineering|vp,? engineering|director of engineering"
        r"|cto|chief technology officer)\b",
        level=4,
    ),
    Role(
        "project_manager",
        "project manager",
        "management",
        r"\b(?:(?:it |technical )?project manager|programme manager|program manager"
        r"|scrum master|delivery manager|agile coach)\b",
    ),
    Role(
        "product_manager",
        "product manager",
        "product",
        r"\b(?:product manager|product owner|head of product)\b",
    ),
    # Quality assurance.
    Role(
        "qa_automation",
        "QA automation engineer",
        "qa",
        r"\b(?:sdet|software development engineer in test|(?:qa|test|testing) automation"
        r"|automation (?:qa|tester|test engineer)|qa engineer|quality (?:assurance )?engineer"
        r"|test engineer)\b",
    ),
    Role(
        "qa_manual",
        "manual QA tester",
        "qa",
        r"\b(?:manual (?:qa|tester|testing)|(?:qa|software|game|video game) tester|tester"
        r"|test analyst|quality assurance analyst)\b",
    ),
    # Software engineering.
    Role(
        "automation_developer",
        "automation (RPA) developer",
        "software",
        r"\b(?:rpa|(?:python |process )?automation) (?:developer|engineer)\b",
    ),
    Role(
        "fullstack",
        "full-stack engineer",
        "software",
        r"\b(?:full[-\s]?stack|mern|mean stack)\b",
        by_stack=True,
    ),
    Role(
        "mobile",
        "mobile engineer",
        "software",
        r"\b(?:android|ios|mobile|react native|flutter|swift)\s+(?:app\s+)?"
        r"(?:developer|engineer)\b",
    ),
    Role(
        "frontend",
        "frontend engineer",
        "software",
        r"\b(?:front[-\s]?end|ui (?:engineer|developer)|web developer|"
        r"(?:react|vue(?:\.js)?|angular|javascript|typescript)\s+(?:(?:frontend|ui)\s+)?"
        r"(?:developer|engineer)|frontend architect)\b",
    ),
    Role(
        "backend",
        "backend engineer",
        "software",
        r"\b(?:back[-\s]?end|server[-\s]side|api (?:developer|engineer)|"
        r"(?:" + _STACK_WORDS + r")(?:\s*(?:/|and|&|,)\s*(?:" + _STACK_WORDS + r"))*\s+"
        r"(?:backend\s+|software\s+|web\s+)?(?:developer|engineer|programmer|architect"
        r"|technical lead|tech lead))\b",
        by_stack=True,
    ),
    Role(
        "software_engineer",
        "software engineer",
        "software",
        r"\b(?:software (?:engineer|developer)|(?:staff|principal|senior|lead) "
        r"(?:software )?(?:engineer|developer)|programmer|tech(?:nical)? lead"
        r"|computer science (?:graduate|student)|(?:junior|graduate) developer"
        r"|distributed systems engineer)\b",
        by_stack=True,
    ),
    # Data.
    Role("analytics_engineer", "analytics engineer", "data", r"\banalytics engineer(?:ing)?\b"),
    Role(
        "data_engineer",
        "data engineer",
        "data",
        r"\b(?:(?:big |senior |cloud )?data (?:platform )?engineer|etl (?:developer|engineer)"
        r"|data warehouse (?:developer|engineer))\b",
    ),
    Role(
        "ml_engineer",
        "machine learning engineer",
        "data",
        r"\b(?:machine learning engineer|ml engineer|mlops engineer|ai engineer"
        r"|deep learning engineer|computer vision engineer|nlp engineer|ml ops engineer)\b",
    ),
    Role(
        "research_scientist",
        "research scientist",
        "data",
        r"\b(?:research scientist|researcher|postdoc(?:toral)?|research engineer"
        r"|phd (?:student|candidate))\b",
    ),
    Role(
        "data_scientist",
        "data scientist",
        "data",
        r"\b(?:data scientist|applied scientist|decision scientist|statistician"
        r"|ml scientist)\b",
    ),
    Role(
        "bi_developer",
        "BI developer",
        "data",
        r"\b(?:(?:power bi|tableau|bi|business intelligence) (?:developer|engineer|analyst)"
        r"|bi and reporting)\b",
    ),
    Role(
        "financial_analyst",
        "financial analyst",
        "finance",
        r"\b(?:financial analyst|finance analyst|fp&a)\b",
    ),
    Role("actuary", "actuary", "finance", r"\bactuar(?:y|ial)\b"),
    Role(
        "data_analyst",
        "data analyst",
        "data",
        r"\b(?:(?:clinical |marketing |product |senior |junior )?data analyst"
        r"|(?:marketing|reporting|insights|product|analytics) analyst)\b",
    ),
    Role(
        "accountant",
        "accountant",
        "finance",
        r"\b(?:accountant|financial controller|controller|bookkeeper|auditor)\b",
    ),
    Role("data_entry", "data entry operator", "admin", r"\b(?:data[-\s]entry|typist)\b"),
    # Infrastructure.
    Role(
        "cloud_architect",
        "cloud architect",
        "infrastructure",
        r"\b(?:cloud|solutions|infrastructure|azure|aws) architect\b",
    ),
    Role(
        "infra_engineer",
        "site reliability / DevOps / cloud engineer",
        "infrastructure",
        r"\b(?:site reliability|sre|reliability engineer|devops|dev ops|cloud engineer"
        r"|infrastructure engineer|platform engineer|platform sre|systems engineer"
        r"|build engineer|release engineer|cloud operations)\b",
    ),
    Role(
        "sysadmin",
        "system administrator",
        "infrastructure",
        r"\b(?:system(?:s)? administrator|sysadmin|server administrator"
        r"|(?:linux|windows|unix) (?:server )?(?:system )?administrator)\b",
    ),
    Role(
        "network_engineer",
        "network engineer",
        "infrastructure",
        r"\b(?:network (?:engineer|administrator|architect))\b",
    ),
    Role("dba", "database administrator", "infrastructure", r"\b(?:database administrator|dba)\b"),
    Role(
        "it_support",
        "IT support specialist",
        "infrastructure",
        r"\b(?:it support|help\s?desk|service desk|desktop support|it technician)\b",
    ),
    # Healthcare.
    Role(
        "nurse_informatics",
        "nurse informatics specialist",
        "nursing",
        r"\b(?:nurse informatics|nursing informatics|informatics nurse|clinical informatics)\b",
    ),
    Role(
        "clinical_it_analyst",
        "clinical systems (EHR) analyst",
        "health_it",
        r"\b(?:epic|cerner|ehr|emr|clinical (?:systems|application)s?) analyst\b",
    ),
    Role("dental_nurse", "dental nurse", "dental", r"\bdental nurse\b"),
    Role(
        "nurse_manager",
        "ward or nurse manager",
        "nursing",
        r"\b(?:ward manager|nurse manager|nursing manager|matron|director of nursing)\b",
        level=4,
    ),
    Role(
        "nurse_quality",
        "clinical audit nurse",
        "nursing",
        r"\b(?:clinical audit|quality improvement|audit|infection control) nurse\b",
    ),
    Role(
        "primary_care_nurse",
        "practice or community nurse",
        "nursing",
        r"\b(?:(?:general )?practice nurse|district nurse|community (?:\(district\) )?nurse"
        r"|gp nurse)\b",
    ),
    Role(
        "healthcare_assistant",
        "healthcare assistant",
        "nursing",
        r"\b(?:health\s?care assistant|nursing assistant|care assistant|patient care technician"
        r"|hca|cna)\b",
    ),
    Role(
        "registered_nurse",
        "registered nurse",
        "nursing",
        r"\b(?:registered nurse|staff nurse|charge nurse|critical care nurse|icu nurse"
        r"|(?:\w+ )?rn|nurse|newly qualified nurse|new graduate rn)\b",
    ),
    Role(
        "respiratory_therapist",
        "respiratory therapist",
        "allied_health",
        r"\brespiratory therapist\b",
    ),
    Role(
        "physiotherapist",
        "physiotherapist",
        "allied_health",
        r"\b(?:physiotherapist|physical therapist)\b",
    ),
    Role("pharmacist", "pharmacist", "pharmacy", r"\bpharmacist\b"),
    Role("physician", "physician", "medicine", r"\b(?:physician|doctor|surgeon|gp)\b"),
    # Sales and customers.
    Role(
        "sales_ops",
        "sales operations",
        "sales_ops",
        r"\b(?:sales operations|sales ops|revenue operations|revops)\b",
    ),
    Role(
        "solutions_engineer",
        "solutions engineer (pre-sales)",
        "presales",
        r"\b(?:solutions? engineer|sales engineer|pre[-\s]?sales|solutions consultant)\b",
    ),
    Role(
        "sdr",
        "sales development representative",
        "sales",
        r"\b(?:sales development|sdr|business development representative|bdr"
        r"|lead generation)\b",
        level=1,
    ),
    Role(
        "account_executive",
        "account executive",
        "sales",
        r"\b(?:account executive|sales executive|\bae\b|closer)\b",
    ),
    Role("customer_success", "customer success manager", "customer", r"\bcustomer success\b"),
    Role(
        "account_manager",
        "account manager",
        "sales",
        r"\b(?:account manager|key account|client manager|relationship manager)\b",
    ),
    Role(
        "customer_support",
        "customer support specialist",
        "customer",
        r"\b(?:customer support|support specialist|customer service|support agent"
        r"|technical support)\b",
    ),
    Role(
        "field_sales",
        "field sales representative",
        "sales",
        r"\b(?:(?:pharmaceutical|medical|field|territory) sales|sales representative)\b",
    ),
    Role(
        "retail_sales",
        "retail sales associate",
        "retail",
        r"\b(?:retail sales|sales associate|shop assistant|store associate|retail assistant"
        r"|cashier)\b",
    ),
    Role(
        "marketing",
        "marketer",
        "marketing",
        r"\b(?:marketing (?:manager|coordinator|specialist|executive|lead|director)"
        r"|head of marketing|growth marketer)\b",
    ),
    # People.
    Role(
        "recruiting_coordinator",
        "recruiting coordinator",
        "recruiting",
        r"\b(?:recruit(?:ing|ment) coordinator|hr and recruiting coordinator)\b",
        level=1,
    ),
    Role(
        "recruiter",
        "recruiter",
        "recruiting",
        r"\b(?:(?:technical |tech |senior |in-house )?recruiter|talent acquisition"
        r"|talent partner|recruitment consultant|sourcer|recruitment partner"
        r"|head of talent)\b",
    ),
    Role(
        "hr_business_partner",
        "HR business partner",
        "hr",
        r"\b(?:hr business partner|hrbp|people partner|hr manager|head of (?:hr|people)"
        r"|hr director|people director|human resources manager)\b",
    ),
    Role(
        "hr_advisor",
        "HR advisor",
        "hr",
        r"\b(?:hr (?:advisor|adviser|officer|generalist)|people advisor)\b",
    ),
    Role(
        "hr_assistant",
        "HR assistant",
        "hr",
        r"\b(?:hr (?:assistant|administrator|coordinator)|people coordinator)\b",
        level=1,
    ),
    Role("payroll", "payroll officer", "hr", r"\bpayroll\b"),
    Role(
        "union_organiser",
        "trade union organiser",
        "labour",
        r"\b(?:organi[sz]er|union representative|shop steward)\b",
    ),
    Role(
        "legal",
        "lawyer",
        "legal",
        r"\b(?:solicitor|lawyer|attorney|legal counsel|paralegal|barrister)\b",
    ),
    # Other work that appears beside these families.
    Role(
        "designer",
        "designer",
        "design",
        r"\b(?:ux|ui|product|graphic|web|visual|interaction) designer\b|\bdesigner\b",
    ),
    Role(
        "other_engineer",
        "engineer (non-software)",
        "engineering",
        r"\b(?:mechanical|civil|electrical|structural|chemical|automotive) engineer\b",
    ),
    Role(
        "admin",
        "office administrator",
        "admin",
        r"\b(?:office (?:administrator|manager|coordinator)|administrative assistant"
        r"|receptionist|personal assistant)\b",
    ),
    Role(
        "lab_scientist",
        "lab scientist",
        "science",
        r"\b(?:biologist|chemist|lab(?:oratory)? (?:scientist|technician))\b",
    ),
    Role("chef", "chef", "hospitality", r"\b(?:chef|cook)\b"),
)
ROLE_BY_KEY = {role.key: role for role in ROLES}

_PAIRS: dict[tuple[str, str], float] = {
    # Software: a generic "software engineer" is mostly a backend engineer.
    ("software_engineer", "backend"): 0.9,
    ("software_engineer", "fullstack"): NEIGHBOUR,
    ("software_engineer", "frontend"): ADJACENT,
    ("software_engineer", "mobile"): ADJACENT,
    ("backend", "fullstack"): 0.9,
    ("frontend", "fullstack"): NEIGHBOUR,
    ("backend", "frontend"): ADJACENT,
    ("mobile", "frontend"): ADJACENT,
    ("automation_developer", "backend"): ADJACENT,
    ("automation_developer", "software_engineer"): ADJACENT,
    ("qa_automation", "qa_manual"): ADJACENT,
    # Data.
    ("data_engineer", "analytics_engineer"): NEIGHBOUR,
    ("data_engineer", "data_scientist"): ADJACENT,
    ("data_engineer", "ml_engineer"): ADJACENT,
    ("data_engineer", "bi_developer"): ADJACENT,
    ("data_engineer", "backend"): ADJACENT,
    ("analytics_engineer", "data_analyst"): NEIGHBOUR,
    ("analytics_engineer", "bi_developer"): NEIGHBOUR,
    ("data_analyst", "bi_developer"): NEIGHBOUR,
    ("data_analyst", "data_scientist"): ADJACENT,
    ("data_analyst", "financial_analyst"): ADJACENT,
    ("data_scientist", "ml_engineer"): NEIGHBOUR,
    ("data_scientist", "research_scientist"): ADJACENT,
    ("data_scientist", "actuary"): ADJACENT,
    ("ml_engineer", "research_scientist"): ADJACENT,
    # Infrastructure.
    ("infra_engineer", "cloud_architect"): 0.9,
    ("infra_engineer", "sysadmin"): NEIGHBOUR,
    ("cloud_architect", "sysadmin"): ADJACENT,
    ("infra_engineer", "network_engineer"): ADJACENT,
    ("infra_engineer", "dba"): ADJACENT,
    ("infra_engineer", "it_support"): ADJACENT,
    ("sysadmin", "it_support"): NEIGHBOUR,
    ("sysadmin", "network_engineer"): ADJACENT,
    # Nursing.
    ("registered_nurse", "primary_care_nurse"): NEIGHBOUR,
    ("registered_nurse", "nurse_informatics"): NEIGHBOUR,
    ("registered_nurse", "nurse_manager"): NEIGHBOUR,
    ("registered_nurse", "nurse_quality"): ADJACENT,
    ("registered_nurse", "healthcare_assistant"): ADJACENT,
    ("primary_care_nurse", "nurse_manager"): NEIGHBOUR,
    ("primary_care_nurse", "nurse_quality"): ADJACENT,
    ("primary_care_nurse", "healthcare_assistant"): ADJACENT,
    ("nurse_informatics", "clinical_it_analyst"): ADJACENT,
    ("nurse_informatics", "data_analyst"): ADJACENT,
    ("nurse_informatics", "nurse_quality"): ADJACENT,
    # Sales and customers.
    ("account_executive", "sdr"): NEIGHBOUR,
    ("account_executive", "account_manager"): NEIGHBOUR,
    ("account_executive", "customer_success"): ADJACENT,
    ("account_executive", "field_sales"): ADJACENT,
    ("account_executive", "solutions_engineer"): ADJACENT,
    ("account_manager", "customer_success"): 0.9,
    ("account_manager", "sdr"): ADJACENT,
    ("customer_success", "customer_support"): ADJACENT,
    ("sdr", "retail_sales"): ADJACENT,
    ("sdr", "customer_support"): ADJACENT,
    ("sdr", "field_sales"): ADJACENT,
    # People.
    ("recruiter", "recruiting_coordinator"): NEIGHBOUR,
    ("recruiter", "hr_business_partner"): ADJACENT,
    ("recruiter", "hr_assistant"): ADJACENT,
    ("hr_business_partner", "hr_advisor"): NEIGHBOUR,
    ("hr_business_partner", "hr_assistant"): ADJACENT,
    ("hr_business_partner", "payroll"): ADJACENT,
    ("hr_advisor", "hr_assistant"): NEIGHBOUR,
    ("hr_advisor", "payroll"): ADJACENT,
    ("recruiting_coordinator", "hr_assistant"): NEIGHBOUR,
}
RELATIONS = {frozenset(pair): value for pair, value in _PAIRS.items()}

# Programming languages of a software role, and the families whose members are close.
_STACK_TOKENS = {
    "java": "java", "java ee": "java", "jakarta": "java", "spring": "java", "kotlin": "kotlin",
    "scala": "scala", "jvm": "jvm", "python": "python", "django": "python",
    "fastapi": "python", "flask": "python", "golang": "go", "go": "go", "node": "javascript",
    "node.js": "javascript", "nodejs": "javascript", "javascript": "javascript",
    "typescript": "javascript", "react": "javascript", "vue": "javascript",
    "vue.js": "javascript", "angular": "javascript", "mern": "javascript", "nestjs": "javascript",
    "express": "javascript", "ruby": "ruby", "rails": "ruby", "php": "php", "laravel": "php",
    ".net": "dotnet", "c#": "dotnet", "c++": "cpp", "rust": "rust", "elixir": "elixir",
}  # fmt: skip
_STACK_FAMILY = {"java": "jvm", "kotlin": "jvm", "scala": "jvm", "jvm": "jvm"}
_STACK_PATTERN = re.compile(
    r"(?<![\w.#+])(?:java\s+ee|node\.js|vue\.js|"
    + "|".join(re.escape(token) for token in sorted(_STACK_TOKENS, key=len, reverse=True))
    + r")(?![\w#+])",
    re.IGNORECASE,
)
# Whether a title belongs to a student or intern; their level is 0 whatever the subject.
STUDENT = re.compile(
    r"\b(?:student|intern(?:ship)?|werkstudent|working student|trainee|apprentice)\b", re.I
)


@dataclass(frozen=True)
class RoleRead:
    """The roles a title names (most titles name one) and the stack it names."""

    keys: tuple[str, ...]
    stack: tuple[str, ...]

    @property
    def known(self) -> bool:
        return bool(self.keys)

    def label(self) -> str:
        if not self.keys:
            return "unknown role"
        label = " / ".join(ROLE_BY_KEY[key].label for key in self.keys)
        if self.stack and any(ROLE_BY_KEY[key].by_stack for key in self.keys):
            label += f" ({', '.join(_stack_label(s) for s in self.stack)})"
        return label

    def as_dict(self) -> dict:
        return {"keys": list(self.keys), "stack": list(self.stack)}

    @classmethod
    def from_dict(cls, data: dict | None) -> RoleRead:
        data = data or {}
        return cls(tuple(data.get("keys", ())), tuple(data.get("stack", ())))


def _stack_label(stack: str) -> str:
    return {"javascript": "JavaScript", "dotnet": ".NET", "cpp": "C++", "jvm": "JVM"}.get(
        stack, stack.capitalize()
    )


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[Role, re.Pattern[str]], ...]:
    return tuple((role, re.compile(role.pattern, re.IGNORECASE)) for role in ROLES)


def roles_in(title: str | None) -> tuple[str, ...]:
    """Return the keys of the roles a title names, in order. A role claims the words it
    matched, so "Data Engineer" is not also read as an engineer of another kind."""
    text = (title or "").lower()
    claimed: list[tuple[int, int, str]] = []
    for role, pattern in _compiled():
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < c_end and c_start < end for c_start, c_end, _ in claimed):
                continue
            claimed.append((start, end, role.key))
    claimed.sort()
    return tuple(dict.fromkeys(key for _, _, key in claimed))


def stack_in(text: str | None) -> tuple[str, ...]:
    """Return the programming languages a title names ("Java / Angular" → java, javascript)."""
    found: dict[str, None] = {}
    for match in _STACK_PATTERN.finditer(text or ""):
        word = match.group(0).lower()
        if word == "go" and match.group(0) != "Go":
            continue  # "go" the verb
        word = "java" if word.startswith("java ee") else word
        found.setdefault(_STACK_TOKENS.get(word, word), None)
    return tuple(found)


def role_read(title: str | None, *, fallback_text: str | None = None) -> RoleRead:
    """Read the role of a title or headline: its first part ("Senior Java Engineer –
    payments, Kafka" → "Senior Java Engineer"), else all of it, else `fallback_text` (the
    first sentence of a resume). The stack comes from the whole title."""
    title = title or ""
    head = re.split(r"\s+[–—|-]\s+|\s+at\s+|\(|,", title, maxsplit=1)[0]
    keys = roles_in(head) or roles_in(title)
    if not keys and fallback_text:
        keys = roles_in(fallback_text)
    return RoleRead(keys, stack_in(title))


def _stack_closeness(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    if not a or not b:
        return 1.0
    if set(a) & set(b):
        return SAME
    families_a = {_STACK_FAMILY.get(s, s) for s in a}
    families_b = {_STACK_FAMILY.get(s, s) for s in b}
    return NEIGHBOUR if families_a & families_b else ADJACENT


def key_closeness(a: str, b: str) -> float:
    if a == b:
        return SAME
    return RELATIONS.get(frozenset((a, b)), UNRELATED)


def role_closeness(job: RoleRead, candidate: RoleRead) -> float:
    """How close the candidate's role is to the posting's, from 0 (another field) to 1 (the
    same role); software roles of different stacks are a step or two apart."""
    best = UNRELATED
    for job_key in job.keys:
        for candidate_key in candidate.keys:
            closeness = key_closeness(job_key, candidate_key)
            if closeness and ROLE_BY_KEY[job_key].by_stack and ROLE_BY_KEY[candidate_key].by_stack:
                closeness *= _stack_closeness(job.stack, candidate.stack)
            best = max(best, closeness)
    return best


def role_level(read: RoleRead) -> int | None:
    """The level a role implies by itself (a ward manager leads; an SDR starts)."""
    levels = [ROLE_BY_KEY[key].level for key in read.keys if ROLE_BY_KEY[key].level is not None]
    return max(levels) if levels else None
