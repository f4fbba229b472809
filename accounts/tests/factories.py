import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import (
    ApiKey,
    AuditEvent,
    CandidateProfile,
    ClerkEvent,
    Company,
    ConsentRecord,
    EmailSuppression,
    ErasureRequest,
    Membership,
    Notification,
    NotificationPreference,
    OutboundEmail,
    OutboundPush,
    PushSubscription,
    ReturningApplicant,
    Role,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from accounts.services import api_key_create, audit_record
from accounts.webhooks import webhook_endpoint_create, webhook_ping

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class CompanyFactory(factory.django.DjangoModelFactory):
    """A tenant company with the default pipeline stages (made by the registered hook)."""

    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    is_tenant = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from accounts.services import company_create

        return company_create(**kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory, is_staff=True)
    company = factory.SubFactory(CompanyFactory)
    role = Role.RECRUITER


class CandidateProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CandidateProfile

    user = factory.SubFactory(UserFactory)
    headline = "Backend engineer"
    city = "Berlin"
    country = "DE"
    skills = factory.LazyFunction(lambda: ["python", "django", "postgresql"])


# One fresh row per call, for every model the accounts admin registers
# (used by recruitment/tests/test_admin_pages.py).
ADMIN_ROWS = {
    User: lambda: UserFactory(),
    Company: lambda: CompanyFactory(),
    Membership: lambda: MembershipFactory(),
    CandidateProfile: lambda: CandidateProfileFactory(),
    ApiKey: lambda: api_key_create(
        company=CompanyFactory(), name="Partner", scopes=["jobs:read"], actor=None
    )[0],
    NotificationPreference: lambda: NotificationPreference.objects.create(user=UserFactory()),
    OutboundEmail: lambda: OutboundEmail.objects.create(
        to="someone@example.com",
        kind="test.kind",
        subject="Hello",
        body_text="Hi.",
        attachments=[{"filename": "a.ics", "content_type": "text/calendar"}],
        dedupe_key=str(uuid.uuid4()),
    ),
    AuditEvent: lambda: audit_record(
        action="test.happened", actor=UserFactory(), target=CompanyFactory()
    ),
    EmailSuppression: lambda: EmailSuppression.objects.create(
        email=f"bounced-{uuid.uuid4().hex[:8]}@example.com", reason="bounced"
    ),
    WebhookEndpoint: lambda: _webhook_endpoint(),
    WebhookDelivery: lambda: webhook_ping(endpoint=_webhook_endpoint(), actor=None),
    Notification: lambda: _notification(),
    PushSubscription: lambda: _push_subscription(),
    OutboundPush: lambda: OutboundPush.objects.create(
        notification=_notification(),
        subscription=_push_subscription(),
        dedupe_key=str(uuid.uuid4()),
    ),
    ClerkEvent: lambda: ClerkEvent.objects.create(
        svix_id=f"msg_{uuid.uuid4().hex}",
        event_type="user.created",
        payload={"type": "user.created", "data": {"id": f"user_{uuid.uuid4().hex[:12]}"}},
        svix_timestamp=timezone.now(),
    ),
    ErasureRequest: lambda: ErasureRequest.objects.create(
        user=UserFactory(), due_at=timezone.now() + timedelta(days=30)
    ),
    ConsentRecord: lambda: ConsentRecord.objects.create(
        user=UserFactory(), purpose="processing", granted=True, text_version="2026-11-01"
    ),
    ReturningApplicant: lambda: ReturningApplicant.objects.create(
        email_hash=uuid.uuid4().hex + uuid.uuid4().hex, applications=2
    ),
}


def _notification() -> Notification:
    return Notification.objects.create(
        user=UserFactory(), kind="application_update", title="Moved", dedupe_key=str(uuid.uuid4())
    )


def _push_subscription() -> PushSubscription:
    return PushSubscription.objects.create(
        user=UserFactory(),
        endpoint=f"https://push.example.com/{uuid.uuid4()}",
        p256dh="BPk",
        auth="x",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    )


def _webhook_endpoint() -> WebhookEndpoint:
    # A public address (example.com's), so the SSRF guard passes whatever the settings say.
    return webhook_endpoint_create(
        company=CompanyFactory(), url="https://93.184.215.14/hooks", events=["*"], actor=None
    )
