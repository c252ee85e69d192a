"""Demo data: every demo user has an authenticator app with the secret `DEMO_TOTP_SECRET`
(README says how to add it to a phone or print its current code), so `make run` signs in
without setting one up. Called by `manage.py seed_demo`; idempotent."""

from __future__ import annotations

from base64 import b32decode

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

DEMO_DEVICE_NAME = "Demo authenticator"


def demo_key() -> str:
    """`DEMO_TOTP_SECRET` (base32, as authenticator apps take it) as django-otp's hex key."""
    secret = settings.DEMO_TOTP_SECRET.replace(" ", "").upper()
    secret += "=" * (-len(secret) % 8)
    return b32decode(secret).hex()


def seed(ctx) -> None:
    key = demo_key()
    for user in ctx.users.values():
        device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).first()
        if device is None:
            TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=key, confirmed=True)
        elif device.key != key:
            device.key = key
            device.save(update_fields=["key"])
