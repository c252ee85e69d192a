"""Claiming deliveries so that each is sent by one worker once, and recording the outcome."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from glo_act.db import ADVISORY_WEBHOOK_PARTNER, advisory_xact_lock
from liaison_offices.constants import Channel, DeliveryStatus
from liaison_offices.delivery.policy import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    backoff,
    webhook_partner_concurrency,
)
from liaison_offices.models import Delivery

__all__ = [
    "PartnerBusy",
    "claim",
    "claim_many",
    "claim_webhook",
    "claimed",
    "finish",
    "mark_failed",
    "mark_sent",
    "mark_skipped",
]


class PartnerBusy(Exception):
    """The partner already has its bound of webhook deliveries in flight: try again later.
    The row is untouched (still pending, no attempt counted)."""


def claim(delivery_id: int, now: datetime) -> bool:
    """Take a due pending delivery for this worker: the UPDATE matches one row or none."""
    return (
        Delivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).update(status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=F("attempts") + 1)
        == 1
    )


def claim_many(ids: list[int], now: datetime) -> set[int]:
    """Claim several due pending deliveries at once; rows another worker holds are skipped.

    One statement: the rows are picked and locked (SKIP LOCKED on PostgreSQL) and marked
    claimed by the same UPDATE, which returns what it took. As a locking SELECT and an UPDATE
    in a transaction it was four round trips per batch, ~2 ms of the worker's CPU each
    (bench/ANALYSIS.md).
    """
    if not ids:
        return set()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    skip_locked = connection.features.has_select_for_update_skip_locked  # not on SQLite
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    ids_sql = ", ".join(["%s"] * len(ids))
    # Only our own table name and placeholders go into the statement (S608).
    sql = (
        f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "  # noqa: S608
        f"WHERE id IN (SELECT id FROM {table} WHERE id IN ({ids_sql}) AND status = %s "
        f"AND next_attempt_at <= %s{lock}) RETURNING id"
    )
    at = connection.ops.adapt_datetimefield_value(now)  # as the ORM writes it (SQLite: text)
    params = [DeliveryStatus.CLAIMED, at, *ids, DeliveryStatus.PENDING, at]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


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


def mark_skipped(
    delivery: Delivery, claimed_at: datetime, reason: str, *, replayable: bool = False
) -> None:
    finish(
        delivery,
        claimed_at,
        status=DeliveryStatus.SKIPPED,
        last_error=reason[:300],
        replayable=replayable,
    )


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


def claim_webhook(delivery_id: int, now: datetime) -> bool:
    """Claim a due webhook delivery unless its partner is at its concurrency bound
    (`webhook_partner_concurrency`), which raises PartnerBusy.

    In flight means claimed within CLAIM_LEASE (an older claim belongs to a dead worker, and
    the sweeper takes it back). The count and the claim run under a per-partner advisory lock,
    so two workers cannot both see the last free slot.
    """
    limit = webhook_partner_concurrency()
    if not limit:
        return claim(delivery_id, now)
    with transaction.atomic():
        partner_id = (
            Delivery.objects.filter(
                pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
            )
            .values_list("partner_id", flat=True)
            .first()
        )
        if partner_id is None:
            return False  # not due, or sent, skipped or held since it was enqueued
        advisory_xact_lock(ADVISORY_WEBHOOK_PARTNER, partner_id)
        in_flight = Delivery.objects.filter(
            partner_id=partner_id,
            channel=Channel.WEBHOOK,
            status=DeliveryStatus.CLAIMED,
            claimed_at__gt=now - CLAIM_LEASE,
        ).count()
        if in_flight >= limit:
            raise PartnerBusy(partner_id)
        return claim(delivery_id, now)


def claimed(delivery_id: int, now: datetime, *, webhook: bool = False) -> Delivery | None:
    if not (claim_webhook(delivery_id, now) if webhook else claim(delivery_id, now)):
        return None
    return Delivery.objects.select_related("event").get(pk=delivery_id)
