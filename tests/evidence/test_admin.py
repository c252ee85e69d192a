"""HQ's door: the quarantine list, quarantine and delete with a reason kept, downloads recorded
with door "admin"; officers never get in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evidence import services
from evidence.constants import FileStatus
from evidence.models import Attachment, FileDownload
from evidence.scanning import EICAR
from tests.evidence.conftest import pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(cast, uk_case, clamd):
    (clean,) = services.upload(
        acting_user=cast.uk, record=uk_case, uploads=[upload("ledger.pdf", pdf_bytes())]
    )
    with pytest.raises(services.FileInfected):
        services.upload(acting_user=cast.uk, record=uk_case, uploads=[upload("x.txt", EICAR)])
    infected = Attachment.objects.get(status=FileStatus.INFECTED)
    return clean, infected


def test_hq_finds_the_infected_file_first_page_and_list(cast, files, login):
    clean, infected = files
    client = login(cast.hq)
    first = client.get("/admin/").content.decode()
    assert "Files quarantined: malware found" in first
    listing = client.get(
        reverse("admin:evidence_attachment_changelist") + "?status__exact=infected"
    ).content.decode()
    assert str(infected.public_id) in listing and str(clean.public_id) not in listing
    assert "GloAct.Test.EICAR" in listing
    assert "ledger" not in listing and "x.txt" not in listing  # no names in the lists


def test_hq_quarantines_with_a_reason_and_the_officer_loses_the_file(cast, files, login):
    clean, _ = files
    client = login(cast.hq)
    url = reverse("admin:evidence_attachment_quarantine", args=[clean.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and Attachment.objects.get(pk=clean.pk).is_available
    assert client.post(url, {"reason": "Examining the metadata"}).status_code == 302
    clean.refresh_from_db()
    assert clean.status == FileStatus.QUARANTINED
    assert clean.withdrawn_by == cast.hq and clean.withdrawn_reason == "Examining the metadata"
    download = reverse("evidence:download", args=[clean.public_id])
    assert login(cast.italy).get(download).status_code == 404


def test_an_admin_download_is_recorded_and_officers_never_get_in(cast, files, login):
    clean, _ = files
    response = login(cast.hq).get(reverse("admin:evidence_attachment_download", args=[clean.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == pdf_bytes()
    assert FileDownload.objects.get().door == "admin"
    officer = login(cast.uk).get(reverse("admin:evidence_attachment_changelist"))
    assert officer.status_code == 302  # to the admin's sign-in: not HQ
