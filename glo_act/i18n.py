"""The translation catalogues (locale/, docs/i18n.md): how they are made and checked.

`make messages` runs `makemessages` with `MAKEMESSAGES_OPTIONS` and compiles the `.mo` files,
which are committed (the image and `make run` need no gettext). `make lint` runs
`manage.py check_catalogue`: the same extraction into a copy of locale/ must change nothing
but the POT-Creation-Date line, and each committed `.mo` must be what its `.po` compiles to.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

LANGUAGES = ["ur", "en"]
MAKEMESSAGES_OPTIONS = {
    "locale": LANGUAGES,
    "domain": "django",
    "extensions": ["html", "txt", "py"],
    "ignore_patterns": [
        ".venv",
        ".venv-lock",
        "tests",
        "bench",
        "staticfiles",
        "var",
        "build",
        "node_modules",
    ],
    "no_obsolete": True,
    "add_location": "file",
    "no_wrap": True,
}


def catalogue(language: str, root: Path | None = None) -> Path:
    base = root or Path(settings.LOCALE_PATHS[0])
    return base / language / "LC_MESSAGES" / "django.po"


def without_header_dates(text: str) -> str:
    return "\n".join(
        line for line in text.splitlines() if not line.startswith('"POT-Creation-Date:')
    )
