"""Timeline lines that say what changed, in words ("Added a transit leg: Dubai, UAE, by air,
3 Mar 2024").

An edit's timeline entry keeps, beside the old and new values the stale-edit check compares
(`changes["fields"]`, cases/services/records.py), the list of what was said
(`changes["lines"]`): one small dict per change, codes and ISO dates only. `say_lines` turns
them into sentences in the active language, for the case page, the case file and the API
(cases/full_parts.py), and in English for the entry's stored `summary`, which is what an
entry written before these lines still shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import dateformat, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.constants import (
    Exploitation,
    LabourSector,
    MeansOfControl,
    RecruiterRelationship,
    RouteStage,
    SuspectRole,
    TransportMode,
)
from liaison_offices.sentences import country_short

__all__ = ["field_lines", "route_lines", "say_lines", "suspect_lines", "summary_of"]

LEG_ADDED = {
    RouteStage.RECRUITMENT: _("Added a recruitment leg: %(where)s"),
    RouteStage.TRANSIT: _("Added a transit leg: %(where)s"),
    RouteStage.EXPLOITATION: _("Added an exploitation leg: %(where)s"),
}
LEG_REMOVED = {
    RouteStage.RECRUITMENT: _("Removed the recruitment leg: %(where)s"),
    RouteStage.TRANSIT: _("Removed the transit leg: %(where)s"),
    RouteStage.EXPLOITATION: _("Removed the exploitation leg: %(where)s"),
}
LEG_NAMES = {
    RouteStage.RECRUITMENT: _("the recruitment leg"),
    RouteStage.TRANSIT: _("the transit leg"),
    RouteStage.EXPLOITATION: _("the exploitation leg"),
}
MODES = {
    TransportMode.AIR: _("by air"),
    TransportMode.LAND: _("by land"),
    TransportMode.SEA: _("by sea"),
}

# The fields an edit names, as the end of "Changed the …".
FIELD_NAMES = {
    "title": _("the title"),
    "summary": _("the summary"),
    "host_country_law": _("the host-country law"),
    "forms_of_exploitation": _("the forms of exploitation"),
    "means_of_control": _("the means of control"),
    "labour_sector": _("the labour sector"),
    "recruiter_relationship": _("the recruiter's relationship to the victim"),
    "legal_provisions": _("the legal provisions"),
}
FIELD_CHOICES = {
    "forms_of_exploitation": Exploitation,
    "means_of_control": MeansOfControl,
    "labour_sector": LabourSector,
    "recruiter_relationship": RecruiterRelationship,
}
LONG_TEXTS = {"summary", "host_country_law"}


# --- words --------------------------------------------------------------------------------------
def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return gettext("another value")


def _day(value) -> str:
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return ""
    return dateformat.format(day, "j M Y")


def _where(leg: dict) -> str:
    """ "Dubai, UAE, by air, 3 Mar 2024": the place, the country, how, when."""
    mode = leg.get("mode") or ""
    bits = [
        leg.get("place") or "",
        country_short(leg.get("country") or ""),
        str(MODES[TransportMode(mode)]) if mode in TransportMode.values else "",
        _day(leg.get("date")),
    ]
    return ", ".join(bit for bit in bits if bit)


def _leg_name(leg: dict) -> str:
    stage = leg.get("stage")
    name = str(LEG_NAMES[RouteStage(stage)]) if stage in RouteStage.values else gettext("a leg")
    place = leg.get("place") or country_short(leg.get("country") or "")
    return gettext("%(leg)s in %(place)s") % {"leg": name, "place": place} if place else name


def _quote(text) -> str:
    text = str(text or "").replace("\n", " ")
    return f"“{text if len(text) <= 60 else text[:59] + '…'}”"


def _say(line: dict) -> str:
    what = line.get("say")
    if what == "leg_added":
        stage = line["leg"].get("stage")
        template = LEG_ADDED.get(stage) if stage in RouteStage.values else None
        return str(template or _("Added a leg: %(where)s")) % {"where": _where(line["leg"])}
    if what == "leg_removed":
        stage = line["leg"].get("stage")
        template = LEG_REMOVED.get(stage) if stage in RouteStage.values else None
        return str(template or _("Removed a leg: %(where)s")) % {"where": _where(line["leg"])}
    if what == "leg_date":
        old, new = _day(line.get("old")), _day(line.get("new"))
        words = {"leg": _leg_name(line["leg"]), "old": old, "new": new}
        if old and new:
            return gettext("Changed the date of %(leg)s from %(old)s to %(new)s") % words
        if new:
            return gettext("Dated %(leg)s: %(new)s") % words
        return gettext("Took the date off %(leg)s (it was %(old)s)") % words
    if what == "leg_mode":
        old, new = (line.get(key) or "" for key in ("old", "new"))
        words = {
            "leg": _leg_name(line["leg"]),
            "old": str(MODES[TransportMode(old)]) if old in TransportMode.values else "",
            "new": str(MODES[TransportMode(new)]) if new in TransportMode.values else "",
        }
        if words["old"] and words["new"]:
            return gettext("Changed %(leg)s from %(old)s to %(new)s") % words
        if words["new"]:
            return gettext("Recorded that %(leg)s went %(new)s") % words
        return gettext("Took the transport off %(leg)s") % words
    if what == "route_order":
        return gettext("Put the route in a new order: %(legs)s") % {
            "legs": " → ".join(_where(leg) for leg in line.get("legs", []))
        }
    if what == "suspect_added":
        return gettext("Added a suspect: %(who)s") % {"who": _suspect(line["suspect"])}
    if what == "suspect_removed":
        return gettext("Removed a suspect: %(who)s") % {"who": _suspect(line["suspect"])}
    if what == "suspect_roles":
        roles = ", ".join(_label(SuspectRole, role).lower() for role in line.get("roles", []))
        return gettext("Gave %(who)s the roles: %(roles)s") % {
            "who": _suspect(line["suspect"]),
            "roles": roles,
        }
    if what == "suspects_details":
        return gettext("Changed the details of the suspects (sex or age)")
    if what in ("items_added", "items_removed"):
        field = line.get("field", "")
        choices = FIELD_CHOICES.get(field)
        items = ", ".join(
            _label(choices, item).lower() if choices else str(item) for item in line["items"]
        )
        words = {"items": items, "field": str(FIELD_NAMES.get(field, field))}
        if what == "items_added":
            return gettext("Added %(items)s to %(field)s") % words
        return gettext("Removed %(items)s from %(field)s") % words
    if what == "field_changed":
        field = line.get("field", "")
        name = str(FIELD_NAMES.get(field, field))
        if field in LONG_TEXTS:
            return gettext("Changed %(field)s") % {"field": name}
        choices = FIELD_CHOICES.get(field)
        old, new = line.get("old"), line.get("new")
        shown = (
            (lambda value: _label(choices, value).lower() if value else "")
            if choices
            else (lambda value: _quote(value) if value else "")
        )
        words = {"field": name, "old": shown(old), "new": shown(new)}
        if words["old"] and words["new"]:
            return gettext("Changed %(field)s from %(old)s to %(new)s") % words
        if words["new"]:
            return gettext("Set %(field)s to %(new)s") % words
        return gettext("Cleared %(field)s (it was %(old)s)") % words
    return ""


def _suspect(suspect: dict) -> str:
    role = suspect.get("role")
    bits = [
        _label(SuspectRole, role).lower() if role else "",
        suspect.get("name") or gettext("unnamed"),
    ]
    text = " ".join(bit for bit in bits if bit)
    country = country_short(suspect.get("nationality") or "")
    return f"{text} ({country})" if country else text


def say_lines(lines: Iterable[dict]) -> str:
    """The sentences of an entry's lines, in the active language, one after the other."""
    said = [_say(line) for line in lines or ()]
    return "; ".join(text for text in said if text)


