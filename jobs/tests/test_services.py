from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from jobs.models import Job
from jobs.services import (
    job_archive,
    job_changes_set,
    job_close,
    job_create,
    job_publish,
    job_update,
    jobs_changes_save,
)
from recruitment.api import ApplicationError

pytestmark = pytest.mark.django_db


def test_job_create_makes_a_draft_with_a_unique_slug(company, recruiter):
    first = job_create(company=company, title="Backend Engineer", actor=recruiter)
    second = job_create(company=company, title="Backend Engineer", actor=recruiter)
    assert first.status == Job.Status.DRAFT
    assert (first.slug, second.slug) == ("backend-engineer", "backend-engineer-2")
    assert AuditEvent.objects.filter(action="job.created", company=company).count() == 2


def test_job_create_validates_fields(company, recruiter):
    with pytest.raises(ValidationError):
        job_create(
            company=company,
            title="X",
            actor=recruiter,
            salary_min=10,
            salary_max=5,
            salary_currency="EUR",
        )
    with pytest.raises(TypeError):
        job_create(company=company, title="X", actor=recruiter, status="open")


def test_publish_close_reopen_archive_with_audit(company, recruiter):
    job = job_create(company=company, title="Designer", actor=recruiter)
    job = job_publish(job=job, actor=recruiter)
    assert job.status == Job.Status.OPEN and job.published_at
    job = job_close(job=job, actor=recruiter)
    job = job_publish(job=job, actor=recruiter)
    job = job_close(job=job, actor=recruiter)
    job = job_archive(job=job, actor=recruiter)
    assert job.status == Job.Status.ARCHIVED
    actions = list(
        AuditEvent.objects.filter(target_id=str(job.pk), target_type="jobs.job")
        .order_by("id")
        .values_list("action", "changes__status")
    )
    assert actions == [
        ("job.created", None),
        ("job.published", ["draft", "open"]),
        ("job.closed", ["open", "closed"]),
        ("job.published", ["closed", "open"]),
        ("job.closed", ["open", "closed"]),
        ("job.archived", ["closed", "archived"]),
    ]


def test_job_create_with_publish_at_creates_it_open_in_one_write(company, recruiter):
    at = timezone.now() - timedelta(days=2)
    job = job_create(
        company=company,
        title="Designer",
        actor=recruiter,
        publish_at=at,
        closes_at=at - timedelta(days=1),  # already past: dropped, as job_publish does
    )
    job.refresh_from_db()
    assert (job.status, job.published_at, job.closes_at) == (Job.Status.OPEN, at, None)
    actions = list(
        AuditEvent.objects.filter(target_id=str(job.pk), target_type="jobs.job")
        .order_by("id")
        .values_list("action")
    )
    assert actions == [("job.created",), ("job.published",)]


def test_job_create_with_publish_at_needs_the_publish_permission(company, interviewer):
    with pytest.raises(PermissionDenied):
        job_create(company=company, title="Designer", actor=interviewer, publish_at=timezone.now())
    assert not Job.objects.exists()


def test_invalid_transitions_are_refused(company, recruiter):
    job = job_create(company=company, title="Designer", actor=recruiter)
    with pytest.raises(ApplicationError) as excinfo:
        job_close(job=job, actor=recruiter)
    assert excinfo.value.code == "invalid_transition"
    job_archive(job=job, actor=recruiter)
    with pytest.raises(ApplicationError):
        job_publish(job=job, actor=recruiter)


def test_only_roles_with_the_permission_may_publish(company, other_company, recruiter, interviewer):
    job = job_create(company=company, title="Designer", actor=None)
    with pytest.raises(PermissionDenied):
        job_publish(job=job, actor=interviewer)
    foreign = job_create(company=other_company, title="Designer", actor=None)
    with pytest.raises(PermissionDenied):
        job_publish(job=foreign, actor=recruiter)


def test_job_update_records_changes_only_when_something_changed(company, recruiter):
    job = job_create(company=company, title="Designer", actor=recruiter)
    job_update(job=job, actor=recruiter, title="Designer")
    assert not AuditEvent.objects.filter(action="job.updated").exists()
    job_update(job=job, actor=recruiter, title="Product Designer", city="Lisbon")
    event = AuditEvent.objects.get(action="job.updated")
    assert event.changes["title"] == ["Designer", "Product Designer"]
    with pytest.raises(TypeError):
        job_update(job=job, actor=recruiter, company=None)


def test_job_create_finds_a_free_slug_in_one_query_however_many_share_the_title(company):
    for _ in range(25):
        job_create(company=company, title="Backend Engineer", actor=None)
    with CaptureQueriesContext(connection) as queries:
        job = job_create(company=company, title="Backend Engineer", actor=None)
    assert job.slug == "backend-engineer-26"
    slug_queries = [q for q in queries.captured_queries if "backend-engineer" in q["sql"]]
    assert len(slug_queries) <= 3  # the stem lookup, the unique check, the insert


def test_jobs_changes_save_writes_many_jobs_as_job_update_does_in_a_few_queries(company):
    jobs = [job_create(company=company, title=f"Role {n}", actor=None) for n in range(6)]
    changes = {job: job_changes_set(job=job, city="Porto", country="PT") for job in jobs[:3]}
    changes |= {job: job_changes_set(job=job, title=f"{job.title}!") for job in jobs[3:]}
    unchanged = job_changes_set(job=jobs[0], city="Porto")
    assert unchanged == {}
    with CaptureQueriesContext(connection) as queries:
        jobs_changes_save(changes=changes, actor=None)
    assert len(queries) == 3  # one UPDATE per set of fields, one INSERT of events
    assert Job.objects.filter(city="Porto", country="PT").count() == 3
    event = AuditEvent.objects.filter(action="job.updated", target_id=str(jobs[0].pk)).get()
    assert event.changes == {"city": ["", "Porto"], "country": ["", "PT"]}
    assert event.actor_label == "system"
    with pytest.raises(ValidationError):
        job_changes_set(job=jobs[0], salary_min=10, salary_max=5, salary_currency="EUR")


def test_every_writer_stores_a_safe_description(company):
    """The job page shows description_html as stored: a script from any writer (the back
    office's form included) never reaches it."""
    job = job_create(
        company=company,
        title="Engineer",
        actor=None,
        description_html='<p onclick="steal()">Hi</p><script>alert(1)</script>',
    )
    assert "<script" not in job.description_html and "onclick" not in job.description_html
    assert "Hi" in job.description_html
    job_update(job=job, actor=None, description_html='<img src=x onerror="alert(2)"><b>Bold</b>')
    job.refresh_from_db()
    assert "onerror" not in job.description_html and "<b>Bold</b>" in job.description_html
