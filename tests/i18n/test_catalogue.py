"""The Urdu catalogue is complete: no string missing or fuzzy, placeholders kept, compiled.

`make lint` (manage.py check_catalogue, glo_act/i18n.py) fails when the code has strings the
catalogue lacks; this fails when the catalogue has a string without its Urdu.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from glo_act import i18n

UR = i18n.catalogue("ur")


def _entries(path: Path) -> list[str]:
    """Each entry of a .po file as its text block (the header aside)."""
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    return [b for b in blocks if "msgid " in b and 'msgid ""\nmsgstr ""\n"Project' not in b]


def test_every_urdu_string_is_translated_and_none_is_fuzzy():
    statistics = subprocess.run(
        ["msgfmt", "--statistics", "--check-format", "-o", "/dev/null", str(UR)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert re.fullmatch(r"\d+ translated messages?\.\n", statistics), statistics
    fuzzy = [b.splitlines()[-2:] for b in _entries(UR) if re.search(r"^#,.*\bfuzzy\b", b, re.M)]
    assert not fuzzy, fuzzy
    untranslated = [b for b in _entries(UR) if re.search(r'^msgstr(\[\d\])? ""\Z', b, re.M)]
    assert not untranslated, untranslated[:5]


def test_the_catalogue_covers_the_interface():
    """A guard for the test above: it would pass on an empty file."""
    assert len(_entries(UR)) >= 30


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_each_language_is_compiled_and_loads(language):
    assert i18n.catalogue(language).with_suffix(".mo").exists()
    assert language in dict(settings.LANGUAGES)


def test_urdu_is_what_the_compiled_catalogue_says():
    with translation.override("ur"):
        assert translation.gettext("Language") == "زبان"
        assert translation.get_language_bidi()
    with translation.override("en"):
        assert translation.gettext("Language") == "Language"
