"""The account pages (django-allauth) in the site's style, and allauth's emails in our outbox."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import CandidateProfile, OutboundEmail, User
from accounts.tasks import outbox_send
from accounts.tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "a much longer passphrase 42"
LINK = re.compile(r"https?://testserver(/accounts/[^\s]+/)")


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Each test starts afresh: allauth's limits count in the shared cache across runs."""
    settings.ACCOUNT_RATE_LIMITS = False


@pytest.fixture
def verified(db) -> User:
    user = UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def page(response) -> str:
    html = response.content.decode()
    assert response.status_code == 200, response.status_code
    assert 'class="site-header"' in html  # our base layout
    assert "Menu:" not in html  # not allauth's default one
    assert html.count("<h1") == 1
    return html


def link_in(email: OutboundEmail) -> str:
    match = LINK.search(email.body_text)
    assert match, email.body_text
    return match.group(1)


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("account_login", "Log in"),
        ("account_signup", "Create your account"),
        ("account_reset_password", "Reset your password"),
        ("account_reset_password_done", "Check your email"),
        ("account_email_verification_sent", "Check your email"),
    ],
)
def test_entrance_pages_render_in_the_site_layout(client, db, name, heading):
    html = page(client.get(reverse(name)))

    assert f"<h1>{heading}</h1>" in html
    assert "auth-card" in html


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("account_change_password", "Change your password"),
        ("account_email", "Email address"),
        ("account_logout", "Log out"),
        ("account_reauthenticate", "Confirm Access"),  # allauth's page, through our elements
    ],
)
def test_account_settings_pages_render_in_the_site_layout(client, verified, name, heading):
    client.force_login(verified)

    html = page(client.get(reverse(name)))

    assert re.search(rf"<h1>\s*{heading}\s*</h1>", html)


def test_settings_pages_ask_anonymous_visitors_to_log_in(client, db):
    response = client.get(reverse("account_change_password"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_bad_confirmation_or_reset_link_says_so_in_our_layout(client, db):
    html = page(client.get(reverse("account_confirm_email", args=["not-a-key"])))
    assert "expired or is not valid" in html

    response = client.get(
        reverse("account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "bad-key"})
    )
    assert "This link is not valid" in page(response)


def test_signup_mails_a_verification_link_through_the_outbox_and_the_link_logs_in(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "New.Person@Example.com",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email__iexact="new.person@example.com")
    assert CandidateProfile.objects.filter(user=user).exists()
    email = OutboundEmail.objects.get(to=user.email)
    assert email.kind == "account.email_confirmation_signup"
    assert email.user == user
    assert email.subject.startswith("Recruitment: ")
    # Sent once by the outbox task queued on commit, and never again.
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    outbox_send()
    assert len(mail.outbox) == 1
    # Not logged in before confirming: verification is mandatory.
    assert client.get(reverse("me-profile")).status_code == 302

    confirm_url = link_in(email)
    html = page(client.get(confirm_url))
    assert user.email in html
    response = client.post(confirm_url)

    assert EmailAddress.objects.get(user=user).verified
    assert response.status_code == 302
    assert response["Location"] == reverse("me-dashboard")
    assert client.get(reverse("me-profile")).status_code == 200


def test_signup_with_bad_input_shows_inline_errors_and_keeps_the_email(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "someone@example.com", "password1": NEW_PASSWORD, "password2": "different"},
    )

    html = page(response)
    assert "You must type the same password each time." in html
    assert 'value="someone@example.com"' in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.filter(email="someone@example.com").exists()

    html = page(client.post(reverse("account_signup"), {"email": "not an email"}))
    assert 'id="id_email_error"' in html


def test_signup_with_a_taken_email_looks_like_any_signup_and_tells_the_owner(client, verified):
    response = client.post(
        reverse("account_signup"),
        {"email": verified.email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    # Nobody learns from the page that the address has an account; its owner gets an email.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email=verified.email).count() == 1
    email = OutboundEmail.objects.get(to=verified.email)
    assert email.kind == "account.account_already_exists"


def test_login_lands_on_the_dashboard_or_next(client, verified):
    response = client.post(
        reverse("account_login"), {"login": verified.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("me-dashboard")

    client.logout()
    response = client.post(
        reverse("account_login") + "?next=/me/profile/",
        {"login": verified.email, "password": PASSWORD, "next": "/me/profile/"},
    )
    assert response["Location"] == "/me/profile/"


def test_staff_land_in_the_back_office(client, db):
    user = UserFactory(is_staff=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response["Location"] == reverse("admin:index")


def test_login_failure_says_so_inline_and_keeps_the_email(client, verified):
    response = client.post(reverse("account_login"), {"login": verified.email, "password": "nope"})

    html = page(response)
    assert 'class="form-errors" role="alert"' in html
    assert "not correct" in html
    assert f'value="{verified.email}"' in html
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_lands_home(client, verified):
    client.force_login(verified)

    response = client.post(reverse("account_logout"))

    assert response["Location"] == reverse("home")
    assert "_auth_user_id" not in client.session


def test_password_reset_answers_the_same_for_unknown_and_known_addresses(client, verified):
    known = client.post(reverse("account_reset_password"), {"email": verified.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == reverse("account_reset_password_done")
    kinds = dict(OutboundEmail.objects.values_list("to", "kind"))
    assert kinds == {
        verified.email: "account.password_reset_key",
        "nobody@example.com": "account.unknown_account",
    }


def test_password_reset_link_sets_a_new_password(client, verified):
    client.post(reverse("account_reset_password"), {"email": verified.email})
    reset_url = link_in(OutboundEmail.objects.get(to=verified.email))

    response = client.get(reset_url, follow=True)
    html = page(response)
    assert "<h1>Choose a new password</h1>" in html
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"password1": "short", "password2": "short"})
    assert "too short" in page(response)
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response["Location"] == reverse("account_reset_password_from_key_done")
    verified.refresh_from_db()
    assert verified.check_password(NEW_PASSWORD)
    assert "Your password is changed" in page(client.get(response["Location"]))


def test_password_change_needs_the_current_password(client, verified):
    client.force_login(verified)
    url = reverse("account_change_password")

    html = page(
        client.post(
            url, {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
    )
    assert 'id="id_oldpassword_error"' in html

    response = client.post(
        url, {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    verified.refresh_from_db()
    assert verified.check_password(NEW_PASSWORD)
    assert OutboundEmail.objects.filter(to=verified.email, kind="account.password_changed").exists()


def test_changing_the_email_keeps_the_old_one_until_the_new_one_is_confirmed(client, verified):
    client.force_login(verified)

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "ada.new@example.com"}
    )

    assert response.status_code == 302
    verified.refresh_from_db()
    assert verified.email == "ada@example.com"
    html = page(client.get(reverse("account_email")))
    assert "ada.new@example.com" in html and "Send the link again" in html
    confirm_url = link_in(OutboundEmail.objects.get(to="ada.new@example.com"))
    client.post(confirm_url)
    verified.refresh_from_db()
    assert verified.email == "ada.new@example.com"


def test_changing_to_a_bad_email_shows_an_inline_error(client, verified):
    client.force_login(verified)

    html = page(client.post(reverse("account_email"), {"action_add": "", "email": "nope"}))

    assert 'id="id_email_error"' in html
    assert 'value="nope"' in html
