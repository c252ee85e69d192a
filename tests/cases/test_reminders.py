"""Reminders for cooperation requests near or past due: who hears, and never twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.constants import Urgency
from cases.models import CooperationRequest
from cases.reminders import due_reminders
from liaison_offices.constants import EventKind
from liaison_offices.models import NotificationEvent
from liaison_offices.reminders import producers, send_due_reminders

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests(cast, uk_case):
    """Three open requests to BHC from the UK office: urgent, normal and low."""
    services.case_share(
        acting_user=cast.uk, case=uk_case, partner=cast.partners["BHC"], level=2, handling_code="H0"
    )
    return {
        urgency: services.request_create(
            acting_user=cast.uk,
            case=uk_case,
            from_office=cast.offices["GBR"],
            to_partner=cast.partners["BHC"],
            kind="travel_history",
            urgency=urgency,
            question="Entries and exits since 2019?",
        )
        for urgency in Urgency
    }


def kinds(reminders) -> dict[int, str]:
    return {reminder.subject.pk: reminder.kind for reminder in reminders}


def test_the_cases_producer_is_found_by_the_notifications_registry():
    assert due_reminders in producers()


def test_nothing_is_due_right_after_the_requests_are_sent(requests):
    assert list(due_reminders(timezone.now())) == []


def test_due_soon_follows_each_urgencys_window(requests):
    urgent, normal, low = (requests[u] for u in Urgency)
    # 7 h after sending: the urgent request (8 h) is within its 2 h window, the others are not.
    at = urgent.created_at + dt.timedelta(hours=7)
    assert kinds(due_reminders(at)) == {urgent.pk: EventKind.REQUEST_DUE_SOON}
    # 6½ days: the urgent one is overdue, the normal one (7 days) due within a day.
    at = urgent.created_at + dt.timedelta(days=6, hours=12)
    assert kinds(due_reminders(at)) == {
        urgent.pk: EventKind.REQUEST_OVERDUE,
        normal.pk: EventKind.REQUEST_DUE_SOON,
    }
    assert low.pk not in kinds(due_reminders(at))


def test_overdue_reminders_tell_both_sides_and_carry_no_text(cast, requests):
    urgent = requests[Urgency.URGENT]
    (reminder,) = due_reminders(urgent.due_at + dt.timedelta(minutes=1))
    assert reminder.kind == EventKind.REQUEST_OVERDUE
    assert list(reminder.offices) == [cast.offices["GBR"].pk]
    assert list(reminder.partners) == [cast.partners["BHC"].pk]
    assert "question" not in reminder.payload
    assert reminder.payload["request_kind"] == "travel_history"


def test_answered_and_closed_requests_are_not_reminded(cast, requests):
    urgent = requests[Urgency.URGENT]
    services.request_answer(acting_user=cast.focal_point, request=urgent, answer="None.")
    assert list(due_reminders(urgent.due_at + dt.timedelta(hours=1))) == []


def test_each_reminder_goes_out_once_per_day_however_often_beat_runs(requests):
    urgent = requests[Urgency.URGENT]
    CooperationRequest.objects.exclude(pk=urgent.pk).delete()
    # Overdue reminders are keyed by calendar day (UTC): pin the deadline to mid-morning so
    # "three hours later" never crosses midnight, whenever the suite runs.
    due = (urgent.due_at + dt.timedelta(days=1)).replace(hour=10, minute=0, second=0)
    CooperationRequest.objects.filter(pk=urgent.pk).update(due_at=due)
    urgent.refresh_from_db()
    soon = urgent.due_at - dt.timedelta(hours=1)
    assert send_due_reminders(soon) == 1
    assert send_due_reminders(soon + dt.timedelta(minutes=15)) == 0
    overdue = urgent.due_at + dt.timedelta(minutes=5)
    assert send_due_reminders(overdue) == 1
    assert send_due_reminders(overdue + dt.timedelta(hours=3)) == 0
    assert send_due_reminders(overdue + dt.timedelta(days=1)) == 1  # the next day, once more
    sent = NotificationEvent.objects.filter(
        kind__in=[EventKind.REQUEST_DUE_SOON, EventKind.REQUEST_OVERDUE]
    )
    assert sorted(sent.values_list("kind", flat=True)) == [
        EventKind.REQUEST_DUE_SOON,
        EventKind.REQUEST_OVERDUE,
        EventKind.REQUEST_OVERDUE,
    ]
