import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from applications.models import (
    Application,
    Document,
    Interview,
    Note,
    Offer,
    Scorecard,
    Stage,
    StageChange,
)
from applications.services import application_move, application_submit
from jobs.models import Job
from jobs.tests.factories import JobFactory


def _application():
    return application_submit(job=JobFactory(), candidate=UserFactory(), consent_processing=True)


def _interview(application=None):
    starts = timezone.now() + timedelta(days=1)
    return Interview.objects.create(
        application=application or _application(),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )


def _document():
    application = _application()
    return Document.objects.create(
        owner=application.candidate,
        application=application,
        storage_key=str(uuid.uuid4()),
        original_name="cv.pdf",
        content_type="application/pdf",
        size=1234,
        sha256="0" * 64,
    )


# One fresh row per call, for every model the applications admin registers.
ROW_MAKERS = {
    Stage: lambda: JobFactory().company.stages.first(),
    Application: _application,
    StageChange: lambda: _application().stage_changes.get(),
    Document: _document,
    Interview: _interview,
    Scorecard: lambda: Scorecard.objects.create(interview=_interview(), author=UserFactory()),
    Offer: lambda: Offer.objects.create(application=_application(), salary=70000, currency="EUR"),
    Note: lambda: Note.objects.create(
        application=_application(), author=UserFactory(), body="Strong on SQL."
    ),
}


def _registered(app_label):
    return [
        pytest.param(model_admin, id=model._meta.model_name)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == app_label
    ]


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_client_(client, superuser):
    client.force_login(superuser)
    return client


def test_every_applications_model_is_in_the_admin():
    registered = set(admin.site._registry)
    inlines = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    assert set(apps.get_app_config("applications").get_models()) <= registered | inlines


@pytest.mark.parametrize("model_admin", _registered("applications"))
def test_admin_pages_render_for_superuser(admin_client_, superuser, rf, model_admin):
    model = model_admin.model
    assert model in ROW_MAKERS, f"add a row maker for {model.__name__} to this test"
    row = ROW_MAKERS[model]()

    response = admin_client_.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert row.pk in [obj.pk for obj in response.context["cl"].result_list]
    assert admin_client_.get(_url(model, "changelist"), {"q": "x"}).status_code == 200
    assert admin_client_.get(_url(model, "change", row.pk)).status_code == 200

    request = rf.get("/")
    request.user = superuser
    if model_admin.has_add_permission(request):
        assert admin_client_.get(_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model_admin", _registered("applications"))
def test_admin_changelist_queries_do_not_grow_with_rows(admin_client_, model_admin):
    model = model_admin.model
    make = ROW_MAKERS[model]
    make()
    with CaptureQueriesContext(connection) as one_row:
        admin_client_.get(_url(model, "changelist"))
    make(), make(), make()
    with CaptureQueriesContext(connection) as more_rows:
        admin_client_.get(_url(model, "changelist"))
    assert len(more_rows) == len(one_row)


def _autocompletes(app_label):
    return [
        pytest.param(owner.model, field, id=f"{owner.model._meta.model_name}.{field}")
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == app_label
        for owner in (model_admin, *model_admin.inlines)
        for field in owner.autocomplete_fields
    ]


@pytest.mark.parametrize(("model", "field"), _autocompletes("applications"))
def test_admin_autocomplete_fields_answer(admin_client_, model, field):
    response = admin_client_.get(
        reverse("admin:autocomplete"),
        {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field,
            "term": "x",
        },
    )

    assert response.status_code == 200


def _change_form(application, **overrides):
    """What the change page posts, with the read-only history rows as the browser sends them."""
    history = list(application.stage_changes.values_list("pk", flat=True))
    data = {
        "rating": "4",
        "stage_changes-TOTAL_FORMS": str(len(history)),
        "stage_changes-INITIAL_FORMS": str(len(history)),
        **{f"stage_changes-{i}-id": pk for i, pk in enumerate(history)},
        **{f"stage_changes-{i}-application": application.pk for i in range(len(history))},
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "interviews-TOTAL_FORMS": "0",
        "interviews-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def test_application_admin_keeps_status_and_stage_read_only(admin_client_):
    application = _application()
    screen = Stage.objects.get(company=application.job.company, kind=Stage.Kind.SCREEN)

    response = admin_client_.post(
        _url(Application, "change", application.pk),
        _change_form(application, stage=screen.pk, status=Application.Status.HIRED),
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.rating == 4
    assert application.stage.kind == Stage.Kind.APPLIED
    assert application.status == Application.Status.ACTIVE
    assert application.stage_changes.count() == 1
    form = admin_client_.get(_url(Application, "change", application.pk)).context["adminform"].form
    assert "stage" not in form.fields
    assert "status" not in form.fields


def test_application_admin_shows_the_stage_history_read_only(admin_client_, superuser):
    application = _application()
    screen = Stage.objects.get(company=application.job.company, kind=Stage.Kind.SCREEN)
    application_move(application=application, stage=screen, actor=None, reason="Good CV")

    response = admin_client_.get(_url(Application, "change", application.pk))

    [history] = [
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.model is StageChange
    ]
    assert history.formset.queryset.count() == 2
    assert not history.has_add_permission
    assert not history.has_change_permission
    assert not history.has_delete_permission
    assert "Good CV" in response.content.decode()


def test_application_admin_adds_a_note_as_the_current_user(admin_client_, superuser):
    application = _application()

    response = admin_client_.post(
        _url(Application, "change", application.pk),
        _change_form(
            application, **{"notes-TOTAL_FORMS": "1", "notes-0-body": "Call back on Monday."}
        ),
    )

    assert response.status_code == 302
    note = application.notes.get()
    assert note.body == "Call back on Monday."
    assert note.author == superuser


def test_application_admin_add_goes_through_application_submit(admin_client_, superuser):
    job = JobFactory()
    candidate = UserFactory()

    response = admin_client_.post(
        _url(Application, "add"),
        {
            "job": job.pk,
            "candidate": candidate.pk,
            "source": Application.Source.SOURCED,
            "cover_letter": "",
            "answers": "{}",
            "consent_processing": "on",
        },
    )

    assert response.status_code == 302
    application = Application.objects.get(job=job, candidate=candidate)
    assert application.stage.kind == Stage.Kind.APPLIED
    assert application.stage_changes.get().actor == superuser
    assert AuditEvent.objects.filter(
        action="application.submitted", target_id=str(application.pk), actor=superuser
    ).exists()


def test_application_admin_add_to_a_closed_job_is_a_message_not_a_500(admin_client_):
    job = JobFactory(status=Job.Status.CLOSED)
    candidate = UserFactory()

    response = admin_client_.post(
        _url(Application, "add"),
        {
            "job": job.pk,
            "candidate": candidate.pk,
            "source": Application.Source.SOURCED,
            "answers": "{}",
            "consent_processing": "on",
        },
    )

    assert response.status_code == 302
    assert response.url == _url(Application, "add")
    assert "This job is not open for applications." in _messages(response)
    assert not Application.objects.filter(job=job).exists()


def test_stage_change_admin_is_read_only(admin_client_):
    change = _application().stage_changes.get()

    assert admin_client_.get(_url(StageChange, "add")).status_code == 403
    assert admin_client_.get(_url(StageChange, "delete", change.pk)).status_code == 403
