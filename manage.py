#!/usr/bin/env python
"""Django's command-line utility, printing one clear line for bad configuration."""

import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line
        from django.db.utils import OperationalError

        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        from django.conf import settings

        db = settings.DATABASES["default"]
        where = db.get("HOST") or "(socket)"
        if db.get("PORT"):
            where += f":{db['PORT']}"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(
            f"database error: cannot use database {db.get('NAME')!r} at {where}: {reason}",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
