"""Delivery through a real Celery worker process, real Redis and the PostgreSQL test database.

Each test starts `celery worker --pool=solo` as a subprocess pointed at the test database and
a queue unique to this test session, so stale messages from other runs never reach it. Fault
tests start their own `redis-server` on a spare port and stop that one (never the machine's
shared server). The worker writes emails to files (EMAIL_URL=file://), which the test reads.
Every subprocess is killed in the fixture's finaliser.
"""

from __future__ import annotations

import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cases.constants import HandlingCode, ShareLevel
from cases.grants import sync_case_grants
from cases.models import CaseShare
from cases.services import case_create, case_share
from glo_act.celery import app as celery_app
from liaison_offices import delivery
from liaison_offices.constants import Channel, DeliveryStatus, EventKind, EventStatus
from liaison_offices.models import Delivery, Notification, NotificationEvent, PartnerWebhook
from liaison_offices.notifications import publish
from liaison_offices.tasks import deliver_event
from tests.liaison_offices.notify_support import PERSONAL, WebhookReceiver, make_case

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BASE_DIR = Path(settings.BASE_DIR)
CELERY = Path(sys.executable).parent / "celery"
SESSION_QUEUE = f"glo_act_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
WEBHOOK_QUEUE = f"{SESSION_QUEUE}_webhooks"  # as glo_act/celery.py routes them
SHARED_REDIS = settings.REDIS_URL or "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module", autouse=True)
def forget_the_session_queue():
    """Leave no queue behind in the shared Redis (a killed worker's message may sit there)."""
    yield
    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(SHARED_REDIS).delete(
            *(
                key
                for queue in (SESSION_QUEUE, WEBHOOK_QUEUE)
                for key in (queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
            )
        )


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The cast's passwords hashed cheaply: these tests are about delivery, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.05) -> float:
    """Poll until `predicate()` is true; the seconds it took, or AssertionError at `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout} s: {predicate.__doc__ or predicate}")


class RedisServer:
    """Our own redis-server on a spare port: the one a fault test may stop."""

    def __init__(self, workdir: Path, *, persist: bool = False):
        self.port = spare_port()
        self.workdir = workdir
        self.persist = persist  # an append-only file written at every command, as in compose
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes" if self.persist else "no",
                "--appendfsync",
                "always",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)

        def answers():
            with contextlib.suppress(redis.RedisError):
                return client.ping()

        wait_for(answers, timeout=10)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class Worker:
    """`celery worker` in a subprocess, on the test database and the session's queue."""

    def __init__(
        self, *, broker: str, queue: str, email_dir: Path, log: Path, consumes: str | None = None
    ):
        db = connection.settings_dict
        credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        database_url = (
            f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}"
        )
        self.env = {
            **os.environ,
            "DEBUG": "1",
            "GLO_ACT_TESTING": "1",
            "DATABASE_URL": database_url,
            "REDIS_URL": broker,
            "CELERY_QUEUE": queue,
            "EMAIL_URL": f"file://{email_dir}",
            "LOG_LEVEL": "INFO",
            # System checks belong to `make lint`; here they would only slow the start-up and
            # make these delivery tests hostage to unrelated modules' import order.
            "CELERY_SKIP_CHECKS": "1",
        }
        self.queue = queue
        self.consumes = consumes or f"{queue},{queue}_webhooks"  # -Q: both unless told
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "glo_act",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                self.consumes,
                "-n",
                f"{self.queue}-{uuid.uuid4().hex[:6]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited:\n{self.tail()}")
            return " ready." in self.log.read_text(errors="replace")

        wait_for(ready, timeout=45, interval=0.1)
        return self

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=15)

    def stop(self) -> None:
        # No warm shutdown: tasks are acks_late and idempotent, and the queue dies with the
        # session, so nothing is gained by waiting for the worker to finish.
        self.kill(signal.SIGKILL)


@contextlib.contextmanager
def this_process_publishes_to(broker: str, queue: str):
    """Point this test process's Celery app (used by publish's on-commit enqueue) at `broker`
    and `queue`, dropping pooled connections to the old broker; restored afterwards."""
    conf = celery_app.conf
    before = (conf.broker_url, conf.task_default_queue, conf.task_always_eager)

    def reset_pools():
        kombu.pools.reset()  # closes and forgets every pooled broker connection
        celery_app._pool = None
        with contextlib.suppress(AttributeError, KeyError):
            celery_app.__dict__["amqp"]._producer_pool = None

    conf.broker_url, conf.task_default_queue, conf.task_always_eager = broker, queue, False
    reset_pools()
    try:
        yield
    finally:
        conf.broker_url, conf.task_default_queue, conf.task_always_eager = before
        reset_pools()


