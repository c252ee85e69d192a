"""Language and time zone: the switcher, the preference, the zone on every page, the API.

English is the default; Urdu comes from the switcher's cookie, the browser's Accept-Language
or the person's saved preference (accounts/preferences.py, docs/i18n.md). Times on pages are in
the reader's zone, named; the API stays UTC.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from accounts import preferences
from accounts.models import Preference
from cases import services as case_services
from cases.constants import CaseKind
from cases.models import Case

pytestmark = pytest.mark.django_db

JULY = dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC)
DECEMBER = dt.datetime(2026, 12, 15, 12, 0, tzinfo=dt.UTC)


def _case_updated_at(cast, moment) -> Case:
    case = case_services.case_create(
        acting_user=cast.uk, lead_office=cast.offices["GBR"], kind=CaseKind.TIP, title="Farm"
    )
    Case.objects.filter(pk=case.pk).update(updated_at=moment)
    return case


def _page(client, case) -> str:
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_a_london_officer_reads_bst_in_july_and_gmt_in_december(cast, login):
    client = login(cast.uk)
    summer, winter = _case_updated_at(cast, JULY), _case_updated_at(cast, DECEMBER)
    assert "Updated 15 Jul 2026, 13:00 BST" in _page(client, summer)
    assert "Updated 15 Dec 2026, 12:00 GMT" in _page(client, winter)


def test_hq_reads_pakistan_time_and_rome_central_european(cast, login):
    case = _case_updated_at(cast, DECEMBER)
    assert "15 Dec 2026, 17:00 PKT" in _page(login(cast.hq), case)
    assert preferences.zone_of(cast.italy) == "Europe/Rome"
    assert preferences.zone_of(cast.focal_point) == "Europe/London"  # BHC works in the UK
    assert preferences.zone_of(cast.provider) == "Asia/Karachi"  # IOM Pakistan


def test_a_chosen_zone_wins_over_the_office_and_is_kept_in_the_session(cast, login):
    client = login(cast.uk)
    case = _case_updated_at(cast, JULY)
    response = client.post(
        reverse("accounts:preferences"), {"language": "", "time_zone": "Asia/Dubai"}
    )
    assert response.status_code == 302
    assert Preference.objects.get(user=cast.uk).time_zone == "Asia/Dubai"
    assert "15 Jul 2026, 16:00 GST" in _page(client, case)
    # Back to the office's zone.
    client.post(reverse("accounts:preferences"), {"language": "", "time_zone": ""})
    assert "15 Jul 2026, 13:00 BST" in _page(client, case)


def test_an_unknown_zone_is_refused_next_to_the_field(cast, login):
    client = login(cast.uk)
    response = client.post(
        reverse("accounts:preferences"), {"language": "", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    assert 'id="id_time_zone_error"' in response.content.decode() or "time_zone" in str(
        response.context["form"].errors
    )
    assert not Preference.objects.filter(user=cast.uk, time_zone="Mars/Olympus").exists()


def test_english_by_default_left_to_right(cast, login):
    html = login(cast.uk).get(reverse("home")).content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert 'action="/i18n/setlang/"' in html


def test_the_switcher_sets_urdu_right_to_left_and_keeps_it_as_the_preference(cast, login):
    client = login(cast.uk)
    response = client.post(reverse("set_language"), {"language": "ur", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ur"
    assert Preference.objects.get(user=cast.uk).language == "ur"
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="ur" dir="rtl">' in html
    # Another browser (no cookie): the preference is applied at sign-in.
    client.cookies.clear()
    other = login(cast.uk)
    other.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    assert '<html lang="ur" dir="rtl">' in other.get(reverse("home")).content.decode()


def test_signed_out_the_switcher_and_the_browser_choose(client):
    login_url = reverse("login")
    assert '<html lang="en" dir="ltr">' in client.get(login_url).content.decode()
    urdu = client.get(login_url, HTTP_ACCEPT_LANGUAGE="ur").content.decode()
    assert '<html lang="ur" dir="rtl">' in urdu
    client.post(reverse("set_language"), {"language": "ur", "next": login_url})
    assert '<html lang="ur" dir="rtl">' in client.get(login_url).content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": login_url})
    assert response.status_code == 302
    assert '<html lang="en" dir="ltr">' in client.get(login_url).content.decode()


def test_the_api_keeps_utc_and_english_keys_and_answers_in_the_language_asked(cast, login):
    client = login(cast.uk)
    case = _case_updated_at(cast, JULY)
    Preference.objects.create(user=cast.uk, language="ur", time_zone="Asia/Dubai")
    body = client.get(f"/api/v1/cases/{case.reference}/").json()
    assert body["updated_at"] in {"2026-07-15T12:00:00Z", "2026-07-15T12:00:00+00:00"}
    missing = client.get("/api/v1/cases/GBR-TIP-1999-9999/")
    assert missing.status_code == 404 and missing.json()["title"] == "Not found"
    urdu = client.get("/api/v1/cases/GBR-TIP-1999-9999/", HTTP_ACCEPT_LANGUAGE="ur")
    assert urdu.status_code == 404
    problem = urdu.json()
    assert set(problem) >= {"type", "title", "status", "detail"}
    assert problem["title"] != "Not found" and problem["type"].endswith("/404")
    assert urdu["Content-Language"] == "ur"


def test_stored_country_names_and_provisions_read_in_the_pages_language():
    from django.utils import translation

    from glo_act.names import country, provision_title
    from liaison_offices.models import Country

    with translation.override("ur"):
        assert country("Italy") == "اٹلی"  # as the offices say it, not pycountry's اطالیہ
        assert country("Afghanistan") == "افغانستان"
        assert country("Nepal") == "نیپال"  # pycountry's own Urdu catalogue
        assert str(Country(iso3="PAK", iso2="PK", name="Pakistan")) == "پاکستان"
        assert provision_title("Trafficking in persons") == "انسانی تجارت"
    with translation.override("en"):
        assert country("Italy") == "Italy"
