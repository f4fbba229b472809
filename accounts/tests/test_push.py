"""Web push against a local push service: a real HTTP server on 127.0.0.1 that records what it
gets and answers 201, or 404/410/500/307 for chosen endpoints. The browser's keys are made by
the test, which decrypts each payload (aes128gcm, http_ece) and checks the VAPID JWT."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts import push
from accounts.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboundPush,
    PushSubscription,
)
from accounts.notifications import notify, notify_many
from accounts.tasks import push_send_due
from accounts.tests.factories import UserFactory

SUBJECT = "mailto:push-admin@example.com"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


class PushService:
    """A fake push service: records requests; `answers[path]` is a list of statuses to give
    in turn (the last one repeats), 201 by default."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: dict[str, list[int]] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                statuses = service.answers.get(self.path, [201])
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                self.send_response(status)
                if status in (301, 302, 307, 308):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.origin + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def vapid_key(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = _b64(key.private_numbers().private_value.to_bytes(32, "big"))
    settings.VAPID_PUBLIC_KEY = ""
    settings.VAPID_SUBJECT = SUBJECT
    settings.PUSH_ALLOW_PRIVATE_TARGETS = True
    return key


class Browser:
    """A browser's push keys, as PushManager.subscribe() makes them."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self, endpoint: str) -> dict:
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": _b64(_point(self.key)), "auth": _b64(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict:
        # aes128gcm carries the sender's key in the header (salt 16, rs 4, idlen 1, keyid),
        # where http_ece reads it: no `dh` argument for this version.
        id_len = body[20]
        assert id_len == 65 and body[21] == 4
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


@pytest.fixture
def browser():
    return Browser()


@pytest.fixture
def person(db):
    return UserFactory()


@pytest.fixture
def person_client(person):
    client = Client()
    client.force_login(person)
    return client


def _subscribe(client, data) -> object:
    return client.post(
        reverse("me-push-subscribe"),
        data=json.dumps(data),
        content_type="application/json",
        HTTP_USER_AGENT="Firefox/140 test",
    )


def _subscription(person, browser, endpoint) -> PushSubscription:
    return push.push_subscription_save(
        user=person, **push.push_subscription_clean(browser.subscription(endpoint))
    )


def _notify(person, key="n-1", **fields) -> Notification:
    values = {
        "user": person,
        "kind": NotificationKind.APPLICATION_UPDATE,
        "title": "Data Engineer at Acme: Interview",
        "body": "Your application moved to “Interview”.",
        "url": "/me/",
        "dedupe_key": key,
    }
    return notify(**(values | fields))


def _verify_vapid(header: str, vapid_key: ec.EllipticCurvePrivateKey, audience: str) -> dict:
    """Check `Authorization: vapid t=<JWT>,k=<public key>`; return the JWT's claims."""
    scheme, _, params = header.partition(" ")
    assert scheme == "vapid"
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    assert _unb64(values["k"]) == _point(vapid_key)
    signing_input, _, signature = values["t"].rpartition(".")
    head, payload = (json.loads(_unb64(part)) for part in signing_input.split("."))
    assert head == {"typ": "JWT", "alg": "ES256"}
    raw = _unb64(signature)
    assert len(raw) == 64  # JOSE: r || s
    der = utils.encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    try:
        vapid_key.public_key().verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        pytest.fail("the VAPID JWT is not signed by the configured key")
    assert payload["aud"] == audience
    assert time.time() < payload["exp"] <= time.time() + 24 * 3600
    assert payload["sub"] == SUBJECT
    return payload


# --- Sending ----------------------------------------------------------------------------------


def test_a_notification_is_pushed_encrypted_for_the_browser_and_signed_with_vapid(
    person_client, person, browser, service, vapid_key, django_capture_on_commit_callbacks
):
    response = _subscribe(person_client, browser.subscription(service.url("/push/abc")))
    assert response.status_code == 201
    subscription = PushSubscription.objects.get(pk=response.json()["id"])
    assert (subscription.user, subscription.user_agent) == (person, "Firefox/140 test")

    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify(person)

    (request,) = service.requests
    assert request["path"] == "/push/abc"
    headers = request["headers"]
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) == 24 * 3600
    assert headers["urgency"] == "normal"
    assert browser.decrypt(request["body"]) == {
        "title": "Data Engineer at Acme: Interview",
        "body": "Your application moved to “Interview”.",
        "url": reverse("me-notification-open", args=[notification.pk]),
        "tag": f"notification-{notification.pk}",
    }
    _verify_vapid(headers["authorization"], vapid_key, audience=service.origin)
    push_row = OutboundPush.objects.get()
    assert (push_row.status, push_row.attempts, push_row.last_status_code) == ("sent", 1, 201)
    subscription.refresh_from_db()
    assert subscription.last_used_at is not None


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_deleted_and_never_pushed_to_again(
    person, browser, service, vapid_key, status, django_capture_on_commit_callbacks
):
    service.answers["/gone"] = [status]
    _subscription(person, browser, service.url("/gone"))

    with django_capture_on_commit_callbacks(execute=True):
        _notify(person)

    assert not PushSubscription.objects.exists()
    push_row = OutboundPush.objects.get()
    assert (push_row.status, push_row.last_error, push_row.subscription) == (
        "failed",
        f"HTTP {status}",
        None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _notify(person, key="n-2")
    assert len(service.requests) == 1
    assert OutboundPush.objects.count() == 1


def test_a_server_error_is_retried_later_with_backoff_and_not_lost(
    person, browser, service, vapid_key, settings, django_capture_on_commit_callbacks
):
    settings.PUSH_RETRY_SECONDS = 60
    service.answers["/flaky"] = [500, 503, 201]
    _subscription(person, browser, service.url("/flaky"))

    with django_capture_on_commit_callbacks(execute=True):
        _notify(person)

    push_row = OutboundPush.objects.get()
    assert (push_row.status, push_row.attempts, push_row.last_error) == ("pending", 1, "HTTP 500")
    wait = push_row.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=67)
    assert push.pushes_send_due()["claimed"] == 0  # not due yet

    later = timezone.now() + timedelta(minutes=2)
    assert push.pushes_send_due(now=later)["retried"] == 1
    push_row.refresh_from_db()
    assert push_row.next_attempt_at - later >= timedelta(seconds=120)  # doubled
    assert push.pushes_send_due(now=later + timedelta(minutes=5))["sent"] == 1

    push_row.refresh_from_db()
    assert (push_row.status, push_row.attempts) == ("sent", 3)
    assert [browser.decrypt(r["body"])["title"] for r in service.requests] == [
        "Data Engineer at Acme: Interview"
    ] * 3


