"""Delivering notification events: the worker side of the event path.

`dispatch_event(event_id)` resolves who is told *now* (members of the target offices and
partners, plus named users, minus the actor, kept only if the subject's
`objects.visible_to(user)` still finds it), writes one `Delivery` row per user × channel and,
in the same transaction, the in-app inbox (those deliveries are born sent), then sends the
immediate emails. Webhooks go out one task per delivery
(`send_webhook`) on their own queue and workers (glo_act/celery.py), at most
`webhook_partner_concurrency()` per partner at once, so a slow partner holds up neither the inbox,
nor email, nor other partners for long. Every send first claims its row with a
conditional UPDATE that must return 1, so a task that runs twice (a redelivered message, the
sweeper, a retry) sends once. `sweep_undelivered` is the safety net for everything Redis or a
dying worker lost. Failure behaviour, end to end: docs/delivery.md. Nothing here imports
`cases` or `victims`.

Modules: `policy` (attempts, backoff, leases, timeouts), `recipients` (who is told, and the
impersonal texts), `claims` (once-only sends), `channels` (in-app, email, webhook, one
registry), `dispatch` (what the tasks call), `digest` (the daily email).
"""

from __future__ import annotations

from liaison_offices.delivery.channels import CHANNELS, sign, webhook_body
from liaison_offices.delivery.claims import PartnerBusy, claim, claim_many
from liaison_offices.delivery.digest import send_digest, send_digests
from liaison_offices.delivery.dispatch import (
    DispatchResult,
    SweepResult,
    complete_if_final,
    dispatch_event,
    enqueue_event,
    enqueue_webhook,
    replay_skipped,
    retry_deliveries,
    retry_events,
    send_webhook,
    skipped_while_disabled,
    sweep_undelivered,
)
from liaison_offices.delivery.policy import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    MAX_PLANNING_ATTEMPTS,
    RETRY_MAX_COUNTDOWN,
    SWEEP_AFTER,
    WEBHOOK_PERMANENT_FAILURES_TO_DISABLE,
    backoff,
    partner_busy_wait,
    webhook_partner_concurrency,
)
from liaison_offices.delivery.recipients import can_see, subject_model, visible_among

__all__ = [
    "CHANNELS",
    "CLAIM_LEASE",
    "MAX_ATTEMPTS",
    "MAX_PLANNING_ATTEMPTS",
    "RETRY_MAX_COUNTDOWN",
    "SWEEP_AFTER",
    "WEBHOOK_PERMANENT_FAILURES_TO_DISABLE",
    "DispatchResult",
    "PartnerBusy",
    "SweepResult",
    "backoff",
    "partner_busy_wait",
    "can_see",
    "claim",
    "claim_many",
    "complete_if_final",
    "dispatch_event",
    "enqueue_event",
    "enqueue_webhook",
    "replay_skipped",
    "retry_deliveries",
    "retry_events",
    "send_digest",
    "send_digests",
    "send_webhook",
    "sign",
    "skipped_while_disabled",
    "subject_model",
    "sweep_undelivered",
    "visible_among",
    "webhook_body",
    "webhook_partner_concurrency",
]