class Harness:
    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.email_dir = tmp_path / "mail"
        self.email_dir.mkdir()
        self.workers: list[Worker] = []
        self.redises: list[RedisServer] = []
        self.broker = SHARED_REDIS
        self._publishing = contextlib.ExitStack()

    def own_redis(self, *, persist: bool = False) -> RedisServer:
        server = RedisServer(self.tmp, persist=persist).start()
        self.redises.append(server)
        self.broker = server.url
        return server

    def start_worker(self, consumes: str | None = None, **env) -> Worker:
        worker = Worker(
            broker=self.broker,
            queue=SESSION_QUEUE,
            email_dir=self.email_dir,
            log=self.tmp / f"worker-{len(self.workers) + 1}.log",
            consumes=consumes,
        )
        worker.env.update(env)
        self.workers.append(worker)
        self._publishing.close()
        self._publishing.enter_context(this_process_publishes_to(self.broker, SESSION_QUEUE))
        return worker.start()

    def emails(self) -> list[email.message.Message]:
        messages = []
        for path in sorted(self.email_dir.glob("*.log")):
            # The file backend separates messages with a line of 79 dashes.
            for chunk in path.read_text().split("-" * 79):
                if chunk.strip():
                    messages.append(email.message_from_string(chunk.strip()))
        return messages

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self._publishing.close()
        for server in self.redises:
            server.stop()


@pytest.fixture
def harness(tmp_path):
    harness = Harness(tmp_path)
    yield harness
    harness.close()
    for worker in harness.workers:  # shown by pytest only when the test failed
        print(f"--- {worker.log.name}\n{worker.tail(60)}")


def share(cast, case, actor=None) -> NotificationEvent:
    """Announce a share of `case` with the British High Commission, committed."""
    with transaction.atomic():
        CaseShare.objects.get_or_create(
            case=case, partner=cast.partners["BHC"], defaults={"level": 2, "handling_code": "H1"}
        )
        sync_case_grants(case)  # as case_share does
        return publish(
            kind=EventKind.CASE_SHARED,
            subject=case,
            actor=actor or cast.hq,
            offices=[cast.offices["GBR"]],
            partners=[cast.partners["BHC"]],
            payload={"level": "full", "handling_code": "H1"},
        )


def delivered(event) -> bool:
    """the event is closed: every delivery final"""
    return NotificationEvent.objects.filter(pk=event.pk, status=EventStatus.DONE).exists()


def recipients(event, channel=Channel.IN_APP) -> list[str]:
    if channel == Channel.IN_APP:
        rows = Notification.objects.filter(event=event)
    else:
        rows = Delivery.objects.filter(event=event, channel=channel, status=DeliveryStatus.SENT)
    return sorted(rows.values_list("user__username", flat=True))


def test_an_event_becomes_an_inbox_notification_and_an_email_within_seconds(cast, harness):
    harness.start_worker()
    case = make_case(cast, share_with_bhc=False)
    started = time.monotonic()
    event = share(cast, case)
    wait_for(lambda: delivered(event), timeout=10)
    assert time.monotonic() - started < 5

    # The UK desk and the embassy's focal point; HQ acted, so HQ is not told.
    assert recipients(event) == ["bhc.focal", "uk.officer"]
    assert recipients(event, Channel.EMAIL) == ["bhc.focal", "uk.officer"]
    messages = harness.emails()
    assert sorted(m["To"] for m in messages) == ["bhc.focal@example.org", "uk.officer@example.org"]
    for message in messages:
        assert case.reference in message["Subject"]
        # Text and HTML, the same sentence (docs/notifications.md).
        assert message.get_content_type() == "multipart/alternative"
        parts = {
            part.get_content_type(): part.get_payload(decode=True).decode()
            for part in message.walk()
            if not part.is_multipart()
        }
        assert set(parts) == {"text/plain", "text/html"}
        assert f"{case.reference} was shared with your" in parts["text/plain"]
        assert f"{case.reference} was shared with your" in parts["text/html"]
        text = message["Subject"] + "".join(parts.values())
        assert not any(word in text for word in PERSONAL)


