"""Claiming deliveries so that each is sent by one worker once, and recording the outcome."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from liaison_offices.constants import DeliveryStatus
from liaison_offices.delivery.policy import MAX_ATTEMPTS, backoff
from liaison_offices.models import Delivery

__all__ = ["claim", "claim_many", "claimed", "finish", "mark_failed", "mark_sent", "mark_skipped"]


def claim(delivery_id: int, now: datetime) -> bool:
    """Take a due pending delivery for this worker: the UPDATE matches one row or none."""
    return (
        Delivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).update(status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=F("attempts") + 1)
        == 1
    )


def claim_many(ids: list[int], now: datetime) -> set[int]:
    """Claim several due pending deliveries at once: rows another worker holds are skipped
    (SKIP LOCKED), the rest marked claimed in the same short transaction."""
    with transaction.atomic():
        locked = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .values_list("pk", flat=True)
        )
        if locked:
            Delivery.objects.filter(pk__in=locked).update(
                status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=F("attempts") + 1
            )
    return set(locked)


def finish(delivery: Delivery, claimed_at: datetime, **fields) -> bool:
    """Record the outcome of our claim (not if the sweeper gave the row to someone else)."""
    return (
        Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.CLAIMED, claimed_at=claimed_at
        ).update(**fields)
        == 1
    )


def mark_sent(delivery: Delivery, claimed_at: datetime) -> None:
    finish(
        delivery,
        claimed_at,
        status=DeliveryStatus.SENT,
        delivered_at=timezone.now(),
        last_error="",
    )


def mark_skipped(delivery: Delivery, claimed_at: datetime, reason: str) -> None:
    finish(delivery, claimed_at, status=DeliveryStatus.SKIPPED, last_error=reason[:300])


def mark_failed(
    delivery: Delivery, claimed_at: datetime, error: str, *, retryable: bool
) -> float | None:
    """A failed attempt: retry after `backoff` while attempts remain, else give up."""
    attempts = delivery.attempts  # already counts this attempt (incremented by the claim)
    if retryable and attempts < MAX_ATTEMPTS:
        delay = backoff(attempts)
        finish(
            delivery,
            claimed_at,
            status=DeliveryStatus.PENDING,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            last_error=error[:300],
        )
        return delay
    finish(delivery, claimed_at, status=DeliveryStatus.FAILED, last_error=error[:300])
    return None


def claimed(delivery_id: int, now: datetime) -> Delivery | None:
    if not claim(delivery_id, now):
        return None
    return Delivery.objects.select_related("event").get(pk=delivery_id)
