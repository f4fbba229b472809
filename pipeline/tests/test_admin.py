import uuid

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import CandidateProfileFactory, CompanyFactory, UserFactory
from jobs.tests.factories import JobFactory
from pipeline.models import Match, PipelineRun, ScrapedPosting, Source


def _source():
    return Source.objects.create(
        name=f"Acme board {uuid.uuid4().hex[:8]}",
        kind=Source.Kind.GREENHOUSE,
        company=CompanyFactory(),
        config={"board": "acme"},
    )


def _posting():
    now = timezone.now()
    return ScrapedPosting.objects.create(
        source=_source(),
        job=JobFactory(),
        external_id=uuid.uuid4().hex,
        url="https://boards.example.com/acme/1",
        first_seen_at=now,
        last_seen_at=now,
    )


def _run():
    now = timezone.now()
    return PipelineRun.objects.create(
        kind=PipelineRun.Kind.SCRAPE,
        source=_source(),
        status=PipelineRun.Status.SUCCEEDED,
        progress_done=3,
        progress_total=3,
        triggered_by=UserFactory(),
        started_at=now,
        finished_at=now,
    )


# One fresh row per call, for every model the pipeline admin registers.
ROW_MAKERS = {
    Source: _source,
    ScrapedPosting: _posting,
    PipelineRun: _run,
    Match: lambda: Match.objects.create(
        candidate=CandidateProfileFactory(), job=JobFactory(), score=0.8
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


@pytest.fixture
def admin_client_(client, superuser):
    client.force_login(superuser)
    return client


def test_every_pipeline_model_is_in_the_admin():
    registered = set(admin.site._registry)
    inlines = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    assert set(apps.get_app_config("pipeline").get_models()) <= registered | inlines


@pytest.mark.parametrize("model_admin", _registered("pipeline"))
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


@pytest.mark.parametrize("model_admin", _registered("pipeline"))
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


@pytest.mark.parametrize(("model", "field"), _autocompletes("pipeline"))
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


@pytest.mark.parametrize("model", [ScrapedPosting, PipelineRun, Match])
def test_pipeline_output_is_not_edited_by_hand(admin_client_, model):
    row = ROW_MAKERS[model]()

    assert admin_client_.get(_url(model, "add")).status_code == 403
    response = admin_client_.get(_url(model, "change", row.pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
