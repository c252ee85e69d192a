"""Entry points the tasks call: dispatch an event, send a webhook, sweep, retry, enqueue."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import Exists, F, OuterRef, Value, When
from django.utils import timezone

from glo_act.db import ADVISORY_SWEEP, try_advisory_xact_lock
from liaison_offices.constants import (
    DEFAULT_NOTIFICATION_MODES,
    OPEN_DELIVERY_STATUSES,
    Channel,
    DeliveryStatus,
    EventStatus,
    NotificationMode,
)
from liaison_offices.delivery.channels import (
    AFTER_PLANNING,
    OWN_TASK,
    WebhookChannel,
    channels_at,
    write_inbox,
)
from liaison_offices.delivery.claims import claimed
from liaison_offices.delivery.policy import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    MAX_PLANNING_ATTEMPTS,
    SWEEP_AFTER,
    SWEEP_BATCH,
)
from liaison_offices.delivery.recipients import (
    candidate_users,
    notification_modes,
    partner_can_see,
    visible_among,
)
from liaison_offices.models import (
    Delivery,
    NotificationEvent,
    PartnerWebhook,
)
from liaison_offices.sentences import reader_columns, readers_from

logger = logging.getLogger(__name__)

__all__ = [
    "DispatchResult",
    "PUBLISH_RETRY_POLICY",
    "SweepResult",
    "complete_if_final",
    "dispatch_event",
    "enqueue_event",
    "enqueue_webhook",
    "retry_deliveries",
    "replay_skipped",
    "retry_events",
    "send_webhook",
    "skipped_while_disabled",
    "sweep_undelivered",
]


@dataclass
class DispatchResult:
    """What the task must do next: enqueue these webhook deliveries, retry in `retry_in` s."""

    webhook_ids: list[int] = field(default_factory=list)
    retry_in: float | None = None


def _plan(event: NotificationEvent, now: datetime) -> None:
    """Resolve recipients, write every delivery row (idempotent: unique constraints) and the
    inbox rows of the in-app ones, which are born sent."""
    users = list(
        candidate_users(event)
        .annotate(**reader_columns())
        .only("pk", "email", "is_active", "is_superuser")
    )
    # Each recipient's language and zone, read with them; the emails after planning reuse it.
    event.readers = readers_from(users)
    modes = notification_modes([u.pk for u in users])
    can_see_it = visible_among(event, users) if users else set()
    rows: list[Delivery] = []
    inbox: list[int] = []
    for user in users:
        visible = user.pk in can_see_it
        for channel in (Channel.IN_APP, Channel.EMAIL):
            mode = modes.get((user.pk, channel), DEFAULT_NOTIFICATION_MODES[channel])
            row = Delivery(event=event, user=user, channel=channel, next_attempt_at=now)
            if not visible:
                row.status, row.last_error = DeliveryStatus.SKIPPED, "cannot see the subject"
            elif mode == NotificationMode.OFF:
                row.status, row.last_error = DeliveryStatus.SKIPPED, "turned off by the user"
            elif channel == Channel.IN_APP:
                # Delivered here: the inbox row and this `sent` mark commit with the plan.
                row.status, row.delivered_at, row.attempts = DeliveryStatus.SENT, now, 1
                inbox.append(user.pk)
            elif not user.email:
                row.status, row.last_error = DeliveryStatus.SKIPPED, "no email address"
            elif mode == NotificationMode.DAILY_DIGEST:
                row.status, row.in_digest = DeliveryStatus.DIGEST, True
            rows.append(row)
    if event.partner_ids:
        # Every configured webhook gets its row; a disabled one a skipped row that says so,
        # which re-enabling the webhook can replay (`replay_skipped`).
        hooks = PartnerWebhook.objects.filter(
            partner_id__in=event.partner_ids, partner__is_active=True
        ).values_list("partner_id", "is_active", "disabled_reason")
        for partner_id, active, disabled_reason in hooks:
            row = Delivery(event=event, partner_id=partner_id, channel=Channel.WEBHOOK)
            row.next_attempt_at = now
            if not partner_can_see(event, partner_id):
                row.status, row.last_error = DeliveryStatus.SKIPPED, "cannot see the subject"
            elif not active:
                row.status, row.replayable = DeliveryStatus.SKIPPED, True
                row.last_error = f"webhook disabled: {disabled_reason or 'by HQ'}"[:300]
            rows.append(row)
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    if inbox:
        write_inbox(event, inbox, now, event.readers)
    NotificationEvent.objects.filter(pk=event.pk).update(
        status=EventStatus.PLANNED, planned_at=now, last_error=""
    )


# --- Entry points (called by liaison_offices.tasks) --------------------------------------------
def dispatch_event(event_id: int) -> DispatchResult:
    """Plan an event's deliveries if not yet done, fill the inbox, send immediate emails."""
    result = DispatchResult()
    # A planning attempt is counted before its transaction, so that one that keeps failing
    # (rolled back each time) still ends, failed, after MAX_PLANNING_ATTEMPTS.
    NotificationEvent.objects.filter(
        pk=event_id, planned_at__isnull=True, dispatched_at__isnull=True
    ).update(attempts=F("attempts") + 1)
    with transaction.atomic():
        event = NotificationEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.dispatched_at is not None:
            return result  # unknown (another database's message) or already complete
        now = timezone.now()
        if event.planned_at is None:
            _plan(event, now)  # the inbox is written with the plan
            event.planned_at = now
    for channel in channels_at(AFTER_PLANNING):
        delay = channel().deliver(event, timezone.now())
        if delay is not None:
            result.retry_in = delay if result.retry_in is None else min(result.retry_in, delay)
    if event.partner_ids:  # only partners have webhooks
        result.webhook_ids = list(
            Delivery.objects.filter(
                event_id=event_id,
                channel__in=[channel.channel for channel in channels_at(OWN_TASK)],
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=timezone.now(),
            ).values_list("pk", flat=True)
        )
    complete_if_final(event_id)
    return result