def test_a_push_that_keeps_failing_gives_up_after_the_last_attempt(
    person, browser, service, vapid_key, settings
):
    settings.PUSH_MAX_ATTEMPTS = 2
    service.answers["/down"] = [502]
    _subscription(person, browser, service.url("/down"))
    _notify(person)  # its on-commit task never runs: the sweeper finds it

    now = timezone.now()
    assert push.pushes_send_due(now=now)["retried"] == 1
    assert push.pushes_send_due(now=now + timedelta(hours=2))["failed"] == 1
    assert OutboundPush.objects.get().status == "failed"
    assert PushSubscription.objects.exists()  # a failing service is not a gone subscription


def test_an_unreachable_push_service_is_retried(person, browser, vapid_key, settings):
    settings.PUSH_TIMEOUT = 2
    # A port nobody listens on: the connection is refused.
    closed = PushService()
    url = closed.url("/nobody")
    closed.close()
    _subscription(person, browser, url)
    _notify(person)

    assert push.pushes_send_due()["retried"] == 1
    push_row = OutboundPush.objects.get()
    assert push_row.status == "pending" and push_row.last_error.startswith("ConnectionError")


def test_a_refused_push_fails_for_good_without_retrying(person, browser, service, vapid_key):
    service.answers["/bad"] = [400]
    subscription = _subscription(person, browser, service.url("/bad"))
    _notify(person)

    assert push.pushes_send_due()["failed"] == 1
    assert push.pushes_send_due(now=timezone.now() + timedelta(days=1))["claimed"] == 0
    assert len(service.requests) == 1
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()


