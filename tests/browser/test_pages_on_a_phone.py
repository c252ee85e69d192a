"""The victims and statistics pages on a phone, by keyboard, under the strict CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import give_reveal_reason
from victims.models import Victim

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PHONE = 390


def csp_violations(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE


def test_victim_pages_and_statistics_work_on_a_phone_by_keyboard(sign_in, eager):
    victim = Victim.objects.filter(recorded_by_office__code="GBR").order_by("code").first()
    uk = sign_in("ilo.gbr", width=PHONE, height=800)
    violations = csp_violations(uk)

    # The list filters as you type (htmx), and fits the screen.
    uk.goto("/victims/")
    assert fits(uk)
    uk.locator("#id_q").press_sequentially(victim.code)  # typing: keyup triggers htmx
    expect(uk.locator("#victim-results tbody tr")).to_have_count(1)
    expect(uk.locator("#victim-results")).to_contain_text(victim.code)

    # The victim page shows the code; Reveal works from the keyboard and swaps in place.
    uk.get_by_role("link", name=victim.code).click()
    assert fits(uk)
    expect(uk.locator("#personal")).not_to_contain_text("Shown to you now")
    give_reveal_reason(uk)
    uk.get_by_role("button", name="Reveal personal data").focus()
    uk.keyboard.press("Enter")
    expect(uk.locator("#personal .notice")).to_contain_text("recorded in the access log")
    assert victim.access_records.filter(door="page").count() == 1

    # The registration form fits a phone.
    uk.goto("/victims/new/")
    assert fits(uk)

    # Statistics: charts drawn, each with its table, nothing wider than the screen.
    uk.goto("/statistics/")
    assert fits(uk)
    expect(uk.locator("svg.chart")).to_have_count(7)
    expect(uk.locator("#victims .multiples figure")).to_have_count(4)
    assert uk.locator("table").count() >= 5
    assert violations == []
