"""What the leased outboxes share: webhook deliveries and web pushes are rows written with the
business change, then sent by a worker that claims one with a conditional UPDATE (counting the
attempt and leasing the row past the send), records the outcome only while it still holds the
lease, waits a doubling delay after a failure, and fails a row whose last allowed attempt never
finished (its worker died)."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)


def retry_delay(
    *, attempts: int, base_seconds: float, max_seconds: float, retry_after: str | None = None
) -> timedelta:
    """The wait after failed attempt number `attempts` (1, 2, ...): doubling from
    `base_seconds` with up to 10 % jitter, at least the receiver's `Retry-After` (seconds),
    capped at `max_seconds`."""
    seconds = base_seconds * 2 ** max(attempts - 1, 0)
    seconds += random.uniform(0, seconds / 10)
    if retry_after is not None and retry_after.strip().isdigit():
        seconds = max(seconds, int(retry_after))
    return timedelta(seconds=min(seconds, max_seconds))


@dataclass(frozen=True)
class LeasedOutbox:
    """One outbox table: `model` has `status` (with Status.PENDING and Status.FAILED),
    `attempts`, `next_attempt_at` and `last_attempt_at`; the most attempts is the setting
    named `max_attempts_setting`, and `lease` says how long a claimed row is its worker's."""

    model: type[models.Model]
    max_attempts_setting: str
    lease: Callable[[], timedelta]
    noun: str  # for the log, e.g. "webhook delivery"

    def max_attempts(self) -> int:
        return getattr(settings, self.max_attempts_setting)

    def due(self, now: datetime) -> QuerySet:
        return self.model.objects.filter(
            status=self.model.Status.PENDING,
            next_attempt_at__lte=now,
            attempts__lt=self.max_attempts(),
        )

    def claim(self, pk: int, now: datetime) -> bool:
        """Take a due row, or False when it isn't due or another worker has it: a second claim
        waits for the first to commit, then finds the row not due."""
        return bool(
            self.due(now)
            .filter(pk=pk)
            .update(
                attempts=F("attempts") + 1, next_attempt_at=now + self.lease(), last_attempt_at=now
            )
        )

    def finish(self, row: models.Model, **fields: Any) -> bool:
        """Record an attempt's outcome, unless the row changed hands meanwhile (its lease ran
        out, or it was sent again)."""
        done = self.model.objects.filter(
            pk=row.pk, status=self.model.Status.PENDING, attempts=row.attempts
        ).update(**fields)
        if not done:
            logger.warning(
                "%s changed hands during its send; outcome not recorded",
                self.noun,
                extra={"outbox": self.model._meta.label, "row": row.pk},
            )
        return bool(done)

    def give_up_lost(self, now: datetime) -> int:
        """Fail rows whose last allowed attempt never finished (its worker died)."""
        return self.model.objects.filter(
            status=self.model.Status.PENDING,
            next_attempt_at__lte=now,
            attempts__gte=self.max_attempts(),
        ).update(
            status=self.model.Status.FAILED,
            last_error="gave up: the last attempt never finished (worker lost)",
        )

    def send_due(
        self,
        *,
        limit: int,
        now: datetime | None,
        send_each: Callable[[list[int], Callable[[], datetime]], Counter],
        outcomes: tuple[str, ...],
    ) -> dict:
        """The sweep: fail the lost rows, then send up to `limit` due ones, oldest due first,
        with `send_each(ids, clock)`; return counts (claimed, gave_up and each outcome).

        `now` pins the clock (tests); by default each claim reads the time when it happens.
        """
        clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
        gave_up = self.give_up_lost(clock())
        ids = list(
            self.due(clock()).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
        )
        counts = send_each(ids, clock)
        return {
            "claimed": len(ids) - counts["taken"],
            "gave_up": gave_up,
            **{key: counts[key] for key in outcomes},
        }
