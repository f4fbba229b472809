from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

from accounts.models import EMBEDDING_DIMENSIONS, Company, SalaryPeriod, Seniority
from recruitment.constraints import CheckConstraint


class Skill(models.Model):
    """An entry of the skill taxonomy (ESCO-aligned where a URI is known)."""

    class Category(models.TextChoices):
        LANGUAGE = "language", "Programming language"
        FRAMEWORK = "framework", "Framework or library"
        TOOL = "tool", "Tool or platform"
        DATA = "data", "Data and AI"
        PRACTICE = "practice", "Practice or method"
        DOMAIN = "domain", "Domain knowledge"
        SOFT = "soft", "Soft skill"
        OTHER = "other", "Other"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    aliases = ArrayField(
        models.CharField(max_length=100),
        default=list,
        blank=True,
        help_text="Other spellings, lower case: e.g. 'postgres', 'psql' for PostgreSQL.",
    )
    esco_uri = models.URLField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)

    class Meta:
        ordering = ["name"]
        indexes = [GinIndex(fields=["aliases"], name="jobs_skill_aliases_gin")]

    def __str__(self):
        return self.name


class Job(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        ARCHIVED = "archived", "Archived"

    class Remote(models.TextChoices):
        ONSITE = "onsite", "On site"
        HYBRID = "hybrid", "Hybrid"
        REMOTE = "remote", "Remote"

    class EmploymentType(models.TextChoices):
        FULL_TIME = "full_time", "Full-time"
        PART_TIME = "part_time", "Part-time"
        CONTRACT = "contract", "Contract"
        TEMPORARY = "temporary", "Temporary"
        INTERNSHIP = "internship", "Internship"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="jobs")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    description_html = models.TextField(blank=True, help_text="Sanitised HTML.")
    description_text = models.TextField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    remote = models.CharField(max_length=10, choices=Remote.choices, default=Remote.ONSITE)
    employment_type = models.CharField(
        max_length=20, choices=EmploymentType.choices, default=EmploymentType.FULL_TIME
    )
    seniority = models.CharField(max_length=10, choices=Seniority.choices, blank=True)
    salary_min = models.PositiveIntegerField(null=True, blank=True)
    salary_max = models.PositiveIntegerField(null=True, blank=True)
    salary_currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217")
    salary_period = models.CharField(
        max_length=10, choices=SalaryPeriod.choices, default=SalaryPeriod.YEAR
    )
    skills = models.ManyToManyField(Skill, through="JobSkill", related_name="jobs", blank=True)
    questions = models.JSONField(
        default=list,
        blank=True,
        help_text="Custom application questions: [{key, label, type, choices, required}]",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    hiring_team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="hiring_jobs",
        blank=True,
        help_text="Hiring managers and interviewers who work on this job.",
    )
    scorecard_criteria = ArrayField(
        models.CharField(max_length=60),
        size=20,
        default=list,
        blank=True,
        help_text="What interviewers rate (1–4) on this job's scorecards, comma-separated; "
        "empty uses the stage's criteria, or lets interviewers name their own.",
    )
    external_url = models.URLField(max_length=1000, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    content_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="sha256 of the embedded text; unchanged means no re-embed",
    )
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    # The columns below are kept by the database triggers of migration 0004, so every writer
    # (services, bulk inserts, the crawler, the seed) gets them for free.
    # Skill names and aliases, and slugs, from JobSkill → Skill.
    skills_text = models.TextField(blank=True, default="", editable=False)
    skill_slugs = ArrayField(
        models.CharField(max_length=100), default=list, blank=True, editable=False
    )
    # The salary per year in settings.SEARCH_CURRENCY, from the rates in CurrencyRate.
    salary_min_yearly = models.PositiveIntegerField(null=True, blank=True, editable=False)
    salary_max_yearly = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Title A, skills B, company and place C, description D.
    search_vector = SearchVectorField(null=True, editable=False)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "slug"], name="jobs_job_slug_unique"),
            CheckConstraint(
                condition=Q(salary_min__isnull=True)
                | Q(salary_max__isnull=True)
                | Q(salary_min__lte=F("salary_max")),
                name="jobs_job_salary_min_lte_max",
            ),
            CheckConstraint(
                condition=(Q(salary_min__isnull=True) & Q(salary_max__isnull=True))
                | ~Q(salary_currency=""),
                name="jobs_job_salary_has_currency",
            ),
            CheckConstraint(
                condition=~Q(status="open") | Q(published_at__isnull=False),
                name="jobs_job_open_is_published",
            ),
            CheckConstraint(
                condition=Q(closes_at__isnull=True)
                | Q(published_at__isnull=True)
                | Q(closes_at__gte=F("published_at")),
                name="jobs_job_closes_after_published",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="jobs_job_status_published"),
            models.Index(fields=["company", "status"], name="jobs_job_company_status"),
            # A company's job ids from the index alone (Job rows are wide): what the back
            # office joins every scoped list of applications through.
            models.Index(fields=["company", "id"], name="jobs_job_company_id"),
            # Which of a few hundred ids are open jobs (live matching drops jobs closed since
            # its in-memory copy was made) from the index alone: on the wide rows, a probe per
            # id read about four heap pages.
            models.Index(fields=["id"], condition=Q(status="open"), name="jobs_job_open_id"),
            models.Index(fields=["country", "city"], name="jobs_job_place"),
            GinIndex(fields=["search_vector"], name="jobs_job_search_gin"),
            # Search reads open jobs only: the partial index is smaller and needs no status
            # filter on the heap.
            GinIndex(
                fields=["search_vector"],
                condition=Q(status="open"),
                name="jobs_job_open_search_gin",
            ),
            # Search's categorical filters are lexemes in search_vector (see migration 0004),
            # so they need no index of their own; salary and date orders and filters do.
            models.Index(
                Coalesce("salary_max_yearly", "salary_min_yearly").desc(nulls_last=True),
                F("published_at").desc(),
                condition=Q(status="open"),
                name="jobs_job_open_salary",
            ),
            # Does any open job have a vector? (hybrid search is the default only then)
            models.Index(
                fields=["published_at"],
                condition=Q(status="open", embedding__isnull=False),
                name="jobs_job_open_embedded",
            ),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="jobs_job_title_trgm"),
            HnswIndex(
                name="jobs_job_embedding_hnsw",
                fields=["embedding"],
                m=16,
                # A denser graph than pgvector's default 64: recall holds on clustered
                # vectors (see MATCH_EF_SEARCH), for a slower build.
                ef_construction=200,
                opclasses=["vector_cosine_ops"],
            ),
        ]

    def __str__(self):
        return f"{self.title} at {self.company}" if self.company_id else self.title

    def get_absolute_url(self) -> str:
        """The job's public page (it answers only while the job is open, 410 once closed)."""
        return reverse("job-detail", kwargs={"company_slug": self.company.slug, "slug": self.slug})

    @property
    def salary_display(self) -> str:
        """ "60,000–80,000 EUR per year", "From 60,000 EUR per month"; "" when not stated."""
        low, high = self.salary_min, self.salary_max
        if low is None and high is None:
            return ""
        if low is not None and high is not None:
            amount = f"{low:,}" if low == high else f"{low:,}–{high:,}"
        elif low is not None:
            amount = f"From {low:,}"
        else:
            amount = f"Up to {high:,}"
        return f"{amount} {self.salary_currency} {self.get_salary_period_display()}"

    @property
    def applies_here(self) -> bool:
        """Candidates apply on this site: the company hires with us (a tenant), rather than a
        posting found on the web, which takes applications on the employer's own site."""
        return self.company.is_tenant

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class JobSkill(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="job_skills")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="job_skills")
    required = models.BooleanField(default=True, help_text="Required, or nice to have.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "skill"], name="jobs_jobskill_unique"),
        ]

    def __str__(self):
        return f"{self.skill} ({'required' if self.required else 'nice to have'})"


