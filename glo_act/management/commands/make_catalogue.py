"""`manage.py make_catalogue`: extract the strings into locale/, compile them (glo_act/i18n.py)."""

from __future__ import annotations

from django.core.management import BaseCommand, call_command

from glo_act import i18n


class Command(BaseCommand):
    help = "makemessages with the project's options, then compilemessages."

    def handle(self, *args, **options):
        call_command("makemessages", verbosity=0, **i18n.MAKEMESSAGES_OPTIONS)
        call_command("compilemessages", verbosity=0, locale=i18n.LANGUAGES)
        self.stdout.write("locale/ updated and compiled.")
