"""The weekly digest to HQ of unusual reading: people who read the personal data of many
victims they have no case or referral for.

A victim is *someone's own* when it was recorded by one of their offices, is linked to a case
led by one of their offices or shared with their office or organisation, or has a referral to
their organisation. Whoever read more than `UNUSUAL_READING_MIN` victims that were not their
own in the last seven days is listed, with counts and a link to the audit view; the mail
names no victim.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from liaison_offices import access
from liaison_offices.constants import HQ_CODE

WINDOW = dt.timedelta(days=7)


@dataclass(frozen=True)
class UnusualReader:
    username: str
    victims_read: int
    not_their_own: int


def _own_victims(user, victim_ids: set[int]) -> set[int]:
    Victim = apps.get_model("victims", "Victim")
    Link = apps.get_model("victims", "VictimCaseLink")
    Referral = apps.get_model("victims", "Referral")
    Share = apps.get_model("cases", "CaseShare")
    scope = access.scope_of(user)
    offices = set(scope.view_office_ids) | set(scope.member_office_ids)
    partners = set(scope.partner_ids)
    own = set(
        Victim.objects.filter(pk__in=victim_ids, recorded_by_office_id__in=offices).values_list(
            "pk", flat=True
        )
    )
    shared_cases = Share.objects.filter(
        Q(office_id__in=offices) | Q(partner_id__in=partners)
    ).values("case_id")
    own |= set(
        Link.objects.filter(victim_id__in=victim_ids)
        .filter(Q(case__lead_office_id__in=offices) | Q(case_id__in=shared_cases))
        .values_list("victim_id", flat=True)
    )
    own |= set(
        Referral.objects.filter(victim_id__in=victim_ids, partner_id__in=partners).values_list(
            "victim_id", flat=True
        )
    )
    return own


def unusual_readers(now: dt.datetime | None = None) -> list[UnusualReader]:
    Access = apps.get_model("victims", "PersonalDataAccess")
    now = now or timezone.now()
    read: dict[int, set[int]] = defaultdict(set)
    for user_id, victim_id in (
        Access.objects.filter(at__gte=now - WINDOW, at__lt=now)
        .values_list("user_id", "victim_id")
        .distinct()
    ):
        read[user_id].add(victim_id)
    found = []
    for user in get_user_model().objects.filter(pk__in=read).order_by("username"):
        victims = read[user.pk]
        others = victims - _own_victims(user, victims)
        if len(others) > settings.UNUSUAL_READING_MIN:
            found.append(UnusualReader(user.username, len(victims), len(others)))
    return sorted(found, key=lambda r: (-r.not_their_own, r.username))


def hq_recipients() -> list[str]:
    return sorted(
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__office__code=HQ_CODE,
            memberships__ended_at__isnull=True,
        )
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def send_digest(now: dt.datetime | None = None) -> int:
    """Mail HQ the week's unusual readers; returns how many were listed (no mail when none)."""
    now = now or timezone.now()
    readers = unusual_readers(now)
    recipients = hq_recipients()
    if not readers or not recipients:
        return len(readers)
    audit = settings.SITE_URL.rstrip("/") + reverse("audit:audit")
    start = (now - WINDOW).date()
    lines = [
        f"Reading of victims' personal data, {start:%d %b} to {now:%d %b %Y}: these people read "
        f"more than {settings.UNUSUAL_READING_MIN} victims they have no case or referral for.",
        "",
    ]
    for r in readers:
        lines.append(
            f"- {r.username}: {r.not_their_own} of {r.victims_read} victims read are not theirs "
            f"— {audit}?tab=reads&user={r.username}&date_from={start.isoformat()}"
        )
    lines += ["", "Each read carries the reason its reader gave; open the audit view to see it."]
    send_mail(
        subject=f"GLO.ACT: unusual reading of victims' data, week to {now:%d %b %Y}",
        message="\n".join(lines),
        from_email=None,
        recipient_list=recipients,
    )
    return len(readers)
