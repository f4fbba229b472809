"""The back office's dashboard: a company's funnel, times, sources and interviewer load as
accessible SVG and tables, for those who may report on it; the pipeline's panels for staff."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import CompanyFactory, MembershipFactory, UserFactory
from applications import reports
from applications.hiring import interview_schedule
from applications.models import Application, Stage, StageChange
from applications.services import application_hire, application_move, application_submit
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("admin-dashboard")


@pytest.fixture
def hiring(company):
    """Three applications: one hired after ten days, one moved to the screen, one new."""
    job = JobFactory(company=company)
    hired, screened, new = (
        application_submit(job=job, candidate=UserFactory(), consent_processing=True, source=s)
        for s in ("referral", "careers_site", "careers_site")
    )
    screen = Stage.objects.get(company=company, kind=Stage.Kind.SCREEN)
    application_move(application=hired, stage=screen, actor=None)
    application_move(application=screened, stage=screen, actor=None)
    application_hire(application=hired, actor=None)
    ten_days_ago = timezone.now() - timedelta(days=10)
    Application.objects.filter(pk=hired.pk).update(created_at=ten_days_ago)
    StageChange.objects.filter(application=hired, from_stage__isnull=True).update(
        created_at=ten_days_ago
    )
    StageChange.objects.filter(application=hired, to_stage=screen).update(
        created_at=ten_days_ago + timedelta(days=4)
    )
    interviewer = MembershipFactory(company=company, role=Role.INTERVIEWER).user
    starts = timezone.now() + timedelta(days=2)
    interview_schedule(
        application=screened, starts_at=starts, ends_at=starts + timedelta(hours=1),
        interviewer_ids=[interviewer.pk], actor=None,
    )  # fmt: skip
    return job, interviewer


def test_the_reports_count_the_funnel_times_sources_and_load(company, hiring):
    _, interviewer = hiring
    since = timezone.now() - timedelta(days=90)

    funnel = dict(reports.funnel(company_id=company.pk, since=since))
    assert (funnel["Applied"], funnel["Phone screen"], funnel["Hired"]) == (3, 2, 1)
    median, hires = reports.time_to_hire_days(company_id=company.pk, since=since)
    assert hires == 1 and 9.9 < median < 10.1
    in_stage = dict(reports.time_in_stage_days(company_id=company.pk, since=since))
    assert 1.9 < in_stage["Applied"] < 2.1  # the mean of the hire's 4 days and a moment
    sources = {row.source: row for row in reports.conversion_by_source(company_id=company.pk,
                                                                       since=since)}  # fmt: skip
    assert (sources["Referral"].applications, sources["Referral"].hired) == (1, 1)
    assert sources["Careers site"].applications == 2
    name = interviewer.full_name or interviewer.email
    assert reports.interviewer_load(company_id=company.pk) == [(name, 0, 1)]


def test_a_hiring_manager_sees_their_companys_dashboard_as_svg(client, company, hiring):
    manager = MembershipFactory(company=company, role=Role.HIRING_MANAGER).user
    MembershipFactory(company=CompanyFactory(), user=manager, role=Role.INTERVIEWER)
    client.force_login(manager)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert [pk for pk, _ in response.context["companies"]] == [company.pk]  # not the other
    page = response.content.decode()
    assert '<svg class="chart" role="img" aria-labelledby="funnel-title funnel-desc"' in page
    assert '<desc id="funnel-desc">Applied: 3; Phone screen: 2;' in page
    assert "median time to hire" in page
    assert "Last pipeline runs" not in page  # the pipeline is the operators'
    assert client.get(DASHBOARD, {"company": CompanyFactory().pk}).context["company_id"] == (
        company.pk
    )


def test_an_interviewer_has_no_dashboard_and_a_superuser_sees_the_pipeline(
    company, interviewer, admin_client_
):
    interviewer_client = Client()
    interviewer_client.force_login(interviewer)
    assert interviewer_client.get(DASHBOARD).status_code == 403

    response = admin_client_.get(DASHBOARD, {"days": "30"})
    assert response.status_code == 200
    assert response.context["days"] == 30
    assert "Last pipeline runs" in response.content.decode()
    assert reverse("admin-dashboard") in admin_client_.get(reverse("admin:index")).content.decode()
