"""Install the pipeline's periodic tasks as django-celery-beat rows (recruitment.beat)."""

from django.db import migrations

from recruitment.beat import beat_schedule_install

# (name, task, crontab fields, description)
SCHEDULE = [
    (
        "pipeline: nightly run",
        "pipeline.nightly",
        {"minute": "0", "hour": "2"},
        "Scrape due sources, enrich what changed, match the affected, send digests.",
    ),
    (
        "pipeline: scrape hourly sources",
        "pipeline.scrape_due",
        {"minute": "15", "hour": "*"},
        "Crawl the sources whose schedule is due (hourly ones between nightly runs).",
    ),
    (
        "mail: send the outbox",
        "accounts.outbox_send",
        {"minute": "*", "hour": "*"},
        "Send queued emails; retries with backoff.",
    ),
    (
        "pipeline: fail stale runs",
        "pipeline.runs_fail_stale",
        {"minute": "45", "hour": "*"},
        "Mark runs left 'running' by a killed worker as failed.",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat_schedule_install(SCHEDULE)]
