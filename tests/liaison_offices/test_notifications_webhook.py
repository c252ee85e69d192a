"""Partner webhooks against a real HTTP server on 127.0.0.1: signed bodies, retries on 5xx and
timeouts, 410 and repeated 4xx disable the webhook and say why."""

from __future__ import annotations

import json
import socket
import time

import pytest
from django.utils import timezone

from cases.grants import sync_case_grants
from cases.models import CaseShare
from glo_act.errors import DomainError
from liaison_offices import delivery, notifications
from liaison_offices.constants import Channel, DeliveryStatus, EventKind, EventStatus
from liaison_offices.models import Delivery, NotificationEvent, PartnerWebhook
from liaison_offices.notifications import publish
from tests.liaison_offices.notify_support import (
    PERSONAL,
    WebhookReceiver,
    expected_signature,
    make_case,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The cast's passwords hashed cheaply: these tests are about delivery, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def hook(cast, receiver):
    return PartnerWebhook.objects.create(partner=cast.partners["BHC"], url=receiver.url)


def shared(cast, case=None) -> NotificationEvent:
    return publish(
        kind=EventKind.CASE_SHARED,
        subject=case or make_case(cast),
        actor=cast.uk,
        partners=[cast.partners["BHC"]],
        payload={"level": "full", "handling_code": "H1"},
    )


def webhook_delivery(event) -> Delivery:
    result = delivery.dispatch_event(event.pk)
    row = Delivery.objects.get(event=event, channel=Channel.WEBHOOK)
    assert result.webhook_ids == [row.pk]  # handed to its own task
    return row


def make_due(row: Delivery) -> None:
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())


def test_the_webhook_is_signed_with_the_partners_secret(cast, hook, receiver):
    case = make_case(cast)
    row = webhook_delivery(shared(cast, case))
    assert delivery.send_webhook(row.pk) is None

    (request,) = receiver.received
    headers = request.headers
    timestamp = headers["x-gloact-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    assert headers["x-gloact-signature"] == expected_signature(hook.secret, timestamp, request.body)
    assert headers["x-gloact-signature"] != expected_signature(
        "another-secret", timestamp, request.body
    )
    assert headers["x-gloact-delivery"] == str(row.pk)  # the receiver's idempotency key
    assert headers["content-type"] == "application/json"
    document = json.loads(request.body)
    assert document["event"]["kind"] == EventKind.CASE_SHARED
    assert document["event"]["subject"] == {
        "type": "cases.case",
        "id": case.pk,
        "label": case.reference,
        "url": document["event"]["subject"]["url"],
    }
    assert document["event"]["payload"] == {"level": "full", "handling_code": "H1"}
    row.refresh_from_db()
    hook.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 1
    assert hook.last_success_at is not None and hook.consecutive_failures == 0
    assert NotificationEvent.objects.get(pk=row.event_id).status == EventStatus.DONE


def test_the_webhook_body_carries_no_personal_data(cast, hook, receiver):
    case = make_case(cast)
    assert any(word in case.title + case.summary for word in PERSONAL)
    delivery.send_webhook(webhook_delivery(shared(cast, case)).pk)
    body = receiver.received[0].body.decode()
    for word in PERSONAL:
        assert word not in body


def test_every_secret_is_generated_and_different(cast, hook):
    other = PartnerWebhook.objects.create(partner=cast.partners["IOM"], url="https://iom.example/h")
    assert len(hook.secret) == 64 and len(other.secret) == 64
    assert hook.secret != other.secret


def test_a_500_from_the_partner_is_retried_with_backoff_then_delivered(cast, hook, receiver):
    receiver.statuses = [500, 200]
    row = webhook_delivery(shared(cast))
    delay = delivery.send_webhook(row.pk)
    assert 5 <= delay <= 10
    row.refresh_from_db()
    hook.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.PENDING, 1, "HTTP 500")
    assert hook.consecutive_failures == 1 and hook.last_status_code == 500 and hook.is_active
    # Not due yet: an early wake-up sends nothing and asks to come back later.
    assert delivery.send_webhook(row.pk) > 0
    assert len(receiver.received) == 1

    make_due(row)
    assert delivery.send_webhook(row.pk) is None
    row.refresh_from_db()
    hook.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert hook.consecutive_failures == 0
    # Both attempts carried the same delivery id, so the partner can drop a duplicate.
    assert {r.headers["x-gloact-delivery"] for r in receiver.received} == {str(row.pk)}


def test_a_timeout_is_retried(cast, hook, receiver, monkeypatch):
    monkeypatch.setattr(delivery.policy, "WEBHOOK_TIMEOUT", 0.3)
    receiver.hold_seconds = 3
    row = webhook_delivery(shared(cast))
    assert delivery.send_webhook(row.pk) is not None
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING
    assert row.last_error.startswith("unreachable:")


