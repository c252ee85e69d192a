"""`claim_many`: one statement takes the due pending deliveries of a batch that no other worker
holds, marks them claimed and says which it took.

A second PostgreSQL connection stands in for another worker holding one row's lock.
"""

from __future__ import annotations

from datetime import timedelta

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from liaison_offices.constants import Channel, DeliveryStatus, EventKind
from liaison_offices.delivery import claim_many
from liaison_offices.models import Delivery
from liaison_offices.notifications import publish
from tests.liaison_offices.notify_support import make_case


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_claim_many_takes_only_due_pending_rows_that_no_other_worker_holds(cast):
    event = publish(kind=EventKind.CASE_SHARED, subject=make_case(cast), check_visibility=False)
    now = timezone.now()

    def row(user, status=DeliveryStatus.PENDING, due=now):
        return Delivery.objects.create(
            event=event, user=user, channel=Channel.EMAIL, status=status, next_attempt_at=due
        )

    due = row(cast.uk)
    held = row(cast.italy)
    later = row(cast.focal_point, due=now + timedelta(minutes=5))
    sent = row(cast.hq, status=DeliveryStatus.SENT)
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )  # fmt: skip
    try:
        with other.cursor() as cursor:  # another worker's open transaction holds `held`
            cursor.execute(
                f"SELECT id FROM {Delivery._meta.db_table} WHERE id = %s FOR UPDATE", [held.pk]
            )
        taken = claim_many([due.pk, held.pk, later.pk, sent.pk], now)
    finally:
        other.rollback()
        other.close()

    assert taken == {due.pk}
    rows = {d.pk: d for d in Delivery.objects.filter(event=event)}
    assert (rows[due.pk].status, rows[due.pk].claimed_at, rows[due.pk].attempts) == (
        DeliveryStatus.CLAIMED, now, 1,
    )  # fmt: skip
    for untouched, status in ((held, DeliveryStatus.PENDING), (later, DeliveryStatus.PENDING),
                              (sent, DeliveryStatus.SENT)):  # fmt: skip
        assert (rows[untouched.pk].status, rows[untouched.pk].attempts) == (status, 0)
    assert claim_many([due.pk], now) == set()  # already claimed: not taken twice
    assert claim_many([], now) == set()
