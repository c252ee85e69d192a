"""`manage.py reseal_webhook_secrets`: re-encrypt partners' webhook secrets under the newest key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from glo_act.keyring import SecretUnreadable
from liaison_offices.models import PartnerWebhook


class Command(BaseCommand):
    help = (
        "After a key rotation (new key first in FIELD_ENCRYPTION_KEYS), re-encrypt every "
        "partner's webhook secret under it, so the old key can be removed (run it with "
        "reseal_personal_data)."
    )

    def handle(self, *args, **options):
        resealed, unreadable = 0, []
        for pk in PartnerWebhook.objects.order_by("pk").values_list("pk", flat=True):
            try:
                webhook = PartnerWebhook.objects.get(pk=pk)
            except SecretUnreadable:
                unreadable.append(pk)
                continue
            webhook.save(update_fields=["secret"])  # always encrypted under the newest key
            resealed += 1
        self.stdout.write(f"Re-encrypted {resealed} webhook secret(s).")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} webhook secret(s) could not be decrypted with any listed key "
                f"(webhook ids {', '.join(map(str, unreadable))}); keep the old keys until they "
                "are restored, or generate new secrets for those partners."
            )
        self.stdout.write(self.style.SUCCESS("Every webhook secret is under the newest key."))
