"""Sessions: the idle and absolute timeouts, "sign out everywhere else", and other sessions
ending when the password changes."""

import logging
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.middleware import LOGIN_AT, SEEN_AT
from accounts.models import AuditEvent
from accounts.security import user_sessions_end
from accounts.tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "a much longer passphrase 42"


@pytest.fixture(autouse=True)
def _empty_limits():
    cache.clear()  # allauth's change-password limit counts in the cache


@pytest.fixture
def person(db):
    return UserFactory()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def is_signed_in(client) -> bool:
    response = client.get(reverse("me-dashboard"))
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    return False


def session_shift(client, **seconds_ago: int) -> None:
    """Move the session's clocks into the past, as if that much time had gone by."""
    session = client.session
    now = int(time.time())
    if "login" in seconds_ago:
        session[LOGIN_AT] = now - seconds_ago["login"]
    if "seen" in seconds_ago:
        session[SEEN_AT] = now - seconds_ago["seen"]
    session.save()


def security_events(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "security"]


# --- Timeouts -----------------------------------------------------------------------------------


def test_a_login_starts_the_session_clocks(person):
    client = signed_in(person)

    session = client.session
    assert abs(session[LOGIN_AT] - time.time()) < 60
    assert session[SEEN_AT] == session[LOGIN_AT]


def test_a_session_idle_longer_than_the_idle_timeout_is_logged_out(person, settings, caplog):
    client = signed_in(person)
    session_shift(
        client, login=settings.SESSION_IDLE_TIMEOUT + 5, seen=settings.SESSION_IDLE_TIMEOUT + 1
    )
    caplog.set_level(logging.INFO, logger="security")
    caplog.clear()
    page = reverse("me-profile")

    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={page}"
    assert "_auth_user_id" not in client.session
    assert security_events(caplog) == ["auth.session_expired"]
    assert caplog.records[-1].reason == "idle"
    assert caplog.records[-1].user_id == person.pk
    assert not is_signed_in(client)


def test_a_session_idle_just_under_the_timeout_stays(person, settings):
    client = signed_in(person)
    session_shift(client, seen=settings.SESSION_IDLE_TIMEOUT - 60)

    assert is_signed_in(client)


def test_an_active_session_ends_at_the_absolute_timeout(person, settings, caplog):
    client = signed_in(person)
    session_shift(client, login=settings.SESSION_ABSOLUTE_TIMEOUT + 1, seen=10)
    caplog.set_level(logging.INFO, logger="security")
    caplog.clear()

    assert not is_signed_in(client)
    assert security_events(caplog) == ["auth.session_expired"]
    assert caplog.records[-1].reason == "absolute"


def test_the_timeouts_are_settings(person, settings):
    settings.SESSION_IDLE_TIMEOUT = 30
    client = signed_in(person)
    session_shift(client, seen=31)

    assert not is_signed_in(client)


def test_an_expired_session_gets_401_from_the_api(person, settings, caplog):
    client = signed_in(person)
    session_shift(client, seen=settings.SESSION_IDLE_TIMEOUT + 1)
    caplog.set_level(logging.INFO, logger="security")
    caplog.clear()

    response = client.get("/api/v1/jobs/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"
    assert security_events(caplog) == ["auth.session_expired"]  # not also access.denied


def test_last_seen_is_written_at_most_once_a_minute(person):
    client = signed_in(person)
    session_shift(client, seen=30)
    before = client.session[SEEN_AT]

    assert is_signed_in(client)
    assert client.session[SEEN_AT] == before

    session_shift(client, seen=61)
    assert is_signed_in(client)
    assert abs(client.session[SEEN_AT] - time.time()) < 60


def test_a_session_from_before_the_timeouts_starts_its_clocks_at_its_next_request(person):
    client = signed_in(person)
    session = client.session
    del session[LOGIN_AT]
    del session[SEEN_AT]
    session.save()

    assert is_signed_in(client)
    assert abs(client.session[LOGIN_AT] - time.time()) < 60


# --- Ending sessions ----------------------------------------------------------------------------


def test_sign_out_everywhere_else_ends_the_other_sessions_and_keeps_this_one(person, caplog):
    here, elsewhere = signed_in(person), signed_in(person)
    caplog.set_level(logging.INFO, logger="security")
    caplog.clear()

    response = here.post(reverse("me-sessions-end"))

    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert AuditEvent.objects.filter(action="user.sessions_ended", actor=person).count() == 1
    assert security_events(caplog) == ["auth.sessions_ended"]


def test_sign_out_everywhere_is_post_only_and_for_the_signed_in(person, client):
    here, elsewhere = signed_in(person), signed_in(person)

    assert here.get(reverse("me-sessions-end")).status_code == 405
    assert is_signed_in(elsewhere)
    response = client.post(reverse("me-sessions-end"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_password_page_offers_sign_out_everywhere(person):
    html = signed_in(person).get(reverse("account_change_password")).content.decode()

    assert f'action="{reverse("me-sessions-end")}"' in html
    assert "Sign out everywhere else" in html


def test_user_sessions_end_without_a_request_ends_every_session(person):
    first, second = signed_in(person), signed_in(person)
    other_person = signed_in(UserFactory())

    user_sessions_end(user=person)

    assert not is_signed_in(first)
    assert not is_signed_in(second)
    assert is_signed_in(other_person)
    person.refresh_from_db()
    assert len(person.session_token) == 32


def test_changing_the_password_ends_the_other_sessions(person):
    here, elsewhere = signed_in(person), signed_in(person)

    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.context["form"].errors
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
