"""`manage.py demo_code`: print the demo authenticator's current code (development only).

Every demo user shares the secret `DEMO_TOTP_SECRET`; this is the code a phone with it would
show now. It refuses to run with `DEBUG` off.
"""

from __future__ import annotations

import time
from binascii import unhexlify

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from accounts.demo import demo_key


class Command(BaseCommand):
    help = "Print the current code of the demo users' authenticator (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("DEBUG is off: the demo authenticator is for development only.")
        totp = TOTP(unhexlify(demo_key()))
        totp.time = time.time()
        self.stdout.write(f"{totp.token():06d}")
        self.stderr.write(f"Valid for about {30 - int(totp.time) % 30} more seconds.")
