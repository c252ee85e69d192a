"""One process, the server's settings, no load: credentials for the load generator, queries per
request, and EXPLAIN (ANALYZE, BUFFERS) of the worst user's case list.

Run by `bench/run.py` as `python -m bench.probe OUT.json EXPLAIN.txt` with the same environment
as gunicorn (plus `testserver` in ALLOWED_HOSTS, for Django's test client). Every request here
goes through the full middleware stack; queries are counted with CaptureQueriesContext.
"""

from __future__ import annotations

import json
import re
import sys

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from accounts.two_factor import VERIFIED_AT_SESSION_KEY  # noqa: E402
from cases.models import Case, CaseShare  # noqa: E402
from glo_act.db import prepared_statement_sql  # noqa: E402
from liaison_offices.access import scope_of  # noqa: E402
from liaison_offices.services import api_token_issue  # noqa: E402

BENCH_USERS = ("bench.median", "bench.worst", "bench.poster")
FILE_TITLE = "Benchmark evidence file (10 MB)"
FILE_SIZE = 10 * 1024 * 1024


def _bench_file(user, case_reference: str) -> dict:
    """A 10 MB file on the detail case (uploaded once: scanned by clamd, stored encrypted),
    and the same bytes in plain on disk for the bare view it is compared with."""
    import os
    import random
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from evidence import services
    from evidence.constants import FileStatus
    from evidence.models import Attachment
    from evidence.storage import exists

    data = b"%PDF-1.4\n" + random.Random(8).randbytes(FILE_SIZE - 9)
    baseline = Path(os.environ["BENCH_FILE"])
    if not baseline.exists() or baseline.stat().st_size != FILE_SIZE:
        baseline.write_bytes(data)
    case = Case.objects.get(reference=case_reference)
    for attachment in Attachment.objects.filter(case=case, status=FileStatus.AVAILABLE):
        if attachment.title.reveal() == FILE_TITLE and exists(attachment.storage_name):
            return {"file_id": str(attachment.public_id), "file_size": attachment.size}
    (attachment,) = services.upload(
        acting_user=user,
        record=case,
        uploads=[SimpleUploadedFile("bench.pdf", data, "application/pdf")],
        title=FILE_TITLE,
    )
    assert attachment.status == FileStatus.AVAILABLE, attachment.status
    return {"file_id": str(attachment.public_id), "file_size": attachment.size}


MESSAGE = {"body": "Benchmark message: please check the travel history.", "reliability": "B"}


