"""Two-factor sign-in in tests: the one way to get a verified session, and codes to type.

**`client.force_login(user)` gives a verified session.** tests/conftest.py wraps Django's
`Client.force_login` (and the `login` fixture, which calls it) with `verify_session`: the user
gets a confirmed authenticator app ("Test authenticator") and the session is marked as having
passed its second factor just now, as a real sign-in would after the code. So existing tests
that sign in with `force_login` keep working, and a reveal of personal data within
`REVEAL_STEP_UP_MINUTES` asks only for its reason.

For the other cases:

- `password_only_login(client, user)`: signed in with the password step only (what the
  two-factor gate must refuse).
- `age_verification(client, minutes)`: the session's last second-factor check is that many
  minutes old (a reveal then asks for the code again).
- `current_code(user)` / `code_for(device, steps_ahead)`: a code the user's authenticator
  shows now (or at a later time step: a code cannot be used twice, so a second sign-in within
  the same 30 seconds types the next one).
- Browser tests: `tests/browser/conftest.py`'s `sign_in` fixture types the demo users' code
  (`DEMO_TOTP_SECRET`) after the password.
"""

from __future__ import annotations

import datetime as dt
import time
from binascii import unhexlify

from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import SKIPPED_SESSION_KEY, VERIFIED_AT_SESSION_KEY

TEST_DEVICE_NAME = "Test authenticator"
BACKEND = "django.contrib.auth.backends.ModelBackend"

_original_force_login = Client.force_login


def authenticator_of(user) -> TOTPDevice:
    """The user's confirmed authenticator app for tests (made once)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TEST_DEVICE_NAME, confirmed=True)
    return device


def verify_session(client, user, *, at: dt.datetime | None = None) -> None:
    """Mark `client`'s (signed-in) session as having passed `user`'s second factor at `at`."""
    device = authenticator_of(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT_SESSION_KEY] = (at or timezone.now()).isoformat()
    session.pop(SKIPPED_SESSION_KEY, None)
    session.save()


def force_login_verified(self, user, backend=None):
    """`Client.force_login` as the suite has it: password and second factor both passed."""
    _original_force_login(self, user, backend=backend or BACKEND)
    verify_session(self, user)


def password_only_login(client, user) -> None:
    """Signed in with the password only: the second step is still to come."""
    _original_force_login(client, user, backend=BACKEND)


def age_verification(client, minutes: float) -> None:
    """Make the session's last second-factor check `minutes` old."""
    session = client.session
    session[VERIFIED_AT_SESSION_KEY] = (timezone.now() - dt.timedelta(minutes=minutes)).isoformat()
    session.save()


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code `device` shows now, or `steps_ahead` 30-second steps later (still accepted:
    the devices allow one step of clock drift)."""
    totp = TOTP(unhexlify(device.key), device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def current_code(user, steps_ahead: int = 0) -> str:
    return code_for(authenticator_of(user), steps_ahead)


# What a reveal of personal data posts besides the code (victims.forms.RevealForm).
REVEAL = {"purpose": "case_work", "reason": "Preparing the statement for the prosecutor"}
