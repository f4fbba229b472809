"""Install the interview and scorecard reminder sweeps as django-celery-beat rows, so admins
see and edit them.

An existing row with the same name is left alone: an admin's edits survive re-running migrations.
"""

from django.db import migrations

SCHEDULE = [
    (
        "interviews: queue tomorrow's reminders",
        "applications.interview_reminders_send",
        {"minute": "15", "hour": "*"},
        "Email the candidate and panel of each interview starting within a day a reminder with "
        "the invitation (once per version of the interview).",
    ),
    (
        "scorecards: remind interviewers of scorecards owed",
        "applications.scorecard_reminders_send",
        {"minute": "0", "hour": "8"},
        "Email each interviewer, once a day for two weeks, about the interviews that are over "
        "and still wait for their scorecard.",
    ),
]


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, cron, description in SCHEDULE:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC", **cron
        )
        PeriodicTask.objects.create(
            name=name, task=task, crontab=crontab, description=description, enabled=True
        )


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0003_hiring_updated_at_note_api_key"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
