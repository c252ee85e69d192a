"""The words of the notifications the victims app publishes (liaison_offices/sentences.py).

Victims are named by their code, never by anything personal; a referral by its victim's code
and its service ("the family-tracing referral of V-GBR-2026-0001").
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liaison_offices.constants import EventKind, Service
from liaison_offices.sentences import label_of, local_date
from victims.constants import IdentificationStatus, IdentifiedBy

__all__ = ["REFERRAL_NAMES", "WORDS", "referral_name"]

# "the family-tracing referral": a referral named by its service.
REFERRAL_NAMES = {
    Service.SHELTER: _("shelter referral"),
    Service.MEDICAL: _("medical-care referral"),
    Service.PSYCHOSOCIAL: _("psychosocial-support referral"),
    Service.LEGAL_AID: _("legal-aid referral"),
    Service.RETURN: _("return referral"),
    Service.REINTEGRATION: _("reintegration referral"),
    Service.LIVELIHOOD: _("livelihood referral"),
    Service.FAMILY_TRACING: _("family-tracing referral"),
    Service.EDUCATION: _("education referral"),
}

# Who decided an identification, as the end of "decided by …".
DECIDED_BY = {
    IdentifiedBy.POLICE: _("the police"),
    IdentifiedBy.NGO: _("an NGO"),
    IdentifiedBy.COURT: _("a court"),
    IdentifiedBy.OTHER: _("another authority"),
}


def referral_name(service) -> str:
    try:
        return str(REFERRAL_NAMES[Service(service)])
    except ValueError:
        return str(_("referral"))


def _victim(payload: dict) -> str:
    return payload.get("victim") or payload.get("victim_code") or ""


def _referral(payload: dict, names) -> dict:
    days = payload.get("days_waiting")
    return {
        "about": _victim(payload),
        "victim": _victim(payload),
        "referral": referral_name(payload.get("service")),
        "service": label_of(Service, payload.get("service")),
        "office": names.office(payload.get("office") or ""),
        "partner": names.partner(payload.get("partner")),
        "override": payload.get("override") is True,
        "days": days if isinstance(days, int) and not isinstance(days, bool) else 0,
        "due_on": local_date(payload.get("due_on")),
    }


def sharing_consent_withdrawn(payload: dict, names) -> dict:
    return {"about": _victim(payload), "victim": _victim(payload)}


def pakistani_victim_identified(payload: dict, names) -> dict:
    try:
        decided_by = str(DECIDED_BY[IdentifiedBy(payload.get("decided_by"))])
    except ValueError:
        decided_by = ""
    return {
        "about": _victim(payload),
        "victim": _victim(payload),
        "office": names.office(payload.get("office") or ""),
        "status": label_of(IdentificationStatus, payload.get("status")),
        "actual": payload.get("status") == IdentificationStatus.ACTUAL,
        "child": payload.get("child") is True,
        "decided_by": decided_by,
    }


WORDS = {
    EventKind.REFERRAL_SENT: _referral,
    EventKind.REFERRAL_ACCEPTED: _referral,
    EventKind.REFERRAL_DECLINED: _referral,
    EventKind.REFERRAL_PROGRESS: _referral,
    EventKind.REFERRAL_COMPLETED: _referral,
    EventKind.REFERRAL_REVOKED: _referral,
    EventKind.REFERRAL_UNANSWERED: _referral,
    EventKind.REFERRAL_PAUSED: _referral,
    EventKind.REFERRAL_RESUMED: _referral,
    EventKind.FOLLOWUP_DUE: _referral,
    EventKind.SHARING_CONSENT_WITHDRAWN: sharing_consent_withdrawn,
    EventKind.PAKISTANI_VICTIM_IDENTIFIED: pakistani_victim_identified,
}
