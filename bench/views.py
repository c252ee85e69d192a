"""The baseline for issue 8: a bare Django view doing what `GET /api/v1/cases/` does, with the
best hand-written SQL we found, and orjson.

Same rows, same order, same JSON fields as the API's case list for the calling user, who is
authenticated by the same knox API token. Two queries per request:

1. token → user → scope (desks with view/change, HQ, partner organisations), one statement;
2. the bounded count, the page, each row's lead-office code and the best live share the user
   sees it through, one statement.

Only mounted when `BENCH_VIEWS` is set (refused in production unless `BENCH_VIEWS_I_KNOW`).
"""

from __future__ import annotations

from urllib.parse import urlencode

import orjson
from django.db import connection
from django.http import HttpResponse
from knox.crypto import hash_token
from knox.settings import CONSTANTS

from liaison_offices.constants import CHANGE_CASES, VIEW_CASES

# The API's pagination (glo_act.api.BoundedCountPagination), asserted equal by
# tests/test_bench_smoke.py; not imported here, because importing glo_act.api before DRF's
# views are loaded is a circular import (its settings name classes in glo_act.api).
COUNT_LIMIT = 1000
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
ACCESS_NAMES = {1: "summary", 2: "full", 3: "full_with_victims"}

_permission_ids: dict[str, int] = {}


def _permissions() -> dict[str, int]:
    """The ids of the two office permissions (constant for the life of the process)."""
    if not _permission_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT p.codename, p.id FROM auth_permission p "
                "JOIN django_content_type ct ON ct.id = p.content_type_id "
                "WHERE ct.app_label = 'liaison_offices' AND p.codename IN (%s, %s)",
                [VIEW_CASES, CHANGE_CASES],
            )
            _permission_ids.update(cursor.fetchall())
    return _permission_ids


# Token → user → scope in one statement. Rows: ('u', user id, is_superuser), ('o', office id,
# permission id), ('g', NULL, permission id) for a model-wide (HQ) grant, ('p', partner id, 0).
SCOPE_SQL = """
WITH u AS (
    SELECT au.id, au.is_superuser
    FROM knox_authtoken t JOIN auth_user au ON au.id = t.user_id
    WHERE t.token_key = %(key)s AND t.digest = %(digest)s
      AND (t.expiry IS NULL OR t.expiry > now()) AND au.is_active
)
SELECT 'u', u.id, u.is_superuser::int FROM u
UNION ALL
SELECT 'o', g.content_object_id, g.permission_id
FROM u JOIN auth_user_groups ug ON ug.user_id = u.id
JOIN liaison_offices_linkofficegroupobjectpermission g ON g.group_id = ug.group_id
WHERE g.permission_id IN (%(view)s, %(change)s)
UNION ALL
SELECT 'o', p.content_object_id, p.permission_id
FROM u JOIN liaison_offices_linkofficeuserobjectpermission p ON p.user_id = u.id
WHERE p.permission_id IN (%(view)s, %(change)s)
UNION ALL
SELECT 'g', NULL, gp.permission_id
FROM u JOIN auth_user_groups ug ON ug.user_id = u.id
JOIN auth_group_permissions gp ON gp.group_id = ug.group_id
WHERE gp.permission_id = %(view)s
UNION ALL
SELECT 'g', NULL, up.permission_id
FROM u JOIN auth_user_user_permissions up ON up.user_id = u.id
WHERE up.permission_id = %(view)s
UNION ALL
SELECT 'p', m.partner_id, 0
FROM u JOIN liaison_offices_membership m ON m.user_id = u.id
JOIN liaison_offices_partnerorganisation po ON po.id = m.partner_id
WHERE m.ended_at IS NULL AND po.is_active
"""

LIVE = "s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())"
RECIPIENT = "(s.office_id = ANY(%(desks)s) OR s.partner_id = ANY(%(partners)s))"

# The visible set as two index-driven branches: cases led by a desk (case_office_updated), and
# cases with a live share to a desk or partner not led by a desk (share_live_office/partner).
# The bounded count walks them one after the other and stops at COUNT_LIMIT + 1 rows.
COUNT_SQL = f"""
SELECT count(*) FROM (
    (SELECT c.id FROM cases_case c WHERE c.lead_office_id = ANY(%(desks)s))
    UNION ALL
    (SELECT DISTINCT s.case_id FROM cases_caseshare s JOIN cases_case c ON c.id = s.case_id
     WHERE {LIVE} AND {RECIPIENT} AND NOT (c.lead_office_id = ANY(%(desks)s)))
    LIMIT %(count_limit)s
) v
"""

