"""Writes for victims, consents, referrals and reintegration follow-up.

One function per use case: keyword-only, `acting_user` always passed, transactional. Each
re-checks access inside its transaction, keeps the change's history (django-simple-history on
Victim, Consent, Referral and ReintegrationFollowUp; the update thread on referrals), bumps
the record's `version` (given the version a page was opened on, it refuses a stale change)
and publishes its event with `liaison_offices.notifications.publish`, whose payload carries
codes, ids and statuses only.
Personal data never enters a log line, an error message or an event.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import NamedTuple

from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import (
    Exploitation,
    LabourSector,
    MeansOfControl,
    OnlinePlatform,
    RecruiterRelationship,
    RecruitmentMethod,
    Sex,
    TimelineKind,
    TraffickingAct,
    TraffickingMeans,
    age_band_for,
)
from cases.models import Case, TimelineEvent
from glo_act.errors import (
    ConflictError,
    ConsentRequired,
    DomainError,
    InvalidTransition,
    PermissionDenied,
)
from glo_act.validation import (
    check_choice,
    check_choices,
    check_cnic,
    check_date,
    check_not_future,
    check_not_past,
    check_passport,
)
from liaison_offices.access import can_work_office, scope_of
from liaison_offices.constants import HQ_CODE, EventKind, Service
from liaison_offices.models import Country, LinkOffice, PartnerOrganisation
from liaison_offices.notifications import publish
from victims.constants import (
    OPEN_REFERRAL_STATUSES,
    RECORDABLE_LAWFUL_BASES,
    REFERRAL_TRANSITIONS,
    ConsentPurpose,
    IdentificationStatus,
    IdentifiedBy,
    MigrationStatus,
    ReferralStatus,
    UpdateKind,
    Vulnerability,
)
from victims.crypto import (
    EncryptedTextField,
    PersonalDataUnreadable,
    Sealed,
    document_index,
    is_under_newest_key,
    name_dob_index,
    reseal,
)
from victims.models import (
    Consent,
    Referral,
    ReferralUpdate,
    ReintegrationFollowUp,
    Victim,
    VictimCaseLink,
    VictimCodeCounter,
)

logger = logging.getLogger(__name__)

OVERRIDE_PERMISSION = "victims.override_referral_consent"
PERSONAL_INPUTS = (
    "full_name",
    "date_of_birth",
    "passport_number",
    "cnic_number",
    "phone",
    "address",
)
FACT_INPUTS = (
    "sex",
    "age_at_identification",
    "identified_on",
    "nationality",
    "languages",
    "identification_status",
    "identified_by",
    "forms_of_exploitation",
    "vulnerabilities",
    "migration_status",
    # HTCDS, per victim, and the identification screening (docs/investigation.md)
    "means_of_control",
    "labour_sectors",
    "recruiter_relationship",
    "recruitment_methods",
    "recruitment_platforms",
    "exploitation_platforms",
    "screening_acts",
    "screening_means",
    "screening_purposes",
)
BASIS_INPUTS = ("lawful_basis", "lawful_basis_note")
PAKISTAN = "PAK"


class DuplicateHint(NamedTuple):
    """Another office recorded someone with the same document or name + date of birth.

    Only which fields matched and which office to contact: nothing else of the other record.
    """

    office: LinkOffice
    matched_fields: tuple[str, ...]


class Registration(NamedTuple):
    victim: Victim
    duplicate_hints: list[DuplicateHint]


# --- helpers ------------------------------------------------------------------------------------


# The shared checks (glo_act/validation.py), under the names this module has always used.
_choice = check_choice
_choice_list = check_choices


def _text(value, *, field: str, limit: int = 500) -> str | None:
    if value is None:
        return None
    if isinstance(value, Sealed):
        return value  # unchanged
    text = " ".join(str(value).split()) if field != "address" else str(value).strip()
    if len(text) > limit:
        # The length only: the value is personal data.
        raise DomainError(f"The {field.replace('_', ' ')} is too long.", field=field)
    return text or None


def _date(value, *, field: str) -> dt.date | None:
    return check_date(value, field=field)


def _plain(value):
    """A personal value as plaintext, whether just given or already sealed (for indexes)."""
    return value.reveal() if isinstance(value, Sealed) else value


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Age in whole years on `day`."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def _next_code(office: LinkOffice, year: int) -> str:
    """`V-GBR-2026-0012`: the office's next number for the year, under a row lock (race-free)."""
    counter, _created = VictimCodeCounter.objects.select_for_update().get_or_create(
        office=office, year=year
    )
    VictimCodeCounter.objects.filter(pk=counter.pk).update(last_value=F("last_value") + 1)
    counter.refresh_from_db(fields=["last_value"])
    return f"V-{office.code}-{year}-{counter.last_value:04d}"


def _lock_victim_for_change(user, victim: Victim) -> Victim:
    """Lock the victim row through `restrict(user, "change")`; 404 unseen, 403 seen-not-theirs."""
    locked = (
        Victim.objects.restrict(user, "change").select_for_update().filter(pk=victim.pk).first()
    )
    if locked is not None:
        return locked
    if Victim.objects.visible_to(user).filter(pk=victim.pk).exists():
        raise PermissionDenied(
            "Only the office that recorded this victim, or the lead office of a linked case, "
            "can change the record."
        )
    raise Http404("No such victim.")


def _check_case_visible(user, case: Case) -> None:
    if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        raise Http404("No such case.")


def _apply_facts(victim: Victim, facts: dict) -> None:
    cleaners = {
        "sex": lambda v: _choice(v, Sex, field="sex", label="sex"),
        "identification_status": lambda v: _choice(
            v, IdentificationStatus, field="identification_status", label="identification status"
        ),
        "identified_by": lambda v: _choice(
            v, IdentifiedBy, field="identified_by", label="decision maker", blank=True
        ),
        "migration_status": lambda v: _choice(
            v, MigrationStatus, field="migration_status", label="migration status"
        ),
        "forms_of_exploitation": lambda v: _choice_list(
            v, Exploitation, field="forms_of_exploitation", label="forms of exploitation"
        ),
        "vulnerabilities": lambda v: _choice_list(
            v, Vulnerability, field="vulnerabilities", label="vulnerabilities"
        ),
        "means_of_control": lambda v: _choice_list(
            v, MeansOfControl, field="means_of_control", label="means of control"
        ),
        "labour_sectors": lambda v: _choice_list(
            v, LabourSector, field="labour_sectors", label="labour sectors"
        ),
        "recruiter_relationship": lambda v: _choice(
            v,
            RecruiterRelationship,
            field="recruiter_relationship",
            label="recruiter relationship",
            blank=True,
        ),
        "recruitment_methods": lambda v: _choice_list(
            v, RecruitmentMethod, field="recruitment_methods", label="methods of recruitment"
        ),
        "recruitment_platforms": lambda v: _choice_list(
            v, OnlinePlatform, field="recruitment_platforms", label="online platforms"
        ),
        "exploitation_platforms": lambda v: _choice_list(
            v, OnlinePlatform, field="exploitation_platforms", label="online platforms"
        ),
        "screening_acts": lambda v: _choice_list(
            v, TraffickingAct, field="screening_acts", label="acts"
        ),
        "screening_means": lambda v: _choice_list(
            v, TraffickingMeans, field="screening_means", label="means"
        ),
        "screening_purposes": lambda v: _choice_list(
            v, Exploitation, field="screening_purposes", label="purposes"
        ),
        "languages": lambda v: list(dict.fromkeys(str(x).strip() for x in (v or []) if x)),
        "identified_on": lambda v: _identified_on(victim, v),
        "nationality": _country,
        "age_at_identification": _age,
    }
    for name, value in facts.items():
        setattr(victim, name, cleaners[name](value))
    if victim.identification_status != IdentificationStatus.POSSIBLE and not victim.identified_by:
        raise DomainError(
            "Say who decided the identification status (police, NGO, court or other).",
            field="identified_by",
        )


