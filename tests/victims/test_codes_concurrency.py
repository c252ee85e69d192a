"""Victim codes are issued under a row lock: concurrent registrations never share a number."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from tests.victims.conftest import make_case
from victims import services
from victims.models import Victim

WRITERS = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_registrations_get_distinct_consecutive_codes(cast):
    case = make_case(cast.offices["GBR"])
    barrier = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def register(n: int) -> None:
        try:
            barrier.wait()
            services.victim_register(
                acting_user=cast.uk,
                case=case,
                full_name=f"Writer {n}",
                passport_number=f"W{n}",
                consents=[{"purpose": "data_processing"}],
            )
        except BaseException as exc:  # noqa: BLE001 -- reported by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    year = dt.date.today().year
    codes = sorted(Victim.objects.values_list("code", flat=True))
    assert codes == [f"V-GBR-{year}-{n:04d}" for n in range(1, WRITERS + 1)]
