"""`manage.py check_catalogue`: fail when locale/ is out of date with the code (glo_act/i18n.py)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command
from django.test.utils import override_settings

from glo_act import i18n


class Command(BaseCommand):
    help = "Fail if makemessages would change locale/, or a .mo is not its .po compiled."

    def handle(self, *args, **options):
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            raise CommandError("GNU gettext is not installed (Debian: apt-get install gettext).")
        real = Path(settings.LOCALE_PATHS[0])
        problems = []
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "locale"
            shutil.copytree(real, copy)
            with override_settings(LOCALE_PATHS=[copy]):
                call_command("makemessages", verbosity=0, **i18n.MAKEMESSAGES_OPTIONS)
            for language in i18n.LANGUAGES:
                po = i18n.catalogue(language, real)
                fresh = i18n.catalogue(language, copy)
                if not po.exists() or i18n.without_header_dates(
                    po.read_text()
                ) != i18n.without_header_dates(fresh.read_text()):
                    problems.append(f"{po} is out of date with the code")
                    continue
                compiled = Path(tmp) / f"{language}.mo"
                # Our own paths and GNU gettext's msgfmt, found on PATH as compilemessages does.
                subprocess.run([msgfmt, "-o", str(compiled), str(po)], check=True)  # noqa: S603
                mo = po.with_suffix(".mo")
                if not mo.exists() or mo.read_bytes() != compiled.read_bytes():
                    problems.append(f"{mo} is not {po.name} compiled")
        if problems:
            raise CommandError(
                "; ".join(problems) + ". Run `make messages`, translate what is new in "
                "locale/ur/LC_MESSAGES/django.po (docs/i18n.md), run it again, and commit locale/."
            )
        self.stdout.write("Translation catalogues are up to date.")
