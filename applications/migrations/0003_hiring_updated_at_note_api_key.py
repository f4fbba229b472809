"""Interviews, scorecards, offers and notes get `updated_at` (for the API's `updated_after`
sync), backfilled from what each row knows of its last change; a note can be written by an
API key instead of a person (then it has no author)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The last change each row knows of; GREATEST skips NULLs.
BACKFILL = """
UPDATE applications_interview SET updated_at = created_at;
UPDATE applications_scorecard SET updated_at = GREATEST(created_at, submitted_at);
UPDATE applications_offer SET updated_at = GREATEST(created_at, sent_at, responded_at);
UPDATE applications_note SET updated_at = created_at;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_hnsw_ef_construction_200"),
        ("applications", "0002_document_processing_started_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # auto_now: the existing rows get the time of the migration, then the backfill.
        migrations.AddField(
            model_name="interview",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name="scorecard",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name="offer",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name="note",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AddField(
            model_name="note",
            name="api_key",
            field=models.ForeignKey(
                blank=True,
                help_text="The partner API key that wrote the note, when no person did.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.apikey",
            ),
        ),
        migrations.AlterField(
            model_name="note",
            name="author",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty when an API key wrote it.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="interview",
            index=models.Index(fields=["-updated_at"], name="applications_interview_updated"),
        ),
        migrations.AddIndex(
            model_name="scorecard",
            index=models.Index(fields=["-updated_at"], name="applications_scorecard_updated"),
        ),
        migrations.AddIndex(
            model_name="offer",
            index=models.Index(fields=["-updated_at"], name="applications_offer_updated"),
        ),
        migrations.AddIndex(
            model_name="note",
            index=models.Index(fields=["-updated_at"], name="applications_note_updated"),
        ),
    ]
