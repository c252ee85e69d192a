"""Notifications as sentences: what an event says, in its reader's language and time zone.

An event's outbox row keeps codes only (`notifications.check_payload`); the words are made
from them when they are shown, never stored in place of them, so an event published before a
template changed still reads well, and a reader sees it in their own language:

- `compose(event)` gives a `Sentence` (a short title, the sentence, the link) in the active
  language and time zone: the inbox page, the home page's panel and the API call it for the
  reader of the request;
- `compose_for(events, users)` gives each recipient's own (`reading_as`), for the email and
  the inbox rows the worker writes (`liaison_offices/delivery/channels.py`).

Each kind has its template, `templates/notifications/<kind>.txt` (one sentence, marked for
translation); the words it uses come from the app that publishes the kind: its
`<app>/sentences.py` maps the kind to a function of the payload and `Names`, found the way
`liaison_offices.dashboard` finds panels, so this app imports neither `cases` nor `victims`.

A recipient's language and zone: their own preference (the `preference` row of the user, when
the accounts app has one), else `settings.LANGUAGE_CODE` and their office's zone
(`OFFICE_ZONES`, by the office's country).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gettext as gettext_module
import logging
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison_offices.constants import HQ_CODE, EventKind, Service

logger = logging.getLogger(__name__)

__all__ = [
    "OFFICE_ZONES",
    "ZONE_NAMES",
    "Names",
    "Reader",
    "Sentence",
    "attach_sentences",
    "compose",
    "compose_for",
    "country_name",
    "country_short",
    "local_date",
    "local_time",
    "reader_columns",
    "reader_of",
    "readers_from",
    "readers_of",
    "reading_as",
]

# The zone of each office's country (offices are coded by their host country's ISO alpha-3);
# a country not listed reads UTC until its office is given a zone.
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
    "SAU": "Asia/Riyadh",
    "QAT": "Asia/Qatar",
    "FRA": "Europe/Paris",
    "DEU": "Europe/Berlin",
    "BEL": "Europe/Brussels",
    "POL": "Europe/Warsaw",
    "AFG": "Asia/Kabul",
}

# Countries as people name them in a sentence ("Italy answered", "the UK answered"), and
# before "office" ("the UK office"); the rest are ISO 3166's short names, in the reader's
# language where pycountry has them.
SPOKEN_OFFICES = {
    "GBR": _("the UK office"),
    "ARE": _("the UAE office"),
    "USA": _("the US office"),
}
SPOKEN_COUNTRIES = {
    "GBR": _("the UK"),
    "ARE": _("the UAE"),
    "USA": _("the US"),
    "IRN": _("Iran"),
    "TUR": _("Türkiye"),
    "PAK": _("Pakistan"),
    "ITA": _("Italy"),
    "ESP": _("Spain"),
    "GRC": _("Greece"),
    "OMN": _("Oman"),
}


@dataclass(frozen=True)
class Sentence:
    """What a notification says: `title` (the headline, naming the kind and what it is
    about), `text` (the sentence) and `url` (the page, relative; emails make it absolute)."""

    title: str
    text: str
    url: str
    link: str = ""


@dataclass(frozen=True)
class Reader:
    """Whom a sentence is written for: a language code and a time zone name."""

    language: str
    zone: str


# --- the reader's language and zone -------------------------------------------------------------
def _zone_ok(name: str) -> bool:
    if not name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _preference_model():
    """The accounts app's per-user preference (language, time zone), if installed."""
    try:
        return apps.get_model("accounts", "Preference")
    except LookupError:
        return None


def reader_columns() -> dict:
    """Annotations that carry a user's `Reader` in the query listing them (no query more):
    their own language and zone, when the accounts app records them, and their office's code
    (else their partner organisation's country) for the zone."""
    from liaison_offices.models import Membership

    live = Membership.objects.filter(user_id=OuterRef("pk"), ended_at__isnull=True)
    columns = {
        "reader_office": Subquery(
            live.filter(office__isnull=False).order_by("office_id", "pk").values("office__code")[:1]
        ),
        "reader_country": Subquery(
            live.filter(partner__isnull=False)
            .order_by("partner_id", "pk")
            .values("partner__country_id")[:1]
        ),
    }
    model = _preference_model()
    if model is not None:
        fields = {f.name for f in model._meta.get_fields()}
        chosen = model.objects.filter(user_id=OuterRef("pk"))
        for column, name in (("reader_language", "language"), ("reader_zone", "time_zone")):
            if name in fields:
                columns[column] = Subquery(chosen.values(name)[:1])
    return columns


