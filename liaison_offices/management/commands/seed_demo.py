"""`manage.py seed_demo`: idempotent demo data for every app, in INSTALLED_APPS order.

Each app that has demo data provides `<app>/demo.py` with `seed(ctx)`; this command finds them
through the app registry, so no app imports one above it.
"""

from __future__ import annotations

import os
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from liaison_offices.demo import DemoContext

DEFAULT_DEMO_PASSWORD = "glo-act-demo-2026"


class Command(BaseCommand):
    help = "Load the demo offices, partners, users, cases, victims and referrals (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though DEBUG is off (never on a production database).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like production: demo users with a known password "
                "would be created. Run with DEBUG=1, or pass --force if you really mean it."
            )
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        ctx = DemoContext(password=password, stdout=self.stdout)
        with transaction.atomic():
            for app_config in apps.get_app_configs():
                module_name = f"{app_config.name}.demo"
                if not app_config.name.startswith("django") and find_spec(module_name):
                    import_module(module_name).seed(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        self.stdout.write(
            "Sign in at http://127.0.0.1:8000/ as one of: "
            + ", ".join(sorted(ctx.users))
            + f" — password: {password!r} (set DEMO_PASSWORD to change it)."
        )
