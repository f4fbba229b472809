"""Install the webhook sweeper as a django-celery-beat row, so admins see and edit it.

An existing row with the same name is left alone: an admin's edits survive re-running migrations.
"""

from django.db import migrations

NAME = "webhooks: send due deliveries"


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="*",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.create(
        name=NAME,
        task="accounts.webhooks_send_due",
        crontab=crontab,
        description="Send webhook deliveries that are due: retries, and rows whose queued task "
        "was lost (the outbox's sweeper).",
        enabled=True,
    )


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_webhook_endpoints_and_deliveries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
