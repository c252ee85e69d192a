"""Delivering notification events: the worker side of DESIGN §5.

`dispatch_event(event_id)` resolves who is told *now* (members of the target offices and
partners, plus named users, minus the actor, kept only if the subject's
`objects.visible_to(user)` still finds it), writes one `Delivery` row per user × channel, fills
the in-app inbox and sends the immediate emails. Webhooks go out one task per partner
(`send_webhook`), so a slow partner holds nobody else up. Every send first claims its row with a
conditional UPDATE that must return 1, so a task that runs twice (a redelivered message, the
sweeper, a retry) sends once. `sweep_undelivered` is the safety net for everything Redis or a
dying worker lost. Nothing here imports `cases` or `victims`.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import random
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, Value, When
from django.db.models import Case as SqlCase
from django.utils import timezone

from liaison_offices.constants import (
    DEFAULT_NOTIFICATION_MODES,
    OPEN_DELIVERY_STATUSES,
    VIEW_CASES,
    Channel,
    DeliveryStatus,
    EventKind,
    EventStatus,
    NotificationMode,
)
from liaison_offices.models import (
    Delivery,
    LinkOfficeGroupObjectPermission,
    LinkOfficeUserObjectPermission,
    Membership,
    Notification,
    NotificationEvent,
    NotificationPreference,
    PartnerWebhook,
)

logger = logging.getLogger(__name__)

# --- Retry policy -------------------------------------------------------------------------------
MAX_ATTEMPTS = 8  # per delivery; then it is `failed` with its last error
RETRY_BASE_SECONDS = getattr(settings, "NOTIFICATIONS_RETRY_BASE_SECONDS", 10)
# The longest countdown a retry ever waits (plus jitter below it). Redis's visibility timeout
# (settings) must exceed it, or a waiting retry would be handed to a second worker.
RETRY_MAX_COUNTDOWN = 30 * 60
MAX_PLANNING_ATTEMPTS = 5  # an event whose recipients cannot be resolved this often is `failed`
# A claim older than this belongs to a worker that died (SIGKILL, OOM, hard time limit): the
# sweeper hands the row back. Longer than the hard time limit, so a live worker keeps its claim.
CLAIM_LEASE = timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 60) + 30)
# The sweeper re-enqueues work left alone this long (Redis down at publish, a lost message).
SWEEP_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 500
# Emails are claimed a batch at a time and each marked sent as soon as it is: a worker that dies
# mid-batch leaves only the claimed, unsent rest for the sweeper (and at most the one email in
# flight sent twice: SMTP has no exactly-once).
EMAIL_CLAIM_BATCH = 25
EMAIL_BUDGET_SECONDS = 20.0  # then the task continues in a fresh run, within the soft limit

WEBHOOK_TIMEOUT = 5.0
WEBHOOK_PERMANENT_FAILURES_TO_DISABLE = 3  # consecutive failures ending in a permanent 4xx
RETRYABLE_HTTP = {408, 425, 429}


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): exponential from
    RETRY_BASE_SECONDS, capped at RETRY_MAX_COUNTDOWN, with "equal jitter" (half fixed, half
    random) so that retries of one outage spread out instead of arriving together."""
    ceiling = min(RETRY_MAX_COUNTDOWN, RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass
class DispatchResult:
    """What the task must do next: enqueue these webhook deliveries, retry in `retry_in` s."""

    webhook_ids: list[int] = field(default_factory=list)
    retry_in: float | None = None


# --- Texts: never personal data -----------------------------------------------------------------
def render(event: NotificationEvent) -> tuple[str, str]:
    """The title and text of a notification: the kind, the subject's label and the payload's
    codes. Payloads are checked at publish time to hold ids, codes and statuses only."""
    title = f"{EventKind(event.kind).label}: {event.subject_label}"
    parts = []
    for key, value in sorted(event.payload.items()):
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else value
        if shown not in (None, ""):
            parts.append(f"{key.replace('_', ' ')}: {shown}")
    return title[:200], "; ".join(parts)[:500]


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}" if path else settings.SITE_URL


