"""HQ's view of delivery in the admin: events and deliveries with filters, "retry selected",
and each partner webhook's health."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison_offices import delivery
from liaison_offices.constants import Channel, DeliveryStatus, EventKind, EventStatus
from liaison_offices.models import Delivery, NotificationEvent, PartnerWebhook
from liaison_offices.notifications import publish
from tests.liaison_offices.notify_support import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def delivered_event(cast) -> NotificationEvent:
    event = publish(
        kind=EventKind.CASE_SHARED,
        subject=make_case(cast),
        actor=cast.uk,
        partners=[cast.partners["BHC"]],
        payload={"level": "full"},
    )
    delivery.dispatch_event(event.pk)
    return event


def fail(event, channel=Channel.EMAIL) -> Delivery:
    row = Delivery.objects.get(event=event, channel=channel)
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.FAILED, attempts=delivery.MAX_ATTEMPTS, last_error="SMTPException"
    )
    NotificationEvent.objects.filter(pk=event.pk).update(status=EventStatus.DONE)
    return row


def test_hq_filters_deliveries_by_status_and_channel(cast, login):
    failed = fail(delivered_event(cast))
    delivered_event(cast)
    client = login(cast.hq)
    response = client.get(
        "/admin/liaison_offices/delivery/", {"status__exact": "failed", "channel__exact": "email"}
    )
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [failed]
    assert b"SMTPException" in response.content


def test_the_event_list_costs_the_same_for_one_row_or_many(cast, login, assert_queries):
    client = login(cast.hq)
    delivered_event(cast)
    with CaptureQueriesContext(connection) as one:  # session, user, count, page, filters…
        client.get("/admin/liaison_offices/notificationevent/")
    for _ in range(4):
        delivered_event(cast)
    with assert_queries(len(one)):  # the delivery counts come with the page, not per row
        response = client.get("/admin/liaison_offices/notificationevent/")
    assert response.context["cl"].result_count == 5
    assert b"2 / 0 / 0" in response.content  # sent (inbox + email) / open / failed


def test_retry_selected_deliveries_sends_them_again_once(
    cast, login, django_capture_on_commit_callbacks
):
    event = delivered_event(cast)
    row = fail(event)
    client = login(cast.hq)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/admin/liaison_offices/delivery/",
            {"action": "retry_selected", "_selected_action": [row.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert len(callbacks) == 1  # the event is enqueued after the commit
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.PENDING, 0, "")
    delivery.dispatch_event(event.pk)  # what the worker does with it
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT


def test_retry_never_revives_a_delivery_skipped_for_lack_of_access(cast, login):
    event = delivered_event(cast)
    row = Delivery.objects.get(event=event, channel=Channel.EMAIL)
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SKIPPED, last_error="cannot see the subject"
    )
    login(cast.hq).post(
        "/admin/liaison_offices/delivery/",
        {"action": "retry_selected", "_selected_action": [row.pk]},
    )
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SKIPPED


def test_retry_selected_events_replans_one_whose_planning_failed(cast, login):
    event = publish(kind=EventKind.CASE_SHARED, subject=make_case(cast), users=[cast.uk])
    NotificationEvent.objects.filter(pk=event.pk).update(
        status=EventStatus.FAILED, attempts=5, last_error="recipients could not be resolved"
    )
    login(cast.hq).post(
        "/admin/liaison_offices/notificationevent/",
        {"action": "retry_selected", "_selected_action": [event.pk]},
    )
    event.refresh_from_db()
    assert (event.status, event.attempts, event.dispatched_at) == (EventStatus.PENDING, 0, None)


def test_the_webhook_list_shows_health_and_why_it_was_disabled(cast, login):
    PartnerWebhook.objects.create(
        partner=cast.partners["BHC"],
        url="https://bhc.example/hooks",
        is_active=False,
        consecutive_failures=3,
        last_status_code=410,
        disabled_reason="the partner answered 410 Gone (2026-11-28 10:00 UTC)",
    )
    response = login(cast.hq).get("/admin/liaison_offices/partnerwebhook/")
    assert response.status_code == 200
    assert b"410 Gone" in response.content


def test_hq_re_enables_a_webhook_and_rotates_its_secret(cast, login):
    hook = PartnerWebhook.objects.create(
        partner=cast.partners["BHC"],
        url="https://bhc.example/hooks",
        is_active=False,
        consecutive_failures=3,
        disabled_reason="410 Gone",
    )
    old_secret = hook.secret
    client = login(cast.hq)
    for action in ["enable_selected", "rotate_secrets"]:
        client.post(
            "/admin/liaison_offices/partnerwebhook/",
            {"action": action, "_selected_action": [hook.pk]},
        )
    hook.refresh_from_db()
    assert hook.is_active and hook.disabled_reason == "" and hook.consecutive_failures == 0
    assert hook.secret != old_secret and len(hook.secret) == 64


def test_officers_cannot_open_the_delivery_admin(cast, login):
    response = login(cast.uk).get("/admin/liaison_offices/delivery/")
    assert response.status_code == 302


def test_hq_sees_what_a_disabled_webhook_missed_and_replays_it(
    cast, login, django_capture_on_commit_callbacks
):
    hook = PartnerWebhook.objects.create(
        partner=cast.partners["BHC"],
        url="https://bhc.example/hooks",
        is_active=False,
        disabled_reason="the partner answered 410 Gone",
    )
    row = Delivery.objects.get(event=delivered_event(cast), channel=Channel.WEBHOOK)
    assert (row.status, row.replayable) == (DeliveryStatus.SKIPPED, True)
    client = login(cast.hq)
    url = "/admin/liaison_offices/partnerwebhook/"
    (listed,) = client.get(url).context["cl"].result_list
    assert listed.skipped_waiting == 1

    def act(action: str) -> str:
        response = client.post(url, {"action": action, "_selected_action": [hook.pk]}, follow=True)
        assert response.status_code == 200
        return response.content.decode()

    assert "still disabled" in act("replay_skipped")  # nothing replays into a disabled hook
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SKIPPED
    assert "1 delivery(ies) were skipped while disabled" in act("enable_selected")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        assert "Queued 1 skipped delivery(ies)." in act("replay_skipped")
    assert len(enqueued) == 1
    row.refresh_from_db()
    assert (row.status, row.replayable) == (DeliveryStatus.PENDING, False)
    (listed,) = client.get(url).context["cl"].result_list
    assert listed.skipped_waiting == 0
