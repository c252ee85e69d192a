"""Writing and checking the case grants (`cases.models.CaseGrant`).

A case's grants are a function of the case and its unrevoked shares: one row for the lead
office, one per share. `sync_case_grants(case_ids)` recomputes the rows of some cases in SQL,
in the caller's transaction; the case services call it after every write that changes who may
read a case (opening it, changing its lead office, sharing, revoking, reconciling the shares
passed on from a replaced one). `grant_drift()` compares the stored rows with the recomputed
ones (`manage.py check_grants`). Each grant carries a copy of its case's `updated_at`, so that
lists newest first can walk the user's grants in order; `touch_case_grants` keeps the copy in
step when a case changes and nothing else about its grants does.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from cases.constants import AccessLevel

__all__ = ["GRANT_COLUMNS", "grant_drift", "sync_case_grants", "touch_case_grants"]

GRANT_COLUMNS = (
    "case_id", "share_id", "office_id", "partner_id", "is_lead", "level", "handling_code",
    "handling_conditions", "expires_at", "case_updated_at",
)  # fmt: skip

# The grants the cases and shares call for; `{cases}` / `{shares}` narrow them to some cases.
# Placeholders and our own table and column names only: values go as parameters.
_EXPECTED_SQL = """
SELECT c.id AS case_id, NULL AS share_id, c.lead_office_id AS office_id, NULL AS partner_id,
       TRUE AS is_lead, {lead} AS level, '' AS handling_code, '' AS handling_conditions,
       NULL AS expires_at, c.updated_at AS case_updated_at
FROM cases_case c WHERE {cases}
UNION ALL
SELECT s.case_id, s.id, s.office_id, s.partner_id, FALSE, s.level, s.handling_code,
       s.handling_conditions, s.expires_at, sc.updated_at
FROM cases_caseshare s JOIN cases_case sc ON sc.id = s.case_id
WHERE s.revoked_at IS NULL AND {shares}
"""


def _expected(case_ids: list[int] | None) -> tuple[str, list]:
    lead = int(AccessLevel.LEAD_OFFICE)
    if case_ids is None:
        return _EXPECTED_SQL.format(lead=lead, cases="TRUE", shares="TRUE"), []
    if connection.vendor == "postgresql":
        cases, shares, params = "c.id = ANY(%s)", "s.case_id = ANY(%s)", [case_ids, case_ids]
    else:
        marks = ", ".join(["%s"] * len(case_ids))
        cases, shares, params = f"c.id IN ({marks})", f"s.case_id IN ({marks})", case_ids * 2
    sql = _EXPECTED_SQL.format(lead=lead, cases=cases, shares=shares)
    return sql, params


def _case_ids(cases) -> list[int] | None:
    if cases is None:
        return None
    if isinstance(cases, int) or hasattr(cases, "pk"):
        cases = [cases]
    return sorted({getattr(case, "pk", case) for case in cases})


def sync_case_grants(cases: Iterable | int | object | None) -> None:
    """Rewrite the grants of these cases (cases or ids; None: every case) from their lead
    office and unrevoked shares, in the caller's transaction."""
    case_ids = _case_ids(cases)
    if case_ids == []:
        return
    expected, params = _expected(case_ids)
    columns = ", ".join(GRANT_COLUMNS)
    with connection.cursor() as cursor:
        if case_ids is None:
            cursor.execute("DELETE FROM cases_casegrant")
        elif connection.vendor == "postgresql":
            cursor.execute("DELETE FROM cases_casegrant WHERE case_id = ANY(%s)", [case_ids])
        else:
            marks = ", ".join(["%s"] * len(case_ids))
            cursor.execute(f"DELETE FROM cases_casegrant WHERE case_id IN ({marks})", case_ids)  # noqa: S608
        cursor.execute(f"INSERT INTO cases_casegrant ({columns}) {expected}", params)  # noqa: S608


def touch_case_grants(case) -> None:
    """Copy `case.updated_at` (as just saved) onto its grants, in the caller's transaction."""
    from cases.models import CaseGrant

    CaseGrant.objects.filter(case_id=case.pk).update(case_updated_at=case.updated_at)


def grant_drift(cases=None) -> list[tuple[str, dict]]:
    """The differences between the stored grants and those the cases and shares call for:
    ("missing", row) for a grant that should exist, ("unexpected", row) for one that should
    not (a changed grant shows as both)."""
    case_ids = _case_ids(cases)
    expected, params = _expected(case_ids)
    columns = ", ".join(GRANT_COLUMNS)
    stored = f"SELECT {columns} FROM cases_casegrant"  # noqa: S608
    stored_params: list = []
    if case_ids is not None:
        if connection.vendor == "postgresql":
            stored += " WHERE case_id = ANY(%s)"
            stored_params = [case_ids]
        else:
            stored += f" WHERE case_id IN ({', '.join(['%s'] * len(case_ids))})"
            stored_params = list(case_ids)
    differences = []
    with connection.cursor() as cursor:
        for kind, left, right, args in (
            ("missing", expected, stored, params + stored_params),
            ("unexpected", stored, expected, stored_params + params),
        ):
            cursor.execute(
                f"SELECT * FROM ({left}) AS a EXCEPT SELECT * FROM ({right}) AS b "  # noqa: S608
                "ORDER BY 1, 2",
                args,
            )
            differences += [(kind, dict(zip(GRANT_COLUMNS, row, strict=True))) for row in cursor]
    return differences
