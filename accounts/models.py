"""Account events: the audit line of every change to how a person signs in.

Enrolling or resetting a second factor (an authenticator app, recovery codes, a security
key), unlocking a locked sign-in, issuing a one-time password link and setting a password
through it each write one row: who it concerns, who
did it, why (HQ's actions need a reason) and when. Nothing secret is stored here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountEventKind(models.TextChoices):
    TWO_FACTOR_ENROLLED = "2fa_enrolled", "Set up two-factor sign-in"
    RECOVERY_CODES_NEW = "recovery_codes", "Made new recovery codes"
    RECOVERY_CODE_USED = "recovery_used", "Signed in with a recovery code"
    TWO_FACTOR_RESET = "2fa_reset", "Two-factor sign-in reset by HQ"
    UNLOCKED = "unlocked", "Sign-in unlocked by HQ"
    PASSWORD_LINK = "password_link", "One-time password link issued by HQ"
    PASSWORD_SET = "password_set", "Password set through a one-time link"
    API_TOKEN = "api_token", "API token issued"
    SECURITY_KEY_ADDED = "key_added", "Added a security key"


class AccountEvent(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_events"
    )
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the person did it themselves or a command did it.",
    )
    kind = models.CharField(max_length=16, choices=AccountEventKind.choices)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "sign-in event"
        verbose_name_plural = "sign-in events"
        indexes = [models.Index(fields=["user", "-at"], name="account_event_user")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user} at {self.at:%Y-%m-%d %H:%M}"


class Preference(models.Model):
    """How one person reads the pages: language and time zone (accounts/preferences.py).

    Empty means "not chosen": the language then follows the switcher's cookie or the browser,
    and the time zone the person's office (or partner organisation's country)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)
    time_zone = models.CharField(
        _("time zone"),
        max_length=40,
        blank=True,
        help_text=_("Empty: your office's time zone."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("language and time zone")
        verbose_name_plural = _("languages and time zones")

    def __str__(self) -> str:
        return f"{self.user}: {self.language or '-'} {self.time_zone or '-'}"
