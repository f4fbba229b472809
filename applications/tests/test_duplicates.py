"""Duplicate candidates: found by email, phone, LinkedIn and name (with the resume), merged in
the back office keeping every application and document, and audited."""

import uuid

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, CandidateProfile, Role, User
from accounts.tests.factories import CandidateProfileFactory, MembershipFactory, UserFactory
from applications.duplicates import (
    candidate_merge,
    duplicate_candidates,
    email_key,
    linkedin_key,
)
from applications.models import Application, Document
from applications.services import application_reject, application_submit
from jobs.tests.factories import JobFactory
from recruitment.api import ApplicationError
from recruitment.tests.admin_helpers import _messages

pytestmark = pytest.mark.django_db

RESUME = " ".join(f"built data pipelines with python and kafka at company {n}" for n in range(30))


def _applicant(job, email, name="", **profile):
    user = UserFactory(email=email, full_name=name)
    if profile:
        CandidateProfileFactory(user=user, **profile)
    return application_submit(job=job, candidate=user, consent_processing=True)


def _document(application):
    return Document.objects.create(
        owner=application.candidate, application=application, storage_key=str(uuid.uuid4()),
        original_name="cv.pdf", content_type="application/pdf", size=10, sha256="0" * 64,
    )  # fmt: skip


def test_keys_normalise_emails_and_linkedin_urls():
    assert email_key("Ada.Lovelace+jobs@GoogleMail.com") == "adalovelace@gmail.com"
    assert email_key("ada+x@example.com") == email_key("ADA@example.com")
    assert linkedin_key("https://de.linkedin.com/in/ada-l/?trk=1") == "linkedin.com/in/ada-l"
    assert linkedin_key("https://example.com/in/ada") == ""


def test_duplicates_are_found_by_each_signal_within_the_users_companies(company, recruiter):
    job = JobFactory(company=company)
    ada = _applicant(job, "ada.lovelace@gmail.com", "Ada Lovelace")
    _applicant(job, "adalovelace+cv@gmail.com", "A. Lovelace")
    phone_a = _applicant(job, "p1@example.com", "Grace Hopper", phone="+493012345678")
    phone_b = _applicant(job, "p2@example.com", "G Hopper", phone="+493012345678")
    link_a = _applicant(
        job, "l1@example.com", "Alan", links={"linkedin": "https://www.linkedin.com/in/alan"}
    )
    link_b = _applicant(
        job, "l2@example.com", "Turing", links={"linkedin": "http://linkedin.com/in/alan/"}
    )
    name_a = _applicant(job, "n1@example.com", "Katherine Johnson", resume_text=RESUME)
    name_b = _applicant(job, "n2@example.com", "Katherine Jonson", resume_text=RESUME + " more")
    _applicant(job, "other@example.com", "Someone Else")
    _applicant(JobFactory(), "ada.lovelace+x@gmail.com", "Ada Lovelace")  # another company's

    pairs = {
        frozenset({pair.first.user.email, pair.second.user.email}): pair.reasons
        for pair in duplicate_candidates(user=recruiter)
    }

    assert pairs[frozenset({ada.candidate.email, "adalovelace+cv@gmail.com"})][0] == (
        "same email address"
    )
    assert (
        "same phone number" in pairs[frozenset({phone_a.candidate.email, phone_b.candidate.email})]
    )
    assert pairs[frozenset({link_a.candidate.email, link_b.candidate.email})] == [
        "same LinkedIn profile"
    ]
    assert pairs[frozenset({name_a.candidate.email, name_b.candidate.email})] == [
        "nearly the same name",
        "nearly the same resume",
    ]
    assert not any("ada.lovelace+x@gmail.com" in pair for pair in pairs)
    assert len(pairs) == 4


def test_merging_keeps_every_application_and_document_and_is_audited(company, recruiter):
    keep = _applicant(JobFactory(company=company), "ada@example.com", "Ada")
    first = _applicant(JobFactory(company=company), "ada+old@example.com", "Ada L",
                       phone="+493012345678")  # fmt: skip
    second = application_submit(job=JobFactory(company=company), candidate=first.candidate,
                                consent_processing=True)  # fmt: skip
    documents = [_document(first), _document(second)]
    merged = first.candidate

    candidate_merge(keep=keep.candidate, merge=merged, actor=recruiter)

    assert set(Application.objects.filter(candidate=keep.candidate)) == {keep, first, second}
    assert set(Document.objects.filter(owner=keep.candidate)) == set(documents)
    assert CandidateProfile.objects.get(user=keep.candidate).phone == "+493012345678"
    merged.refresh_from_db()
    assert merged.is_active is False
    event = AuditEvent.objects.get(action="candidate.merged")
    assert event.changes["applications"] == sorted([first.pk, second.pk])
    assert event.changes["documents"] == sorted(d.pk for d in documents)
    assert (event.actor, event.company) == (recruiter, company)


def test_a_merge_is_refused_across_the_same_job_or_another_companys_candidates(company, recruiter):
    job = JobFactory(company=company)
    a, b = _applicant(job, "a@example.com"), _applicant(job, "b@example.com")
    with pytest.raises(ApplicationError, match="close one of the two"):
        candidate_merge(keep=a.candidate, merge=b.candidate, actor=recruiter)
    application_reject(application=b, actor=None, reason="Duplicate")
    with pytest.raises(ApplicationError):
        candidate_merge(keep=a.candidate, merge=b.candidate, actor=recruiter)

    elsewhere = _applicant(JobFactory(), "c@example.com")
    with pytest.raises(Exception, match="do not manage"):
        candidate_merge(keep=a.candidate, merge=elsewhere.candidate, actor=recruiter)
    colleague = MembershipFactory(company=company, role=Role.RECRUITER).user
    with pytest.raises(ApplicationError, match="not members"):
        candidate_merge(keep=a.candidate, merge=colleague, actor=None)
    assert User.objects.filter(is_active=False).count() == 0


def test_the_admin_lists_compares_and_merges_duplicates(client, company, recruiter):
    keep = _applicant(JobFactory(company=company), "ada@example.com", "Ada Lovelace")
    dupe = _applicant(JobFactory(company=company), "ADA+2@example.com", "Ada Lovelace")
    _document(dupe)
    client.force_login(recruiter)

    listing = client.get(reverse("admin:applications_application_duplicates"))
    assert listing.status_code == 200
    (pair,) = listing.context["pairs"]
    url = reverse(
        "admin:applications_application_duplicate", args=[keep.candidate.pk, dupe.candidate.pk]
    )
    page = client.get(url)
    assert page.status_code == 200
    assert "same email address" in page.content.decode()

    response = client.post(url, {"keep": keep.candidate.pk})

    assert response.status_code == 302
    assert "1 application(s) moved" in _messages(response)[0]
    assert Application.objects.filter(candidate=keep.candidate).count() == 2
    assert Document.objects.get().owner == keep.candidate
    stranger = _applicant(JobFactory(), "eve@example.com")
    foreign = reverse(
        "admin:applications_application_duplicate", args=[keep.candidate.pk, stranger.candidate.pk]
    )
    assert client.get(foreign).status_code == 404
