"""The home page's referral panel: referrals waiting for an answer (liaison_offices.dashboard)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from liaison_offices.access import scope_of
from liaison_offices.dashboard import Panel, Row, list_url
from victims.constants import ReferralStatus
from victims.models import Referral


def panels(request) -> list[Panel]:
    """Pending referrals: to the user's organisation (theirs to answer) and from their desks
    (waiting for the provider). One aggregate query.
    """
    user = request.user
    scope = scope_of(user)
    pending = Referral.objects.visible_to(user).filter(status=ReferralStatus.PENDING)
    if scope.is_hq:
        count = pending.count()
        rows = [Row(_("Waiting for an answer, all offices"), count, _url(), "warn")]
    else:
        to_me = Q(partner_id__in=sorted(scope.partner_ids)) if scope.partner_ids else Q(pk__in=[])
        from_me = (
            Q(from_office_id__in=sorted(scope.view_office_ids))
            if scope.view_office_ids
            else Q(pk__in=[])
        )
        counts = pending.aggregate(
            to_me=Count("pk", filter=to_me), from_me=Count("pk", filter=from_me)
        )
        rows = []
        if scope.partner_ids:
            rows.append(
                Row(_("Sent to you, to accept or decline"), counts["to_me"], _url(), "warn")
            )
        if scope.view_office_ids:
            rows.append(Row(_("Sent by you, not yet answered"), counts["from_me"], _url()))
    return [
        Panel(
            title=_("Referrals waiting for an answer"),
            rows=rows,
            empty=_("No referral is waiting."),
            more_url=list_url("victims:referrals"),
            more_label=_("All referrals"),
            order=30,
        )
    ]


def _url() -> str:
    return list_url("victims:referrals", status=ReferralStatus.PENDING)
