"""Document services: extraction into suggestions, applying them, and confirmed fields."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent, CandidateProfile
from accounts.tests.factories import CandidateProfileFactory, UserFactory
from applications.documents import (
    document_extract,
    profile_fields_confirm,
    profile_suggestions_apply,
)
from applications.models import Document
from applications.tasks import document_extract_text
from applications.tests import resume_corpus
from applications.tests.resume_corpus import document_from_file
from jobs.models import Skill

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    return resume_corpus.generated(tmp_path_factory)


@pytest.fixture
def taxonomy(db):
    Skill.objects.bulk_create(
        [Skill(name=name, slug=slug, aliases=list(a)) for name, slug, a in resume_corpus.TAXONOMY],
        ignore_conflicts=True,
    )


@pytest.fixture
def profile(db) -> CandidateProfile:
    return CandidateProfileFactory()


def upload(profile: CandidateProfile, resume) -> Document:
    """Store a resume as the upload flow does and run the extraction task on it."""
    document = document_from_file(
        owner=profile.user, path=resume.path, content_type=resume.content_type
    )
    document_extract_text.delay(document.pk)
    profile.refresh_from_db()
    return document


def test_document_extract_reads_private_storage_and_parses_a_resume(profile, taxonomy, corpus):
    resume = corpus["daniel"]
    document = document_from_file(
        owner=profile.user, path=resume.path, content_type=resume.content_type
    )

    document = document_extract(document=document)

    assert document.status == Document.Status.EXTRACTED
    assert document.parsed["location"]["value"]["city"] == "New York"
    profile.refresh_from_db()
    assert profile.suggestions["email"]["value"] == "dan.cohen@example.com"


def test_profile_suggestions_apply_fills_the_fields_the_candidate_has_not_confirmed(
    profile, taxonomy, corpus
):
    resume = corpus["ada"]
    upload(profile, resume)

    profile = profile_suggestions_apply(profile=profile, actor=profile.user)

    profile.refresh_from_db()
    truth = resume.truth
    assert profile.phone == truth["phone"]
    assert (profile.city, profile.country) == ("London", "GB")
    assert profile.current_title == truth["current_title"]
    assert set(truth["skills"]) <= set(profile.skills)
    assert profile.links["linkedin"] == truth["links"]["linkedin"]
    assert [job["company"] for job in profile.work_history] == [
        job["company"] for job in truth["work_history"]
    ]
    assert profile.education[0]["institution"] == "University of Manchester"
    assert profile.years_experience >= truth["years_experience"]
    assert profile.confirmed_fields == []
    event = AuditEvent.objects.get(action="profile.suggestions_applied")
    assert "phone" in event.changes["fields"]


def test_profile_suggestions_apply_only_takes_the_fields_asked_for(profile, taxonomy, corpus):
    upload(profile, corpus["sophie"])

    profile_suggestions_apply(profile=profile, fields=["phone"])

    profile.refresh_from_db()
    assert profile.phone == "+493012345678"
    assert profile.skills == ["python", "django", "postgresql"]
    assert profile.current_title == ""


def test_profile_suggestions_apply_skips_suggestions_below_the_threshold(profile):
    profile.suggestions = {
        "phone": {"value": "+493012345678", "confidence": 0.3},
        "current_title": {"value": "Engineer", "confidence": 0.9},
    }
    profile.save()

    profile_suggestions_apply(profile=profile)

    profile.refresh_from_db()
    assert profile.phone == ""
    assert profile.current_title == "Engineer"


def test_profile_suggestions_apply_fills_an_empty_name_but_never_replaces_one(db):
    unnamed = CandidateProfileFactory(user=UserFactory(full_name=""))
    named = CandidateProfileFactory(user=UserFactory(full_name="Ada King"))
    for profile in (unnamed, named):
        profile.suggestions = {"name": {"value": "Ada Lovelace", "confidence": 0.95}}
        profile.save()

        profile_suggestions_apply(profile=profile)

    unnamed.user.refresh_from_db()
    named.user.refresh_from_db()
    assert unnamed.user.full_name == "Ada Lovelace"
    assert named.user.full_name == "Ada King"


def test_profile_suggestions_apply_rejects_unknown_fields(profile):
    with pytest.raises(ValidationError):
        profile_suggestions_apply(profile=profile, fields=["phone", "embedding"])


def test_profile_fields_confirm_sets_the_values_and_marks_them_confirmed(profile):
    profile = profile_fields_confirm(
        profile=profile, values={"city": "Hamburg", "skills": ["rust"]}, actor=profile.user
    )

    profile.refresh_from_db()
    assert (profile.city, profile.skills) == ("Hamburg", ["rust"])
    assert profile.confirmed_fields == ["city", "skills"]
    event = AuditEvent.objects.get(action="profile.fields_confirmed")
    assert event.changes == {"fields": ["city", "skills"]}


def test_profile_fields_confirm_validates_its_values(profile):
    with pytest.raises(ValidationError) as error:
        profile_fields_confirm(profile=profile, values={"user_id": 1, "embedding": None})
    assert set(error.value.message_dict) == {"user_id", "embedding"}

    with pytest.raises(ValidationError):
        profile_fields_confirm(profile=profile, values={"years_experience": 99})


def test_reparsing_a_resume_never_changes_a_confirmed_field(profile, taxonomy, corpus):
    profile_fields_confirm(
        profile=profile,
        values={
            "city": "Hamburg",
            "country": "DE",
            "skills": ["rust"],
            "current_title": "CTO",
            "years_experience": 3,
        },
    )
    confirmed = {"city": "Hamburg", "country": "DE", "skills": ["rust"], "current_title": "CTO"}

    for key in ("ada", "hannah", "olivia"):
        upload(profile, corpus[key])
        profile_suggestions_apply(profile=profile)

        profile.refresh_from_db()
        assert {name: getattr(profile, name) for name in confirmed} == confirmed
        assert profile.years_experience == 3
        # What the candidate did not confirm follows the latest resume.
        assert profile.phone == corpus[key].truth["phone"]
        assert profile.suggestions["email"]["value"] == corpus[key].truth["email"]
