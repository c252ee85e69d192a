"""Two-factor sign-in: enrolment at the first sign-in, the code at every sign-in, recovery
codes, the gate in front of pages, the admin and the API, and who may skip it.

These sign in through the real password form (so the session has passed the password step
only), then type codes computed from the device's key, as a phone would.
"""

from __future__ import annotations

import re
from binascii import unhexlify

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountEvent, AccountEventKind
from accounts.two_factor import VERIFIED_AT_SESSION_KEY
from glo_act.submit_once import new_token
from tests.cast import PASSWORD
from tests.two_factor import authenticator_of, code_for, password_only_login

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
STEP = reverse("accounts:two_factor")


@pytest.fixture(autouse=True)
def no_throttle(settings):
    """A wrong code makes the next try wait a second (django-otp); tests type on at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def password_step(client, user):
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password is right"
    return response


def wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def test_the_first_sign_in_sets_up_an_authenticator_and_shows_recovery_codes_once(client, cast):
    response = password_step(client, cast.uk)
    assert response["Location"] == STEP

    page = client.get(STEP)
    assert page.status_code == 200
    assert "Set up two-factor sign-in" in page.text
    assert "<svg" in page.text, "the QR code is drawn on the page"
    assert "Not now" not in page.text, "an officer may not skip it"
    assert 'aria-label="Main"' not in page.text, "no navigation before the second step"
    device = TOTPDevice.objects.get(user=cast.uk)
    assert not device.confirmed
    # The key shown for typing is the device's, in base32 as apps take it.
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    from base64 import b32decode

    assert b32decode(shown + "=" * (-len(shown) % 8)) == unhexlify(device.key)

    # Until then, nothing else opens.
    assert client.get(reverse("home"))["Location"].startswith(STEP)

    refused = client.post(STEP, {"code": wrong(code_for(device)), "form_token": new_token()})
    assert refused.status_code == 400
    assert "That code is not right" in refused.text
    device.refresh_from_db()
    assert not device.confirmed

    done = client.post(STEP, {"code": code_for(device), "form_token": new_token()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200
    assert AccountEvent.objects.filter(user=cast.uk, kind=AccountEventKind.TWO_FACTOR_ENROLLED)
    # Shown once: the codes are stored only as the device's tokens, never on a page again.
    assert "-" not in StaticToken.objects.filter(device__user=cast.uk).first().token
    assert codes[0] not in client.get(reverse("accounts:security")).text


def test_every_sign_in_asks_the_code_and_a_code_works_once(client, cast):
    device = authenticator_of(cast.italy)
    password_step(client, cast.italy)
    page = client.get(STEP)
    assert "Enter your code" in page.text and "<svg" not in page.text

    code = code_for(device)
    response = client.post(STEP, {"code": code, "next": reverse("cases:list")})
    assert response.status_code == 302 and response["Location"] == reverse("cases:list")
    assert client.session[VERIFIED_AT_SESSION_KEY]

    client.post(reverse("logout"))
    password_step(client, cast.italy)
    replay = client.post(STEP, {"code": code})
    assert replay.status_code == 400, "the same code cannot sign in twice"
    assert VERIFIED_AT_SESSION_KEY not in client.session


def test_the_second_step_never_redirects_off_the_site(client, cast):
    device = authenticator_of(cast.italy)
    password_step(client, cast.italy)
    response = client.post(STEP, {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(client, cast):
    authenticator_of(cast.uk)
    from accounts import services

    codes = services.recovery_codes_new(user=cast.uk)
    password_step(client, cast.uk)
    typed = services.format_recovery_code(codes[0]).upper()  # as written down, any case
    response = client.post(STEP, {"code": typed}, follow=True)
    assert response.status_code == 200
    assert "You signed in with a recovery code; 9 left" in response.text
    assert AccountEvent.objects.filter(user=cast.uk, kind=AccountEventKind.RECOVERY_CODE_USED)

    client.post(reverse("logout"))
    password_step(client, cast.uk)
    assert client.post(STEP, {"code": codes[0]}).status_code == 400


def test_a_password_only_session_reaches_no_page_admin_or_api(client, cast):
    password_only_login(client, cast.hq)
    cast.hq.is_staff = True
    cast.hq.save(update_fields=["is_staff"])
    for path in [reverse("home"), reverse("cases:list"), reverse("victims:list"), "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(STEP), path
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert api["Content-Type"] == "application/problem+json"
    assert "Two-factor" in api.json()["title"]
    # Signing out still works.
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_admin_refuses_a_session_without_the_second_factor_even_past_the_gate(
    client, cast, settings
):
    cast.hq.is_staff = True
    cast.hq.save(update_fields=["is_staff"])
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "TwoFactorMiddleware" not in m]
    password_only_login(client, cast.hq)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_focal_point_may_skip_the_set_up_but_an_officer_may_not(client, cast):
    password_step(client, cast.focal_point)
    page = client.get(STEP)
    assert "Not now" in page.text
    response = client.post(reverse("accounts:skip"), {"next": "/"}, follow=True)
    assert response.status_code == 200
    assert "before you can see any victim" in response.text
    assert client.get(reverse("home")).status_code == 200

    other = client.__class__()
    password_step(other, cast.uk)
    assert other.post(reverse("accounts:skip")).status_code == 403
    assert other.get(reverse("home")).status_code == 302


@pytest.mark.parametrize(
    ("who", "required"),
    [("hq", True), ("uk", True), ("provider", True), ("focal_point", False)],
)
def test_who_must_have_a_second_factor(cast, who, required):
    from accounts.two_factor import requires_two_factor

    assert requires_two_factor(getattr(cast, who)) is required


def test_staff_always_need_it(cast):
    from accounts.two_factor import requires_two_factor

    cast.focal_point.is_staff = True
    assert requires_two_factor(cast.focal_point)


def test_new_recovery_codes_need_a_code_and_replace_the_old_ones(client, cast, login):
    from accounts import services

    client = login(cast.uk)
    device = authenticator_of(cast.uk)
    old = services.recovery_codes_new(user=cast.uk)
    refused = client.post(
        reverse("accounts:security"), {"code": wrong(code_for(device)), "form_token": new_token()}
    )
    assert refused.status_code == 400
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old)

    done = client.post(
        reverse("accounts:security"), {"code": code_for(device), "form_token": new_token()}
    )
    assert done.status_code == 200
    new = {c.replace("-", "") for c in re.findall(r"<code>([a-z2-9-]{11})</code>", done.text)}
    assert len(new) == 10
    assert set(StaticToken.objects.values_list("token", flat=True)) == new
