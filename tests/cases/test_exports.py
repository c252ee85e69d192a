"""Exports of the case and request lists: the user's own scope and level, the handling code on
every row, the list's filters, no personal data, each export recorded."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from cases import services
from cases.constants import CaseStatus, HandlingCode, RequestKind, ShareLevel, Urgency
from cases.exports import CASE_COLUMNS, read_xlsx_rows
from cases.models import Case, ExportRecord

pytestmark = pytest.mark.django_db


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = content(response).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def world(cast, make_case):
    own = make_case("ITA", title="Italy's own", summary="Summary text, never exported")
    shared = make_case("GBR", title="Shared with Italy")
    services.case_share(
        acting_user=cast.uk,
        case=shared,
        office=cast.offices["ITA"],
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H3,
        handling_conditions="For the prosecutor in Rome only",
    )
    hidden = make_case("GBR", title="Not for Italy")
    return own, shared, hidden


def test_the_case_export_holds_the_users_cases_with_their_handling_codes(cast, login, world):
    own, shared, hidden = world
    rows = csv_rows(login(cast.italy).get(reverse("cases:export", args=["csv"])))
    note, header, *data = rows
    assert "handling code binds you" in note[0] and "italy.officer" in note[0]
    assert tuple(header) == CASE_COLUMNS
    by_reference = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    assert set(by_reference) == {own.reference, shared.reference}
    assert by_reference[shared.reference]["handling_code"] == "H3"
    assert (
        by_reference[shared.reference]["handling_conditions"] == "For the prosecutor in Rome only"
    )
    assert by_reference[shared.reference]["your_access"] == "Summary"
    assert by_reference[own.reference]["handling_code"] == ""
    assert by_reference[own.reference]["your_access"] == "Lead office"
    assert b"never exported" not in content(
        login(cast.italy).get(reverse("cases:export", args=["csv"]))
    )
    record = ExportRecord.objects.filter(user=cast.italy).first()
    assert (record.what, record.file_format, record.rows) == ("cases", "csv", 2)


def test_the_export_follows_the_lists_filters_and_refuses_one_it_does_not_know(cast, login, world):
    own, shared, _ = world
    Case.objects.filter(pk=own.pk).update(status=CaseStatus.CLOSED)
    client = login(cast.italy)
    rows = csv_rows(client.get(reverse("cases:export", args=["csv"]), {"shared": "on"}))
    assert [row[0] for row in rows[2:]] == [shared.reference]
    rows = csv_rows(client.get(reverse("cases:export", args=["csv"]), {"status": "closed"}))
    assert [row[0] for row in rows[2:]] == [own.reference]
    assert ExportRecord.objects.latest("id").filters == {"status": "closed"}
    before = ExportRecord.objects.count()
    refused = client.get(reverse("cases:export", args=["csv"]), {"status": "nonsense"})
    assert refused.status_code == 302 and "status=nonsense" in refused.url
    assert ExportRecord.objects.count() == before
    assert client.get(reverse("cases:export", args=["pdf"])).status_code == 404


def test_the_xlsx_export_is_a_workbook_with_the_same_rows(cast, login, world):
    response = login(cast.italy).get(reverse("cases:export", args=["xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"].endswith("spreadsheetml.sheet")
    assert response["Content-Disposition"].startswith('attachment; filename="glo-act-cases-')
    note, header, *data = read_xlsx_rows(content(response))
    assert tuple(header) == CASE_COLUMNS
    csv_data = csv_rows(login(cast.italy).get(reverse("cases:export", args=["csv"])))[2:]
    assert data == csv_data


def test_the_request_export_follows_the_request_list(cast, login, world):
    _, shared, _ = world
    services.case_share(
        acting_user=cast.uk, case=shared, partner=cast.partners["BHC"],
        level=ShareLevel.FULL, handling_code=HandlingCode.H0,
    )  # fmt: skip
    services.request_create(
        acting_user=cast.uk, case=shared, from_office=cast.offices["GBR"],
        to_partner=cast.partners["BHC"], kind=RequestKind.EVIDENCE, urgency=Urgency.URGENT,
        question="Private question text",
    )  # fmt: skip
    rows = csv_rows(login(cast.uk).get(reverse("cases:requests_export", args=["csv"])))
    assert [row[1] for row in rows[2:]] == [shared.reference]
    assert rows[2][6] == "British High Commission"
    assert b"Private question" not in content(
        login(cast.uk).get(reverse("cases:requests_export", args=["csv"]))
    )
    assert csv_rows(login(cast.italy).get(reverse("cases:requests_export", args=["csv"])))[2:] == []


def test_a_title_that_looks_like_a_formula_stays_text(cast, login, make_case):
    case = make_case("GBR", title='=HYPERLINK("http://example.invalid","Open")')
    rows = csv_rows(login(cast.uk).get(reverse("cases:export", args=["csv"])))
    (row,) = [row for row in rows[2:] if row[0] == case.reference]
    assert row[3] == "'" + case.title
    cells = read_xlsx_rows(content(login(cast.uk).get(reverse("cases:export", args=["xlsx"]))))
    assert [case.reference, "TIP", "reported", case.title] == cells[2][:4]
