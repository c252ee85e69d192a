"""Justice per suspect: arrest, charge, prosecution, court, verdict, sentence and hand-over to
another jurisdiction, each a dated line (`cases.models.JusticeEvent`) written by the lead office
(docs/investigation.md#justice-per-suspect).

A line is never edited: one entered by mistake is withdrawn with a reason (kept, struck out,
left out of the statistics) and entered again. Each write re-checks, on the locked case, that
the user may change it, puts a line on the timeline (share recipients at FULL see it, as they
see the suspects) and moves the case's `updated_at` without a new version: a justice line does
not conflict with an edit of the case's fields.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from cases.constants import (
    PROVISION_STAGES,
    JusticeStage,
    TimelineKind,
    Verdict,
)
from cases.grants import touch_case_grants
from cases.models import Case, JusticeEvent, LegalProvision, Suspect
from cases.services._common import check_choice, countries_by_code, lock_case_for_change, record
from glo_act.errors import DomainError
from liaison_offices.models import Country

__all__ = ["justice_event_add", "justice_event_withdraw", "justice_line"]


def justice_line(event: JusticeEvent, suspect_name: str, citation: str = "") -> str:
    """`Agent Malik: convicted under PTPA 2018 s.3 (Lahore Sessions Court), 12 Mar 2026`."""
    if event.stage == JusticeStage.VERDICT:
        what = {
            Verdict.CONVICTED: f"convicted under {citation}",
            Verdict.ACQUITTED: f"acquitted of {citation}",
        }.get(event.verdict, f"charge under {citation} dismissed or withdrawn")
    elif event.stage == JusticeStage.CHARGE:
        what = f"charged under {citation}"
    else:
        what = event.get_stage_display().lower()
    if event.stage == JusticeStage.SENTENCE:
        bits = [f"{event.custody_months} months' custody"] if event.custody_months else []
        bits += [f"a fine of {event.fine}"] if event.fine else []
        if bits:
            what += " to " + " and ".join(bits)
    where = f" ({event.authority})" if event.authority else ""
    return f"{suspect_name or 'Unnamed suspect'}: {what}{where}, {event.date:%d %b %Y}"


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str) and value:
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise DomainError(f"{value!r} is not a date (YYYY-MM-DD).", field="date")
    if not isinstance(value, dt.date):
        raise DomainError("Give the date it happened.", field="date")
    if value > timezone.localdate():
        raise DomainError("The date is in the future: record what has happened.", field="date")
    return value


def _touch(case: Case, actor) -> None:
    case.updated_at = timezone.now()
    case.updated_by = actor
    Case.objects.filter(pk=case.pk).update(updated_at=case.updated_at, updated_by=actor)
    touch_case_grants(case)


@transaction.atomic
def justice_event_add(
    *,
    acting_user,
    suspect: Suspect,
    stage: str,
    date: dt.date | str,
    country: Country | str | None = None,
    provision: LegalProvision | int | None = None,
    authority: str = "",
    reference: str = "",
    verdict: str = "",
    custody_months: int | None = None,
    fine: str = "",
    note: str = "",
) -> JusticeEvent:
    """Record one step for one suspect of a case the user's office leads.

    A charge and a verdict name the provision; a verdict says convicted, acquitted or
    dismissed; a sentence follows a conviction and gives custody or a fine; a hand-over names
    where the suspect went. The country is the jurisdiction: by default the provision's.
    """
    locked = lock_case_for_change(acting_user, suspect.case_id)
    suspect = Suspect.objects.filter(pk=suspect.pk, case=locked).first()
    if suspect is None:
        raise Http404("No such suspect.")
    stage = check_choice(stage, JusticeStage, field="stage", label="justice stage")
    when = _date(date)
    if isinstance(provision, LegalProvision | int) or (isinstance(provision, str) and provision):
        try:
            pk = provision.pk if isinstance(provision, LegalProvision) else int(provision)
        except ValueError:
            raise DomainError("Unknown legal provision.", field="provision")
        provision = LegalProvision.objects.select_related("act").filter(pk=pk).first()
        if provision is None:
            raise DomainError("Unknown legal provision.", field="provision")
    else:
        provision = None
    if stage in PROVISION_STAGES and provision is None:
        raise DomainError(
            "Say under which provision: a charge and a verdict name one.", field="provision"
        )
    if stage not in PROVISION_STAGES and provision is not None:
        provision = None  # an arrest or a court date is not "under" a provision here
    verdict = (verdict or "").strip()
    if stage == JusticeStage.VERDICT:
        verdict = check_choice(verdict, Verdict, field="verdict", label="verdict")
    elif verdict:
        raise DomainError("Only a verdict says convicted or acquitted.", field="verdict")
    authority = (authority or "").strip()
    fine = (fine or "").strip()
    if custody_months in ("", None):
        custody_months = None
    else:
        try:
            custody_months = int(custody_months)
        except (TypeError, ValueError):
            raise DomainError("Give the custody in whole months.", field="custody_months")
        if custody_months < 0:
            raise DomainError("Give the custody in whole months.", field="custody_months")
    if stage == JusticeStage.SENTENCE:
        if not custody_months and not fine and not (note or "").strip():
            raise DomainError(
                "Give the sentence: months of custody, a fine, or a note.",
                field="custody_months",
            )
        convicted = JusticeEvent.objects.filter(
            suspect=suspect,
            stage=JusticeStage.VERDICT,
            verdict=Verdict.CONVICTED,
            withdrawn_at__isnull=True,
            date__lte=when,
        )
        if not convicted.exists():
            raise DomainError(
                "A sentence follows a conviction: record the verdict first.", field="stage"
            )
    elif custody_months or fine:
        raise DomainError("Custody and fines belong to a sentence.", field="custody_months")
    if stage == JusticeStage.HANDED_OVER and not authority:
        raise DomainError("Say to which authority the suspect was handed over.", field="authority")
    if country:
        code = country.iso3 if isinstance(country, Country) else str(country).upper()
        country = countries_by_code([code])[code]
    elif provision is not None:
        country = provision.act.country
    else:
        raise DomainError("Say in which country (the jurisdiction).", field="country")
    event = JusticeEvent.objects.create(
        case=locked,
        suspect=suspect,
        stage=stage,
        date=when,
        country=country,
        provision=provision,
        authority=authority,
        reference=(reference or "").strip(),
        verdict=verdict,
        custody_months=custody_months,
        fine=fine,
        note=(note or "").strip(),
        created_by=acting_user,
    )
    _touch(locked, acting_user)
    line = justice_line(event, suspect.name, provision.citation if provision else "")
    record(
        locked,
        TimelineKind.JUSTICE,
        acting_user,
        line,
        {"justice_event": event.pk, "suspect": suspect.pk, "stage": stage, "verdict": verdict},
    )
    return event


@transaction.atomic
def justice_event_withdraw(*, acting_user, event: JusticeEvent, reason: str) -> JusticeEvent:
    """Withdraw a line entered by mistake: kept and shown struck out, out of the statistics."""
    locked = lock_case_for_change(acting_user, event.case_id)
    event = (
        JusticeEvent.objects.select_for_update(of=("self",))
        .select_related("suspect", "provision__act")
        .filter(pk=event.pk, case=locked)
        .first()
    )
    if event is None:
        raise Http404("No such justice event.")
    if event.withdrawn_at is not None:
        raise DomainError("This line was already withdrawn.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the line is withdrawn.", field="reason")
    if event.stage == JusticeStage.VERDICT and event.verdict == Verdict.CONVICTED:
        sentenced = JusticeEvent.objects.filter(
            suspect=event.suspect, stage=JusticeStage.SENTENCE, withdrawn_at__isnull=True
        ).exclude(pk=event.pk)
        others = JusticeEvent.objects.filter(
            suspect=event.suspect,
            stage=JusticeStage.VERDICT,
            verdict=Verdict.CONVICTED,
            withdrawn_at__isnull=True,
        ).exclude(pk=event.pk)
        if sentenced.exists() and not others.exists():
            raise DomainError("Withdraw the sentence first: it follows this conviction.")
    event.withdrawn_at = timezone.now()
    event.withdrawn_by = acting_user
    event.withdrawn_reason = reason[:300]
    event.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    _touch(locked, acting_user)
    line = justice_line(
        event, event.suspect.name, event.provision.citation if event.provision else ""
    )
    record(
        locked,
        TimelineKind.JUSTICE,
        acting_user,
        f"Withdrawn: {line} — {reason}",
        {"justice_event": event.pk, "withdrawn": True},
    )
    return event