# --- Recipients ---------------------------------------------------------------------------------
def candidate_users(event: NotificationEvent):
    """Active users the event targets: anyone sitting at a target office's desk (its group, or a
    grant of `view_office_cases` on it), active members of target partners, named users — minus
    the actor. Access to the subject is checked separately (`can_see`)."""
    User = get_user_model()
    group_ids: set[int] = set()
    user_ids: set[int] = set(event.user_ids)
    if event.office_ids:
        desk = Q(
            content_object_id__in=event.office_ids,
            permission__codename=VIEW_CASES,
            permission__content_type__app_label="liaison_offices",
        )
        group_ids |= set(
            LinkOfficeGroupObjectPermission.objects.filter(desk).values_list("group_id", flat=True)
        )
        user_ids |= set(
            LinkOfficeUserObjectPermission.objects.filter(desk).values_list("user_id", flat=True)
        )
    partner_q = Q()
    if event.partner_ids:
        partner_q = Exists(
            Membership.objects.filter(
                user_id=OuterRef("pk"),
                partner_id__in=event.partner_ids,
                partner__is_active=True,
                ended_at__isnull=True,
            )
        )
    condition = Q(pk__in=user_ids) | partner_q
    if group_ids:
        condition |= Exists(
            User.groups.through.objects.filter(user_id=OuterRef("pk"), group_id__in=group_ids)
        )
    users = User.objects.filter(condition, is_active=True).order_by("pk")
    if event.actor_id is not None:
        users = users.exclude(pk=event.actor_id)
    return users


def subject_model(event: NotificationEvent):
    return ContentType.objects.get_for_id(event.subject_type_id).model_class()


def can_see(event: NotificationEvent, user) -> bool:
    """Can `user` still see the event's subject? Asks the subject model's
    `objects.visible_to(user)`; a model without one tells nobody (fail closed)."""
    if not event.check_visibility:
        return True
    model = subject_model(event)
    manager = getattr(model, "objects", None)
    visible_to = getattr(manager, "visible_to", None)
    if visible_to is None:
        logger.error("Subject model %s has no objects.visible_to; nobody is told.", model)
        return False
    return visible_to(user).filter(pk=event.subject_id).exists()


VISIBILITY_BATCH = 50


def visible_among(event: NotificationEvent, users: list) -> set[int]:
    """The ids of `users` who can still see the subject: the same `visible_to(user)` question
    as `can_see`, asked for a batch of users in one UNION query instead of one query each."""
    if not event.check_visibility:
        return {user.pk for user in users}
    model = subject_model(event)
    visible_to = getattr(getattr(model, "objects", None), "visible_to", None)
    if visible_to is None:
        logger.error("Subject model %s has no objects.visible_to; nobody is told.", model)
        return set()
    seen: set[int] = set()
    for start in range(0, len(users), VISIBILITY_BATCH):
        probes = [
            visible_to(user)
            .filter(pk=event.subject_id)
            .order_by()
            .annotate(recipient=Value(user.pk, output_field=BigIntegerField()))
            .values_list("recipient", flat=True)
            for user in users[start : start + VISIBILITY_BATCH]
        ]
        seen.update(probes[0].union(*probes[1:], all=True))
    return seen


def partner_can_see(event: NotificationEvent, partner_id: int) -> bool:
    """A partner sees what its active members see (shares go to the organisation)."""
    if not event.check_visibility:
        return True
    User = get_user_model()
    members = User.objects.filter(
        is_active=True,
        memberships__partner_id=partner_id,
        memberships__ended_at__isnull=True,
    )[:3]
    return any(can_see(event, member) for member in members)


def _modes(user_ids: list[int]) -> dict[tuple[int, str], str]:
    rows = NotificationPreference.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "channel", "mode"
    )
    return {(user_id, channel): mode for user_id, channel, mode in rows}


def _plan(event: NotificationEvent, now: datetime) -> None:
    """Resolve recipients and write every delivery row (idempotent: unique constraints)."""
    users = list(candidate_users(event).only("pk", "email", "is_active", "is_superuser"))
    modes = _modes([u.pk for u in users])
    can_see_it = visible_among(event, users) if users else set()
    rows: list[Delivery] = []
    for user in users:
        visible = user.pk in can_see_it
        for channel in (Channel.IN_APP, Channel.EMAIL):
            mode = modes.get((user.pk, channel), DEFAULT_NOTIFICATION_MODES[channel])
            row = Delivery(event=event, user=user, channel=channel, next_attempt_at=now)
            if not visible:
                row.status, row.last_error = DeliveryStatus.SKIPPED, "cannot see the subject"
            elif mode == NotificationMode.OFF:
                row.status, row.last_error = DeliveryStatus.SKIPPED, "turned off by the user"
            elif channel == Channel.EMAIL and not user.email:
                row.status, row.last_error = DeliveryStatus.SKIPPED, "no email address"
            elif channel == Channel.EMAIL and mode == NotificationMode.DAILY_DIGEST:
                row.status, row.in_digest = DeliveryStatus.DIGEST, True
            rows.append(row)
    if event.partner_ids:
        hooks = PartnerWebhook.objects.filter(
            partner_id__in=event.partner_ids, is_active=True, partner__is_active=True
        ).values_list("partner_id", flat=True)
        for partner_id in hooks:
            row = Delivery(event=event, partner_id=partner_id, channel=Channel.WEBHOOK)
            row.next_attempt_at = now
            if not partner_can_see(event, partner_id):
                row.status, row.last_error = DeliveryStatus.SKIPPED, "cannot see the subject"
            rows.append(row)
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    NotificationEvent.objects.filter(pk=event.pk).update(
        status=EventStatus.PLANNED, planned_at=now, last_error=""
    )


