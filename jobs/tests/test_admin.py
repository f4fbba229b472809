import pytest

from accounts.models import AuditEvent
from jobs.models import Job
from jobs.services import job_archive
from jobs.tests.factories import JobFactory, SkillFactory
from recruitment.tests.admin_helpers import _messages, _url


def _publish(client, *jobs):
    return client.post(
        _url(Job, "changelist"),
        {"action": "publish_jobs", "_selected_action": [job.pk for job in jobs]},
    )


def test_job_admin_publish_action_publishes_a_draft_and_audits(admin_client_, superuser):
    job = JobFactory(status=Job.Status.DRAFT, published_at=None)

    response = _publish(admin_client_, job)

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.OPEN
    assert job.published_at is not None
    event = AuditEvent.objects.get(action="job.published", target_id=str(job.pk))
    assert event.actor == superuser
    assert "Published 1 job(s)." in _messages(response)


def test_job_admin_publish_action_reports_an_archived_job_instead_of_failing(admin_client_):
    archived = job_archive(job=JobFactory(status=Job.Status.DRAFT, published_at=None), actor=None)
    draft = JobFactory(status=Job.Status.DRAFT, published_at=None)

    response = _publish(admin_client_, archived, draft)

    assert response.status_code == 302
    archived.refresh_from_db()
    draft.refresh_from_db()
    assert archived.status == Job.Status.ARCHIVED
    assert draft.status == Job.Status.OPEN
    messages = _messages(response)
    assert any(m.startswith(f"{archived}: ") and "cannot become open" in m for m in messages)
    assert "Published 1 job(s)." in messages


def test_job_admin_close_and_archive_actions(admin_client_):
    job = JobFactory()

    admin_client_.post(
        _url(Job, "changelist"), {"action": "close_jobs", "_selected_action": [job.pk]}
    )
    job.refresh_from_db()
    assert job.status == Job.Status.CLOSED

    admin_client_.post(
        _url(Job, "changelist"), {"action": "archive_jobs", "_selected_action": [job.pk]}
    )
    job.refresh_from_db()
    assert job.status == Job.Status.ARCHIVED


