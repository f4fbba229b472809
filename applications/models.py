from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now

from accounts.models import Company, SalaryPeriod
from jobs.models import Job
from recruitment.constraints import CheckConstraint


class Stage(models.Model):
    """A step of a company's hiring pipeline. Each new company gets the default template."""

    class Kind(models.TextChoices):
        APPLIED = "applied", "Applied"
        SCREEN = "screen", "Screen"
        INTERVIEW = "interview", "Interview"
        OFFER = "offer", "Offer"
        HIRED = "hired", "Hired"
        REJECTED = "rejected", "Rejected"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField()
    candidate_label = models.CharField(
        max_length=100, blank=True, help_text="What candidates see; empty shows the kind's name."
    )
    scorecard_criteria = ArrayField(
        models.CharField(max_length=60),
        size=20,
        default=list,
        blank=True,
        help_text="What interviewers rate (1–4) on scorecards of interviews in this stage, "
        "unless the job names its own.",
    )

    class Meta:
        ordering = ["company", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "position"], name="applications_stage_position_unique"
            ),
            models.UniqueConstraint(
                fields=["company", "name"], name="applications_stage_name_unique"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def candidate_name(self) -> str:
        """What candidates see of the stage: the company's label for them, else the kind's
        name; never the internal name."""
        return self.name_for_candidates(self.candidate_label, self.kind)

    @staticmethod
    def name_for_candidates(candidate_label: str, kind: str) -> str:
        """`candidate_name` of a stage read as a row (`values()`)."""
        return candidate_label or str(Stage.Kind(kind).label)


class Application(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        HIRED = "hired", "Hired"

    class Source(models.TextChoices):
        CAREERS_SITE = "careers_site", "Careers site"
        API = "api", "Partner API"
        REFERRAL = "referral", "Referral"
        SOURCED = "sourced", "Sourced by a recruiter"
        AGENCY = "agency", "Agency"
        MATCH = "match", "Matched job"

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="applications")
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications"
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.CAREERS_SITE)
    cover_letter = models.TextField(blank=True)
    answers = models.JSONField(default=dict, blank=True)
    consent_processing = models.BooleanField(default=False)
    consent_retention = models.BooleanField(
        default=False, help_text="Keep the candidate's data for future roles."
    )
    consented_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rejection_reason = models.CharField(max_length=255, blank=True)
    stage_entered_at = models.DateTimeField()
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job", "candidate"], name="applications_application_once_per_job"
            ),
            CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="applications_application_rating_range",
            ),
            CheckConstraint(
                condition=(Q(consent_processing=False) & Q(consent_retention=False))
                | Q(consented_at__isnull=False),
                name="applications_application_consent_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["job", "stage"], name="applications_app_job_stage"),
            models.Index(fields=["job", "status"], name="applications_app_job_status"),
            models.Index(fields=["candidate", "-created_at"], name="applications_app_candidate"),
            models.Index(fields=["-updated_at"], name="applications_app_updated"),
        ]

    def __str__(self):
        return f"{self.candidate} → {self.job}"

    @property
    def company_id(self):
        return self.job.company_id


class EmailTemplate(models.Model):
    """A company's email to candidates, with merge fields such as {{ candidate_name }}
    (applications/emails.py lists them). With `send_on_stage` it goes out by itself when an
    application enters that stage; the reject action can send any of them."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="email_templates")
    name = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    send_on_stage = models.ForeignKey(
        Stage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="email_templates",
        help_text="Send this email to the candidate whenever an application enters this stage.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"], name="applications_emailtemplate_name_unique"
            ),
            models.UniqueConstraint(
                fields=["send_on_stage"],
                condition=Q(send_on_stage__isnull=False),
                name="applications_emailtemplate_one_per_stage",
            ),
        ]

    def __str__(self):
        return self.name


class StageChange(models.Model):
    """History of an application's moves: the source of funnel and time-in-stage analytics."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10,
        choices=Application.Status.choices,
        default=Application.Status.ACTIVE,
        help_text="The application's status after this change.",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["application", "created_at", "id"]
        indexes = [
            models.Index(fields=["application", "created_at"], name="applications_change_app"),
            models.Index(fields=["to_stage", "created_at"], name="applications_change_stage"),
        ]

    def __str__(self):
        return f"{self.from_stage or '—'} → {self.to_stage}"


class Document(models.Model):
    class Kind(models.TextChoices):
        RESUME = "resume", "Resume"
        COVER_LETTER = "cover_letter", "Cover letter"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        PROCESSING = "processing", "Extracting text"
        EXTRACTED = "extracted", "Text extracted"
        NO_TEXT = "no_text", "No text layer (scanned)"
        FAILED = "failed", "Extraction failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RESUME)
    storage_key = models.CharField(max_length=255, unique=True, help_text="Random, never the name.")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    extracted_text = models.TextField(blank=True)
    parsed = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    error = models.CharField(max_length=255, blank=True)
    processing_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker claimed it for extraction."
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"], name="applications_doc_owner")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.original_name}"


class Interview(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="interviews"
    )
    title = models.CharField(max_length=200, default="Interview")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA name, for invites.")
    location = models.CharField(max_length=255, blank=True)
    meeting_url = models.URLField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    interviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="interviews", blank=True
    )
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE for updates.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="applications_interview_ends_after"
            ),
        ]
        indexes = [
            models.Index(fields=["starts_at"], name="applications_interview_start"),
            models.Index(fields=["-updated_at"], name="applications_interview_updated"),
        ]

    def __str__(self):
        return f"{self.title} · {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def company_id(self):
        return self.application.job.company_id


class Scorecard(models.Model):
    class Recommendation(models.TextChoices):
        STRONG_NO = "strong_no", "Strong no"
        NO = "no", "No"
        YES = "yes", "Yes"
        STRONG_YES = "strong_yes", "Strong yes"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="scorecards")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scorecards"
    )
    ratings = models.JSONField(default=dict, blank=True, help_text="{criterion: 1..4}")
    recommendation = models.CharField(max_length=12, choices=Recommendation.choices, blank=True)
    notes = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "author"], name="applications_scorecard_once_per_author"
            ),
            CheckConstraint(
                condition=Q(submitted_at__isnull=True) | ~Q(recommendation=""),
                name="applications_scorecard_submitted_has_recommendation",
            ),
        ]
        indexes = [models.Index(fields=["-updated_at"], name="applications_scorecard_updated")]

    def __str__(self):
        return f"Scorecard by {self.author} for {self.interview}"


class Offer(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="offers")
    salary = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    salary_period = models.CharField(
        max_length=10, choices=SalaryPeriod.choices, default=SalaryPeriod.YEAR
    )
    start_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            CheckConstraint(condition=Q(salary__gte=0), name="applications_offer_salary_gte_0"),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=["draft", "sent", "accepted"]),
                name="applications_offer_one_live_per_application",
            ),
            CheckConstraint(
                condition=~Q(status__in=["accepted", "declined"]) | Q(responded_at__isnull=False),
                name="applications_offer_response_has_time",
            ),
        ]
        indexes = [models.Index(fields=["-updated_at"], name="applications_offer_updated")]

    def __str__(self):
        return f"Offer {self.salary} {self.currency} ({self.status})"


class Note(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when an API key wrote it.",
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The partner API key that wrote the note, when no person did.",
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-updated_at"], name="applications_note_updated")]

    def __str__(self):
        return self.body[:60]
