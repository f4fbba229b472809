"""Install the pipeline's periodic tasks as django-celery-beat rows, so admins see and edit them.

Existing rows with the same names are left alone: an admin's edits survive re-running migrations.
"""

from django.db import migrations

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


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, cron, description in SCHEDULE:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=cron["minute"],
            hour=cron["hour"],
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.create(
            name=name, task=task, crontab=crontab, description=description, enabled=True
        )


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
