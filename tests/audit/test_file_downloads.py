"""Every download of a file, through every door (page, API, admin), in HQ's audit view: who,
which file, on which record, through which door; filtered, paged at a fixed query count, and
as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from cases import services as case_services
from cases.constants import CaseKind, HandlingCode, ShareLevel
from evidence import services
from evidence.constants import FileKind
from evidence.models import FileDownload
from tests.evidence.conftest import pdf_bytes, png_bytes, upload
from victims import services as victim_services
from victims.constants import ConsentPurpose

pytestmark = pytest.mark.django_db
AUDIT = reverse("audit:audit")


@pytest.fixture(autouse=True)
def _storage(evidence_root):
    return evidence_root


@pytest.fixture
def files(cast):
    case = case_services.case_create(
        acting_user=cast.uk, lead_office=cast.offices["GBR"], kind=CaseKind.TIP, title="Ring"
    )
    case_services.case_share(
        acting_user=cast.uk,
        case=case,
        office=cast.offices["ITA"],
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H2,
    )
    victim = victim_services.victim_register(
        acting_user=cast.uk,
        case=case,
        full_name="Zarmina Testwala",
        consents=[{"purpose": ConsentPurpose.DATA_PROCESSING}],
    ).victim
    (statement,) = services.upload(
        acting_user=cast.uk,
        record=case,
        uploads=[upload("statement-of-the-witness.pdf", pdf_bytes())],
        kind=FileKind.STATEMENT,
    )
    (passport,) = services.upload(
        acting_user=cast.uk,
        record=victim,
        uploads=[upload("passport-testwala.png", png_bytes())],
        title="Passport of Zarmina Testwala",
        kind=FileKind.IDENTITY_DOCUMENT,
    )
    return case, victim, statement, passport


def table(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_downloads_through_the_page_the_api_and_the_admin_are_in_the_audit_view(
    cast, login, api_client, files
):
    case, victim, statement, passport = files
    assert login(cast.italy).get(statement.download_url).status_code == 200
    api = api_client(cast.italy).get(f"/api/v1/files/{statement.public_id}/content/")
    assert api.status_code == 200
    admin = reverse("admin:evidence_attachment_download", args=[passport.pk])
    assert login(cast.hq).get(admin).status_code == 200
    assert FileDownload.objects.count() == 3

    hq = login(cast.hq)
    page = hq.get(AUDIT, {"tab": "files"}).content.decode()
    body = page.split("<tbody>", 1)[1]
    assert body.count("<tr>") == 3
    assert "italy.officer" in body and "hq.director" in body
    assert case.reference in body and victim.code in body
    assert str(statement.public_id)[:8] in body and "Statement" in body
    for door in (">Page<", ">API<", ">Admin<"):
        assert door in body
    # Nothing personal: neither the victim's name nor a document's title or file name.
    for secret in ("Testwala", "passport-", "statement-of-the-witness"):
        assert secret not in page

    api_only = hq.get(AUDIT, {"tab": "files", "door": "api"}).content.decode()
    assert api_only.split("<tbody>", 1)[1].count("<tr>") == 1
    by_victim = hq.get(AUDIT, {"tab": "files", "code": victim.code}).content.decode()
    assert by_victim.split("<tbody>", 1)[1].count("<tr>") == 1 and "hq.director" in by_victim
    by_case = hq.get(AUDIT, {"tab": "files", "code": case.reference.lower()}).content.decode()
    assert by_case.split("<tbody>", 1)[1].count("<tr>") == 2
    by_user = hq.get(AUDIT, {"tab": "files", "user": "hq.director"}).content.decode()
    assert by_user.split("<tbody>", 1)[1].count("<tr>") == 1

    rows = table(hq.get(AUDIT, {"tab": "files", "csv": "1", "office": "ITA"}))
    assert rows[0] == [
        "at_utc", "user", "office", "file", "kind", "sha256", "record", "code", "door"
    ]  # fmt: skip
    assert sorted(r[8] for r in rows[1:]) == ["api", "page"]
    assert {r[3] for r in rows[1:]} == {str(statement.public_id)}
    assert {(r[6], r[7]) for r in rows[1:]} == {("case", case.reference)}
    assert all(r[5] == statement.sha256 and r[1] == "italy.officer" for r in rows[1:])
    # The victim's document's download is also a read of personal data, with its door.
    reads = table(hq.get(AUDIT, {"tab": "reads", "csv": "1", "door": "admin"}))
    assert [(r[1], r[3], r[4]) for r in reads[1:]] == [("hq.director", victim.code, "admin")]


@pytest.mark.parametrize("n", [2, 30])
def test_the_downloads_tab_costs_the_same_queries_whatever_the_rows(
    cast, login, files, assert_queries, n
):
    case, victim, statement, passport = files
    for i in range(n):
        services.download_record(
            user=cast.italy if i % 2 else cast.hq,
            attachment=statement if i % 3 else passport,
            door="page",
        )
    hq = login(cast.hq)
    # 1 session, 2 user, 3 scope, 4 the office choices, 5 bounded count, 6 the page (user, file
    # and its record joined), 7 the readers' offices, 8 unread badge.
    with assert_queries(8):
        response = hq.get(AUDIT, {"tab": "files"})
    assert len(response.context["page"].object_list) == min(n, 25)