def _identified_on(victim: Victim, value) -> dt.date:
    """The day of identification: today when not given, never after today (a day already
    stored is kept as it is, so an old record stays editable)."""
    day = _date(value, field="identified_on") or timezone.localdate()
    if victim.pk is None or day != victim.identified_on:
        check_not_future(day, field="identified_on", what=_("The date of identification"))
    return day


def _country(value) -> Country | None:
    if value in (None, ""):
        return None
    if isinstance(value, Country):
        return value
    country = Country.objects.filter(iso3=str(value).upper()).first()
    if country is None:
        raise DomainError(
            f"{value!r} is not an ISO 3166 alpha-3 country code.", field="nationality"
        )
    return country


def _age(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        age = int(value)
    except (TypeError, ValueError):
        raise DomainError("The age must be a whole number of years.", field="age_at_identification")
    if not 0 <= age <= 120:
        raise DomainError("The age must be between 0 and 120.", field="age_at_identification")
    return age


def _apply_personal(victim: Victim, personal: dict) -> None:
    """Set personal fields (encrypted on save) and recompute the blind indexes. A value that
    changes is checked (a date of birth not after today, a CNIC as 5-7-1 digits, a passport
    number in its country's shape); one given as it is stored is kept as it is."""
    for name, value in personal.items():
        before = _plain(getattr(victim, name)) if victim.pk is not None else None
        if name == "date_of_birth":
            value = _date(value, field=name)
            if value != before:
                check_not_future(value, field=name, what=_("The date of birth"))
        else:
            value = _text(value, field=name)
            if isinstance(value, str) and value != before:
                if name == "cnic_number":
                    value = check_cnic(value, field=name) or None
                elif name == "passport_number":
                    value = check_passport(value, victim.nationality_id, field=name) or None
        setattr(victim, name, value)
    if {"passport_number"} & personal.keys():
        victim.passport_index = document_index("passport", _plain(victim.passport_number))
    if {"cnic_number"} & personal.keys():
        victim.cnic_index = document_index("cnic", _plain(victim.cnic_number))
    if {"full_name", "date_of_birth"} & personal.keys():
        victim.name_dob_index = name_dob_index(
            _plain(victim.full_name), _plain(victim.date_of_birth)
        )


def _derive_age(victim: Victim) -> None:
    """Age at identification (from the date of birth when not given), CTDC band, child flag."""
    if victim.age_at_identification is None:
        born = _plain(victim.date_of_birth)
        if born is not None:
            victim.age_at_identification = max(0, age_on(born, victim.identified_on))
    age = victim.age_at_identification
    victim.age_band = age_band_for(age)
    victim.is_child = age is not None and age < 18


def _is_pakistani_actual(victim: Victim) -> bool:
    return (
        victim.nationality_id == PAKISTAN
        and victim.identification_status == IdentificationStatus.ACTUAL
    )


def _announce_pakistani_victim(victim: Victim, acting_user) -> None:
    """ACTIP-style notice: HQ hears when any office records a Pakistani as an actual victim."""
    hq = LinkOffice.objects.filter(code=HQ_CODE).first()
    if hq is None:
        return
    publish(
        kind=EventKind.PAKISTANI_VICTIM_IDENTIFIED,
        subject=victim,
        actor=acting_user,
        offices=[hq],
        payload={
            "victim": victim.code,
            "office": victim.recorded_by_office.code,
            "status": victim.identification_status,
            "decided_by": victim.identified_by,
            "child": victim.is_child,
        },
    )


def _duplicate_hints(victim: Victim) -> list[DuplicateHint]:
    """Victims of other offices sharing a document or name + date of birth blind index."""
    probes = {
        "passport_index": ("passport_number",),
        "cnic_index": ("cnic_number",),
        "name_dob_index": ("full_name", "date_of_birth"),
    }
    condition = Q()
    for index in probes:
        value = getattr(victim, index)
        if value:
            condition |= Q(**{index: value})
    if not condition:
        return []
    matches = (
        Victim.objects.filter(condition)
        .exclude(recorded_by_office_id=victim.recorded_by_office_id)
        .values_list("recorded_by_office_id", *probes)
    )
    by_office: dict[int, set[str]] = {}
    for office_id, *indexes in matches:
        fields = by_office.setdefault(office_id, set())
        for index, value in zip(probes, indexes, strict=True):
            if value and value == getattr(victim, index):
                fields.update(probes[index])
    offices = LinkOffice.objects.in_bulk(list(by_office))
    order = ("full_name", "date_of_birth", "passport_number", "cnic_number")
    return [
        DuplicateHint(
            office=offices[office_id], matched_fields=tuple(f for f in order if f in fields)
        )
        for office_id, fields in sorted(by_office.items(), key=lambda item: offices[item[0]].code)
    ]


def _link_case(victim: Victim, case: Case, acting_user) -> VictimCaseLink:
    link = VictimCaseLink.objects.create(victim=victim, case=case, linked_by=acting_user)
    TimelineEvent.objects.create(
        case=case,
        kind=TimelineKind.VICTIM_LINKED,
        actor=acting_user,
        summary=f"Victim {victim.code} linked",
        changes={"victim": victim.code},
    )
    return link


def _has_personal_data(victim: Victim) -> bool:
    return any(getattr(victim, name) not in (None, "") for name in PERSONAL_INPUTS)


def _apply_basis(victim: Victim, basis, note) -> None:
    """Record (or clear, with a blank basis) the lawful basis for holding personal data."""
    basis = "" if basis in (None, "") else str(basis)
    note = " ".join(str(note or "").split())
    if basis and basis not in dict(RECORDABLE_LAWFUL_BASES):
        raise DomainError(f"{basis!r} is not a lawful basis one may record.", field="lawful_basis")
    if basis and not note:
        raise DomainError(
            "Say why this basis applies (e.g. the investigation or the risk).",
            field="lawful_basis_note",
        )
    if len(note) > 300:
        raise DomainError("The reason for the lawful basis is too long.", field="lawful_basis_note")
    victim.lawful_basis = basis
    victim.lawful_basis_note = note if basis else ""


def _check_basis_for_personal_data(victim: Victim, *, consented: bool) -> None:
    """Personal data is stored only on the victim's consent to its processing, or on a lawful
    basis recorded with its reason."""
    if consented or victim.lawful_basis or not _has_personal_data(victim):
        return
    raise ConsentRequired(
        "Personal data (name, date of birth, documents, phone, address) can be stored only "
        "with the victim's consent to processing of personal data, or a lawful basis recorded "
        "with its reason. Record one, or leave the personal fields blank.",
        field="lawful_basis",
    )


def _has_live_processing_consent(victim: Victim) -> bool:
    return (
        Consent.objects.live()
        .filter(victim=victim, purpose=ConsentPurpose.DATA_PROCESSING)
        .exists()
    )


# --- victims ------------------------------------------------------------------------------------


@transaction.atomic
def victim_register(
    *,
    acting_user,
    case: Case,
    office: LinkOffice | None = None,
    full_name: str = "",
    date_of_birth: dt.date | str | None = None,
    passport_number: str = "",
    cnic_number: str = "",
    phone: str = "",
    address: str = "",
    sex: str = Sex.UNKNOWN,
    age_at_identification: int | None = None,
    identified_on: dt.date | None = None,
    nationality: Country | str | None = None,
    languages: Iterable[str] = (),
    identification_status: str = IdentificationStatus.POSSIBLE,
    identified_by: str = "",
    forms_of_exploitation: Iterable[str] = (),
    vulnerabilities: Iterable[str] = (),
    migration_status: str = MigrationStatus.UNKNOWN,
    means_of_control: Iterable[str] = (),
    labour_sectors: Iterable[str] = (),
    recruiter_relationship: str = "",
    recruitment_methods: Iterable[str] = (),
    recruitment_platforms: Iterable[str] = (),
    exploitation_platforms: Iterable[str] = (),
    screening_acts: Iterable[str] = (),
    screening_means: Iterable[str] = (),
    screening_purposes: Iterable[str] = (),
    consents: Iterable[dict] = (),
    lawful_basis: str = "",
    lawful_basis_note: str = "",
) -> Registration:
    """Record a victim on a case for an office the user works; returns it and duplicate hints.

    `office` defaults to the case's lead office. `consents`: dicts of `consent_record`'s
    arguments (purpose, partner, office, service, note). Personal data needs a consent to its
    processing among them, or a `lawful_basis` (LawfulBasis) with `lawful_basis_note`.
    """
    consents = list(consents)
    _check_case_visible(acting_user, case)
    office = office or case.lead_office
    if not can_work_office(acting_user, office.pk):
        raise PermissionDenied(f"You cannot record victims for {office}.", field="office")
    victim = Victim(recorded_by_office=office, recorded_by=acting_user)
    _apply_facts(
        victim,
        {
            "sex": sex,
            "age_at_identification": age_at_identification,
            "identified_on": identified_on,
            "nationality": nationality,
            "languages": languages,
            "identification_status": identification_status,
            "identified_by": identified_by,
            "forms_of_exploitation": forms_of_exploitation,
            "vulnerabilities": vulnerabilities,
            "migration_status": migration_status,
            "means_of_control": means_of_control,
            "labour_sectors": labour_sectors,
            "recruiter_relationship": recruiter_relationship,
            "recruitment_methods": recruitment_methods,
            "recruitment_platforms": recruitment_platforms,
            "exploitation_platforms": exploitation_platforms,
            "screening_acts": screening_acts,
            "screening_means": screening_means,
            "screening_purposes": screening_purposes,
        },
    )
    _apply_personal(
        victim,
        {
            "full_name": full_name,
            "date_of_birth": date_of_birth,
            "passport_number": passport_number,
            "cnic_number": cnic_number,
            "phone": phone,
            "address": address,
        },
    )
    _derive_age(victim)
    _apply_basis(victim, lawful_basis, lawful_basis_note)
    _check_basis_for_personal_data(
        victim,
        consented=any(spec.get("purpose") == ConsentPurpose.DATA_PROCESSING for spec in consents),
    )
    now = timezone.now()
    victim.code = _next_code(office, timezone.localdate(now).year)
    victim.created_at = victim.updated_at = now
    victim._history_user = acting_user
    victim.save()
    _link_case(victim, case, acting_user)
    for spec in consents:
        _consent_create(acting_user=acting_user, victim=victim, **spec)
    hints = _duplicate_hints(victim)
    logger.info(
        "Victim %s recorded by %s on %s (%d duplicate hint(s))",
        victim.code,
        office.code,
        case.reference,
        len(hints),
    )
    if _is_pakistani_actual(victim):
        _announce_pakistani_victim(victim, acting_user)
    return Registration(victim, hints)


EDITABLE_INPUTS = (*PERSONAL_INPUTS, *FACT_INPUTS, *BASIS_INPUTS)
LIST_INPUTS = frozenset(
    {
        "forms_of_exploitation",
        "vulnerabilities",
        "means_of_control",
        "labour_sectors",
        "recruitment_methods",
        "recruitment_platforms",
        "exploitation_platforms",
        "screening_acts",
        "screening_means",
        "screening_purposes",
    }
)


def victim_values(record) -> dict[str, str | list[str]]:
    """A victim's (or one of its history rows') editable fields as a page form holds them:
    text, ISO dates, the nationality's code, languages joined by commas, sorted choice lists.

    Personal data comes out in plaintext: for an editor, who may see it, and for comparing.
    """
    values: dict[str, str | list[str]] = {}
    for name in EDITABLE_INPUTS:
        raw = record.nationality_id if name == "nationality" else getattr(record, name)
        values[name] = form_value(name, _plain(raw))
    return values


def form_value(name: str, value) -> str | list[str]:
    """One field's value in the shape `victim_values` gives (from a model or a page form)."""
    if name in LIST_INPUTS:
        return sorted(str(v) for v in value or [])
    if name == "languages":
        return ", ".join(value or []) if not isinstance(value, str) else value
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def check_victim_version(victim: Victim, expected_version) -> None:
    """Refuse an edit made on an older version of the record, with what changed since.

    `ConflictError.changes` maps each field someone else changed to (its value in the version
    the editor opened, its value now), as `victim_values` gives them; the message names the
    fields only, never their values.
    """
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise DomainError("The version of the record you edited is missing.", field="version")
    if expected == victim.version:
        return
    history = victim.history.order_by("-history_id")
    opened = history.filter(version=expected).first()
    latest = history.select_related("history_user").first()
    now = victim_values(victim)
    then = victim_values(opened) if opened is not None else {}
    changes = {
        name: (then.get(name, ""), value) for name, value in now.items() if then.get(name) != value
    }
    who = latest.history_user if latest is not None else None
    by = (who.get_full_name() or who.get_username()) if who is not None else ""
    fields = ", ".join(name.replace("_", " ") for name in changes) or "nothing you can edit"
    raise ConflictError(
        f"{victim.code} was changed after you opened it (your version {expected}, now "
        f"{victim.version}){f' by {by}' if by else ''}: {fields}.",
        changed_by=by,
        changed_at=latest.history_date if latest is not None else None,
        changes=changes,
    )


def _who(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _refuse_stale(record, expected_version, *, what: str, label: str, values, blank) -> None:
    """Refuse a change made on an older version of a consent, referral or follow-up.

    `values(row, following)` gives the fields the merge shows for the record or one of its
    history rows (`following`: the history row of the next version, or None for now);
    `blank` is what version 1 held when it has no history row (a follow-up as planned).
    `ConflictError.changes` maps each changed field to (its value when the page was opened,
    its value now); the message names the fields only.
    """
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise DomainError(f"The version of the {what} you acted on is missing.", field="version")
    if expected == record.version:
        return
    history = record.history.order_by("-history_date", "-history_id")
    opened = history.filter(version=expected).first()
    following = history.filter(version__gt=expected).order_by("history_date", "history_id")
    latest = history.select_related("history_user").first()
    now = values(record, None)
    then = values(opened, following.first()) if opened is not None else dict(blank)
    changes = {
        name: (then.get(name, ""), value) for name, value in now.items() if then.get(name) != value
    }
    by = _who(latest.history_user) if latest is not None else ""
    fields = ", ".join(name.replace("_", " ") for name in changes) or "nothing shown here"
    raise ConflictError(
        f"{label} was changed after you opened it (your version {expected}, now "
        f"{record.version}){f' by {by}' if by else ''}: {fields}. Nothing was saved.",
        changed_by=by,
        changed_at=latest.history_date if latest is not None else None,
        changes=changes,
    )


def consent_values(record, following=None) -> dict[str, str]:
    """What the merge shows of a consent (or a history row of it): live or withdrawn."""
    return {"state": "Withdrawn" if record.withdrawn_at is not None else "Live"}


def check_consent_version(consent: Consent, expected_version) -> None:
    """Refuse a withdrawal made on an older version of the consent, with what changed since."""
    _refuse_stale(
        consent,
        expected_version,
        what="consent",
        label=f"This consent of {consent.victim.code}",
        values=consent_values,
        blank={"state": "Live"},
    )


def referral_values(record, following=None) -> dict[str, str]:
    """What the merge shows of a referral (or a history row of it): its status, whether it is
    paused, and the newest entry of its thread then (entries before the next version)."""
    updates = ReferralUpdate.objects.filter(referral_id=record.id)
    if following is not None:
        updates = updates.filter(created_at__lt=following.history_date)
    last = updates.select_related("author").order_by("-created_at", "-id").first()
    entry = ""
    if last is not None:
        text = " ".join((last.body or last.get_kind_display()).split())
        entry = f"{_who(last.author) or 'System'}: {text[:160]}"
    return {
        "status": ReferralStatus(record.status).label,
        "paused": "Paused" if record.paused_at is not None else "Not paused",
        "latest_entry": entry,
    }


def check_referral_version(referral: Referral, expected_version) -> None:
    """Refuse an action taken on an older version of the referral, with what changed since."""
    _refuse_stale(
        referral,
        expected_version,
        what="referral",
        label=f"The referral of {referral.victim.code} to {referral.partner}",
        values=referral_values,
        blank={},
    )


FOLLOWUP_INPUTS = ("economic_score", "social_score", "psychosocial_score", "notes")


def followup_values(record, following=None) -> dict[str, str]:
    """A follow-up's recorded scores and notes as its form holds them (blank while planned)."""
    return {
        name: "" if getattr(record, name) is None else str(getattr(record, name)).strip()
        for name in FOLLOWUP_INPUTS
    }


def check_followup_version(followup: ReintegrationFollowUp, expected_version) -> None:
    """Refuse a record made on an older version of the follow-up, with what changed since."""
    _refuse_stale(
        followup,
        expected_version,
        what="follow-up",
        label=f"The follow-up due {followup.due_on:%d %b %Y}",
        values=followup_values,
        blank=dict.fromkeys(FOLLOWUP_INPUTS, ""),
    )


@transaction.atomic
def victim_update(
    *, acting_user, victim: Victim, expected_version: int | None = None, **changes
) -> Victim:
    """Change a victim's personal data or facts; every encrypted field is re-sealed under the
    newest key. A blank personal value clears it.

    With `expected_version` (the pages send the version the form was opened on), an edit
    made on an older version is refused (`check_victim_version`); every edit bumps it.
    """
    unknown = set(changes) - set(PERSONAL_INPUTS) - set(FACT_INPUTS) - set(BASIS_INPUTS)
    if unknown:
        raise DomainError(f"These victim fields cannot be changed: {', '.join(sorted(unknown))}.")
    locked = _lock_victim_for_change(acting_user, victim)
    if expected_version is not None:
        check_victim_version(locked, expected_version)
    was_pakistani_actual = _is_pakistani_actual(locked)
    _apply_facts(locked, {k: v for k, v in changes.items() if k in FACT_INPUTS})
    personal = {k: v for k, v in changes.items() if k in PERSONAL_INPUTS}
    before = {name: _plain(getattr(locked, name)) for name in personal}
    _apply_personal(locked, personal)
    stored = [
        name
        for name in personal
        if getattr(locked, name) not in (None, "") and _plain(getattr(locked, name)) != before[name]
    ]
    if set(BASIS_INPUTS) & set(changes):
        _apply_basis(
            locked,
            changes.get("lawful_basis", locked.lawful_basis),
            changes.get("lawful_basis_note", locked.lawful_basis_note),
        )
    if stored or set(BASIS_INPUTS) & set(changes):
        # Checked only when personal data is stored anew or its basis changes: a record held
        # under a consent since withdrawn can still have its facts corrected (or its personal
        # data cleared).
        _check_basis_for_personal_data(locked, consented=_has_live_processing_consent(locked))
    if "age_at_identification" not in changes and {"date_of_birth", "identified_on"} & set(changes):
        born = _plain(locked.date_of_birth)
        if born is not None:
            locked.age_at_identification = max(0, age_on(born, locked.identified_on))
    _derive_age(locked)
    locked.updated_at = timezone.now()
    locked.version += 1
    locked._history_user = acting_user
    locked.save()
    changed = sorted(changes)
    logger.info("Victim %s updated (%s)", locked.code, ", ".join(changed))
    if not was_pakistani_actual and _is_pakistani_actual(locked):
        _announce_pakistani_victim(locked, acting_user)
    return locked


@transaction.atomic
def victim_link_case(*, acting_user, victim: Victim, case: Case) -> VictimCaseLink:
    """Link a victim to another case the user sees (e.g. the same network, another office)."""
    locked = _lock_victim_for_change(acting_user, victim)
    _check_case_visible(acting_user, case)
    if VictimCaseLink.objects.filter(victim=locked, case=case).exists():
        raise DomainError(f"{locked.code} is already linked to {case.reference}.", field="case")
    link = _link_case(locked, case, acting_user)
    logger.info("Victim %s linked to %s", locked.code, case.reference)
    return link


# --- consent ------------------------------------------------------------------------------------


def _consent_create(
    *,
    acting_user,
    victim: Victim,
    purpose: str,
    partner: PartnerOrganisation | None = None,
    office: LinkOffice | None = None,
    service: str = "",
    note: str = "",
) -> Consent:
    purpose = _choice(purpose, ConsentPurpose, field="purpose", label="consent purpose")
    if purpose == ConsentPurpose.REFERRAL:
        if partner is None or office is not None or not service:
            raise DomainError(
                "A consent to referral names one partner organisation and one service.",
                field="partner",
            )
        service = _choice(service, Service, field="service", label="service")
        if not partner.provides(service):
            raise DomainError(
                f"{partner} does not provide {Service(service).label.lower()}.", field="service"
            )
    elif purpose == ConsentPurpose.SHARING:
        if (partner is None) == (office is None) or service:
            raise DomainError(
                "A consent to sharing names one office or one partner organisation.",
                field="partner",
            )
    elif partner is not None or office is not None or service:
        raise DomainError(
            f"A consent to {ConsentPurpose(purpose).label.lower()} names no organisation.",
            field="purpose",
        )
    live = Consent.objects.live().filter(
        victim=victim, purpose=purpose, partner=partner, office=office, service=service
    )
    if live.exists():
        raise DomainError("This consent is already recorded and not withdrawn.", field="purpose")
    consent = Consent(
        victim=victim,
        purpose=purpose,
        partner=partner,
        office=office,
        service=service,
        note=(note or "").strip()[:200],
        recorded_by=acting_user,
    )
    consent._history_user = acting_user
    consent.save()
    logger.info("Consent %s (%s) recorded for victim %s", consent.pk, purpose, victim.code)
    return consent


@transaction.atomic
def consent_record(
    *,
    acting_user,
    victim: Victim,
    purpose: str,
    partner: PartnerOrganisation | None = None,
    office: LinkOffice | None = None,
    service: str = "",
    note: str = "",
) -> Consent:
    """Record what the victim agreed to: one purpose, for a named organisation (and service).

    A consent to referral resumes the referrals that the withdrawal of the same consent paused.
    """
    locked = _lock_victim_for_change(acting_user, victim)
    consent = _consent_create(
        acting_user=acting_user,
        victim=locked,
        purpose=purpose,
        partner=partner,
        office=office,
        service=service,
        note=note,
    )
    if consent.purpose == ConsentPurpose.REFERRAL:
        _resume_on_new_consent(consent, acting_user)
    return consent


@transaction.atomic
def consent_withdraw(
    *, acting_user, consent: Consent, expected_version: int | None = None
) -> Consent:
    """Withdraw a consent; it stops opening anything at once (reads are computed from it).

    Open referrals relying on it are paused: the provider is told, loses the victim's personal
    fields at once and may not take the referral further until the referring office resumes
    it (a new consent, or an override with its reason: `referral_resume`). The office or
    organisation a consent to sharing named is told that it no longer sees the personal data.
    """
    locked_victim = _lock_victim_for_change(acting_user, consent.victim)
    consent = Consent.objects.select_for_update().select_related("victim").get(pk=consent.pk)
    if expected_version is not None:
        check_consent_version(consent, expected_version)
    if consent.withdrawn_at is not None:
        raise DomainError("This consent was already withdrawn.")
    now = timezone.now()
    consent.withdrawn_at = now
    consent.withdrawn_by = acting_user
    consent.version += 1
    consent._history_user = acting_user
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "version"])
    relying = (
        Referral.objects.select_for_update()
        .select_related("victim", "from_office", "partner")
        .filter(consent=consent, status__in=OPEN_REFERRAL_STATUSES, paused_at__isnull=True)
    )
    for referral in relying:
        referral.paused_at = now
        referral.updated_at = now
        referral.version += 1
        referral._history_user = acting_user
        referral.save(update_fields=["paused_at", "updated_at", "version"])
        ReferralUpdate.objects.create(
            referral=referral,
            kind=UpdateKind.PAUSED,
            body=(
                "The victim withdrew the consent this referral relies on. It is paused: the "
                "victim's personal data is no longer shown, and the referral cannot be taken "
                "further until the referring office records a new consent or an override."
            ),
            author=acting_user,
        )
        logger.info("Referral %s paused: consent %s withdrawn", referral.pk, consent.pk)
        publish(
            kind=EventKind.REFERRAL_PAUSED,
            subject=referral,
            actor=acting_user,
            offices=[referral.from_office],
            partners=[referral.partner],
            payload={**_referral_payload(referral), "paused": True},
        )
    if consent.purpose == ConsentPurpose.SHARING:
        publish(
            kind=EventKind.SHARING_CONSENT_WITHDRAWN,
            subject=locked_victim,
            actor=acting_user,
            offices=[consent.office] if consent.office_id else [],
            partners=[consent.partner] if consent.partner_id else [],
            payload={"victim": locked_victim.code, "consent": consent.pk},
            # Told even though the recipient may no longer see the victim at all.
            check_visibility=False,
        )
    logger.info("Consent %s of victim %s withdrawn", consent.pk, consent.victim.code)
    return consent


