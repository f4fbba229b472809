from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from accounts.models import Membership, Role
from applications.models import Application, Interview, Scorecard, Stage, StageChange
from jobs.models import Job
from pipeline.demo import DEMO_PASSWORD, row_counts

pytestmark = pytest.mark.django_db


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_demo_twice_gives_the_same_counts_in_every_table():
    _seed(jobs=30, candidates=20)
    first = row_counts()

    output = _seed(jobs=30, candidates=20)

    assert row_counts() == first
    assert "nothing to add" in output
    for label in ("jobs.Job", "jobs.JobSkill", "applications.Application", "pipeline.Source"):
        assert first[label] > 0, label


def test_seed_demo_with_bigger_numbers_adds_the_missing_rows():
    _seed(jobs=10, candidates=5)
    small = row_counts()

    _seed(jobs=20, candidates=10)
    bigger = row_counts()

    assert (small["jobs.Job"], bigger["jobs.Job"]) == (10, 20)
    assert (small["accounts.CandidateProfile"], bigger["accounts.CandidateProfile"]) == (5, 10)
    assert bigger["applications.Application"] > small["applications.Application"]
    assert bigger["accounts.Company"] == small["accounts.Company"]


def test_seed_demo_recruiter_logs_in_and_opens_the_admin(client):
    output = _seed(jobs=5, candidates=2)
    email = "recruiter@acme.demo.example"

    assert email in output and DEMO_PASSWORD in output
    assert authenticate(email=email, password=DEMO_PASSWORD) is not None
    assert client.login(email=email, password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_seed_demo_has_members_in_every_role_and_applications_in_every_stage_kind():
    _seed(jobs=10, candidates=10)

    roles = set(
        Membership.objects.filter(user__email__endswith="demo.example").values_list(
            "role", flat=True
        )
    )
    kinds = set(Application.objects.values_list("stage__kind", flat=True))

    assert roles == set(Role.values)
    assert kinds == set(Stage.Kind.values)


def test_seed_demo_writes_a_consistent_stage_history():
    _seed(jobs=30, candidates=30)
    changes: dict[int, list[StageChange]] = {}
    for change in StageChange.objects.order_by("application_id", "created_at", "id"):
        changes.setdefault(change.application_id, []).append(change)

    applications = list(Application.objects.select_related("stage", "job"))
    assert applications
    for application in applications:
        history = changes[application.pk]
        assert history[0].from_stage_id is None
        assert history[0].to_stage.kind == Stage.Kind.APPLIED
        for before, after in zip(history, history[1:], strict=False):
            assert after.from_stage_id == before.to_stage_id
            assert after.created_at > before.created_at
        assert history[-1].to_stage_id == application.stage_id
        assert history[-1].status == application.status
        assert application.stage_entered_at == history[-1].created_at
        assert application.created_at >= application.job.published_at
        assert application.stage.company_id == application.job.company_id
        if application.status in (Application.Status.REJECTED, Application.Status.HIRED):
            assert application.stage.kind == application.status


def test_seed_demo_interviews_are_run_by_company_members():
    _seed(jobs=30, candidates=30)

    interviews = Interview.objects.prefetch_related("interviewers").select_related(
        "application__job"
    )
    assert interviews
    for interview in interviews:
        company_id = interview.application.job.company_id
        assert interview.ends_at > interview.starts_at
        for user in interview.interviewers.all():
            assert user.memberships.filter(company_id=company_id).exists()
    assert Scorecard.objects.filter(submitted_at__isnull=False, recommendation="").count() == 0
    assert Job.objects.filter(status=Job.Status.OPEN, published_at__isnull=True).count() == 0


@pytest.mark.parametrize("option", ["jobs", "candidates"])
def test_seed_demo_rejects_negative_numbers(option):
    with pytest.raises(CommandError, match=f"--{option} must be zero or more"):
        call_command("seed_demo", **{option: -1}, stdout=StringIO())
