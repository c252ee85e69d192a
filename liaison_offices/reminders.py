"""Reminders: cooperation requests near or past due, referrals unanswered, follow-ups due.

`liaison_offices` cannot know those deadlines (they live in `cases` and `victims`, which it never
imports), so apps *produce* reminders and this module publishes them, once each.

The convention, for any installed app:

    # <app>/reminders.py
    from liaison_offices.reminders import Reminder

    def due_reminders(now):
        for request in CooperationRequest.objects.overdue(now).select_related("case"):
            yield Reminder(
                kind=EventKind.REQUEST_OVERDUE,
                subject=request,
                key=f"request_overdue:{request.pk}:{request.due_at:%Y%m%d}",
                offices=[request.to_office_id] if request.to_office_id else [],
                partners=[request.to_partner_id] if request.to_partner_id else [],
                subject_label=request.case.reference,
                payload={"request": request.pk, "due": request.due_at.date()},
            )

`send_due_reminders` (beat, every 15 minutes) imports `<app>.reminders` of every installed app
that has one and calls `due_reminders(now)`. A producer may instead be registered explicitly
with `register(callable)` (e.g. from `AppConfig.ready()`). `key` is what makes a reminder go out
once: the same key is never published twice, so producers need no "last reminded" bookkeeping
(put the due date in the key if a moved deadline should remind again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

logger = logging.getLogger(__name__)

MODULE_NAME = "reminders"
FUNCTION_NAME = "due_reminders"


@dataclass(frozen=True)
class Reminder:
    """One reminder to publish; the fields are `notifications.publish`'s, plus its `key`."""

    kind: str
    subject: models.Model
    key: str
    offices: Iterable = ()
    partners: Iterable = ()
    users: Iterable = ()
    payload: dict = field(default_factory=dict)
    subject_label: str = ""


Producer = Callable[[datetime], Iterable[Reminder]]
_registered: list[Producer] = []


def register(producer: Producer) -> Producer:
    """Add a reminder producer (usable as a decorator); registering twice is harmless."""
    if producer not in _registered:
        _registered.append(producer)
    return producer


def producers() -> list[Producer]:
    """Registered producers, then every installed app's `<app>.reminders.due_reminders`."""
    found = list(_registered)
    for config in apps.get_app_configs():
        if config.name == "liaison_offices" or not module_has_submodule(config.module, MODULE_NAME):
            continue
        function = getattr(import_module(f"{config.name}.{MODULE_NAME}"), FUNCTION_NAME, None)
        if callable(function) and function not in found:
            found.append(function)
    return found


def send_due_reminders(now: datetime | None = None) -> int:
    """Publish every due reminder not published before; returns how many were new."""
    from liaison_offices.models import NotificationEvent
    from liaison_offices.notifications import publish

    now = now or timezone.now()
    published = 0
    for producer in producers():
        name = getattr(producer, "__module__", "?") + "." + getattr(producer, "__name__", "?")
        try:
            due = list(producer(now))
        except Exception:
            logger.exception("Reminder producer %s failed; the others still run.", name)
            continue
        for reminder in due:
            key = reminder.key[:120]
            if NotificationEvent.objects.filter(dedup_key=key).exists():
                continue  # announced before
            try:
                with transaction.atomic():
                    publish(
                        kind=reminder.kind,
                        subject=reminder.subject,
                        offices=reminder.offices,
                        partners=reminder.partners,
                        users=reminder.users,
                        payload=reminder.payload,
                        subject_label=reminder.subject_label,
                        dedup_key=key,
                    )
            except Exception:
                logger.exception("Reminder %s from %s could not be published.", reminder.kind, name)
                continue
            published += 1
    return published
