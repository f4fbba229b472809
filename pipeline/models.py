from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import CandidateProfile, Company
from jobs.models import Job
from pipeline.scraping.config import source_config_validate
from recruitment.constraints import CheckConstraint


class Source(models.Model):
    """Where postings are scraped from. Configured by staff in admin."""

    class Kind(models.TextChoices):
        JSONLD = "jsonld", "Career pages with schema.org JSON-LD"
        GREENHOUSE = "greenhouse", "Greenhouse job board"
        LEVER = "lever", "Lever postings"
        ASHBY = "ashby", "Ashby job board"

    class Schedule(models.TextChoices):
        HOURLY = "hourly", "Hourly"
        DAILY = "daily", "Daily (nightly run)"
        WEEKLY = "weekly", "Weekly"
        MANUAL = "manual", "Only when started by hand"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sources",
        help_text="The employer, when the source is one company's board.",
    )
    config = models.JSONField(
        default=dict,
        blank=True,
        help_text="Kind-specific: e.g. {'board': 'acme'} or {'start_urls': [...]}",
    )
    is_active = models.BooleanField(default=True)
    schedule = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.DAILY)
    last_crawled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self):
        # A readable message per problem of the kind's config (admin shows them on the field).
        if self.kind in self.Kind.values:
            source_config_validate(kind=self.kind, config=self.config)


class ScrapedPosting(models.Model):
    """Provenance of a scraped job; pipeline owns it so that jobs never imports pipeline."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="postings")
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="scraped_postings"
    )
    external_id = models.CharField(max_length=255)
    url = models.URLField(max_length=1000)
    raw = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    gone_at = models.DateTimeField(null=True, blank=True, help_text="Vanished from its source.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="pipeline_posting_unique_per_source"
            ),
            CheckConstraint(
                condition=Q(last_seen_at__gte=F("first_seen_at")),
                name="pipeline_posting_seen_order",
            ),
        ]

    def __str__(self):
        return f"{self.source.name}:{self.external_id}"


class PipelineRun(models.Model):
    class Kind(models.TextChoices):
        SCRAPE = "scrape", "Scrape"
        ENRICH = "enrich", "Enrich"
        MATCH = "match", "Match"
        SEND = "send", "Send digests"
        NIGHTLY = "nightly", "Nightly (all four)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            CheckConstraint(
                condition=Q(progress_total__isnull=True)
                | Q(progress_done__lte=F("progress_total")),
                name="pipeline_run_progress_within_total",
            ),
            CheckConstraint(
                condition=Q(finished_at__isnull=True)
                | Q(started_at__isnull=False, finished_at__gte=F("started_at")),
                name="pipeline_run_finishes_after_start",
            ),
        ]
        indexes = [models.Index(fields=["kind", "-created_at"], name="pipeline_run_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class Match(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        NOTIFIED = "notified", "Notified"
        DISMISSED = "dismissed", "Dismissed"
        APPLIED = "applied", "Applied"

    class Label(models.TextChoices):
        GOOD = "good", "Good match"
        BAD = "bad", "Bad match"

    candidate = models.ForeignKey(
        CandidateProfile, on_delete=models.CASCADE, related_name="matches"
    )
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="matches")
    score = models.FloatField()
    score_parts = models.JSONField(
        default=dict, blank=True, help_text="{semantic, skills, location, remote, salary}"
    )
    explanation = models.JSONField(
        default=dict, blank=True, help_text="{matched_skills, missing_skills, reasons}"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    notified_at = models.DateTimeField(null=True, blank=True)
    # A recruiter's judgement of the match, kept for offline evaluation of the matcher.
    label = models.CharField(max_length=4, choices=Label.choices, blank=True)
    labeled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    labeled_at = models.DateTimeField(null=True, blank=True)
    stale_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="No longer a match (below the threshold or ruled out); kept because it was "
        "notified, acted on or labelled.",
    )
    dismissed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the candidate dismissed it: never shown to them again, and matching "
        "keeps it dismissed.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(fields=["candidate", "job"], name="pipeline_match_unique"),
            CheckConstraint(
                condition=Q(score__gte=0, score__lte=1), name="pipeline_match_score_range"
            ),
            CheckConstraint(
                condition=~Q(status="dismissed") | Q(dismissed_at__isnull=False),
                name="pipeline_match_dismissed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["job", "-score"], name="pipeline_match_job_score"),
            models.Index(fields=["candidate", "-score"], name="pipeline_match_candidate_score"),
        ]

    def __str__(self):
        return f"{self.candidate.user} ~ {self.job} ({self.score:.2f})"

    @property
    def company_id(self):
        return self.job.company_id


class JobEnrichment(models.Model):
    """What the enrich stage read from a job, and a hash of what it was read from: the job is
    read again only when that changes. Matching reads `features`."""

    job = models.OneToOneField(
        Job, on_delete=models.CASCADE, primary_key=True, related_name="enrichment"
    )
    text_hash = models.CharField(max_length=64, help_text="sha256 of the inputs that were read")
    features = models.JSONField(default=dict, blank=True)
    filled = models.JSONField(
        default=list, blank=True, help_text="Job fields the text filled (and may refresh)."
    )
    enriched_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"Enrichment of job {self.job_id}"


class ProfileEnrichment(models.Model):
    """What the enrich stage read from a candidate's profile and resume (see JobEnrichment)."""

    profile = models.OneToOneField(
        CandidateProfile, on_delete=models.CASCADE, primary_key=True, related_name="enrichment"
    )
    text_hash = models.CharField(max_length=64, help_text="sha256 of the inputs that were read")
    features = models.JSONField(default=dict, blank=True)
    filled = models.JSONField(
        default=list, blank=True, help_text="Profile fields the text filled (and may refresh)."
    )
    enriched_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"Enrichment of profile {self.profile_id}"
