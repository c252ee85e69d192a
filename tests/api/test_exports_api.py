"""The API's export of the case list (`GET /api/v1/cases/export/`)."""

from __future__ import annotations

import pytest

from cases import services
from cases.constants import HandlingCode, ShareLevel
from cases.exports import read_xlsx_rows
from cases.models import ExportRecord
from tests.api.conftest import API
from tests.cases.test_exports import content, csv_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast, make_case):
    own = make_case("ITA", title="Italy's own")
    shared = make_case("GBR", title="Shared with Italy")
    services.case_share(
        acting_user=cast.uk,
        case=shared,
        office=cast.offices["ITA"],
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H2,
    )
    make_case("GBR", title="Not for Italy")
    return own, shared, None


def test_the_api_export_reads_the_api_filters(cast, api_client, world):
    own, shared, _ = world
    client = api_client(cast.italy)
    response = client.get(f"{API}/cases/export/", {"file_format": "csv", "status": "reported"})
    rows = csv_rows(response)
    assert {row[0] for row in rows[2:]} == {own.reference, shared.reference}
    xlsx = client.get(f"{API}/cases/export/", {"file_format": "xlsx", "kind": "SOM"})
    assert xlsx.status_code == 200 and read_xlsx_rows(content(xlsx))[2:] == []
    missing = client.get(f"{API}/cases/export/")
    assert missing.status_code == 400 and "file_format" in missing.json()["errors"]
    bad = client.get(f"{API}/cases/export/", {"file_format": "csv", "status": "nope"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]
    assert ExportRecord.objects.filter(user=cast.italy).count() == 2
