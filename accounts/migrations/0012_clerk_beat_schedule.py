"""Install the Clerk events sweeper as a django-celery-beat row (recruitment.beat)."""

from django.db import migrations

from recruitment.beat import beat_schedule_install

SCHEDULE = [
    (
        "clerk: apply pending webhook events",
        "accounts.clerk_events_sweep",
        {},  # every minute
        "Apply Clerk webhook events still pending a few minutes after they arrived: their "
        "task was lost (a broker outage), or they wait for their user (the Clerk inbox's "
        "sweeper).",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_issue8_identity_privacy"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat_schedule_install(SCHEDULE)]