def _deliver_in_app(event: NotificationEvent, now: datetime) -> None:
    """Inbox rows for the pending in-app deliveries, claimed by row lock in this transaction:
    the rows and the `sent` marks commit together, or neither does."""
    pending = list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(event=event, channel=Channel.IN_APP, status=DeliveryStatus.PENDING)
        .values_list("pk", "user_id")
    )
    if not pending:
        return
    title, text = render(event)
    Notification.objects.bulk_create(
        [
            Notification(
                event=event,
                user_id=user_id,
                kind=event.kind,
                title=title,
                text=text,
                url=event.subject_url,
                created_at=now,
            )
            for _, user_id in pending
        ],
        ignore_conflicts=True,
    )
    Delivery.objects.filter(pk__in=[pk for pk, _ in pending]).update(
        status=DeliveryStatus.SENT, delivered_at=now, attempts=F("attempts") + 1, last_error=""
    )


# Access was checked when the recipients were resolved; a send later than this (a retry, the
# sweeper, HQ's "retry") checks it again.
FRESH_PLAN = timedelta(seconds=30)


def planned_a_while_ago(event: NotificationEvent, at: datetime) -> bool:
    return event.planned_at is None or at - event.planned_at > FRESH_PLAN


# When a channel runs: inside the planning transaction (its writes commit with the plan), right
# after it in the same task, or in a task of its own per delivery (slow remote endpoints).
IN_PLANNING, AFTER_PLANNING, OWN_TASK = "in_planning", "after_planning", "own_task"


class InAppChannel:
    """Inbox rows for an event's pending in-app deliveries (claimed by row lock)."""

    channel = Channel.IN_APP
    stage = IN_PLANNING

    def deliver(self, event: NotificationEvent, now: datetime) -> float | None:
        _deliver_in_app(event, now)
        return None


# --- Claims -------------------------------------------------------------------------------------
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


def _finish(delivery: Delivery, claimed_at: datetime, **fields) -> bool:
    """Record the outcome of our claim (not if the sweeper gave the row to someone else)."""
    return (
        Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.CLAIMED, claimed_at=claimed_at
        ).update(**fields)
        == 1
    )


def _sent(delivery: Delivery, claimed_at: datetime) -> None:
    _finish(
        delivery,
        claimed_at,
        status=DeliveryStatus.SENT,
        delivered_at=timezone.now(),
        last_error="",
    )


def _skipped(delivery: Delivery, claimed_at: datetime, reason: str) -> None:
    _finish(delivery, claimed_at, status=DeliveryStatus.SKIPPED, last_error=reason[:300])


def _failed(
    delivery: Delivery, claimed_at: datetime, error: str, *, retryable: bool
) -> float | None:
    """A failed attempt: retry after `backoff` while attempts remain, else give up."""
    attempts = delivery.attempts  # already counts this attempt (incremented by the claim)
    if retryable and attempts < MAX_ATTEMPTS:
        delay = backoff(attempts)
        _finish(
            delivery,
            claimed_at,
            status=DeliveryStatus.PENDING,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            last_error=error[:300],
        )
        return delay
    _finish(delivery, claimed_at, status=DeliveryStatus.FAILED, last_error=error[:300])
    return None


def _claimed(delivery_id: int, now: datetime) -> Delivery | None:
    if not claim(delivery_id, now):
        return None
    return Delivery.objects.select_related("event").get(pk=delivery_id)