def send_webhook(delivery_id: int) -> float | None:
    """Send one webhook delivery if it is due and unclaimed; a retry delay when needed.
    Raises PartnerBusy, the row untouched, when the partner is at its concurrency bound."""
    now = timezone.now()
    delivery = claimed(delivery_id, now, webhook=True)
    if delivery is None:
        row = Delivery.objects.filter(pk=delivery_id).values("status", "next_attempt_at").first()
        if row and row["status"] == DeliveryStatus.PENDING and row["next_attempt_at"] > now:
            return (row["next_attempt_at"] - now).total_seconds()  # woke up early
        return None
    try:
        delay = WebhookChannel().send(delivery, now)
    finally:
        complete_if_final(delivery.event_id)
    return delay


def complete_if_final(event_id: int) -> bool:
    """Close the outbox row once no delivery of it is pending or claimed."""
    open_rows = Delivery.objects.filter(event_id=event_id, status__in=OPEN_DELIVERY_STATUSES)
    return bool(
        NotificationEvent.objects.filter(
            pk=event_id, planned_at__isnull=False, dispatched_at__isnull=True
        )
        .exclude(Exists(open_rows))
        .update(status=EventStatus.DONE, dispatched_at=timezone.now())
    )


@dataclass
class SweepResult:
    events: list[int] = field(default_factory=list)
    webhooks: list[int] = field(default_factory=list)
    reclaimed: int = 0
    failed_events: int = 0
    skipped: bool = False  # another sweep held the lock


def sweep_undelivered(*, now: datetime | None = None, enqueue: bool = True) -> SweepResult:
    """Find work that Redis or a worker lost and enqueue it again.

    - claims older than CLAIM_LEASE (their worker died) go back to pending;
    - events not yet planned SWEEP_AFTER after creation (Redis down at publish, worker lost);
    - in-app/email and webhook deliveries due for SWEEP_AFTER without a worker coming.
    Re-enqueueing is safe: every send claims its row first.

    One sweep at a time: a sweep that finds another holding the advisory lock returns at once
    (`skipped`), so sweeps queued during an outage and run together do the work once. The
    lock is held while the rows are read and updated; the enqueueing follows the commit, so a
    worker never receives a row the sweep has not yet handed back.
    """
    with transaction.atomic():
        if not try_advisory_xact_lock(ADVISORY_SWEEP, 0):
            return SweepResult(skipped=True)
        result = _sweep(now or timezone.now())
    if enqueue:
        for event_id in result.events:
            enqueue_event(event_id)
        for delivery_id in result.webhooks:
            enqueue_webhook(delivery_id)
    return result


