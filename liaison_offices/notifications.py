"""The notifications API other apps and pages use.

- `publish(...)`: the one call by which any app announces an event. Apps above this one
  (cases, victims) call it inside their service's transaction; it records the outbox row and
  enqueues delivery on commit. It never imports those apps: the subject is stored by content
  type and id, and the subject's model answers `objects.visible_to(user)` at delivery.
- The inbox: `unread_count(user)`, `notification_mark_read`, `notifications_mark_all_read`,
  `preference_set` (reads via `Notification.objects.visible_to(user)`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from glo_act.errors import DomainError, PermissionDenied
from liaison_offices.constants import Channel, EventKind, NotificationMode
from liaison_offices.models import (
    Notification,
    NotificationEvent,
    NotificationPreference,
    PartnerWebhook,
    generate_webhook_secret,
)

__all__ = [
    "check_payload",
    "notification_mark_read",
    "notifications_mark_all_read",
    "preference_set",
    "publish",
    "unread_count",
    "webhook_enable",
    "webhook_replay_skipped",
    "webhook_rotate_secret",
]

# Payload keys that name or describe a person, or carry free text that may: refused outright.
PERSONAL_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "full_name",
        "given_name",
        "family_name",
        "alias",
        "date_of_birth",
        "dob",
        "birth_date",
        "passport",
        "passport_number",
        "cnic",
        "national_id",
        "phone",
        "phone_number",
        "address",
        "email",
        "title",
        "summary",
        "body",
        "text",
        "message",
        "question",
        "answer",
        "notes",
        "comment",
        "reason",
    }
)
MAX_PAYLOAD_STRING = 64  # codes, references and statuses fit; sentences do not


def check_payload(payload: dict) -> dict:
    """A copy of `payload` fit for notifications, or ValueError: a flat object of ids, codes,
    references, statuses and dates (as ISO strings). No names, no free text."""
    clean: dict = {}
    for key, value in payload.items():
        if not isinstance(key, str) or key.lower() in PERSONAL_KEYS:
            raise ValueError(
                f"Payload key {key!r} is not allowed: notification payloads carry ids, "
                "references, codes, kinds and statuses only."
            )
        values = list(value) if isinstance(value, list | tuple) else [value]
        checked = []
        for item in values:
            if isinstance(item, dt.date | dt.datetime):
                item = item.isoformat()
            if item is not None and not isinstance(item, str | int | float | bool):
                raise ValueError(f"Payload value of {key!r} must be a scalar or list of scalars.")
            if isinstance(item, str) and len(item) > MAX_PAYLOAD_STRING:
                raise ValueError(
                    f"Payload value of {key!r} is longer than {MAX_PAYLOAD_STRING} characters: "
                    "pass a code or a reference, not text."
                )
            checked.append(item)
        clean[key] = checked if isinstance(value, list | tuple) else checked[0]
    return clean


def _ids(items: Iterable) -> list[int]:
    return sorted({int(getattr(item, "pk", item)) for item in items})


def _label(subject: models.Model, label: str) -> str:
    label = (
        label
        or getattr(subject, "notification_label", "")
        or getattr(subject, "reference", "")
        or f"{subject._meta.verbose_name} {subject.pk}"
    )
    return str(label)[:40]


def _url(subject: models.Model) -> str:
    get_url = getattr(subject, "get_absolute_url", None)
    if get_url is None:
        return ""
    try:
        return str(get_url())[:200]
    except Exception:  # noqa: BLE001 -- a page not built yet must not stop the write
        return ""


def publish(
    *,
    kind: str,
    subject: models.Model,
    actor=None,
    offices: Iterable = (),
    partners: Iterable = (),
    users: Iterable = (),
    payload: dict | None = None,
    subject_label: str = "",
    check_visibility: bool = True,
    dedup_key: str | None = None,
) -> NotificationEvent:
    """Record a `NotificationEvent` for `subject` and deliver it after the transaction commits.

    `offices`/`partners`: LinkOffice / PartnerOrganisation instances (or ids) whose people are
    told (an office: everyone at its desk; a partner: its active members); `users`: individual
    users. The actor is never told of their own act. `payload` must hold no personal data (ids,
    references, codes, statuses only; checked). `subject_label` is the short impersonal name
    shown (default: the subject's `reference`). `check_visibility=False` tells the targets even
    if they can no longer see the subject (e.g. "your share was revoked"). `dedup_key` makes the
    call idempotent (reminders): a second publish with the same key returns the first event.
    """
    EventKind(kind)  # ValueError for an unknown kind
    if subject.pk is None:
        raise ValueError("Publish events about saved objects only.")
    event = NotificationEvent(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        subject_label=_label(subject, subject_label),
        subject_url=_url(subject),
        payload=check_payload(payload or {}),
        actor_id=getattr(actor, "pk", actor),
        office_ids=_ids(offices),
        partner_ids=_ids(partners),
        user_ids=_ids(users),
        check_visibility=check_visibility,
        dedup_key=dedup_key,
    )
    if dedup_key is not None:
        existing = NotificationEvent.objects.filter(dedup_key=dedup_key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError:
            return NotificationEvent.objects.get(dedup_key=dedup_key)
    else:
        event.save()
    event_id = event.pk

    def enqueue() -> None:
        from liaison_offices.delivery import enqueue_event

        enqueue_event(event_id)

    transaction.on_commit(enqueue, robust=True)
    return event


# --- Inbox --------------------------------------------------------------------------------------
def unread_count(user, *, up_to: int | None = None) -> int:
    """How many of the user's notifications are unread (one index-only count); with `up_to`,
    counted no further than that."""
    unread = Notification.objects.visible_to(user).unread()
    return (unread[:up_to] if up_to is not None else unread).count()


@transaction.atomic
def notification_mark_read(*, acting_user, notification: Notification) -> Notification:
    """Mark one of the acting user's own notifications read (idempotent)."""
    if notification.user_id != acting_user.pk:
        raise PermissionDenied("You can only mark your own notifications.")
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


@transaction.atomic
def notifications_mark_all_read(*, acting_user) -> int:
    """Mark every unread notification of the acting user read; returns how many."""
    return Notification.objects.visible_to(acting_user).unread().update(read_at=timezone.now())


@transaction.atomic
def preference_set(*, acting_user, channel: str, mode: str) -> NotificationPreference:
    """Choose how the acting user hears of events on a channel (immediate / digest / off)."""
    if channel not in (Channel.IN_APP, Channel.EMAIL):
        raise DomainError(f"Unknown notification channel {channel!r}.", field="channel")
    if mode not in NotificationMode.values:
        raise DomainError(f"Unknown notification mode {mode!r}.", field="mode")
    if channel == Channel.IN_APP and mode == NotificationMode.DAILY_DIGEST:
        raise DomainError("The inbox has no digest: choose immediate or off.", field="mode")
    preference, _ = NotificationPreference.objects.update_or_create(
        user=acting_user, channel=channel, defaults={"mode": mode}
    )
    return preference


# --- Partner webhooks (HQ) ------------------------------------------------------------------------
@transaction.atomic
def webhook_enable(*, acting_user, webhook: PartnerWebhook, replay: bool = False) -> PartnerWebhook:
    """Turn a disabled webhook back on once the partner has fixed its endpoint. The events
    published meanwhile were recorded as skipped deliveries; with `replay` they are sent now
    (else later with `webhook_replay_skipped`, or never)."""
    webhook.is_active = True
    webhook.disabled_reason = ""
    webhook.disabled_at = None
    webhook.consecutive_failures = 0
    webhook.save(
        update_fields=["is_active", "disabled_reason", "disabled_at", "consecutive_failures"]
    )
    if replay:
        webhook_replay_skipped(acting_user=acting_user, webhook=webhook)
    return webhook


@transaction.atomic
def webhook_replay_skipped(*, acting_user, webhook: PartnerWebhook) -> int:
    """Send the deliveries skipped while the (now active) webhook was disabled; how many."""
    if not webhook.is_active:
        raise DomainError("Enable the webhook before replaying what it missed.")
    from liaison_offices.delivery import replay_skipped

    return replay_skipped([webhook.partner_id])


@transaction.atomic
def webhook_rotate_secret(*, acting_user, webhook: PartnerWebhook) -> PartnerWebhook:
    """Issue a new signing secret (the old one stops verifying at once)."""
    webhook.secret = generate_webhook_secret()
    webhook.save(update_fields=["secret"])
    return webhook
