"""Celery tasks of the accounts app: each a few lines around one service."""

from __future__ import annotations

from collections import Counter

from celery import shared_task
from django.conf import settings

from accounts.mail import outbox_send_due

# Batches one run may send before leaving the rest to the next run.
OUTBOX_MAX_BATCHES = 10


@shared_task(name="accounts.outbox_send", acks_late=True, ignore_result=True)
def outbox_send() -> dict:
    """Send the due emails of the outbox, batch after batch while batches come back full.

    Safe to run any number of times at once (rows are claimed one by one), so it serves both as
    the task queued after writing emails and as the periodic sweeper (celery-beat, every minute)
    that picks up retries and rows left behind by a broker outage or a lost worker.
    """
    limit = settings.EMAIL_OUTBOX_BATCH_SIZE
    totals: Counter[str] = Counter()
    for _ in range(OUTBOX_MAX_BATCHES):
        result = outbox_send_due(limit=limit)
        totals.update(result)
        if result["claimed"] + result["taken"] < limit:
            break
    return dict(totals)