def _resume(referral: Referral, *, acting_user, consent: Consent | None, reason: str) -> Referral:
    now = timezone.now()
    referral.paused_at = None
    referral.updated_at = now
    referral.version += 1
    referral.consent = consent
    if consent is None:
        referral.override_reason = reason
        referral.overridden_by = acting_user
    referral._history_user = acting_user
    referral.save()
    ReferralUpdate.objects.create(
        referral=referral,
        kind=UpdateKind.RESUMED if consent is not None else UpdateKind.CONSENT_OVERRIDE,
        body=(
            "Resumed on the victim's new consent."
            if consent is not None
            else f"Resumed without the victim's consent (override): {reason}"
        ),
        author=acting_user,
    )
    logger.info("Referral %s resumed (%s)", referral.pk, "new consent" if consent else "override")
    publish(
        kind=EventKind.REFERRAL_RESUMED,
        subject=referral,
        actor=acting_user,
        offices=[referral.from_office],
        partners=[referral.partner],
        payload={**_referral_payload(referral), "override": consent is None},
    )
    return referral


def _resume_on_new_consent(consent: Consent, acting_user) -> None:
    """A consent to referral recorded again resumes the referrals its withdrawal paused."""
    paused = (
        Referral.objects.select_for_update()
        .select_related("victim", "from_office", "partner")
        .filter(
            victim_id=consent.victim_id,
            partner_id=consent.partner_id,
            service=consent.service,
            status__in=OPEN_REFERRAL_STATUSES,
            paused_at__isnull=False,
        )
    )
    for referral in paused:
        _resume(referral, acting_user=acting_user, consent=consent, reason="")