# The page, two ways; each is the fastest we measured somewhere (EXPLAIN ANALYZE, 100,000
# cases, `bench/ANALYSIS.md`):
# - near the top (offset + limit <= WALK_ROWS): walk the (-updated_at, -id) index and keep the
#   visible rows, each case not led by a desk probing the share index once (`OFFSET 0` keeps
#   the probe per row). Page 1: median user 1.5 ms, worst user 0.1 ms;
# - deeper: the newest `offset + limit` rows of each branch, merged (page 10: median user
#   5.9 ms where walking takes 21 ms).
WALK_ROWS = 100
PAGE_WALK_SQL = f"""
SELECT c.id FROM cases_case c
WHERE c.lead_office_id = ANY(%(desks)s)
   OR EXISTS (SELECT 1 FROM cases_caseshare s WHERE s.case_id = c.id AND {LIVE} AND {RECIPIENT}
              OFFSET 0)
ORDER BY c.updated_at DESC, c.id DESC LIMIT %(limit)s OFFSET %(offset)s
"""
PAGE_MERGE_SQL = f"""
SELECT v.id FROM (
    (SELECT c.id, c.updated_at FROM cases_case c WHERE c.lead_office_id = ANY(%(desks)s)
     ORDER BY c.updated_at DESC, c.id DESC LIMIT %(window)s)
    UNION
    (SELECT c.id, c.updated_at FROM cases_caseshare s JOIN cases_case c ON c.id = s.case_id
     WHERE {LIVE} AND {RECIPIENT}
     ORDER BY c.updated_at DESC, c.id DESC LIMIT %(window)s)
) v ORDER BY v.updated_at DESC, v.id DESC LIMIT %(limit)s OFFSET %(offset)s
"""

# HQ sees every case: the plain index on (-updated_at, -id), and a count that stops early.
HQ_COUNT_SQL = "SELECT count(*) FROM (SELECT 1 FROM cases_case LIMIT %(count_limit)s) v"
HQ_PAGE_SQL = (
    "SELECT c.id FROM cases_case c ORDER BY c.updated_at DESC, c.id DESC "
    "LIMIT %(limit)s OFFSET %(offset)s"
)

LIST_SQL = """
WITH n AS ({count}), page AS ({page})
SELECT n.count, c.reference, c.kind, c.status, c.title, c.summary, o.code,
       c.forms_of_exploitation::text, c.updated_at, c.lead_office_id, best.level,
       best.handling_code, best.handling_conditions, best.expires_at, au.username
FROM n
LEFT JOIN page ON true
LEFT JOIN cases_case c ON c.id = page.id
LEFT JOIN liaison_offices_linkoffice o ON o.id = c.lead_office_id
LEFT JOIN auth_user au ON au.id = c.assigned_to_id
LEFT JOIN LATERAL (
    SELECT s.level, s.handling_code, s.handling_conditions, s.expires_at
    FROM cases_caseshare s
    WHERE s.case_id = c.id AND {live} AND {recipient}
      AND NOT (c.lead_office_id = ANY(%(desks)s))
    ORDER BY s.level DESC, s.handling_code DESC, s.id DESC LIMIT 1
) best ON true
ORDER BY c.updated_at DESC, c.id DESC
"""


def _problem(status: int, detail: str) -> HttpResponse:
    body = {"type": f"https://glo-act.fia.gov.pk/problems/{status}", "status": status}
    body["detail"] = detail
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/problem+json")


def _whole(request, name: str, default: int, maximum: int) -> int | None:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or not 1 <= int(raw) <= maximum:
        return None
    return int(raw)


