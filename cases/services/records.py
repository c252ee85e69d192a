"""Writes on the case record itself: create, edit, status, route legs, suspects, legal basis.

Every change that alters what the case says bumps `Case.version` and writes a timeline entry
carrying that version, so a stale edit can be refused with who changed what and when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.http import Http404
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from cases.constants import (
    CASE_TRANSITIONS,
    AgeBand,
    CaseKind,
    CaseOutcome,
    CaseStatus,
    Exploitation,
    LabourSector,
    MeansOfControl,
    RecruiterRelationship,
    RouteStage,
    Sex,
    SuspectRole,
    TimelineKind,
    TransportMode,
)
from cases.grants import sync_case_grants, touch_case_grants
from cases.models import (
    Case,
    CaseReferenceCounter,
    LegalProvision,
    RouteLeg,
    Suspect,
    TimelineEvent,
)
from cases.services._common import (
    case_audience,
    check_choice,
    check_choices,
    countries_by_code,
    display_name,
    json_value,
    lock_case_for_change,
    record,
    short,
)
from cases.timeline import field_lines, route_lines, summary_of, suspect_lines
from glo_act.errors import ConflictError, DomainError, InvalidTransition, PermissionDenied
from glo_act.validation import check_date, check_not_future
from liaison_offices.access import can_work_office
from liaison_offices.constants import EventKind, OfficeStatus
from liaison_offices.models import Country, LinkOffice
from liaison_offices.notifications import publish

__all__ = [
    "EDITABLE_FIELDS",
    "case_create",
    "case_set_legal_provisions",
    "case_set_route",
    "case_set_suspects",
    "case_transition",
    "case_update",
    "check_version",
    "route_leg_add",
    "route_leg_remove",
    "suspect_add",
    "suspect_remove",
]

# What `case_update` may change. Kind and lead office are part of the reference, and status
# has its own service with the transition table.
EDITABLE_FIELDS = (
    "title",
    "summary",
    "forms_of_exploitation",
    "labour_sector",
    "means_of_control",
    "recruiter_relationship",
    "host_country_law",
    "legal_provisions",
)
# Long texts: the timeline says they changed, not what they now say.
_LONG_TEXT = {"summary", "host_country_law"}
_LABELS = {
    "title": "title",
    "summary": "summary",
    "forms_of_exploitation": "forms of exploitation",
    "labour_sector": "labour sector",
    "means_of_control": "means of control",
    "recruiter_relationship": "recruiter relationship",
    "host_country_law": "host-country law",
    "legal_provisions": "legal provisions",
    "route": "route",
    "suspects": "suspects",
    "status": "status",
    "outcome": "outcome",
}
_ROUTE_LEG_KEYS = {"stage", "country", "place", "mode", "date"}
_SUSPECT_KEYS = {"name", "role", "roles", "nationality", "sex", "age_band"}


# --- describing changes -------------------------------------------------------------------------


def describe_changes(changes: dict[str, list]) -> str:
    """`title 'A' → 'B'; summary changed` — one line for a timeline entry or a conflict."""
    parts = []
    for field, (old, new) in changes.items():
        label = _LABELS.get(field, field.replace("_", " "))
        if field in _LONG_TEXT:
            parts.append(f"{label} changed")
        else:
            parts.append(f"{label} {short(old)} → {short(new)}")
    return "; ".join(parts)


def _route_text(legs: Iterable[RouteLeg]) -> list[str]:
    return [
        " ".join(
            bit
            for bit in (
                leg.get_stage_display().lower() + ":",
                leg.country_id,
                leg.place,
                f"by {leg.mode}" if leg.mode else "",
                leg.date.isoformat() if leg.date else "",
            )
            if bit
        )
        for leg in legs
    ]


def _suspects_text(suspects: Iterable[Suspect]) -> list[str]:
    return [
        f"{s.roles_label.lower().replace(', ', '/')} {s.name or 'unnamed'}"
        + (f" ({s.nationality_id})" if s.nationality_id else "")
        for s in suspects
    ]


def _provisions_text(provisions: Iterable[LegalProvision]) -> list[str]:
    return sorted(str(p).split(" — ")[0] for p in provisions)


# --- validation ---------------------------------------------------------------------------------


def _clean_field(field: str, value):
    """Validate one editable field's value; returns it in stored form."""
    if field == "title":
        value = (value or "").strip()
        if not value:
            raise DomainError("A case needs a title.", field="title")
        return value
    if field in ("summary", "host_country_law"):
        return (value or "").strip()
    if field == "forms_of_exploitation":
        return check_choices(value, Exploitation, field=field, label="form of exploitation")
    if field == "means_of_control":
        return check_choices(value, MeansOfControl, field=field, label="means of control")
    if field == "labour_sector":
        return check_choice(value, LabourSector, field=field, label="labour sector", blank=True)
    if field == "recruiter_relationship":
        return check_choice(
            value, RecruiterRelationship, field=field, label="recruiter relationship", blank=True
        )
    raise DomainError(f"The case field {field!r} cannot be changed here.")


