"""The channels a notification leaves by (in-app, email, webhook), behind one registry.

The webhook contract, for partners: each event is POSTed as JSON
`{"delivery", "event": {"id", "kind", "created_at", "subject": {"type", "id", "label", "url"},
"payload"}, "partner"}` with headers `X-GloAct-Event` (the kind), `X-GloAct-Delivery` (the same
on every retry of one delivery: the receiver's idempotency key), `X-GloAct-Timestamp` (Unix
seconds) and `X-GloAct-Signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<body>" with the
partner's secret>`. A 2xx acknowledges; 5xx, 408, 425, 429, timeouts and refused connections
are retried with backoff (8 attempts); 410 disables the webhook; any other answer fails the
delivery, and three failures in a row ending in one disable the webhook. While a webhook is
disabled its deliveries are recorded as skipped (replayable once HQ re-enables it). Redirects
are not followed. Emails carry `X-GloAct-Delivery` and a Message-ID derived from the delivery,
the same on every resend.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from glo_act.keyring import SecretUnreadable
from liaison_offices.constants import (
    Channel,
    DeliveryStatus,
)
from liaison_offices.delivery import policy
from liaison_offices.delivery.claims import claim_many, mark_failed, mark_sent, mark_skipped
from liaison_offices.delivery.policy import (
    EMAIL_BUDGET_SECONDS,
    EMAIL_CLAIM_BATCH,
    RETRYABLE_HTTP,
    WEBHOOK_PERMANENT_FAILURES_TO_DISABLE,
    planned_a_while_ago,
)
from liaison_offices.delivery.recipients import (
    absolute_url,
    can_see,
    message_id,
    partner_can_see,
)
from liaison_offices.models import (
    Delivery,
    Notification,
    NotificationEvent,
    PartnerWebhook,
)
from liaison_offices.sentences import (
    Reader,
    Sentence,
    compose,
    compose_for,
    readers_of,
    reading_as,
)

logger = logging.getLogger(__name__)

__all__ = [
    "AFTER_PLANNING",
    "CHANNELS",
    "EmailChannel",
    "IN_PLANNING",
    "InAppChannel",
    "OWN_TASK",
    "WebhookChannel",
    "WebhookUnreachable",
    "channels_at",
    "email_parts",
    "sign",
    "webhook_body",
    "write_inbox",
]


def write_inbox(
    event: NotificationEvent,
    user_ids: list[int],
    now: datetime,
    readers: dict[int, Reader] | None = None,
) -> None:
    """The inbox rows of `user_ids` for `event`, in one INSERT (a row already there is kept).
    Planning calls it in the transaction that writes their deliveries, as sent. Each row's
    title and text are in its reader's language and zone, rendered once per language and zone
    (the page renders them again from the event for whoever reads it)."""
    known = readers or {}
    if any(user_id not in known for user_id in user_ids):
        known = {**readers_of(user_ids), **known}
    readers = {user_id: known[user_id] for user_id in user_ids}
    sentences = compose_for(event, readers)
    Notification.objects.bulk_create(
        [
            Notification(
                event=event,
                user_id=user_id,
                kind=event.kind,
                title=sentences[readers[user_id]].title,
                text=sentences[readers[user_id]].text,
                url=event.subject_url,
                created_at=now,
            )
            for user_id in user_ids
        ],
        ignore_conflicts=True,
    )


def email_parts(event: NotificationEvent, sentence: Sentence) -> tuple[str, str, str]:
    """The subject, text body and HTML body of `event`'s email, in the active language: the
    same sentence the inbox shows, with the link made absolute."""
    context = {
        "sentence": sentence,
        "url": absolute_url(event.subject_url),
        "preferences_url": absolute_url(reverse("preferences")),
    }
    subject = f"[GLO.ACT] {sentence.title}"
    text = render_to_string("notifications/email.txt", context).strip() + "\n"
    html = render_to_string("notifications/email.html", context)
    return subject, text, html


# When a channel delivers: in planning's own transaction (the inbox, written with the plan),
# after planning in the same task, or in a task of its own per delivery (slow remote endpoints).
IN_PLANNING, AFTER_PLANNING, OWN_TASK = "in_planning", "after_planning", "own_task"


class InAppChannel:
    """The inbox. Planning writes it in its own transaction (`write_inbox`), so an in-app
    delivery is born sent: never pending, claimed or retried, and it has no send step."""

    channel = Channel.IN_APP
    stage = IN_PLANNING


# --- Email --------------------------------------------------------------------------------------
class EmailChannel:
    """Immediate emails through Django's email backend, one message per recipient."""

    channel = Channel.EMAIL
    stage = AFTER_PLANNING

    def deliver(self, event: NotificationEvent, now: datetime) -> float | None:
        return _deliver_emails(event, self)

    def __init__(self) -> None:
        self._connection = None
        self.readers: dict[int, Reader] = {}  # filled for a batch by `_deliver_emails`

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

    def message(
        self,
        event: NotificationEvent,
        to: str,
        delivery_id: int | None = None,
        reader: Reader | None = None,
    ) -> EmailMultiAlternatives:
        """The email of `event` to `to`, in `reader`'s language and zone, as text and HTML.
        With the delivery's id it carries a Message-ID and an X-GloAct-Delivery header
        derived from it: the same on every resend of that delivery."""
        reader = reader or Reader(settings.LANGUAGE_CODE, settings.TIME_ZONE)
        with reading_as(reader):
            subject, text, html = email_parts(event, compose(event))
        headers = {"X-GloAct-Event": event.kind}
        if delivery_id is not None:
            headers["X-GloAct-Delivery"] = str(delivery_id)
            headers["Message-ID"] = message_id(f"delivery-{delivery_id}.event-{event.pk}")
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            to=[to],
            connection=self.connection(),
            headers=headers,
        )
        message.attach_alternative(html, "text/html")
        return message

    def send(
        self, delivery: Delivery, claimed_at: datetime, sent: list[int] | None = None
    ) -> float | None:
        """Send one claimed email delivery (its `user` loaded); a retry delay if it must be
        tried again. With `sent`, a success is collected there to be recorded with its batch."""
        event = delivery.event
        user = delivery.user
        if user is None or not user.is_active or not user.email:
            mark_skipped(delivery, claimed_at, "no active user with an email address")
            return None
        # A retry may come long after planning: access may have been revoked since.
        if planned_a_while_ago(event, claimed_at) and not can_see(event, user):
            mark_skipped(delivery, claimed_at, "cannot see the subject any more")
            return None
        try:
            self.message(event, user.email, delivery.pk, self.readers.get(user.pk)).send()
        except Exception as exc:  # noqa: BLE001 -- any backend error is retried, then recorded
            self._connection = None
            logger.warning("Email delivery %s failed: %s", delivery.pk, type(exc).__name__)
            return mark_failed(delivery, claimed_at, f"{type(exc).__name__}", retryable=True)
        if sent is None:
            mark_sent(delivery, claimed_at)
        else:
            sent.append(delivery.pk)
        return None


