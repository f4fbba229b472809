"""Celery tasks of the applications app: each loads by id and calls one service."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from applications.documents import STORAGE_ERRORS, document_extract, document_extract_fail
from applications.invites import interview_reminders_queue
from applications.models import Document
from applications.reminders import scorecard_reminders_queue
from applications.retention import retention_run

logger = logging.getLogger(__name__)

RETRY_BACKOFF_SECONDS = 30
RETRY_BACKOFF_MAX_SECONDS = 600


def retry_countdown(retries: int) -> int:
    """Seconds before retry number `retries` + 1: 30, 60, 120, ... capped."""
    return min(RETRY_BACKOFF_SECONDS * 2**retries, RETRY_BACKOFF_MAX_SECONDS)


@shared_task(name="applications.document_extract_text", bind=True, acks_late=True, max_retries=3)
def document_extract_text(self, document_id: int) -> None:
    """Extract a document's text and parse it; a no-op unless the document awaits extraction."""
    # A claim older than the task time limit belongs to a worker that died mid-task: retake it.
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = (
        Document.objects.filter(pk=document_id)
        .filter(
            Q(status__in=[Document.Status.UPLOADED, Document.Status.FAILED])
            | Q(status=Document.Status.PROCESSING, processing_started_at__lt=stale)
        )
        .update(status=Document.Status.PROCESSING, error="", processing_started_at=timezone.now())
    )
    if not claimed:
        if Document.objects.filter(pk=document_id).exists():
            logger.info("Document %s is already extracted or being extracted", document_id)
        else:
            logger.warning("Document %s does not exist; nothing to extract", document_id)
        return
    document = Document.objects.get(pk=document_id)
    try:
        document_extract(document=document)
    except STORAGE_ERRORS as exc:
        # Storage trouble other than a missing file (which the service records) may pass.
        # In process (no broker) there is nobody to retry later: record the failure now.
        if self.request.is_eager or self.request.retries >= self.max_retries:
            document_extract_fail(document=document, error=f"Storage error: {exc}")
            return
        # Release the claim so the retry can take it again.
        Document.objects.filter(pk=document_id, status=Document.Status.PROCESSING).update(
            status=Document.Status.UPLOADED
        )
        countdown = retry_countdown(self.request.retries)
        logger.warning(
            "Storage error reading document %s (attempt %s), retrying in %ss: %s",
            document_id,
            self.request.retries + 1,
            countdown,
            exc,
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="applications.interview_reminders_send", acks_late=True, ignore_result=True)
def interview_reminders_send() -> int:
    """Queue the reminders of tomorrow's interviews (celery-beat, hourly); the outbox sends
    them. Idempotent: a reminder already queued is not queued again."""
    queued = interview_reminders_queue()
    logger.info("Queued %s interview reminder(s)", queued)
    return queued


@shared_task(name="applications.scorecard_reminders_send", acks_late=True, ignore_result=True)
def scorecard_reminders_send() -> int:
    """Queue today's reminders of scorecards still owed (celery-beat, daily). Idempotent."""
    queued = scorecard_reminders_queue()
    logger.info("Queued %s scorecard reminder(s)", queued)
    return queued


@shared_task(name="applications.retention_anonymise", acks_late=True, ignore_result=True)
def retention_anonymise() -> int:
    """Anonymise the candidates retention says are due (celery-beat, nightly). Idempotent:
    an anonymised candidate is a tombstone, which is never due again."""
    return retention_run().anonymised
