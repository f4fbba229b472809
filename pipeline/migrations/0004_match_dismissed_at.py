from django.db import migrations, models


def backfill_dismissed_at(apps, schema_editor):
    """Matches dismissed before the column existed get their last change as the time."""
    Match = apps.get_model("pipeline", "Match")
    Match.objects.filter(status="dismissed", dismissed_at__isnull=True).update(
        dismissed_at=models.F("updated_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0003_match_labels_and_enrichment"),
    ]

    operations = [
        migrations.AddField(
            model_name="match",
            name="dismissed_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the candidate dismissed it: never shown to them again, and "
                "matching keeps it dismissed.",
                null=True,
            ),
        ),
        migrations.RunPython(backfill_dismissed_at, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="match",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "dismissed"), _negated=True),
                    ("dismissed_at__isnull", False),
                    _connector="OR",
                ),
                name="pipeline_match_dismissed_has_time",
            ),
        ),
    ]