def test_the_same_task_run_twice_delivers_once(cast, harness):
    worker = harness.start_worker()
    event = share(cast, make_case(cast, share_with_bhc=False))
    deliver_event.delay(event.pk)  # a redelivered message
    deliver_event.delay(event.pk)  # and the sweeper's

    def three_runs_succeeded():
        """the worker ran deliver_event three times"""
        return worker.log.read_text().count("tasks.deliver_event[") >= 6  # received + succeeded

    wait_for(three_runs_succeeded, timeout=20)
    assert "Traceback" not in worker.log.read_text()
    assert recipients(event) == ["bhc.focal", "uk.officer"]
    assert Notification.objects.filter(event=event).count() == 2
    assert len(harness.emails()) == 2
    assert all(
        d.attempts == 1 for d in Delivery.objects.filter(event=event, status=DeliveryStatus.SENT)
    )


def test_a_user_whose_access_was_revoked_before_delivery_receives_nothing(cast, harness):
    case = make_case(cast, share_with_bhc=False)
    with this_process_publishes_to(SHARED_REDIS, SESSION_QUEUE):
        event = share(cast, case)  # enqueued; no worker is running yet
    CaseShare.objects.filter(case=case).update(revoked_at=timezone.now())
    sync_case_grants(case)
    harness.start_worker()
    wait_for(lambda: delivered(event), timeout=15)
    assert recipients(event) == ["uk.officer"]  # the lead office still sees its case
    assert [m["To"] for m in harness.emails()] == ["uk.officer@example.org"]
    skipped = Delivery.objects.filter(event=event, user=cast.focal_point)
    assert {d.status for d in skipped} == {DeliveryStatus.SKIPPED}


def test_with_redis_down_a_share_commits_and_the_sweeper_delivers_it_once(cast, harness, caplog):
    server = harness.own_redis()
    harness.start_worker()
    case = case_create(
        acting_user=cast.uk, lead_office=cast.offices["GBR"], kind="TIP", title="Recruitment"
    )
    server.stop()  # Redis goes away; then the UK officer shares the case with the embassy

    started = time.monotonic()
    share = case_share(
        acting_user=cast.uk,
        case=case,
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H1,
        partner=cast.partners["BHC"],
    )
    assert time.monotonic() - started < 5  # the request was not held hostage by the broker
    assert CaseShare.objects.filter(pk=share.pk, revoked_at__isnull=True).exists()  # committed
    event = NotificationEvent.objects.get(kind=EventKind.CASE_SHARED, subject_id=case.pk)
    assert event.status == EventStatus.PENDING and not Notification.objects.exists()
    (warning,) = [r for r in caplog.records if r.name.startswith("liaison_offices.delivery")]
    assert warning.getMessage().startswith(f"Could not enqueue event {event.pk} (")
    assert "redis://" not in warning.getMessage() and case.reference not in warning.getMessage()

    server.start()  # Redis is back (empty: whatever was in it is gone)
    later = timezone.now() + delivery.SWEEP_AFTER + timedelta(seconds=1)
    assert delivery.sweep_undelivered(now=later).events == [event.pk]
    delivery.sweep_undelivered(now=later)  # a second sweep before the worker got to it
    wait_for(lambda: delivered(event), timeout=40)
    assert recipients(event) == ["bhc.focal"]  # the embassy's focal point; not the sharer
    assert recipients(event, Channel.EMAIL) == ["bhc.focal"]
    assert Notification.objects.filter(event=event).count() == 1
    assert [m["To"] for m in harness.emails()] == ["bhc.focal@example.org"]


def test_a_worker_killed_mid_delivery_still_delivers_exactly_once(cast, harness):
    harness.own_redis()  # the killed worker's unacknowledged message stays in this one
    receiver = WebhookReceiver(hold_seconds=60).start()
    try:
        hook = PartnerWebhook.objects.create(partner=cast.partners["BHC"], url=receiver.url)
        first = harness.start_worker()
        event = share(cast, make_case(cast, share_with_bhc=False))
        assert receiver.arrived.wait(15), "the webhook never reached the partner"
        first.kill(signal.SIGKILL)  # while it waits for the partner's answer
        receiver.hold_seconds = 0
        receiver.release.set()

        row = Delivery.objects.get(event=event, channel=Channel.WEBHOOK)
        assert row.status == DeliveryStatus.CLAIMED  # held by a dead worker
        harness.start_worker()
        later = row.claimed_at + delivery.CLAIM_LEASE + timedelta(seconds=1)
        swept = delivery.sweep_undelivered(now=later)
        assert swept.reclaimed == 1 and swept.webhooks == [row.pk]
        wait_for(lambda: delivered(event), timeout=20)
    finally:
        receiver.stop()

    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert recipients(event) == ["bhc.focal", "uk.officer"]
    assert len(harness.emails()) == 2
    # The POST in flight when the worker died reached the partner; the resend carries the
    # same delivery id and signature scheme, so the partner keeps one.
    assert [r.headers["x-gloact-delivery"] for r in receiver.received] == [str(row.pk)] * 2
    hook.refresh_from_db()
    assert hook.last_success_at is not None


