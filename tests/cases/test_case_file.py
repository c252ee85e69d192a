"""The case file: printable page and PDF, redacted to the reader's level, the handling code on
every page (pdftoppm renders the pages; pdftotext reads each page's text)."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.urls import reverse

from cases import services
from cases.constants import HandlingCode, RouteStage, ShareLevel
from cases.models import ExportRecord

pytestmark = pytest.mark.django_db

ROUTE = [
    {"stage": RouteStage.RECRUITMENT, "country": "PAK", "place": "Gujrat"},
    {"stage": RouteStage.TRANSIT, "country": "IRN", "place": "Zahedan"},
    {"stage": RouteStage.TRANSIT, "country": "TUR", "place": "Van"},
    {"stage": RouteStage.EXPLOITATION, "country": "ITA", "place": "Latina"},
]


def pdf_pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "file.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page-*.png"))) == pages  # every page renders
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    ]


@pytest.fixture
def long_case(cast, make_case):
    case = make_case(
        "GBR",
        title="Farm workers held near Latina",
        summary="Workers recruited in Gujrat.",
        route_legs=ROUTE,
        suspects=[{"role": "recruiter", "name": "Tariq the agent"}],
    )
    for i in range(40):  # enough to run over several pages
        services.message_post(
            acting_user=cast.uk,
            case=case,
            body=f"Message {i}: the van was seen again near the farm, plates noted.\n" * 3,
            reliability="B",
            accuracy=2,
        )
    services.case_share(
        acting_user=cast.uk,
        case=case,
        office=cast.offices["ITA"],
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H3,
        handling_conditions="For the Latina prosecutor only",
    )
    return case


def test_the_pdf_carries_the_handling_code_on_every_page(cast, login, long_case, tmp_path):
    response = login(cast.italy).get(reverse("cases:file_pdf", args=[long_case.reference]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.content, tmp_path)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        assert "Handling code H3" in flat, number
        assert "For the Latina prosecutor only" in flat, number
        assert long_case.reference in flat and "printed by Italy Cast" in flat, number
    everything = " ".join(" ".join(pages).split())
    for place in ("Gujrat", "Zahedan", "Van", "Latina"):
        assert place in everything  # every route leg
    assert "Tariq the agent" in everything and "Message 39" in everything
    record = ExportRecord.objects.get(what="case_file")
    assert (record.user, record.file_format, record.filters) == (
        cast.italy,
        "pdf",
        {"reference": long_case.reference},
    )


def test_a_summary_share_prints_the_summary_only_and_a_stranger_gets_404(
    cast, login, make_case, tmp_path
):
    case = make_case("GBR", summary="Seen from afar.", route_legs=ROUTE)
    services.case_share(
        acting_user=cast.uk,
        case=case,
        partner=cast.partners["BHC"],
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H1,
    )
    response = login(cast.focal_point).get(reverse("cases:file_pdf", args=[case.reference]))
    text = " ".join(" ".join(pdf_pages(response.content, tmp_path)).split())
    assert "Handling code H1" in text and "Seen from afar." in text
    assert "Zahedan" not in text and "summary level" in text
    assert (
        login(cast.spain).get(reverse("cases:file_pdf", args=[case.reference])).status_code == 404
    )
    assert login(cast.spain).get(reverse("cases:file", args=[case.reference])).status_code == 404


def test_the_lead_office_copy_and_the_printable_page(cast, login, long_case, tmp_path):
    client = login(cast.uk)
    page = client.get(reverse("cases:file", args=[long_case.reference])).content.decode()
    assert "Originator&#x27;s copy (GBR)" in page and "Download the PDF" in page
    assert 'class="site-header"' not in page  # a page for paper, no navigation
    pages = pdf_pages(
        client.get(reverse("cases:file_pdf", args=[long_case.reference])).content, tmp_path
    )
    assert all("Originator's copy (GBR)" in " ".join(text.split()) for text in pages)
