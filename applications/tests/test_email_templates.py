"""Email templates: merge fields checked and filled as plain text, automatic emails on stage
changes (once each), and the admin's preview."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent, NotificationPreference, OutboundEmail
from accounts.tests.factories import UserFactory
from applications.emails import email_template_save, merge, template_render
from applications.models import EmailTemplate, Stage
from applications.services import application_move, application_reject, application_submit
from jobs.tests.factories import JobFactory
from recruitment.tests.admin_helpers import _url

pytestmark = pytest.mark.django_db


def _template(company, **fields):
    return email_template_save(
        template=EmailTemplate(
            company=company,
            name=fields.pop("name", "Update"),
            subject=fields.pop("subject", "{{ job_title }} at {{ company_name }}"),
            body=fields.pop("body", "Hello {{ candidate_name }}, you are now at {{ stage }}."),
            **fields,
        ),
        actor=None,
    )


def _apply(job, name="Ada Lovelace"):
    return application_submit(
        job=job, candidate=UserFactory(full_name=name), consent_processing=True
    )


def test_merge_fields_are_plain_text_and_unknown_ones_are_refused(company):
    assert merge("Hi {{candidate_name}} {{ nope }}", {"candidate_name": "{{ x }}"}) == "Hi {{ x }} "
    with pytest.raises(ValidationError) as error:
        _template(company, body="{{ settings.SECRET_KEY }} {{ candidate_name.__class__ }}")
    assert "body" in error.value.message_dict
    with pytest.raises(ValidationError):
        _template(company, subject="{{ salary }}")
    assert not EmailTemplate.objects.exists()


def test_an_automatic_email_goes_out_once_when_an_application_enters_its_stage(company):
    job = JobFactory(company=company, title="Data Engineer")
    screen = Stage.objects.get(company=company, kind=Stage.Kind.SCREEN)
    template = _template(company, send_on_stage=screen)
    application = _apply(job)

    application_move(application=application, stage=screen, actor=None)

    (email,) = OutboundEmail.objects.filter(kind="application.stage_email")
    assert email.to == application.candidate.email
    assert email.subject == f"Data Engineer at {company.name}"
    assert email.body_text.startswith("Hello Ada Lovelace, you are now at ")
    assert email.refs == [application.pk, template.pk]
    assert AuditEvent.objects.filter(action="email_template.created").exists()


def test_a_template_of_another_company_or_stage_is_refused(company, other_company):
    foreign_stage = Stage.objects.filter(company=other_company).first()
    with pytest.raises(ValidationError) as error:
        _template(company, send_on_stage=foreign_stage)
    assert "send_on_stage" in error.value.message_dict
    application = _apply(JobFactory(company=company))
    foreign = _template(other_company)
    with pytest.raises(ValidationError):
        application_reject(application=application, actor=None, reason="No", email_template=foreign)
    application.refresh_from_db()
    assert application.status == "active"


def test_rejecting_with_a_chosen_template_replaces_the_automatic_one(company):
    rejected = Stage.objects.get(company=company, kind=Stage.Kind.REJECTED)
    _template(company, name="Automatic", subject="Automatic", send_on_stage=rejected)
    chosen = _template(company, name="Kind no", subject="Thank you, {{ candidate_name }}")
    first, second = _apply(JobFactory(company=company)), _apply(JobFactory(company=company), "Bob")
    NotificationPreference.objects.create(user=UserFactory(), application_updates=False)

    application_reject(application=first, actor=None, reason="Too junior", email_template=chosen)
    application_reject(application=second, actor=None, reason="Too senior")

    subjects = dict(
        OutboundEmail.objects.filter(kind="application.stage_email").values_list("to", "subject")
    )
    assert subjects == {
        first.candidate.email: "Thank you, Ada Lovelace",
        second.candidate.email: "Automatic",
    }


def test_a_candidate_who_turned_application_updates_off_gets_no_stage_email(company):
    screen = Stage.objects.get(company=company, kind=Stage.Kind.SCREEN)
    _template(company, send_on_stage=screen)
    application = _apply(JobFactory(company=company))
    NotificationPreference.objects.create(user=application.candidate, application_updates=False)

    application_move(application=application, stage=screen, actor=None)

    assert not OutboundEmail.objects.filter(kind="application.stage_email").exists()


def test_the_admin_previews_a_template_with_sample_values(admin_client_, company):
    template = _template(company)

    page = admin_client_.get(_url(EmailTemplate, "change", template.pk)).content.decode()

    subject, body = template_render(template)
    assert subject == "Data Engineer at Example Ltd"
    assert "Hello Ada Lovelace, you are now at Interview." in page
    assert body in page