def test_redirects_are_not_followed(person, browser, service, vapid_key):
    service.answers["/moved"] = [307]
    _subscription(person, browser, service.url("/moved"))
    _notify(person)

    assert push.pushes_send_due()["failed"] == 1
    assert [r["path"] for r in service.requests] == ["/moved"]
    assert "redirect" in OutboundPush.objects.get().last_error


def test_the_same_notification_never_pushes_twice(
    person, browser, service, vapid_key, django_capture_on_commit_callbacks
):
    _subscription(person, browser, service.url("/once"))
    with django_capture_on_commit_callbacks(execute=True):
        first = _notify(person, key="stage-change:7")
        again = _notify(person, key="stage-change:7", title="Another title")

    assert first.pk == again.pk and Notification.objects.count() == 1
    push_row = OutboundPush.objects.get()
    assert push.pushes_send(push_ids=[push_row.pk])["taken"] == 1  # a redelivered task
    assert push.pushes_send_due(now=timezone.now() + timedelta(days=1))["claimed"] == 0
    assert len(service.requests) == 1


def test_the_sweeper_sends_pushes_whose_task_was_lost(person, browser, service, vapid_key):
    """A broker outage: the row is written with the notification, the task never runs."""
    _subscription(person, browser, service.url("/later"))
    _notify(person)
    assert service.requests == []

    result = push_send_due.apply().get()

    assert result["sent"] == 1
    assert OutboundPush.objects.get().status == "sent"
    assert PeriodicTask.objects.filter(task="accounts.push_send_due", enabled=True).exists()


def test_a_lost_last_attempt_is_given_up(person, browser, service, vapid_key, settings):
    settings.PUSH_MAX_ATTEMPTS = 1
    _subscription(person, browser, service.url("/lost"))
    _notify(person)
    row = OutboundPush.objects.get()
    assert push.push_claim(push_id=row.pk) is not None  # and then the worker died

    result = push.pushes_send_due(now=timezone.now() + timedelta(hours=1))

    assert result["gave_up"] == 1
    assert OutboundPush.objects.get().status == "failed"
    assert service.requests == []


def test_every_browser_of_the_person_gets_the_push(person, service, vapid_key):
    browsers = [Browser(), Browser()]
    for n, browser in enumerate(browsers):
        _subscription(person, browser, service.url(f"/device-{n}"))
    _subscription(UserFactory(), Browser(), service.url("/someone-else"))
    _notify(person)

    assert push.pushes_send_due()["sent"] == 2
    by_path = {r["path"]: r["body"] for r in service.requests}
    assert sorted(by_path) == ["/device-0", "/device-1"]
    for n, browser in enumerate(browsers):
        assert (
            browser.decrypt(by_path[f"/device-{n}"])["body"]
            == "Your application moved to “Interview”."
        )


def test_no_push_when_the_person_turned_that_kind_off(person, browser, service, vapid_key):
    NotificationPreference.objects.create(user=person, application_updates_push=False)
    _subscription(person, browser, service.url("/muted"))

    _notify(person)
    _notify(person, key="n-2", kind=NotificationKind.INTERVIEW_UPDATE)

    assert Notification.objects.count() == 2  # the in-app list has both
    (row,) = OutboundPush.objects.all()
    assert row.notification.kind == NotificationKind.INTERVIEW_UPDATE


def test_no_push_when_push_is_not_set_up(person, browser, service, settings):
    settings.VAPID_PRIVATE_KEY = ""
    settings.DEBUG = False
    settings.PUSH_ALLOW_PRIVATE_TARGETS = True
    PushSubscription.objects.create(user=person, endpoint=service.url("/x"), p256dh="x", auth="y")
    _notify(person)
    assert Notification.objects.count() == 1
    assert not OutboundPush.objects.exists()