def test_a_500_from_the_partner_is_retried_by_the_worker_after_a_backoff(cast, harness):
    receiver = WebhookReceiver(statuses=[500, 200]).start()
    try:
        PartnerWebhook.objects.create(partner=cast.partners["BHC"], url=receiver.url)
        harness.start_worker(NOTIFICATIONS_RETRY_BASE_SECONDS="2")  # first retry after 1-2 s
        event = share(cast, make_case(cast, share_with_bhc=False))
        wait_for(lambda: delivered(event), timeout=15)
    finally:
        receiver.stop()
    row = Delivery.objects.get(event=event, channel=Channel.WEBHOOK)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    first, second = receiver.received
    assert first.headers["x-gloact-delivery"] == second.headers["x-gloact-delivery"]
    assert first.at + 1 <= second.at <= first.at + 5  # the backoff: 1-2 s, not at once


def status_changed(cast, case) -> NotificationEvent:
    """An event for the UK desk only (in-app and email, no partner, no webhook), committed."""
    with transaction.atomic():
        return publish(
            kind=EventKind.CASE_STATUS_CHANGED,
            subject=case,
            actor=cast.hq,
            offices=[cast.offices["GBR"]],
            payload={"status": "investigation"},
        )


@pytest.mark.parametrize("persist", [False, True], ids=["redis-loses-its-data", "redis-keeps-it"])
def test_a_redis_restart_under_unacknowledged_work_leaves_the_worker_alive(cast, harness, persist):
    """Issue 16, 1: the worker held a webhook retry waiting for its countdown (delivered to it,
    not acknowledged) when Redis restarted; it used to exit with AttributeError('hostname')."""
    server = harness.own_redis(persist=persist)
    receiver = WebhookReceiver(statuses=[500, 200]).start()
    try:
        PartnerWebhook.objects.create(partner=cast.partners["BHC"], url=receiver.url)
        worker = harness.start_worker(NOTIFICATIONS_RETRY_BASE_SECONDS="8")  # retry in 4-8 s
        event = share(cast, make_case(cast, share_with_bhc=False))
        wait_for(lambda: "retry: Retry in" in worker.log.read_text(), timeout=20)
        time.sleep(0.5)  # the retry's message is back with the worker, waiting for its time
        server.stop()
        time.sleep(3)  # down long enough for the worker's reconnect to fail at least once
        server.start()  # on the same port; empty unless it persists
        # No sweep runs here: the worker itself puts back what it held.
        wait_for(lambda: delivered(event), timeout=40)
        later = status_changed(cast, make_case(cast, share_with_bhc=False))
        wait_for(lambda: delivered(later), timeout=20)  # and it still takes new work
    finally:
        receiver.stop()
    assert worker.process.poll() is None, worker.tail()
    log = worker.log.read_text()
    assert "Unrecoverable error" not in log
    assert "kept until it is back" in log and "Put back 1 message(s)" in log
    row = Delivery.objects.get(event=event, channel=Channel.WEBHOOK)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert [r.headers["x-gloact-delivery"] for r in receiver.received] == [str(row.pk)] * 2
    # Put back once: Redis's own copy (when it kept one) is moved, not added to.
    client = redis.Redis.from_url(server.url)
    assert client.hlen("unacked") == 0 and client.llen(WEBHOOK_QUEUE) == 0


