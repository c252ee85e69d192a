"""One answer to "how does this user see this case", the same on every door.

A user whose desks are ITA and ESP, on a case shared to ITA at full/H0 and to ESP at full/H2:
the H2 binds them (the most restrictive code among their grants at that level), and the case
list page, the case page, the API list and detail, and the recipients of a notification all
say so. Also: the "Your office" label is true for a desk granted by HQ, and the two leaks
found by probing every door (the browsable API's forms; refusing an onward share) stay shut.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from cases import services
from cases.access import case_access
from cases.constants import HandlingCode, ShareLevel
from liaison_offices.access import forget
from liaison_offices.constants import VIEW_CASES, EventKind
from liaison_offices.delivery.recipients import visible_among
from liaison_offices.models import NotificationEvent
from tests.cases.conftest import fresh
from tests.cast import make_user

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def two_desks(cast):
    """An officer who works at the ITA and ESP desks, both granted by HQ."""
    user = make_user("two.desks")
    for code in ("ITA", "ESP"):
        assign_perm(VIEW_CASES, user, cast.offices[code])
    return user


@pytest.fixture
def h0_h2_case(cast, make_case):
    case = make_case("GBR", host_country_law="Modern Slavery Act 2015, s. 1")
    for office, code in (("ITA", HandlingCode.H0), ("ESP", HandlingCode.H2)):
        services.case_share(
            acting_user=fresh(cast.uk),
            case=case,
            office=cast.offices[office],
            level=ShareLevel.FULL,
            handling_code=code,
        )
    return case


def list_row_of(html: str, reference: str) -> str:
    row = re.search(rf"<tr[^>]*>\s*<th[^>]*><a [^>]*>{reference}</a>.*?</tr>", html, re.S)
    assert row, reference
    return row.group(0)


def test_the_h0_h2_case_shows_h2_on_every_door(cast, two_desks, h0_h2_case, client, api_client):
    reference = h0_h2_case.reference
    user = fresh(two_desks)
    answer = case_access(user, h0_h2_case)
    assert (answer.level, answer.handling_code) == (ShareLevel.FULL, HandlingCode.H2)

    client.force_login(two_desks, backend="django.contrib.auth.backends.ModelBackend")
    row = list_row_of(client.get(reverse("cases:list")).content.decode(), reference)
    assert "H2" in row and "H0" not in row
    page = client.get(reverse("cases:detail", args=[reference])).content.decode()
    banner = re.search(r'<section class="share-banner".*?</section>', page, re.S).group(0)
    assert "H2" in banner and "H0" not in banner
    # The list filtered by handling code finds it under either code it is held with.
    for code in ("H0", "H2"):
        filtered = client.get(reverse("cases:list"), {"handling": code}).content.decode()
        assert reference in filtered

    api = api_client(two_desks)
    listed = {row["reference"]: row["access"] for row in api.get(f"{API}/cases/").json()["results"]}
    detail = api.get(f"{API}/cases/{reference}/").json()["access"]
    for access in (listed[reference], detail):
        assert (access["level"], access["handling_code"]) == ("full", "H2")
        assert access["can_edit"] is False

    # News of a message on the case: addressed to the offices its grants reach at FULL, and
    # kept at delivery for the users who see the case, through the same grants.
    services.message_post(
        acting_user=fresh(cast.uk), case=h0_h2_case, body="Update", reliability="B", accuracy=2
    )
    event = NotificationEvent.objects.filter(kind=EventKind.CASE_MESSAGE).latest("id")
    assert {cast.offices[code].pk for code in ("ITA", "ESP")} <= set(event.office_ids)
    users = [fresh(two_desks), fresh(cast.spain), fresh(cast.italy), fresh(cast.focal_point)]
    kept = visible_among(event, users)
    assert kept == {two_desks.pk, cast.spain.pk, cast.italy.pk}


def test_your_office_is_said_only_of_the_users_own_office(cast, make_case, client):
    """An officer of Spain working Italy's cases by an HQ grant sees whose case it is."""
    italian = make_case("ITA")
    own = make_case("ESP")
    assign_perm(VIEW_CASES, cast.spain, cast.offices["ITA"])
    forget(cast.spain)
    client.force_login(cast.spain, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(reverse("cases:list")).content.decode()
    assert "Your office" in list_row_of(html, own.reference)
    granted = list_row_of(html, italian.reference)
    assert "Your office" not in granted and "ITA desk (granted)" in granted
    page = client.get(reverse("cases:detail", args=[italian.reference])).content.decode()
    assert "at the ITA desk, by a grant from HQ" in page


def test_the_browsable_api_shows_a_summary_share_nothing_the_json_withholds(
    cast, make_case, client
):
    case = make_case("GBR", host_country_law="Modern Slavery Act 2015, s. 1")
    services.case_share(
        acting_user=fresh(cast.uk),
        case=case,
        partner=cast.partners["BHC"],
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H1,
    )
    client.force_login(cast.focal_point, backend="django.contrib.auth.backends.ModelBackend")
    url = f"{API}/cases/{case.reference}/"
    as_json = client.get(url, HTTP_ACCEPT="application/json")
    assert "host_country_law" not in as_json.json()
    browsable = client.get(url + "?format=api")
    assert browsable.status_code == 200
    assert "Modern Slavery Act" not in browsable.content.decode()
    # The lead office sees it, on both.
    client.force_login(cast.uk, backend="django.contrib.auth.backends.ModelBackend")
    assert "Modern Slavery Act" in client.get(url + "?format=api").content.decode()


def test_passing_a_case_on_never_says_who_else_holds_it(cast, make_case):
    case = make_case("GBR")
    for office in ("ITA", "ESP"):
        services.case_share(
            acting_user=fresh(cast.uk),
            case=case,
            office=cast.offices[office],
            level=ShareLevel.FULL,
            handling_code=HandlingCode.H1,
        )
    # Italy passes it on to Spain, who holds it already: no refusal naming the holder.
    onward = services.case_share(
        acting_user=fresh(cast.italy),
        case=case,
        office=cast.offices["ESP"],
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H1,
    )
    assert onward.passed_on_from.office == cast.offices["ITA"]