# --- Email --------------------------------------------------------------------------------------
class EmailChannel:
    """Immediate emails through Django's email backend, one message per recipient."""

    channel = Channel.EMAIL
    stage = AFTER_PLANNING

    def deliver(self, event: NotificationEvent, now: datetime) -> float | None:
        return _deliver_emails(event, self)

    def __init__(self) -> None:
        self._connection = None

    def connection(self):
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001 -- closing a broken SMTP session is best effort
                logger.warning("Closing the email connection failed.")

    def message(self, event: NotificationEvent, to: str) -> EmailMessage:
        title, text = render(event)
        body = "\n".join(
            line
            for line in [
                title,
                text,
                "",
                f"Open it: {absolute_url(event.subject_url)}",
                "",
                "You receive this because you work this case or request in GLO.ACT Case "
                "Coordination. Choose immediate, daily digest or off in your notification "
                "settings.",
            ]
            if line is not None
        )
        return EmailMessage(
            subject=f"[GLO.ACT] {title}",
            body=body,
            to=[to],
            connection=self.connection(),
            headers={"X-GloAct-Event": event.kind},
        )

    def send(self, delivery: Delivery, claimed_at: datetime) -> float | None:
        """Send one claimed email delivery (its `user` loaded); a retry delay if it must be
        tried again."""
        event = delivery.event
        user = delivery.user
        if user is None or not user.is_active or not user.email:
            _skipped(delivery, claimed_at, "no active user with an email address")
            return None
        # A retry may come long after planning: access may have been revoked since.
        if planned_a_while_ago(event, claimed_at) and not can_see(event, user):
            _skipped(delivery, claimed_at, "cannot see the subject any more")
            return None
        try:
            self.message(event, user.email).send()
        except Exception as exc:  # noqa: BLE001 -- any backend error is retried, then recorded
            self._connection = None
            logger.warning("Email delivery %s failed: %s", delivery.pk, type(exc).__name__)
            return _failed(delivery, claimed_at, f"{type(exc).__name__}", retryable=True)
        _sent(delivery, claimed_at)
        return None


