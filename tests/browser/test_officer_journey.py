"""The officers' journey across countries, in a real browser.

ilo.gbr opens a TIP case with a route, registers a victim with consent and shares the case with
the Italy office at summary level under H1. ilo.ita finds it in the case list with its handling
code, never sees the victim's name, and has the notification in the inbox (delivered by a real
Celery worker). ilo.esp gets the "not found" page. ilo.gbr refers the victim to IOM; iom.pk
accepts from its inbox; ilo.gbr sees "Accepted".
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import give_reveal_reason

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VICTIM_NAME = "Mehwish Imaginary"  # invented
PASSPORT = "QX7654321"


def eventually_on_page(page, url: str, text: str, timeout: float = 20.0) -> None:
    """Reload `url` until it shows `text` (the worker delivers asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if text in page.content():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} did not appear on {url} within {timeout} s")
        time.sleep(0.5)


def open_case_with_route(uk) -> str:
    uk.goto("/cases/new/")
    uk.select_option("#id_kind", "TIP")
    uk.fill("#id_title", "Farm workers held near Latina")
    uk.check("input[name=forms_of_exploitation][value=forced_labour]")
    uk.get_by_role("button", name="Open the case").click()
    expect(uk.locator(".messages")).to_contain_text("opened")
    reference = uk.locator(".case-head .reference").inner_text().strip()
    assert re.fullmatch(r"GBR-TIP-\d{4}-\d{4}", reference)
    for stage, country, place in [
        ("recruitment", "PAK", "Gujrat"),
        ("transit", "IRN", "Zahedan"),
        ("exploitation", "ITA", "Latina"),
    ]:
        uk.get_by_role("link", name="Add a leg").click()
        uk.select_option("#id_stage", stage)
        uk.select_option("#id_country", country)
        uk.fill("#id_place", place)
        uk.get_by_role("button", name="Add").click()
        expect(uk.locator(".messages")).to_contain_text("Route leg added")
    expect(uk.locator(".route")).to_contain_text("Gujrat")
    expect(uk.locator(".route")).to_contain_text("Latina")
    return reference


def register_victim(uk, reference: str) -> str:
    uk.get_by_role("link", name="Register a victim").click()
    expect(uk.locator("#id_case")).to_have_value(reference)
    uk.fill("#id_full_name", VICTIM_NAME)
    uk.fill("#id_passport_number", PASSPORT)
    uk.select_option("#id_sex", "female")
    uk.fill("#id_age_at_identification", "24")
    uk.check("input[name=forms_of_exploitation][value=forced_labour]")
    uk.get_by_label("Processing of personal data").check()
    uk.get_by_label("IOM — Shelter").check()
    uk.fill("#id_consent-note", "In writing, with an Urdu interpreter")
    uk.get_by_role("button", name="Register the victim").click()
    expect(uk.locator(".messages")).to_contain_text(f"registered on {reference}")
    code = uk.locator("h1.code").inner_text().strip()
    assert VICTIM_NAME not in uk.content()  # the victim page shows the code by default
    # Revealing is a deliberate, recorded step, with its reason.
    give_reveal_reason(uk)
    uk.get_by_role("button", name="Reveal personal data").click()
    expect(uk.locator("#personal")).to_contain_text(VICTIM_NAME)
    return code


def share_with_italy(uk, reference: str) -> None:
    uk.goto(f"/cases/{reference}/")
    uk.get_by_role("link", name="Share", exact=True).click()
    uk.select_option("#id_recipient", label="FIA Link Office Italy (ITA)")
    uk.locator("input[name=level][value='1']").check()
    uk.locator("input[name=handling_code][value=H1]").check()
    uk.get_by_role("button", name="Share").click()
    expect(uk.locator(".messages")).to_contain_text("shared with FIA Link Office Italy")


def test_a_case_shared_to_italy_and_a_victim_referred_to_iom(sign_in, worker, live_server):
    uk = sign_in("ilo.gbr")
    reference = open_case_with_route(uk)
    code = register_victim(uk, reference)
    share_with_italy(uk, reference)

    # Italy: the case is in its list with the handling code; the victim's name nowhere.
    italy = sign_in("ilo.ita")
    italy.goto(f"/cases/?q={reference}")
    row = italy.locator("table.cases tbody tr", has_text=reference)
    expect(row).to_have_count(1)
    expect(row.locator(".tag.h1")).to_have_text("H1")
    assert VICTIM_NAME not in italy.content()
    row.get_by_role("link", name=reference).click()
    expect(italy.locator(".share-banner")).to_contain_text("Summary")
    assert VICTIM_NAME not in italy.content() and PASSPORT not in italy.content()
    # The worker has delivered "case shared" to the Italy office's inbox.
    eventually_on_page(italy, "/inbox/", reference)
    expect(italy.locator(".inbox .notification.unread", has_text=reference)).to_have_count(1)

    # Spain: not shared, so "not found" (never "forbidden", which would confirm it exists).
    spain = sign_in("ilo.esp")
    response = spain.goto(f"/cases/{reference}/")
    assert response.status == 404
    expect(spain.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert "Farm workers" not in spain.content()

    # The UK office refers the victim to IOM for shelter (consented at registration).
    uk.goto(f"/victims/{code}/")
    uk.get_by_role("link", name="Refer to a service").click()
    uk.get_by_label("IOM — Shelter").check()
    uk.fill("#id_note", "A safe bed in Lahore on arrival")
    uk.get_by_role("button", name="Send the referral").click()
    expect(uk.locator(".messages")).to_contain_text("Referral sent to IOM for shelter")
    referral_url = uk.url
    expect(uk.locator(".case-head .status")).to_have_text("Pending")

    # IOM accepts from its inbox of referrals (htmx swaps the row in place).
    iom = sign_in("iom.pk")
    iom.goto("/victims/referrals/?status=pending")
    row = iom.locator("table.referrals tbody tr", has_text=code)
    expect(row).to_have_count(1)
    row.get_by_role("button", name=re.compile("^Accept")).click()
    expect(row.locator(".status")).to_have_text("Accepted")
    expect(row).to_contain_text("Referral accepted")

    # The referring officer sees it accepted, on the referral and in the inbox.
    uk.goto(referral_url)
    expect(uk.locator(".case-head .status")).to_have_text("Accepted")
    eventually_on_page(uk, "/inbox/", "accepted")
