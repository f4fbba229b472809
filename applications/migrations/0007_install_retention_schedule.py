"""Install the nightly retention run as a django-celery-beat row (recruitment.beat)."""

from django.db import migrations

from recruitment.beat import beat_schedule_install

SCHEDULE = [
    (
        "retention: anonymise candidates rejected long ago",
        "applications.retention_anonymise",
        {"minute": "30", "hour": "3"},
        "Anonymise candidates whose applications were all rejected or withdrawn more than "
        "RETENTION_REJECTED_DAYS days ago (and who did not consent to retention), keeping the "
        "applications for statistics and a salted hash of the email.",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0006_stage_scorecard_criteria"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat_schedule_install(SCHEDULE)]
