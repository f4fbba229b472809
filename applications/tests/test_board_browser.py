"""The pipeline board in a real browser: Debian's chromium driven by Playwright against the live
test server. A recruiter logs in through the admin's login page, moves a card with its Move
button and another by drag and drop, and the stage changes are in the database. A screenshot
of the board is kept in test-artifacts/."""

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, UserFactory
from applications.models import Stage, StageChange
from applications.services import application_submit
from jobs.tests.factories import JobFactory
from recruitment.tests.browser import ARTIFACTS, needs_chromium

PASSWORD = "board-test-password-1"

pytestmark = needs_chromium


@pytest.fixture
def browser_page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(30_000)
    return page


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
