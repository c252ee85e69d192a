"""Who works the case, in a real browser, on the demo data.

ilo.gbr assigns a case to a colleague, who finds it under "My cases" (on a phone too); the UK
office lead reassigns all 30 of ilo.gbr's open cases in one action; ilo.ita hands a case to
Spain, ilo.esp accepts, Italy keeps a summary share, the reference is unchanged, and the list,
the page, the API and the inbox agree at once. Screenshots go to test-artifacts/casework/.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.demo import DEMO_DEVICE_NAME, demo_key
from cases import services
from cases.constants import CaseKind, Exploitation
from cases.models import Case
from liaison_offices import services as office_services
from liaison_offices.constants import Role
from liaison_offices.models import LinkOffice
from liaison_offices.services import api_token_issue
from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = ARTIFACTS / "casework"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def demo_user(username: str, first: str, last: str, office: str, role: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=username, first_name=first, last_name=last, password=DEMO_PASSWORD
    )
    office_services.membership_add(
        acting_user=None, user=user, role=role, office=LinkOffice.objects.get(code=office)
    )
    # The demo users' authenticator, so that `sign_in` can type its code (accounts/demo.py).
    TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=demo_key(), confirmed=True)
    return user


def open_cases(officer, office: str, count: int) -> list[Case]:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=officer)
    lead = LinkOffice.objects.get(code=office)
    cases = []
    for i in range(count):
        case = services.case_create(
            acting_user=user,
            lead_office=lead,
            kind=CaseKind.SOM,
            title=f"Boat crossing {i + 1}",
            forms_of_exploitation=[Exploitation.FORCED_LABOUR],
        )
        cases.append(services.case_assign(acting_user=user, case=case, officer=user))
    return cases


def api_get(page, user, path: str) -> dict:
    token, _ = api_token_issue(acting_user=None, user=user, ttl=dt.timedelta(hours=1))
    response = page.request.get(f"/api/v1{path}", headers={"Authorization": f"Token {token}"})
    assert response.status == 200, response.text()
    return response.json()


def test_assign_reassign_and_hand_over(eager, sign_in):
    colleague = demo_user("ilo2.gbr", "Second", "Officer GBR", "GBR", Role.OFFICER)
    demo_user("lead.gbr", "Office", "Lead GBR", "GBR", Role.OFFICE_LEAD)
    first, *_ = open_cases("ilo.gbr", "GBR", 31)

    # ilo.gbr gives one case to a colleague.
    uk = sign_in("ilo.gbr")
    uk.goto(first.get_absolute_url())
    uk.locator("#assignment").get_by_role("link", name="Change").click()
    uk.select_option("#id_officer", label="Second Officer GBR (ilo2.gbr)")
    uk.get_by_role("button", name="Save").click()
    expect(uk.locator(".messages")).to_contain_text("assigned to Second Officer GBR")
    expect(uk.locator("#assignment")).to_contain_text("Second Officer GBR")
    shot(uk, "1-case-assigned")

    # The colleague finds it under "My cases", on a desk and on a phone.
    for width, name in ((1280, "2-my-cases"), (390, "2-my-cases-phone")):
        mine = sign_in("ilo2.gbr", width=width, height=844)
        mine.goto("/cases/")
        mine.select_option("#id_assigned", "mine")
        expect(mine.locator("#case-results")).to_contain_text("Showing 1–1 of 1 case")
        expect(mine.locator("#case-results")).to_contain_text(first.reference)
        assert "assigned=mine" in mine.url
        shot(mine, name)
    assert api_get(mine, colleague, "/cases/?assigned=mine")["count"] == 1

    # The office lead moves all 30 of ilo.gbr's open cases to the colleague in one action.
    lead = sign_in("lead.gbr")
    lead.goto("/cases/")
    lead.get_by_role("link", name="Reassign").click()
    lead.select_option("#id_from_officer", label="Immigration Liaison Officer GBR (ilo.gbr)")
    lead.get_by_role("button", name="Show their open cases").click()
    expect(lead.locator("#reassign-form")).to_contain_text("30 open cases of GBR")
    lead.select_option("#id_to_officer", label="Second Officer GBR (ilo2.gbr)")
    shot(lead, "3-reassign")
    lead.get_by_role("button", name="Review the reassignment").click()
    expect(lead.locator("h1")).to_have_text("Reassign 30 cases?")
    lead.get_by_role("button", name="Reassign 30 cases").click()
    expect(lead.locator(".messages")).to_contain_text("30 cases of GBR reassigned to Second")
    shot(lead, "4-reassigned")
    assert Case.objects.filter(assigned_to=colleague).count() == 31

    # Italy hands a case to Spain.
    italy_case = Case.objects.filter(lead_office__code="ITA").order_by("id").first()
    reference = italy_case.reference
    italy = sign_in("ilo.ita")
    italy.goto(italy_case.get_absolute_url())
    italy.get_by_role("link", name="Hand over…").click()
    italy.select_option("#id_to_office", label="FIA Link Office Spain (ESP)")
    italy.select_option("#id_keep_level", "1")
    italy.fill("#id_note", "The victims were moved to Madrid.")
    italy.get_by_role("button", name="Ask them to take it").click()
    expect(italy.locator(".messages")).to_contain_text(f"{reference} offered to ESP")

    spain = sign_in("ilo.esp", width=390, height=844)
    spain.goto("/cases/hand-overs/")
    expect(spain.locator(".handovers")).to_contain_text(reference)
    shot(spain, "5-handover-pending-phone")
    spain.get_by_role("button", name="Accept and lead the case").click()
    expect(spain.locator(".messages")).to_contain_text(f"Hand-over of {reference} to ESP accepted")
    expect(spain.locator(".case-head .reference")).to_have_text(reference)
    expect(spain.locator(".case-head")).to_contain_text("(ESP)")
    shot(spain, "6-spain-leads-phone")

    # Every door agrees: Italy's list and page, the API, the inboxes.
    italy.goto(f"/cases/?q={reference}")
    expect(italy.locator("#case-results")).to_contain_text("Shared · Summary")
    italy.goto(f"/cases/{reference}/")
    expect(italy.locator(".share-banner")).to_contain_text("Summary")
    shot(italy, "7-italy-keeps-summary")
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="ilo.")}
    seen_by_italy = api_get(italy, users["ilo.ita"], f"/cases/{reference}/")
    assert seen_by_italy["lead_office"] == "ESP"
    assert seen_by_italy["access"]["level"] == "summary"
    seen_by_spain = api_get(spain, users["ilo.esp"], f"/cases/{reference}/")
    assert seen_by_spain["access"]["level"] == "lead_office"
    italy.goto("/inbox/")
    expect(italy.locator(".inbox")).to_contain_text("Hand-over accepted")
    shot(italy, "8-italy-inbox")
