"""The partner API under load: 100k jobs and 100k applications, gunicorn, wrk.

    DEBUG=1 .venv/bin/python benchmarks/api.py [--jobs 100000] [--applications 100000]
        [--duration 10] [--keep] [--reuse] [--seed-only] [--client wrk|python] [--json PATH]

It never touches the developer's database: it creates `recruitment_bench_api` next to it
(dropping a leftover first), migrates it and seeds a tenth of the rows with `demo_seed`, every
job a tenant's (five companies, so each holds about a fifth of the jobs and applications), then
has the database copy them nine times (INSERT ... SELECT: jobs with their skills, applications
with their stage history, about a minute in all), then VACUUM ANALYZE and the search
vocabulary. It makes an API key of the company with the most applications, with read scopes.

It then serves the project with gunicorn (2 sync workers, `recruitment.wsgi`, DEBUG off,
persistent database connections, the real Redis for rate limits: the key's limit is raised so
that the load is not refused) on 127.0.0.1 and a free port, and loads it with wrk (Debian
package `wrk`; without it, a Python client of threads with keep-alive connections) for ~10 s
per run:

- at 2 connections (service time) and 16 connections (throughput): `GET /api/v1/jobs`,
  `GET /api/v1/search/jobs?q=python` (a repeat: from the search result cache after the first),
  `GET /api/v1/applications`, and
  `GET /api/v1/applications/<id>` over 1,000 of the company's applications in turn; lists ask
  for 20 rows, as the naive view gives;
- last, with a second server whose search result cache is off (SEARCH_CACHE_SECONDS=0), at 2 and
  16 connections: the same search, and the search benchmark's mix of 2,000 queries (common and
  rare terms, typos, the websearch syntax, later pages, newest and best paid first), which is
  what a search costs when it is not a repeat;
- at 16 connections, the baselines, which exist only in the benchmark's URLconf
  (`benchmarks/_api_urls.py`): a naive DRF `ModelSerializer` list of 20 jobs over the same
  table (and the same without Job's two many-to-many fields, whose per-row queries make most
  of its time), a DRF view answering `{}` (at 2 connections too: the floor of the service
  time) and a bare Django `JsonResponse`.

It prints p50/p95/p99 and requests/s per endpoint and concurrency, and the targets: p95 at most
15 ms at 2 connections for the job list and search, and at 16 connections at least the naive
view's requests/s. An endpoint that answers 404 (not written yet) is reported and skipped. It
drops the database at the end unless --keep; --reuse serves a kept one. It prints figures and
asserts nothing.

Gunicorn's sync workers answer one request per connection (`Connection: close`), so every
request here pays for a new TCP connection, as in production behind a proxy that does not pool.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from benchmarks._scratch import scratch_database  # noqa: E402
from benchmarks.search import _prepare, _queries  # noqa: E402
from pipeline import demo  # noqa: E402

SCRATCH_DATABASE = "recruitment_bench_api"
# demo_seed writes a tenth of the rows; the database copies them (fast, and the same text).
COPIES = 10
# demo_seed gives a candidate 0 to 12 applications, about 2.95 on average.
APPLICATIONS_PER_CANDIDATE = 2.95
KEY_SCOPES = ["jobs:read", "applications:read", "candidates:read", "matches:read"]
ROWS = 20  # rows per list page, as many as the naive view lists
DETAIL_IDS = 1_000  # applications the detail run goes through in turn
WORKERS = 2
P95_TARGET_MS = 15.0


# --- Seeding -------------------------------------------------------------------------------------


def _seed(jobs: int, applications: int) -> None:
    """A tenth of the rows by `demo_seed`, then nine copies of them made in the database."""
    from applications.models import Application

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated in {time.monotonic() - started:.1f} s", flush=True)

    # Every job a tenant's (the demo makes one in ten a tenant's, the rest scraped employers'):
    # the API lists a company's jobs, so its five tenants hold them all.
    demo.TENANT_EVERY = 1
    started = time.monotonic()
    base_jobs = math.ceil(jobs / COPIES)
    base_applications = math.ceil(applications / COPIES)
    candidates = math.ceil(base_applications / APPLICATIONS_PER_CANDIDATE)
    while True:  # each run adds only the candidates (and their applications) still missing
        demo.demo_seed(jobs=base_jobs, candidates=candidates)
        have = Application.objects.count()
        if have >= base_applications:
            break
        candidates += math.ceil((base_applications - have) / APPLICATIONS_PER_CANDIDATE) + 1
    print(
        f"demo_seed: {base_jobs:,} jobs, {candidates:,} candidates with {have:,} applications "
        f"in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    started = time.monotonic()
    _copy_rows(COPIES - 1)
    print(f"{COPIES - 1} copies of them in {time.monotonic() - started:.1f} s", flush=True)
    _prepare(compact=False)


def _insert_select(model, *, source: str, overrides: dict[str, str], alias: str) -> str:
    """INSERT of `model`'s rows selected `source`, every column from `alias` but those of
    `overrides` (column -> SQL), new ids: the columns are read from the model, so the copy
    follows migrations."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    values = [overrides.get(column, f"{alias}.{column}") for column in columns]
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} {source}"
    )


