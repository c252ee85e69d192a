"""`{{ moment|when }}`: a time as the reader's page shows it, in their zone and with it named.

The zone is the one `accounts.middleware.PreferenceMiddleware` activated for the request (the
person's own, else their office's); the name is the abbreviation people there use ("BST" in a
London summer, "GMT" in its winter, "PKT" in Islamabad; accounts/preferences.py). It is a
builtin (glo_act/settings.py), so templates use it without `{% load %}`:

    {{ case.updated_at|when }}              4 Dec 2026, 19:00 GMT
    {{ n.created_at|when:"j M, H:i" }}      4 Dec, 19:00 GMT

A date (no time) has no zone and is written as it is. The machine-readable `datetime`
attribute of a `<time>` element keeps its offset: `{{ moment|date:"c" }}`.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format

register = template.Library()

DEFAULT_FORMAT = "j M Y, H:i"


@register.filter(expects_localtime=False)
def when(value, fmt: str = DEFAULT_FORMAT) -> str:
    from accounts.preferences import zone_name

    if value in (None, ""):
        return ""
    if translation.get_language_bidi():
        fmt = fmt.replace(",", "،")  # the Urdu comma
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
            return f"{date_format(value, fmt)} {zone_name(value)}"
        return date_format(value, fmt)
    if isinstance(value, date):
        return date_format(value, "j M Y")
    return str(value)


@register.simple_tag
def current_zone_name() -> str:
    """The active zone's abbreviation now, for a column heading ("When (PKT)")."""
    from accounts.preferences import zone_name

    return zone_name(timezone.localtime())
