"""Install the webhook sweeper as a django-celery-beat row (recruitment.beat)."""

from django.db import migrations

from recruitment.beat import beat_schedule_install

SCHEDULE = [
    (
        "webhooks: send due deliveries",
        "accounts.webhooks_send_due",
        {},  # every minute
        "Send webhook deliveries that are due: retries, and rows whose queued task "
        "was lost (the outbox's sweeper).",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_webhook_endpoints_and_deliveries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat_schedule_install(SCHEDULE)]