@transaction.atomic
def referral_resume(
    *,
    acting_user,
    referral: Referral,
    override_reason: str = "",
    expected_version: int | None = None,
) -> Referral:
    """The referring office resumes a paused referral: on the victim's live consent to it if
    there is one, else (holders of the override permission) on a written reason."""
    locked = _lock_referral(referral)
    _check_referring_office(acting_user, locked)
    _check_referral_fresh(locked, expected_version)
    if locked.paused_at is None:
        raise DomainError("This referral is not paused.")
    if not locked.is_open:
        raise InvalidTransition("Only an open referral can be resumed.")
    consent = (
        Consent.objects.for_referral(
            victim=locked.victim, partner=locked.partner, service=locked.service
        )
        .order_by("-recorded_at")
        .first()
    )
    reason = (override_reason or "").strip()
    if consent is None:
        if not reason:
            raise ConsentRequired(
                f"{locked.victim.code} has no live consent to this referral. Record the "
                "victim's consent again (the referral then resumes), or give the reason for "
                "an override.",
                field="override_reason",
            )
        if not acting_user.has_perm(OVERRIDE_PERMISSION):
            raise PermissionDenied(
                "Resuming without the victim's consent needs the consent-override permission, "
                "which you do not hold.",
                field="override_reason",
            )
    return _resume(locked, acting_user=acting_user, consent=consent, reason=reason)


