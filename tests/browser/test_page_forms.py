"""Page forms in a real browser: clicking again on a slow "Open the case" opens one case; two
tabs saving the same victim or follow-up: the later one sees the merge (docs/forms.md).

The create is made slow the way a busy office makes it slow: another transaction holds the
office's reference counter row, so the server's `case_create` waits on it while the officer
clicks again.
"""

from __future__ import annotations

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, CaseReferenceCounter
from liaison_offices.models import LinkOffice
from tests.browser.conftest import ARTIFACTS
from victims.models import ReintegrationFollowUp, Victim

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "Kiln workers held near Sheikhupura"


def hold_counter(office: LinkOffice):
    """A connection of its own holding the office's counter row FOR UPDATE (until closed)."""
    CaseReferenceCounter.objects.get_or_create(office=office, year=timezone.now().year)
    held = psycopg2.connect(**connection.get_connection_params())  # a transaction is open
    held.cursor().execute(
        "SELECT 1 FROM cases_casereferencecounter WHERE office_id = %s AND year = %s FOR UPDATE",
        [office.pk, timezone.now().year],
    )
    return held


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_clicking_again_on_a_slow_create_opens_one_case(demo, eager, sign_in, width):
    """The officer clicks, the line hangs, they stop the page and click again.

    (A plain double click is not enough to show it: Chromium drops a second submission of
    a form whose first is still loading, and htmx drops a second request of an element.)
    """
    office = LinkOffice.objects.get(code="GBR")
    before = Case.objects.filter(lead_office=office).count()
    uk = sign_in("ilo.gbr", width=width, height=900 if width > 500 else 844)
    uk.goto("/cases/new/")
    uk.select_option("#id_kind", "TIP")
    uk.fill("#id_title", TITLE)
    posts = []
    uk.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    button = uk.get_by_role("button", name="Open the case")
    stop = uk.context.new_cdp_session(uk)
    held = hold_counter(office)
    try:
        button.click(no_wait_after=True)
        wait_for(uk, lambda: len(posts) == 1)
        uk.wait_for_timeout(300)  # the server is in case_create, waiting on the counter
        stop.send("Page.stopLoading")  # the browser's Stop button
        button.click(no_wait_after=True)
        wait_for(uk, lambda: len(posts) == 2)
        uk.wait_for_timeout(300)  # the second post waits on the first one's token
    finally:
        held.close()  # the first create goes ahead and commits
    expect(uk.locator(".messages")).to_contain_text("already been sent and was saved then")
    assert Case.objects.filter(lead_office=office).count() == before + 1
    case = Case.objects.get(title=TITLE)
    assert uk.url.endswith(case.get_absolute_url())
    ARTIFACTS.mkdir(exist_ok=True)
    uk.screenshot(path=str(ARTIFACTS / f"clicked-again-one-case-{width}.png"), full_page=True)


def wait_for(page, condition, tries: int = 50) -> None:
    for _ in range(tries):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the browser did not send the post")


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_two_tabs_editing_a_victim_the_later_sees_the_merge(demo, eager, sign_in, width):
    victim = Victim.objects.filter(recorded_by_office__code="GBR").order_by("pk").first()
    edit = f"/victims/{victim.code}/edit/"
    tab_a = sign_in("ilo.gbr", width=width, height=900 if width > 500 else 844)
    tab_b = tab_a.context.new_page()
    tab_a.goto(edit)
    tab_b.goto(edit)  # opened before tab A saves
    tab_a.fill("#id_phone", "+92 300 0000001")
    tab_a.get_by_role("button", name="Save changes").click()
    expect(tab_a.locator(".messages")).to_contain_text("Changes saved.")

    tab_b.fill("#id_address", "House 4, Street 9, Gujrat")
    tab_b.get_by_role("button", name="Save changes").click()
    box = tab_b.locator(".conflict")
    expect(box).to_contain_text("Someone else changed this victim's record")
    expect(box.locator("tr", has_text="Phone")).to_contain_text("+92 300 0000001")
    expect(box.locator("tr", has_text="Phone")).to_contain_text("Theirs")
    expect(tab_b.locator("#id_phone")).to_have_value("+92 300 0000001")  # theirs, kept
    expect(tab_b.locator("#id_address")).to_have_value("House 4, Street 9, Gujrat")  # mine
    stored = Victim.objects.get(pk=victim.pk)
    assert stored.phone.reveal() == "+92 300 0000001"
    assert stored.address.reveal() != "House 4, Street 9, Gujrat"  # nothing saved yet
    ARTIFACTS.mkdir(exist_ok=True)
    tab_b.screenshot(path=str(ARTIFACTS / f"victim-merge-{width}.png"), full_page=True)

    tab_b.get_by_role("button", name="Save changes").click()
    expect(tab_b.locator(".messages")).to_contain_text("Changes saved.")
    stored = Victim.objects.get(pk=victim.pk)
    assert stored.phone.reveal() == "+92 300 0000001"
    assert stored.address.reveal() == "House 4, Street 9, Gujrat"


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_two_tabs_recording_a_follow_up_the_later_sees_the_merge(demo, eager, sign_in, width):
    from liaison_offices.models import Membership

    followup = (
        ReintegrationFollowUp.objects.filter(done_at__isnull=True)
        .select_related("referral")
        .order_by("due_on", "pk")
        .first()
    )
    provider = (
        Membership.objects.filter(partner_id=followup.referral.partner_id, ended_at__isnull=True)
        .values_list("user__username", flat=True)
        .first()
    )
    url = f"/victims/followups/{followup.pk}/"
    tab_a = sign_in(provider, width=width, height=900 if width > 500 else 844)
    tab_b = tab_a.context.new_page()
    tab_a.goto(url)
    tab_b.goto(url)  # opened before tab A records it
    for name, score in [
        ("economic_score", "3"),
        ("social_score", "3"),
        ("psychosocial_score", "4"),
    ]:
        tab_a.check(f"input[name={name}][value='{score}']")
    tab_a.fill("#id_notes", "Working at the family shop.")
    tab_a.get_by_role("button", name="Record the follow-up").click()
    expect(tab_a.locator(".messages")).to_contain_text("Follow-up recorded.")

    for name, score in [
        ("economic_score", "2"),
        ("social_score", "3"),
        ("psychosocial_score", "4"),
    ]:
        tab_b.check(f"input[name={name}][value='{score}']")
    tab_b.get_by_role("button", name="Record the follow-up").click()
    box = tab_b.locator(".conflict")
    expect(box).to_contain_text("Someone else changed this follow-up")
    expect(box.locator("tr", has_text="Economic")).to_contain_text("Yours — you both changed it")
    expect(box.locator("tr", has_text="Notes")).to_contain_text("Theirs")
    expect(tab_b.locator("input[name=economic_score][value='2']")).to_be_checked()  # mine
    expect(tab_b.locator("#id_notes")).to_have_value("Working at the family shop.")  # theirs
    stored = ReintegrationFollowUp.objects.get(pk=followup.pk)
    assert (stored.economic_score, stored.notes) == (3, "Working at the family shop.")
    ARTIFACTS.mkdir(exist_ok=True)
    tab_b.screenshot(path=str(ARTIFACTS / f"follow-up-merge-{width}.png"), full_page=True)

    tab_b.get_by_role("button", name="Record the follow-up").click()  # a deliberate correction
    expect(tab_b.locator(".messages")).to_contain_text("Follow-up recorded.")
    stored = ReintegrationFollowUp.objects.get(pk=followup.pk)
    assert (stored.economic_score, stored.notes) == (2, "Working at the family shop.")
