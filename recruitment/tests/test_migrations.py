import pytest
from django.core.management import call_command
from django.db import connection

OUR_TABLES = {"accounts_user", "jobs_job", "applications_application", "pipeline_match"}


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


def _has_trigger(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [name])
        return cursor.fetchone() is not None


@pytest.mark.django_db(transaction=True)
def test_migrations_run_down_to_zero_and_back_up():
    assert OUR_TABLES <= _tables()
    # accounts holds the user model, so unapplying it takes every app above it down too.
    call_command("migrate", "accounts", "zero", verbosity=0)
    assert not OUR_TABLES & _tables()
    assert not _has_trigger("jobs_job_search_vector")

    call_command("migrate", verbosity=0)
    assert OUR_TABLES <= _tables()
    assert _has_trigger("jobs_job_search_vector")
    assert _has_trigger("accounts_auditevent_append_only")


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
