"""Reminders: referrals unanswered for days, follow-ups due — each announced once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liaison_offices.constants import EventKind
from liaison_offices.models import NotificationEvent
from liaison_offices.reminders import send_due_reminders
from victims import services
from victims.constants import REFERRAL_UNANSWERED_DAYS, REMINDER_INTERVAL_DAYS
from victims.models import Referral


def sent(kind: str) -> list[NotificationEvent]:
    return list(NotificationEvent.objects.filter(kind=kind).order_by("pk"))


@pytest.mark.django_db
def test_an_unanswered_referral_is_chased_once_per_round(cast, referral):
    now = timezone.now()
    send_due_reminders(now)
    assert sent(EventKind.REFERRAL_UNANSWERED) == []  # too early

    Referral.objects.filter(pk=referral.pk).update(
        created_at=now - dt.timedelta(days=REFERRAL_UNANSWERED_DAYS, hours=1)
    )
    send_due_reminders(now)
    send_due_reminders(now + dt.timedelta(hours=1))  # the same round: not again
    (first,) = sent(EventKind.REFERRAL_UNANSWERED)
    assert first.partner_ids == [cast.partners["IOM"].pk]
    assert first.office_ids == [cast.offices["GBR"].pk]
    assert first.payload["victim"] == referral.victim.code

    send_due_reminders(now + dt.timedelta(days=REMINDER_INTERVAL_DAYS))
    assert len(sent(EventKind.REFERRAL_UNANSWERED)) == 2

    services.referral_accept(acting_user=cast.provider, referral=referral)
    send_due_reminders(now + dt.timedelta(days=3 * REMINDER_INTERVAL_DAYS))
    assert len(sent(EventKind.REFERRAL_UNANSWERED)) == 2  # answered: no more


@pytest.mark.django_db
def test_a_follow_up_is_announced_on_its_due_date_and_not_once_done(cast, referral):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    today = timezone.localdate()
    due_now, later = services.followup_schedule(
        acting_user=cast.uk,
        referral=referral,
        due_dates=[today, today + dt.timedelta(days=30)],
    )
    send_due_reminders(timezone.now())
    send_due_reminders(timezone.now())
    (event,) = sent(EventKind.FOLLOWUP_DUE)
    assert event.payload["followup"] == due_now.pk
    assert event.office_ids == [cast.offices["GBR"].pk]

    services.followup_record(
        acting_user=cast.provider,
        followup=later,
        economic_score=3,
        social_score=3,
        psychosocial_score=3,
    )
    send_due_reminders(timezone.now() + dt.timedelta(days=31))
    assert len(sent(EventKind.FOLLOWUP_DUE)) == 1  # the later one was done before it fell due
