from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from applications.models import Application, Stage, StageChange
from applications.services import application_move
from applications.tests.factories import _application
from jobs.models import Job
from jobs.tests.factories import JobFactory
from recruitment.tests.admin_helpers import _messages, _url


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
