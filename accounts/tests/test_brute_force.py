"""Brute force on both logins (the site's allauth page and the admin's), the signup and password
reset limits, and no user enumeration in the messages or in the work done.

The limits are the project's settings.ACCOUNT_RATE_LIMITS (allauth's, kept in the Redis cache);
each test starts with an empty cache.
"""

import logging

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.urls import reverse

from accounts.tests.factories import PASSWORD, UserFactory

WRONG = "not the password at all"
BLOCKED = "Too many failed login attempts"
SITE_MISMATCH = "The email address and/or password you specified are not correct."
ADMIN_MISMATCH = (
    "Please enter the correct email and password for a staff account. "
    "Note that both fields may be case-sensitive."
)


@pytest.fixture(autouse=True)
def _empty_limits():
    """allauth counts attempts in the cache (Redis): no test sees another's count."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person(db):
    user = UserFactory(is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def site_login(client, email, password, ip="10.1.1.1"):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def admin_login(client, email, password, ip="10.1.1.1"):
    return client.post(
        reverse("admin:login"), {"username": email, "password": password}, REMOTE_ADDR=ip
    )


DOORS = {"site": (site_login, SITE_MISMATCH), "admin": (admin_login, ADMIN_MISMATCH)}


def form_errors(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return list(response.context["form"].non_field_errors())


def security_events(caplog, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "security" and r.getMessage() == event]


@pytest.mark.parametrize("door", list(DOORS))
def test_a_login_is_refused_after_5_failures_for_an_address_even_with_the_right_password(
    client, person, caplog, door
):
    login, mismatch = DOORS[door]
    caplog.set_level(logging.INFO, logger="security")

    for _ in range(5):
        assert form_errors(login(client, person.email, WRONG)) == [mismatch]
    refused = login(client, person.email, PASSWORD)

    assert BLOCKED in form_errors(refused)[0]
    assert "_auth_user_id" not in client.session
    assert len(security_events(caplog, "auth.login_failed")) == 5
    blocks = security_events(caplog, "auth.rate_limited")
    assert [(r.action, r.path) for r in blocks] == [("login_failed", refused.request["PATH_INFO"])]

    cache.clear()  # the window has passed
    assert login(client, person.email, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


@pytest.mark.parametrize("door", list(DOORS))
def test_a_login_is_refused_after_too_many_failures_from_one_ip(client, person, settings, door):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/5m/ip"}
    login, mismatch = DOORS[door]

    for n in range(3):  # three different addresses, one IP
        assert form_errors(login(client, f"guess{n}@example.com", WRONG, ip="10.2.2.2")) == [
            mismatch
        ]

    assert BLOCKED in form_errors(login(client, person.email, PASSWORD, ip="10.2.2.2"))[0]
    assert login(client, person.email, PASSWORD, ip="10.3.3.3").status_code == 302


def test_the_two_logins_share_one_count_per_address(client, person):
    for _ in range(3):
        site_login(client, person.email, WRONG)
    for _ in range(2):
        admin_login(client, person.email.upper(), WRONG)  # the same address, in capitals

    assert BLOCKED in form_errors(site_login(client, person.email, PASSWORD))[0]
    assert BLOCKED in form_errors(admin_login(client, person.email, PASSWORD))[0]


def test_the_default_limits_cover_login_signup_and_password_reset(settings):
    limits = settings.ACCOUNT_RATE_LIMITS
    assert limits["login_failed"] == "20/5m/ip,5/5m/key"
    assert {"login", "signup", "reset_password", "reset_password_from_key"} <= set(limits)
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_signup_is_refused_with_429_after_20_attempts_from_one_ip(client, db, caplog):
    caplog.set_level(logging.INFO, logger="security")
    url = reverse("account_signup")
    form = {"email": "not-an-email", "password1": "x", "password2": "y"}

    for _ in range(20):
        assert client.post(url, form, REMOTE_ADDR="10.4.4.4").status_code == 200
    refused = client.post(url, form, REMOTE_ADDR="10.4.4.4")

    assert refused.status_code == 429
    assert client.post(url, form, REMOTE_ADDR="10.5.5.5").status_code == 200
    assert len(security_events(caplog, "rate_limit.exceeded")) == 1


def test_password_reset_is_refused_with_429_after_5_requests_for_one_address(client, person):
    url = reverse("account_reset_password")

    for _ in range(5):
        assert client.post(url, {"email": person.email}).status_code == 302
    assert client.post(url, {"email": person.email}).status_code == 429
    assert client.post(url, {"email": "someone.else@example.com"}).status_code == 302


# --- No user enumeration ------------------------------------------------------------------------


@pytest.mark.parametrize("door", list(DOORS))
def test_an_unknown_address_and_a_wrong_password_get_the_same_answer(client, person, door):
    login, mismatch = DOORS[door]

    unknown = login(client, "nobody.here@example.com", WRONG)
    wrong = login(client, person.email, WRONG)

    assert form_errors(unknown) == form_errors(wrong) == [mismatch]


class CountingHasher(MD5PasswordHasher):
    """The real MD5 hasher, counting the hashes it computes."""

    computed = 0

    def encode(self, password, salt):
        type(self).computed += 1
        return super().encode(password, salt)


def hashes_for(login, client, email) -> int:
    CountingHasher.computed = 0
    login(client, email, WRONG)
    return CountingHasher.computed


@pytest.mark.parametrize("door", list(DOORS))
def test_an_unknown_address_costs_as_many_password_hashes_as_a_wrong_password(
    client, person, settings, door
):
    """Timing: a login for an address nobody has must not answer faster than one for a real
    account, so both paths compute the same number of password hashes."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    person.set_password(PASSWORD)
    person.save()
    login, _ = DOORS[door]

    wrong = hashes_for(login, client, person.email)
    unknown = hashes_for(login, client, "nobody.here@example.com")

    assert wrong >= 1
    assert unknown == wrong