class CurrencyRate(models.Model):
    """How many units of settings.SEARCH_CURRENCY one unit of `currency` is worth.

    The salary trigger of migration 0004 reads it to fill Job.salary_*_yearly; the rows come
    from `jobs.search.CURRENCY_RATES_EUR` through the `currency_rates_sync` service.
    """

    currency = models.CharField(max_length=3, primary_key=True, help_text="ISO 4217")
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["currency"]
        constraints = [
            CheckConstraint(condition=Q(rate__gt=0), name="jobs_currencyrate_positive"),
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate} {settings.SEARCH_CURRENCY}"


class SearchTerm(models.Model):
    """A word of open jobs' titles, skills, companies and places: the "did you mean" vocabulary.

    Refreshed by `search_vocabulary_refresh`, which the nightly pipeline calls (migration 0004
    filled it first).
    """

    word = models.CharField(max_length=100, unique=True)
    frequency = models.PositiveIntegerField(help_text="How many open jobs use the word.")

    class Meta:
        indexes = [
            GinIndex(fields=["word"], opclasses=["gin_trgm_ops"], name="jobs_searchterm_trgm"),
        ]

    def __str__(self):
        return f"{self.word} ({self.frequency})"


class SearchQuery(models.Model):
    """One search on the job board, for analytics (popular and zero-result queries)."""

    class Mode(models.TextChoices):
        FULLTEXT = "fulltext", "Full text"
        HYBRID = "hybrid", "Hybrid"
        SEMANTIC = "semantic", "Semantic"

    query = models.CharField(max_length=500, blank=True)
    normalized_query = models.CharField(max_length=500, blank=True, db_index=True)
    filters = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, blank=True)
    result_count = models.PositiveIntegerField()
    session_hash = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="A salted hash of the session key, never the key itself.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    clicked_job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clicked_position = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1-based position of the clicked result."
    )
    clicked_at = models.DateTimeField(null=True, blank=True)
    took_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "search queries"

    def __str__(self):
        return f"{self.query!r} → {self.result_count}"