def test_an_unreachable_partner_is_retried(cast):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    PartnerWebhook.objects.create(partner=cast.partners["BHC"], url=f"http://127.0.0.1:{port}/h")
    row = webhook_delivery(shared(cast))
    assert delivery.send_webhook(row.pk) is not None
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and "unreachable" in row.last_error


def test_a_410_disables_the_webhook_and_says_why(cast, hook, receiver):
    receiver.statuses = [410]
    row = webhook_delivery(shared(cast))
    assert delivery.send_webhook(row.pk) is None  # not retried
    row.refresh_from_db()
    hook.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.last_error == "HTTP 410"
    assert not hook.is_active
    assert "410 Gone" in hook.disabled_reason and hook.disabled_at is not None
    # The next event sends this partner nothing, and records that it was skipped.
    event = shared(cast)
    assert delivery.dispatch_event(event.pk).webhook_ids == []
    skipped = Delivery.objects.get(event=event, channel=Channel.WEBHOOK)
    assert (skipped.status, skipped.replayable) == (DeliveryStatus.SKIPPED, True)
    assert len(receiver.received) == 1
    assert len(receiver.received) == 1


def test_repeated_4xx_answers_disable_the_webhook(cast, hook, receiver):
    receiver.statuses = [404]
    for attempt in range(1, delivery.WEBHOOK_PERMANENT_FAILURES_TO_DISABLE + 1):
        row = webhook_delivery(shared(cast))
        assert delivery.send_webhook(row.pk) is None  # a 4xx is not retried
        row.refresh_from_db()
        hook.refresh_from_db()
        assert row.status == DeliveryStatus.FAILED
        assert hook.consecutive_failures == attempt
    assert not hook.is_active
    assert "HTTP 404" in hook.disabled_reason


def test_a_pending_delivery_to_a_disabled_webhook_is_skipped(cast, hook, receiver):
    row = webhook_delivery(shared(cast))
    PartnerWebhook.objects.filter(pk=hook.pk).update(is_active=False, disabled_reason="by HQ")
    assert delivery.send_webhook(row.pk) is None
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SKIPPED and "by HQ" in row.last_error
    assert receiver.received == []


def test_a_partner_whose_share_was_revoked_gets_no_webhook(cast, hook, receiver):
    case = make_case(cast)
    event = shared(cast, case)
    CaseShare.objects.filter(case=case).update(revoked_at=timezone.now())
    sync_case_grants(case)
    result = delivery.dispatch_event(event.pk)
    assert result.webhook_ids == []
    row = Delivery.objects.get(event=event, channel=Channel.WEBHOOK)
    assert row.status == DeliveryStatus.SKIPPED
    assert receiver.received == []


def test_a_partner_whose_share_was_revoked_gets_no_webhook_even_if_a_member_sits_at_an_office(
    cast, hook, receiver
):
    # The BHC focal point also covers the UK desk (e.g. a secondment): as a person they still
    # see the case, but the organisation's own share is gone, so its system hears nothing.
    from liaison_offices import services as office_services

    office_services.membership_add(
        acting_user=cast.hq, user=cast.focal_point, role="officer", office=cast.offices["GBR"]
    )
    case = make_case(cast)
    event = shared(cast, case)
    CaseShare.objects.filter(case=case).update(revoked_at=timezone.now())
    sync_case_grants(case)
    delivery.dispatch_event(event.pk)
    rows = Delivery.objects.filter(event=event, channel=Channel.WEBHOOK)
    assert all(row.status == DeliveryStatus.SKIPPED for row in rows)
    for row in rows:
        delivery.send_webhook(row.pk)
    assert receiver.received == []


@pytest.mark.postgres  # the bound is counted under a PostgreSQL row lock
def test_a_partner_at_its_bound_waits_without_an_attempt_and_others_do_not(
    cast, hook, receiver, settings, django_assert_num_queries
):
    """WEBHOOK_PARTNER_CONCURRENCY: deliveries claimed (in flight) count against the partner;
    one over the bound is refused untouched, another partner's is not held up."""
    settings.WEBHOOK_PARTNER_CONCURRENCY = 1
    first = webhook_delivery(shared(cast))
    second = webhook_delivery(shared(cast))
    assert delivery.claim(first.pk, timezone.now())  # a worker is sending it now

    # The row, the partner's lock, the count; and the test's savepoint around them.
    with django_assert_num_queries(6), pytest.raises(delivery.PartnerBusy):
        delivery.send_webhook(second.pk)
    second.refresh_from_db()
    assert (second.status, second.attempts) == (DeliveryStatus.PENDING, 0)
    assert receiver.received == []

    # Another partner's webhook goes out meanwhile.
    PartnerWebhook.objects.create(partner=cast.partners["IOM"], url=receiver.url)
    case = make_case(cast, share_with_bhc=False)
    CaseShare.objects.create(case=case, partner=cast.partners["IOM"], level=2, handling_code="H1")
    sync_case_grants(case)
    other = publish(
        kind=EventKind.CASE_SHARED,
        subject=case,
        actor=cast.uk,
        partners=[cast.partners["IOM"]],
    )
    delivery.dispatch_event(other.pk)
    iom = Delivery.objects.get(event=other, channel=Channel.WEBHOOK)
    assert delivery.send_webhook(iom.pk) is None and len(receiver.received) == 1

    # A claim older than the lease belongs to a dead worker: it no longer counts.
    Delivery.objects.filter(pk=first.pk).update(
        claimed_at=timezone.now() - delivery.CLAIM_LEASE - timezone.timedelta(seconds=1)
    )
    assert delivery.send_webhook(second.pk) is None
    second.refresh_from_db()
    assert (second.status, second.attempts) == (DeliveryStatus.SENT, 1)

    settings.WEBHOOK_PARTNER_CONCURRENCY = 0  # no bound
    Delivery.objects.filter(pk=first.pk).update(claimed_at=timezone.now())
    third = webhook_delivery(shared(cast))
    assert delivery.send_webhook(third.pk) is None