def test_private_targets_are_refused_at_send_time_in_production(
    person, browser, service, vapid_key, settings
):
    _subscription(person, browser, service.url("/internal"))
    settings.PUSH_ALLOW_PRIVATE_TARGETS = False
    PushSubscription.objects.update(endpoint="https://localhost:9/internal")
    _notify(person)

    assert push.pushes_send_due()["failed"] == 1
    assert "non-public" in OutboundPush.objects.get().last_error
    assert service.requests == []


# --- VAPID keys -------------------------------------------------------------------------------


def test_a_public_key_that_does_not_match_the_private_key_is_refused(vapid_key, settings):
    settings.VAPID_PUBLIC_KEY = _b64(_point(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(ImproperlyConfigured, match="VAPID_PUBLIC_KEY"):
        push.push_vapid()
    settings.VAPID_PUBLIC_KEY = _b64(_point(vapid_key))
    assert push.push_public_key() == settings.VAPID_PUBLIC_KEY


def test_debug_without_keys_makes_a_development_key_once_and_keeps_it(settings, tmp_path):
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAPID_PUBLIC_KEY = ""
    settings.DEBUG = True
    settings.VAPID_DEV_KEY_FILE = tmp_path / "data" / "vapid.txt"

    first = push.push_public_key()

    assert len(_unb64(first)) == 65
    assert (settings.VAPID_DEV_KEY_FILE.stat().st_mode & 0o777) == 0o600
    assert push.push_public_key() == first
    settings.DEBUG = False
    assert push.push_public_key() == "" and not push.push_enabled()


# --- Subscribing ------------------------------------------------------------------------------


def _keys(browser, **changes):
    data = browser.subscription("https://push.example.com/send/abc")
    data["keys"] |= changes
    return data


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ("[1, 2]", None, "Send the subscription as a JSON object."),
        ("{}", "endpoint", "The subscription has no endpoint."),
        ('{"endpoint": "http://push.example.com/x"}', "endpoint", "https URL"),
        ('{"endpoint": "ftp://push.example.com/x"}', "endpoint", "https URL"),
        ('{"endpoint": "https://user:pw@push.example.com/x"}', "endpoint", "credentials"),
        ('{"endpoint": "https://push.example.com/x"}', "keys", "no keys"),
    ],
)
def test_subscribing_refuses_a_bad_subscription_clearly(
    person_client, vapid_key, payload, field, message
):
    response = person_client.post(
        reverse("me-push-subscribe"), data=payload, content_type="application/json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"]
    assert (field in error["fields"]) if field else error["fields"] == {}
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"p256dh": _b64(b"\x04" + b"\x01" * 63)}, "p256dh", "must be 65 bytes, not 64"),
        ({"p256dh": "not+base64/url"}, "p256dh", "base64url"),
        ({"p256dh": _b64(b"\x04" + b"\x01" * 64)}, "p256dh", "not a point on P-256"),
        ({"auth": _b64(b"\x01" * 8)}, "auth", "must be 16 bytes, not 8"),
        ({"auth": 1234}, "auth", "base64url"),
    ],
)
def test_subscribing_checks_the_keys(person_client, browser, vapid_key, changes, field, message):
    response = _subscribe(person_client, _keys(browser, **changes))

    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"] and field in error["fields"]


def test_subscribing_refuses_plain_http_on_loopback_in_production(
    person_client, browser, vapid_key, settings
):
    settings.PUSH_ALLOW_PRIVATE_TARGETS = False
    for endpoint in ("http://127.0.0.1:8123/push", "https://10.0.0.5/push"):
        response = _subscribe(person_client, browser.subscription(endpoint))
        assert response.status_code == 400, endpoint
    assert not PushSubscription.objects.exists()


def test_subscribing_accepts_padded_keys_and_updates_a_known_endpoint(
    person_client, person, browser, vapid_key
):
    data = browser.subscription("https://push.example.com/send/abc")
    data["keys"]["auth"] += "=="
    assert _subscribe(person_client, data).status_code == 201
    other = Browser()
    assert _subscribe(person_client, other.subscription(data["endpoint"])).status_code == 201

    subscription = PushSubscription.objects.get()
    assert subscription.p256dh == _b64(_point(other.key))


