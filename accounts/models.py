from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from pgvector.django import HnswIndex, VectorField

from recruitment.constraints import CheckConstraint

EMBEDDING_DIMENSIONS = 384  # all-MiniLM-L6-v2


class RemotePreference(models.TextChoices):
    ONSITE = "onsite", "On site"
    HYBRID = "hybrid", "Hybrid"
    REMOTE = "remote", "Remote"
    ANY = "any", "Any"


class Seniority(models.TextChoices):
    INTERN = "intern", "Intern"
    JUNIOR = "junior", "Junior"
    MID = "mid", "Mid-level"
    SENIOR = "senior", "Senior"
    LEAD = "lead", "Lead"
    PRINCIPAL = "principal", "Principal"
    EXECUTIVE = "executive", "Executive"


class SalaryPeriod(models.TextChoices):
    HOUR = "hour", "per hour"
    DAY = "day", "per day"
    WEEK = "week", "per week"
    MONTH = "month", "per month"
    YEAR = "year", "per year"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: a candidate, a company member, or both. Logs in with an email address."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can log in to the admin site (company members and staff)."
    )
    clerk_user_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    clerk_deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When Clerk said this user was deleted; later Clerk updates are ignored.",
    )
    session_token = models.CharField(
        max_length=32,
        blank=True,
        help_text="Part of every session's check: changing it ends all the user's sessions.",
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name.split() or [self.email])[0]

    def _get_session_auth_hash(self, secret=None):
        # Django checks every session against this hash: it changes with the password (so a
        # password change ends other sessions) and with `session_token` ("log out everywhere").
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}:{self.session_token}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class Company(models.Model):
    """An employer. Tenants use the platform; others are known only from scraped postings."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    is_tenant = models.BooleanField(
        default=False, help_text="Uses the platform (members, applications), not only scraped."
    )
    clerk_organization_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    members = models.ManyToManyField(User, through="Membership", related_name="companies")

    class Meta:
        verbose_name_plural = "companies"
        indexes = [models.Index(Lower("name"), name="accounts_company_name_lower")]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    # Ordered from most to least powerful; accounts.permissions holds what each may do.
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    RECRUITER = "recruiter", "Recruiter"
    HIRING_MANAGER = "hiring_manager", "Hiring manager"
    INTERVIEWER = "interviewer", "Interviewer"


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="accounts_membership_unique"),
            CheckConstraint(
                condition=Q(role__in=Role.values), name="accounts_membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} at {self.company}"


class CandidateProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="candidate_profile")
    headline = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    remote_preference = models.CharField(
        max_length=10, choices=RemotePreference.choices, default=RemotePreference.ANY
    )
    desired_salary_min = models.PositiveIntegerField(null=True, blank=True)
    desired_salary_currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217")
    desired_salary_period = models.CharField(
        max_length=10, choices=SalaryPeriod.choices, default=SalaryPeriod.YEAR
    )
    seniority = models.CharField(max_length=10, choices=Seniority.choices, blank=True)
    years_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    # Skill slugs from jobs.Skill; accounts sits below jobs, so it keeps slugs, not keys.
    skills = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="E.164, e.g. +493012345678")
    links = models.JSONField(
        default=dict, blank=True, help_text='{"linkedin": url, "github": url, "other": [urls]}'
    )
    current_title = models.CharField(max_length=200, blank=True)
    education = models.JSONField(
        default=list, blank=True, help_text="[{degree, institution, start, end}]"
    )
    work_history = models.JSONField(
        default=list, blank=True, help_text="[{title, company, start, end}], newest first"
    )
    resume_text = models.TextField(blank=True)
    # Parsing suggests and never overwrites what the candidate confirmed or edited.
    suggestions = models.JSONField(
        default=dict, blank=True, help_text="The last resume parse: {field: {value, confidence}}"
    )
    confirmed_fields = ArrayField(
        models.CharField(max_length=50),
        default=list,
        blank=True,
        help_text="Fields the candidate confirmed or edited; parsing never changes them.",
    )
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    content_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="sha256 of the embedded text; unchanged means no re-embed",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            CheckConstraint(
                condition=Q(years_experience__lte=70), name="accounts_profile_years_sane"
            ),
            CheckConstraint(
                condition=Q(desired_salary_min__isnull=True) | ~Q(desired_salary_currency=""),
                name="accounts_profile_salary_has_currency",
            ),
        ]
        indexes = [
            GinIndex(fields=["skills"], name="accounts_profile_skills_gin"),
            HnswIndex(
                name="accounts_profile_embedding_hnsw",
                fields=["embedding"],
                m=16,
                # A denser graph than pgvector's default 64: recall holds on clustered
                # vectors (see MATCH_EF_SEARCH), for a slower build.
                ef_construction=200,
                opclasses=["vector_cosine_ops"],
            ),
        ]

    def __str__(self):
        return f"Profile of {self.user}"


class ApiKey(models.Model):
    """A company's key for the partner API. Only a hash of the secret is stored."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Shown to identify the key.")
    secret_hash = models.CharField(max_length=128)
    scopes = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "API key"
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="accounts_apikey_name_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class DigestFrequency(models.TextChoices):
    NEVER = "never", "Never"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="notification_preference"
    )
    application_updates = models.BooleanField(default=True)
    interview_updates = models.BooleanField(default=True)
    match_digest = models.CharField(
        max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    recruiter_digest = models.CharField(
        max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.DAILY
    )
    product_news = models.BooleanField(default=False)
    # Web push, per kind; it only reaches browsers the person subscribed (PushSubscription).
    application_updates_push = models.BooleanField(default=True)
    interview_updates_push = models.BooleanField(default=True)
    match_digest_push = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Notification preferences of {self.user}"


class NotificationKind(models.TextChoices):
    APPLICATION_UPDATE = "application_update", "Application update"
    INTERVIEW_UPDATE = "interview_update", "Interview update"
    MATCH_DIGEST = "match_digest", "New job matches"


class Notification(models.Model):
    """One entry of a person's in-app notification list (and what a web push shows)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=1000, blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="A path on this site.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="accounts_notification_list"),
            # The nav badge counts these on every page.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="accounts_notif_unread"
            ),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="accounts_notification_kind"
            ),
        ]

    def __str__(self):
        return f"{self.title} (to {self.user})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class PushSubscription(models.Model):
    """A browser's Web Push subscription (PushManager.subscribe), owned by one person."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=2000, unique=True)
    p256dh = models.CharField(max_length=100, help_text="base64url, the browser's P-256 key")
    auth = models.CharField(max_length=40, help_text="base64url, 16 bytes")
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Push subscription of {self.user} ({self.endpoint[:40]}…)"

    @property
    def browser_label(self) -> str:
        """A label such as "Firefox on Linux", from the User-Agent it subscribed with."""
        agent = self.user_agent
        browsers = [
            ("Edg/", "Edge"),
            ("OPR/", "Opera"),
            ("SamsungBrowser/", "Samsung Internet"),
            ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"),
            ("Chromium/", "Chromium"),
            ("Safari/", "Safari"),
        ]
        systems = [
            ("Android", "Android"),
            ("iPhone", "iOS"),
            ("iPad", "iPadOS"),
            ("Windows", "Windows"),
            ("Mac OS X", "macOS"),
            ("CrOS", "ChromeOS"),
            ("Linux", "Linux"),
        ]
        browser = next((name for token, name in browsers if token in agent), "A browser")
        system = next((name for token, name in systems if token in agent), "")
        return f"{browser} on {system}" if system else browser


class OutboundPush(models.Model):
    """The push outbox: one notification for one subscription, written in the business
    transaction, sent by a task, never twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="pushes")
    # Null once the push service said the subscription is gone (and we deleted it).
    subscription = models.ForeignKey(
        PushSubscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="pushes"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # For a pending row: when it is due; while a worker sends it, the end of its lease.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbound push"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="accounts_push_due",
            ),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed"]),
                name="accounts_push_status_valid",
            ),
            CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="accounts_push_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"push {self.dedupe_key} ({self.status})"


class OutboundEmail(models.Model):
    """The email outbox: written in the business transaction, sent by a task, never twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    to = models.EmailField()
    kind = models.CharField(max_length=50, help_text="e.g. application.received, match.digest")
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    attachments = models.JSONField(
        default=list, blank=True, help_text="[{filename, content_type, content_base64}]"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    headers = models.JSONField(
        default=dict, blank=True, help_text="Extra headers, e.g. List-Unsubscribe."
    )
    # accounts sits below the apps whose rows an email reports on, so it keeps bare ids.
    refs = ArrayField(
        models.BigIntegerField(),
        default=list,
        blank=True,
        help_text="Ids of the rows this email reports on (the matches of a digest).",
    )
    delivery_status = models.CharField(
        max_length=20, blank=True, help_text="The provider's latest word: delivered, bounced, …"
    )
    delivery_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="accounts_outbox_due",
            ),
            models.Index(fields=["kind", "created_at"], name="accounts_outbox_kind"),
            models.Index(
                fields=["user", "kind", "-created_at"],
                condition=Q(user__isnull=False),
                name="accounts_outbox_user_kind",
            ),
            models.Index(
                fields=["provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="accounts_outbox_provider_id",
            ),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="accounts_outbox_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to} ({self.status})"


class EmailSuppression(models.Model):
    """An address never to send to again: it bounced, complained, or unsubscribed at the provider."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed at the provider"
        REJECTED = "rejected", "Rejected by the provider"
        MANUAL = "manual", "Added by staff"

    email = models.EmailField(unique=True, help_text="Lower-cased.")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.TextField(blank=True, help_text="What the provider said.")
    esp_name = models.CharField(max_length=50, blank=True, help_text="Who reported it.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            CheckConstraint(
                condition=Q(email=Lower("email")), name="accounts_suppression_email_lower"
            ),
            CheckConstraint(
                condition=Q(
                    reason__in=["bounced", "complained", "unsubscribed", "rejected", "manual"]
                ),
                name="accounts_suppression_reason_valid",
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_reason_display()})"


class AuditEvent(models.Model):
    """Who did what to which object, when and from where. Append-only (enforced in the DB)."""

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    actor_label = models.CharField(max_length=255, blank=True, help_text="Who, kept as text.")
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    action = models.CharField(max_length=100, help_text="e.g. job.published, membership.created")
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="accounts_audit_company"),
            models.Index(fields=["target_type", "target_id"], name="accounts_audit_target"),
            models.Index(fields=["action", "-created_at"], name="accounts_audit_action"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or 'system'} {self.action}"


class WebhookEndpoint(models.Model):
    """Where a company wants its events POSTed, and which ones (`*` for all)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(
        models.CharField(max_length=50),
        help_text='Event types to send, e.g. ["application.created"]; ["*"] for every one.',
    )
    # The Standard Webhooks (svix) format: "whsec_" + base64 of the HMAC key's bytes. Kept in
    # clear: signing needs it, so it cannot be hashed like an API key's secret.
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "webhook endpoint"
        indexes = [
            # webhook_event_emit asks this for every business event: one index probe.
            models.Index(
                fields=["company"], condition=Q(is_active=True), name="accounts_webhook_active"
            ),
        ]
        constraints = [
            CheckConstraint(condition=~Q(secret=""), name="accounts_webhook_has_secret"),
        ]

    def __str__(self):
        return f"{self.url} ({self.company})"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the webhook outbox. Written in the business transaction,
    sent by a task, retried with backoff; `event_id` is the `webhook-id` receivers dedupe on."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,  # accounts_webhook_endpoint_log leads with it
    )
    event_id = models.CharField(max_length=40, unique=True, help_text="msg_…, sent as webhook-id")
    event_type = models.CharField(max_length=50)
    payload = models.JSONField(help_text="The body sent: {type, timestamp, data}.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # For a pending row: when it is due. While a worker sends it, the end of that worker's
    # lease (so no other worker takes it); a lease that runs out means the worker was lost.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="accounts_webhook_due",
            ),
            models.Index(fields=["endpoint", "-id"], name="accounts_webhook_endpoint_log"),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed"]),
                name="accounts_webhook_status_valid",
            ),
            CheckConstraint(
                condition=Q(status="succeeded", delivered_at__isnull=False)
                | ~Q(status="succeeded"),
                name="accounts_webhook_succeeded_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.event_type} {self.event_id} ({self.status})"


class ClerkEvent(models.Model):
    """A Clerk webhook delivery, stored as received (svix-verified) and processed by a task.
    `svix_id` is unique, so a replay or a concurrent second delivery is a no-op."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    svix_id = models.CharField(max_length=100, unique=True)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField()
    svix_timestamp = models.DateTimeField(help_text="When Clerk signed the delivery.")
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    processed_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(
        max_length=255, blank=True, help_text="What processing did or why not."
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"], name="accounts_clerk_status")]

    def __str__(self):
        return f"{self.event_type} {self.svix_id}"


class ConsentPurpose(models.TextChoices):
    PROCESSING = "processing", "Processing of an application"
    RETENTION = "retention", "Keeping the data for future openings"


class ConsentRecord(models.Model):
    """One consent given or withdrawn: what (purpose and the version of the text shown), when,
    by whom and about what (e.g. `application:42`). Append-only history; the latest record per
    user and purpose is the current state."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    granted = models.BooleanField()
    text_version = models.CharField(max_length=40)
    subject = models.CharField(max_length=100, blank=True, help_text="e.g. application:42")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "purpose", "-created_at"], name="accounts_consent_user"),
        ]

    def __str__(self):
        verb = "granted" if self.granted else "withdrew"
        return f"{self.user_id} {verb} {self.purpose} (v{self.text_version})"


class ErasureRequest(models.Model):
    """A request to erase a person that could not be done at once (e.g. the last owner of a
    company, or one received by mail). It must be answered within a month (GDPR art. 12(3))."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Erased"
        REFUSED = "refused", "Refused"

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="erasure_requests"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=255, blank=True, help_text="Why it is still pending.")
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(help_text="The legal deadline: one month after the request.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="accounts_erasure_due")]

    def __str__(self):
        return (
            f"Erasure request {self.pk} ({self.get_status_display()}, due {self.due_at:%Y-%m-%d})"
        )


class ReturningApplicant(models.Model):
    """A salted hash of the email of a candidate whom retention anonymised, so a return can be
    recognised (as Lever does) without keeping the address."""

    email_hash = models.CharField(max_length=64, unique=True)
    anonymised_at = models.DateTimeField(default=timezone.now)
    applications = models.PositiveIntegerField(default=0, help_text="How many were anonymised.")
    returned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.email_hash[:12]}… (anonymised {self.anonymised_at:%Y-%m-%d})"
