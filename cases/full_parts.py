"""The parts of a case shown at full level — route, suspects (with their justice lines), legal
basis, timeline — in one query.

Both doors read them here: the API's case detail and the case page. Read as four prefetches
(and a fifth for the expired shares the lead office's timeline derives) they cost five round
trips and five ORM compilations on every read of a full case. Here the database builds each
part as a JSON list, and one statement returns them all. Only our own table and column names
are written into the SQL; the case id, the instant and the timeline kinds are parameters.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from cases.constants import TimelineKind
from cases.models import provision_citation
from cases.timeline import say_lines

__all__ = ["RECIPIENT_TIMELINE_KINDS", "load_full_parts"]

# The timeline lines a share recipient sees. The rest speak of other recipients (shares and
# their ends), of requests between other offices, or of victims: the lead office and HQ only.
RECIPIENT_TIMELINE_KINDS = (
    TimelineKind.CREATED,
    TimelineKind.EDITED,
    TimelineKind.STATUS_CHANGED,
    TimelineKind.MESSAGE,
    TimelineKind.JUSTICE,  # of the suspects, whom a FULL share shows
)

# name → (rows of the part for one case, the keys each row carries, their order)
_PARTS = {
    "route_legs": (
        "SELECT l.id, l.position, l.stage, l.country_id, c.name AS country_name, l.place, "
        "l.mode, l.date FROM cases_routeleg l "
        "JOIN liaison_offices_country c ON c.iso3 = l.country_id WHERE l.case_id = %s",
        ("id", "position", "stage", "country_id", "country_name", "place", "mode", "date"),
        "position, id",
    ),
    "suspects": (
        "SELECT s.id, s.name, s.role, s.roles, s.nationality_id, c.name AS nationality_name, "
        "s.sex, s.age_band FROM cases_suspect s "
        "LEFT JOIN liaison_offices_country c ON c.iso3 = s.nationality_id WHERE s.case_id = %s",
        ("id", "name", "role", "roles", "nationality_id", "nationality_name", "sex", "age_band"),
        "id",
    ),
    # Pakistan's statutes first, then the host countries', each in its statute's order.
    "legal_provisions": (
        "SELECT p.id, p.act, p.section, p.title, a.short_title, a.unit, a.country_id, "
        "CASE WHEN a.country_id = 'PAK' THEN 0 ELSE 1 END AS foreign_law "
        "FROM cases_legalprovision p JOIN cases_statute a ON a.code = p.act "
        "JOIN cases_case_legal_provisions l ON l.legalprovision_id = p.id WHERE l.case_id = %s",
        ("id", "act", "section", "title", "short_title", "unit", "country_id"),
        "foreign_law, country_id, act, id",
    ),
    # Each suspect's steps through the justice system (cases.services.justice), withdrawn
    # lines included (shown struck out); read with the suspects, at the suspects' level.
    "justice_events": (
        "SELECT j.id, j.suspect_id, j.stage, j.date, j.country_id, c.name AS country_name, "
        "j.provision_id, p.section, a.short_title, a.unit, j.authority, j.reference, "
        "j.verdict, j.custody_months, j.fine, j.note, j.withdrawn_at, j.withdrawn_reason "
        "FROM cases_justiceevent j JOIN liaison_offices_country c ON c.iso3 = j.country_id "
        "LEFT JOIN cases_legalprovision p ON p.id = j.provision_id "
        "LEFT JOIN cases_statute a ON a.code = p.act WHERE j.case_id = %s",
        (
            "id",
            "suspect_id",
            "stage",
            "date",
            "country_id",
            "country_name",
            "provision_id",
            "section",
            "short_title",
            "unit",
            "authority",
            "reference",
            "verdict",
            "custody_months",
            "fine",
            "note",
            "withdrawn_at",
            "withdrawn_reason",
        ),
        "suspect_id, date, id",
    ),  # fmt: skip
    # The actor as User.get_full_name() or, when that is blank, the username.
    "timeline": (
        "SELECT e.id, e.kind, e.summary, e.created_at, {lines} AS lines, "
        "COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username) AS actor "
        "FROM cases_timelineevent e LEFT JOIN auth_user u ON u.id = e.actor_id "
        "WHERE e.case_id = %s{kinds}",
        ("id", "kind", "summary", "created_at", "lines", "actor"),
        "created_at DESC, id DESC",
    ),
    # Shares that ran out before anyone revoked them: their "share expired" lines are derived,
    # not stored (expiry needs no job: docs/architecture.md#the-access-rule). The recipient as
    # its str(): an office's code, a partner's short name or else its name.
    "expired_shares": (
        "SELECT s.id, s.expires_at, "
        "COALESCE(o.code, NULLIF(p.short_name, ''), p.name) AS recipient "
        "FROM cases_caseshare s "
        "LEFT JOIN liaison_offices_linkoffice o ON o.id = s.office_id "
        "LEFT JOIN liaison_offices_partnerorganisation p ON p.id = s.partner_id "
        "WHERE s.case_id = %s AND s.expires_at <= %s "
        "AND (s.revoked_at IS NULL OR s.revoked_at > s.expires_at)",
        ("id", "expires_at", "recipient"),
        "expires_at, id",
    ),
}


# An edit's words (`changes["lines"]`, cases/timeline.py) as JSON inside the row's JSON.
# (SQLite hands it over as text: its JSON loses its type through the ordered subquery.)
_LINES = {True: "e.changes -> 'lines'", False: "json_extract(e.changes, '$.lines')"}


def _json_list(rows_sql: str, keys: tuple[str, ...], order: str) -> str:
    pairs = ", ".join(f"'{key}', part.{key}" for key in keys)
    ordered = ", ".join(f"part.{column}" for column in order.split(", "))
    if connection.vendor == "postgresql":
        aggregate = f"COALESCE(json_agg(json_build_object({pairs}) ORDER BY {ordered}), '[]')"
        return f"(SELECT {aggregate}::text FROM ({rows_sql}) part)"  # noqa: S608 (as above)
    # SQLite aggregates in the order of its ordered subquery.
    ordered_rows = f"SELECT * FROM ({rows_sql}) unordered ORDER BY {order}"  # noqa: S608
    return f"(SELECT json_group_array(json_object({pairs})) FROM ({ordered_rows}) part)"  # noqa: S608


def _aware(text: str) -> dt.datetime:
    moment = parse_datetime(text)
    return timezone.make_aware(moment, dt.UTC) if timezone.is_naive(moment) else moment  # SQLite


def load_full_parts(case, *, owner: bool, at: dt.datetime | None = None) -> dict[str, list]:
    """The four parts of `case` as lists of dicts: the API's serializers read their keys, the
    case page's template reads them too.

    The lead office and HQ (`owner`) see every timeline line, with "share expired" lines
    derived as at `at` (now by default); a share recipient sees RECIPIENT_TIMELINE_KINDS.
    Route legs and suspects carry their countries' names as well as their codes.
    """
    names, columns, params = [], [], []
    for name, (rows_sql, keys, order) in _PARTS.items():
        kinds, part_params = "", [case.pk]
        if name == "expired_shares":
            if not owner:
                continue
            part_params.append(connection.ops.adapt_datetimefield_value(at or timezone.now()))
        elif name == "timeline" and not owner:
            kinds = f" AND e.kind IN ({', '.join(['%s'] * len(RECIPIENT_TIMELINE_KINDS))})"
            part_params.extend(RECIPIENT_TIMELINE_KINDS)
        names.append(name)
        if name == "timeline":
            rows_sql = rows_sql.replace("{lines}", _LINES[connection.vendor == "postgresql"])
        columns.append(_json_list(rows_sql.format(kinds=kinds), keys, order))
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns), params)
        values = cursor.fetchone()
    parts = {name: json.loads(value) for name, value in zip(names, values, strict=True)}
    for provision in parts["legal_provisions"]:
        provision["citation"] = provision_citation(
            provision["short_title"], provision["unit"], provision["section"]
        )
        provision["is_pakistani"] = provision["country_id"] == "PAK"
    justice: dict[int, list[dict]] = {}
    for event in parts.pop("justice_events"):
        event["date"] = parse_date(event["date"])
        event["withdrawn_at"] = _aware(event["withdrawn_at"]) if event["withdrawn_at"] else None
        event["citation"] = (
            provision_citation(event["short_title"], event["unit"], event["section"])
            if event["provision_id"]
            else ""
        )
        justice.setdefault(event["suspect_id"], []).append(event)
    for suspect in parts["suspects"]:
        suspect["justice"] = justice.get(suspect["id"], [])
        if isinstance(suspect["roles"], str):  # SQLite hands a JSON column over as its text
            suspect["roles"] = json.loads(suspect["roles"])
        suspect["roles"] = suspect["roles"] or [suspect["role"]]
    for leg in parts["route_legs"]:
        leg["date"] = parse_date(leg["date"]) if leg["date"] else None
    timeline = parts["timeline"]
    for event in timeline:
        event["created_at"] = _aware(event["created_at"])
        # The words of an edit in the reader's language; older entries keep their summary.
        lines = event.pop("lines", None) or ()
        said = say_lines(json.loads(lines) if isinstance(lines, str) else lines)
        if said:
            event["summary"] = said
    for share in parts.pop("expired_shares", ()):
        timeline.append(
            {
                "id": None,
                "kind": TimelineKind.SHARE_EXPIRED.value,
                "summary": f"Share to {share['recipient']} expired",
                "created_at": _aware(share["expires_at"]),
                "actor": None,
            }
        )
    timeline.sort(key=lambda event: (event["created_at"], event["id"] or 0), reverse=True)
    return parts
