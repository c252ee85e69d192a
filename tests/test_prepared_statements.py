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


# --- prepared_values: a values() queryset through a statement named by its text -------------


def open_cases(cast, count: int) -> None:
    from cases import services as case_services
    from cases.constants import CaseKind, Exploitation

    for number in range(count):
        case_services.case_create(
            acting_user=cast.users["uk"],
            lead_office=cast.offices["GBR"],
            kind=CaseKind.TIP,
            title=f"Farm workers from Punjab ({number})",
            summary="Recruited for farm work, passports taken.",
            forms_of_exploitation=[Exploitation.FORCED_LABOUR],
        )


def names_prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'glo_act_q_%%'")
        return {row[0] for row in cursor.fetchall()}


def test_prepared_values_answers_as_the_queryset_does(cast):
    from django.db.models import F

    from cases.models import Case
    from glo_act.db import prepared_values

    open_cases(cast, 3)
    rows = (
        Case.objects.annotate(office_code=F("lead_office__code"))
        .order_by("-updated_at", "-id")
        .values("reference", "forms_of_exploitation", "updated_at", "office_code")
    )
    before = names_prepared()
    for page in (rows[:2], rows[1:3], rows.filter(title__startswith="Farm")[:5]):
        assert prepared_values(page) == list(page)
    assert len(names_prepared() - before) == 3  # one statement per text, reused by neither
    assert prepared_values(rows[:2]) == list(rows[:2])
    assert len(names_prepared() - before) == 3  # the same text runs the same statement
    # Not a values() queryset, or nothing can match: plainly, as the queryset answers.
    assert prepared_values(Case.objects.order_by("id")[:2]) == list(Case.objects.order_by("id")[:2])
    assert prepared_values(Case.objects.none().values("id")) == []
    assert len(names_prepared() - before) == 3


def test_a_connection_keeps_a_bounded_number_of_statements(cast, monkeypatch):
    from cases.models import Case
    from glo_act import db

    open_cases(cast, 1)
    monkeypatch.setattr(db, "PREPARED_PER_CONNECTION", 3)
    before = names_prepared()
    for size in range(1, 7):  # six texts (a different LIMIT each)
        page = Case.objects.order_by("id").values("reference")[:size]
        assert db.prepared_values(page) == list(page)
    assert len(names_prepared() | before) <= 3 + len(before)
    assert len(names_prepared()) <= 3


def test_the_api_list_prepares_its_page_and_a_filtered_list_does_not(cast):
    from rest_framework.test import APIClient

    from liaison_offices.services import api_token_issue

    open_cases(cast, 2)
    token, _ = api_token_issue(acting_user=None, user=cast.users["uk"], ttl=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    before = names_prepared()
    plain = client.get("/api/v1/cases/")
    assert plain.status_code == 200 and plain.json()["count"] == 2
    added = names_prepared() - before
    assert len(added) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [*added])
        assert "cases_case" in cursor.fetchone()[0]
    searched = client.get("/api/v1/cases/", {"search": "Punjab"})
    assert searched.status_code == 200 and searched.json()["count"] == 2
    assert names_prepared() - before == added
