"""Twenty officers of one office open a case at the same instant: twenty distinct, gap-free numbers.

Real threads, each with its own PostgreSQL connection, all released by one barrier; the counter
row does not exist yet, so its creation races too.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from cases import services
from cases.models import Case, CaseReferenceCounter
from tests.cases.conftest import fresh

CREATORS = 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_creations_get_twenty_gap_free_numbers(cast):
    office = cast.offices["GBR"]
    barrier = threading.Barrier(CREATORS)
    references: list[str] = []
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            user = fresh(cast.uk)
            barrier.wait(timeout=30)
            case = services.case_create(
                acting_user=user, lead_office=office, kind="TIP", title=f"Case {n}"
            )
            references.append(case.reference)
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection, not the test's

    threads = [threading.Thread(target=create, args=(n,)) for n in range(CREATORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    year = timezone.now().year
    assert sorted(references) == [f"GBR-TIP-{year}-{n:04d}" for n in range(1, CREATORS + 1)]
    assert Case.objects.count() == CREATORS
    assert CaseReferenceCounter.objects.get(office=office, year=year).last_value == CREATORS
