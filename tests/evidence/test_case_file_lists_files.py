"""The printed case file lists the case's files with their SHA-256 digests, at full level."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from evidence import services
from evidence.constants import FileKind
from tests.evidence.conftest import pdf_bytes, upload

pytestmark = pytest.mark.django_db


def test_the_case_file_lists_files_with_digests_for_a_full_share_only(cast, uk_case, login):
    data = pdf_bytes("Statement for the case file")
    services.upload(
        acting_user=cast.uk,
        record=uk_case,
        uploads=[upload("statement.pdf", data)],
        title="Car wash statement",
        kind=FileKind.STATEMENT,
    )
    digest = hashlib.sha256(data).hexdigest()
    italy = login(cast.italy).get(reverse("cases:file", args=[uk_case.reference])).content
    assert b"Car wash statement" in italy and digest.encode() in italy
    bhc = login(cast.focal_point).get(reverse("cases:file", args=[uk_case.reference])).content
    assert b"Car wash statement" not in bhc and digest.encode() not in bhc


def test_the_pdf_stamps_the_handling_code_and_conditions_on_its_first_page_beside_the_files(
    cast, uk_case, login, tmp_path
):
    """The PDF the system renders of a case (WeasyPrint) carries the reader's handling code and
    its conditions at the top of the first page, and the files listed with their code; an
    uploaded PDF itself is served byte for byte (its digest is the chain of custody), never
    stamped."""
    import subprocess

    data = pdf_bytes("Statement for the case file")
    (attachment,) = services.upload(
        acting_user=cast.uk,
        record=uk_case,
        uploads=[upload("statement.pdf", data)],
        title="Car wash statement",
        kind=FileKind.STATEMENT,
    )
    response = login(cast.italy).get(reverse("cases:file_pdf", args=[uk_case.reference]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "case-file.pdf"
    path.write_bytes(response.content)
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    top = " ".join(first.split()[:40])
    assert "Handling code H2" in top
    assert "Not to be passed to third parties without the UK office's consent." in " ".join(
        first.split()
    )
    whole = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    flat = " ".join(whole.split())
    assert "Car wash statement — Statement" in flat and ", H2" in flat
    assert attachment.sha256 in "".join(whole.split())  # the digest, whatever its line breaks
    download = login(cast.italy).get(attachment.download_url)
    assert b"".join(download.streaming_content) == data  # the upload itself: untouched