def summary_of(lines: list[dict]) -> str:
    """The entry's stored summary: its lines in the site's language, within the column."""
    with translation.override(settings.LANGUAGE_CODE):
        text = say_lines(lines)
    return text if len(text) <= 300 else text[:299] + "…"


# --- what changed -------------------------------------------------------------------------------
def _leg(leg) -> dict:
    """A route leg (a RouteLeg or its dict) as a line stores it."""
    if isinstance(leg, dict):
        return {key: leg.get(key) or "" for key in ("stage", "country", "place", "mode", "date")}
    return {
        "stage": leg.stage,
        "country": leg.country_id or "",
        "place": leg.place or "",
        "mode": leg.mode or "",
        "date": leg.date.isoformat() if leg.date else "",
    }


def route_lines(old_legs: Iterable, new_legs: Iterable) -> list[dict]:
    """What changed between two routes: a leg is the same leg when its stage, country and
    place are; its date and transport may change. Others were added or removed."""
    old = [_leg(leg) for leg in old_legs]
    new = [_leg(leg) for leg in new_legs]

    def key(leg):
        return (leg["stage"], leg["country"], leg["place"].casefold())

    unmatched = list(range(len(old)))
    pairs: list[tuple[int, int]] = []
    added: list[dict] = []
    for j, leg in enumerate(new):
        match = next((i for i in unmatched if key(old[i]) == key(leg)), None)
        if match is None:
            added.append(leg)
        else:
            unmatched.remove(match)
            pairs.append((match, j))
    lines: list[dict] = [{"say": "leg_removed", "leg": old[i]} for i in unmatched]
    lines += [{"say": "leg_added", "leg": leg} for leg in added]
    for i, j in pairs:
        before, after = old[i], new[j]
        if before["date"] != after["date"]:
            lines.append(
                {"say": "leg_date", "leg": after, "old": before["date"], "new": after["date"]}
            )
        if before["mode"] != after["mode"]:
            lines.append(
                {"say": "leg_mode", "leg": after, "old": before["mode"], "new": after["mode"]}
            )
    if not lines and [i for i, _ in pairs] != sorted(i for i, _ in pairs):
        lines.append({"say": "route_order", "legs": new})
    return lines