# --- referrals ----------------------------------------------------------------------------------


def _referring_office(user, victim: Victim, office: LinkOffice | None) -> LinkOffice:
    if office is not None:
        if not can_work_office(user, office.pk):
            raise PermissionDenied(f"You cannot refer victims for {office}.", field="office")
        return office
    if can_work_office(user, victim.recorded_by_office_id):
        return victim.recorded_by_office
    scope = scope_of(user)
    lead = (
        LinkOffice.objects.filter(
            cases__victim_links__victim=victim, pk__in=sorted(scope.change_office_ids)
        )
        .order_by("code")
        .first()
    )
    if lead is None:
        raise PermissionDenied("Only an office working this victim's case can refer them.")
    return lead


def _referral_payload(referral: Referral) -> dict:
    return {
        "referral": referral.pk,
        "victim": referral.victim.code,
        "service": referral.service,
        "status": referral.status,
        "office": referral.from_office.code,
        "partner": referral.partner_id,
    }


@transaction.atomic
def referral_create(
    *,
    acting_user,
    victim: Victim,
    partner: PartnerOrganisation,
    service: str,
    note: str = "",
    override_reason: str = "",
    office: LinkOffice | None = None,
) -> Referral:
    """Refer a victim to a partner for a service it provides, on the victim's live consent.

    Without that consent, only a holder of `victims.override_referral_consent` may send it,
    with a written reason; the override is recorded on the referral and in its thread.
    """
    locked = _lock_victim_for_change(acting_user, victim)
    from_office = _referring_office(acting_user, locked, office)
    service = _choice(service, Service, field="service", label="service")
    service_label = Service(service).label.lower()
    if not partner.is_active:
        raise DomainError(f"{partner} is no longer an active partner.", field="partner")
    if not partner.provides(service):
        raise DomainError(f"{partner} does not provide {service_label}.", field="service")
    if Referral.objects.filter(
        victim=locked, partner=partner, service=service, status__in=OPEN_REFERRAL_STATUSES
    ).exists():
        raise DomainError(
            f"{locked.code} already has an open referral to {partner} for {service_label}.",
            field="service",
        )
    consent = (
        Consent.objects.for_referral(victim=locked, partner=partner, service=service)
        .order_by("-recorded_at")
        .first()
    )
    override_reason = (override_reason or "").strip()
    if consent is None:
        if not override_reason:
            raise ConsentRequired(
                f"{locked.code} has not consented to referral to {partner} for {service_label} "
                "(or withdrew it). Record the victim's consent first; without it, only an "
                "officer holding the consent-override permission can refer, with a written "
                "reason.",
                field="partner",
            )
        if not acting_user.has_perm(OVERRIDE_PERMISSION):
            raise PermissionDenied(
                "Referring without the victim's consent needs the consent-override permission, "
                "which you do not hold.",
                field="override_reason",
            )
    now = timezone.now()
    referral = Referral(
        victim=locked,
        from_office=from_office,
        partner=partner,
        service=service,
        note=(note or "").strip(),
        consent=consent,
        override_reason=override_reason if consent is None else "",
        overridden_by=acting_user if consent is None else None,
        created_by=acting_user,
        created_at=now,
        updated_at=now,
    )
    referral._history_user = acting_user
    referral.save()
    ReferralUpdate.objects.create(
        referral=referral,
        kind=UpdateKind.STATUS,
        status_to=ReferralStatus.PENDING,
        body=referral.note,
        author=acting_user,
    )
    if consent is None:
        ReferralUpdate.objects.create(
            referral=referral,
            kind=UpdateKind.CONSENT_OVERRIDE,
            body=override_reason,
            author=acting_user,
        )
        logger.warning(
            "Referral %s of victim %s sent without consent under override by user %s",
            referral.pk,
            locked.code,
            acting_user.pk,
        )
    logger.info(
        "Referral %s: victim %s → partner %s (%s)", referral.pk, locked.code, partner.pk, service
    )
    publish(
        kind=EventKind.REFERRAL_SENT,
        subject=referral,
        actor=acting_user,
        partners=[partner],
        payload={**_referral_payload(referral), "override": consent is None},
    )
    return referral


