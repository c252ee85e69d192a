"""The case file and the browser's print, in a real browser on the demo data.

ilo.gbr opens a case with a route and prints it: in print media the navigation, forms and
buttons are gone and every route leg is on the paper's width. The case file page links its
PDF, which opens as a PDF whose every page names the reader's handling footing.
"""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.test_casework_journey import SHOTS, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_print_keeps_every_leg_and_the_pdf_opens(eager, sign_in, tmp_path):
    case = (
        Case.objects.filter(lead_office__code="GBR", route_legs__isnull=False)
        .distinct()
        .order_by("id")
        .first()
    )
    legs = case.route_legs.count()
    assert legs >= 2
    uk = sign_in("ilo.gbr", width=800)
    uk.goto(case.get_absolute_url())
    uk.emulate_media(media="print")
    expect(uk.locator(".site-header")).to_be_hidden()
    expect(uk.locator(".actions")).to_be_hidden()
    expect(uk.get_by_role("link", name="Add a leg")).to_be_hidden()
    expect(uk.locator(".route .leg")).to_have_count(legs)
    for box in (uk.locator(".route .leg").nth(i).bounding_box() for i in range(legs)):
        assert box["x"] >= 0 and box["x"] + box["width"] <= 800  # nothing scrolled off paper
    shot(uk, "9-case-page-print")
    uk.emulate_media(media="screen")

    uk.get_by_role("link", name="Case file").click()
    expect(uk.locator(".file-handling")).to_contain_text(
        f"Originator's copy ({case.lead_office.code})"
    )
    expect(uk.locator(".file-footer")).to_contain_text(case.reference)
    shot(uk, "10-case-file")
    response = uk.request.get(f"/cases/{case.reference}/file.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "case.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    assert pages and all("Originator" in page for page in pages)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(SHOTS / "11-case-file-pdf")], check=True)  # fmt: skip
