"""The second factor: who needs one, which devices a user has, and what a session has proved.

A sign-in has two steps. The password step (`accounts.views.SignInView`) signs the user in
as Django does; until the second step the session is *pending* and `TwoFactorMiddleware`
lets it reach only the sign-in pages. The second step checks a code from the user's
authenticator app (TOTP), one of their recovery codes, or a security key (WebAuthn,
`accounts.webauthn`) the user added beside the app, and marks the session verified,
with the time: a reveal of personal data asks for the code again once that time is older than
`REVEAL_STEP_UP_MINUTES` (`is_fresh`).

Who must have a second factor (`requires_two_factor`, decided at the password step): admin
staff, HQ, every member of a link office and the caseworkers of service providers: everyone
whose role lets them read victims' personal data. A focal point may skip enrolment at sign-in,
but revealing personal data always asks for a code, so they enrol before their first reveal.

The session holds the device's persistent id and the time of the last check, nothing secret;
the middleware reads only the session, so a verified request costs no query. Resetting a
user's devices ends their sessions (`accounts.services.devices_reset`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison_offices import access
from liaison_offices.constants import Role

VERIFIED_AT_SESSION_KEY = "two_factor_verified_at"
SKIPPED_SESSION_KEY = "two_factor_skipped"
RECOVERY_DEVICE_NAME = "Recovery codes"
TOTP_DEVICE_NAME = "Authenticator app"


@dataclass(frozen=True)
class SessionFactor:
    """What the session has proved: set on the request by `TwoFactorMiddleware`."""

    verified_at: dt.datetime | None
    device_id: str | None
    skipped: bool

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def passed(self) -> bool:
        """May the session use the site: verified, or a user who may skip and did."""
        return self.verified or self.skipped


NO_FACTOR = SessionFactor(None, None, False)


def session_factor(session) -> SessionFactor:
    raw = session.get(VERIFIED_AT_SESSION_KEY)
    verified_at = None
    if raw:
        try:
            verified_at = dt.datetime.fromisoformat(raw)
        except (TypeError, ValueError):
            verified_at = None
    return SessionFactor(
        verified_at=verified_at,
        device_id=session.get(DEVICE_ID_SESSION_KEY),
        skipped=bool(session.get(SKIPPED_SESSION_KEY)),
    )


def factor_of(request) -> SessionFactor:
    factor = getattr(request, "second_factor", None)
    if factor is None:
        session = getattr(request, "session", None)
        factor = session_factor(session) if session is not None else NO_FACTOR
    return factor


def mark_verified(request, device) -> None:
    """The session has just proved `device` (at sign-in or a step-up): record it and when."""
    if request.session.get(VERIFIED_AT_SESSION_KEY) is None:
        # The first proof of the session: a new session key, so a key seen before the second
        # step (a fixated session) is worth nothing after it.
        request.session.cycle_key()
    now = timezone.now()
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request.session[VERIFIED_AT_SESSION_KEY] = now.isoformat()
    request.session.pop(SKIPPED_SESSION_KEY, None)
    request.second_factor = SessionFactor(now, device.persistent_id, False)
    request.user.otp_device = device


def mark_skipped(request) -> None:
    request.session[SKIPPED_SESSION_KEY] = True
    request.second_factor = SessionFactor(None, None, True)


def step_up_window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.REVEAL_STEP_UP_MINUTES)


def is_fresh(request, now: dt.datetime | None = None) -> bool:
    """Was the session's second factor checked within `REVEAL_STEP_UP_MINUTES`?"""
    verified_at = factor_of(request).verified_at
    if verified_at is None:
        return False
    return (now or timezone.now()) - verified_at <= step_up_window()


def redirect_to_step_up(request):
    """Send the person to enter their code again, then back to this page."""
    from urllib.parse import urlencode

    from django.shortcuts import redirect
    from django.urls import reverse

    return redirect(
        reverse("accounts:step_up") + "?" + urlencode({"next": request.get_full_path()})
    )


# --- who needs one -------------------------------------------------------------------------------


def requires_two_factor(user) -> bool:
    """Must `user` pass a second factor at sign-in (may not skip enrolment)?"""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    scope = access.scope_of(user)
    if scope.is_hq or scope.view_office_ids or scope.member_office_ids:
        return True
    from liaison_offices.models import Membership

    return Membership.objects.filter(
        user=user, ended_at__isnull=True, role=Role.CASEWORKER
    ).exists()


# --- devices -------------------------------------------------------------------------------------


def totp_devices(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True)


def security_keys(user):
    """The user's security keys (WebAuthn credentials), a second factor beside the app."""
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.filter(user=user, confirmed=True)


def has_device(user) -> bool:
    """Has `user` a confirmed authenticator app (recovery codes alone do not count)?"""
    return totp_devices(user).exists()


def remaining_recovery_codes(user) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


_SEPARATORS = re.compile(r"[\s-]+")


def normalise_code(code: str) -> str:
    """A code as typed ("123 456", "ABCDE-12345") in the form the devices compare."""
    return _SEPARATORS.sub("", code or "").lower()


def verify_code(user, code: str):
    """The device that accepts `code` (an authenticator code or an unused recovery code), or
    None. A recovery code is used up; an authenticator code cannot be used twice."""
    token = normalise_code(code)
    if not token:
        return None
    with transaction.atomic():
        if token.isdigit():
            candidates = list(totp_devices(user).select_for_update())
        else:
            candidates = list(
                StaticDevice.objects.filter(user=user, confirmed=True).select_for_update()
            )
        for device in candidates:
            if device.verify_token(token):
                return device
    return None


def throttled_for(user) -> int:
    """Seconds until the user's authenticator accepts another try (after wrong codes), or 0."""
    waits = []
    now = timezone.now()
    for device in totp_devices(user):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append(max(1, int((data["locked_until"] - now).total_seconds()) + 1))
    return max(waits, default=0)
