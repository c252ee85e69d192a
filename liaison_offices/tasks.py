"""Celery tasks for notifications: thin wrappers that load ids and call `delivery`.

Every task is idempotent (each send claims its row first), so `acks_late` redelivery, the
sweeper and retries may all run one twice without sending twice. Retries wait an exponential
backoff with jitter (`delivery.backoff`), bounded by `delivery.MAX_ATTEMPTS` per delivery.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from liaison_offices import delivery, reminders

logger = logging.getLogger(__name__)

# A database hiccup (failover, restart) is retried by Celery itself, with backoff and jitter.
_DB_RETRY = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def _retry_later(task, seconds: float | None) -> None:
    if seconds is None:
        return
    if task.request.is_eager:
        # In-process (no Redis): an eager retry would run at once, inside the web request.
        # The row stays pending with its next_attempt_at; the sweeper takes it from there.
        return
    raise task.retry(countdown=max(0.0, seconds), max_retries=delivery.MAX_ATTEMPTS + 2)


@shared_task(bind=True, acks_late=True, ignore_result=True, **_DB_RETRY)
def deliver_event(self, event_id: int) -> None:
    """Resolve an event's recipients, fill inboxes, send emails, hand webhooks on."""
    result = delivery.dispatch_event(event_id)
    for delivery_id in result.webhook_ids:
        delivery.enqueue_webhook(delivery_id)
    _retry_later(self, result.retry_in)


@shared_task(bind=True, acks_late=True, ignore_result=True, **_DB_RETRY)
def send_webhook(self, delivery_id: int) -> None:
    """POST one signed webhook delivery; retried with backoff on 5xx and timeouts.

    Runs on the webhook queue (glo_act/celery.py routes it), so that a slow partner holds only
    webhook workers. A partner at its concurrency bound gets the delivery back later, as a new
    message: waiting for a free slot is no failed attempt and does not use up retries.
    """
    try:
        retry_in = delivery.send_webhook(delivery_id)
    except delivery.PartnerBusy:
        if not self.request.is_eager:  # eager: the sweeper takes the pending row
            delivery.enqueue_webhook(delivery_id, countdown=delivery.partner_busy_wait())
        return
    _retry_later(self, retry_in)


@shared_task(acks_late=True, ignore_result=True)
def sweep_undelivered_events() -> None:
    """Beat, every minute (each copy expires before the next, settings.CELERY_BEAT_SCHEDULE):
    re-enqueue what Redis or a dead worker lost; nothing if another sweep is running."""
    result = delivery.sweep_undelivered()
    if result.skipped:
        logger.info("Another sweep is running; this one did nothing.")
    elif result.events or result.webhooks or result.reclaimed:
        logger.info(
            "Sweeper re-enqueued %d events and %d webhooks; reclaimed %d deliveries.",
            len(result.events),
            len(result.webhooks),
            result.reclaimed,
        )


@shared_task(acks_late=True, ignore_result=True)
def send_due_reminders() -> None:
    """Beat, every 15 minutes: ask each app's reminder producers what is due, publish it once."""
    published = reminders.send_due_reminders()
    if published:
        logger.info("Published %d reminders.", published)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=3)
def send_daily_digests(self) -> None:
    """Beat, daily: one email per user listing the notifications held for their digest."""
    sent, failed = delivery.send_digests()
    logger.info("Daily digests: %d sent, %d failed.", sent, failed)
    if failed and not self.request.is_eager:
        raise self.retry(countdown=delivery.backoff(self.request.retries + 3))