def _record_sent(ids: list[int], claimed_at: datetime) -> None:
    """One UPDATE for a batch's sent emails (only rows still under our claim)."""
    if ids:
        Delivery.objects.filter(
            pk__in=ids, status=DeliveryStatus.CLAIMED, claimed_at=claimed_at
        ).update(status=DeliveryStatus.SENT, delivered_at=timezone.now(), last_error="")


def _deliver_emails(event: NotificationEvent, channel: EmailChannel) -> float | None:
    """Send this event's due immediate emails; the shortest retry delay still needed, if any."""
    now = timezone.now()
    pending = list(
        Delivery.objects.filter(event=event, channel=Channel.EMAIL, status=DeliveryStatus.PENDING)
        .select_related("user")
        .order_by("pk")
    )
    due = [delivery for delivery in pending if delivery.next_attempt_at <= now]
    # Planning read the recipients' languages and zones with them; a retry reads them again.
    known = getattr(event, "readers", None) or {}
    missing = [d.user_id for d in due if d.user_id not in known]
    channel.readers = {**readers_of(missing), **known} if missing else known
    # Emails waiting for an earlier retry (not yet due) need this task to come back for them.
    later = min((d.next_attempt_at for d in pending if d.next_attempt_at > now), default=None)
    retry_in: float | None = None
    deadline = time.monotonic() + EMAIL_BUDGET_SECONDS
    try:
        for batch_start in range(0, len(due), EMAIL_CLAIM_BATCH):
            if time.monotonic() > deadline:
                return 0.0  # the rest in a fresh run, well inside the task's time limit
            batch = due[batch_start : batch_start + EMAIL_CLAIM_BATCH]
            claimed_at = timezone.now()
            mine = claim_many([d.pk for d in batch], claimed_at)
            sent: list[int] = []
            try:
                for delivery in batch:
                    if delivery.pk not in mine:
                        continue  # sent, skipped or held by another worker since we listed it
                    delivery.attempts += 1  # as the claim counted it
                    delivery.event = event
                    delay = channel.send(delivery, claimed_at, sent)
                    if delay is not None:
                        retry_in = delay if retry_in is None else min(retry_in, delay)
            finally:
                _record_sent(sent, claimed_at)
    finally:
        channel.close()
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
        try:
            hook = PartnerWebhook.objects.filter(partner_id=delivery.partner_id).first()
        except SecretUnreadable:
            # Not this delivery's fault, and no retry can fix it: HQ must restore the key.
            logger.error(
                "The signing secret of partner %s cannot be decrypted.", delivery.partner_id
            )
            return mark_failed(
                delivery,
                claimed_at,
                "the signing secret cannot be decrypted (FIELD_ENCRYPTION_KEYS)",
                retryable=False,
            )
        if hook is None or not hook.is_active:
            reason = (hook.disabled_reason or "by HQ") if hook else "no webhook configured"
            mark_skipped(
                delivery, claimed_at, f"webhook disabled: {reason}", replayable=hook is not None
            )
            return None
        if planned_a_while_ago(event, claimed_at) and not partner_can_see(
            event, delivery.partner_id
        ):
            mark_skipped(delivery, claimed_at, "cannot see the subject any more")
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
            status = _post_webhook(hook.url, body, headers, policy.WEBHOOK_TIMEOUT)
        except WebhookUnreachable as exc:
            self._unhealthy(hook, now, None)
            return mark_failed(delivery, claimed_at, f"unreachable: {exc}", retryable=True)
        if 200 <= status < 300:
            PartnerWebhook.objects.filter(pk=hook.pk).update(
                last_success_at=now, last_status_code=status, consecutive_failures=0
            )
            mark_sent(delivery, claimed_at)
            return None
        failures = self._unhealthy(hook, now, status)
        if status >= 500 or status in RETRYABLE_HTTP:
            return mark_failed(delivery, claimed_at, f"HTTP {status}", retryable=True)
        # A permanent answer: 410 says "never again"; other 4xx/3xx do after a streak.
        if status == 410:
            self._disable(hook, now, "the partner answered 410 Gone")
        elif failures >= WEBHOOK_PERMANENT_FAILURES_TO_DISABLE:
            self._disable(hook, now, f"{failures} failures in a row, the last HTTP {status}")
        return mark_failed(delivery, claimed_at, f"HTTP {status}", retryable=False)

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


def channels_at(stage: str) -> list:
    return [channel for channel in CHANNELS.values() if channel.stage == stage]
