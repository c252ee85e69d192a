"""Notifications (docs/architecture.md#the-event-path): the outbox, one delivery row per
recipient and channel, the in-app inbox, each user's channel preferences and partners' webhooks.

Imported at the end of `liaison_offices.models`, so these are `liaison_offices.*` models.
Nothing here holds personal data: subjects are a content type, an id and a short label such as
a case reference.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from glo_act.keyring import EncryptedSecretField
from liaison_offices.constants import (
    Channel,
    DeliveryStatus,
    EventKind,
    EventStatus,
    NotificationMode,
)

__all__ = [
    "Delivery",
    "Notification",
    "NotificationEvent",
    "NotificationPreference",
    "PartnerWebhook",
    "generate_webhook_secret",
]


def generate_webhook_secret() -> str:
    """A fresh per-partner signing secret (256 bits, hex)."""
    return secrets.token_hex(32)


class NotificationEvent(models.Model):
    """An outbox row: what happened to which subject and who should hear of it.

    Written by `notifications.publish()` in the same transaction as the change it announces;
    the worker resolves the recipients from `office_ids`/`partner_ids`/`user_ids` at delivery
    time. `dispatched_at` is set once every delivery is final (sent, skipped or given up).
    """

    kind = models.CharField(max_length=40, choices=EventKind.choices)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.BigIntegerField()
    subject_label = models.CharField(
        max_length=40, help_text="Short and impersonal, e.g. the case reference."
    )
    subject_url = models.CharField(max_length=200, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    office_ids = models.JSONField(default=list, blank=True)
    partner_ids = models.JSONField(default=list, blank=True)
    user_ids = models.JSONField(default=list, blank=True)
    check_visibility = models.BooleanField(
        default=True, help_text="Tell only those who can still see the subject."
    )
    dedup_key = models.CharField(
        max_length=120,
        null=True,
        blank=True,
        unique=True,
        help_text="Set by reminders so the same reminder is announced once.",
    )
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Planning runs so far")
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    planned_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweeper's probe: only events still in the outbox are indexed.
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="event_undelivered",
            ),
            models.Index(fields=["subject_type", "subject_id"], name="event_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_label}"


class Delivery(models.Model):
    """One attempt-tracked delivery of an event: to a user by in-app/email, or to a partner's
    webhook. Unique per event × user × channel (and event × partner × channel), so a task that
    runs twice cannot deliver twice.
    """

    event = models.ForeignKey(
        NotificationEvent, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
    )
    partner = models.ForeignKey(
        "liaison_offices.PartnerOrganisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
    )
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    in_digest = models.BooleanField(
        default=False, help_text="An email held for the recipient's daily digest."
    )
    replayable = models.BooleanField(
        default=False,
        help_text="Skipped because the channel was disabled: re-enabling it may replay it.",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, partner__isnull=True) & ~Q(channel=Channel.WEBHOOK)
                )
                | Q(user__isnull=True, partner__isnull=False, channel=Channel.WEBHOOK),
                name="delivery_user_or_partner_webhook",
            ),
            models.UniqueConstraint(
                fields=["event", "user", "channel"],
                condition=Q(user__isnull=False),
                name="delivery_once_per_user_channel",
            ),
            models.UniqueConstraint(
                fields=["event", "partner", "channel"],
                condition=Q(partner__isnull=False),
                name="delivery_once_per_partner_channel",
            ),
        ]
        indexes = [
            # Work not yet done: the sweeper and the workers only ever look here.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.CLAIMED]),
                name="delivery_open",
            ),
            models.Index(
                fields=["user"],
                condition=Q(status=DeliveryStatus.DIGEST),
                name="delivery_digest",
            ),
            # Webhook deliveries skipped while disabled, waiting for a replay.
            models.Index(
                fields=["partner"], condition=Q(replayable=True), name="delivery_replayable"
            ),
            # A partner's webhooks in flight, counted against its concurrency bound at each
            # claim: a few rows, however long the partner's history.
            models.Index(
                fields=["partner", "claimed_at"],
                condition=Q(status=DeliveryStatus.CLAIMED, channel=Channel.WEBHOOK),
                name="delivery_webhook_in_flight",
            ),
        ]

    def __str__(self) -> str:
        recipient = f"user {self.user_id}" if self.user_id else f"partner {self.partner_id}"
        return f"{self.get_channel_display()} to {recipient}: {self.get_status_display()}"


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user) -> NotificationQuerySet:
        """A user's own notifications; nobody, HQ included, reads another's inbox."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(user_id=user.pk)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A line in a user's in-app inbox: impersonal title and text, a link, read or unread."""

    event = models.ForeignKey(
        NotificationEvent, on_delete=models.CASCADE, related_name="notifications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    title = models.CharField(max_length=200)
    text = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="notification_once_per_user")
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_inbox"),
            # Unread count = an index-only count over this user's unread rows.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A user's choice for one channel; no row means the default (immediate)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    channel = models.CharField(
        max_length=8, choices=[c for c in Channel.choices if c[0] != Channel.WEBHOOK]
    )
    mode = models.CharField(max_length=12, choices=NotificationMode.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="preference_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel}: {self.mode}"


class PartnerWebhook(models.Model):
    """A partner's endpoint for signed event callbacks, with its health.

    A permanent refusal (410 Gone, or repeated 4xx) disables it and says why in
    `disabled_reason`; HQ re-enables it in the admin once the partner has fixed it.
    """

    partner = models.OneToOneField(
        "liaison_offices.PartnerOrganisation", on_delete=models.CASCADE, related_name="webhook"
    )
    url = models.URLField(max_length=300, help_text="https:// endpoint receiving POSTed JSON")
    # Encrypted at rest under FIELD_ENCRYPTION_KEYS, like victims' personal data (so not
    # readable from a backup); plaintext on the instance for signing, and shown to HQ only
    # once, when it is generated (admin).
    secret = EncryptedSecretField(
        default=generate_webhook_secret,
        help_text="Shared with the partner; signs every body (HMAC-SHA256).",
    )
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["partner__name"]

    def __str__(self) -> str:
        return f"Webhook of {self.partner}"
