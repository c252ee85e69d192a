"""`manage.py check_grants`: recompute the case grants from cases and shares; report drift."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from cases.grants import grant_drift


class Command(BaseCommand):
    help = (
        "Recompute every case's grants from its lead office and unrevoked shares and print "
        "each difference with the stored grants; exits 1 if there is any."
    )

    def handle(self, *args, **options):
        differences = grant_drift()
        for kind, row in differences:
            recipient = (
                f"office {row['office_id']}" if row["office_id"] else f"partner {row['partner_id']}"
            )
            what = "lead office" if row["is_lead"] else f"share {row['share_id']}"
            self.stdout.write(
                f"{kind}: case {row['case_id']} {what} → {recipient}, level {row['level']}, "
                f"code {row['handling_code'] or '-'}, expires {row['expires_at'] or 'never'}"
            )
        if differences:
            self.stderr.write(f"{len(differences)} difference(s) between grants and shares.")
            raise SystemExit(1)
        self.stdout.write("Grants match cases and shares.")
