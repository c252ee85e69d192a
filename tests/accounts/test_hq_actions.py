"""HQ's actions on a user's sign-in: reset the second factor, unlock, one-time password link.
Each needs a reason, writes its audit line, and is refused to everyone but verified HQ."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import AccountEvent, AccountEventKind
from glo_act.submit_once import new_token
from tests.cast import PASSWORD
from tests.two_factor import authenticator_of, code_for

pytestmark = pytest.mark.django_db


def page(user):
    return reverse("accounts:hq_user", kwargs={"username": user.username})


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_only_verified_hq_opens_a_users_sign_in_page(client, cast, login):
    from tests.two_factor import password_only_login

    assert login(cast.uk).get(page(cast.italy)).status_code == 403
    assert login(cast.focal_point).get(reverse("accounts:hq_users")).status_code == 403
    other = client.__class__()
    password_only_login(other, cast.hq)
    assert other.get(page(cast.italy)).status_code == 302  # to the second step first
    hq = login(cast.hq)
    found = hq.get(reverse("accounts:hq_users"), {"q": "italy"})
    assert page(cast.italy) in found.text
    assert hq.get(page(cast.italy)).status_code == 200


def test_resetting_the_second_factor_needs_a_reason_and_ends_the_users_sessions(
    client, cast, login
):
    from django.test import Client

    italy = Client()
    italy.force_login(cast.italy)
    services.recovery_codes_new(user=cast.italy)
    assert italy.get(reverse("home")).status_code == 200

    hq = login(cast.hq)
    refused = hq.post(
        page(cast.italy), {"action": "reset", "reset-reason": "  ", "form_token": new_token()}
    )
    assert refused.status_code == 400
    assert "Say why" in refused.text
    assert TOTPDevice.objects.filter(user=cast.italy).exists()

    done = hq.post(
        page(cast.italy),
        {"action": "reset", "reset-reason": "Phone stolen in Rome", "form_token": new_token()},
        follow=True,
    )
    assert "Two-factor sign-in of italy.officer is reset" in done.text
    assert not TOTPDevice.objects.filter(user=cast.italy).exists()
    assert not StaticDevice.objects.filter(user=cast.italy).exists()
    event = AccountEvent.objects.get(user=cast.italy, kind=AccountEventKind.TWO_FACTOR_RESET)
    assert (event.acting_user, event.reason) == (cast.hq, "Phone stolen in Rome")
    assert "Phone stolen in Rome" in done.text, "the audit line is on HQ's page"
    # The officer's open session ended; the next sign-in sets up a new app.
    assert italy.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert sign_in(italy, cast.italy.username, PASSWORD).status_code == 302
    assert "Set up two-factor sign-in" in italy.get(reverse("accounts:two_factor")).text


def test_hq_unlocks_a_locked_user_with_a_reason(client, cast, login, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, cast.uk.username, f"wrong-{attempt}")
    assert sign_in(client, cast.uk.username, PASSWORD).status_code == 429
    assert services.locked_out(cast.uk)

    hq = login(cast.hq)
    assert "<strong>Locked</strong>" in hq.get(page(cast.uk)).text
    assert (
        hq.post(
            page(cast.uk), {"action": "unlock", "unlock-reason": "", "form_token": new_token()}
        ).status_code
        == 400
    )
    assert services.locked_out(cast.uk), "nothing changed on error"
    done = hq.post(
        page(cast.uk),
        {
            "action": "unlock",
            "unlock-reason": "Called HQ, identity checked",
            "form_token": new_token(),
        },
    )
    assert done.status_code == 302
    assert not services.locked_out(cast.uk)
    event = AccountEvent.objects.get(user=cast.uk, kind=AccountEventKind.UNLOCKED)
    assert (event.acting_user, event.reason) == (cast.hq, "Called HQ, identity checked")

    from django.test import Client

    assert sign_in(Client(), cast.uk.username, PASSWORD).status_code == 302


def test_a_one_time_password_link_sets_a_password_once(client, cast, login):
    hq = login(cast.hq)
    issued = hq.post(
        page(cast.uk),
        {"action": "link", "link-reason": "Forgot the password", "form_token": new_token()},
    )
    assert issued.status_code == 200
    link = issued.context["link"]
    assert link.startswith("http://testserver/accounts/password/")
    assert AccountEvent.objects.filter(
        user=cast.uk, kind=AccountEventKind.PASSWORD_LINK, acting_user=cast.hq
    ).exists()

    from django.test import Client

    person = Client()
    path = link.removeprefix("http://testserver")
    form = person.get(path)
    assert form.status_code == 200 and "uk.officer" in form.text
    short = person.post(path, {"new_password1": "short", "new_password2": "short"})
    assert short.status_code == 400 and "too short" in short.text
    new = "a-new-long-password-2026"
    done = person.post(path, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert AccountEvent.objects.filter(user=cast.uk, kind=AccountEventKind.PASSWORD_SET).exists()
    assert sign_in(Client(), cast.uk.username, new).status_code == 302
    # Used once: the link no longer works.
    again = Client().get(path)
    assert again.status_code == 404 and "no longer works" in again.text


def test_there_is_no_self_service_password_reset(client):
    assert client.get("/accounts/password_reset/").status_code == 404


def test_an_officer_cannot_use_hq_services(cast):
    from glo_act.errors import DomainError

    with pytest.raises(DomainError, match="Only HQ"):
        services.devices_reset(acting_user=cast.uk, user=cast.italy, reason="x")
    device = authenticator_of(cast.italy)
    assert code_for(device)  # the device is still there
    assert TOTPDevice.objects.filter(user=cast.italy).exists()
