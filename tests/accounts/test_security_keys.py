"""Security keys beside the authenticator app (accounts/webauthn.py): who may start adding one,
what a session past the password alone may reach, the key on the second step and the security
page, and HQ's reset removing keys too. The ceremonies themselves run in Chromium with a
virtual authenticator (tests/browser/test_security_key.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from accounts import services, two_factor
from tests.two_factor import age_verification, authenticator_of, password_only_login

pytestmark = pytest.mark.django_db

REGISTER = reverse("otp_webauthn:credential-registration-begin")
AUTHENTICATE = reverse("otp_webauthn:credential-authentication-begin")


def key_of(user, number: int = 1) -> WebAuthnCredential:
    """A stored key (its bytes are placeholders: no ceremony runs here)."""
    return WebAuthnCredential.objects.create(
        user=user,
        name=f"Security key {number}",
        confirmed=True,
        credential_id=bytes([number]) * 32,
        public_key=b"\x00" * 77,
        sign_count=0,
    )


def test_adding_a_key_needs_a_fresh_second_factor(cast, login, settings):
    settings.OTP_WEBAUTHN_RP_ID = "testserver"
    client = login(cast.uk)
    started = client.post(REGISTER)
    assert started.status_code == 200, started.content
    options = started.json()
    assert options["rp"] == {"id": "testserver", "name": "GLO.ACT Case Coordination"}
    assert options["user"]["name"] == cast.uk.username and options["challenge"]

    age_verification(client, settings.REVEAL_STEP_UP_MINUTES + 1)
    refused = client.post(REGISTER)
    assert refused.status_code == 403
    assert refused.json()["code"] == "second_factor_not_fresh"
    page = client.get(reverse("accounts:security")).content.decode()
    assert "passkey-register-button" not in page and "enter a code again" in page

    anonymous = Client().post(REGISTER)
    assert anonymous.status_code in (302, 401, 403)  # never a ceremony without a sign-in


def test_after_the_password_alone_a_key_may_sign_in_but_not_be_added(cast, settings):
    settings.OTP_WEBAUTHN_RP_ID = "testserver"
    authenticator_of(cast.uk)
    key = key_of(cast.uk)
    key_of(cast.italy, 2)  # another user's key is never offered
    client = Client()
    password_only_login(client, cast.uk)
    page = client.get(reverse("accounts:two_factor")).content.decode()
    assert 'id="passkey-verification-placeholder"' in page and 'id="id_code"' in page

    started = client.post(AUTHENTICATE)
    assert started.status_code == 200, started.content
    offered = [c["id"] for c in started.json()["allowCredentials"]]
    assert len(offered) == 1
    from webauthn.helpers import bytes_to_base64url

    assert offered == [bytes_to_base64url(bytes(key.credential_id))]
    # Adding a key: the middleware holds the password-only session at the second step.
    response = client.post(REGISTER)
    assert response.status_code == 302 and reverse("accounts:two_factor") in response["Location"]
    assert client.get(reverse("victims:list")).status_code == 302


def test_the_second_step_offers_a_key_only_to_who_has_one(cast):
    authenticator_of(cast.spain)
    client = Client()
    password_only_login(client, cast.spain)
    page = client.get(reverse("accounts:two_factor")).content.decode()
    assert "passkey-verification-placeholder" not in page


def test_the_security_page_lists_keys_and_hq_reset_removes_them(cast, login):
    key_of(cast.uk)
    page = login(cast.uk).get(reverse("accounts:security")).content.decode()
    assert "Security key 1, added" in page and 'id="passkey-register-button"' in page
    hq_page = login(cast.hq).get(reverse("accounts:hq_user", args=[cast.uk.username]))
    assert "1 security key" in hq_page.content.decode()
    services.devices_reset(acting_user=cast.hq, user=cast.uk, reason="Lost bag with the key")
    assert not WebAuthnCredential.objects.filter(user=cast.uk).exists()
    assert not two_factor.security_keys(cast.uk).exists()
