"""Notifications in one process: the outbox, recipients at delivery time, once-only delivery,
preferences and digests, the inbox services, the sweeper and reminders.

The worker process, Redis faults and a SIGKILLed worker are in tests/integration.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.grants import sync_case_grants
from cases.models import Case, CaseShare
from glo_act.celery import app as celery_app
from glo_act.db import ADVISORY_SWEEP
from glo_act.errors import DomainError, PermissionDenied
from liaison_offices import delivery, reminders, services
from liaison_offices.constants import (
    Channel,
    DeliveryStatus,
    EventKind,
    EventStatus,
    NotificationMode,
)
from liaison_offices.models import (
    Delivery,
    Membership,
    Notification,
    NotificationEvent,
)
from liaison_offices.notifications import (
    notification_mark_read,
    notifications_mark_all_read,
    preference_set,
    publish,
    unread_count,
)
from tests.liaison_offices.notify_support import PERSONAL, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The cast's passwords hashed cheaply: these tests are about delivery, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def share_event(cast, case, **extra) -> NotificationEvent:
    """The UK officer shares `case` with the British High Commission (HQ is told too)."""
    return publish(
        kind=EventKind.CASE_SHARED,
        subject=case,
        actor=cast.uk,
        offices=[cast.offices["GBR"]],
        partners=[cast.partners["BHC"]],
        payload={"level": "full", "handling_code": "H1", "case": case.pk},
        **extra,
    )


def told(event) -> set[str]:
    return set(Notification.objects.filter(event=event).values_list("user__username", flat=True))


# --- publish: the outbox row ---------------------------------------------------------------------
def test_publish_writes_the_outbox_row_and_enqueues_only_after_commit(
    cast, django_capture_on_commit_callbacks
):
    case = make_case(cast)
    with django_capture_on_commit_callbacks() as callbacks:
        event = share_event(cast, case)
    assert len(callbacks) == 1  # exactly one enqueue, registered for after the commit
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING
    assert event.subject_label == case.reference
    assert event.office_ids == [cast.offices["GBR"].pk]
    assert event.partner_ids == [cast.partners["BHC"].pk]
    assert event.actor_id == cast.uk.pk


def test_a_rolled_back_change_leaves_no_event(cast):
    case = make_case(cast)
    with pytest.raises(RuntimeError), transaction.atomic():
        share_event(cast, case)
        raise RuntimeError("the service failed after publishing")
    assert not NotificationEvent.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "Ayesha Fictiwala"},
        {"passport_number": "AB1234567"},
        {"summary": "x"},
        {"note": "Ayesha Fictiwala was recruited in Lahore by an agent of the employer"},
        {"nested": {"victim": 1}},
    ],
)
def test_publish_refuses_payloads_that_could_carry_personal_data(cast, payload):
    case = make_case(cast)
    with pytest.raises(ValueError):
        publish(
            kind=EventKind.CASE_SHARED, subject=case, offices=[cast.offices["GBR"]], payload=payload
        )
    assert not NotificationEvent.objects.exists()


def test_publish_refuses_an_unknown_kind(cast):
    with pytest.raises(ValueError):
        publish(kind="case_exploded", subject=make_case(cast))


# --- recipients at delivery time -----------------------------------------------------------------
def test_the_targets_who_can_see_the_case_are_told_and_the_actor_is_not(cast):
    case = make_case(cast)
    event = share_event(cast, case)
    delivery.dispatch_event(event.pk)
    # GBR desk (uk is the actor, so nobody else there) and BHC's focal point; not Italy, not
    # Spain, not IOM, not HQ (HQ sees everything but was not targeted).
    assert told(event) == {"bhc.focal"}
    assert [m.to for m in mail.outbox] == [["bhc.focal@example.org"]]
    event.refresh_from_db()
    assert event.status == EventStatus.DONE and event.dispatched_at is not None


def test_the_batch_access_check_agrees_with_visible_to_user_by_user(cast, assert_queries):
    from liaison_offices.constants import Role

    case = make_case(cast)  # led by the UK office, shared with the British High Commission
    event = share_event(cast, case)
    # A second officer at the UK and at the Italy office: the check is asked once per scope,
    # and each answer must reach every member of that scope.
    seconds = []
    for code in ("GBR", "ITA"):
        officer = get_user_model().objects.create_user(f"second.{code.lower()}")
        services.membership_add(
            acting_user=None, user=officer, role=Role.OFFICER, office=cast.offices[code]
        )
        seconds.append(officer)
    cast_members = [cast.uk, cast.italy, cast.spain, cast.focal_point, cast.provider, cast.hq]
    cast_members += seconds

    def fresh():
        return list(get_user_model().objects.filter(pk__in=[u.pk for u in cast_members]))

    one_by_one = {u.pk for u in fresh() if Case.objects.visible_to(u).filter(pk=case.pk).exists()}
    users = fresh()
    # 1. the six users' scopes in one UNION (access.remember_scopes)
    # 2. one UNION ALL of the visibility probes, one per scope (six, for eight users)
    with assert_queries(2):
        batch = delivery.visible_among(event, users)
    assert batch == one_by_one == {cast.uk.pk, seconds[0].pk, cast.focal_point.pk, cast.hq.pk}


def test_more_recipients_cost_no_more_queries(cast):
    case = make_case(cast)
    counts = []
    for users in ([cast.uk], [cast.uk, cast.focal_point, cast.hq]):
        event = publish(kind=EventKind.CASE_MESSAGE, subject=case, users=users)
        with CaptureQueriesContext(connection) as queries:
            delivery.dispatch_event(event.pk)
        counts.append(len(queries))
    # Inbox rows, email claims and "sent" marks are written per batch, not per recipient, and
    # the recipients' access scopes are read in one query (access.remember_scopes).
    assert counts[1] == counts[0]
    # 1 count the planning attempt, 2 savepoint (a transaction outside tests), 3 lock the
    # event, 4 recipients, 5 preferences, 6 scopes, 7 visibility probes, 8 deliveries, 9 inbox
    # rows, 10 planned, 11 savepoint released, 12 pending emails, 13 claim, 14 mark sent,
    # 15 close the event.
    assert counts[0] == 15
    assert len(mail.outbox) == 4


def test_a_granted_colleague_at_the_desk_is_told_too(cast):
    services.office_permission_grant(
        acting_user=cast.hq,
        office=cast.offices["GBR"],
        permission="view_office_cases",
        user=cast.italy,
        reason="Joint investigation",
    )
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    assert told(event) == {"bhc.focal", "italy.officer"}


def test_a_user_whose_share_was_revoked_before_delivery_is_told_nothing(cast):
    case = make_case(cast)
    event = share_event(cast, case)
    CaseShare.objects.filter(case=case).update(revoked_at=timezone.now())
    sync_case_grants(case)
    delivery.dispatch_event(event.pk)
    assert told(event) == set()
    assert mail.outbox == []
    rows = Delivery.objects.filter(event=event, user=cast.focal_point)
    assert {(r.channel, r.status, r.last_error) for r in rows} == {
        (Channel.IN_APP, DeliveryStatus.SKIPPED, "cannot see the subject"),
        (Channel.EMAIL, DeliveryStatus.SKIPPED, "cannot see the subject"),
    }


def test_a_member_who_left_the_partner_before_delivery_is_told_nothing(cast):
    event = share_event(cast, make_case(cast))
    membership = Membership.objects.get(user=cast.focal_point)
    services.membership_end(acting_user=cast.hq, membership=membership)
    delivery.dispatch_event(event.pk)
    assert told(event) == set()
    assert not Delivery.objects.filter(event=event, user=cast.focal_point).exists()


def test_share_revoked_can_tell_the_former_recipient_who_no_longer_sees_the_case(cast):
    case = make_case(cast)
    CaseShare.objects.filter(case=case).update(revoked_at=timezone.now())
    sync_case_grants(case)
    event = publish(
        kind=EventKind.SHARE_REVOKED,
        subject=case,
        actor=cast.uk,
        partners=[cast.partners["BHC"]],
        check_visibility=False,
    )
    delivery.dispatch_event(event.pk)
    assert told(event) == {"bhc.focal"}


# --- once only ------------------------------------------------------------------------------------
def test_the_same_task_run_twice_delivers_once(cast):
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    NotificationEvent.objects.filter(pk=event.pk).update(dispatched_at=None)  # as if not closed
    delivery.dispatch_event(event.pk)
    assert Notification.objects.filter(event=event).count() == 1
    assert len(mail.outbox) == 1
    assert Delivery.objects.filter(event=event, status=DeliveryStatus.SENT).count() == 2


def test_the_inbox_is_written_with_the_plan_and_its_deliveries_are_born_sent(cast):
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    event.refresh_from_db()
    row = Delivery.objects.get(event=event, user=cast.focal_point, channel=Channel.IN_APP)
    inbox = Notification.objects.get(event=event, user=cast.focal_point)
    # Sent in planning's transaction, at the planning instant: nothing is left to retry.
    assert (row.status, row.attempts, row.delivered_at) == (
        DeliveryStatus.SENT,
        1,
        event.planned_at,
    )
    assert inbox.created_at == event.planned_at
    assert delivery.retry_deliveries([row.pk]) == 0
    assert not Delivery.objects.filter(event=event, channel=Channel.IN_APP).exclude(
        status__in=[DeliveryStatus.SENT, DeliveryStatus.SKIPPED]
    )


def test_a_delivery_can_be_claimed_once(cast):
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    row = Delivery.objects.get(event=event, channel=Channel.EMAIL)
    Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.PENDING)
    now = timezone.now()
    assert delivery.claim(row.pk, now) is True
    assert delivery.claim(row.pk, now) is False


def test_a_failing_email_backend_is_retried_later_then_sent(cast, settings):
    settings.EMAIL_BACKEND = "tests.liaison_offices.test_notifications.BrokenEmailBackend"
    event = share_event(cast, make_case(cast))
    result = delivery.dispatch_event(event.pk)
    row = Delivery.objects.get(event=event, channel=Channel.EMAIL)
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert row.last_error == "ConnectionRefusedError"
    assert 5 <= result.retry_in <= 10  # first backoff: 10 s ceiling, half of it fixed
    assert row.next_attempt_at > timezone.now()
    event.refresh_from_db()
    assert event.dispatched_at is None  # still in the outbox

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    delivery.dispatch_event(event.pk)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 2
    assert len(mail.outbox) == 1


class BrokenEmailBackend:
    """An SMTP server that refuses connections (the email leaves the machine here)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")

    def close(self):
        pass