def _provisions(values: Iterable) -> list[LegalProvision]:
    """LegalProvision rows for instances or ids; unknown ids are an error."""
    ids = {v.pk if isinstance(v, LegalProvision) else int(v) for v in values or ()}
    found = list(LegalProvision.objects.filter(pk__in=ids)) if ids else []
    if len(found) != len(ids):
        raise DomainError("Unknown legal provision.", field="legal_provisions")
    return found


def _date(value, field: str) -> dt.date | None:
    return check_date(value, field=field)


def _check_leg_dates(legs: list[RouteLeg], unchanged: set, *, field: str) -> None:
    """Route legs happen in the order of the route and not after today
    (glo_act/validation.py). A leg stored before the rule, given again as it is, is not held
    against the edit: only a pair with a new or changed leg in it must be in order."""
    for leg in legs:
        if _leg_key(leg) not in unchanged:
            check_not_future(leg.date, field=field, what=_("A route leg's date"))
    dated = [leg for leg in legs if leg.date is not None]
    for earlier, later in zip(dated, dated[1:], strict=False):
        if later.date < earlier.date and not (
            _leg_key(earlier) in unchanged and _leg_key(later) in unchanged
        ):
            raise DomainError(
                _(
                    "The route runs in order of time: the %(later)s leg (%(later_day)s) "
                    "cannot come after the %(earlier)s leg (%(earlier_day)s)."
                )
                % {
                    "later": later.get_stage_display().lower(),
                    "later_day": dateformat.format(later.date, "j M Y"),
                    "earlier": earlier.get_stage_display().lower(),
                    "earlier_day": dateformat.format(earlier.date, "j M Y"),
                },
                field=field,
            )


def _leg_key(leg: RouteLeg) -> tuple:
    return (leg.stage, leg.country_id, leg.place, leg.mode, leg.date)


def _build_legs(case: Case, legs: Iterable[dict], start: int = 0) -> list[RouteLeg]:
    """Unsaved RouteLeg rows from dicts {stage, country, place, mode, date}."""
    legs = list(legs or ())
    for leg in legs:
        unknown = set(leg) - _ROUTE_LEG_KEYS
        if unknown:
            raise DomainError(f"Unknown route leg field(s): {', '.join(sorted(unknown))}.")
        if not leg.get("country"):
            raise DomainError("Every route leg needs a country.", field="route_legs")
    countries = countries_by_code(leg["country"] for leg in legs)
    built = []
    for position, leg in enumerate(legs, start=start):
        country = leg["country"]
        built.append(
            RouteLeg(
                case=case,
                position=position,
                stage=check_choice(
                    leg.get("stage"), RouteStage, field="route_legs", label="route stage"
                ),
                country=countries[
                    country.iso3 if isinstance(country, Country) else country.upper()
                ],
                place=(leg.get("place") or "").strip(),
                mode=check_choice(
                    leg.get("mode", ""),
                    TransportMode,
                    field="route_legs",
                    label="transport mode",
                    blank=True,
                ),
                date=_date(leg.get("date"), "route_legs"),
            )
        )
    return built


def _build_suspects(case: Case, suspects: Iterable[dict]) -> list[Suspect]:
    """Unsaved Suspect rows from dicts {name, role, nationality, sex, age_band}."""
    suspects = list(suspects or ())
    for suspect in suspects:
        unknown = set(suspect) - _SUSPECT_KEYS
        if unknown:
            raise DomainError(f"Unknown suspect field(s): {', '.join(sorted(unknown))}.")
    countries = countries_by_code(s["nationality"] for s in suspects if s.get("nationality"))
    built = []
    for suspect in suspects:
        nationality = suspect.get("nationality")
        if nationality:
            key = nationality.iso3 if isinstance(nationality, Country) else nationality.upper()
            nationality = countries[key]
        roles = check_choices(
            suspect.get("roles") or ([suspect["role"]] if suspect.get("role") else []),
            SuspectRole,
            field="suspects",
            label="suspect role",
        )
        if not roles:
            raise DomainError("Every suspect needs a role.", field="suspects")
        built.append(
            Suspect(
                case=case,
                name=(suspect.get("name") or "").strip(),
                role=roles[0],
                roles=roles,
                nationality=nationality or None,
                sex=check_choice(
                    suspect.get("sex") or Sex.UNKNOWN, Sex, field="suspects", label="sex"
                ),
                age_band=check_choice(
                    suspect.get("age_band") or AgeBand.UNKNOWN,
                    AgeBand,
                    field="suspects",
                    label="age band",
                ),
            )
        )
    return built


