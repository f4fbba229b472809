from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from applications.models import Application, Interview, Offer, Scorecard, Stage
from applications.tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_one_application_per_job_and_candidate():
    application = ApplicationFactory()
    with pytest.raises(IntegrityError):
        ApplicationFactory(job=application.job, candidate=application.candidate)


def test_rating_is_between_one_and_five():
    with pytest.raises(IntegrityError):
        ApplicationFactory(rating=6)


def test_consent_is_recorded_with_its_time():
    with pytest.raises(IntegrityError):
        ApplicationFactory(consent_processing=True, consented_at=None)


def test_stage_positions_and_names_are_unique_per_company(company):
    with pytest.raises(IntegrityError):
        Stage.objects.create(company=company, name="Another", kind=Stage.Kind.SCREEN, position=1)


def _interview(application, **kwargs):
    start = timezone.now() + timedelta(days=1)
    return Interview.objects.create(
        application=application, starts_at=start, ends_at=start + timedelta(hours=1), **kwargs
    )


def test_an_interview_ends_after_it_starts():
    application = ApplicationFactory()
    start = timezone.now()
    with pytest.raises(IntegrityError):
        Interview.objects.create(application=application, starts_at=start, ends_at=start)


def test_one_scorecard_per_interviewer_and_interview():
    interview = _interview(ApplicationFactory())
    author = UserFactory()
    Scorecard.objects.create(interview=interview, author=author)
    with pytest.raises(IntegrityError):
        Scorecard.objects.create(interview=interview, author=author)


def test_a_submitted_scorecard_has_a_recommendation():
    interview = _interview(ApplicationFactory())
    with pytest.raises(IntegrityError):
        Scorecard.objects.create(
            interview=interview, author=UserFactory(), submitted_at=timezone.now()
        )


def test_only_one_live_offer_per_application():
    application = ApplicationFactory()
    Offer.objects.create(
        application=application, salary=70000, currency="EUR", status=Offer.Status.WITHDRAWN
    )
    Offer.objects.create(application=application, salary=72000, currency="EUR")
    with pytest.raises(IntegrityError):
        Offer.objects.create(application=application, salary=75000, currency="EUR")


def test_offer_salary_is_not_negative():
    with pytest.raises(IntegrityError):
        Offer.objects.create(application=ApplicationFactory(), salary=-1, currency="EUR")


def test_an_answered_offer_has_a_response_time():
    with pytest.raises(IntegrityError):
        Offer.objects.create(
            application=ApplicationFactory(), salary=1, currency="EUR", status=Offer.Status.ACCEPTED
        )


def test_application_and_interview_expose_their_company(company):
    application = ApplicationFactory(job__company=company)
    assert application.company_id == company.pk
    assert _interview(application).company_id == company.pk
    assert str(application).endswith(str(application.job))
    assert Application.Status.ACTIVE == application.status
