"""`/api/v1/files/`: focal points list, read, upload and download the files of the records
they see, with the same rule, refusals and records as the pages."""

from __future__ import annotations

import hashlib

import pytest

from cases.constants import HandlingCode, ShareLevel
from evidence.models import Attachment, FileDownload
from evidence.scanning import EICAR
from evidence.services import upload
from tests.api.conftest import API
from tests.evidence.conftest import pdf_bytes, png_bytes
from tests.evidence.conftest import upload as uploaded

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _storage(evidence_root):
    return evidence_root


@pytest.fixture
def case_file(cast, uk_case, share):
    share(uk_case, partner="BHC", level=ShareLevel.FULL, handling_code=HandlingCode.H2)
    (attachment,) = upload(
        acting_user=cast.uk,
        record=uk_case,
        uploads=[uploaded("ledger.pdf", pdf_bytes("Ledger of payments"))],
        title="Payments ledger",
    )
    return attachment


def test_a_full_share_lists_reads_and_downloads_a_case_file(cast, uk_case, case_file, api_client):
    client = api_client(cast.focal_point)
    listed = client.get(f"{API}/files/", {"case": uk_case.reference}).json()
    assert [row["id"] for row in listed["results"]] == [str(case_file.public_id)]
    row = listed["results"][0]
    assert row["title"] == "Payments ledger" and row["file_name"] == "ledger.pdf"
    assert row["record"] == {"type": "case", "case": uk_case.reference, "id": uk_case.reference}
    assert row["handling_code"] == "H2" and row["sha256"] == case_file.sha256
    assert row["status"] == "available" and row["uploaded_by_organisation"] == "GBR"

    response = client.get(row["content_url"])
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == row["sha256"] == response["X-File-SHA256"]
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"H2_{uk_case.reference}_ledger.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert FileDownload.objects.get().door == "api"


def test_a_summary_share_gets_404_for_the_file_and_an_empty_list(cast, uk_case, share, api_client):
    share(uk_case, partner="BHC", level=ShareLevel.SUMMARY, handling_code=HandlingCode.H1)
    (attachment,) = upload(
        acting_user=cast.uk, record=uk_case, uploads=[uploaded("a.pdf", pdf_bytes())]
    )
    client = api_client(cast.focal_point)
    assert client.get(f"{API}/files/").json()["results"] == []
    for path in (f"/files/{attachment.public_id}/", f"/files/{attachment.public_id}/content/"):
        response = client.get(API + path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")
    assert not FileDownload.objects.exists()


def test_a_focal_point_uploads_to_a_case_shared_in_full(cast, uk_case, case_file, api_client):
    response = api_client(cast.focal_point).post(
        f"{API}/files/",
        {
            "record_type": "case",
            "record": uk_case.reference,
            "file": uploaded("embassy-photo.png", png_bytes()),
            "kind": "photograph",
            "title": "Photo from the embassy",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "photograph" and body["uploaded_by_organisation"] == "BHC"
    assert Attachment.objects.get(public_id=body["id"]).uploaded_by_partner == cast.partners["BHC"]


def test_eicar_and_a_file_too_large_are_refused_as_problems_and_store_nothing(
    cast, uk_case, case_file, api_client, clamd, settings, evidence_root
):
    before = sorted(evidence_root.rglob("*.bin"))
    client = api_client(cast.focal_point)
    infected = client.post(
        f"{API}/files/",
        {"record_type": "case", "record": uk_case.reference, "file": uploaded("x.txt", EICAR)},
        format="multipart",
    )
    assert infected.status_code == 422
    problem = infected.json()
    assert "malware was found" in problem["errors"]["file"][0]
    settings.EVIDENCE_MAX_BYTES = 1024
    large = client.post(
        f"{API}/files/",
        {
            "record_type": "case",
            "record": uk_case.reference,
            "file": uploaded("big.pdf", b"%PDF-1.4\n" + b"0" * 4096),
        },
        format="multipart",
    )
    assert large.status_code == 422
    assert "big.pdf is 0.0 MB; files may be at most 0.0 MB" in large.json()["errors"]["file"][0]
    stored = sorted(evidence_root.rglob("*.bin"))
    assert len(stored) == len(before) + 1  # only the quarantined EICAR, kept for HQ
    assert Attachment.objects.filter(status="available").count() == 1


def test_uploading_to_a_record_you_do_not_see_is_a_404(cast, uk_case, case_file, api_client):
    for record_type, record in [("case", uk_case.reference), ("request", "1"), ("victim", "V-1")]:
        response = api_client(cast.spain).post(
            f"{API}/files/",
            {"record_type": record_type, "record": record, "file": uploaded("a.pdf", pdf_bytes())},
            format="multipart",
        )
        assert response.status_code == 404, (record_type, response.content)
    assert Attachment.objects.count() == 1


def test_the_list_costs_the_same_for_one_file_or_ten(
    cast, uk_case, case_file, api_client, assert_queries
):
    client = api_client(cast.focal_point)
    client.get(f"{API}/files/")  # warm the token's prepared statements
    # The token (with the scope), the bounded count, the page (records joined), and the
    # access of each distinct case on the page (one here): not one per file.
    with assert_queries(4) as one:
        client.get(f"{API}/files/")
    for _ in range(9):
        upload(acting_user=cast.uk, record=uk_case, uploads=[uploaded("a.pdf", pdf_bytes())])
    with assert_queries(len(one)):
        assert len(client.get(f"{API}/files/").json()["results"]) == 10
