"""The business changes partners subscribe to are written to the webhook outbox, with the
shapes the catalogue (accounts.webhooks.WEBHOOK_EVENTS) documents, and only for the company
they happened in."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import WebhookDelivery
from accounts.tests.factories import UserFactory
from accounts.webhooks import PING, WEBHOOK_EVENTS, webhook_endpoint_create
from applications.hiring import (
    interview_cancel,
    interview_schedule,
    offer_accept,
    offer_create,
    offer_decline,
    offer_send,
)
from applications.models import Stage
from applications.services import (
    application_hire,
    application_move,
    application_reject,
    application_submit,
    application_withdraw,
)
from jobs.services import job_close, job_publish
from jobs.tests.factories import JobFactory
from recruitment.api import ApplicationError


@pytest.fixture
def endpoint(company):
    return webhook_endpoint_create(
        company=company, url="https://93.184.215.14/hooks", events=["*"], actor=None
    )


@pytest.fixture
def job(company):
    return JobFactory(company=company)


@pytest.fixture
def application(job, candidate):
    return application_submit(job=job, candidate=candidate, consent_processing=True)


def _sent(endpoint) -> list[dict]:
    """The payloads queued for the endpoint, oldest first, without its ping."""
    return list(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .exclude(event_type=PING)
        .order_by("pk")
        .values_list("payload", flat=True)
    )


def _keys_match_the_catalogue(payload: dict) -> None:
    example = WEBHOOK_EVENTS[payload["type"]][1]
    assert payload["data"].keys() == example.keys()
    for key, value in example.items():
        if isinstance(value, dict):
            assert payload["data"][key].keys() == value.keys(), key


@pytest.mark.django_db
def test_job_publish_and_close_are_events(endpoint, company, recruiter):
    job = JobFactory(company=company, status="draft", published_at=None)
    job_publish(job=job, actor=recruiter)
    job_close(job=job, actor=recruiter)
    sent = _sent(endpoint)
    assert [p["type"] for p in sent] == ["job.published", "job.closed"]
    assert sent[0]["data"]["job"]["id"] == job.pk
    assert sent[0]["data"]["job"]["status"] == "open"
    assert sent[1]["data"]["job"]["status"] == "closed"
    for payload in sent:
        _keys_match_the_catalogue(payload)


@pytest.mark.django_db
def test_an_application_is_created_moved_rejected(endpoint, application, recruiter, company):
    screen = Stage.objects.get(company=company, kind=Stage.Kind.SCREEN)
    application_move(application=application, stage=screen, actor=recruiter)
    application_reject(application=application, actor=recruiter, reason="Too junior")
    sent = _sent(endpoint)
    assert [p["type"] for p in sent] == [
        "application.created",
        "application.stage_changed",
        "application.rejected",
    ]
    created, moved, rejected = (p["data"] for p in sent)
    assert created["application"]["id"] == application.pk
    assert created["application"]["candidate_id"] == application.candidate_id
    assert created["application"]["stage"]["kind"] == "applied"
    assert moved["from_stage"]["kind"] == "applied"
    assert moved["to_stage"] == {"id": screen.pk, "name": screen.name, "kind": "screen"}
    assert rejected["application"]["status"] == "rejected"
    assert rejected["reason"] == "Too junior"
    for payload in sent:
        _keys_match_the_catalogue(payload)


@pytest.mark.django_db
def test_hire_and_withdraw_are_events(endpoint, job, recruiter, candidate):
    hired = application_submit(job=job, candidate=candidate, consent_processing=True)
    application_hire(application=hired, actor=recruiter)
    other = UserFactory()
    withdrawn = application_submit(job=job, candidate=other, consent_processing=True)
    application_withdraw(application=withdrawn, candidate=other)
    types = [(p["type"], p["data"]["application"]["id"]) for p in _sent(endpoint)]
    assert types == [
        ("application.created", hired.pk),
        ("application.hired", hired.pk),
        ("application.created", withdrawn.pk),
        ("application.withdrawn", withdrawn.pk),
    ]


@pytest.mark.django_db
def test_interviews_and_offers_are_events(endpoint, application, recruiter, company):
    starts = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    interview = interview_schedule(
        application=application,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        actor=recruiter,
        timezone="Europe/Berlin",
    )
    interview_cancel(interview=interview, actor=recruiter)
    first = offer_create(
        application=application, salary=Decimal("70000"), currency="EUR", actor=recruiter
    )
    offer_send(offer=first, actor=recruiter)
    offer_decline(offer=first, actor=recruiter)
    second = offer_create(
        application=application, salary=Decimal("70000"), currency="EUR", actor=recruiter
    )
    offer_send(offer=second, actor=recruiter)
    offer_accept(offer=second, actor=recruiter)
    sent = [p for p in _sent(endpoint) if p["type"] != "application.created"]
    assert [p["type"] for p in sent] == [
        "interview.scheduled",
        "interview.cancelled",
        "application.stage_changed",  # sending the offer moved the application to "Offer"
        "offer.sent",
        "offer.declined",
        "offer.sent",
        "offer.accepted",
    ]
    assert sent[0]["data"]["interview"]["timezone"] == "Europe/Berlin"
    assert sent[0]["data"]["interview"]["starts_at"] == starts.isoformat().replace("+00:00", "Z")
    assert sent[1]["data"]["interview"]["status"] == "cancelled"
    accepted = sent[6]["data"]["offer"]
    assert (accepted["id"], accepted["application_id"]) == (second.pk, application.pk)
    assert accepted["status"] == "accepted"
    assert accepted["sent_at"] and accepted["responded_at"]
    for payload in sent:
        _keys_match_the_catalogue(payload)


@pytest.mark.django_db
def test_subscriptions_and_companies_are_respected(company, other_company, recruiter, candidate):
    jobs_only = webhook_endpoint_create(
        company=company, url="https://93.184.215.14/jobs", events=["job.closed"], actor=None
    )
    elsewhere = webhook_endpoint_create(
        company=other_company, url="https://93.184.215.14/other", events=["*"], actor=None
    )
    job = JobFactory(company=company)
    application_submit(job=job, candidate=candidate, consent_processing=True)
    job_close(job=job, actor=recruiter)
    assert [p["type"] for p in _sent(jobs_only)] == ["job.closed"]
    assert _sent(elsewhere) == []


@pytest.mark.django_db
def test_a_refused_change_queues_nothing(endpoint, application, recruiter):
    application_reject(application=application, actor=recruiter, reason="No")
    before = len(_sent(endpoint))
    with pytest.raises(ApplicationError), transaction.atomic():
        application_hire(application=application, actor=recruiter)
    assert len(_sent(endpoint)) == before
