"""Reminders for referrals left unanswered and reintegration follow-ups that are due.

Produced here, published once each by `liaison_offices.reminders.send_due_reminders` (beat),
which de-duplicates on each reminder's `key`:

- *referral unanswered*: a referral still pending `REFERRAL_UNANSWERED_DAYS` after it was sent,
  then again every `REMINDER_INTERVAL_DAYS` while it stays pending — to the receiving partner
  and the referring office;
- *follow-up due*: once per follow-up, on its due date, while not done and the referral not
  declined or revoked — to the referring office and the partner.

Payloads carry ids, codes, services and dates only: never a victim's personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from liaison_offices.constants import EventKind
from liaison_offices.reminders import Reminder
from victims.constants import (
    REFERRAL_UNANSWERED_DAYS,
    REMINDER_INTERVAL_DAYS,
    ReferralStatus,
)
from victims.models import Referral, ReintegrationFollowUp

__all__ = ["due_reminders"]


def due_reminders(now: dt.datetime) -> Iterator[Reminder]:
    """Reminders for unanswered referrals and due follow-ups (two queries)."""
    threshold = dt.timedelta(days=REFERRAL_UNANSWERED_DAYS)
    unanswered = (
        Referral.objects.unanswered(older_than=threshold, now=now)
        .select_related("victim", "from_office")
        .order_by("created_at", "id")
    )
    for referral in unanswered:
        waited = (now - referral.created_at).days
        # 0 on the first reminder, then one more every interval: each round has its own key.
        round_ = (waited - REFERRAL_UNANSWERED_DAYS) // REMINDER_INTERVAL_DAYS
        yield Reminder(
            kind=EventKind.REFERRAL_UNANSWERED,
            subject=referral,
            key=f"referral_unanswered:{referral.pk}:{round_}",
            offices=[referral.from_office_id],
            partners=[referral.partner_id],
            subject_label=referral.notification_label,
            payload={
                "referral": referral.pk,
                "victim": referral.victim.code,
                "service": referral.service,
                "status": referral.status,
                "days_waiting": waited,
            },
        )

    today = timezone.localdate(now)
    due = (
        ReintegrationFollowUp.objects.due(on=today)
        .exclude(referral__status__in=[ReferralStatus.DECLINED, ReferralStatus.REVOKED])
        .select_related("referral__victim")
        .order_by("due_on", "id")
    )
    for followup in due:
        referral = followup.referral
        yield Reminder(
            kind=EventKind.FOLLOWUP_DUE,
            subject=referral,
            key=f"followup_due:{followup.pk}:{followup.due_on:%Y%m%d}",
            offices=[referral.from_office_id],
            partners=[referral.partner_id],
            subject_label=referral.notification_label,
            payload={
                "referral": referral.pk,
                "followup": followup.pk,
                "victim": referral.victim.code,
                "service": referral.service,
                "due_on": followup.due_on,
            },
        )