def test_a_retried_email_checks_access_again(cast, settings):
    settings.EMAIL_BACKEND = "tests.liaison_offices.test_notifications.BrokenEmailBackend"
    case = make_case(cast)
    event = share_event(cast, case)
    delivery.dispatch_event(event.pk)  # the email fails; a retry is due later
    CaseShare.objects.filter(case=case).update(revoked_at=timezone.now())  # then access ends
    sync_case_grants(case)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    an_hour_ago = timezone.now() - timedelta(hours=1)
    NotificationEvent.objects.filter(pk=event.pk).update(planned_at=an_hour_ago)
    Delivery.objects.filter(event=event).update(next_attempt_at=an_hour_ago)
    delivery.dispatch_event(event.pk)
    assert mail.outbox == []
    row = Delivery.objects.get(event=event, channel=Channel.EMAIL)
    assert (row.status, row.last_error) == (
        DeliveryStatus.SKIPPED,
        "cannot see the subject any more",
    )


def test_retries_give_up_after_the_bound_and_record_the_error(cast, settings):
    settings.EMAIL_BACKEND = "tests.liaison_offices.test_notifications.BrokenEmailBackend"
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    row = Delivery.objects.get(event=event, channel=Channel.EMAIL)
    for _ in range(delivery.MAX_ATTEMPTS + 2):
        Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        delivery.dispatch_event(event.pk)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == delivery.MAX_ATTEMPTS
    event.refresh_from_db()
    assert event.status == EventStatus.DONE


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    firsts = {round(delivery.backoff(1), 3) for _ in range(20)}
    assert all(5 <= value <= 10 for value in firsts) and len(firsts) > 1  # jittered
    assert 40 <= delivery.backoff(4) <= 80
    assert delivery.backoff(30) <= delivery.RETRY_MAX_COUNTDOWN


