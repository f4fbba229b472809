"""Install the interview and scorecard reminder sweeps as django-celery-beat rows
(recruitment.beat)."""

from django.db import migrations

from recruitment.beat import beat_schedule_install

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


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0003_hiring_updated_at_note_api_key"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat_schedule_install(SCHEDULE)]
