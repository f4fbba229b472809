"""A candidate's whole journey in a real browser: Debian's chromium driven by Playwright against
the live test server, at a desktop and at a phone-sized viewport.

1. search the board with a typo; 2. open the job; 3. sign up and verify the email (the link is
read from the email outbox); 4. apply with a real PDF; 5. see the application on the dashboard;
6. a recruiter moves it (a service call); 7. the dashboard's timeline shows the new stage, by the
name the company shows candidates.

On the board, the job page, the apply page and the dashboard, axe-core (from the npm registry,
installed by `make test` from package-lock.json) is injected and must report no serious or
critical violation. Screenshots of each step go to test-artifacts/.
"""

import io
import re
from pathlib import Path

import pytest

from accounts.models import OutboundEmail, Role
from accounts.tests.factories import MembershipFactory, UserFactory
from applications.models import Application, Stage
from applications.services import application_move
from jobs.models import Job
from jobs.services import search_vocabulary_refresh
from jobs.tests.factories import JobFactory
from recruitment.tests.browser import ARTIFACTS, needs_chromium

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "journey-Password-2026"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(
        not AXE.exists(),
        reason=f"no axe-core at {AXE} (`make test` installs it with npm from package-lock.json)",
    ),
]


def resume_pdf() -> bytes:
    """A real one-page PDF resume, made with reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    lines = [
        "Grace Hopper",
        "grace.journey@example.com · Berlin, Germany",
        "Experience: Senior Python Developer, Acme (2019 - 2026)",
        "Skills: Python, Django, PostgreSQL, Docker",
    ]
    for index, line in enumerate(lines):
        pdf.drawString(72, 770 - 18 * index, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, as readable lines."""
    # Evaluated through the DevTools protocol, not a <script> tag, which the page's CSP refuses.
    page.evaluate(AXE.read_text() + "\n;undefined")
    results = page.evaluate("async () => await axe.run(document)")
    return [
        f"{item['id']} ({item['impact']}): {item['help']} at "
        + ", ".join(str(node["target"]) for node in item["nodes"][:3])
        for item in results["violations"]
        if item["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_candidate_finds_a_job_applies_and_follows_it(live_server, browser, viewport):
    email = f"grace.{viewport}@example.com"
    job = JobFactory(
        title="Python Developer",
        description_html="<p>Build our hiring platform with Python and Django.</p>",
        description_text="Build our hiring platform with Python and Django.",
    )
    JobFactory(title="Office Manager", company=job.company, description_text="Run the office.")
    search_vocabulary_refresh()  # the words typos are corrected to, as the nightly keeps them
    screen = Stage.objects.get(company=job.company, kind=Stage.Kind.SCREEN)
    screen.name = "Phone screen with the hiring manager (internal)"
    screen.candidate_label = "Under review"
    screen.save()
    recruiter = UserFactory(full_name="Rita Recruiter", is_staff=True)
    MembershipFactory(company=job.company, user=recruiter, role=Role.RECRUITER)
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    page.set_default_timeout(30_000)
    shots = iter(range(1, 100))

    def screenshot(step: str) -> None:
        page.screenshot(
            path=str(ARTIFACTS / f"journey-{viewport}-{next(shots):02d}-{step}.png"),
            full_page=True,
        )

    def accessible(step: str) -> None:
        assert axe_violations(page) == [], f"axe on the {step} page"

    # 1. Search with a typo.
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox").fill("pyhton developer")
    page.get_by_role("searchbox").press("Enter")
    page.wait_for_load_state()
    screenshot("search")
    accessible("board")
    if page.get_by_role("link", name="Python Developer").count() == 0:
        page.get_by_role("link", name=re.compile("python developer", re.I)).first.click()
        page.wait_for_load_state()
    # 2. Open the job.
    page.get_by_role("link", name="Python Developer").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Python Developer"
    screenshot("job")
    accessible("job")

    # 3. Sign up and verify the email address.
    page.get_by_role("link", name=re.compile("apply", re.I)).first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name=re.compile("sign up", re.I)).last.click()
    page.wait_for_load_state()
    page.get_by_label(re.compile("^email", re.I)).first.fill(email)
    page.get_by_label(re.compile("^password$", re.I)).fill(PASSWORD)
    page.get_by_label(re.compile("password \\(again\\)|confirm", re.I)).fill(PASSWORD)
    screenshot("signup")
    page.get_by_role("button", name=re.compile("sign up", re.I)).click()
    page.wait_for_load_state()
    screenshot("verify-sent")
    message = OutboundEmail.objects.filter(to=email).latest("created_at")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+?/", message.body_text).group(0)
    page.goto(link)
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    page.wait_for_load_state()
    screenshot("verified")

    # 4. Apply with a real PDF.
    page.goto(f"{live_server.url}/jobs/{job.company.slug}/{job.slug}/apply/")
    if "/accounts/login/" in page.url:
        page.get_by_label(re.compile("^email", re.I)).first.fill(email)
        page.get_by_label(re.compile("^password", re.I)).first.fill(PASSWORD)
        page.get_by_role("button", name=re.compile("log in|sign in", re.I)).click()
        page.wait_for_load_state()
    accessible("apply")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "grace-hopper.pdf", "mimeType": "application/pdf", "buffer": resume_pdf()}],
    )
    page.get_by_label(re.compile("cover letter", re.I)).fill("I would love to build this with you.")
    page.get_by_label(re.compile("process", re.I)).first.check()
    screenshot("apply")
    page.get_by_role("button", name=re.compile("apply|submit", re.I)).last.click()
    page.wait_for_load_state()
    screenshot("applied")
    application = Application.objects.get(job=job, candidate__email=email)
    assert application.documents.count() == 1

    # 5. The application is on the dashboard.
    page.goto(live_server.url + "/me/")
    assert "Python Developer" in page.inner_text("main")
    accessible("dashboard")
    screenshot("dashboard")

    # 6. A recruiter moves it; 7. the timeline shows the stage by its candidate-facing name.
    application_move(application=application, stage=screen, actor=recruiter)
    page.reload()
    main = page.inner_text("main")
    assert "Under review" in main
    assert "internal" not in main
    screenshot("moved")
    page.close()
    assert Job.objects.filter(pk=job.pk, status=Job.Status.OPEN).exists()
