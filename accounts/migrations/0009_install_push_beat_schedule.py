"""Install the web push sweeper as a django-celery-beat row (recruitment.beat)."""

from django.db import migrations

from recruitment.beat import beat_schedule_install

SCHEDULE = [
    (
        "web push: send due notifications",
        "accounts.push_send_due",
        {},  # every minute
        "Send web pushes that are due: retries, and rows whose queued task was "
        "lost (the push outbox's sweeper).",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_notifications_and_web_push"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat_schedule_install(SCHEDULE)]
