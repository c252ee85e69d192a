"""Each person's language and time zone: what they chose, else what their office implies.

Times are stored and computed in UTC; pages show them in the reader's zone, named
(glo_act/templatetags/local_time.py). The zone a person has not chosen is their office's
(`OFFICE_ZONES`, keyed by the office code, which is the host country's ISO alpha-3, or HQ), or,
for a partner organisation's member, the zone of the country it works in when that is one of
ours; UTC otherwise. The language a person has not chosen follows the switcher's cookie or the
browser (django.middleware.locale.LocaleMiddleware).

Both are read once at sign-in and kept in the session (`remember`), so that pages cost no query
for them; `accounts.middleware.PreferenceMiddleware` applies them on every page request.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import lru_cache

from django.conf import settings

from liaison_offices.constants import HQ_CODE

OFFICE_ZONES = {
    HQ_CODE: "Asia/Karachi",
    "PAK": "Asia/Karachi",
    "GBR": "Europe/London",
    "ITA": "Europe/Rome",
    "ESP": "Europe/Madrid",
    "GRC": "Europe/Athens",
    "TUR": "Europe/Istanbul",
    "ARE": "Asia/Dubai",
    "OMN": "Asia/Muscat",
    "IRN": "Asia/Tehran",
}

# The tz database writes some zones' abbreviations as offsets ("+04"); these are the names
# people in those countries use.
ZONE_NAMES = {
    "Europe/Istanbul": "TRT",
    "Asia/Dubai": "GST",
    "Asia/Muscat": "GST",
    "Asia/Tehran": "IRST",
}

SESSION_LANGUAGE = "glo_act_language"
SESSION_ZONE = "glo_act_time_zone"


def valid_zone(name: str) -> bool:
    return name in available_zones()


@lru_cache(maxsize=1)
def available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_choices() -> list[tuple[str, str]]:
    """Our offices' zones first (the ones people pick), then every other zone by name."""
    ours = sorted(set(OFFICE_ZONES.values()) | {"UTC"})
    rest = sorted(available_zones() - set(ours) - {"localtime", "Factory"})
    return [(z, z.replace("_", " ")) for z in ours + rest]


def zone_name(moment: datetime) -> str:
    """The abbreviation a reader knows for an aware datetime's zone at that moment."""
    key = getattr(moment.tzinfo, "key", None)
    if key in ZONE_NAMES:
        return ZONE_NAMES[key]
    name = moment.tzname() or "UTC"
    return "UTC" if name in {"UTC", "+00", "Z"} else name


def default_zone(user) -> str:
    """The zone of the user's office (their first active membership), else UTC."""
    from liaison_offices.models import Membership

    rows = (
        Membership.objects.filter(user=user, ended_at__isnull=True)
        .order_by("office_id", "id")
        .values_list("office__code", "partner__country_id")
    )
    for office_code, partner_country in rows:
        zone = OFFICE_ZONES.get(office_code or "") or OFFICE_ZONES.get(partner_country or "")
        if zone:
            return zone
    return settings.TIME_ZONE


def of(user) -> tuple[str, str]:
    """(language, zone) for `user`: the language empty when not chosen, the zone never."""
    from accounts.models import Preference

    pref = Preference.objects.filter(user=user).values_list("language", "time_zone").first()
    language, zone = pref or ("", "")
    if not zone or not valid_zone(zone):
        zone = default_zone(user)
    return language, zone


def zone_of(user) -> str:
    """The zone `user` reads times in (emails and notifications render in it)."""
    return of(user)[1]


def language_of(user) -> str:
    """The language `user` reads in: their choice, else the site's default."""
    return of(user)[0] or settings.LANGUAGE_CODE


def remember(session, user) -> tuple[str, str]:
    language, zone = of(user)
    session[SESSION_LANGUAGE] = language
    session[SESSION_ZONE] = zone
    return language, zone
