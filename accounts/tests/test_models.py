import pytest
from django.db import IntegrityError

from accounts.models import CandidateProfile, Membership, OutboundEmail, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_unique_whatever_its_case():
    UserFactory(email="sam@example.com")
    with pytest.raises(IntegrityError):
        User.objects.create(email="SAM@example.com")


def test_clerk_user_id_is_unique_but_optional():
    UserFactory(clerk_user_id=None)
    UserFactory(clerk_user_id=None)
    UserFactory(clerk_user_id="user_abc")
    with pytest.raises(IntegrityError):
        UserFactory(clerk_user_id="user_abc")


def test_membership_role_must_be_a_known_role(company):
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=UserFactory(), company=company, role="emperor")


def test_desired_salary_needs_a_currency():
    with pytest.raises(IntegrityError):
        CandidateProfile.objects.create(user=UserFactory(), desired_salary_min=50000)


def test_years_of_experience_must_be_plausible():
    with pytest.raises(IntegrityError):
        CandidateProfile.objects.create(user=UserFactory(), years_experience=99)


def test_profile_embedding_round_trips_384_dimensions():
    profile = CandidateProfile.objects.create(user=UserFactory(), embedding=[0.5] * 384)
    profile.refresh_from_db()
    assert len(profile.embedding) == 384


def _email(**kwargs):
    defaults = {"to": "a@example.com", "kind": "test", "subject": "s", "body_text": "b"}
    return OutboundEmail.objects.create(**{**defaults, **kwargs})


def test_outbox_dedupe_key_makes_a_second_send_impossible():
    _email(dedupe_key="application.received:42")
    with pytest.raises(IntegrityError):
        _email(dedupe_key="application.received:42")


def test_outbox_sent_rows_carry_their_send_time():
    with pytest.raises(IntegrityError):
        _email(dedupe_key="x", status=OutboundEmail.Status.SENT)


def test_user_manager_creates_superusers_and_requires_email():
    admin = User.objects.create_superuser("Boss@Example.com", "pw")
    assert admin.is_staff and admin.is_superuser and admin.email == "boss@example.com"
    with pytest.raises(ValueError):
        User.objects.create_user("")
    assert admin.get_short_name() == "boss@example.com"
