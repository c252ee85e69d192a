"""The investigation record in a real browser, on the demo data: ilo.ita reads the sea case's
suspects with their justice lines on a phone, records a court date through the form and sees
it in place; the grade of a message says its meaning on hover; a child victim's screening sits
beside the identification decision. Screenshots go to test-artifacts/investigation/.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.conftest import ARTIFACTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = ARTIFACTS / "investigation"
PHONE = 390


def shot(page, name: str, locator=None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    (locator or page).screenshot(
        path=str(SHOTS / f"{name}.png"), **({} if locator else {"full_page": True})
    )


def test_suspects_justice_grades_and_screening_on_a_phone(demo, eager, sign_in):
    case = Case.objects.get(lead_office__code="ITA", kind="SOM")
    italy = sign_in("ilo.ita", width=PHONE, height=800)
    italy.goto(case.get_absolute_url())
    suspects = italy.locator("#suspects")
    expect(suspects).to_contain_text("Convicted — d.lgs. 286/1998 art. 12")
    expect(suspects).to_contain_text("48 months' custody")
    expect(suspects.locator("del")).to_contain_text("Codice penale art. 601")  # withdrawn
    width = italy.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE  # nothing runs off a phone's screen
    shot(italy, "case-suspects-phone", suspects)

    # A court date, through the form.
    italy.get_by_role("link", name="Record arrest, charge, court or verdict").first.click()
    italy.select_option("#id_stage", "court")
    italy.fill("#id_date", (dt.date.today() - dt.timedelta(days=1)).isoformat())
    italy.select_option("#id_country", "ITA")
    italy.fill("#id_authority", "Corte d'appello di Catanzaro")
    italy.get_by_role("button", name="Record", exact=True).click()
    expect(italy.locator("#suspects")).to_contain_text("Corte d'appello di Catanzaro, Italy")
    expect(italy.locator(".timeline")).to_contain_text("before the court (Corte d'appello")

    # A message's grade: the letters, and their meaning on hover.
    grade = italy.locator("#messages abbr.grading").first
    assert grade.get_attribute("title").startswith(grade.inner_text()[0] + ": ")
    grade.hover()
    shot(italy, "message-grade-phone", italy.locator("#messages"))

    # The child victim's screening beside the decision: no means needed.
    italy.goto("/victims/")
    italy.get_by_role("link", name="V-ITA-2026-0001").click()
    screening = italy.locator("#screening")
    expect(screening).to_contain_text("a child: no means needed")
    expect(screening).to_contain_text("not needed (a child when identified)")
    shot(italy, "victim-screening-phone", italy.locator("#facts-title").locator(".."))
