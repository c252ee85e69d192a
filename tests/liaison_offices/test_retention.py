"""Retention on PostgreSQL: what the purge deletes (counted), what it never touches, batches,
the dry run, the daily task, HQ's preview page and the settings' guard rails."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from glo_act.models import IdempotencyRecord
from liaison_offices import delivery, retention
from liaison_offices.constants import DeliveryStatus, EventKind
from liaison_offices.models import Delivery, Notification, NotificationEvent
from liaison_offices.notifications import publish
from tests.liaison_offices.notify_support import make_case
from tests.liaison_offices.test_settings import run

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def event(cast, *, age_days: float, dispatched: bool = True) -> NotificationEvent:
    """A case-shared event for the UK office and BHC, delivered (or not), `age_days` old."""
    made = publish(
        kind=EventKind.CASE_SHARED,
        subject=make_case(cast),
        actor=cast.uk,
        offices=[cast.offices["GBR"]],
        partners=[cast.partners["BHC"]],
        payload={"level": "full"},
    )
    if dispatched:
        delivery.dispatch_event(made.pk)
    when = days_ago(age_days)
    NotificationEvent.objects.filter(pk=made.pk).update(created_at=when)
    Delivery.objects.filter(event=made).update(created_at=when)
    Notification.objects.filter(event=made).update(created_at=when)
    made.refresh_from_db()
    return made


def counts() -> dict[str, int]:
    return {
        "events": NotificationEvent.objects.count(),
        "deliveries": Delivery.objects.count(),
        "inbox": Notification.objects.count(),
        "idempotency": IdempotencyRecord.objects.count(),
        "attempts": AccessAttempt.objects.count(),
        "access_log": AccessLog.objects.count(),
    }


def by_rule(outcomes) -> dict[str, int]:
    return {o.rule.name: o.rows for o in outcomes if o.rows}


def idempotency_record(user, key: str, hours_ago: float) -> IdempotencyRecord:
    record = IdempotencyRecord.objects.create(
        user=user, key=key, fingerprint="f" * 64, status_code=201, body={"body": "Any news?"}
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=NOW - dt.timedelta(hours=hours_ago)
    )
    return record


def sign_in_rows(username: str, *, attempt_days: float, log_days: float) -> None:
    attempt = AccessAttempt.objects.create(
        username=username, ip_address="127.0.0.1", user_agent="test", failures_since_start=1
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=days_ago(attempt_days))
    log = AccessLog.objects.create(username=username, ip_address="127.0.0.1", user_agent="t")
    AccessLog.objects.filter(pk=log.pk).update(attempt_time=days_ago(log_days))


def test_the_purge_deletes_what_expired_and_nothing_else(cast):
    old = event(cast, age_days=400)
    assert old.dispatched_at is not None
    old_rows = (old.deliveries.count(), old.notifications.count())
    assert old_rows[0] >= 2 and old_rows[1] >= 1  # in-app and email for the office at least
    waiting = event(cast, age_days=400, dispatched=False)  # never delivered: stays
    young = event(cast, age_days=30)
    idempotency_record(cast.uk, "old", hours_ago=49)
    idempotency_record(cast.uk, "fresh", hours_ago=1)
    sign_in_rows("uk.officer", attempt_days=91, log_days=731)
    sign_in_rows("italy.officer", attempt_days=10, log_days=400)
    before = counts()

    dry = retention.purge(now=NOW, dry_run=True)
    assert counts() == before  # a dry run deletes nothing
    expected = {
        # the old event's final deliveries and inbox lines go by their own rules first
        "inbox": old_rows[1],
        "deliveries": old_rows[0],
        "events": 1,
        "idempotency": 1,
        "access_attempts": 1,
        "access_log": 1,
    }
    assert by_rule(dry) == expected

    assert by_rule(retention.purge(now=NOW)) == expected
    after = counts()
    assert after == {
        "events": before["events"] - 1,
        "deliveries": before["deliveries"] - old_rows[0],
        "inbox": before["inbox"] - old_rows[1],
        "idempotency": 1,
        "attempts": 1,
        "access_log": 1,
    }
    assert not NotificationEvent.objects.filter(pk=old.pk).exists()
    assert set(NotificationEvent.objects.values_list("pk", flat=True)) >= {waiting.pk, young.pk}
    assert IdempotencyRecord.objects.get().key == "fresh"
    assert by_rule(retention.purge(now=NOW)) == {}  # nothing left to delete


def test_an_event_with_an_email_held_for_a_digest_stays(cast, settings):
    old = event(cast, age_days=400)
    held = old.deliveries.filter(channel="email").first()
    Delivery.objects.filter(pk=held.pk).update(status=DeliveryStatus.DIGEST)
    outcome = by_rule(retention.purge(now=NOW))
    assert "events" not in outcome
    assert Delivery.objects.filter(pk=held.pk).exists()


def test_inbox_lines_go_before_their_event_by_their_own_rule(cast):
    recent = event(cast, age_days=200)  # past the inbox's 180 days, within the event's 365
    inbox = recent.notifications.count()
    assert by_rule(retention.purge(now=NOW)) == {"inbox": inbox}
    assert NotificationEvent.objects.filter(pk=recent.pk).exists()
    assert recent.deliveries.count() > 0


def test_zero_keeps_a_kind_for_good(cast, settings):
    settings.RETENTION_IDEMPOTENCY_HOURS = 0
    idempotency_record(cast.uk, "ancient", hours_ago=24 * 3650)
    assert by_rule(retention.purge(now=NOW)) == {}
    assert IdempotencyRecord.objects.count() == 1


def test_rows_are_deleted_in_batches_each_its_own_statement(cast, settings):
    settings.RETENTION_BATCH_SIZE = 2
    for n in range(5):
        idempotency_record(cast.uk, f"k{n}", hours_ago=100)
    with CaptureQueriesContext(connection) as queries:
        assert by_rule(retention.purge(now=NOW)) == {"idempotency": 5}
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1
    assert all("glo_act_idempotencyrecord" in sql for sql in deletes)
    # Each batch starts after the last one's highest id: no batch re-reads deleted rows.
    selects = [q["sql"] for q in queries if "glo_act_idempotencyrecord" in q["sql"]]
    assert sum('"id" >' in sql for sql in selects) == 4  # the three batches and the empty end


def test_the_command_reports_each_rule_and_the_dry_run_deletes_nothing(cast):
    idempotency_record(cast.uk, "old", hours_ago=49)
    out = io.StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    text = out.getvalue()
    assert (
        "Stored API responses for Idempotency-Key replays: would delete 1 (older than 48 hours"
        in text
    )
    assert "Would delete 1 row(s) in all." in text
    assert IdempotencyRecord.objects.count() == 1
    out = io.StringIO()
    call_command("purge_expired", stdout=out)
    assert "Deleted 1 row(s) in all." in out.getvalue()
    assert IdempotencyRecord.objects.count() == 0


def test_beat_runs_the_purge_daily_as_a_registered_task(cast, settings):
    from glo_act.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired"]
    assert entry["task"] == "liaison_offices.retention.purge_expired"
    app.loader.import_default_modules()  # what a worker imports on start
    assert entry["task"] in app.tasks
    idempotency_record(cast.uk, "old", hours_ago=49)
    app.tasks[entry["task"]].apply()
    assert IdempotencyRecord.objects.count() == 0


def test_hq_sees_what_the_policy_deletes_now_and_others_do_not(cast, login):
    idempotency_record(cast.uk, "old", hours_ago=49)
    page = login(cast.hq).get("/admin/retention/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "RETENTION_IDEMPOTENCY_HOURS" in text and "48 hours" in text
    rows = {o.rule.name: o.rows for o in page.context["outcomes"]}
    assert rows["idempotency"] == 1 and rows["events"] == 0
    assert "never deleted" in text
    assert IdempotencyRecord.objects.count() == 1  # looking deletes nothing
    index = login(cast.hq).get("/admin/")
    assert b'href="/admin/retention/"' in index.content
    refused = login(cast.uk).get("/admin/retention/")
    assert refused.status_code == 302 and "/admin/login/" in refused["Location"]


def test_spent_form_tokens_expired_sessions_and_expired_api_tokens_go_by_their_rules(cast):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from knox.models import AuthToken

    from glo_act.models import FormSubmission
    from glo_act.submit_once import new_token

    for name, age in [("old", 31), ("fresh", 29)]:
        row = FormSubmission.objects.create(user=cast.uk, token=new_token(), path=f"/{name}/")
        FormSubmission.objects.filter(pk=row.pk).update(created_at=days_ago(age))
    sessions = {}
    for name, expiry in [("long_gone", -2), ("just_expired", -0.5), ("live", 14)]:
        store = SessionStore()
        store.create()
        Session.objects.filter(pk=store.session_key).update(expire_date=days_ago(-expiry))
        sessions[name] = store.session_key
    tokens = {}
    for name, expiry in [("long_expired", -31), ("just_expired", -1), ("live", 1)]:
        instance, _ = AuthToken.objects.create(user=cast.uk, expiry=dt.timedelta(days=1))
        AuthToken.objects.filter(pk=instance.pk).update(expiry=days_ago(-expiry))
        tokens[name] = instance.pk
    AuthToken.objects.create(user=cast.hq, expiry=None)  # never expires: never deleted

    expected = {"form_submissions": 1, "sessions": 1, "api_tokens": 1}
    assert by_rule(retention.purge(now=NOW, dry_run=True)) == expected
    assert by_rule(retention.purge(now=NOW)) == expected
    assert list(FormSubmission.objects.values_list("path", flat=True)) == ["/fresh/"]
    assert set(Session.objects.values_list("pk", flat=True)) == {
        sessions["just_expired"],
        sessions["live"],
    }
    assert set(AuthToken.objects.filter(user=cast.uk).values_list("pk", flat=True)) == {
        tokens["just_expired"],
        tokens["live"],
    }
    assert AuthToken.objects.filter(user=cast.hq, expiry=None).exists()


def test_hq_sees_the_form_session_and_token_rules_on_the_retention_page(cast, login):
    text = login(cast.hq).get("/admin/retention/").content.decode()
    for setting in (
        "RETENTION_FORM_SUBMISSION_DAYS",
        "RETENTION_EXPIRED_SESSION_DAYS",
        "RETENTION_EXPIRED_TOKEN_DAYS",
    ):
        assert setting in text
    assert "Spent page-form tokens" in text and "counted from when they expired" in text


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"RETENTION_EVENT_DAYS": "30"}, "RETENTION_EVENT_DAYS must be at least"),
        ({"RETENTION_INBOX_DAYS": "-1"}, "RETENTION_INBOX_DAYS must be 0"),
        ({"RETENTION_EXPIRED_SESSION_DAYS": "-1"}, "RETENTION_EXPIRED_SESSION_DAYS must be 0"),
        ({"RETENTION_BATCH_SIZE": "0"}, "RETENTION_BATCH_SIZE must be 1"),
        ({"RETENTION_ACCESS_ATTEMPT_DAYS": "1", "AXES_COOLOFF_MINUTES": "2880"}, "outlast"),
    ],
)
def test_settings_refuse_a_policy_that_would_delete_too_early(environ, message):
    result = run(["-c", "import django; django.setup()"], DEBUG="1", **environ)
    assert result.returncode != 0
    assert message in result.stderr