def test_redis_visibility_timeout_outlasts_the_longest_retry_and_a_claim():
    # Otherwise Redis hands a waiting retry (an unacked ETA message) to a second worker.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > delivery.RETRY_MAX_COUNTDOWN + delivery.CLAIM_LEASE.total_seconds()
    # And a live worker keeps its claim until Celery's hard limit has killed it.
    assert delivery.CLAIM_LEASE.total_seconds() > settings.CELERY_TASK_TIME_LIMIT


# --- personal data --------------------------------------------------------------------------------
def test_no_notification_or_email_carries_the_cases_personal_data(cast):
    case = make_case(cast)
    assert any(word in case.title for word in PERSONAL)  # the case itself does hold it
    event = share_event(cast, case)
    delivery.dispatch_event(event.pk)
    notification = Notification.objects.get(event=event)
    assert case.reference in notification.title
    texts = [notification.title, notification.text, mail.outbox[0].subject, mail.outbox[0].body]
    for text in texts:
        for word in PERSONAL:
            assert word not in text


# --- preferences and the digest -------------------------------------------------------------------
def test_email_off_sends_no_email_but_keeps_the_inbox(cast):
    preference_set(acting_user=cast.focal_point, channel=Channel.EMAIL, mode=NotificationMode.OFF)
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    assert told(event) == {"bhc.focal"}
    assert mail.outbox == []
    row = Delivery.objects.get(event=event, channel=Channel.EMAIL)
    assert (row.status, row.last_error) == (DeliveryStatus.SKIPPED, "turned off by the user")