def _job_form(**overrides):
    data = {
        "title": "Data Engineer",
        "closes_at_0": "",
        "closes_at_1": "",
        "description_html": "",
        "description_text": "Pipelines.",
        "questions": "[]",
        "city": "Berlin",
        "region": "",
        "country": "DE",
        "remote": Job.Remote.HYBRID,
        "employment_type": Job.EmploymentType.FULL_TIME,
        "seniority": "",
        "salary_min": "",
        "salary_max": "",
        "salary_currency": "",
        "salary_period": "year",
        "external_url": "",
        "external_id": "",
        "job_skills-TOTAL_FORMS": "0",
        "job_skills-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def test_job_admin_add_goes_through_job_create(admin_client_, company, superuser):
    skill = SkillFactory()

    response = admin_client_.post(
        _url(Job, "add"),
        _job_form(
            company=company.pk,
            hiring_team=[superuser.pk],
            **{
                "job_skills-TOTAL_FORMS": "1",
                "job_skills-0-skill": skill.pk,
                "job_skills-0-required": "on",
            },
        ),
    )

    assert response.status_code == 302
    job = Job.objects.get(company=company, title="Data Engineer")
    assert job.slug == "data-engineer"
    assert job.status == Job.Status.DRAFT
    assert job.created_by == superuser
    assert list(job.skills.all()) == [skill]
    assert list(job.hiring_team.all()) == [superuser]
    assert AuditEvent.objects.filter(action="job.created", target_id=str(job.pk)).exists()


def test_job_admin_change_goes_through_job_update_and_keeps_status(admin_client_):
    job = JobFactory(status=Job.Status.DRAFT, published_at=None)

    response = admin_client_.post(
        _url(Job, "change", job.pk), _job_form(title="Staff Engineer", status="open")
    )

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.title == "Staff Engineer"
    assert job.status == Job.Status.DRAFT
    event = AuditEvent.objects.get(action="job.updated", target_id=str(job.pk))
    assert event.changes["title"] == ["Senior Python Engineer", "Staff Engineer"]


def test_job_admin_never_shows_vectors(admin_client_):
    job = JobFactory(embedding=[0.125] * 384)

    response = admin_client_.get(_url(Job, "change", job.pk))

    form = response.context["adminform"].form
    assert "embedding" not in form.fields
    assert "search_vector" not in form.fields
    assert "status" not in form.fields
    assert "0.125" not in response.content.decode()


def test_job_admin_duplicate_action_makes_a_draft_copy_with_skills_and_team(client, recruiter):
    company = recruiter.memberships.get().company
    job = JobFactory(company=company, external_url="https://example.com/jobs/1", external_id="1")
    skill = SkillFactory()
    job.job_skills.create(skill=skill, required=False)
    job.hiring_team.add(recruiter)
    client.force_login(recruiter)

    response = client.post(
        _url(Job, "changelist"), {"action": "duplicate_jobs", "_selected_action": [job.pk]}
    )

    assert response.status_code == 302
    assert "Duplicated 1 job(s) as drafts." in _messages(response)
    copy = Job.objects.exclude(pk=job.pk).get(company=company)
    assert (copy.title, copy.status, copy.city) == (job.title, Job.Status.DRAFT, job.city)
    assert copy.slug != job.slug
    assert (copy.external_url, copy.external_id) == ("", "")
    assert list(copy.job_skills.values_list("skill", "required")) == [(skill.pk, False)]
    assert list(copy.hiring_team.all()) == [recruiter]
    event = AuditEvent.objects.get(action="job.duplicated", target_id=str(copy.pk))
    assert event.changes == {"duplicate_of": [None, job.pk]}


def test_job_admin_filters_by_origin_and_company(admin_client_):
    posted = JobFactory()
    crawled = JobFactory(external_url="https://example.com/jobs/2")

    def listed(**params):
        response = admin_client_.get(_url(Job, "changelist"), params)
        return {job.pk for job in response.context["cl"].result_list}

    assert listed(origin="posted") >= {posted.pk} and crawled.pk not in listed(origin="posted")
    assert crawled.pk in listed(origin="web") and posted.pk not in listed(origin="web")
    assert listed(company=posted.company_id) == {posted.pk}


def test_job_admin_links_an_open_job_to_its_public_page(admin_client_):
    job = JobFactory(title="Open role")
    draft = JobFactory(status=Job.Status.DRAFT, published_at=None)
    public = f"/jobs/{job.company.slug}/{job.slug}/"

    page = admin_client_.get(_url(Job, "change", job.pk)).content.decode()
    assert f'href="{public}"' in page and "View on site" in page
    assert admin_client_.get(public).status_code == 200
    # A draft has no public page yet, so no link to one.
    assert "View on site" not in admin_client_.get(_url(Job, "change", draft.pk)).content.decode()


@pytest.mark.django_db
def test_the_admins_view_on_site_redirect_shows_a_member_only_their_companys_jobs(client):
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import Role
    from accounts.services import membership_set
    from accounts.tests.factories import UserFactory

    ours, theirs = JobFactory(), JobFactory()
    recruiter = UserFactory(is_staff=True)
    membership_set(company=ours.company, user=recruiter, role=Role.RECRUITER, actor=None)
    client.force_login(recruiter)
    content_type = ContentType.objects.get_for_model(Job).pk

    response = client.get(f"/admin/r/{content_type}/{ours.pk}/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/jobs/{ours.company.slug}/{ours.slug}/")
    # Another company's job: no redirect that would tell its slugs.
    assert client.get(f"/admin/r/{content_type}/{theirs.pk}/").status_code == 404
    assert client.get(f"/admin/r/{content_type}/999999999/").status_code == 404
    assert client.get("/admin/r/999999/1/").status_code == 404
