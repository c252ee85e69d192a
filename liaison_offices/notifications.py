"""The one call by which any app announces an event: `publish(...)`.

Apps above this one (cases, victims) call it inside their service's transaction; it records the
outbox row and arranges delivery on commit. It never imports those apps: the subject is stored
by content type and id, and the subject's model answers `objects.visible_to(user)` at delivery.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models


def publish(
    *,
    kind: str,
    subject: models.Model,
    actor=None,
    offices: Iterable = (),
    partners: Iterable = (),
    users: Iterable = (),
    payload: dict | None = None,
):
    """Record a `NotificationEvent` for `subject` and deliver it after the transaction commits.

    `offices`/`partners`: LinkOffice / PartnerOrganisation instances (or ids) whose members are
    told; `users`: individual users. `payload` must hold no personal data (ids, references,
    codes, statuses only). Returns the event (or None until the outbox exists).
    """
    # Filled in by the notifications work (issue 5): outbox row + on_commit delivery.
    return None