def test_webhooks_are_routed_to_their_own_queue():
    from glo_act.celery import app
    from liaison_offices.tasks import deliver_event, send_webhook, sweep_undelivered_events

    router = app.amqp.router
    default = app.conf.task_default_queue
    for task, queue in [
        (send_webhook, f"{default}_webhooks"),
        (deliver_event, default),
        (sweep_undelivered_events, default),
    ]:
        assert router.route({}, task.name, (1,), {}, task_type=task)["queue"].name == queue


# --- A disabled webhook records what it missed; re-enabling replays it (issue 16, 4) -------------
def test_events_while_the_webhook_is_disabled_are_recorded_skipped_and_replayed(
    cast, hook, receiver, django_capture_on_commit_callbacks
):
    notifications.webhook_enable(acting_user=cast.hq, webhook=hook)  # (a no-op: it is active)
    PartnerWebhook.objects.filter(pk=hook.pk).update(
        is_active=False, disabled_reason="the partner answered 410 Gone"
    )
    events = [shared(cast) for _ in range(2)]
    for event in events:
        assert delivery.dispatch_event(event.pk).webhook_ids == []  # nothing to send now
    rows = Delivery.objects.filter(event__in=events, channel=Channel.WEBHOOK)
    assert {(r.status, r.replayable) for r in rows} == {(DeliveryStatus.SKIPPED, True)}
    assert {r.last_error for r in rows} == {"webhook disabled: the partner answered 410 Gone"}
    assert all(NotificationEvent.objects.get(pk=e.pk).status == EventStatus.DONE for e in events)
    assert delivery.skipped_while_disabled([hook.partner_id]) == 2

    hook.refresh_from_db()
    with pytest.raises(DomainError):  # replaying into a disabled webhook would skip again
        notifications.webhook_replay_skipped(acting_user=cast.hq, webhook=hook)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        notifications.webhook_enable(acting_user=cast.hq, webhook=hook, replay=True)
    assert len(enqueued) == 2  # one send per replayed delivery, after the commit
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.replayable, row.attempts) == (DeliveryStatus.PENDING, False, 0)
        assert delivery.send_webhook(row.pk) is None
    assert sorted(r.headers["x-gloact-delivery"] for r in receiver.received) == sorted(
        str(r.pk) for r in rows
    )
    assert all(NotificationEvent.objects.get(pk=e.pk).status == EventStatus.DONE for e in events)
    # Replayed once: a second replay finds nothing.
    assert notifications.webhook_replay_skipped(acting_user=cast.hq, webhook=hook) == 0


def test_a_webhook_disabled_after_planning_leaves_a_replayable_skip(cast, hook, receiver):
    row = webhook_delivery(shared(cast))
    PartnerWebhook.objects.filter(pk=hook.pk).update(is_active=False, disabled_reason="")
    assert delivery.send_webhook(row.pk) is None
    row.refresh_from_db()
    assert (row.status, row.replayable, row.last_error) == (
        DeliveryStatus.SKIPPED,
        True,
        "webhook disabled: by HQ",
    )
    assert receiver.received == []


def test_a_skip_for_access_is_never_replayed(cast, hook, receiver):
    event = shared(cast, make_case(cast, share_with_bhc=False))  # BHC cannot see this case
    delivery.dispatch_event(event.pk)
    row = Delivery.objects.get(event=event, channel=Channel.WEBHOOK)
    assert (row.status, row.replayable) == (DeliveryStatus.SKIPPED, False)
    assert notifications.webhook_replay_skipped(acting_user=cast.hq, webhook=hook) == 0
    assert delivery.skipped_while_disabled([hook.partner_id]) == 0