def _pass_second_factor(client, user) -> None:
    """The session as it is after the sign-in's second step (the officer typed their code), so
    that the pages answer as they do for a signed-in officer, not with the code prompt."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Benchmark authenticator", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT_SESSION_KEY] = timezone.now().isoformat()
    session.save()


def _credentials() -> dict:
    User = get_user_model()
    users = {name: User.objects.get(username=name) for name in BENCH_USERS}
    AuthToken.objects.filter(user__in=users.values()).delete()  # last run's tokens
    tokens = {}
    sessions = {}
    for name, user in users.items():
        tokens[name], _ = api_token_issue(acting_user=None, user=user)
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        _pass_second_factor(client, user)
        sessions[name] = client.cookies["sessionid"].value
    median = users["bench.median"]
    desk = next(iter(scope_of(median).view_office_ids))
    detail = (
        Case.objects.filter(lead_office_id=desk).order_by("-updated_at", "-id").first().reference
    )
    # A message case: led by the poster's office, shared live with exactly five other offices.
    poster_desk = next(iter(scope_of(users["bench.poster"]).view_office_ids))
    message_cases = [
        case.reference
        for case in Case.objects.filter(lead_office_id=poster_desk).order_by("-created_at")[:200]
        if CaseShare.objects.live().filter(case=case, office__isnull=False).count() == 5
        and not CaseShare.objects.live().filter(case=case, partner__isnull=False).exists()
    ]
    return {
        "tokens": tokens,
        "sessions": sessions,
        "detail_case": detail,
        "message_case": message_cases[0],
        "median_visible": Case.objects.visible_to(median).count(),
        "worst_visible": Case.objects.visible_to(users["bench.worst"]).count(),
        "worst_desks": len(scope_of(users["bench.worst"]).view_office_ids),
        **_bench_file(median, detail),
    }


def _count(client: Client, method: str, path: str, **extra) -> dict:
    with CaptureQueriesContext(connection) as captured:
        if method == "POST":
            response = client.post(path, data=json.dumps(MESSAGE), content_type="application/json",
                                   **extra)  # fmt: skip
        else:
            response = client.get(path, **extra)
    # A redirect (to the sign-in's second step, say) would be measured as a fast page.
    assert 200 <= response.status_code < 300, f"{method} {path} answered {response.status_code}"
    return {
        "path": path,
        "status": response.status_code,
        "queries": len(captured),
        "sql": [q["sql"] for q in captured.captured_queries],
    }


def _probe(creds: dict) -> dict:
    api = {name: Client(HTTP_AUTHORIZATION=f"Token {t}") for name, t in creds["tokens"].items()}
    html = {}
    for name, session in creds["sessions"].items():
        html[name] = Client()
        html[name].cookies["sessionid"] = session
    detail = creds["detail_case"]
    probes = {}
    for who in ("median", "worst"):
        user = f"bench.{who}"
        for size in (10, 25, 100):
            probes[f"api_list_{who}_{size}"] = _count(
                api[user], "GET", f"/api/v1/cases/?page_size={size}"
            )
            probes[f"baseline_{who}_{size}"] = _count(
                api[user], "GET", f"/bench/cases/?page_size={size}"
            )
        probes[f"html_list_{who}"] = _count(html[user], "GET", "/cases/")
        probes[f"html_list_{who}_page2"] = _count(html[user], "GET", "/cases/?page=2")
    probes["api_detail_median"] = _count(api["bench.median"], "GET", f"/api/v1/cases/{detail}/")
    probes["html_case_median"] = _count(html["bench.median"], "GET", f"/cases/{detail}/")
    probes["message_post"] = _count(
        api["bench.poster"], "POST", f"/api/v1/cases/{creds['message_case']}/messages/"
    )
    return probes


def _same_json(creds: dict) -> dict:
    """Does the baseline answer exactly what the API answers (rows, order, fields, counts)?"""
    same = {}
    for who in ("median", "worst"):
        client = Client(HTTP_AUTHORIZATION=f"Token {creds['tokens'][f'bench.{who}']}")
        for page in (1, 2):
            query = f"?page={page}&page_size=25"
            api = client.get(f"/api/v1/cases/{query}").json()
            base = json.loads(client.get(f"/bench/cases/{query}").content)
            for key in ("next", "previous"):
                if base.get(key):
                    base[key] = base[key].replace("/bench/cases/", "/api/v1/cases/")
            same[f"{who}_page_{page}"] = api == base
    return same


def _explain(probes: dict) -> tuple[str, dict[str, bool]]:
    """EXPLAIN (ANALYZE, BUFFERS) of `visible_to` for the worst user: its page and bounded count
    as querysets, and every query on cases the API's list ran, exactly as it ran them."""
    worst = get_user_model().objects.get(username="bench.worst")
    visible = Case.objects.visible_to(worst)
    # The bounded count is not the queryset's own SQL (CaseQuerySet.count splits the rule in
    # two branches): explain the statement count() runs.
    with CaptureQueriesContext(connection) as counted:
        visible.order_by().values("pk")[:1001].count()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + counted.captured_queries[-1]["sql"])
        count_plan = "\n".join(row[0] for row in cursor.fetchall())
    parts = [
        (
            "page",
            "Case.objects.visible_to(worst).order_by('-updated_at', '-id')[:26]",
            visible.order_by("-updated_at", "-id")[:26].explain(analyze=True, buffers=True),
        ),
        (
            "count",
            "Case.objects.visible_to(worst).order_by().values('pk')[:1001].count()",
            count_plan,
        ),
    ]
    with connection.cursor() as cursor:
        for number, sql in enumerate(probes["api_list_worst_25"]["sql"], start=1):
            # A prepared statement (glo_act/db.py) is explained as it runs, by EXECUTE, on
            # this connection, which prepared it; its text says what it is.
            name = re.match(r"EXECUTE (glo_act_q_\w+)\(", sql)
            text = prepared_statement_sql(name.group(1)) if name else sql
            if text is None or "cases_case" not in text:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            kind = "count" if text.lstrip().upper().startswith("SELECT COUNT(") else "page"
            title = f"API case list, worst user, query {number}, as run:\n{sql}"
            if name:
                title += f"\n-- prepared as:\n{text}"
            parts.append((kind, title, plan))
    index_only = {
        kind: not any("Seq Scan" in plan for k, _, plan in parts if k == kind)
        for kind in ("page", "count")
    }
    text = "\n".join(f"-- {title}\n\n{plan}\n" for _, title, plan in parts)
    return text, index_only


def main() -> None:
    out_path, explain_path = sys.argv[1], sys.argv[2]
    creds = _credentials()
    probes = _probe(creds)
    same = _same_json(creds)
    explain, index_only = _explain(probes)
    with open(explain_path, "w") as handle:
        handle.write(explain)
    for probe in probes.values():
        probe.pop("sql")
    with open(out_path, "w") as handle:
        json.dump(
            {**creds, "probes": probes, "explain_index_only": index_only, "same_json": same},
            handle,
            indent=1,
        )


if __name__ == "__main__":
    main()