def _scope(request):
    header = request.headers.get("Authorization", "")
    prefix, _, token = header.partition(" ")
    if prefix != "Token" or len(token) < CONSTANTS.TOKEN_KEY_LENGTH:
        return None
    try:
        digest = hash_token(token)
    except (TypeError, ValueError):
        return None
    permissions = _permissions()
    view, change = permissions[VIEW_CASES], permissions[CHANGE_CASES]
    with connection.cursor() as cursor:
        cursor.execute(
            SCOPE_SQL,
            {
                "key": token[: CONSTANTS.TOKEN_KEY_LENGTH],
                "digest": digest,
                "view": view,
                "change": change,
            },
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    is_hq = False
    desks, workable, partners = set(), set(), set()
    for kind, object_id, extra in rows:
        if kind == "u":
            is_hq = is_hq or bool(extra)
        elif kind == "g":
            is_hq = True
        elif kind == "o":
            (desks if extra == view else workable).add(object_id)
        elif kind == "p":
            partners.add(object_id)
    return is_hq, sorted(desks), sorted(workable & desks), sorted(partners)


def case_list(request) -> HttpResponse:
    """`GET /bench/cases/?page=&page_size=`: the API case list, by hand."""
    scope = _scope(request)
    if scope is None:
        return _problem(401, "Invalid token.")
    is_hq, desks, workable, partners = scope
    page_size = _whole(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
    page_number = _whole(request, "page", 1, 10**8)
    if page_size is None or page_number is None:
        return _problem(400, "Some fields are not valid; see errors.")
    offset = (page_number - 1) * page_size
    params = {
        "desks": desks,
        "partners": partners,
        "count_limit": COUNT_LIMIT + 1,
        "limit": page_size + 1,
        "offset": offset,
        "window": offset + page_size + 1,
    }
    if is_hq:
        sql = LIST_SQL.format(count=HQ_COUNT_SQL, page=HQ_PAGE_SQL, live="false", recipient="true")
    elif not desks and not partners:
        sql = None
    else:
        page = PAGE_WALK_SQL if offset + page_size <= WALK_ROWS else PAGE_MERGE_SQL
        sql = LIST_SQL.format(count=COUNT_SQL, page=page, live=LIVE, recipient=RECIPIENT)
    rows = []
    if sql is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    total = rows[0][0] if rows else 0
    exact = total <= COUNT_LIMIT
    total = min(total, COUNT_LIMIT)
    if offset and offset >= total and exact:
        return _problem(404, "That page is past the last one.")
    rows = [row for row in rows if row[1] is not None]
    has_next = len(rows) > page_size
    workable_set = set(workable)
    results = []
    for row in rows[:page_size]:
        (_, reference, kind, status, title, summary, code, forms, updated, lead, level) = row[:11]
        handling_code, conditions, expires, assignee = row[11:]
        if is_hq:
            access = {
                "level": "hq",
                "handling_code": None,
                "handling_conditions": "",
                "share_expires_at": None,
                "can_edit": True,
            }
        elif level is None and lead in desks:
            access = {
                "level": "lead_office",
                "handling_code": None,
                "handling_conditions": "",
                "share_expires_at": None,
                "can_edit": lead in workable_set,
            }
        else:
            access = {
                "level": ACCESS_NAMES[level or 1],
                "handling_code": handling_code,
                "handling_conditions": conditions or "",
                "share_expires_at": expires,
                "can_edit": False,
            }
        results.append(
            {
                "reference": reference,
                "kind": kind,
                "status": status,
                "title": title,
                "summary": summary,
                "lead_office": code,
                "forms_of_exploitation": orjson.Fragment(forms),
                "updated_at": updated,
                # Who works a case is the lead office's (and HQ's) business only.
                "assigned_to": assignee if access["level"] in ("hq", "lead_office") else None,
                "access": access,
            }
        )
    body = {
        "count": total,
        "count_is_exact": exact,
        "next": _link(request, page_number + 1, page_size) if has_next else None,
        "previous": _link(request, page_number - 1, page_size) if page_number > 1 else None,
        "results": results,
    }
    return HttpResponse(
        orjson.dumps(body, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC),
        content_type="application/json",
    )


def _link(request, page: int, page_size: int) -> str:
    query = request.GET.copy()
    if page <= 1:
        query.pop("page", None)
    else:
        query["page"] = str(page)
    base = request.build_absolute_uri(request.path)
    return f"{base}?{urlencode(sorted(query.items()))}" if query else base


__all__ = ["case_list"]


def file_baseline(request):
    """The baseline of the file download: the same bytes served from disk by Django's own
    FileResponse, with no authentication, rule, decryption or record. `BENCH_FILE` names the
    file (bench/run.py writes it through bench/probe.py)."""
    import os

    from django.http import FileResponse

    return FileResponse(
        open(os.environ["BENCH_FILE"], "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename="bench.pdf",
        content_type="application/pdf",
    )
