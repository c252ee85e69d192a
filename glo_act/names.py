"""Names stored in English as reference data, read in the page's language.

Countries come from ISO 3166-1 (liaison_offices/migrations/0002_load_countries.py, via
pycountry): their Urdu (or any language's) name is pycountry's own catalogue, except for the
countries the offices name every day, where the catalogue below says them as Pakistani officers
do (اٹلی, not the classical اطالیہ). Legal provisions' titles (cases/migrations/
0002_legal_provisions.py) are in the catalogue too. Anything else is shown as stored.
"""

from __future__ import annotations

import gettext as gnu_gettext
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

# Said as the offices say them (locale/ur); the rest from pycountry's catalogue.
COUNTRIES = [
    gettext_noop("Pakistan"),
    gettext_noop("United Kingdom"),
    gettext_noop("Italy"),
    gettext_noop("Spain"),
    gettext_noop("Greece"),
    gettext_noop("Türkiye"),
    gettext_noop("United Arab Emirates"),
    gettext_noop("Oman"),
    gettext_noop("Iran"),
    gettext_noop("Afghanistan"),
    gettext_noop("Saudi Arabia"),
    gettext_noop("Qatar"),
    gettext_noop("Libya"),
    gettext_noop("Iraq"),
]
# The titles of the provisions the migration loads.
PROVISION_TITLES = [
    gettext_noop("Trafficking in persons"),
    gettext_noop("Smuggling of migrants"),
    gettext_noop("Aggravating circumstances"),
]


@lru_cache(maxsize=8)
def _iso3166(language: str):
    import pycountry

    try:
        return gnu_gettext.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=[language.replace("-", "_")]
        )
    except OSError:
        return None


def country(name: str) -> str:
    """`name` (as stored, English) in the active language."""
    language = translation.get_language() or "en"
    if not name or language.startswith("en"):
        return name
    ours = gettext(name)
    if ours != name:
        return ours
    catalogue = _iso3166(language)
    return catalogue.gettext(name) if catalogue else name


def provision_title(title: str) -> str:
    return gettext(title) if title else title