def test_subscribing_needs_a_login_csrf_post_json_and_push_set_up(
    person, browser, vapid_key, settings
):
    url = reverse("me-push-subscribe")
    data = json.dumps(browser.subscription("https://push.example.com/send/abc"))
    anonymous = Client()
    response = anonymous.post(url, data=data, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(person)
    assert csrf_client.post(url, data=data, content_type="application/json").status_code == 403

    client = Client()
    client.force_login(person)
    assert client.get(url).status_code == 405
    response = client.post(url, data="{not json", content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")
    response = client.post(url, data=" " * 9000, content_type="application/json")
    assert response.status_code == 413

    settings.VAPID_PRIVATE_KEY = ""
    settings.DEBUG = False
    response = client.post(url, data=data, content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "push_disabled")
    assert not PushSubscription.objects.exists()


def test_unsubscribing_forgets_only_ones_own_subscription(
    person_client, person, browser, vapid_key
):
    mine = _subscription(person, browser, "https://push.example.com/mine")
    theirs = _subscription(UserFactory(), Browser(), "https://push.example.com/theirs")
    url = reverse("me-push-unsubscribe")

    response = person_client.post(
        url, data=json.dumps({"endpoint": theirs.endpoint}), content_type="application/json"
    )
    assert response.status_code == 404
    response = person_client.post(url, data=json.dumps({}), content_type="application/json")
    assert response.status_code == 400
    response = person_client.post(
        url, data=json.dumps({"endpoint": mine.endpoint}), content_type="application/json"
    )
    assert response.status_code == 204
    assert list(PushSubscription.objects.all()) == [theirs]


def test_the_remove_button_deletes_only_ones_own_browser(person_client, person, vapid_key):
    mine = _subscription(person, Browser(), "https://push.example.com/mine")
    theirs = _subscription(UserFactory(), Browser(), "https://push.example.com/theirs")

    response = person_client.post(reverse("me-push-remove", args=[theirs.pk]))
    assert response.status_code == 404
    response = person_client.post(reverse("me-push-remove", args=[mine.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("me-notification-settings")
    assert list(PushSubscription.objects.all()) == [theirs]
    assert person_client.get(reverse("me-push-remove", args=[theirs.pk])).status_code == 405
    anonymous = Client().post(reverse("me-push-remove", args=[theirs.pk]))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


# --- The service worker -----------------------------------------------------------------------


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert b'addEventListener("push"' in response.content
    assert b'addEventListener("notificationclick"' in response.content


def test_notify_many_writes_a_batch_once_and_pushes_per_preferences_in_a_few_queries(
    db, browser, service, vapid_key, django_capture_on_commit_callbacks
):
    wants, muted, unsubscribed = UserFactory(), UserFactory(), UserFactory()
    NotificationPreference.objects.create(user=muted, match_digest_push=False)
    _subscription(wants, browser, service.url("/wants"))
    _subscription(muted, Browser(), service.url("/muted"))
    _notify(wants, key="digest:old", kind=NotificationKind.MATCH_DIGEST)

    def batch():
        return [
            Notification(
                user=user,
                kind=NotificationKind.MATCH_DIGEST,
                title="  3 new job   matches for you ",
                url="/me/",
                dedupe_key=key,
            )
            for user, key in [
                (wants, "digest:old"),
                (wants, "digest:1"),
                (muted, "digest:2"),
                (unsubscribed, "digest:3"),
                (unsubscribed, "digest:3"),
            ]
        ]

    with django_capture_on_commit_callbacks(execute=True):
        with CaptureQueriesContext(connection) as queries:
            new = notify_many(notifications=batch())
    assert len(queries) <= 5
    assert [n.dedupe_key for n in new] == ["digest:1", "digest:2", "digest:3"]
    assert new[0].title == "3 new job matches for you"
    assert [r["path"] for r in service.requests] == ["/wants"]
    assert browser.decrypt(service.requests[0]["body"])["title"] == "3 new job matches for you"
    assert notify_many(notifications=batch()) == []
    assert Notification.objects.count() == 4
