"""The pipeline board of a job, through the real admin views (the browser test is in
test_board_browser.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, UserFactory
from applications import board
from applications.models import Application, Stage, StageChange
from applications.services import application_submit
from jobs.tests.factories import JobFactory
from recruitment.tests.admin_helpers import _messages

pytestmark = pytest.mark.django_db


def _board(job):
    return reverse("admin:jobs_job_board", args=[job.pk])


def _move(job):
    return reverse("admin:jobs_job_board_move", args=[job.pk])


def _apply(job, name="Ada Lovelace"):
    candidate = UserFactory(full_name=name)
    return application_submit(job=job, candidate=candidate, consent_processing=True)


def _stage(job, kind):
    return Stage.objects.filter(company=job.company, kind=kind).order_by("position").first()


def test_the_board_shows_a_column_per_stage_and_cards_with_rating_and_days(
    client, company, recruiter
):
    job = JobFactory(company=company)
    application = _apply(job)
    Application.objects.filter(pk=application.pk).update(
        rating=4, stage_entered_at=timezone.now() - timedelta(days=3, hours=1)
    )
    client.force_login(recruiter)

    response = client.get(_board(job))

    assert response.status_code == 200
    columns = response.context["columns"]
    kinds = [column.stage.kind for column in columns]
    assert Stage.Kind.REJECTED not in kinds and kinds[0] == Stage.Kind.APPLIED
    (card,) = columns[0].cards
    assert (card.days_in_stage, card.score) == (3, None)  # no match score yet
    page = response.content.decode()
    assert "Ada Lovelace" in page
    assert "★★★★" in page and "3 days in stage" in page and "match 0%" not in page
    assert f'name="stage-{application.pk}"' in page  # a recruiter gets the Move buttons


def test_moving_a_card_goes_through_the_stage_service(client, company, recruiter):
    job = JobFactory(company=company)
    application = _apply(job)
    screen = _stage(job, Stage.Kind.SCREEN)
    client.force_login(recruiter)

    response = client.post(_move(job), {"application": application.pk, "stage": screen.pk})

    assert response.status_code == 302
    assert response["Location"].endswith(f"#application-{application.pk}")
    assert f"Moved Ada Lovelace to {screen.name}." in _messages(response)
    application.refresh_from_db()
    assert application.stage == screen
    change = StageChange.objects.filter(application=application).latest("id")
    assert (change.to_stage, change.actor) == (screen, recruiter)

    # The board's own form: one button per card, each card's choice named after it.
    offer = _stage(job, Stage.Kind.OFFER)
    response = client.post(
        _move(job), {"application": application.pk, f"stage-{application.pk}": offer.pk}
    )
    application.refresh_from_db()
    assert (response.status_code, application.stage) == (302, offer)

    response = client.post(
        _move(job),
        {"application": application.pk, "stage": _stage(job, Stage.Kind.INTERVIEW).pk},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert response.json()["application"] == application.pk


@pytest.mark.parametrize(
    "change",
    [
        {"application": "x"},
        {"stage": "999999999"},
        {"application": "other job"},
        {"stage": "other company"},
        {"stage": "hired"},
    ],
)
def test_bad_moves_are_refused_with_a_message_and_change_nothing(
    client, company, recruiter, change
):
    job = JobFactory(company=company)
    application = _apply(job)
    data = {"application": application.pk, "stage": _stage(job, Stage.Kind.SCREEN).pk}
    for name, value in change.items():
        if value == "other job":
            value = _apply(JobFactory(company=company)).pk
        elif value == "other company":
            value = _stage(JobFactory(), Stage.Kind.SCREEN).pk
        elif value == "hired":
            value = _stage(job, Stage.Kind.HIRED).pk
        data[name] = value
    client.force_login(recruiter)

    response = client.post(_move(job), data, HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert response.json()["error"]
    response = client.post(_move(job), data)
    assert response.status_code == 302
    assert _messages(response)
    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.APPLIED


def test_the_board_follows_the_roles(client, company, hiring_manager, interviewer):
    job = JobFactory(company=company)
    job.hiring_team.add(hiring_manager)
    application = _apply(job)
    other_job = JobFactory()

    client.force_login(hiring_manager)
    page = client.get(_board(job))
    assert page.status_code == 200
    assert 'name="stage-' not in page.content.decode()  # may look, not move
    refused = client.post(
        _move(job),
        {"application": application.pk, "stage": _stage(job, Stage.Kind.SCREEN).pk},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 403
    assert client.get(_board(other_job)).status_code == 404
    assert client.get(_board(JobFactory(company=company))).status_code == 404  # not their team

    client.force_login(interviewer)
    assert client.get(_board(job)).status_code == 404  # not a job they interview for
    client.force_login(MembershipFactory(company=other_job.company, role=Role.OWNER).user)
    assert client.get(_board(job)).status_code == 404


def test_the_board_costs_the_same_queries_for_3_or_30_applicants_and_caps_columns(
    client, company, recruiter, monkeypatch
):
    job = JobFactory(company=company)
    for _ in range(3):
        _apply(job)
    client.force_login(recruiter)
    with CaptureQueriesContext(connection) as few:
        client.get(_board(job))
    for _ in range(27):
        _apply(job)
    monkeypatch.setattr(board, "CARDS_PER_COLUMN", 10)

    with CaptureQueriesContext(connection) as many:
        response = client.get(_board(job))

    assert len(many) == len(few)
    applied = response.context["columns"][0]
    assert (applied.count, len(applied.cards), applied.hidden) == (30, 10, 20)
    assert "and 20 more" in response.content.decode()


def test_the_jobs_list_links_each_job_to_its_board(admin_client_):
    job = JobFactory()

    response = admin_client_.get(reverse("admin:jobs_job_changelist"))

    assert _board(job) in response.content.decode()