def _suspect_dict(suspect) -> dict:
    if isinstance(suspect, dict):
        return {key: suspect.get(key) or "" for key in ("name", "role", "nationality")}
    return {
        "name": suspect.name or "",
        "role": suspect.role or "",
        "nationality": suspect.nationality_id or "",
    }


def _roles(suspect) -> list[str]:
    if isinstance(suspect, dict):
        return list(suspect.get("roles") or ([suspect["role"]] if suspect.get("role") else []))
    return list(suspect.roles or [suspect.role])


def suspect_lines(old: Iterable, new: Iterable) -> list[dict]:
    """Suspects added and removed (the same name, main role and nationality is the same
    person), whose other roles changed (HTCDS: several per suspect); when only their sex or
    age band changed, one line that says so."""
    old, new = list(old), list(new)
    before = [_suspect_dict(s) for s in old]
    after = [_suspect_dict(s) for s in new]
    remaining = list(before)
    roles_before = {}
    for suspect, dictionary in zip(old, before, strict=True):
        roles_before.setdefault(tuple(dictionary.values()), _roles(suspect))
    lines = []
    for person, suspect in zip(new, after, strict=True):
        if suspect in remaining:
            remaining.remove(suspect)
            roles = _roles(person)
            if roles != roles_before.get(tuple(suspect.values()), roles):
                lines.append({"say": "suspect_roles", "suspect": suspect, "roles": roles})
        else:
            lines.append({"say": "suspect_added", "suspect": suspect})
    lines[:0] = [{"say": "suspect_removed", "suspect": s} for s in remaining]
    return lines or [{"say": "suspects_details"}]


def field_lines(changes: dict[str, list]) -> list[dict]:
    """The lines of a `case_update`: lists by the items added and removed, other fields by
    their old and new values (long texts only say that they changed)."""
    lines = []
    for field, (old, new) in changes.items():
        if isinstance(old, list) or isinstance(new, list):
            old_items, new_items = list(old or []), list(new or [])
            gone = [item for item in old_items if item not in new_items]
            came = [item for item in new_items if item not in old_items]
            if came:
                lines.append({"say": "items_added", "field": field, "items": came})
            if gone:
                lines.append({"say": "items_removed", "field": field, "items": gone})
        else:
            lines.append({"say": "field_changed", "field": field, "old": old, "new": new})
    return lines
