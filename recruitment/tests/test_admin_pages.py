"""Checks every registered ModelAdmin of the project's apps gets, whatever it is.

Each app's ``<app>/tests/factories.py`` holds ``ADMIN_ROWS``: one fresh row per call for
every model its admin registers. Behaviour particular to one admin (actions, audits,
read-only rules) is tested in that app's ``tests/test_admin.py``.
"""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recruitment.tests.admin_helpers import _url

APP_LABELS = ("accounts", "jobs", "applications", "pipeline")

ADMIN_ROWS = {
    model: make
    for app_label in APP_LABELS
    for model, make in import_module(f"{app_label}.tests.factories").ADMIN_ROWS.items()
}


def _id(model):
    return f"{model._meta.app_label}-{model._meta.model_name}"


def _registered():
    return [
        pytest.param(model_admin, id=_id(model))
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in APP_LABELS
    ]


def _autocompletes():
    return [
        pytest.param(owner.model, field, id=f"{_id(owner.model)}.{field}")
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in APP_LABELS
        for owner in (model_admin, *model_admin.inlines)
        for field in owner.autocomplete_fields
    ]


def _row_maker(model):
    assert model in ADMIN_ROWS, (
        f"add a row maker for {model.__name__} "
        f"to {model._meta.app_label}/tests/factories.py ADMIN_ROWS"
    )
    return ADMIN_ROWS[model]


@pytest.mark.parametrize("app_label", APP_LABELS)
def test_every_model_is_in_the_admin(app_label):
    registered = set(admin.site._registry)
    inlines = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    assert set(apps.get_app_config(app_label).get_models()) <= registered | inlines


@pytest.mark.parametrize("model_admin", _registered())
def test_admin_pages_render_for_superuser(admin_client_, superuser, rf, model_admin):
    model = model_admin.model
    row = _row_maker(model)()

    response = admin_client_.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert row.pk in [obj.pk for obj in response.context["cl"].result_list]
    assert admin_client_.get(_url(model, "changelist"), {"q": "x"}).status_code == 200
    assert admin_client_.get(_url(model, "change", row.pk)).status_code == 200

    request = rf.get("/")
    request.user = superuser
    if model_admin.has_add_permission(request):
        assert admin_client_.get(_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model_admin", _registered())
def test_admin_changelist_queries_do_not_grow_with_rows(admin_client_, model_admin):
    model = model_admin.model
    make = _row_maker(model)
    make()
    with CaptureQueriesContext(connection) as one_row:
        admin_client_.get(_url(model, "changelist"))
    make(), make(), make()
    with CaptureQueriesContext(connection) as more_rows:
        admin_client_.get(_url(model, "changelist"))
    assert len(more_rows) == len(one_row)


@pytest.mark.parametrize(("model", "field"), _autocompletes())
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
