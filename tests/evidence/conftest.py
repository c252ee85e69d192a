"""Evidence fixtures: a UK case shared in full with Italy and as a summary with the British
High Commission, files to upload, and a clean storage directory for every test."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services as case_services
from cases.constants import CaseKind, Exploitation, HandlingCode, ShareLevel
from evidence.scanning import EICAR
from tests.api.conftest import api_client  # noqa: F401  the API fixture


@pytest.fixture(autouse=True)
def _storage(evidence_root):
    return evidence_root


def pdf_bytes(text: str = "Witness statement") -> bytes:
    """A small, valid one-page PDF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A small, valid PNG (grey pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def eicar():
    return upload("invoice.txt", EICAR, "text/plain")


@pytest.fixture
def uk_case(cast):
    """A UK case shared in full with Italy (H2, with conditions) and as a summary with BHC."""
    case = case_services.case_create(
        acting_user=cast.uk,
        lead_office=cast.offices["GBR"],
        kind=CaseKind.TIP,
        title="Forced labour ring in car washes",
        forms_of_exploitation=[Exploitation.FORCED_LABOUR],
    )
    case_services.case_share(
        acting_user=cast.uk,
        case=case,
        office=cast.offices["ITA"],
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H2,
        handling_conditions="Not to be passed to third parties without the UK office's consent.",
    )
    case_services.case_share(
        acting_user=cast.uk,
        case=case,
        partner=cast.partners["BHC"],
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H1,
    )
    return case
