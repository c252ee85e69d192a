"""The person index in the browser, on the demo data: a match the officer may not see, the
one-click request, the network view and the look-up, on a desktop and on a phone, under the
strict CSP. Screenshots go to test-artifacts/ (people-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cases.constants import RequestKind
from cases.models import Case, CooperationRequest
from tests.browser.conftest import ARTIFACTS

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


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"people-{name}.png"), full_page=True)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE


def test_a_hidden_match_one_click_request_network_and_look_up(sign_in, eager):
    uk_case = Case.objects.get(title__startswith="Forced labour on construction sites")
    uae_case = Case.objects.get(lead_office__code="ARE")
    uk = sign_in("ilo.gbr")
    violations = csp_violations(uk)

    uk.goto(uk_case.get_absolute_url())
    people = uk.locator("#people")
    expect(people).to_contain_text("Muhammad Asif")
    expect(people.locator(".hidden-match")).to_contain_text("(ARE) holds a case with this name")
    assert uae_case.reference not in people.inner_text()
    shot(uk, "case-section")

    uk.get_by_role("button", name="Ask ARE").click()
    expect(uk.locator("body")).to_contain_text("Identity-check request sent to ARE.")
    request = CooperationRequest.objects.get(
        case=uk_case, to_office__code="ARE", kind=RequestKind.IDENTITY_CHECK
    )
    assert uae_case.reference not in request.question

    uk.goto(f"/people/cases/{uk_case.reference}/network/")
    expect(uk.locator("svg.network-wide")).to_be_visible()
    expect(uk.locator("svg.network-narrow")).to_be_hidden()
    expect(uk.locator("svg.network-wide .node-office")).to_have_count(1)
    shot(uk, "network")

    # The UAE officer's own case now links the UK case, which it holds at summary level.
    uae = sign_in("ilo.are", width=PHONE, height=800)
    uae_violations = csp_violations(uae)
    uae.goto(uae_case.get_absolute_url())
    expect(uae.locator("#people")).to_contain_text(uk_case.reference)
    expect(uae.locator("#people")).to_contain_text("محمد آصف")
    # The section itself overflows nothing (the page as a whole is the case page's business).
    assert uae.evaluate("(e => e.scrollWidth <= e.clientWidth)(document.querySelector('#people'))")
    shot(uae, "case-section-phone")
    uae.goto(f"/people/cases/{uae_case.reference}/network/")
    expect(uae.locator("svg.network-narrow")).to_be_visible()
    expect(uae.locator("svg.network-narrow .node-other-case")).to_have_count(1)
    assert fits(uae)
    shot(uae, "network-phone")

    # The look-up on a phone, with a name in Urdu script.
    uae.goto("/people/lookup/")
    uae.select_option("#id_kind", "name")
    uae.fill("#id_value", "Mohammed Asif")
    uae.get_by_role("button", name="Look up").click()
    expect(uae.locator("#results")).to_contain_text(uk_case.reference)
    expect(uae.locator("#results")).to_contain_text(uae_case.reference)
    assert fits(uae)
    shot(uae, "lookup-phone")
    assert violations == [] and uae_violations == []