def _sweep(now: datetime) -> SweepResult:
    result = SweepResult()
    stale = list(
        Delivery.objects.filter(status=DeliveryStatus.CLAIMED, claimed_at__lt=now - CLAIM_LEASE)
        .order_by("claimed_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if stale:
        result.reclaimed = Delivery.objects.filter(
            pk__in=stale, status=DeliveryStatus.CLAIMED, claimed_at__lt=now - CLAIM_LEASE
        ).update(
            status=SqlCase(
                When(in_digest=True, then=Value(DeliveryStatus.DIGEST)),
                When(attempts__gte=MAX_ATTEMPTS, then=Value(DeliveryStatus.FAILED)),
                default=Value(DeliveryStatus.PENDING),
            ),
            # Due since the lost claim: picked up below, and claimable by a worker at once.
            next_attempt_at=F("claimed_at"),
            last_error="the worker was lost during delivery",
        )
        logger.warning("Sweeper reclaimed %d deliveries from lost workers.", result.reclaimed)
    cutoff = now - SWEEP_AFTER
    outbox = NotificationEvent.objects.filter(dispatched_at__isnull=True)
    result.failed_events = outbox.filter(
        planned_at__isnull=True, attempts__gte=MAX_PLANNING_ATTEMPTS
    ).update(
        status=EventStatus.FAILED,
        dispatched_at=now,
        last_error="recipients could not be resolved",
    )
    unplanned = set(
        outbox.filter(planned_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff)
    with_due = set(
        due.exclude(channel=Channel.WEBHOOK)
        .order_by()
        .values_list("event_id", flat=True)
        .distinct()[:SWEEP_BATCH]
    )
    result.events = sorted(unplanned | with_due)
    result.webhooks = list(
        due.filter(channel=Channel.WEBHOOK)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    # Planned events whose last delivery turned final while nobody was looking (one UPDATE).
    open_rows = Delivery.objects.filter(event_id=OuterRef("pk"), status__in=OPEN_DELIVERY_STATUSES)
    outbox.filter(planned_at__isnull=False, created_at__lte=cutoff).exclude(
        Exists(open_rows)
    ).update(status=EventStatus.DONE, dispatched_at=now)
    return result


# --- Retry from the admin -----------------------------------------------------------------------
def retry_deliveries(delivery_ids) -> int:
    """Put failed deliveries back to pending for one more round (HQ admin action). Skipped
    ones stay skipped: they were not sent on purpose (no access, preference off)."""
    rows = Delivery.objects.filter(pk__in=list(delivery_ids), status=DeliveryStatus.FAILED)
    touched = defaultdict(list)
    for pk, event_id, channel in rows.values_list("pk", "event_id", "channel"):
        touched[event_id].append((pk, channel))
    count = rows.update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=timezone.now(),
        attempts=0,
        last_error="",
    )
    NotificationEvent.objects.filter(pk__in=list(touched)).update(
        dispatched_at=None, status=EventStatus.PLANNED
    )
    for event_id, items in touched.items():
        transaction.on_commit(lambda event_id=event_id: enqueue_event(event_id))
        for pk, channel in items:
            if channel == Channel.WEBHOOK:
                transaction.on_commit(lambda pk=pk: enqueue_webhook(pk))
    return count


def retry_events(event_ids) -> int:
    """Re-run delivery of the selected events (HQ admin action): their failed deliveries get
    another round, an event whose planning failed is planned again. The claims keep it to
    once per recipient, however often HQ clicks."""
    ids = list(event_ids)
    NotificationEvent.objects.filter(pk__in=ids, status=EventStatus.FAILED).update(
        status=EventStatus.PENDING, attempts=0, dispatched_at=None, last_error=""
    )
    retry_deliveries(
        Delivery.objects.filter(event_id__in=ids, status=DeliveryStatus.FAILED).values_list(
            "pk", flat=True
        )
    )
    for event_id in ids:
        transaction.on_commit(lambda event_id=event_id: enqueue_event(event_id))
    return len(ids)


def replay_skipped(partner_ids) -> int:
    """Send again the webhook deliveries skipped while these partners' webhooks were
    disabled (HQ, after re-enabling): back to pending, one round of attempts, enqueued after
    the commit. Only for webhooks active now; access is checked again at the send, since
    these events may be old."""
    active = PartnerWebhook.objects.filter(
        partner_id__in=list(partner_ids), is_active=True, partner__is_active=True
    ).values_list("partner_id", flat=True)
    rows = Delivery.objects.filter(
        partner_id__in=list(active),
        channel=Channel.WEBHOOK,
        status=DeliveryStatus.SKIPPED,
        replayable=True,
    )
    picked = list(rows.values_list("pk", "event_id"))
    if not picked:
        return 0
    count = Delivery.objects.filter(pk__in=[pk for pk, _ in picked], replayable=True).update(
        status=DeliveryStatus.PENDING,
        replayable=False,
        attempts=0,
        next_attempt_at=timezone.now(),
        claimed_at=None,
        last_error="",
    )
    NotificationEvent.objects.filter(pk__in={event_id for _, event_id in picked}).update(
        dispatched_at=None, status=EventStatus.PLANNED
    )
    for pk, _ in picked:
        transaction.on_commit(lambda pk=pk: enqueue_webhook(pk))
    return count


def skipped_while_disabled(partner_ids) -> int:
    """How many webhook deliveries of these partners wait for a replay."""
    return Delivery.objects.filter(
        partner_id__in=list(partner_ids),
        channel=Channel.WEBHOOK,
        status=DeliveryStatus.SKIPPED,
        replayable=True,
    ).count()


# --- Enqueueing ---------------------------------------------------------------------------------
# Fail fast when the broker is down: the outbox row is already committed and the sweeper will
# deliver it, so a web request must not hang on Redis.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def enqueue_event(event_id: int) -> bool:
    """Ask a worker to deliver an event; never raises (logged without personal data)."""
    from liaison_offices.tasks import deliver_event

    return _enqueue(deliver_event, event_id, "event")


def enqueue_webhook(delivery_id: int, countdown: float | None = None) -> bool:
    """Ask a webhook worker (its own queue, settings.CELERY_TASK_ROUTES) to send a delivery."""
    from liaison_offices.tasks import send_webhook as send_webhook_task

    return _enqueue(send_webhook_task, delivery_id, "webhook delivery", countdown=countdown)


def _enqueue(task, object_id: int, what: str, countdown: float | None = None) -> bool:
    try:
        task.apply_async(
            (object_id,), countdown=countdown, retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except Exception as exc:  # noqa: BLE001 -- the broker is down; the sweeper catches up
        logger.warning(
            "Could not enqueue %s %s (%s); the sweeper will deliver it.",
            what,
            object_id,
            type(exc).__name__,
        )
        return False
    return True
