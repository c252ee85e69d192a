"""Every write about signing in: enrolment, recovery codes, HQ's resets, unlocks and links.

Each HQ action needs a reason and writes an `AccountEvent`; a refusal raises `DomainError`
(shown next to the field) and changes nothing.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import AccountEvent, AccountEventKind
from glo_act.errors import DomainError
from liaison_offices import access

RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits a reader cannot confuse (no 0/o, 1/l/i).
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
REASON_MAX = 500


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why: the reason is kept with the action.", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(f"Keep the reason under {REASON_MAX} characters.", field="reason")
    return reason


def _require_hq(acting_user) -> None:
    if acting_user is not None and not access.is_hq(acting_user):
        raise DomainError("Only HQ may do this.")


def _event(user, kind, *, acting_user=None, reason: str = "") -> AccountEvent:
    return AccountEvent.objects.create(user=user, acting_user=acting_user, kind=kind, reason=reason)


# --- enrolment -----------------------------------------------------------------------------------


def totp_enrolment(user) -> TOTPDevice:
    """The authenticator app being set up: a new secret, unconfirmed until a code proves it.

    Asking again before confirming shows the same secret (the QR code a phone may have read)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=two_factor.TOTP_DEVICE_NAME, confirmed=False
        )
    return device


@transaction.atomic
def totp_confirm(*, user, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator app being set up with its first code; returns new recovery
    codes (shown once). A wrong code changes nothing."""
    locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user).first()
    if locked is None or locked.confirmed:
        raise DomainError("This set-up has expired: start again.", field="code")
    token = two_factor.normalise_code(code)
    if not token:
        raise DomainError("Enter the 6-digit code your app shows.", field="code")
    if not token.isdigit() or not locked.verify_token(token):
        raise DomainError(
            "That code is not right. Enter the newest code the app shows for GLO.ACT "
            "(and check the phone's clock is set automatically).",
            field="code",
        )
    locked.confirmed = True
    locked.save(update_fields=["confirmed"])
    # One authenticator at a time: an older app (a lost phone) stops working.
    TOTPDevice.objects.filter(user=user).exclude(pk=locked.pk).delete()
    _event(user, AccountEventKind.TWO_FACTOR_ENROLLED)
    return _new_recovery_codes(user)


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(
        user=user, name=two_factor.RECOVERY_DEVICE_NAME, confirmed=True
    )
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def recovery_codes_new(*, user) -> list[str]:
    """New recovery codes for a user with an authenticator app; the old ones stop working."""
    if not two_factor.has_device(user):
        raise DomainError("Set up an authenticator app first.")
    codes = _new_recovery_codes(user)
    _event(user, AccountEventKind.RECOVERY_CODES_NEW)
    return codes


def security_key_added(*, user, device) -> None:
    """A security key was registered (accounts/webauthn.py): its audit line."""
    _event(user, AccountEventKind.SECURITY_KEY_ADDED, reason=device.name)


def recovery_code_used(*, user) -> None:
    _event(user, AccountEventKind.RECOVERY_CODE_USED)


def format_recovery_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


# --- HQ's actions on a user ----------------------------------------------------------------------


def end_sessions(user) -> int:
    """End every open session of `user` (the database session store); returns how many."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == str(user.pk):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@transaction.atomic
def devices_reset(*, acting_user, user, reason: str) -> None:
    """Remove every second factor of `user` (a lost or stolen phone) and end their sessions:
    at their next sign-in they set up a new authenticator app."""
    _require_hq(acting_user)
    reason = _reason(reason)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    two_factor.security_keys(user).delete()
    end_sessions(user)
    _event(user, AccountEventKind.TWO_FACTOR_RESET, acting_user=acting_user, reason=reason)


def locked_out(user) -> bool:
    """Is `user`'s sign-in locked by django-axes now (from any address)?"""
    from axes.models import AccessAttempt

    return AccessAttempt.objects.filter(
        username=user.get_username(),
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    ).exists()


@transaction.atomic
def sign_in_unlock(*, acting_user, user, reason: str) -> int:
    """Clear `user`'s failed sign-ins (and so the lock); returns how many records were cleared."""
    from axes.models import AccessAttempt

    _require_hq(acting_user)
    reason = _reason(reason)
    cleared, _deleted = AccessAttempt.objects.filter(username=user.get_username()).delete()
    _event(user, AccountEventKind.UNLOCKED, acting_user=acting_user, reason=reason)
    return cleared


@transaction.atomic
def password_link_issue(*, acting_user, user, reason: str) -> str:
    """A one-time link (path) to set a new password, for HQ to pass on to the person.

    It works once (setting the password makes it invalid) and for `PASSWORD_RESET_TIMEOUT`."""
    _require_hq(acting_user)
    reason = _reason(reason)
    if not user.is_active:
        raise DomainError(f"{user.get_username()} is deactivated; reactivate them first.")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    _event(user, AccountEventKind.PASSWORD_LINK, acting_user=acting_user, reason=reason)
    return reverse("accounts:password_set", kwargs={"uidb64": uid, "token": token})


def password_set_by_link(*, user, password: str) -> None:
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        _event(user, AccountEventKind.PASSWORD_SET)
        # A link is also used when a password leaked: any open session ends with it.
        end_sessions(user)


def api_token_issue_verified(*, user, code: str, ttl=None):
    """An API token for `user`, after `code` (their authenticator or a recovery code) proves
    the second factor. Returns (token, instance)."""
    from liaison_offices.services import api_token_issue

    if not two_factor.has_device(user):
        raise DomainError(
            f"{user.get_username()} has no second factor yet: they sign in on the site once "
            "and set up an authenticator app, then a token can be issued with a code from it.",
            field="code",
        )
    if not (code or "").strip():
        raise DomainError("Give a code from the user's authenticator app (--code).", field="code")
    device = two_factor.verify_code(user, code)
    if device is None:
        raise DomainError("That code is not right (or was already used).", field="code")
    token, instance = api_token_issue(acting_user=None, user=user, ttl=ttl)
    _event(user, AccountEventKind.API_TOKEN)
    return token, instance


def user_by_username(username: str):
    return get_user_model().objects.filter(username=username).first()


def preference_set(*, acting_user, language: str | None = None, time_zone: str | None = None):
    """Save the acting user's own language and/or time zone ("" clears it: back to defaults).

    The caller refreshes the session (accounts.preferences.remember) so that the next page
    shows the change."""
    from accounts.models import Preference
    from accounts.preferences import valid_zone

    if language is not None and language and language not in dict(settings.LANGUAGES):
        raise DomainError(_("Choose a language from the list."), field="language")
    if time_zone is not None and time_zone and not valid_zone(time_zone):
        raise DomainError(_("Choose a time zone from the list."), field="time_zone")
    pref, _created = Preference.objects.get_or_create(user=acting_user)
    changed = []
    if language is not None and pref.language != language:
        pref.language, changed = language, [*changed, "language"]
    if time_zone is not None and pref.time_zone != time_zone:
        pref.time_zone, changed = time_zone, [*changed, "time_zone"]
    if changed:
        pref.save(update_fields=[*changed, "updated_at"])
    return pref
