"""Idempotency-Key on POST: replay, a concurrent duplicate, a reused key, scoping per caller."""

import itertools
import threading
import uuid

import pytest
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.models import User
from recruitment.idempotency import IdempotentPostMixin

_counter = itertools.count(1)


class _Anyone(BasePermission):
    def has_permission(self, request, view):
        return True


class _Create(IdempotentPostMixin, APIView):
    permission_classes = [_Anyone]
    started: threading.Event | None = None
    release: threading.Event | None = None
    fail = False

    def post(self, request):
        if self.started is not None:
            self.started.set()
            self.release.wait(10)
        if self.fail:
            return Response({"error": {"code": "invalid"}}, status=400)
        return Response({"id": next(_counter), "sent": request.data}, status=201)


def _post(view, *, user_id=1, key="k1", data=None, path="/things"):
    request = APIRequestFactory().post(
        path, data or {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    force_authenticate(request, user=User(pk=user_id, email=f"u{user_id}@example.com"))
    response = view(request)
    if hasattr(response, "render"):
        response.render()
    return response


@pytest.fixture
def key():
    return uuid.uuid4().hex  # a fresh key per test: nothing to clean up in the shared cache


def test_the_same_key_replays_the_first_answer_without_running_again(key):
    view = _Create.as_view()
    first = _post(view, key=key)
    second = _post(view, key=key)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first


def test_a_client_error_is_replayed_too(key):
    view = _Create.as_view(fail=True)
    assert _post(view, key=key).status_code == 400
    assert _post(view, key=key)["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_refused_with_422(key):
    view = _Create.as_view()
    _post(view, key=key, data={"name": "a"})
    response = _post(view, key=key, data={"name": "b"})
    assert response.status_code == 422
    assert response.data["error"]["code"] == "idempotency_mismatch"


def test_keys_are_scoped_per_caller(key):
    view = _Create.as_view()
    mine = _post(view, user_id=1, key=key)
    theirs = _post(view, user_id=2, key=key)
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.content != mine.content


def test_a_duplicate_while_the_first_still_runs_gets_409(key):
    started, release = threading.Event(), threading.Event()
    view = _Create.as_view(started=started, release=release)
    answers = {}
    first = threading.Thread(target=lambda: answers.setdefault("first", _post(view, key=key)))
    first.start()
    assert started.wait(10)
    duplicate = _post(_Create.as_view(), key=key)
    release.set()
    first.join(10)
    assert duplicate.status_code == 409
    assert duplicate.data["error"]["code"] == "idempotency_in_progress"
    assert answers["first"].status_code == 201
    # Once the first has finished, the key replays its answer.
    assert _post(_Create.as_view(), key=key).content == answers["first"].content


@pytest.mark.parametrize("bad", ["", "x" * 256, "tab\there"])
def test_a_malformed_key_is_a_400(bad):
    response = _post(_Create.as_view(), key=bad)
    assert response.status_code == 400
    assert response.data["error"]["code"] == "invalid_idempotency_key"


def test_a_post_without_a_key_runs_every_time():
    view = _Create.as_view()
    request = APIRequestFactory().post("/things", {"name": "a"}, format="json")
    force_authenticate(request, user=User(pk=1))
    first = view(request).data["id"]
    request = APIRequestFactory().post("/things", {"name": "a"}, format="json")
    force_authenticate(request, user=User(pk=1))
    assert view(request).data["id"] != first
