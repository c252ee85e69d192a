"""Retention: what the site deletes once it is no longer needed, and how (docs/retention.md).

Only operational rows expire: the notification outbox and its deliveries, users' inbox lines,
stored idempotent responses, spent page-form tokens, expired sessions and API tokens, sign-in
attempts and the sign-in log. What an audit asks for is
never deleted here: cases and their timeline, victims and their history, consents, referrals,
grants, and the record of every read of personal data.

Each rule keeps its rows for `settings.RETENTION_*` (0 keeps them for good). Rows are deleted
in batches of `RETENTION_BATCH_SIZE`, each batch a transaction of its own: locks stay short,
autovacuum reclaims the space as it goes, and a purge stopped half-way has lost nothing. Each
batch continues after the previous one's last id, so no batch scans again past what the last
one deleted. `purge_expired` runs daily on beat, and as `manage.py purge_expired`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from celery import shared_task
from django.apps import apps
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from liaison_offices.constants import DeliveryStatus

logger = logging.getLogger(__name__)

FINAL_DELIVERY = [DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED]


@dataclass(frozen=True)
class Rule:
    """One kind of row that expires: which rows, after how long, and why it may go."""

    name: str
    label: str
    setting: str
    unit: str  # "days" or "hours"
    model: str  # app_label.ModelName
    time_field: str
    condition: Callable[[], Q | Exists]  # what else a row must be to go, besides its age
    why: str

    @property
    def keep(self) -> int:
        return getattr(settings, self.setting)

    def cutoff(self, now: dt.datetime) -> dt.datetime | None:
        """Rows older than this go; None when the rule keeps everything."""
        if not self.keep:
            return None
        return now - dt.timedelta(**{self.unit: self.keep})

    def installed(self) -> bool:
        label = self.model.split(".")[0]  # an app label ("sessions"), not its module's name
        return any(config.label == label for config in apps.get_app_configs())

    def expired(self, now: dt.datetime) -> QuerySet | None:
        cutoff = self.cutoff(now)
        if cutoff is None or not self.installed():
            return None
        model = apps.get_model(self.model)
        return model._default_manager.filter(**{f"{self.time_field}__lt": cutoff}).filter(
            self.condition()
        )


def _unfinished_deliveries():
    Delivery = apps.get_model("liaison_offices", "Delivery")
    return Delivery.objects.filter(event=OuterRef("pk")).exclude(status__in=FINAL_DELIVERY)


# In the order they run: inbox lines and deliveries before the events they belong to.
RULES = [
    Rule(
        "inbox",
        "In-app notifications (inbox lines)",
        "RETENTION_INBOX_DAYS",
        "days",
        "liaison_offices.Notification",
        "created_at",
        lambda: Q(),
        "A notification points to a case or a referral, whose own timeline keeps the history.",
    ),
    Rule(
        "deliveries",
        "Notification deliveries that are final (sent, failed, skipped)",
        "RETENTION_DELIVERY_DAYS",
        "days",
        "liaison_offices.Delivery",
        "created_at",
        lambda: Q(status__in=FINAL_DELIVERY),
        "Answers 'was the partner or officer told, and when?' for a year; one still pending, "
        "held for a digest or being delivered is never deleted.",
    ),
    Rule(
        "events",
        "Notification events (the outbox) whose every delivery is final",
        "RETENTION_EVENT_DAYS",
        "days",
        "liaison_offices.NotificationEvent",
        "created_at",
        lambda: Q(dispatched_at__isnull=False) & ~Q(Exists(_unfinished_deliveries())),
        "Deleted with what is left of their deliveries and inbox lines; an event not yet "
        "delivered, or with an email still held for a digest, stays in the outbox.",
    ),
    Rule(
        "idempotency",
        "Stored API responses for Idempotency-Key replays",
        "RETENTION_IDEMPOTENCY_HOURS",
        "hours",
        "glo_act.IdempotencyRecord",
        "created_at",
        lambda: Q(),
        "A client retries within minutes; the stored response may quote a message's text, "
        "so it is not kept longer than a retry needs.",
    ),
    Rule(
        "form_submissions",
        "Spent page-form tokens (what makes a form sent twice save once)",
        "RETENTION_FORM_SUBMISSION_DAYS",
        "days",
        "glo_act.FormSubmission",
        "created_at",
        lambda: Q(),
        "Only needed while the same page could be sent again (an open tab, the browser's "
        "history); a page older than this, sent again, would save again.",
    ),
    Rule(
        "sessions",
        "Sign-in sessions, counted from when they expired",
        "RETENTION_EXPIRED_SESSION_DAYS",
        "days",
        "sessions.Session",
        "expire_date",
        lambda: Q(),
        "An expired session signs nobody in; the sign-in log keeps who signed in when.",
    ),
    Rule(
        "api_tokens",
        "API tokens, counted from when they expired",
        "RETENTION_EXPIRED_TOKEN_DAYS",
        "days",
        "knox.AuthToken",
        "expiry",
        lambda: Q(expiry__isnull=False),
        "An expired token opens nothing; its issue stays in the user's account events.",
    ),
    Rule(
        "access_attempts",
        "Failed sign-in attempts (what lock-outs count)",
        "RETENTION_ACCESS_ATTEMPT_DAYS",
        "days",
        "axes.AccessAttempt",
        "attempt_time",
        lambda: Q(),
        "Lock-outs last minutes; three months are enough to see a pattern of attacks.",
    ),
    Rule(
        "access_failures",
        "Failed sign-in log",
        "RETENTION_ACCESS_ATTEMPT_DAYS",
        "days",
        "axes.AccessFailureLog",
        "attempt_time",
        lambda: Q(),
        "As the attempts.",
    ),
    Rule(
        "access_log",
        "Sign-in log (successful sign-ins and sign-outs)",
        "RETENTION_ACCESS_LOG_DAYS",
        "days",
        "axes.AccessLog",
        "attempt_time",
        lambda: Q(),
        "Who signed in when is an audit record: two years.",
    ),
]


@dataclass(frozen=True)
class RuleOutcome:
    rule: Rule
    cutoff: dt.datetime | None
    rows: int  # deleted, or (dry run, preview) that would be


def preview(now: dt.datetime | None = None) -> list[RuleOutcome]:
    """What each rule would delete now: one count query per rule (the HQ admin's page)."""
    now = now or timezone.now()
    outcomes = []
    for rule in RULES:
        expired = rule.expired(now)
        outcomes.append(RuleOutcome(rule, rule.cutoff(now), expired.count() if expired else 0))
    return outcomes


def purge(*, now: dt.datetime | None = None, dry_run: bool = False) -> list[RuleOutcome]:
    """Delete what every rule lets go, in batches; with `dry_run`, count it and delete nothing."""
    if dry_run:
        return preview(now)
    now = now or timezone.now()
    batch = settings.RETENTION_BATCH_SIZE
    outcomes = []
    for rule in RULES:
        expired = rule.expired(now)
        deleted = 0
        if expired is not None:
            model = expired.model
            after = 0
            while True:
                ids = list(
                    expired.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch]
                )
                if not ids:
                    break
                after = ids[-1]
                # A batch is one transaction (delete() makes its own); related rows left of
                # an event (its deliveries, inbox lines) go with it.
                model._default_manager.filter(pk__in=ids).delete()
                deleted += len(ids)
        outcomes.append(RuleOutcome(rule, rule.cutoff(now), deleted))
    return outcomes


@shared_task(acks_late=True, ignore_result=True)
def purge_expired() -> None:
    """Beat, daily: delete what the retention policy lets go (docs/retention.md)."""
    outcomes = purge()
    logger.info(
        "Retention: deleted %s.",
        ", ".join(f"{o.rows} {o.rule.name}" for o in outcomes) or "nothing",
    )
