"""The applications list's bulk actions (move, reject with an email, CSV export) and its
search through the candidate search, as a recruiter through the real admin views."""

import csv
import io

import pytest
from django.contrib.admin import helpers

from accounts.models import OutboundEmail
from accounts.tests.factories import CandidateProfileFactory, UserFactory
from applications.emails import email_template_save
from applications.models import Application, EmailTemplate, Stage, StageChange
from applications.services import application_submit
from jobs.tests.factories import JobFactory
from recruitment.tests.admin_helpers import _messages, _url

pytestmark = pytest.mark.django_db


def _apply(job, name="Ada Lovelace", **candidate):
    return application_submit(
        job=job, candidate=UserFactory(full_name=name, **candidate), consent_processing=True
    )


def _post(client, action, applications, **data):
    return client.post(
        _url(Application, "changelist"),
        {
            "action": action,
            helpers.ACTION_CHECKBOX_NAME: [application.pk for application in applications],
            **data,
        },
    )


def test_bulk_move_asks_for_the_stage_then_moves_each_through_the_service(
    client, company, recruiter
):
    job = JobFactory(company=company)
    applications = [_apply(job), _apply(job, "Bob")]
    screen = Stage.objects.get(company=company, kind=Stage.Kind.SCREEN)
    client.force_login(recruiter)

    page = _post(client, "move_to_stage", applications)
    assert page.status_code == 200
    assert screen in page.context["form"].fields["stage"].queryset
    assert not page.context["form"].fields["stage"].queryset.filter(kind="hired").exists()

    done = _post(client, "move_to_stage", applications, stage=screen.pk, apply="1")

    assert done.status_code == 302
    assert f"Moved 2 application(s) to {screen.name}." in _messages(done)
    assert set(Application.objects.values_list("stage", flat=True)) == {screen.pk}
    assert StageChange.objects.filter(to_stage=screen, actor=recruiter).count() == 2


def test_bulk_actions_refuse_a_selection_across_companies(admin_client_):
    applications = [_apply(JobFactory()), _apply(JobFactory())]

    response = _post(admin_client_, "move_to_stage", applications)

    assert response.status_code == 302
    assert "Select applications of one company" in _messages(response)[0]


def test_bulk_reject_previews_the_email_and_sends_it(client, company, recruiter):
    job = JobFactory(company=company, title="Data Engineer")
    applications = [_apply(job), _apply(job, "Bob")]
    template = email_template_save(
        template=EmailTemplate(
            company=company,
            name="Kind no",
            subject="About {{ job_title }}",
            body="Dear {{ candidate_name }}, thank you. {{ recruiter_name }}",
        ),
        actor=None,
    )
    client.force_login(recruiter)

    preview = _post(
        client, "reject_with_email", applications, reason="Too junior",
        email_template=template.pk, preview="1",
    )  # fmt: skip
    assert preview.status_code == 200
    first, subject, body = preview.context["preview"]
    assert first == applications[0]
    assert subject == "About Data Engineer"
    assert body == f"Dear Ada Lovelace, thank you. {recruiter.full_name}"
    page = preview.content.decode()  # the shared action form, with this action's extras
    assert "<strong>About Data Engineer</strong>" in page
    assert 'name="preview" value="Preview the email"' in page
    assert page.count('name="_selected_action"') == 2 and "cancel-link" in page
    assert Application.objects.filter(status="active").count() == 2

    missing_reason = _post(client, "reject_with_email", applications, apply="1")
    assert missing_reason.status_code == 200
    assert "reason" in missing_reason.context["form"].errors

    done = _post(
        client, "reject_with_email", applications, reason="Too junior",
        email_template=template.pk, apply="1",
    )  # fmt: skip

    assert done.status_code == 302
    assert "Rejected 2 application(s)." in _messages(done)
    assert set(Application.objects.values_list("status", "rejection_reason")) == {
        ("rejected", "Too junior")
    }
    emails = OutboundEmail.objects.filter(kind="application.stage_email")
    assert sorted(emails.values_list("subject", flat=True)) == ["About Data Engineer"] * 2


def test_csv_export_has_what_the_user_may_see_and_defuses_formulas(
    client, company, recruiter, hiring_manager
):
    job = JobFactory(company=company, title="=HYPERLINK(evil)")
    mine = _apply(job, "+Ada")
    other = _apply(JobFactory(), "Eve")
    client.force_login(recruiter)

    refused = _post(client, "export_csv", [mine, other])
    assert refused.status_code == 403  # Eve's application is another company's
    response = _post(client, "export_csv", [mine])

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["application_id", "candidate_name", "candidate_email"]
    assert rows[1][:4] == [str(mine.pk), "'+Ada", mine.candidate.email, "'=HYPERLINK(evil)"]
    assert len(rows) == 2

    client.force_login(hiring_manager)  # may view applications, not export them
    job.hiring_team.add(hiring_manager)
    refused = _post(client, "export_csv", [mine])  # no such action for them: the list again
    assert refused["Content-Type"].startswith("text/html")
    listing = client.get(_url(Application, "changelist"))
    assert "export_csv" not in dict(listing.context["cl"].model_admin.get_action_choices(
        listing.wsgi_request
    ))  # fmt: skip


def test_search_finds_applicants_by_skills_and_resume_text(client, company, recruiter):
    job = JobFactory(company=company)
    kafka = _apply(job, "Grace Hopper")
    CandidateProfileFactory(user=kafka.candidate, skills=["Kafka", "Scala"], resume_text="")
    _apply(job, "Alan Turing")
    _apply(JobFactory(), "Kafka Fan")  # another company's
    client.force_login(recruiter)

    response = client.get(_url(Application, "changelist"), {"q": "kafka"})

    assert [a.pk for a in response.context["cl"].result_list] == [kafka.pk]
    by_name = client.get(_url(Application, "changelist"), {"q": "Alan Turing"})
    assert [a.candidate.full_name for a in by_name.context["cl"].result_list] == ["Alan Turing"]


def test_the_list_filters_by_job_stage_and_rating(client, company, recruiter):
    job, other_job = JobFactory(company=company), JobFactory(company=company)
    rated = _apply(job)
    Application.objects.filter(pk=rated.pk).update(rating=4)
    unrated = _apply(job, "Bob")
    elsewhere = _apply(other_job, "Cy")
    screen = Stage.objects.get(company=company, kind=Stage.Kind.SCREEN)
    client.force_login(recruiter)

    def listed(**params):
        response = client.get(_url(Application, "changelist"), params)
        return {application.pk for application in response.context["cl"].result_list}

    assert listed(job=job.pk) == {rated.pk, unrated.pk}
    assert listed(job=other_job.pk) == {elsewhere.pk}
    assert listed(job=JobFactory().pk) == set()  # another company's job finds nothing
    assert listed(rating="4") == {rated.pk}
    assert listed(rating="none") == {unrated.pk, elsewhere.pk}
    assert listed(job=job.pk, stage__id__exact=screen.pk) == set()
    response = client.get(_url(Application, "changelist"))
    filters = {spec.title: spec for spec in response.context["cl"].filter_specs}
    assert {pk for pk, _ in filters["job"].lookup_choices} == {job.pk, other_job.pk}