def test_inbox_off_leaves_no_inbox_row(cast):
    preference_set(acting_user=cast.focal_point, channel=Channel.IN_APP, mode=NotificationMode.OFF)
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    assert told(event) == set()
    assert len(mail.outbox) == 1


def test_a_daily_digest_holds_the_emails_and_sends_one_listing_them(cast):
    preference_set(
        acting_user=cast.focal_point, channel=Channel.EMAIL, mode=NotificationMode.DAILY_DIGEST
    )
    first, second = make_case(cast), make_case(cast)
    for case in (first, second):
        delivery.dispatch_event(share_event(cast, case).pk)
    assert mail.outbox == []
    assert Delivery.objects.filter(status=DeliveryStatus.DIGEST).count() == 2
    assert NotificationEvent.objects.filter(status=EventStatus.DONE).count() == 2

    assert delivery.send_digests() == (1, 0)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert first.reference in body and second.reference in body
    assert not any(word in body for word in PERSONAL)
    assert Delivery.objects.filter(channel=Channel.EMAIL, status=DeliveryStatus.SENT).count() == 2
    assert delivery.send_digests() == (0, 0)  # nothing held twice
    assert len(mail.outbox) == 1


def test_the_digest_leaves_out_cases_the_user_can_no_longer_see(cast):
    preference_set(
        acting_user=cast.focal_point, channel=Channel.EMAIL, mode=NotificationMode.DAILY_DIGEST
    )
    kept, revoked = make_case(cast), make_case(cast)
    for case in (kept, revoked):
        delivery.dispatch_event(share_event(cast, case).pk)
    CaseShare.objects.filter(case=revoked).update(revoked_at=timezone.now())
    sync_case_grants(revoked)
    delivery.send_digests()
    body = mail.outbox[0].body
    assert kept.reference in body and revoked.reference not in body


def test_preferences_refuse_an_inbox_digest_and_unknown_values(cast):
    with pytest.raises(DomainError):
        preference_set(
            acting_user=cast.uk, channel=Channel.IN_APP, mode=NotificationMode.DAILY_DIGEST
        )
    with pytest.raises(DomainError):
        preference_set(acting_user=cast.uk, channel=Channel.WEBHOOK, mode=NotificationMode.OFF)
    with pytest.raises(DomainError):
        preference_set(acting_user=cast.uk, channel=Channel.EMAIL, mode="hourly")
    first = preference_set(acting_user=cast.uk, channel=Channel.EMAIL, mode=NotificationMode.OFF)
    again = preference_set(
        acting_user=cast.uk, channel=Channel.EMAIL, mode=NotificationMode.IMMEDIATE
    )
    assert first.pk == again.pk and again.mode == NotificationMode.IMMEDIATE


# --- the inbox ------------------------------------------------------------------------------------
def test_the_inbox_shows_only_ones_own_notifications(cast):
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    mine = Notification.objects.get(event=event)
    assert list(Notification.objects.visible_to(cast.focal_point)) == [mine]
    assert not Notification.objects.visible_to(cast.hq).exists()  # HQ reads no one's inbox
    with pytest.raises(PermissionDenied):
        notification_mark_read(acting_user=cast.hq, notification=mine)
    mine.refresh_from_db()
    assert mine.read_at is None


def test_unread_count_and_marking_read(cast, assert_queries):
    for _ in range(3):
        delivery.dispatch_event(share_event(cast, make_case(cast)).pk)
    with assert_queries(1):  # SELECT COUNT(*) over the partial index of unread rows
        assert unread_count(cast.focal_point) == 3
    first = Notification.objects.visible_to(cast.focal_point).first()
    notification_mark_read(acting_user=cast.focal_point, notification=first)
    notification_mark_read(acting_user=cast.focal_point, notification=first)  # idempotent
    assert unread_count(cast.focal_point) == 2
    assert notifications_mark_all_read(acting_user=cast.focal_point) == 2
    assert unread_count(cast.focal_point) == 0
    assert unread_count(cast.uk) == 0