def _lock_referral(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update()
        .select_related("victim", "from_office", "partner")
        .get(pk=referral.pk)
    )


def _check_referral_fresh(referral: Referral, expected_version) -> None:
    """With the version the page or client acted on, refuse if the referral moved on since."""
    if expected_version is not None:
        check_referral_version(referral, expected_version)


def _check_not_paused(referral: Referral) -> None:
    if referral.paused_at is not None:
        raise ConsentRequired(
            "This referral is paused: the victim withdrew the consent it relies on. It can go "
            "further when the referring office records a new consent or an override.",
            field="status",
        )


def _check_partner_member(user, referral: Referral) -> None:
    if referral.partner_id not in scope_of(user).partner_ids:
        if not Referral.objects.visible_to(user).filter(pk=referral.pk).exists():
            raise Http404("No such referral.")
        raise PermissionDenied(f"Only {referral.partner} can answer this referral.")


def _check_referring_office(user, referral: Referral) -> None:
    if not can_work_office(user, referral.from_office_id):
        if not Referral.objects.visible_to(user).filter(pk=referral.pk).exists():
            raise Http404("No such referral.")
        raise PermissionDenied(f"Only {referral.from_office} can do this to its referral.")


def _move(
    referral: Referral,
    to: str,
    *,
    acting_user,
    body: str = "",
    event: str | None = None,
    offices: Iterable = (),
    partners: Iterable = (),
) -> Referral:
    """Apply a status change allowed by REFERRAL_TRANSITIONS, thread it and announce it."""
    current = referral.status
    if to not in REFERRAL_TRANSITIONS[current]:
        raise InvalidTransition(
            f"A referral that is {ReferralStatus(current).label.lower()} cannot become "
            f"{ReferralStatus(to).label.lower()}.",
            field="status",
        )
    now = timezone.now()
    referral.status = to
    referral.updated_at = now
    referral.version += 1
    if current == ReferralStatus.PENDING:
        referral.responded_at = now
    if to in (ReferralStatus.COMPLETED, ReferralStatus.CLOSED, ReferralStatus.REVOKED):
        referral.ended_at = now
    referral._history_user = acting_user
    referral.save()
    ReferralUpdate.objects.create(
        referral=referral,
        kind=UpdateKind.STATUS if current != to else UpdateKind.NOTE,
        status_from=current,
        status_to=to,
        body=body,
        author=acting_user,
    )
    logger.info("Referral %s: %s → %s", referral.pk, current, to)
    if event is not None:
        publish(
            kind=event,
            subject=referral,
            actor=acting_user,
            offices=offices,
            partners=partners,
            payload=_referral_payload(referral),
        )
    return referral


