"""Periodic tasks that migrations install as django-celery-beat rows, so admins see and edit
them in the back office. A row that already has the name is left alone: an admin's edits survive
re-running migrations. Each entry of a schedule is (name, task, crontab fields, description);
crontab fields left out are "*", in UTC."""

from django.db import migrations

CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")


def beat_schedule_install(schedule: list[tuple[str, str, dict, str]]) -> migrations.RunPython:
    """A migration operation that installs `schedule` (and removes it when unapplied)."""

    def install(apps, schema_editor):
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        for name, task, cron, description in schedule:
            if PeriodicTask.objects.filter(name=name).exists():
                continue
            crontab, _ = CrontabSchedule.objects.get_or_create(
                timezone="UTC", **{field: cron.get(field, "*") for field in CRONTAB_FIELDS}
            )
            PeriodicTask.objects.create(
                name=name, task=task, crontab=crontab, description=description, enabled=True
            )

    def uninstall(apps, schema_editor):
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        PeriodicTask.objects.filter(name__in=[name for name, *_ in schedule]).delete()

    return migrations.RunPython(install, uninstall)