# --- the sweeper ----------------------------------------------------------------------------------
def test_the_sweeper_picks_up_an_event_whose_enqueue_was_lost(cast):
    event = share_event(cast, make_case(cast))  # on_commit never ran: as if Redis was down
    assert delivery.sweep_undelivered(enqueue=False).events == []  # too young: a worker may come
    later = timezone.now() + delivery.SWEEP_AFTER + timedelta(seconds=1)
    assert delivery.sweep_undelivered(now=later, enqueue=False).events == [event.pk]
    delivery.dispatch_event(event.pk)
    assert delivery.sweep_undelivered(now=later, enqueue=False).events == []


def test_the_sweeper_takes_back_a_claim_whose_worker_died(cast):
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    row = Delivery.objects.get(event=event, channel=Channel.EMAIL)
    claimed_at = timezone.now()
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.CLAIMED, claimed_at=claimed_at, attempts=1
    )
    NotificationEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    # Within the lease the claim belongs to a live worker.
    assert delivery.sweep_undelivered(enqueue=False).reclaimed == 0
    later = claimed_at + delivery.CLAIM_LEASE + timedelta(seconds=1)
    result = delivery.sweep_undelivered(now=later, enqueue=False)
    assert result.reclaimed == 1 and result.events == [event.pk]
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING


def test_a_planning_that_keeps_failing_ends_as_failed(cast):
    event = share_event(cast, make_case(cast))
    NotificationEvent.objects.filter(pk=event.pk).update(attempts=delivery.MAX_PLANNING_ATTEMPTS)
    assert delivery.sweep_undelivered(enqueue=False).failed_events == 1
    event.refresh_from_db()
    assert event.status == EventStatus.FAILED and event.dispatched_at is not None


# --- reminders ------------------------------------------------------------------------------------
def test_a_registered_reminder_is_published_once(cast, monkeypatch):
    case = make_case(cast)
    monkeypatch.setattr(reminders, "_registered", [])

    @reminders.register
    def overdue(now):
        yield reminders.Reminder(
            kind=EventKind.REQUEST_OVERDUE,
            subject=case,
            key=f"request_overdue:{case.pk}:20260101",
            offices=[cast.offices["GBR"]],
            payload={"due": "2026-01-01"},
        )

    reminders.register(overdue)  # twice is harmless
    assert reminders.send_due_reminders() == 1
    assert reminders.send_due_reminders() == 0
    event = NotificationEvent.objects.get()
    assert event.kind == EventKind.REQUEST_OVERDUE and event.subject_label == case.reference
    delivery.dispatch_event(event.pk)
    assert told(event) == {"uk.officer"}


def test_a_failing_reminder_producer_does_not_stop_the_others(cast, monkeypatch):
    case = make_case(cast)

    def broken(now):
        raise RuntimeError("bug in a producer")

    def working(now):
        return [
            reminders.Reminder(
                kind=EventKind.FOLLOWUP_DUE, subject=case, key="followup:1", users=[cast.uk]
            )
        ]

    monkeypatch.setattr(reminders, "_registered", [broken, working])
    assert reminders.send_due_reminders() == 1


