"""Issue 19's journey: an officer sets up two-factor sign-in, signs out and in again with the
code, reveals a victim with a reason (and, once the check is old, is asked the code again);
HQ finds that reveal in its audit view. Without the code, the admin and the reveal refuse.

Each step saves a screenshot in test-artifacts/ (looked at when the screens change).
"""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.two_factor import VERIFIED_AT_SESSION_KEY
from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD, complete_second_step
from tests.two_factor import code_for
from victims.models import PersonalDataAccess, Victim

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"issue19-{name}.png"), full_page=True)


def password_step(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*accounts/two-factor/.*"))


def fresh_code(device: TOTPDevice) -> str:
    """A code the device accepts now (the next step's if this one was used)."""
    while True:
        device.refresh_from_db()
        now_t = int(time.time() - device.t0) // device.step
        ahead = max(0, device.last_t + 1 - now_t)
        if ahead <= device.tolerance:
            return code_for(device, steps_ahead=ahead)
        time.sleep(1)


def age_session(page, minutes: int) -> None:
    """Make the browser session's last second-factor check `minutes` old."""
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    session = SessionStore(session_key=cookie["value"])
    session[VERIFIED_AT_SESSION_KEY] = (
        timezone.now() - timezone.timedelta(minutes=minutes)
    ).isoformat()
    session.save()


def test_enrol_sign_in_with_the_code_reveal_with_a_reason_and_hq_audits_it(
    chromium, live_server, demo, eager, sign_in, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    TOTPDevice.objects.filter(user__username="ilo.gbr").delete()  # a first sign-in
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    uk = context.new_page()
    uk.set_default_timeout(10_000)

    # 1. The first sign-in sets up the authenticator from the QR code (or its key).
    password_step(uk, "ilo.gbr")
    expect(uk.locator("h1")).to_have_text("Set up two-factor sign-in")
    expect(uk.locator(".qr svg")).to_be_visible()
    assert uk.evaluate("document.documentElement.scrollWidth") <= 390
    shot(uk, "1-enrol-phone")
    secret = uk.locator("#totp-secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user__username="ilo.gbr")
    assert b32decode(secret + "=" * (-len(secret) % 8)) == bytes.fromhex(device.key)
    uk.fill("#id_code", fresh_code(device))
    uk.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(uk.locator("#recovery-codes li")).to_have_count(10)
    shot(uk, "2-recovery-codes")
    uk.get_by_role("link", name=re.compile("I have kept them")).click()

    # 2. Sign out, sign in again: the password, then the code.
    uk.get_by_role("button", name="Sign out").click()
    password_step(uk, "ilo.gbr")
    expect(uk.locator("h1")).to_have_text("Enter your code")
    uk.fill("#id_code", "000000" if fresh_code(device) != "000000" else "111111")
    uk.get_by_role("button", name="Continue").click()
    expect(uk.locator("#code-error")).to_contain_text("That code is not right")
    shot(uk, "3-wrong-code")
    uk.fill("#id_code", fresh_code(device))
    uk.get_by_role("button", name="Continue").click()
    uk.wait_for_url(re.compile(r"^(?!.*accounts/).*$"))

    # 3. Reveal a victim: a reason first; without one nothing is shown.
    victim = Victim.objects.filter(recorded_by_office__code="GBR").order_by("code").first()
    name = victim.full_name.reveal()
    uk.goto(f"/victims/{victim.code}/")
    uk.get_by_role("button", name="Reveal personal data").click()
    expect(uk.locator("#personal .error-summary")).to_contain_text("Choose why you need")
    assert name not in uk.content()
    uk.select_option("#id_purpose", "return")
    uk.fill("#id_reason", "Emergency travel document for her return flight")
    uk.get_by_role("button", name="Reveal personal data").click()
    expect(uk.locator("#personal")).to_contain_text(name)
    shot(uk, "4-revealed-with-reason")
    record = PersonalDataAccess.objects.get(user__username="ilo.gbr", victim=victim)
    assert (record.purpose, record.reason) == (
        "return",
        "Emergency travel document for her return flight",
    )

    # 4. Once the last check is old, the reveal refuses without the code.
    age_session(uk, settings.REVEAL_STEP_UP_MINUTES + 1)
    uk.goto(f"/victims/{victim.code}/")
    expect(uk.locator("#id_code")).to_be_visible()
    uk.select_option("#id_purpose", "case_work")
    uk.fill("#id_reason", "Checking the date of birth for the FIR")
    uk.get_by_role("button", name="Reveal personal data").click()
    expect(uk.locator("#personal .error-summary")).to_contain_text("Enter a current code")
    assert name not in uk.content()
    shot(uk, "5-step-up-refused")
    uk.fill("#id_code", fresh_code(device))
    uk.get_by_role("button", name="Reveal personal data").click()
    expect(uk.locator("#personal")).to_contain_text(name)
    assert PersonalDataAccess.objects.filter(user__username="ilo.gbr").count() == 2

    # 5. Without the code the admin is refused: a password-only HQ session.
    hq_context = chromium.new_context(base_url=live_server.url)
    half = hq_context.new_page()
    password_step(half, "hq.admin")
    half.goto("/admin/")
    expect(half.locator("h1")).to_have_text("Enter your code")
    assert "/accounts/two-factor/" in half.url
    shot(half, "6-admin-needs-the-code")
    complete_second_step(half, "hq.admin")
    assert "/admin/" in half.url
    hq_context.close()

    # 6. HQ finds the reveal in the audit view, with its reason.
    hq = sign_in("hq.adg")
    hq.goto("/hq/audit/?user=ilo.gbr")
    row = hq.locator("table.audit tbody tr", has_text="Emergency travel document")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(victim.code)
    expect(row).to_contain_text("Return, travel documents or repatriation")
    assert name not in hq.content()
    shot(hq, "7-hq-audit")
    context.close()