# --- version and timeline -----------------------------------------------------------------------


def check_version(case: Case, expected_version) -> None:
    """Refuse an edit made on an older version, naming who changed what since, and when."""
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise DomainError("The version of the case you edited is missing.", field="version")
    if expected == case.version:
        return
    later = list(
        TimelineEvent.objects.filter(case=case, version__gt=expected)
        .select_related("actor")
        .order_by("version", "id")
    )
    changes: dict[str, list] = {}
    for event in later:
        for field, (old, new) in _event_changes(event).items():
            changes[field] = [changes[field][0] if field in changes else old, new]
    lines = [
        f"{display_name(e.actor)} on {e.created_at:%d %b %Y at %H:%M} UTC — {e.summary}"
        for e in later
    ]
    last = later[-1] if later else None
    raise ConflictError(
        f"{case.reference} was changed after you opened it (your version {expected}, "
        f"now {case.version}): "
        + ("; ".join(lines) if lines else "by someone else")
        + ". Nothing was saved: reload the case and make your change again.",
        changed_by=display_name(last.actor) if last else "",
        changed_at=last.created_at if last else None,
        changes=changes,
    )


def _event_changes(event: TimelineEvent) -> dict[str, list]:
    if event.kind == TimelineKind.EDITED:
        return event.changes.get("fields", {})
    if event.kind == TimelineKind.STATUS_CHANGED:
        return {k: v for k, v in event.changes.items() if k in ("status", "outcome")}
    return {}


def _save_edit(
    case: Case, actor, changes: dict[str, list], lines: list[dict] | None = None
) -> Case:
    """Bump the version, save the case and record the edit on the timeline: `lines`, what
    changed in words (cases/timeline.py), else the changed fields' old and new values."""
    case.version += 1
    case.updated_by = actor
    case.updated_at = timezone.now()
    case._history_user = actor
    case.save()
    touch_case_grants(case)
    lines = lines if lines is not None else field_lines(changes)
    record(
        case,
        TimelineKind.EDITED,
        actor,
        summary_of(lines) or f"Edited {describe_changes(changes)}",
        {"fields": changes, "lines": lines},
        version=case.version,
    )
    return case


# --- services -----------------------------------------------------------------------------------


def _next_reference(office: LinkOffice, kind: str, year: int) -> str:
    """`GBR-TIP-2026-0007`: the office's next number this year, from its locked counter.

    The counter row is created with INSERT … ON CONFLICT DO NOTHING (a second creator waits on
    the first one's insert, then finds the row), and then locked FOR UPDATE until commit: two
    officers creating at the same instant queue here, and a rolled-back creation returns its
    number, so numbers are gap-free and never reused.
    """
    CaseReferenceCounter.objects.bulk_create(
        [CaseReferenceCounter(office=office, year=year)], ignore_conflicts=True
    )
    counter = CaseReferenceCounter.objects.select_for_update().get(office=office, year=year)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return f"{office.code}-{kind}-{year}-{counter.last_value:04d}"


