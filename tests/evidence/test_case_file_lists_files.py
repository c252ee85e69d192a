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
