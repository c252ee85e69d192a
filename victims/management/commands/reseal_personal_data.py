"""`manage.py reseal_personal_data`: re-encrypt victims' personal data under the newest key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from victims.keys import INDEX_HOLDERS
from victims.services import personal_data_reseal


class Command(BaseCommand):
    help = (
        "After a key rotation (new key first in FIELD_ENCRYPTION_KEYS), re-encrypt every "
        "personal field of victims and their history under it, so the old key can be removed."
    )

    def handle(self, *args, **options):
        report = personal_data_reseal()
        self.stdout.write(f"Re-encrypted {report.rows_changed} row(s).")
        unreadable = report.unreadable_fields
        # Other apps' values under the same key ring (the person index): docs/keys.md.
        for holder in INDEX_HOLDERS.values():
            changed, failed = holder.reseal()
            self.stdout.write(f"Re-encrypted {changed} {holder.label}.")
            unreadable += failed
        if unreadable:
            raise CommandError(
                f"{unreadable} field(s) could not be decrypted with any listed key; "
                "keep the old keys until they are restored or those values re-entered."
            )
        self.stdout.write(self.style.SUCCESS("Every personal field is under the newest key."))