# --- development without Redis: eager delivery at commit ------------------------------------------
@pytest.fixture
def eager_celery():
    """Celery as configured without REDIS_URL: tasks run in-process when the commit happens."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_redis_the_event_is_delivered_in_process_at_commit(cast, eager_celery):
    case = make_case(cast)
    with transaction.atomic():
        event = share_event(cast, case)
        assert not Notification.objects.exists()  # nothing before the commit
    assert told(event) == {"bhc.focal"}
    assert len(mail.outbox) == 1
    event.refresh_from_db()
    assert event.status == EventStatus.DONE


# --- the beat tasks ---------------------------------------------------------------------------
def test_every_beat_task_in_the_settings_is_a_registered_task():
    # What a worker imports at start: every installed app's tasks module (autodiscovery).
    celery_app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks


def test_the_sweeper_task_delivers_an_event_whose_enqueue_was_lost(cast, eager_celery):
    from liaison_offices.tasks import sweep_undelivered_events

    event = share_event(cast, make_case(cast))  # on_commit never ran: as if Redis was down
    NotificationEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - delivery.SWEEP_AFTER - timedelta(seconds=5)
    )
    sweep_undelivered_events.apply()
    assert told(event) == {"bhc.focal"}
    assert len(mail.outbox) == 1


def test_the_digest_and_reminder_tasks_run(cast, eager_celery, monkeypatch):
    from liaison_offices.tasks import send_daily_digests, send_due_reminders

    case = make_case(cast)
    monkeypatch.setattr(
        reminders,
        "_registered",
        [
            lambda now: [
                reminders.Reminder(
                    kind=EventKind.REQUEST_DUE_SOON, subject=case, key="due:1", users=[cast.uk]
                )
            ]
        ],
    )
    preference_set(acting_user=cast.uk, channel=Channel.EMAIL, mode=NotificationMode.DAILY_DIGEST)
    send_due_reminders.apply()
    event = NotificationEvent.objects.get(dedup_key="due:1")
    delivery.dispatch_event(event.pk)  # (on_commit does not run inside this test's transaction)
    assert mail.outbox == []  # held for the digest
    send_daily_digests.apply()
    assert [m.to for m in mail.outbox] == [["uk.officer@example.org"]]
    assert case.reference in mail.outbox[0].body


# --- Email: a stable Message-ID per delivery (issue 16, 7) ---------------------------------------
def test_an_email_resent_after_a_lost_batch_carries_the_same_message_id(cast):
    """A worker killed mid-batch leaves its claims; the sweeper gives them back and the emails
    already handed to the mail server go out again. The copy must be recognisable."""
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    row = Delivery.objects.get(event=event, channel=Channel.EMAIL)
    (first,) = mail.outbox
    headers = first.message()
    assert headers["X-GloAct-Delivery"] == str(row.pk)
    host = settings.SITE_URL.split("//", 1)[1].split(":")[0].split("/")[0]
    assert headers["Message-ID"] == f"<delivery-{row.pk}.event-{event.pk}@{host}>"

    # The worker died after the send, before recording it: the claim is taken back.
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.CLAIMED, claimed_at=timezone.now() - timedelta(hours=1)
    )
    NotificationEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    assert delivery.sweep_undelivered(enqueue=False).reclaimed == 1
    delivery.dispatch_event(event.pk)
    first_again, second = mail.outbox
    assert second.message()["Message-ID"] == headers["Message-ID"]
    assert second.message()["X-GloAct-Delivery"] == str(row.pk)

    # Another delivery (another event) has another id.
    other = share_event(cast, make_case(cast))
    delivery.dispatch_event(other.pk)
    assert mail.outbox[-1].message()["Message-ID"] != headers["Message-ID"]


def test_a_digest_sent_again_for_the_same_deliveries_has_the_same_message_id(cast):
    preference_set(acting_user=cast.focal_point, channel=Channel.EMAIL, mode="daily_digest")
    event = share_event(cast, make_case(cast))
    delivery.dispatch_event(event.pk)
    assert delivery.send_digest(cast.focal_point.pk) is True
    first = mail.outbox[-1].message()["Message-ID"]
    assert first.startswith(f"<digest-{cast.focal_point.pk}.")
    Delivery.objects.filter(event=event, user=cast.focal_point, channel=Channel.EMAIL).update(
        status=DeliveryStatus.DIGEST
    )  # as if the digest's success was never recorded
    assert delivery.send_digest(cast.focal_point.pk) is True
    assert mail.outbox[-1].message()["Message-ID"] == first


# --- Sweeps that do not multiply (issue 16, 8) ---------------------------------------------------
def test_every_beat_task_expires_before_its_next_run():
    """While no worker runs, beat keeps sending; a worker coming back must not run the pile."""
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        every = schedule if isinstance(schedule, float | int) else None
        expires = entry.get("options", {}).get("expires")
        assert expires, f"{name} never expires"
        if every is not None:
            assert expires < every, name


@pytest.mark.postgres  # an advisory lock
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sweep_does_nothing_while_another_holds_the_lock(cast):
    """Two sweeps at once (queued copies run by two worker processes): the second returns
    at once, changing and enqueuing nothing."""
    import psycopg2

    event = share_event(cast, make_case(cast))  # never enqueued
    later = timezone.now() + delivery.SWEEP_AFTER + timedelta(seconds=1)
    db = connection.settings_dict
    other = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, 0)", [ADVISORY_SWEEP])  # a sweep runs
        result = delivery.sweep_undelivered(now=later, enqueue=False)
        assert result.skipped and result.events == []
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, 0)", [ADVISORY_SWEEP])
    finally:
        other.close()
    result = delivery.sweep_undelivered(now=later, enqueue=False)
    assert not result.skipped and result.events == [event.pk]
