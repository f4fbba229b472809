import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from applications.models import (
    Application,
    Document,
    EmailTemplate,
    Interview,
    Note,
    Offer,
    Scorecard,
    Stage,
    StageChange,
)
from applications.services import application_submit
from jobs.tests.factories import JobFactory


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    job = factory.SubFactory(JobFactory)
    candidate = factory.SubFactory(UserFactory)
    stage = factory.LazyAttribute(
        lambda o: Stage.objects.get(company=o.job.company, kind=Stage.Kind.APPLIED)
    )
    consent_processing = True
    consented_at = factory.LazyFunction(timezone.now)
    stage_entered_at = factory.LazyFunction(timezone.now)


def _application():
    return application_submit(job=JobFactory(), candidate=UserFactory(), consent_processing=True)


def _interview(application=None):
    starts = timezone.now() + timedelta(days=1)
    return Interview.objects.create(
        application=application or _application(),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )


def _document():
    application = _application()
    return Document.objects.create(
        owner=application.candidate,
        application=application,
        storage_key=str(uuid.uuid4()),
        original_name="cv.pdf",
        content_type="application/pdf",
        size=1234,
        sha256="0" * 64,
    )


# One fresh row per call, for every model the applications admin registers
# (used by recruitment/tests/test_admin_pages.py).
ADMIN_ROWS = {
    Stage: lambda: JobFactory().company.stages.first(),
    Application: _application,
    StageChange: lambda: _application().stage_changes.get(),
    Document: _document,
    Interview: _interview,
    Scorecard: lambda: Scorecard.objects.create(interview=_interview(), author=UserFactory()),
    Offer: lambda: Offer.objects.create(application=_application(), salary=70000, currency="EUR"),
    Note: lambda: Note.objects.create(
        application=_application(), author=UserFactory(), body="Strong on SQL."
    ),
    EmailTemplate: lambda: EmailTemplate.objects.create(
        company=JobFactory().company,
        name="Thanks",
        subject="Your application for {{ job_title }}",
        body="Hello {{ candidate_name }},\n\nThank you.",
    ),
}
