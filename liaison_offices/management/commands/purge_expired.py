"""`manage.py purge_expired [--dry-run]`: delete what the retention policy lets go."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from liaison_offices.retention import purge


class Command(BaseCommand):
    help = (
        "Delete the notification events, deliveries and inbox lines, stored idempotent API "
        "responses and sign-in records older than their RETENTION_* setting, in batches "
        "(docs/retention.md). Beat runs this daily. --dry-run counts and deletes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be deleted; delete nothing"
        )

    def handle(self, *args, dry_run, **options):
        outcomes = purge(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for outcome in outcomes:
            rule = outcome.rule
            if outcome.cutoff is None:
                kept = "kept for good (0)" if rule.installed() else "not installed"
                self.stdout.write(f"{rule.label}: {kept}.")
                continue
            self.stdout.write(
                f"{rule.label}: {verb} {outcome.rows} (older than {rule.keep} {rule.unit}, "
                f"before {outcome.cutoff:%Y-%m-%d %H:%M} UTC)."
            )
        total = sum(o.rows for o in outcomes)
        self.stdout.write(self.style.SUCCESS(f"{verb.capitalize()} {total} row(s) in all."))