@transaction.atomic
def case_create(
    *,
    acting_user,
    lead_office: LinkOffice,
    kind: str,
    title: str,
    summary: str = "",
    forms_of_exploitation: Iterable[str] = (),
    labour_sector: str = "",
    means_of_control: Iterable[str] = (),
    recruiter_relationship: str = "",
    host_country_law: str = "",
    legal_provisions: Iterable = (),
    route_legs: Iterable[dict] = (),
    suspects: Iterable[dict] = (),
) -> Case:
    """Open a case for an office the user works; it gets the office's next reference."""
    if not can_work_office(acting_user, lead_office.pk):
        raise PermissionDenied(f"You cannot open cases for {lead_office}.", field="lead_office")
    if lead_office.status != OfficeStatus.ACTIVE:
        raise DomainError(
            f"{lead_office} is {lead_office.get_status_display().lower()}; "
            "it cannot open new cases.",
            field="lead_office",
        )
    kind = check_choice(kind, CaseKind, field="kind", label="case kind")
    values = {
        field: _clean_field(field, value)
        for field, value in (
            ("title", title),
            ("summary", summary),
            ("forms_of_exploitation", forms_of_exploitation),
            ("labour_sector", labour_sector),
            ("means_of_control", means_of_control),
            ("recruiter_relationship", recruiter_relationship),
            ("host_country_law", host_country_law),
        )
    }
    provisions = _provisions(legal_provisions)
    now = timezone.now()
    case = Case(
        reference=_next_reference(lead_office, kind, timezone.localdate(now).year),
        kind=kind,
        lead_office=lead_office,
        created_by=acting_user,
        updated_by=acting_user,
        created_at=now,
        updated_at=now,
        **values,
    )
    legs = _build_legs(case, route_legs)
    people = _build_suspects(case, suspects)
    case._history_user = acting_user
    case.save()
    sync_case_grants(case)  # the lead office's grant
    RouteLeg.objects.bulk_create(legs)
    Suspect.objects.bulk_create(people)
    if provisions:
        case.legal_provisions.set(provisions)
    record(
        case,
        TimelineKind.CREATED,
        acting_user,
        f"Opened by {lead_office.code} as {case.get_kind_display().lower()}",
        {"reference": case.reference, "kind": kind, "lead_office": lead_office.code},
        version=case.version,
    )
    # NetBox's rule: the saved object must be one the user may change, or nothing is kept.
    lock_case_for_change(acting_user, case)
    return case


@transaction.atomic
def case_update(*, acting_user, case: Case, expected_version: int, **fields) -> Case:
    """Edit the case's descriptive fields; a stale `expected_version` is refused (409)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            f"These case fields cannot be changed here: {', '.join(sorted(unknown))}."
            + (" Use a status change instead." if {"status", "outcome"} & unknown else "")
        )
    locked = lock_case_for_change(acting_user, case)
    check_version(locked, expected_version)
    changes: dict[str, list] = {}
    new_provisions = None
    for field, value in fields.items():
        if field == "legal_provisions":
            new_provisions = _provisions(value)
            old = _provisions_text(locked.legal_provisions.all())
            new = _provisions_text(new_provisions)
            if old != new:
                changes[field] = [old, new]
            continue
        value = _clean_field(field, value)
        old = getattr(locked, field)
        if old != value:
            changes[field] = [json_value(old), json_value(value)]
            setattr(locked, field, value)
    if not changes:
        return locked  # nothing to save: no new version, no timeline noise
    if "legal_provisions" in changes:
        locked.legal_provisions.set(new_provisions)
    return _save_edit(locked, acting_user, changes)


def _status_order(status: str) -> int:
    return CaseStatus.values.index(status)


@transaction.atomic
def case_transition(
    *,
    acting_user,
    case: Case,
    to_status: str,
    outcome: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Case:
    """Move the case along the status workflow (CASE_TRANSITIONS); tells everyone who sees it."""
    locked = lock_case_for_change(acting_user, case)
    if expected_version is not None:
        check_version(locked, expected_version)
    if to_status not in CaseStatus.values:
        raise InvalidTransition(f"{to_status!r} is not a case status.", field="status")
    current, target = CaseStatus(locked.status), CaseStatus(to_status)
    allowed = sorted(CASE_TRANSITIONS[current], key=_status_order)
    if target not in allowed:
        choices = " or ".join(f"“{CaseStatus(s).label.lower()}”" for s in allowed)
        already = " already" if target == current else ""
        raise InvalidTransition(
            f"{locked.reference} is{already} {current.label.lower()}; from there it can move "
            f"to {choices} only, not to “{target.label.lower()}”.",
            field="status",
        )
    outcome = (outcome or "").strip()
    reason = (reason or "").strip()
    if target == CaseStatus.CLOSED:
        if not outcome:
            raise DomainError(
                "Closing a case needs an outcome: "
                + ", ".join(label.lower() for label in CaseOutcome.labels)
                + ".",
                field="outcome",
            )
        outcome = check_choice(outcome, CaseOutcome, field="outcome", label="case outcome")
    elif outcome:
        raise DomainError("An outcome is recorded only when the case is closed.", field="outcome")
    reopening = current == CaseStatus.CLOSED
    if reopening and not reason:
        raise DomainError("Reopening a closed case needs a reason.", field="reason")

    changes: dict[str, list | str] = {"status": [current.value, target.value]}
    if locked.outcome != outcome:
        changes["outcome"] = [locked.outcome, outcome]
    if reason:
        changes["reason"] = reason
    now = timezone.now()
    locked.status = target
    locked.outcome = outcome
    locked.closed_at = now if target == CaseStatus.CLOSED else None
    locked.version += 1
    locked.updated_by = acting_user
    locked.updated_at = now
    locked._history_user = acting_user
    locked.save()
    touch_case_grants(locked)
    verb = "Reopened" if reopening else "Status"
    summary = f"{verb} {current.label.lower()} → {target.label.lower()}"
    if outcome:
        summary += f" ({CaseOutcome(outcome).label.lower()})"
    if reason:
        summary += f": {reason}"
    record(
        locked, TimelineKind.STATUS_CHANGED, acting_user, summary, changes, version=locked.version
    )
    offices, partners = case_audience(locked)
    publish(
        kind=EventKind.CASE_STATUS_CHANGED,
        subject=locked,
        actor=acting_user,
        offices=offices,
        partners=partners,
        payload={
            "reference": locked.reference,
            "case_kind": locked.kind,
            "from_status": current.value,
            "to_status": target.value,
            "outcome": outcome,
        },
    )
    return locked


@transaction.atomic
def case_set_legal_provisions(
    *,
    acting_user,
    case: Case,
    provisions: Iterable,
    host_country_law: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """Replace the case's Pakistani legal provisions (and, if given, the host-country law)."""
    fields: dict = {"legal_provisions": provisions}
    if host_country_law is not None:
        fields["host_country_law"] = host_country_law
    if expected_version is None:
        expected_version = lock_case_for_change(acting_user, case).version
    return case_update(
        acting_user=acting_user, case=case, expected_version=expected_version, **fields
    )


