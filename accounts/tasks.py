"""Celery tasks of the accounts app: each a few lines around one service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from celery import shared_task
from django.conf import settings

from accounts import mail
from accounts.clerk import CLERK_SWEEP_AFTER, clerk_events_process_pending
from accounts.clerk import clerk_event_process as clerk_event_apply
from accounts.mail import outbox_send_due
from accounts.privacy import erasure_confirmations_scrub
from accounts.push import pushes_send, pushes_send_due
from accounts.webhooks import webhook_deliveries_send, webhook_deliveries_send_due

# Batches one run may send before leaving the rest to the next run.
OUTBOX_MAX_BATCHES = 10


@shared_task(name="accounts.outbox_send_emails", acks_late=True, ignore_result=True)
def outbox_send_emails(email_ids: list[int]) -> dict:
    """Send the emails just queued (on commit, by accounts.mail.email_queue), then blank the
    address of the erasure confirmations among them. Idempotent: an email already sent, or
    taken by another worker, is skipped."""
    counts = mail.outbox_send_emails(email_ids=email_ids)
    counts["erasure_confirmations_scrubbed"] = erasure_confirmations_scrub(email_ids=email_ids)
    return counts


def _batches(send_due: Callable[..., dict], *, limit: int, most: int) -> dict:
    """Run a sweep of `limit` rows again while sweeps come back full, at most `most` times;
    return the summed counts."""
    totals: Counter[str] = Counter()
    for _ in range(most):
        result = send_due(limit=limit)
        totals.update(result)
        if result["claimed"] + result["taken"] < limit:
            break
    return dict(totals)


@shared_task(name="accounts.outbox_send", acks_late=True, ignore_result=True)
def outbox_send() -> dict:
    """Send the due emails of the outbox, batch after batch while batches come back full.

    The periodic sweeper (celery-beat, every minute): retries that are due, and the emails whose
    task was lost (queued while the broker was down, or forgotten by it). Safe to run any number
    of times at once: rows are claimed one by one. Then it blanks the address of the account
    erasure confirmations it is done with.
    """
    totals = _batches(
        outbox_send_due, limit=settings.EMAIL_OUTBOX_BATCH_SIZE, most=OUTBOX_MAX_BATCHES
    )
    # An erased person's address is kept only until their confirmation has left.
    totals["erasure_confirmations_scrubbed"] = erasure_confirmations_scrub()
    return totals


# Sweeps one run may make before leaving the rest to the next run.
WEBHOOK_MAX_BATCHES = 10


@shared_task(name="accounts.webhooks_send", acks_late=True, ignore_result=True)
def webhooks_send(delivery_ids: list[int]) -> dict:
    """Send the deliveries just written (queued on commit by webhook_event_emit). Idempotent:
    a delivery already sent, or taken by another worker, is skipped."""
    return webhook_deliveries_send(delivery_ids=delivery_ids)


@shared_task(name="accounts.webhooks_send_due", acks_late=True, ignore_result=True)
def webhooks_send_due() -> dict:
    """The sweeper (celery-beat, every minute): retries that are due, and deliveries whose
    task was lost, batch after batch while batches come back full."""
    return _batches(
        webhook_deliveries_send_due, limit=settings.WEBHOOK_BATCH_SIZE, most=WEBHOOK_MAX_BATCHES
    )


# Sweeps one run may make before leaving the rest to the next run.
PUSH_MAX_BATCHES = 10


@shared_task(name="accounts.push_send", acks_late=True, ignore_result=True)
def push_send(push_ids: list[int]) -> dict:
    """Send the web pushes just written (queued on commit by accounts.push.pushes_queue).
    Idempotent: a push already sent, or taken by another worker, is skipped."""
    return pushes_send(push_ids=push_ids)


@shared_task(name="accounts.push_send_due", acks_late=True, ignore_result=True)
def push_send_due() -> dict:
    """The sweeper (celery-beat, every minute): retries that are due, and pushes whose task
    was lost (a broker outage), batch after batch while batches come back full."""
    return _batches(pushes_send_due, limit=settings.PUSH_BATCH_SIZE, most=PUSH_MAX_BATCHES)


# Events one sweep may apply before leaving the rest to the next run.
CLERK_SWEEP_BATCH = 200


@shared_task(name="accounts.clerk_event_process", acks_late=True, ignore_result=True)
def clerk_event_process(event_id: int) -> str | None:
    """Apply a stored Clerk webhook event (queued by the webhook view once stored).
    Idempotent: an event applied already, or held by another worker, is skipped."""
    return clerk_event_apply(event_id=event_id)


@shared_task(name="accounts.clerk_events_sweep", acks_late=True, ignore_result=True)
def clerk_events_sweep() -> dict:
    """The sweeper (celery-beat, every minute): Clerk events still pending a few minutes after
    they arrived, because their task was lost (a broker outage) or they wait for their user."""
    return clerk_events_process_pending(older_than=CLERK_SWEEP_AFTER, limit=CLERK_SWEEP_BATCH)
