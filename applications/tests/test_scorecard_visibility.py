"""Scorecards stay each interviewer's own judgement: the others' of an interview are hidden from
an interviewer until they submit theirs, in the partner API and the back office alike. Pending
scorecards are listed and reminded of."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OutboundEmail, Role
from accounts.tests.factories import MembershipFactory, UserFactory
from applications.hiring import (
    interview_schedule,
    scorecard_list,
    scorecard_submit,
    scorecard_update,
    scorecards_pending,
)
from applications.models import Interview, Scorecard
from applications.reminders import scorecard_reminders_queue
from applications.services import application_submit
from applications.tasks import scorecard_reminders_send
from jobs.tests.factories import JobFactory
from recruitment.tests.admin_helpers import _url

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel_interview():
    """An interview held yesterday, with two interviewers of its company."""
    job = JobFactory()
    application = application_submit(job=job, candidate=UserFactory(), consent_processing=True)
    first, second = (
        MembershipFactory(company=job.company, role=Role.INTERVIEWER).user for _ in range(2)
    )
    starts = timezone.now() - timedelta(days=1)
    interview = interview_schedule(
        application=application,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        interviewer_ids=[first.pk, second.pk],
        actor=None,
    )
    return interview, first, second


def _visible(user):
    return set(scorecard_list(user=user).values_list("author", flat=True))


def test_an_interviewer_sees_the_others_scorecards_only_after_submitting_theirs(panel_interview):
    interview, first, second = panel_interview
    scorecard_submit(interview=interview, actor=first, recommendation="yes", ratings={"SQL": 4})

    assert _visible(second) == set()
    draft = scorecard_submit(interview=interview, actor=second, draft=True)
    assert _visible(second) == {second.pk}  # a draft is not a judgement yet

    scorecard_update(scorecard=draft, actor=second, recommendation="no", submit=True)

    assert _visible(second) == {first.pk, second.pk}
    assert _visible(first) == {first.pk, second.pk}


def test_a_hiring_manager_sees_every_scorecard(panel_interview):
    interview, first, _ = panel_interview
    scorecard_submit(interview=interview, actor=first, recommendation="yes")
    manager = MembershipFactory(
        company=interview.application.job.company, role=Role.HIRING_MANAGER
    ).user
    assert _visible(manager) == set()  # of their hiring teams' jobs only
    interview.application.job.hiring_team.add(manager)

    assert _visible(manager) == {first.pk}


def test_the_admin_hides_the_others_scorecards_until_the_interviewer_submits(
    client, panel_interview
):
    interview, first, second = panel_interview
    theirs = scorecard_submit(interview=interview, actor=first, recommendation="yes")
    client.force_login(second)

    listed = client.get(_url(Scorecard, "changelist")).context["cl"].result_list
    assert theirs not in listed
    assert client.get(_url(Scorecard, "change", theirs.pk)).status_code == 404
    page = client.get(_url(Interview, "change", interview.pk))
    assert page.status_code == 200
    assert "yes" not in {form.instance.recommendation for form in _scorecard_forms(page)}

    scorecard_submit(interview=interview, actor=second, recommendation="no")

    assert client.get(_url(Scorecard, "change", theirs.pk)).status_code == 200
    page = client.get(_url(Interview, "change", interview.pk))
    assert {form.instance.recommendation for form in _scorecard_forms(page)} == {"yes", "no"}


def _scorecard_forms(page):
    (formset,) = [f for f in page.context["inline_admin_formsets"] if f.opts.model is Scorecard]
    return [form.form for form in formset if form.form.instance.pk]


def test_pending_scorecards_are_listed_for_each_interviewer(client, panel_interview):
    interview, first, second = panel_interview
    scorecard_submit(interview=interview, actor=first, recommendation="yes")

    assert list(scorecards_pending(user=second)) == [interview]
    assert list(scorecards_pending(user=first)) == []
    client.force_login(second)
    listed = client.get(_url(Interview, "changelist"), {"my_scorecard": "pending"})
    assert list(listed.context["cl"].result_list) == [interview]
    client.force_login(first)
    listed = client.get(_url(Interview, "changelist"), {"my_scorecard": "pending"})
    assert list(listed.context["cl"].result_list) == []


def test_interviewers_owing_a_scorecard_get_one_reminder_a_day(panel_interview):
    interview, first, second = panel_interview
    scorecard_submit(interview=interview, actor=first, recommendation="yes")
    tomorrow = timezone.now() + timedelta(days=1)

    assert scorecard_reminders_send() == 1
    assert scorecard_reminders_queue() == 0  # the same day: nothing new
    (reminder,) = OutboundEmail.objects.filter(kind="scorecard.reminder")
    assert reminder.to == second.email
    assert f"/admin/applications/scorecard/add/?interview={interview.pk}" in reminder.body_text

    assert scorecard_reminders_queue(now=tomorrow) == 1
    scorecard_submit(interview=interview, actor=second, recommendation="no")
    assert scorecard_reminders_queue(now=tomorrow + timedelta(days=1)) == 0


def test_scorecards_rate_the_jobs_criteria_or_else_the_stages(panel_interview):
    from django.core.exceptions import ValidationError

    from applications.hiring import interview_criteria

    interview, first, second = panel_interview
    job = interview.application.job
    job.scorecard_criteria = ["SQL", "Communication"]
    job.save(update_fields=["scorecard_criteria"])

    with pytest.raises(ValidationError, match="not: Charm"):
        scorecard_submit(interview=interview, actor=first, recommendation="yes",
                         ratings={"SQL": 3, "Charm": 4})  # fmt: skip
    with pytest.raises(ValidationError, match="missing: Communication"):
        scorecard_submit(interview=interview, actor=first, recommendation="yes",
                         ratings={"SQL": 3})  # fmt: skip
    draft = scorecard_submit(interview=interview, actor=first, ratings={"SQL": 3}, draft=True)
    with pytest.raises(ValidationError, match="missing: Communication"):
        scorecard_update(scorecard=draft, actor=first, recommendation="yes", submit=True)
    done = scorecard_update(scorecard=draft, actor=first, recommendation="yes", submit=True,
                            ratings={"SQL": 3, "Communication": 4})  # fmt: skip
    assert done.submitted_at is not None

    job.scorecard_criteria = []
    job.save(update_fields=["scorecard_criteria"])
    stage = interview.application.stage
    stage.scorecard_criteria = ["Python"]
    stage.save(update_fields=["scorecard_criteria"])
    interview.refresh_from_db()
    assert interview_criteria(interview) == ["Python"]
    scorecard_submit(interview=interview, actor=second, recommendation="no",
                     ratings={"Python": 2})  # fmt: skip
