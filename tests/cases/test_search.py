"""Case search: reference, title, summary, suspects and places, through trigram indexes."""

from __future__ import annotations

import pytest
from django.db import connection

from cases.models import Case
from tests.cases.conftest import fresh

pytestmark = pytest.mark.django_db


def test_search_finds_words_of_the_summary_and_nothing_else(cast, make_case):
    wanted = make_case("GBR", title="Visa fraud", summary="Recruited through a Lahore agency.")
    make_case("GBR", title="Boat crossing", summary="Departure from Gwadar.")
    uk = fresh(cast.uk)
    found = Case.objects.visible_to(uk).search("lahore agency", user=uk)
    assert list(found) == [wanted]
    # Another office's officer finds nothing: search runs inside the access rule.
    italy = fresh(cast.italy)
    assert not Case.objects.visible_to(italy).search("lahore", user=italy).exists()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("index", "table", "column"),
    [
        ("case_search_title", "cases_case", "title"),
        ("case_search_summary", "cases_case", "summary"),
        ("suspect_search_name", "cases_suspect", "name"),
        ("routeleg_search_place", "cases_routeleg", "place"),
    ],
)
def test_a_search_can_read_its_trigram_index(index, table, column):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # The expression Django writes for icontains: the index must be on exactly it.
        cursor.execute(
            f"EXPLAIN SELECT 1 FROM {table} WHERE UPPER({column}::text) LIKE UPPER(%s)",
            ["%lahore%"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan
