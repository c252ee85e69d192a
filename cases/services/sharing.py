"""Sharing a case with another office or a partner organisation, and taking it back.

A share is written with its grant (`cases.grants`). The lead office shares; a recipient *office* may
pass the case on under the handling code it received it with, at no higher level and for no
longer, unless it came under H2. Shares passed on from a share are revoked with it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from cases.constants import HandlingCode, HandOverStatus, ShareLevel, TimelineKind
from cases.grants import sync_case_grants
from cases.models import Case, CaseShare, HandOver
from cases.services._common import check_choice, lock_case_for_view, record, share_label
from glo_act.errors import DomainError, PermissionDenied
from liaison_offices.access import can_work_office, scope_of
from liaison_offices.constants import HQ_CODE, EventKind, OfficeStatus
from liaison_offices.models import LinkOffice, PartnerOrganisation
from liaison_offices.notifications import publish

__all__ = ["case_change_lead_office", "case_share", "move_lead_office", "share_revoke"]


def _recipient_name(share: CaseShare) -> str:
    recipient = share.recipient
    return recipient.code if isinstance(recipient, LinkOffice) else str(recipient)


def _held_office_shares(user, case: Case) -> list[CaseShare]:
    """Live shares of `case` to offices the user works (through which they may pass it on)."""
    return list(
        CaseShare.objects.held_by(user, working=True).filter(case=case).select_related("office")
    )


def _onward_source(user, case: Case) -> CaseShare:
    """The share through which a non-lead user may pass the case on, or a refusal saying why."""
    lead = case.lead_office.code
    held = _held_office_shares(user, case)
    if not held:
        raise PermissionDenied(
            f"Only the lead office ({lead}) or a link office the case was shared with can share "
            f"{case.reference}; ask {lead} to share it."
        )
    passable = [share for share in held if share.handling_code != HandlingCode.H2]
    if not passable:
        raise PermissionDenied(
            f"{case.reference} reached {held[0].office.code} under H2 — no onward dissemination "
            f"without the originator's consent. Ask {lead} to share it."
        )
    return max(passable, key=lambda share: share.level)


def _revoke_tree(share: CaseShare, actor, now: dt.datetime) -> list[CaseShare]:
    """Revoke `share` and, with it, every live share passed on from it (depth first)."""
    revoked: list[CaseShare] = []
    pending = [share]
    while pending:
        current = pending.pop()
        if current.revoked_at is None:
            current.revoked_at = now
            current.revoked_by = actor
            current.save(update_fields=["revoked_at", "revoked_by"])
            revoked.append(current)
        pending.extend(
            CaseShare.objects.filter(passed_on_from=current, revoked_at__isnull=True)
            .select_related("office", "partner")
            .order_by("id")
        )
    return revoked


def _reconcile_passed_on(
    old: CaseShare, new: CaseShare, actor, now: dt.datetime
) -> list[CaseShare]:
    """When a share is replaced, the shares passed on from it follow the new one if it still
    allows them (same handling code, level no higher, expiry no later), else are revoked.
    """
    revoked: list[CaseShare] = []
    children = CaseShare.objects.filter(passed_on_from=old, revoked_at__isnull=True)
    for child in children.select_related("office", "partner"):
        if child.handling_code != new.handling_code or child.level > new.level:
            revoked.extend(_revoke_tree(child, actor, now))
            continue
        child.passed_on_from = new
        if new.expires_at is not None and (
            child.expires_at is None or child.expires_at > new.expires_at
        ):
            child.expires_at = new.expires_at
        child.save(update_fields=["passed_on_from", "expires_at"])
    return revoked


def _sharer_code(share: CaseShare, case: Case) -> str:
    """The office that made `share`: the one it passed the case on, else the lead office."""
    if share.passed_on_from_id is not None:
        code = (
            CaseShare.objects.filter(pk=share.passed_on_from_id)
            .values_list("office__code", flat=True)
            .first()
        )
        if code:
            return code
    return case.lead_office.code


def _announce_revocations(case: Case, shares: list[CaseShare], actor, why: str = "") -> None:
    """Timeline line and SHARE_REVOKED event (to the former recipient) per revoked share."""
    for share in shares:
        record(
            case,
            TimelineKind.SHARE_REVOKED,
            actor,
            f"Share to {_recipient_name(share)} revoked{why}",
            {"share": share.pk, "recipient": _recipient_name(share)},
        )
        # The recipient can no longer see the case, which is the point of telling them.
        publish(
            kind=EventKind.SHARE_REVOKED,
            subject=case,
            check_visibility=False,
            actor=actor,
            offices=[share.office] if share.office_id else [],
            partners=[share.partner] if share.partner_id else [],
            payload={
                "reference": case.reference,
                "case_kind": case.kind,
                "level": share.level,
                "handling_code": share.handling_code,
                "status": "revoked",
                "by": _sharer_code(share, case),
            },
        )


@transaction.atomic
def case_share(
    *,
    acting_user,
    case: Case,
    level: int,
    handling_code: str,
    office: LinkOffice | None = None,
    partner: PartnerOrganisation | None = None,
    handling_conditions: str = "",
    expires_at: dt.datetime | None = None,
) -> CaseShare:
    """Share a case with one office or partner; replaces the sharer's own live share to the
    same recipient (the lead office's, or the one passed on from the same source share)."""
    if (office is None) == (partner is None):
        raise DomainError("Share a case with exactly one office or one partner organisation.")
    try:
        level = ShareLevel(int(level))
    except (TypeError, ValueError):
        raise DomainError(f"{level!r} is not a share level.", field="level")
    handling_code = check_choice(
        handling_code, HandlingCode, field="handling_code", label="handling code"
    )
    conditions = (handling_conditions or "").strip()
    if handling_code == HandlingCode.H3 and not conditions:
        raise DomainError(
            "An H3 share must state its handling conditions.", field="handling_conditions"
        )
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise DomainError("The expiry must be in the future.", field="expires_at")

    locked = lock_case_for_view(acting_user, case)  # one share change per case at a time
    lead = locked.lead_office
    if office is not None and office.pk == lead.pk:
        raise DomainError(f"{office.code} leads {locked.reference}; it needs no share.")
    if office is not None and office.code == HQ_CODE:
        raise DomainError("HQ sees every case; it needs no share.", field="office")
    if partner is not None and not partner.is_active:
        raise DomainError(f"{partner} is no longer an active partner.", field="partner")

    source = None
    if not can_work_office(acting_user, lead.pk):
        source = _onward_source(acting_user, locked)
        if office is not None and office.pk == source.office_id:
            raise DomainError(f"{office.code} already holds {locked.reference}.")
        if level > source.level:
            raise PermissionDenied(
                f"{source.office.code} holds {locked.reference} at level "
                f"“{ShareLevel(source.level).label}”; it cannot pass it on at a higher level.",
                field="level",
            )
        if handling_code != source.handling_code:
            raise DomainError(
                f"{locked.reference} reached {source.office.code} under {source.handling_code}; "
                f"it is passed on under {source.handling_code} too.",
                field="handling_code",
            )
        if source.expires_at is not None:
            if expires_at is None:
                expires_at = source.expires_at  # a passed-on share never outlives its source
            elif expires_at > source.expires_at:
                raise DomainError(
                    f"{source.office.code}'s own share ends on "
                    f"{source.expires_at:%d %b %Y %H:%M} UTC; a share passed on cannot last "
                    "longer.",
                    field="expires_at",
                )

    # The sharer's own live share to this recipient, if any, is replaced; shares others made
    # to the same recipient are theirs, and not even their existence is told (the recipient
    # then holds both, and sees the case through the higher).
    existing = (
        CaseShare.objects.select_for_update()
        .filter(
            case=locked,
            revoked_at__isnull=True,
            office=office,
            partner=partner,
            passed_on_from=source,
        )
        .first()
    )
    if existing is not None:
        # The old row ends here (the partial unique index allows one live row per recipient).
        existing.revoked_at = now
        existing.revoked_by = acting_user
        existing.save(update_fields=["revoked_at", "revoked_by"])

    share = CaseShare.objects.create(
        case=locked,
        office=office,
        partner=partner,
        level=level,
        handling_code=handling_code,
        handling_conditions=conditions,
        expires_at=expires_at,
        passed_on_from=source,
        shared_by=acting_user,
        created_at=now,
    )
    orphans = _reconcile_passed_on(existing, share, acting_user, now) if existing else []
    sync_case_grants(locked)

    recipient = _recipient_name(share)
    summary = f"Shared with {recipient} — {share_label(level, handling_code)}"
    if expires_at is not None:
        summary += f", until {expires_at:%d %b %Y %H:%M} UTC"
    if source is not None:
        summary += f" (passed on by {source.office.code})"
    if existing is not None:
        summary += " — replaces the earlier share"
    record(
        locked,
        TimelineKind.SHARED,
        acting_user,
        summary,
        {
            "share": share.pk,
            "recipient": recipient,
            "level": int(level),
            "handling_code": handling_code,
            "handling_conditions": conditions,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "passed_on_from": source.pk if source else None,
            "replaces": existing.pk if existing else None,
        },
    )
    _announce_revocations(locked, orphans, acting_user, why=" with the share it came from")
    publish(
        kind=EventKind.CASE_SHARED,
        subject=locked,
        actor=acting_user,
        offices=[office] if office else [],
        partners=[partner] if partner else [],
        payload={
            "reference": locked.reference,
            "case_kind": locked.kind,
            "level": int(level),
            "handling_code": handling_code,
            "by": source.office.code if source is not None else lead.code,
            **({"expires_at": expires_at.isoformat()} if expires_at else {}),
        },
    )
    return share


@transaction.atomic
def share_revoke(*, acting_user, share: CaseShare) -> list[CaseShare]:
    """Take a share back (lead office, or the office that passed it on); it stops at once.

    Shares passed on from it are revoked with it. Returns every share revoked.
    """
    case = Case.objects.select_for_update().filter(pk=share.case_id).first()
    if case is None or not Case.objects.visible_to(acting_user).filter(pk=case.pk).exists():
        raise Http404("No such share.")
    if not can_work_office(acting_user, case.lead_office_id):
        own = {s.pk for s in _held_office_shares(acting_user, case)}
        if share.passed_on_from_id is None or share.passed_on_from_id not in own:
            raise PermissionDenied(
                f"Only the lead office ({case.lead_office.code}) or the office that passed this "
                "share on can revoke it."
            )
    # `of=self`: PostgreSQL cannot lock the nullable side of the office/partner outer joins.
    current = (
        CaseShare.objects.select_for_update(of=("self",))
        .select_related("office", "partner")
        .get(pk=share.pk)
    )
    if current.revoked_at is not None:
        raise DomainError(
            f"This share was already revoked on {current.revoked_at:%d %b %Y %H:%M} UTC."
        )
    revoked = _revoke_tree(current, acting_user, timezone.now())
    sync_case_grants(case)
    _announce_revocations(case, revoked[:1], acting_user)
    _announce_revocations(case, revoked[1:], acting_user, why=" with the share it came from")
    share.revoked_at, share.revoked_by = current.revoked_at, current.revoked_by
    return revoked


def move_lead_office(
    locked: Case,
    office: LinkOffice,
    actor,
    *,
    keep_level: int | None,
    keep_handling_code: str = HandlingCode.H0,
    why: str = "",
) -> LinkOffice:
    """Make `office` the lead of the locked case, in the caller's transaction; returns the
    former lead office.

    The new lead office's shares of the case end (it sees everything now); what it had passed
    on from them becomes its own sharing. The former lead office keeps a share at `keep_level`
    under `keep_handling_code` (none when `keep_level` is None). The assigned officer, who
    worked for the former lead office, is unassigned. The grants follow in the same
    transaction; the reference never changes.
    """
    former = locked.lead_office
    if office.pk == former.pk:
        raise DomainError(f"{office.code} already leads {locked.reference}.", field="office")
    if office.status != OfficeStatus.ACTIVE:
        raise DomainError(f"{office} is not an active office.", field="office")
    now = timezone.now()
    ended = list(
        CaseShare.objects.select_for_update(of=("self",))
        .filter(case=locked, office=office, revoked_at__isnull=True)
        .select_related("office")
    )
    for share in ended:
        for child in CaseShare.objects.filter(passed_on_from=share, revoked_at__isnull=True):
            lead_made = CaseShare.objects.filter(
                case=locked,
                revoked_at__isnull=True,
                office_id=child.office_id,
                partner_id=child.partner_id,
                passed_on_from__isnull=True,
            )
            if lead_made.exists():  # the recipient already holds the case from the lead
                _revoke_tree(child, actor, now)
            else:
                child.passed_on_from = None
                child.save(update_fields=["passed_on_from"])
        share.revoked_at, share.revoked_by = now, actor
        share.save(update_fields=["revoked_at", "revoked_by"])
    # The former lead's own share to the new lead went above; any other share the former lead
    # made stays, now the new lead's to manage.
    locked.lead_office = office
    locked.version += 1
    locked.updated_by = actor
    locked.updated_at = now
    locked.assigned_to = None
    locked.assigned_at = None
    locked._history_user = actor
    locked.save(
        update_fields=[
            "lead_office", "version", "updated_by", "updated_at", "assigned_to", "assigned_at"
        ]
    )  # fmt: skip
    if keep_level is not None:
        CaseShare.objects.create(
            case=locked,
            office=former,
            level=ShareLevel(keep_level),
            handling_code=keep_handling_code,
            shared_by=actor,
            created_at=now,
        )
        kept = f"{former.code} keeps a {share_label(keep_level, keep_handling_code)} share"
    else:
        kept = f"{former.code} keeps no share"
    sync_case_grants(locked)
    # A hand-over still pending from the former lead office asks what can no longer be done.
    HandOver.objects.filter(case=locked, status=HandOverStatus.PENDING).update(
        status=HandOverStatus.WITHDRAWN, decided_by=actor, decided_at=now
    )
    record(
        locked,
        TimelineKind.EDITED,
        actor,
        f"Lead office {former.code} → {office.code}{why}; {kept}",
        {
            "fields": {"lead_office": [former.code, office.code]},
            "kept_level": keep_level,
            "kept_handling_code": keep_handling_code if keep_level is not None else None,
        },
        version=locked.version,
    )
    return former


@transaction.atomic
def case_change_lead_office(*, acting_user, case: Case, office: LinkOffice) -> Case:
    """Hand a case over to another office (HQ only): a transfer, or cover for a closed office.

    See `move_lead_office`: the former lead office keeps a full-with-victims, H0 share, so
    that its officers still see the case they worked; HQ may revoke it. (Offices hand cases
    over to each other with a hand-over request, `cases.services.casework`.)
    """
    if not scope_of(acting_user).is_hq:
        raise PermissionDenied("Only HQ can change the lead office of a case.")
    locked = Case.objects.select_for_update().select_related("lead_office").get(pk=case.pk)
    move_lead_office(locked, office, acting_user, keep_level=ShareLevel.FULL_WITH_VICTIMS)
    publish(
        kind=EventKind.CASE_SHARED,
        subject=locked,
        actor=acting_user,
        offices=[office],
        payload={
            "reference": locked.reference,
            "case_kind": locked.kind,
            "level": int(ShareLevel.FULL_WITH_VICTIMS),
            "handling_code": HandlingCode.H0.value,
            "by": HQ_CODE,
        },
    )
    return locked
