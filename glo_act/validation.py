"""The checks every door's input goes through, in one place: choices, dates that make sense,
Pakistani CNICs and passport numbers.

The services call them (cases/services, victims/services), so a page form and an API
serializer refuse the same input with the same message: a `DomainError` naming its field,
shown next to that field on the page and per field in the API's problem+json. Messages are in
the reader's language (gettext). What is already stored is not checked again: a service
validates only the values an edit changes, so a record saved before a rule existed still
displays and can be edited.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from django.db import models
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from glo_act.errors import DomainError

__all__ = [
    "PASSPORT_PATTERNS",
    "check_choice",
    "check_choices",
    "check_cnic",
    "check_date",
    "check_in_order",
    "check_not_future",
    "check_not_past",
    "check_passport",
]


# --- choices ------------------------------------------------------------------------------------
def check_choice(value, choices: type[models.Choices], *, field: str, label: str, blank=False):
    """`value` if it is one of `choices` (or blank when allowed), else a DomainError that
    lists the values to send (a page offers only the choices, so the API reads this)."""
    if blank and value in ("", None):
        return ""
    if value not in choices.values:
        allowed = ", ".join(str(v) for v in choices.values)
        raise DomainError(
            _("%(value)s is not a %(label)s; choose one of: %(allowed)s.")
            % {"value": _shown(value), "label": label, "allowed": allowed},
            field=field,
        )
    return choices(value).value


def check_choices(values: Iterable, choices: type[models.Choices], *, field: str, label: str):
    """A de-duplicated list of choice values, in the order given."""
    if isinstance(values, str):
        raise DomainError(_("Give the %(label)s as a list.") % {"label": label}, field=field)
    result: list = []
    for value in values or ():
        value = check_choice(value, choices, field=field, label=label)
        if value not in result:
            result.append(value)
    return result


def _shown(value) -> str:
    """A refused value as a message quotes it: short, on one line."""
    text = str(value).replace("\n", " ")
    return f"“{text[:40]}”"


# --- dates --------------------------------------------------------------------------------------
def check_date(value, *, field: str) -> dt.date | None:
    """A date from a date, a datetime or an ISO string; blank is None."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(
            _("%(value)s is not a date: write it as YYYY-MM-DD.") % {"value": _shown(value)},
            field=field,
        )


def _day(day: dt.date) -> str:
    """A date as a message writes it: "3 Mar 2031", the month in the reader's language."""
    return dateformat.format(day, "j M Y")


def check_not_future(day: dt.date | None, *, field: str, what: str) -> dt.date | None:
    """`day`, unless it is after today (in the active time zone)."""
    if day is not None and day > timezone.localdate():
        raise DomainError(
            _("%(what)s cannot be in the future (%(day)s is after today).")
            % {"what": what, "day": _day(day)},
            field=field,
        )
    return day


def check_not_past(day: dt.date | None, *, field: str, what: str) -> dt.date | None:
    """`day`, unless it is before today (in the active time zone)."""
    if day is not None and day < timezone.localdate():
        raise DomainError(
            _("%(what)s cannot be in the past (%(day)s is before today).")
            % {"what": what, "day": _day(day)},
            field=field,
        )
    return day


def check_in_order(days: Sequence[dt.date | None], *, field: str, what: str) -> None:
    """The dates given, blanks aside, each on or after the one before."""
    dated = [(position, day) for position, day in enumerate(days, start=1) if day is not None]
    for (_before, earlier), (position, later) in zip(dated, dated[1:], strict=False):
        if later < earlier:
            raise DomainError(
                _(
                    "%(what)s must be in order: number %(position)d (%(later)s) comes before "
                    "the one above it (%(earlier)s)."
                )
                % {
                    "what": what,
                    "position": position,
                    "later": _day(later),
                    "earlier": _day(earlier),
                },
                field=field,
            )


# --- identity documents -------------------------------------------------------------------------
_CNIC = re.compile(r"(\d{5})-?(\d{7})-?(\d)")


def check_cnic(value, *, field: str = "cnic_number") -> str:
    """A Pakistani CNIC as 5-7-1 digits, with or without its dashes, stored with them
    ("35202-1234567-1"); blank stays blank."""
    text = re.sub(r"\s+", "", str(value or ""))
    if not text:
        return ""
    match = _CNIC.fullmatch(text)
    if match is None:
        # The value itself is not quoted back: it is personal data.
        raise DomainError(
            _("A CNIC is 13 digits, as 5-7-1: for example 35202-1234567-1."), field=field
        )
    return "-".join(match.groups())


# Issuing countries whose passport numbers have a known shape (ISO alpha-3 → pattern, example).
PASSPORT_PATTERNS: dict[str, tuple[re.Pattern, str]] = {
    "PAK": (re.compile(r"[A-Z]{2}\d{7}"), "AB1234567"),
}
# Any other country's: letters and digits, within these bounds.
_PASSPORT_ANY = re.compile(r"[A-Z0-9]{1,20}")


def check_passport(value, country: str | None, *, field: str = "passport_number") -> str:
    """A passport number in capitals without spaces, checked against its issuing country's
    pattern where it is known (Pakistan: two letters and seven digits); another country's is
    up to 20 letters and digits. Blank stays blank."""
    text = re.sub(r"[\s-]+", "", str(value or "")).upper()
    if not text:
        return ""
    pattern, example = PASSPORT_PATTERNS.get((country or "").upper(), (None, ""))
    if pattern is not None:
        if not pattern.fullmatch(text):
            raise DomainError(
                _("This is not a passport number of that country: it is written like %(example)s.")
                % {"example": example},
                field=field,
            )
    elif not _PASSPORT_ANY.fullmatch(text):
        raise DomainError(
            _("A passport number is up to 20 letters and digits."),
            field=field,
        )
    return text
