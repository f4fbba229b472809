"""A scratch database beside the development one, for benchmarks that seed big data.

Imported by the benchmark scripts (the leading underscore keeps `make bench` from running it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import connection, connections
from psycopg import sql

from recruitment.database import database_url

# Keys of Django's OPTIONS that are not libpq connection parameters.
DJANGO_ONLY_OPTIONS = {"isolation_level", "assume_role", "server_side_binding", "pool"}


def _maintenance_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    params = {
        "dbname": "postgres",
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    options = {k: v for k, v in db.get("OPTIONS", {}).items() if k not in DJANGO_ONLY_OPTIONS}
    params.update(options)
    return psycopg.connect(
        autocommit=True, **{k: v for k, v in params.items() if v not in (None, "")}
    )


def _drop(conn: psycopg.Connection, name: str) -> None:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _switch_to(name: str) -> None:
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


@contextmanager
def scratch_database(name: str, *, create: bool = True, keep: bool = False) -> Iterator[None]:
    """Point Django, and the child processes it starts, at database `name` (made afresh
    unless `create` is False), then restore.

    The database is dropped at the end unless `keep`.
    """
    maintenance = _maintenance_connection()
    original = settings.DATABASES["default"]["NAME"]
    original_url = os.environ.get("DATABASE_URL")
    try:
        if create:
            _drop(maintenance, name)
            maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        _switch_to(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            (current,) = cursor.fetchone()
        if current != name:  # never seed the developer's database by mistake
            raise SystemExit(f"connected to {current!r}, expected {name!r}")
        # Child processes (a crawl, a worker) inherit the scratch database too.
        os.environ["DATABASE_URL"] = database_url(name)
        yield
    finally:
        if original_url is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = original_url
        _switch_to(original)
        if not keep:
            _drop(maintenance, name)
        maintenance.close()
