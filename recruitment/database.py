"""The connection URL of the configured database server, for the processes we start."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.conf import settings


def database_url(name: str | None = None) -> str:
    """A DATABASE_URL for database `name` (default: the one in use) on the configured server,
    so that a child process (a crawl, a worker) uses the same database as this one, e.g. the
    test database."""
    db = settings.DATABASES["default"]
    name = name or db["NAME"]
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host") or ""
    if host.startswith("/"):  # a unix socket directory
        return f"postgresql://{auth}/{name}?{urlencode({'host': host})}"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{name}"