def _deliver_emails(event: NotificationEvent, channel: EmailChannel) -> float | None:
    """Send this event's due immediate emails; the shortest retry delay still needed, if any."""
    now = timezone.now()
    due = list(
        Delivery.objects.filter(
            event=event,
            channel=Channel.EMAIL,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
        )
        .select_related("user")
        .order_by("pk")
    )
    retry_in: float | None = None
    deadline = time.monotonic() + EMAIL_BUDGET_SECONDS
    try:
        for batch_start in range(0, len(due), EMAIL_CLAIM_BATCH):
            if time.monotonic() > deadline:
                return 0.0  # the rest in a fresh run, well inside the task's time limit
            batch = due[batch_start : batch_start + EMAIL_CLAIM_BATCH]
            claimed_at = timezone.now()
            mine = claim_many([d.pk for d in batch], claimed_at)
            for delivery in batch:
                if delivery.pk not in mine:
                    continue  # sent, skipped or held by another worker since we listed it
                delivery.attempts += 1  # as the claim counted it
                delivery.event = event
                delay = channel.send(delivery, claimed_at)
                if delay is not None:
                    retry_in = delay if retry_in is None else min(retry_in, delay)
    finally:
        channel.close()
    # Emails that wait for an earlier retry (not yet due) also need this task to come back.
    later = (
        Delivery.objects.filter(
            event=event,
            channel__in=[Channel.EMAIL, Channel.IN_APP],
            status=DeliveryStatus.PENDING,
            next_attempt_at__gt=now,
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if later is not None:
        wait = max(0.0, (later - timezone.now()).total_seconds())
        retry_in = wait if retry_in is None else min(retry_in, wait)
    return retry_in


# --- Webhooks -----------------------------------------------------------------------------------
class WebhookUnreachable(Exception):
    """No HTTP answer: connection refused, DNS, TLS or timeout. Always retried."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is refused, not followed: the body and signature go to the configured URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post_webhook(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to `url` and return the HTTP status. The one place a webhook leaves the
    machine (and the one point tests may patch)."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise WebhookUnreachable("unsupported URL scheme")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(4096)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
        raise WebhookUnreachable(type(exc).__name__) from exc


def webhook_body(delivery: Delivery) -> bytes:
    """The JSON a partner receives: ids, the subject's label, the kind and the payload codes."""
    event = delivery.event
    document = {
        "delivery": delivery.pk,
        "event": {
            "id": event.pk,
            "kind": event.kind,
            "created_at": event.created_at.isoformat(),
            "subject": {
                "type": f"{event.subject_type.app_label}.{event.subject_type.model}",
                "id": event.subject_id,
                "label": event.subject_label,
                "url": absolute_url(event.subject_url) if event.subject_url else None,
            },
            "payload": event.payload,
        },
        "partner": delivery.partner_id,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over "<timestamp>.<body>" with the partner's secret."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class WebhookChannel:
    """Signed JSON callbacks to a partner's endpoint, one task per delivery."""

    channel = Channel.WEBHOOK
    stage = OWN_TASK

    def send(self, delivery: Delivery, claimed_at: datetime) -> float | None:
        event = delivery.event
        hook = PartnerWebhook.objects.filter(partner_id=delivery.partner_id).first()
        if hook is None or not hook.is_active:
            reason = hook.disabled_reason if hook else "no webhook configured"
            _skipped(delivery, claimed_at, f"webhook disabled: {reason}")
            return None
        if planned_a_while_ago(event, claimed_at) and not partner_can_see(
            event, delivery.partner_id
        ):
            _skipped(delivery, claimed_at, "cannot see the subject any more")
            return None
        body = webhook_body(delivery)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GloAct-Webhook/1",
            "X-GloAct-Event": event.kind,
            "X-GloAct-Delivery": str(delivery.pk),
            "X-GloAct-Timestamp": timestamp,
            "X-GloAct-Signature": sign(hook.secret, timestamp, body),
        }
        now = timezone.now()
        try:
            status = _post_webhook(hook.url, body, headers, WEBHOOK_TIMEOUT)
        except WebhookUnreachable as exc:
            self._unhealthy(hook, now, None)
            return _failed(delivery, claimed_at, f"unreachable: {exc}", retryable=True)
        if 200 <= status < 300:
            PartnerWebhook.objects.filter(pk=hook.pk).update(
                last_success_at=now, last_status_code=status, consecutive_failures=0
            )
            _sent(delivery, claimed_at)
            return None
        failures = self._unhealthy(hook, now, status)
        if status >= 500 or status in RETRYABLE_HTTP:
            return _failed(delivery, claimed_at, f"HTTP {status}", retryable=True)
        # A permanent answer: 410 says "never again"; other 4xx/3xx do after a streak.
        if status == 410:
            self._disable(hook, now, "the partner answered 410 Gone")
        elif failures >= WEBHOOK_PERMANENT_FAILURES_TO_DISABLE:
            self._disable(hook, now, f"{failures} failures in a row, the last HTTP {status}")
        return _failed(delivery, claimed_at, f"HTTP {status}", retryable=False)

    @staticmethod
    def _unhealthy(hook: PartnerWebhook, now: datetime, status: int | None) -> int:
        PartnerWebhook.objects.filter(pk=hook.pk).update(
            last_failure_at=now,
            last_status_code=status,
            consecutive_failures=F("consecutive_failures") + 1,
        )
        return hook.consecutive_failures + 1

    @staticmethod
    def _disable(hook: PartnerWebhook, now: datetime, reason: str) -> None:
        PartnerWebhook.objects.filter(pk=hook.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=f"{reason} ({now:%Y-%m-%d %H:%M} UTC)"
        )
        logger.warning("Webhook of partner %s disabled: %s", hook.partner_id, reason)


# The channel registry: every way a notification leaves, and when it runs (`stage`).
CHANNELS: dict[str, type] = {
    channel.channel: channel for channel in (InAppChannel, EmailChannel, WebhookChannel)
}


def _channels(stage: str) -> list:
    return [channel for channel in CHANNELS.values() if channel.stage == stage]


# --- Entry points (called by liaison_offices.tasks) --------------------------------------------
def dispatch_event(event_id: int) -> DispatchResult:
    """Plan an event's deliveries if not yet done, fill the inbox, send immediate emails."""
    result = DispatchResult()
    event = NotificationEvent.objects.select_related("subject_type").filter(pk=event_id).first()
    if event is None or event.dispatched_at is not None:
        return result  # unknown (another database's message) or already complete
    if event.planned_at is None:
        NotificationEvent.objects.filter(pk=event_id).update(attempts=F("attempts") + 1)
    with transaction.atomic():
        locked = NotificationEvent.objects.select_for_update().get(pk=event_id)
        now = timezone.now()
        if locked.planned_at is None:
            _plan(event, now)
            event.planned_at = now
        else:
            event.planned_at = locked.planned_at
        for channel in _channels(IN_PLANNING):
            channel().deliver(event, now)
    for channel in _channels(AFTER_PLANNING):
        delay = channel().deliver(event, timezone.now())
        if delay is not None:
            result.retry_in = delay if result.retry_in is None else min(result.retry_in, delay)
    result.webhook_ids = list(
        Delivery.objects.filter(
            event_id=event_id,
            channel__in=[channel.channel for channel in _channels(OWN_TASK)],
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=timezone.now(),
        ).values_list("pk", flat=True)
    )
    complete_if_final(event_id)
    return result


def send_webhook(delivery_id: int) -> float | None:
    """Send one webhook delivery if it is due and unclaimed; a retry delay when needed."""
    now = timezone.now()
    delivery = _claimed(delivery_id, now)
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


def sweep_undelivered(*, now: datetime | None = None, enqueue: bool = True) -> SweepResult:
    """Find work that Redis or a worker lost and enqueue it again.

    - claims older than CLAIM_LEASE (their worker died) go back to pending;
    - events not yet planned SWEEP_AFTER after creation (Redis down at publish, worker lost);
    - in-app/email and webhook deliveries due for SWEEP_AFTER without a worker coming.
    Re-enqueueing is safe: every send claims its row first.
    """
    now = now or timezone.now()
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
    if enqueue:
        for event_id in result.events:
            enqueue_event(event_id)
        for delivery_id in result.webhooks:
            enqueue_webhook(delivery_id)
    return result


# --- Daily digest -------------------------------------------------------------------------------
def send_digest(user_id: int) -> bool | None:
    """One email listing a user's held notifications. True sent, False failed, None nothing."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(user_id=user_id, status=DeliveryStatus.DIGEST)
            .values_list("pk", flat=True)
        )
        if not ids:
            return None
        Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=F("attempts") + 1
        )
    claimed = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.CLAIMED, claimed_at=now)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        claimed.update(status=DeliveryStatus.SKIPPED, last_error="no active user with an email")
        return None
    lines, sent_ids, hidden_ids = [], [], []
    for delivery in claimed.select_related("event").order_by("event__created_at"):
        if can_see(delivery.event, user):
            title, text = render(delivery.event)
            lines.append(f"- {title}" + (f" ({text})" if text else ""))
            lines.append(f"  {absolute_url(delivery.event.subject_url)}")
            sent_ids.append(delivery.pk)
        else:
            hidden_ids.append(delivery.pk)
    Delivery.objects.filter(pk__in=hidden_ids).update(
        status=DeliveryStatus.SKIPPED, last_error="cannot see the subject any more"
    )
    if not sent_ids:
        return None
    message = EmailMessage(
        subject=f"[GLO.ACT] Your daily digest: {len(sent_ids)} notification(s)",
        body="\n".join(["Since your last digest:", "", *lines]),
        to=[user.email],
    )
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 -- held again for the next run, error recorded
        logger.warning("Digest for user %s failed: %s", user_id, type(exc).__name__)
        Delivery.objects.filter(pk__in=sent_ids).update(
            status=SqlCase(
                When(attempts__gte=MAX_ATTEMPTS, then=Value(DeliveryStatus.FAILED)),
                default=Value(DeliveryStatus.DIGEST),
            ),
            last_error=type(exc).__name__,
        )
        return False
    Delivery.objects.filter(pk__in=sent_ids).update(
        status=DeliveryStatus.SENT, delivered_at=timezone.now(), last_error=""
    )
    return True


def send_digests() -> tuple[int, int]:
    """Every user's digest; returns (sent, failed)."""
    sent = failed = 0
    user_ids = (
        Delivery.objects.filter(status=DeliveryStatus.DIGEST)
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user_id in list(user_ids):
        outcome = send_digest(user_id)
        sent += outcome is True
        failed += outcome is False
    return sent, failed


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


# --- Enqueueing ---------------------------------------------------------------------------------
# Fail fast when the broker is down: the outbox row is already committed and the sweeper will
# deliver it, so a web request must not hang on Redis.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def enqueue_event(event_id: int) -> bool:
    """Ask a worker to deliver an event; never raises (logged without personal data)."""
    from liaison_offices.tasks import deliver_event

    return _enqueue(deliver_event, event_id, "event")


def enqueue_webhook(delivery_id: int) -> bool:
    from liaison_offices.tasks import send_webhook as send_webhook_task

    return _enqueue(send_webhook_task, delivery_id, "webhook delivery")


def _enqueue(task, object_id: int, what: str) -> bool:
    try:
        task.apply_async((object_id,), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception as exc:  # noqa: BLE001 -- the broker is down; the sweeper catches up
        logger.warning(
            "Could not enqueue %s %s (%s); the sweeper will deliver it.",
            what,
            object_id,
            type(exc).__name__,
        )
        return False
    return True