@transaction.atomic
def case_set_route(
    *, acting_user, case: Case, legs: Iterable[dict], expected_version: int | None = None
) -> Case:
    """Replace the whole route (the case form's and the admin's formset): legs in order given."""
    locked = lock_case_for_change(acting_user, case)
    if expected_version is not None:
        check_version(locked, expected_version)
    new_legs = _build_legs(locked, legs)
    old_legs = list(locked.route_legs.all())
    _check_leg_dates(new_legs, {_leg_key(leg) for leg in old_legs}, field="route_legs")
    old = _route_text(old_legs)
    new = _route_text(new_legs)
    if old == new:
        return locked
    locked.route_legs.all().delete()
    RouteLeg.objects.bulk_create(new_legs)
    return _save_edit(locked, acting_user, {"route": [old, new]}, route_lines(old_legs, new_legs))


def _refuse_removing_with_justice(suspects: list[Suspect]) -> None:
    """A suspect with justice lines stays: the arrest, charges and verdicts are theirs."""
    held = [s for s in suspects if s.justice_events.exists()] if suspects else []
    if held:
        names = ", ".join(s.name or "an unnamed suspect" for s in held)
        raise DomainError(
            f"{names} cannot be removed: their arrest, charges or verdicts are recorded. "
            "Withdraw those lines first if they were entered by mistake.",
            field="suspects",
        )


def _suspect_row(s: Suspect) -> tuple:
    return (s.name, tuple(s.roles or [s.role]), s.nationality_id, s.sex, s.age_band)


@transaction.atomic
def case_set_suspects(
    *, acting_user, case: Case, suspects: Iterable[dict], expected_version: int | None = None
) -> Case:
    """Replace the whole list of suspects (the case form's and the admin's formset).

    A row given with its `id` updates that suspect; a row without one keeps an existing
    suspect it equals, else adds one, so a suspect's row (and what hangs on it) outlives an
    edit of the list. Suspects left out are removed; one with justice lines
    (`cases.services.justice`) is not, and the whole change is refused.
    """
    locked = lock_case_for_change(acting_user, case)
    if expected_version is not None:
        check_version(locked, expected_version)
    suspects = [dict(s) for s in suspects or ()]
    ids = [s.pop("id", None) for s in suspects]
    people = _build_suspects(locked, suspects)
    existing = list(locked.suspects.all())
    by_id = {s.pk: s for s in existing}
    used: set[int] = set()
    for person, pk in zip(people, ids, strict=True):
        if pk:
            if int(pk) not in by_id:
                raise Http404("No such suspect.")
            person.pk = int(pk)
        else:
            same = next(
                (
                    s
                    for s in existing
                    if s.pk not in used and _suspect_row(s) == _suspect_row(person)
                ),
                None,
            )
            if same is not None:
                person.pk = same.pk
        if person.pk:
            used.add(person.pk)
    old = _suspects_text(existing)
    new = _suspects_text(people)
    removed = [s for s in existing if s.pk not in used]
    changed = [p for p in people if p.pk and _suspect_row(p) != _suspect_row(by_id[p.pk])]
    added = [p for p in people if not p.pk]
    if not (removed or changed or added):
        return locked
    _refuse_removing_with_justice(removed)
    Suspect.objects.filter(pk__in=[s.pk for s in removed]).delete()
    Suspect.objects.bulk_update(
        changed, ["name", "role", "roles", "nationality", "sex", "age_band"]
    )
    Suspect.objects.bulk_create(added)
    return _save_edit(
        locked, acting_user, {"suspects": [old, new]}, suspect_lines(existing, people)
    )