def _copy_rows(copies: int) -> None:
    """`copies` more of every job (slug `<slug>-<k>`, published and created k hours earlier,
    with its skills and hiring team) and of every application (on the job's copy, with its
    stage history); interviews, offers and notes stay with the originals."""
    from applications.models import Application, StageChange
    from jobs.models import Job, JobSkill

    statements = [
        "CREATE TEMP TABLE bench_job_copies (original bigint, copy bigint)",
        "CREATE TEMP TABLE bench_application_copies (original bigint, copy bigint)",
        "SELECT max(id) FROM jobs_job",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in statements[:2]:
            cursor.execute(statement)
        cursor.execute(statements[2])
        (last_original,) = cursor.fetchone()
        cursor.execute(
            _insert_select(
                Job,
                source="FROM jobs_job j CROSS JOIN generate_series(1, %s) AS copy (k) "
                "ORDER BY copy.k, j.id",
                overrides={
                    "slug": "j.slug || '-' || copy.k",
                    "published_at": "j.published_at - copy.k * interval '1 hour'",
                    "created_at": "j.created_at - copy.k * interval '1 hour'",
                    "search_vector": "NULL",  # the trigger writes it
                },
                alias="j",
            ),
            [copies],
        )
        cursor.execute(
            "INSERT INTO bench_job_copies SELECT o.id, c.id FROM jobs_job o "
            "CROSS JOIN generate_series(1, %s) AS copy (k) "
            "JOIN jobs_job c ON c.company_id = o.company_id AND c.slug = o.slug || '-' || copy.k "
            "WHERE o.id <= %s",
            [copies, last_original],
        )
        cursor.execute("CREATE INDEX ON bench_job_copies (original)")
        for model, column in (
            (JobSkill, "job_id"),
            (Job.hiring_team.through, "job_id"),
            (Application, "job_id"),
        ):
            cursor.execute(
                _insert_select(
                    model,
                    source=f"FROM {model._meta.db_table} r "
                    f"JOIN bench_job_copies m ON m.original = r.{column}",
                    overrides={column: "m.copy"},
                    alias="r",
                )
            )
        cursor.execute(
            "INSERT INTO bench_application_copies SELECT a.id, c.id "
            "FROM applications_application a JOIN bench_job_copies m ON m.original = a.job_id "
            "JOIN applications_application c "
            "ON c.job_id = m.copy AND c.candidate_id = a.candidate_id"
        )
        cursor.execute("CREATE INDEX ON bench_application_copies (original)")
        cursor.execute(
            _insert_select(
                StageChange,
                source="FROM applications_stagechange r "
                "JOIN bench_application_copies m ON m.original = r.application_id",
                overrides={"application_id": "m.copy"},
                alias="r",
            )
        )
        cursor.execute("DROP TABLE bench_job_copies, bench_application_copies")


def _company_and_key():
    """The tenant with the most applications, and a new API key of it with read scopes."""
    from django.db.models import Count

    from accounts.models import Company
    from accounts.services import api_key_create

    company = (
        Company.objects.filter(is_tenant=True)
        .annotate(applications=Count("jobs__applications"))
        .order_by("-applications")
        .first()
    )
    _, token = api_key_create(
        company=company, name=f"benchmark {secrets.token_hex(4)}", scopes=KEY_SCOPES, actor=None
    )
    return company, token


def _describe(company) -> list[int]:
    """Print what the database holds; return the ids the detail run reads."""
    from applications.models import Application
    from jobs.models import Job

    jobs = Job.objects.count()
    applications = Application.objects.count()
    mine_jobs = Job.objects.filter(company=company).count()
    mine = Application.objects.filter(job__company=company)
    print(
        f"{jobs:,} jobs ({Job.objects.filter(status='open').count():,} open), "
        f"{applications:,} applications; the key's company {company.name}: "
        f"{mine_jobs:,} jobs, {mine.count():,} applications"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"database size {cursor.fetchone()[0]}")
    return list(mine.order_by("?").values_list("pk", flat=True)[:DETAIL_IDS])


# --- The server ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _serve(**settings: str) -> Server:
    """gunicorn serving the scratch database; `settings` are more environment variables."""
    port = _free_port()
    env = {
        **os.environ,
        # The database is the scratch one: scratch_database set DATABASE_URL.
        "DJANGO_SETTINGS_MODULE": "benchmarks._api_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "CONN_MAX_AGE": "600",
        "CONN_HEALTH_CHECKS": "true",
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14",
        "API_RATE_LIMIT": "100000000/minute",  # counted as ever, never reached
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "recruitment.wsgi:application",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    server = Server(process, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            if _get(port, "/health/live")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise SystemExit("gunicorn did not answer within 60 s")


def _get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- Load ----------------------------------------------------------------------------------------


@dataclass
class Figures:
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    failed: int  # non-2xx answers and socket errors

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
wrk.headers["Authorization"] = "%(authorization)s"
if #paths > 0 then
  request = function()
    i = i %% #paths + 1
    return wrk.format("GET", paths[i])
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50\\": %%d, \\"p95\\": %%d, "
    .. "\\"p99\\": %%d, \\"failed\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def _wrk(port: int, paths: list[str], *, token: str | None, connections: int,
         seconds: float) -> Figures:  # fmt: skip
    script = WRK_SCRIPT % {
        "paths": ", ".join(json.dumps(p) for p in paths[1:]) if len(paths) > 1 else "",
        "authorization": f"Bearer {token}" if token else "",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        out = subprocess.run(
            ["wrk", "--threads", str(min(2, connections)), "--connections", str(connections),
             "--duration", f"{seconds:g}s", "--timeout", "10s", "--script", lua.name,
             f"http://127.0.0.1:{port}{paths[0]}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return Figures(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50=raw["p50"] / 1000,
        p95=raw["p95"] / 1000,
        p99=raw["p99"] / 1000,
        failed=raw["failed"],
    )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else 0.0


def _python_client(port: int, paths: list[str], *, token: str | None, connections: int,
                   seconds: float) -> Figures:  # fmt: skip
    """What wrk measures, from threads: one keep-alive connection each (reopened when the
    server closes it), requests back to back until the time is up."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0] * connections
    counter = iter(range(10**12))
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            with lock:
                path = paths[next(counter) % len(paths)]
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            latencies[slot].append((time.perf_counter() - started) * 1000)
            failures[slot] += not ok
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    values = [ms for slot in latencies for ms in slot]
    return Figures(
        requests=len(values),
        seconds=elapsed,
        p50=_percentile(values, 50),
        p95=_percentile(values, 95),
        p99=_percentile(values, 99),
        failed=sum(failures),
    )


def _measure(client, server: Server, name: str, paths: list[str], *, token: str | None,
             connections: list[int], seconds: float, results: dict) -> None:  # fmt: skip
    status, body = _get(server.port, paths[0], token)
    if status != 200:
        note = "not there yet?" if status == 404 else body[:200].decode(errors="replace")
        print(f"{name:<34} skipped: {paths[0]} answers {status} ({note})", flush=True)
        return
    for _ in range(20):  # warm up both workers: imports, caches, connections
        for path in paths[:5]:
            _get(server.port, path, token)
    for count in connections:
        figures = client(server.port, paths, token=token, connections=count, seconds=seconds)
        results[(name, count)] = figures
        print(
            f"{name:<34} {count:>5} {figures.rate:>9,.0f} {figures.p50:>8.1f} "
            f"{figures.p95:>8.1f} {figures.p99:>8.1f} {figures.failed:>8,}",
            flush=True,
        )


def run(*, seconds: float, client_name: str, token: str, detail_ids: list[int]) -> dict:
    """Load every endpoint; return {endpoint: {connections: {"p50", "p95", "p99" (ms),
    "requests", "seconds", "failed", "rate" (requests/s)}}}."""
    client = _wrk if client_name == "wrk" else _python_client
    server = _serve()
    results: dict[tuple[str, int], Figures] = {}
    try:
        print(
            f"\ngunicorn: {WORKERS} sync workers on 127.0.0.1:{server.port}; load by "
            f"{client_name}, {seconds:g} s per run; latency in ms; 'failed' = non-2xx or errors; "
            f"{os.cpu_count()} CPUs, load average {_load()} (the machine is shared: compare runs "
            "made at the same load)"
        )
        print(
            f"{'endpoint':<34} {'conns':>5} {'req/s':>9} {'p50':>8} {'p95':>8} {'p99':>8} "
            f"{'failed':>8}",
            flush=True,
        )
        ours = [
            ("job list", [f"/api/v1/jobs?page_size={ROWS}"]),
            ("job search (q=python)", ["/api/v1/search/jobs?q=python"]),
            ("application list", [f"/api/v1/applications?page_size={ROWS}"]),
            ("application detail", [f"/api/v1/applications/{pk}" for pk in detail_ids]),
        ]
        for name, paths in ours:
            _measure(client, server, name, paths, token=token, connections=[2, 16],
                     seconds=seconds, results=results)  # fmt: skip
        baselines = [
            (f"naive ModelSerializer, {ROWS} jobs", ["/bench/naive/jobs"]),
            ("  the same without its m2m fields", ["/bench/naive/jobs-no-m2m"]),
            ("DRF view returning {}", ["/bench/drf-empty"]),
            ("Django JsonResponse {}", ["/bench/django-empty"]),
        ]
        for name, paths in baselines:
            # The bare DRF view is also the floor of the service time at 2 connections.
            connections = [2, 16] if name == "DRF view returning {}" else [16]
            _measure(client, server, name, paths, token=None, connections=connections,
                     seconds=seconds, results=results)  # fmt: skip
    finally:
        server.stop()
    # What a search costs when it is not a repeat: the result cache off, the same search and
    # the search benchmark's mix of queries (common, rare, typos, syntax, pages and orders).
    server = _serve(SEARCH_CACHE_SECONDS="0")
    mix = [
        "/api/v1/search/jobs?" + urlencode({"q": text, **extra})
        for _, text, extra in _queries(2_000, "api")
    ]
    try:
        for name, paths in (("  the same, result cache off", ["/api/v1/search/jobs?q=python"]),
                            ("job search, query mix, cache off", mix)):  # fmt: skip
            _measure(client, server, name, paths, token=None, connections=[2, 16],
                     seconds=seconds, results=results)  # fmt: skip
    finally:
        server.stop()
    print(f"load average at the end: {_load()}")
    _targets(results)
    figures: dict[str, dict[str, dict]] = {}
    for (name, count), measured in results.items():
        figures.setdefault(name.strip(), {})[str(count)] = {
            **dataclasses.asdict(measured),
            "rate": round(measured.rate, 1),
        }
    return figures


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _targets(results: dict[tuple[str, int], Figures]) -> None:
    print("\ntargets:")
    for name in ("job list", "job search (q=python)"):
        figures = results.get((name, 2))
        if figures is None:
            print(f"  {name}: p95 at 2 connections <= {P95_TARGET_MS:g} ms: not measured")
            continue
        verdict = "met" if figures.p95 <= P95_TARGET_MS else "MISSED"
        print(
            f"  {name}: p95 at 2 connections {figures.p95:.1f} ms <= {P95_TARGET_MS:g} ms: "
            f"{verdict}"
        )
    for label, key in (("naive", f"naive ModelSerializer, {ROWS} jobs"),
                       ("naive without m2m", "  the same without its m2m fields")):  # fmt: skip
        naive = results.get((key, 16))
        if naive is None:
            print(f"  throughput at 16 connections: the {label} view was not measured")
            continue
        for name in ("job list", "job search (q=python)", "application list",
                     "application detail"):  # fmt: skip
            figures = results.get((name, 16))
            wanted = f"at 16 connections >= {label} {naive.rate:,.0f} req/s"
            if figures is None:
                print(f"  {name}: {wanted}: not measured")
                continue
            verdict = "met" if figures.rate >= naive.rate else "MISSED"
            print(f"  {name}: {figures.rate:,.0f} req/s {wanted}: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--client", choices=["wrk", "python"], default=None,
                        help="default: wrk when installed, else the Python client")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="use a kept scratch database")
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    client = args.client or ("wrk" if shutil.which("wrk") else "python")
    if client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk), use --client python")
    if client == "python":
        print("wrk not found: loading with the Python client (apt-get install wrk for wrk)")

    keep = args.keep or args.reuse
    with scratch_database(SCRATCH_DATABASE, create=not args.reuse, keep=keep):
        if not args.reuse:
            _seed(args.jobs, args.applications)
        company, token = _company_and_key()
        detail_ids = _describe(company)
        if not args.seed_only:
            figures = run(
                seconds=args.duration, client_name=client, token=token, detail_ids=detail_ids
            )
            if args.json:
                args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
