from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

from accounts.models import EMBEDDING_DIMENSIONS, Company, SalaryPeriod, Seniority


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
    external_url = models.URLField(max_length=1000, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    # Kept up to date by the trigger in migration 0002: title A, company and place B, text C.
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
            models.CheckConstraint(
                condition=Q(salary_min__isnull=True)
                | Q(salary_max__isnull=True)
                | Q(salary_min__lte=F("salary_max")),
                name="jobs_job_salary_min_lte_max",
            ),
            models.CheckConstraint(
                condition=(Q(salary_min__isnull=True) & Q(salary_max__isnull=True))
                | ~Q(salary_currency=""),
                name="jobs_job_salary_has_currency",
            ),
            models.CheckConstraint(
                condition=~Q(status="open") | Q(published_at__isnull=False),
                name="jobs_job_open_is_published",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True)
                | Q(published_at__isnull=True)
                | Q(closes_at__gte=F("published_at")),
                name="jobs_job_closes_after_published",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="jobs_job_status_published"),
            models.Index(fields=["company", "status"], name="jobs_job_company_status"),
            models.Index(fields=["country", "city"], name="jobs_job_place"),
            GinIndex(fields=["search_vector"], name="jobs_job_search_gin"),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="jobs_job_title_trgm"),
            HnswIndex(
                name="jobs_job_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
        ]

    def __str__(self):
        return f"{self.title} at {self.company}" if self.company_id else self.title

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


class SearchQuery(models.Model):
    """One search on the job board, for analytics (popular and zero-result queries)."""

    query = models.CharField(max_length=500, blank=True)
    normalized_query = models.CharField(max_length=500, blank=True, db_index=True)
    filters = models.JSONField(default=dict, blank=True)
    result_count = models.PositiveIntegerField()
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
    took_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "search queries"

    def __str__(self):
        return f"{self.query!r} → {self.result_count}"
