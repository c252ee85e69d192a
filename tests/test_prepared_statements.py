"""`glo_act.db.execute_prepared`: the scope query every page runs is prepared once per
connection, answers as the plain query does, and a statement whose placeholders do not match
its parameters is refused before anything is prepared."""

from __future__ import annotations

import pytest
from django.db import connection

from glo_act.db import execute_prepared
from liaison_offices import access
from tests.cases.conftest import fresh

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements"),
    pytest.mark.django_db,
]


def prepared(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [name])
        return cursor.fetchone()[0]


def test_the_scope_query_is_prepared_once_and_answers_as_the_plain_query(cast):
    users = [fresh(user) for user in cast.users.values()]
    scopes = [access.scope_of(user) for user in users]  # prepared by the first, run by all
    assert prepared("glo_act_scope_1") == 1
    ids = [user.pk for user in users]
    params = [*access.OFFICE_PERMISSIONS, *ids * access._SCOPE_BRANCHES]
    with connection.cursor() as cursor:
        cursor.execute(access._scope_sql(len(users)), params)
        plain = cursor.fetchall()
    rows = {user.pk: [] for user in users}
    for user_id, *row in plain:
        rows[user_id].append(row)
    assert scopes == [access._scope_from_rows(user, rows[user.pk]) for user in users]
    assert scopes[list(cast.users).index("hq")].is_hq  # the cast is varied enough to tell


def test_placeholders_must_match_the_parameters():
    for sql, params in (("SELECT %s, %s", [1]), ("SELECT 'a%' || %s", ["b"])):
        with connection.cursor() as cursor, pytest.raises(ValueError):
            execute_prepared(cursor, "glo_act_test_refused", sql, params)
    assert prepared("glo_act_test_refused") == 0
    with connection.cursor() as cursor:
        execute_prepared(cursor, "glo_act_test_sum", "SELECT %s::int + %s::int", [2, 3])
        assert cursor.fetchone()[0] == 5
        execute_prepared(cursor, "glo_act_test_sum", "SELECT %s::int + %s::int", [4, 5])
        assert cursor.fetchone()[0] == 9
        execute_prepared(cursor, "glo_act_test_constant", "SELECT 42", [])
        assert cursor.fetchone()[0] == 42
