"""`manage.py check_keys`: do FIELD_ENCRYPTION_KEY and BLIND_INDEX_KEY match the data?"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from victims.keys import SAMPLE, check_keys


class Command(BaseCommand):
    help = (
        "Decrypt a sample of victims' personal data and recompute their blind indexes, and say "
        "whether FIELD_ENCRYPTION_KEY and BLIND_INDEX_KEY are the keys the data was written "
        "with. Exit status 1 when one is not. Run it after restoring a backup or changing a key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sample",
            type=int,
            default=SAMPLE,
            help=f"victims to check, the oldest and the newest (default {SAMPLE})",
        )

    def handle(self, *args, sample, **options):
        if sample < 1:
            raise CommandError("--sample must be 1 or more.")
        report = check_keys(sample)
        if not report.rows_sampled:
            self.stdout.write("No victim holds personal data yet: nothing to check the keys on.")
            return
        self.stdout.write(
            f"Checked {report.values_checked} personal-data value(s) and "
            f"{report.indexes_checked} blind index(es) of {report.victims_sampled} victim(s)."
        )
        for other in report.others:
            self.stdout.write(
                f"Checked {other.values_checked} value(s) and {other.indexes_checked} blind "
                f"index(es) of {other.rows_sampled} {other.label}."
            )
        if report.values_under_older_key:
            self.stdout.write(
                f"{report.values_under_older_key} value(s) are under an older key; "
                "`manage.py reseal_personal_data` re-encrypts them under the newest."
            )
        problems = report.problems()
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(self.style.SUCCESS("Both keys match the data."))