@transaction.atomic
def referral_accept(
    *, acting_user, referral: Referral, note: str = "", expected_version: int | None = None
) -> Referral:
    """The partner takes the referral on; the referring office is told."""
    locked = _lock_referral(referral)
    _check_partner_member(acting_user, locked)
    _check_referral_fresh(locked, expected_version)
    _check_not_paused(locked)
    return _move(
        locked,
        ReferralStatus.ACCEPTED,
        acting_user=acting_user,
        body=note.strip(),
        event=EventKind.REFERRAL_ACCEPTED,
        offices=[locked.from_office],
    )


@transaction.atomic
def referral_decline(
    *, acting_user, referral: Referral, reason: str, expected_version: int | None = None
) -> Referral:
    """The partner declines, saying why; the referring office is told."""
    locked = _lock_referral(referral)
    _check_partner_member(acting_user, locked)
    _check_referral_fresh(locked, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the referral is declined.", field="reason")
    locked.decline_reason = reason
    return _move(
        locked,
        ReferralStatus.DECLINED,
        acting_user=acting_user,
        body=reason,
        event=EventKind.REFERRAL_DECLINED,
        offices=[locked.from_office],
    )


@transaction.atomic
def referral_progress(
    *, acting_user, referral: Referral, note: str, expected_version: int | None = None
) -> Referral:
    """The partner reports progress (the first report starts the work: in progress)."""
    locked = _lock_referral(referral)
    _check_partner_member(acting_user, locked)
    _check_referral_fresh(locked, expected_version)
    _check_not_paused(locked)
    note = (note or "").strip()
    if not note:
        raise DomainError("Write what has been done.", field="note")
    return _move(
        locked,
        ReferralStatus.IN_PROGRESS,
        acting_user=acting_user,
        body=note,
        event=EventKind.REFERRAL_PROGRESS,
        offices=[locked.from_office],
    )


@transaction.atomic
def referral_complete(
    *, acting_user, referral: Referral, note: str = "", expected_version: int | None = None
) -> Referral:
    """The partner has delivered the service; the referring office is told."""
    locked = _lock_referral(referral)
    _check_partner_member(acting_user, locked)
    _check_referral_fresh(locked, expected_version)
    _check_not_paused(locked)
    return _move(
        locked,
        ReferralStatus.COMPLETED,
        acting_user=acting_user,
        body=note.strip(),
        event=EventKind.REFERRAL_COMPLETED,
        offices=[locked.from_office],
    )


@transaction.atomic
def referral_close(
    *, acting_user, referral: Referral, note: str = "", expected_version: int | None = None
) -> Referral:
    """End the referral without completing it (partner or referring office); the other side
    is told (as a progress event: there is no separate 'closed' kind).
    """
    locked = _lock_referral(referral)
    is_partner = locked.partner_id in scope_of(acting_user).partner_ids
    if not is_partner:
        _check_referring_office(acting_user, locked)
    _check_referral_fresh(locked, expected_version)
    return _move(
        locked,
        ReferralStatus.CLOSED,
        acting_user=acting_user,
        body=note.strip(),
        event=EventKind.REFERRAL_PROGRESS,
        offices=[locked.from_office] if is_partner else [],
        partners=[] if is_partner else [locked.partner],
    )


@transaction.atomic
def referral_revoke(
    *, acting_user, referral: Referral, reason: str = "", expected_version: int | None = None
) -> Referral:
    """The referring office withdraws the referral (any time before it is completed); the
    partner, which must stop, and the office are told.
    """
    locked = _lock_referral(referral)
    _check_referring_office(acting_user, locked)
    _check_referral_fresh(locked, expected_version)
    return _move(
        locked,
        ReferralStatus.REVOKED,
        acting_user=acting_user,
        body=(reason or "").strip(),
        event=EventKind.REFERRAL_REVOKED,
        offices=[locked.from_office],
        partners=[locked.partner],
    )


# --- reintegration follow-up --------------------------------------------------------------------


def _check_referral_party(user, referral: Referral) -> None:
    if referral.partner_id in scope_of(user).partner_ids:
        return
    _check_referring_office(user, referral)


@transaction.atomic
def followup_schedule(
    *, acting_user, referral: Referral, due_dates: Iterable[dt.date]
) -> list[ReintegrationFollowUp]:
    """Plan reintegration follow-ups on a referral (referring office or partner)."""
    locked = _lock_referral(referral)
    _check_referral_party(acting_user, locked)
    if locked.status not in (
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.COMPLETED,
    ):
        raise DomainError(
            f"Follow-ups are planned on accepted referrals; this one is "
            f"{locked.get_status_display().lower()}."
        )
    given = [_date(d, field="due_dates") for d in due_dates]
    for day in given:
        check_not_past(day, field="due_dates", what=_("A follow-up"))
    # Kept in date order whatever the order given (the page's form asks for them in order).
    dates = sorted(set(given) - {None})
    if not dates:
        raise DomainError("Give at least one due date.", field="due_dates")
    taken = set(
        ReintegrationFollowUp.objects.filter(referral=locked, due_on__in=dates).values_list(
            "due_on", flat=True
        )
    )
    if taken:
        raise DomainError(
            "A follow-up is already planned on " + ", ".join(d.isoformat() for d in sorted(taken)),
            field="due_dates",
        )
    followups = ReintegrationFollowUp.objects.bulk_create(
        ReintegrationFollowUp(referral=locked, due_on=d, scheduled_by=acting_user) for d in dates
    )
    ReferralUpdate.objects.create(
        referral=locked,
        kind=UpdateKind.NOTE,
        body="Follow-ups planned: " + ", ".join(d.isoformat() for d in dates),
        author=acting_user,
    )
    logger.info("Referral %s: %d follow-up(s) planned", locked.pk, len(dates))
    return followups


def _score(value, field: str) -> int:
    try:
        score = int(value)
    except (TypeError, ValueError):
        raise DomainError("Scores are whole numbers from 1 to 5.", field=field)
    if not 1 <= score <= 5:
        raise DomainError("Scores are whole numbers from 1 to 5.", field=field)
    return score


@transaction.atomic
def followup_record(
    *,
    acting_user,
    followup: ReintegrationFollowUp,
    economic_score: int,
    social_score: int,
    psychosocial_score: int,
    notes: str = "",
    expected_version: int | None = None,
) -> ReintegrationFollowUp:
    """Record a done follow-up: economic, social and psychosocial scores (1–5) and notes.

    With `expected_version` (the page sends the version its form was opened on), a record made
    on an older version is refused with what changed since; a recorded follow-up may then be
    recorded again on its current version (a deliberate correction, after the merge).
    Without it, a recorded follow-up is refused as already recorded.
    """
    locked = ReintegrationFollowUp.objects.select_for_update().get(pk=followup.pk)
    referral = Referral.objects.select_related("from_office", "partner").get(pk=locked.referral_id)
    _check_referral_party(acting_user, referral)
    if expected_version is not None:
        check_followup_version(locked, expected_version)
    elif locked.done_at is not None:
        raise DomainError("This follow-up is already recorded.")
    locked.economic_score = _score(economic_score, "economic_score")
    locked.social_score = _score(social_score, "social_score")
    locked.psychosocial_score = _score(psychosocial_score, "psychosocial_score")
    locked.notes = (notes or "").strip()
    locked.done_at = timezone.now()
    locked.done_by = acting_user
    locked.version += 1
    locked._history_user = acting_user
    locked.save()
    logger.info("Follow-up %s of referral %s recorded", locked.pk, referral.pk)
    return locked


# --- key rotation -------------------------------------------------------------------------------


class ResealReport(NamedTuple):
    rows_changed: int
    unreadable_fields: int


def personal_data_reseal(*, batch_size: int = 500) -> ResealReport:
    """Re-encrypt every personal field, in victims and in their history, under the newest key.

    Run after putting a new key first in FIELD_ENCRYPTION_KEYS; once it reports no unreadable
    field, the old keys can be removed. Rows are updated in place (a key change is not a change
    of the victim, so no history row and no `updated_at`); a token no key opens is left as it
    is and counted.
    """
    changed = unreadable = 0
    for model in (Victim, Victim.history.model):
        fields = [f for f in model._meta.fields if isinstance(f, EncryptedTextField)]
        names = [f.attname for f in fields]
        rows = model._default_manager.order_by().values_list("pk", *names)
        for pk, *values in rows.iterator(chunk_size=batch_size):
            updates = {}
            for name, value in zip(names, values, strict=True):
                if value is None or is_under_newest_key(value.token):
                    continue
                token = reseal(value.token)
                if token == value.token:
                    unreadable += 1
                else:
                    updates[name] = Sealed(token, value.field)
            if updates:
                with transaction.atomic():
                    model._default_manager.filter(pk=pk).update(**updates)
                changed += 1
    logger.info("Personal data re-sealed: %d row(s), %d unreadable field(s)", changed, unreadable)
    return ResealReport(changed, unreadable)


class ReindexReport(NamedTuple):
    victims_checked: int
    victims_changed: int
    victims_unreadable: int


def blind_indexes_rebuild(*, batch_size: int = 500, dry_run: bool = False) -> ReindexReport:
    """Recompute every victim's blind indexes under the current BLIND_INDEX_KEY.

    Run after an intended change of the key (`manage.py check_keys` reports the indexes the old
    one computed). Each batch is locked, recomputed and written in its own transaction, so a
    victim edited meanwhile is either done before or after the edit, never half. A victim
    whose data no key opens keeps its indexes and is counted. Indexes are not history: no
    history row and no `updated_at`. With `dry_run`, nothing is written.
    """
    from victims.keys import expected_indexes

    names = ["passport_index", "cnic_index", "name_dob_index"]
    checked = changed = unreadable = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                Victim.objects.select_for_update(of=("self",))
                .filter(pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            stale = []
            for victim in batch:
                checked += 1
                try:
                    expected = expected_indexes(victim)
                except PersonalDataUnreadable:
                    unreadable += 1
                    continue
                if any(getattr(victim, name) != expected[name] for name in names):
                    for name in names:
                        setattr(victim, name, expected[name])
                    stale.append(victim)
            changed += len(stale)
            if stale and not dry_run:
                Victim.objects.bulk_update(stale, names)
    logger.info(
        "Blind indexes rebuilt%s: %d victim(s) checked, %d changed, %d unreadable",
        " (dry run)" if dry_run else "",
        checked,
        changed,
        unreadable,
    )
    return ReindexReport(checked, changed, unreadable)
