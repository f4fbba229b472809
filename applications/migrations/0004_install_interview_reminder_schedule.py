"""Install the interview reminder sweep as a django-celery-beat row, so admins see and edit it.

An existing row with the same name is left alone: an admin's edits survive re-running migrations.
"""

from django.db import migrations

NAME = "interviews: queue tomorrow's reminders"


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.create(
        name=NAME,
        task="applications.interview_reminders_send",
        crontab=crontab,
        description="Email the candidate and panel of each interview starting within a day a "
        "reminder with the invitation (once per version of the interview).",
        enabled=True,
    )


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0003_hiring_updated_at_note_api_key"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
