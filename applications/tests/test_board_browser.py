"""The pipeline board in a real browser: Debian's chromium driven by Playwright against the live
test server. A recruiter logs in through the admin's login page, moves a card with its Move
button and another by drag and drop, and the stage changes are in the database. A screenshot
of the board is kept in test-artifacts/."""

import shutil
from pathlib import Path

import pytest
from django.db import connections
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, UserFactory
from applications.models import Stage, StageChange
from applications.services import application_submit
from jobs.tests.factories import JobFactory

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "board-test-password-1"
# Chromium on this machine: headless, and no calls home (the network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason=f"no browser at {CHROMIUM} (Debian's chromium package; .ci/run installs it)",
)


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are
    # still synchronous ones, made between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(30_000)
        yield page
        browser.close()
        # The ORM calls made while the browser ran had a connection of their own (Django keys
        # connections by context, and Playwright's loop is one): close it with the test.
        connections.close_all()


def test_a_recruiter_moves_cards_on_the_board_in_a_browser(live_server, browser_page):
    recruiter = UserFactory(full_name="Rita Recruiter", is_staff=True)
    recruiter.set_password(PASSWORD)
    recruiter.save()
    job = JobFactory(title="Data Engineer")
    MembershipFactory(company=job.company, user=recruiter, role=Role.RECRUITER)
    ada, alan = (
        application_submit(job=job, candidate=UserFactory(full_name=name), consent_processing=True)
        for name in ("Ada Lovelace", "Alan Turing")
    )
    screen = Stage.objects.get(company=job.company, kind=Stage.Kind.SCREEN)
    interview = Stage.objects.get(company=job.company, kind=Stage.Kind.INTERVIEW)
    page = browser_page
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))

    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", recruiter.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}{reverse('admin:index')}")
    page.goto(live_server.url + reverse("admin:jobs_job_board", args=[job.pk]))

    card = page.locator(f"#application-{ada.pk}")
    card.locator("select").select_option(str(screen.pk))
    card.locator("button[type=submit]").click()
    page.wait_for_url(f"**#application-{ada.pk}")
    column = page.locator(f'section[data-stage="{screen.pk}"]')
    assert column.locator(f"#application-{ada.pk}").count() == 1
    assert "Moved Ada Lovelace to" in page.locator(".messagelist").inner_text()

    # Drag and drop, the enhancement: Alan to the interview column.
    with page.expect_navigation():
        page.locator(f"#application-{alan.pk}").drag_to(
            page.locator(f'section[data-stage="{interview.pk}"]'),
            source_position={"x": 4, "y": 4},  # the card itself, not its Move form
        )
    assert alerts == []
    assert page.locator(f'section[data-stage="{interview.pk}"] #application-{alan.pk}').count() == 1

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pipeline-board.png"), full_page=True)

    moves = {
        (change.application_id, change.to_stage_id, change.actor_id)
        for change in StageChange.objects.filter(from_stage__isnull=False)
    }
    assert moves == {(ada.pk, screen.pk, recruiter.pk), (alan.pk, interview.pk, recruiter.pk)}
    assert (ARTIFACTS / "pipeline-board.png").stat().st_size > 10_000
