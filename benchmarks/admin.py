"""The recruiter back office with 100k applications: render times of its busiest pages.

    DEBUG=1 .venv/bin/python benchmarks/admin.py [--jobs 100000] [--applications 100000]
        [--requests 50] [--board-applicants 5000] [--keep] [--reuse] [--json PATH]

It never touches the developer's database: it seeds `recruitment_bench_admin` beside it the
way benchmarks/api.py does (a tenth by `demo_seed`, nine copies made by the database: 100k jobs
and 100k applications over five tenant companies), then gathers up to --board-applicants of the
busiest company's applications (one per candidate) on one job, so that its pipeline board is a
big one.

A recruiter of that company, logged in, then asks from a single in-process client (Django's
test client, DEBUG off, the templates cached as in production):

- the applications changelist (its first page of 50, newest first);
- the same, searched by a candidate's name;
- the jobs changelist (with applicants by stage);
- the pipeline board of the big job;
- an application's change page.

Each page is asked 3 times to warm up, then --requests times; it prints p50/p95/max in ms,
the queries of one request and the target: p95 at most 150 ms for the applications changelist
and the board. It prints figures and asserts nothing. The database is dropped at the end unless
--keep; --reuse measures a kept one.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from benchmarks._scratch import scratch_database  # noqa: E402
from benchmarks._timing import measure_pages  # noqa: E402
from benchmarks.api import _seed  # noqa: E402  (sets Django up)

SCRATCH_DATABASE = "recruitment_bench_admin"
P95_TARGET_MS = 150.0


def _big_job(company, applicants: int):
    """Gather up to `applicants` of the company's applications, one per candidate, on its
    newest job; return that job."""
    from applications.models import Application
    from jobs.models import Job

    job = Job.objects.filter(company=company).order_by("-pk").first()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE applications_application SET job_id = %s
             WHERE id IN (
                SELECT DISTINCT ON (a.candidate_id) a.id
                  FROM applications_application a JOIN jobs_job j ON j.id = a.job_id
                 WHERE j.company_id = %s
                   AND NOT EXISTS (
                       SELECT 1 FROM applications_application b
                        WHERE b.job_id = %s AND b.candidate_id = a.candidate_id)
                 ORDER BY a.candidate_id, a.id
                 LIMIT %s)
            """,
            [job.pk, company.pk, job.pk, applicants],
        )
        cursor.execute("ANALYZE applications_application")
    count = Application.objects.filter(job=job).count()
    print(f"the board's job: {job.title} (#{job.pk}) with {count:,} applicants", flush=True)
    return job


def _recruiter(company):
    from accounts.models import Role, User
    from accounts.services import membership_set

    user, _ = User.objects.get_or_create(
        email="bench-recruiter@example.com", defaults={"full_name": "Bench Recruiter"}
    )
    membership_set(company=company, user=user, role=Role.RECRUITER, actor=None)
    return user


def run(*, requests: int, board_applicants: int) -> dict:
    """Time the pages; return {page: {"p50", "p95", "max" (ms), "queries"}}."""
    from django.db.models import Count

    from accounts.models import Company
    from applications.models import Application

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    company = (
        Company.objects.filter(is_tenant=True)
        .annotate(applications=Count("jobs__applications"))
        .order_by("-applications")
        .first()
    )
    total = Application.objects.count()
    mine = Application.objects.filter(job__company=company).count()
    print(f"{total:,} applications; the recruiter's company {company.name}: {mine:,}")
    job = _big_job(company, board_applicants)
    client = Client()
    client.force_login(_recruiter(company))
    someone = Application.objects.filter(job=job).select_related("candidate").first()
    name = someone.candidate.full_name or someone.candidate.email
    changelist = reverse("admin:applications_application_changelist")
    pages = [
        ("applications changelist", changelist),
        ("applications changelist, searched", f"{changelist}?q={name.replace(' ', '+')}"),
        ("jobs changelist", reverse("admin:jobs_job_changelist")),
        ("pipeline board", reverse("admin:jobs_job_board", args=[job.pk])),
        ("application change page", reverse("admin:applications_application_change",
                                            args=[someone.pk])),
    ]  # fmt: skip
    results = {name: measure_pages(client, name, [url], requests) for name, url in pages}
    for name in ("applications changelist", "pipeline board"):
        p95 = results[name].p95
        verdict = "met" if p95 <= P95_TARGET_MS else "MISSED"
        print(f"target: {name} p95 {p95:.1f} ms ≤ {P95_TARGET_MS:.0f} ms: {verdict}")
    return {name: dataclasses.asdict(figures) for name, figures in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--board-applicants", type=int, default=5_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="use a kept scratch database")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    keep = args.keep or args.reuse
    with scratch_database(SCRATCH_DATABASE, create=not args.reuse, keep=keep):
        if not args.reuse:
            _seed(args.jobs, args.applications)
        figures = run(requests=args.requests, board_applicants=args.board_applicants)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
