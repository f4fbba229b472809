"""The partner API's access core: what an API key may do, in which company, and the defaults."""

from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.test import APIRequestFactory

from accounts.authentication import ApiKeyPrincipal
from accounts.permissions import (
    ALL_PERMISSIONS,
    KEY_SCOPE_OF_PERM,
    company_ids_with,
    has_perm,
    person_of,
)
from accounts.services import API_KEY_SCOPES, audit_record
from recruitment.api import etag_of, if_match_check
from recruitment.permissions import DenyAll

pytestmark = pytest.mark.django_db


def _principal(company, *scopes):
    from accounts.services import api_key_create

    api_key, _ = api_key_create(
        company=company, name=f"key of {len(scopes)} scopes", scopes=list(scopes), actor=None
    )
    return ApiKeyPrincipal(api_key)


def test_every_key_scope_of_a_permission_is_a_real_scope_and_permission():
    assert set(KEY_SCOPE_OF_PERM) <= ALL_PERMISSIONS
    assert set(KEY_SCOPE_OF_PERM.values()) <= API_KEY_SCOPES


def test_a_key_holds_a_permission_by_its_scope_in_its_own_company_only(company, other_company):
    reader = _principal(company, "jobs:read")
    job_here = SimpleNamespace(company_id=company.pk)
    job_there = SimpleNamespace(company_id=other_company.pk)
    assert has_perm(reader, "jobs.view", job_here)
    assert not has_perm(reader, "jobs.view", job_there)
    assert not has_perm(reader, "jobs.edit", job_here)
    assert company_ids_with(reader, "jobs.view") == [company.pk]
    assert company_ids_with(reader, "jobs.edit") == []


def test_write_scope_includes_read(company):
    writer = _principal(company, "applications:write")
    assert has_perm(writer, "applications.view")
    assert has_perm(writer, "applications.move")
    assert not has_perm(writer, "jobs.view")


def test_a_key_never_holds_a_permission_that_has_no_scope(company):
    everything = _principal(company, *sorted(API_KEY_SCOPES))
    for perm in ("members.manage", "apikeys.manage", "company.delete", "owners.manage"):
        assert not has_perm(everything, perm, company)


def test_the_audit_trail_names_the_key_and_stores_no_person(company):
    principal = _principal(company, "jobs:write")
    event = audit_record(action="job.updated", actor=principal, company=company)
    assert event.actor_id is None
    assert event.actor_label == f"API key {principal.api_key.prefix}"
    assert person_of(principal) is None


def test_if_match_refuses_another_version_and_accepts_the_current_one_or_star():
    row = SimpleNamespace(pk=7, updated_at=timezone.now())
    factory = APIRequestFactory()

    def check(header):
        request = factory.patch("/x", HTTP_IF_MATCH=header) if header else factory.patch("/x")
        request.headers  # noqa: B018 - a Django request: `headers` is what the helper reads
        return if_match_check(request, row)

    assert check(None) is None
    assert check(etag_of(row)) is None
    assert check(f'W/{etag_of(row)}, "other"') is None
    assert check("*") is None
    with pytest.raises(APIException) as refused:
        check('"7-1"')
    assert refused.value.status_code == 412


def _api_views():
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "cls", None)
                if view_class is not None:
                    yield pattern, view_class

    return list(walk(get_resolver().url_patterns))


def test_every_api_view_states_its_permission_classes():
    views = _api_views()
    assert views
    for pattern, view_class in views:
        if view_class.__module__.startswith(("drf_spectacular", "rest_framework")):
            continue
        assert "permission_classes" in {
            name
            for klass in view_class.__mro__
            if klass.__module__.split(".")[0]
            in {"accounts", "jobs", "applications", "pipeline", "recruitment"}
            for name in vars(klass)
        }, f"{view_class.__qualname__} ({pattern.pattern}) states no permission_classes"
        assert DenyAll not in view_class.permission_classes
