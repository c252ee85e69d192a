"""A security key beside the authenticator app, in Chromium with a virtual authenticator (the
DevTools protocol's WebAuthn domain, through Playwright's CDP session): ilo.gbr adds a key on
the security page, signs out, signs in with the password and the key, and a recovery code
still signs in. A session past the password alone still reaches nothing.

Screenshots of the security page and of the second step with the key go to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accounts import services
from accounts.models import AccountEvent, AccountEventKind
from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"security-key-{name}.png"), full_page=True)


def password_step(page, username: str, next_url: str = "") -> None:
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*accounts/two-factor/.*"))


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r".*/accounts/(login|logout)/.*"))


@pytest.fixture
def virtual_key(settings, live_server):
    """`virtual_key(page)` → (CDP session, authenticator id): a USB security key that answers
    every request (presence and user verification simulated)."""
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")

    def _attach(page):
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        added = cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "usb",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        return cdp, added["authenticatorId"]

    return _attach


def test_a_security_key_is_added_and_signs_in_and_recovery_codes_still_work(
    demo, eager, sign_in, virtual_key
):
    user = get_user_model().objects.get(username="ilo.gbr")
    codes = services.recovery_codes_new(user=user)
    page = sign_in("ilo.gbr")  # password and the authenticator app's code
    cdp, authenticator = virtual_key(page)

    page.goto("/accounts/security/")
    page.get_by_role("button", name="Add a security key").click()
    expect(page.locator("dl.facts")).to_contain_text("Security key")  # the page loads anew
    (key,) = WebAuthnCredential.objects.filter(user=user)
    assert key.confirmed
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1
    assert AccountEvent.objects.filter(user=user, kind=AccountEventKind.SECURITY_KEY_ADDED)
    expect(page.locator("main")).to_contain_text("Added a security key")  # recent events
    shot(page, "security-page")

    # Signed out, then in: the password, then the key instead of a code.
    sign_out(page)
    password_step(page, "ilo.gbr", next_url="/victims/")
    # The password alone reaches nothing: the pages send the session back to the second step.
    assert page.goto("/victims/").url.split("?")[0].endswith("/accounts/two-factor/")
    expect(page.get_by_role("button", name="Use my security key")).to_be_visible()
    expect(page.locator("#id_code")).to_be_visible()  # the code still works too
    shot(page, "second-step")
    page.get_by_role("button", name="Use my security key").click()
    page.wait_for_url(re.compile(r".*/victims/$"))
    expect(page.locator("h1")).to_contain_text("Victims")
    key.refresh_from_db()
    assert key.last_used_at is not None
    after = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert after["credentials"][0]["signCount"] >= 1

    # A recovery code still signs in, with the key registered.
    sign_out(page)
    password_step(page, "ilo.gbr")
    page.fill("#id_code", codes[0])
    page.click("form:has(#id_code) button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*accounts/(login|two-factor)).*$"))
    expect(page.locator(".messages")).to_contain_text("You signed in with a recovery code")
    assert AccountEvent.objects.filter(user=user, kind=AccountEventKind.RECOVERY_CODE_USED)
    assert page.goto("/victims/").url.endswith("/victims/")  # verified: the pages open