@transaction.atomic
def route_leg_add(
    *,
    acting_user,
    case: Case,
    stage: str,
    country: Country | str,
    place: str = "",
    mode: str = "",
    date: dt.date | str | None = None,
    expected_version: int | None = None,
) -> RouteLeg:
    """Append one leg to the end of the route."""
    locked = lock_case_for_change(acting_user, case)
    if expected_version is not None:
        check_version(locked, expected_version)
    existing = list(locked.route_legs.all())
    position = max((leg.position for leg in existing), default=-1) + 1
    (leg,) = _build_legs(
        locked,
        [{"stage": stage, "country": country, "place": place, "mode": mode, "date": date}],
        start=position,
    )
    _check_leg_dates([*existing, leg], {_leg_key(other) for other in existing}, field="date")
    leg.save()
    _save_edit(
        locked,
        acting_user,
        {"route": [_route_text(existing), _route_text([*existing, leg])]},
        route_lines(existing, [*existing, leg]),
    )
    return leg


@transaction.atomic
def route_leg_remove(*, acting_user, leg: RouteLeg, expected_version: int | None = None) -> None:
    """Take one leg off the route."""
    locked = lock_case_for_change(acting_user, leg.case_id)
    if expected_version is not None:
        check_version(locked, expected_version)
    existing = list(locked.route_legs.all())
    if leg.pk not in {other.pk for other in existing}:
        raise Http404("No such route leg.")
    remaining = [other for other in existing if other.pk != leg.pk]
    RouteLeg.objects.filter(pk=leg.pk).delete()
    _save_edit(
        locked,
        acting_user,
        {"route": [_route_text(existing), _route_text(remaining)]},
        route_lines(existing, remaining),
    )


@transaction.atomic
def suspect_add(
    *,
    acting_user,
    case: Case,
    role: str = "",
    roles: Iterable[str] = (),
    name: str = "",
    nationality: Country | str | None = None,
    sex: str = Sex.UNKNOWN,
    age_band: str = AgeBand.UNKNOWN,
    expected_version: int | None = None,
) -> Suspect:
    """Add one suspect to the case, with one `role` or several `roles` (the main first)."""
    locked = lock_case_for_change(acting_user, case)
    if expected_version is not None:
        check_version(locked, expected_version)
    existing = list(locked.suspects.all())
    (suspect,) = _build_suspects(
        locked,
        [
            {
                "name": name,
                "role": role,
                "roles": list(roles or ()),
                "nationality": nationality,
                "sex": sex,
                "age_band": age_band,
            }
        ],
    )
    suspect.save()
    _save_edit(
        locked,
        acting_user,
        {"suspects": [_suspects_text(existing), _suspects_text([*existing, suspect])]},
        suspect_lines(existing, [*existing, suspect]),
    )
    return suspect


@transaction.atomic
def suspect_remove(*, acting_user, suspect: Suspect, expected_version: int | None = None) -> None:
    """Take one suspect off the case."""
    locked = lock_case_for_change(acting_user, suspect.case_id)
    if expected_version is not None:
        check_version(locked, expected_version)
    existing = list(locked.suspects.all())
    if suspect.pk not in {other.pk for other in existing}:
        raise Http404("No such suspect.")
    remaining = [other for other in existing if other.pk != suspect.pk]
    _refuse_removing_with_justice([s for s in existing if s.pk == suspect.pk])
    Suspect.objects.filter(pk=suspect.pk).delete()
    _save_edit(
        locked,
        acting_user,
        {"suspects": [_suspects_text(existing), _suspects_text(remaining)]},
        suspect_lines(existing, remaining),
    )