def readers_from(users: Iterable) -> dict[int, Reader]:
    """Each user's `Reader` from the `reader_columns` annotations on them: their own choices,
    else the default language and the zone of their office (or partner's country)."""
    readers = {}
    for user in users:
        language = getattr(user, "reader_language", "") or settings.LANGUAGE_CODE
        zone = getattr(user, "reader_zone", "") or ""
        if not _zone_ok(zone):
            place = getattr(user, "reader_office", None) or getattr(user, "reader_country", None)
            zone = OFFICE_ZONES.get(place or "", settings.TIME_ZONE)
        readers[user.pk] = Reader(language, zone)
    return readers


def readers_of(user_ids: Iterable[int]) -> dict[int, Reader]:
    """The `Reader` of each user of `user_ids`, in one query for the lot."""
    from django.contrib.auth import get_user_model

    ids = sorted(set(user_ids))
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids).annotate(**reader_columns()).only("pk")
    found = readers_from(users)
    default = Reader(settings.LANGUAGE_CODE, settings.TIME_ZONE)
    return {pk: found.get(pk, default) for pk in ids}


def reader_of(user) -> Reader:
    """One user's `Reader` (see `readers_of`)."""
    return readers_of([user.pk])[user.pk]


@contextlib.contextmanager
def reading_as(reader: Reader) -> Iterator[None]:
    """Translations and local times as `reader` reads them, for the block's duration."""
    with translation.override(reader.language), timezone.override(zoneinfo.ZoneInfo(reader.zone)):
        yield


# --- words for codes ------------------------------------------------------------------------------
@cache
def _iso_countries(language: str):
    import pycountry

    try:
        return gettext_module.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
        )
    except OSError:  # pragma: no cover -- pycountry without its catalogues
        return gettext_module.NullTranslations()


def country_name(iso3: str) -> str:
    """A country as a sentence names it, in the active language ("the UK", "Italy")."""
    if not iso3:
        return ""
    if iso3 in SPOKEN_COUNTRIES:
        return str(SPOKEN_COUNTRIES[iso3])
    import pycountry

    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        return iso3
    name = getattr(country, "common_name", None) or country.name
    language = (translation.get_language() or "en").split("-")[0]
    return _iso_countries(language).gettext(name) if language != "en" else name


# A country after a place ("Dubai, UAE"): short, without the article.
SHORT_COUNTRIES = {"GBR": _("UK"), "ARE": _("UAE"), "USA": _("US")}


def country_short(iso3: str) -> str:
    """A country after a place name, in the active language: "UAE", "Pakistan"."""
    if iso3 in SHORT_COUNTRIES:
        return str(SHORT_COUNTRIES[iso3])
    return country_name(iso3)


def office_name(code: str) -> str:
    """An office as the subject of a sentence: "the UK office", "HQ"."""
    if not code:
        return ""
    if code == HQ_CODE:
        return gettext("HQ")
    if code in SPOKEN_OFFICES:
        return str(SPOKEN_OFFICES[code])
    return gettext("the %(country)s office") % {"country": country_name(code)}


def office_country(code: str) -> str:
    """An office by its country alone ("Italy answered"); HQ is HQ."""
    if code == HQ_CODE:
        return gettext("HQ")
    return country_name(code)


def service_name(code: str) -> str:
    """A referral's service in a sentence, lower-case ("family tracing")."""
    try:
        return str(Service(code).label).lower() if code else ""
    except ValueError:
        return gettext("another service")


def label_of(choices, value, *, lower: bool = True) -> str:
    """The label of `value` among `choices` (a TextChoices/IntegerChoices class); a value the
    choices do not know is not shown raw but as "another" one."""
    if value in (None, ""):
        return ""
    try:
        label = str(choices(value).label)
    except ValueError:
        return ""
    return label[:1].lower() + label[1:] if lower and not label[:2].isupper() else label


def _aware(value) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


# The tz database writes some zones' abbreviations as offsets ("+04"); these are the names
# people in those countries use. Another zone without a name says "UTC+5:30".
ZONE_NAMES = {
    "Europe/Istanbul": "TRT",
    "Asia/Dubai": "GST",
    "Asia/Muscat": "GST",
    "Asia/Tehran": "IRST",
}


def zone_abbreviation(value: dt.datetime) -> str:
    """The zone's short name at that time ("PKT", "BST", "GST")."""
    key = getattr(value.tzinfo, "key", None)
    if key in ZONE_NAMES:
        return ZONE_NAMES[key]
    name = value.tzname() or ""
    match = re.fullmatch(r"([+-])(\d\d)(?::?(\d\d))?", name)
    if match:
        sign, hours, minutes = match.groups()
        name = f"UTC{sign}{int(hours)}" + (f":{minutes}" if minutes and minutes != "00" else "")
    return name


