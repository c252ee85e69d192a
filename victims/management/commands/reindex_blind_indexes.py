"""`manage.py reindex_blind_indexes`: recompute victims' blind indexes under BLIND_INDEX_KEY."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from victims.keys import INDEX_HOLDERS
from victims.services import blind_indexes_rebuild


class Command(BaseCommand):
    help = (
        "After an intended change of BLIND_INDEX_KEY, recompute every victim's blind indexes "
        "(passport, CNIC, name and date of birth) under it, so duplicate hints work again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change; write nothing"
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, dry_run, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        report = blind_indexes_rebuild(batch_size=batch_size, dry_run=dry_run)
        verb = "would change" if dry_run else "changed"
        self.stdout.write(
            f"Checked {report.victims_checked} victim(s); {verb} the indexes of "
            f"{report.victims_changed}."
        )
        unreadable = []
        if report.victims_unreadable:
            unreadable.append(f"{report.victims_unreadable} victim(s)")
        # Other apps' values under the same keys (the person index): docs/keys.md.
        for holder in INDEX_HOLDERS.values():
            checked, changed, failed = holder.rebuild(batch_size=batch_size, dry_run=dry_run)
            self.stdout.write(f"Checked {checked} {holder.label}; {verb} the indexes of {changed}.")
            if failed:
                unreadable.append(f"{failed} {holder.label}")
        if unreadable:
            raise CommandError(
                f"{' and '.join(unreadable)} hold data no key in "
                "FIELD_ENCRYPTION_KEYS opens; their indexes were left as they were. Restore "
                "that key (see `manage.py check_keys`) and run this again."
            )
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("Every blind index is under BLIND_INDEX_KEY."))