def test_a_slow_partner_holds_up_neither_the_inbox_nor_email(cast, harness):
    """Issue 16, 3: a partner answering after 8 s (the sender gives up at 5 s) delayed every
    in-app and email delivery, sharing their queue and worker. Now it holds its own worker."""
    receiver = WebhookReceiver(hold_seconds=8).start()
    try:
        PartnerWebhook.objects.create(partner=cast.partners["BHC"], url=receiver.url)
        harness.start_worker(consumes=SESSION_QUEUE)
        webhooks = harness.start_worker(
            consumes=WEBHOOK_QUEUE, NOTIFICATIONS_RETRY_BASE_SECONDS="2"
        )
        slow = share(cast, make_case(cast, share_with_bhc=False))
        assert receiver.arrived.wait(20), "the webhook never reached the partner"
        others = [status_changed(cast, make_case(cast, share_with_bhc=False)) for _ in range(3)]
        wait_for(lambda: all(delivered(event) for event in others), timeout=20)

        # Everything else went out while the webhook worker still waited on the partner.
        row = Delivery.objects.get(event=slow, channel=Channel.WEBHOOK)
        assert row.status == DeliveryStatus.CLAIMED and len(receiver.received) == 1
        assert recipients(slow) == ["bhc.focal", "uk.officer"]  # the slow event's own inboxes
        for event in others:
            assert recipients(event) == ["uk.officer"]
            assert recipients(event, Channel.EMAIL) == ["uk.officer"]

        receiver.hold_seconds = 0  # the partner recovers; the timed-out POST is retried
        wait_for(lambda: delivered(slow), timeout=30)
    finally:
        receiver.stop()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert "unreachable" in webhooks.log.read_text() or row.last_error == ""
    assert len(harness.emails()) == 2 + 3


def test_a_partner_never_has_more_webhooks_in_flight_than_its_bound(cast, harness):
    """Issue 16, 3: WEBHOOK_PARTNER_CONCURRENCY bounds one partner's deliveries in flight
    across the webhook workers; the others wait their turn and all arrive."""
    receiver = WebhookReceiver(hold_seconds=1).start()
    in_flight, most = 0, 0
    lock = threading.Lock()
    original = receiver.server.RequestHandlerClass.do_POST

    def counting(handler):
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            original(handler)
        finally:
            with lock:
                in_flight -= 1

    receiver.server.RequestHandlerClass.do_POST = counting
    try:
        PartnerWebhook.objects.create(partner=cast.partners["BHC"], url=receiver.url)
        harness.start_worker(consumes=SESSION_QUEUE)
        for _ in range(2):  # two webhook worker processes, each able to hold the partner
            harness.start_worker(consumes=WEBHOOK_QUEUE, WEBHOOK_PARTNER_CONCURRENCY="1")
        events = [share(cast, make_case(cast, share_with_bhc=False)) for _ in range(4)]
        wait_for(lambda: all(delivered(event) for event in events), timeout=60)
    finally:
        receiver.stop()
    assert len(receiver.received) == 4 and most == 1
    rows = Delivery.objects.filter(event__in=events, channel=Channel.WEBHOOK)
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.SENT, 1)}


def test_sweeps_queued_during_an_outage_do_the_work_once(cast, harness):
    """Issue 16, 8: with no worker running, beat kept sending a sweep a minute; the worker
    coming back ran them back to back, each enqueuing the same work again. Now each expires
    before the next is due, and the one that runs does the work once."""
    from datetime import UTC, datetime

    from liaison_offices.tasks import sweep_undelivered_events

    server = harness.own_redis()
    with this_process_publishes_to(server.url, SESSION_QUEUE):
        server.stop()
        events = [status_changed(cast, make_case(cast, share_with_bhc=False)) for _ in range(3)]
        server.start()  # back, and empty: the events' messages were never sent
        NotificationEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            created_at=timezone.now() - timedelta(minutes=6)
        )
        now = datetime.now(UTC)
        entry = settings.CELERY_BEAT_SCHEDULE["sweep-undelivered-events"]
        for minutes_ago in range(5, -1, -1):  # as beat sent them, one a minute, the last now
            sent = now - timedelta(minutes=minutes_ago)
            sweep_undelivered_events.apply_async(
                expires=sent + timedelta(seconds=entry["options"]["expires"])
            )
    worker = harness.start_worker()
    wait_for(lambda: all(delivered(event) for event in events), timeout=30)
    time.sleep(1)  # anything else queued would have been received by now
    log = worker.log.read_text()
    assert log.count("Discarding revoked task: liaison_offices.tasks.sweep_undelivered") == 5
    ran = [
        line
        for line in log.splitlines()
        if "sweep_undelivered_events[" in line and "succeeded" in line
    ]
    assert len(ran) == 1, log
    planned = [line for line in log.splitlines() if "deliver_event[" in line and "received" in line]
    assert len(planned) == len(events)  # one planning task per event, not one per sweep
    for event in events:
        assert recipients(event) == ["uk.officer"]
    assert len(harness.emails()) == len(events)
