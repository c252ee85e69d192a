"""`manage.py issue_api_token <username> --code CODE [--ttl DAYS]`: print a new API token.

The code is one from the user's authenticator app (or a recovery code): a token acts for its
user without a second factor, so issuing one needs that factor. The token is shown once; only
its hash is stored (django-rest-knox).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import api_token_issue_verified
from glo_act.errors import DomainError


class Command(BaseCommand):
    help = (
        "Issue a new API token for a user and print it (shown only once). Needs a code from "
        "the user's authenticator app."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--code",
            default="",
            help="A current code from the user's authenticator app, or one of their recovery "
            "codes.",
        )
        parser.add_argument(
            "--ttl",
            type=int,
            default=None,
            help="Days until the token expires (default: the API_TOKEN_TTL_DAYS setting).",
        )

    def handle(self, *args, username: str, code: str, ttl: int | None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is deactivated; reactivate them first.")
        if ttl is not None and not 1 <= ttl <= 366:
            raise CommandError("--ttl must be between 1 and 366 days.")
        try:
            token, instance = api_token_issue_verified(
                user=user, code=code, ttl=dt.timedelta(days=ttl) if ttl else None
            )
        except DomainError as exc:
            raise CommandError(exc.message)
        self.stdout.write(token)
        self.stderr.write(f"Expires {instance.expiry:%Y-%m-%d %H:%M} UTC. It is not shown again.")