def local_time(value) -> str:
    """A moment in the active zone, named: "10 Dec, 20:51 PKT" (the year when not this one)."""
    moment = _aware(value)
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    pattern = "j M, H:i" if local.year == timezone.localdate().year else "j M Y, H:i"
    return f"{dateformat.format(local, pattern)} {zone_abbreviation(local)}"


def local_date(value) -> str:
    """A day: "10 Dec" this year, "10 Dec 2027" another."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return ""
    if isinstance(value, dt.datetime):
        value = timezone.localdate(_aware(value))
    if not isinstance(value, dt.date):
        return ""
    pattern = "j M" if value.year == timezone.localdate().year else "j M Y"
    return dateformat.format(value, pattern)


# --- names that need the database -----------------------------------------------------------------
@dataclass
class Names:
    """The partner organisations the payloads of a batch of events name, by id (one query for
    the batch). Offices need no query: their code is their country's."""

    partners: dict[int, str] = field(default_factory=dict)

    PARTNER_KEYS = ("partner", "to_partner", "by_partner")

    @classmethod
    def for_events(cls, events: Iterable) -> Names:
        from liaison_offices.models import PartnerOrganisation

        ids = set()
        for event in events:
            for key in cls.PARTNER_KEYS:
                value = (event.payload or {}).get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    ids.add(value)
        names = cls()
        if ids:
            names.partners = {
                pk: short or name
                for pk, short, name in PartnerOrganisation.objects.filter(pk__in=ids).values_list(
                    "pk", "short_name", "name"
                )
            }
        return names

    def partner(self, pk) -> str:
        return self.partners.get(pk, "") if isinstance(pk, int) else ""

    office = staticmethod(office_name)
    country = staticmethod(office_country)


# --- the words of each kind, from the apps that publish them --------------------------------------
Words = Callable[[dict, Names], dict]


@cache
def _word_makers() -> dict[str, Words]:
    """Every installed app's `<app>/sentences.py` `WORDS`: kind → function(payload, names)."""
    makers: dict[str, Words] = {}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.sentences"
        if "site-packages" in config.path or not find_spec(module_name):
            continue
        makers.update(getattr(import_module(module_name), "WORDS", {}))
    return makers


_SPACES = re.compile(r"\s+")


def _plain(template_name: str, context: dict) -> str:
    template = get_template(template_name).template
    text = template.render(Context(context, autoescape=False))
    return _SPACES.sub(" ", text).strip()


def _kind_label(kind: str) -> str:
    try:
        return gettext(str(EventKind(kind).label))
    except ValueError:
        return gettext("Notification")


def compose(event, names: Names | None = None) -> Sentence:
    """The `Sentence` of `event` in the active language and time zone."""
    payload = dict(event.payload or {})
    names = names if names is not None else Names.for_events([event])
    context = {
        "label": event.subject_label,
        # A case's events name it by reference; an event without one, by its subject's label.
        "reference": payload.get("reference") or event.subject_label,
        "to_office": bool(event.office_ids),
        "to_partner": bool(event.partner_ids) and not event.office_ids,
        "you": gettext("your organisation")
        if event.partner_ids and not event.office_ids
        else gettext("your office"),
    }
    maker = _word_makers().get(event.kind)
    if maker is not None:
        try:
            context.update(maker(payload, names))
        except Exception:  # noqa: BLE001 -- a payload the words do not expect still notifies
            logger.exception("Words for a %s event failed; the short sentence is used.", event.kind)
    about = context["about"] if "about" in context else context["reference"]
    try:
        text = _plain(f"notifications/{event.kind}.txt", context)
    except TemplateDoesNotExist:
        text = ""
    kind = _kind_label(event.kind)
    title = (f"{kind} — {about}" if ":" in kind else f"{kind}: {about}") if about else kind
    link = gettext("Open %(what)s") % {"what": about} if about else gettext("Open it")
    return Sentence(title=title[:200], text=text[:500], url=event.subject_url, link=link)


def compose_for(event, readers: dict[int, Reader]) -> dict[Reader, Sentence]:
    """The sentence of `event` for each distinct reader among `readers` (rendered once per
    language and zone, however many people share them)."""
    names = Names.for_events([event])
    sentences: dict[Reader, Sentence] = {}
    for reader in set(readers.values()):
        with reading_as(reader):
            sentences[reader] = compose(event, names)
    return sentences


def attach_sentences(notifications: Iterable) -> list:
    """Set `.sentence` on each inbox row (its `event` loaded with it), in the reader's active
    language and zone: one query for the partners the page names, whatever its length."""
    rows = list(notifications)
    names = Names.for_events(row.event for row in rows)
    for row in rows:
        row.sentence = compose(row.event, names)
    return rows
