"""Security headers (CSP, HSTS, Referrer-Policy, nosniff, framing), production settings, and
`manage.py check --deploy` with production variables.

The browser test opens the main pages in real chromium under the real policy and fails on any
CSP violation, so the policy is proven not to break the pages it protects.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, UserFactory
from applications.services import application_submit
from jobs.tests.factories import JobFactory
from recruitment.tests.browser import needs_chromium

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "headers-test-password-1"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_pages_send_a_strict_content_security_policy(client, db):
    response = client.get(reverse("job-board"))

    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline script and no eval, on a nonce-free page
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_an_inline_script_runs_only_with_the_nonce_of_its_response(client, db):
    response = client.get(reverse("api-docs"))

    html = response.content.decode()
    nonces = set(re.findall(r'<(?:script|style) nonce="([^"]+)"', html))
    assert len(nonces) == 1
    nonce = nonces.pop()
    assert f"'nonce-{nonce}'" in policy(response)["script-src"]
    assert f"'nonce-{nonce}'" in policy(response)["style-src"]
    assert nonce not in client.get(reverse("api-docs")).content.decode()  # new per response


def production_env(**extra: str) -> dict[str, str]:
    """The variables a production deployment sets (see .env.example), and nothing from the
    development or test environment."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "jobs.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://jobs.example.com",
        "SITE_URL": "https://jobs.example.com",
        "ANYMAIL_WEBHOOK_SECRET": f"anymail:{secrets.token_urlsafe(24)}",
        "REDIS_URL": "redis://127.0.0.1:6379/12",
    }
    env.update(extra)
    return env


def test_check_deploy_is_clean_with_production_variables():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output


def test_check_deploy_fails_without_https_settings():
    """The test above can fail: switch one protection off and check --deploy says so."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(SESSION_COOKIE_SECURE="false"),
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "security.W012" in result.stdout + result.stderr


def test_production_settings_secure_cookies_https_and_hsts():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_HSTS_PRELOAD', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', "
        "'X_FRAME_OPTIONS')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**production_env(), "DJANGO_SETTINGS_MODULE": "recruitment.settings"},
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
    }


def test_https_responses_carry_hsts_with_production_values(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    response = client.get(reverse("job-board"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


# --- In the browser -----------------------------------------------------------------------------

# Records every CSP violation of the page, before any of its own scripts run (an init script is
# injected by the browser itself, so the policy does not apply to it).
_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || ""}:${event.lineNumber || ""}`);
});
"""


@needs_chromium
def test_the_main_pages_run_without_a_csp_violation(live_server, browser):
    job = JobFactory(title="Site Reliability Engineer")
    application_submit(
        job=job, candidate=UserFactory(full_name="Ada Lovelace"), consent_processing=True
    )
    recruiter = UserFactory(is_staff=True)
    recruiter.set_password(PASSWORD)
    recruiter.save()
    MembershipFactory(company=job.company, user=recruiter, role=Role.RECRUITER)
    page = browser.new_page()
    page.set_default_timeout(30_000)
    page.add_init_script(_RECORD_VIOLATIONS)
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    violations: dict[str, list[str]] = {}

    def visit(path: str, ready: str = "main, #content, body") -> None:
        page.goto(live_server.url + path)
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__cspViolations")
        if found:
            violations[path] = found

    visit(reverse("job-board"))
    visit(job.get_absolute_url(), ready='script[type="application/ld+json"]')
    visit(reverse("account_login"))
    visit(reverse("api-docs"), ready=".swagger-ui .info")  # the schema loaded and rendered
    visit(reverse("admin:login"))
    page.fill("#id_username", recruiter.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}{reverse('admin:index')}")
    visit(reverse("admin:jobs_job_changelist"), ready="#result_list")
    visit(reverse("admin:applications_application_changelist"), ready="#result_list")
    visit(reverse("admin:jobs_job_board", args=[job.pk]), ready=".board")
    board_display = page.evaluate("getComputedStyle(document.querySelector('.board')).display")
    visit(reverse("admin-dashboard"))

    assert violations == {}
    assert console == []
    assert board_display == "flex"  # the board's own (nonced) style element applied
