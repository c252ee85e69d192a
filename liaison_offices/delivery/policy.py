"""How often and how long delivery tries: attempts, backoff, leases, sweeps, timeouts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings

from liaison_offices.models import NotificationEvent

__all__ = [
    "CLAIM_LEASE",
    "EMAIL_BUDGET_SECONDS",
    "EMAIL_CLAIM_BATCH",
    "FRESH_PLAN",
    "MAX_ATTEMPTS",
    "MAX_PLANNING_ATTEMPTS",
    "RETRYABLE_HTTP",
    "RETRY_BASE_SECONDS",
    "RETRY_MAX_COUNTDOWN",
    "SWEEP_AFTER",
    "SWEEP_BATCH",
    "WEBHOOK_PERMANENT_FAILURES_TO_DISABLE",
    "WEBHOOK_TIMEOUT",
    "backoff",
    "partner_busy_wait",
    "planned_a_while_ago",
    "webhook_partner_concurrency",
]


MAX_ATTEMPTS = 8  # per delivery; then it is `failed` with its last error
RETRY_BASE_SECONDS = getattr(settings, "NOTIFICATIONS_RETRY_BASE_SECONDS", 10)
# The longest countdown a retry ever waits (plus jitter below it). Redis's visibility timeout
# (settings) must exceed it, or a waiting retry would be handed to a second worker.
RETRY_MAX_COUNTDOWN = 30 * 60
MAX_PLANNING_ATTEMPTS = 5  # an event whose recipients cannot be resolved this often is `failed`
# A claim older than this belongs to a worker that died (SIGKILL, OOM, hard time limit): the
# sweeper hands the row back. Longer than the hard time limit, so a live worker keeps its claim.
CLAIM_LEASE = timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 60) + 30)
# The sweeper re-enqueues work left alone this long (Redis down at publish, a lost message).
SWEEP_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 500
# Emails are claimed, sent and recorded as sent a batch at a time (two statements per batch, not
# two per email). A worker killed mid-batch leaves the batch claimed; the sweeper gives it back
# after CLAIM_LEASE, so the batch's emails already handed to the mail server go out twice. SMTP
# has no exactly-once; the batch bounds the duplicates.
EMAIL_CLAIM_BATCH = 10
EMAIL_BUDGET_SECONDS = 20.0  # then the task continues in a fresh run, within the soft limit

WEBHOOK_TIMEOUT = 5.0


def webhook_partner_concurrency() -> int:
    """How many webhook deliveries to one partner may be in flight at once, across all workers
    (settings.WEBHOOK_PARTNER_CONCURRENCY; 0 means no bound). Read at each claim, so a test or
    an operator's change applies without a restart of the module."""
    return max(0, int(getattr(settings, "WEBHOOK_PARTNER_CONCURRENCY", 2)))


def partner_busy_wait() -> float:
    """Seconds a webhook delivery waits when its partner is at its bound: a slot frees within
    one WEBHOOK_TIMEOUT, and the jitter spreads out those waiting for it."""
    return random.uniform(1.0, WEBHOOK_TIMEOUT)


WEBHOOK_PERMANENT_FAILURES_TO_DISABLE = 3  # consecutive failures ending in a permanent 4xx
RETRYABLE_HTTP = {408, 425, 429}


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): exponential from
    RETRY_BASE_SECONDS, capped at RETRY_MAX_COUNTDOWN, with "equal jitter" (half fixed, half
    random) so that retries of one outage spread out instead of arriving together."""
    ceiling = min(RETRY_MAX_COUNTDOWN, RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


# Access was checked when the recipients were resolved; a send later than this (a retry, the
# sweeper, HQ's "retry") checks it again.
FRESH_PLAN = timedelta(seconds=30)


def planned_a_while_ago(event: NotificationEvent, at: datetime) -> bool:
    return event.planned_at is None or at - event.planned_at > FRESH_PLAN
