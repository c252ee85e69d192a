"""Signing in: the login page, the second step it leads to, and django-axes throttling.

Axes only sees sign-ins that carry the request, so these post the real login form
(never `client.login`). The second factor itself is tested in tests/accounts.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def sign_in(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_the_login_page_renders_the_form(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert 'name="username"' in response.text
    assert 'name="password"' in response.text
    assert "csrfmiddlewaretoken" in response.text


def test_pages_send_strangers_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/"


def test_a_demo_liaison_officer_signs_in_and_sees_the_uk_office(client, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-login-test")
    call_command("seed_demo", stdout=io.StringIO())

    response = sign_in(client, "ilo.gbr", "demo-password-for-login-test")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor")
    # The demo authenticator's code, as `manage.py demo_code` prints it.
    out = io.StringIO()
    call_command("demo_code", stdout=out, stderr=io.StringIO())
    response = client.post(reverse("accounts:two_factor"), {"code": out.getvalue().strip()})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")

    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert home.context["user"].username == "ilo.gbr"
    assert "FIA Link Office United Kingdom (GBR)" in home.text
    assert "FIA Link Office Italy" not in home.text


def test_a_wrong_password_is_refused_with_a_message(client, cast, settings):
    response = sign_in(client, cast.uk.username, "not-the-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "do not match an account" in response.text
    assert f"After {settings.AXES_FAILURE_LIMIT} failed tries in a row" in response.text
    assert 'value="uk.officer"' in response.text  # the username is kept


def test_an_empty_sign_in_says_what_is_missing_next_to_each_field(client, cast):
    response = sign_in(client, "", "")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    html = response.text
    assert "Enter your username." in html and "Enter your password." in html
    assert 'aria-describedby="username-error"' in html
    assert 'aria-describedby="password-error"' in html

    only_user = sign_in(client, cast.uk.username, "")
    assert "Enter your password." in only_user.text
    assert "Enter your username." not in only_user.text


def test_sign_in_is_locked_after_the_failure_limit_even_with_the_right_password(
    client, cast, settings
):
    for attempt in range(1, settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, cast.uk.username, f"wrong-{attempt}")
        assert response.status_code == 200, f"attempt {attempt} should only be refused"

    locked = sign_in(client, cast.uk.username, "wrong-last")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    # How long, and how to reach HQ.
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"for <strong>{minutes} minutes</strong>" in locked.text
    assert settings.HQ_CONTACT in locked.text
    assert "ask HQ to unlock it" in locked.text

    after = sign_in(client, cast.uk.username, PASSWORD)
    assert after.status_code == 429
    assert "Too many failed sign-ins" in after.text
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_for_that_username_not_for_colleagues_at_the_same_address(
    client, cast, settings
):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, cast.uk.username, f"wrong-{attempt}")
    assert sign_in(client, cast.uk.username, PASSWORD).status_code == 429

    response = sign_in(client, cast.italy.username, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.italy.pk)


def test_a_successful_sign_in_clears_earlier_failures(client, cast, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, cast.uk.username, f"wrong-{attempt}")
    assert sign_in(client, cast.uk.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))

    # The count started again: one more failure does not lock the account.
    assert sign_in(client, cast.uk.username, "wrong-again").status_code == 200
    assert sign_in(client, cast.uk.username, PASSWORD).status_code == 302
