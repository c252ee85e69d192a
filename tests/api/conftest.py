"""API fixtures: a DRF client authenticated with a real (hashed) knox token per cast member."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from liaison_offices.services import api_token_issue


@pytest.fixture
def api_client():
    """`api_client(user)` → an APIClient sending `Authorization: Token <new token>`."""

    def _client(user=None, ttl=dt.timedelta(days=1)):
        client = APIClient()
        if user is not None:
            token, _ = api_token_issue(acting_user=None, user=user, ttl=ttl)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            client.token = token
        return client

    return _client


API = "/api/v1"


@pytest.fixture
def make_case(cast):
    """`make_case("GBR", title=…)` opens a case through the service as that office's officer."""
    from cases import services as case_services
    from cases.constants import CaseKind, Exploitation

    officers = {"GBR": "uk", "ITA": "italy", "ESP": "spain", "HQ": "hq"}

    def _make(office_code: str = "GBR", **fields):
        fields.setdefault("kind", CaseKind.TIP)
        fields.setdefault("title", f"Forced labour ring ({office_code})")
        fields.setdefault("summary", "Workers recruited in Punjab for farm work.")
        fields.setdefault("forms_of_exploitation", [Exploitation.FORCED_LABOUR])
        return case_services.case_create(
            acting_user=cast.users[officers[office_code]],
            lead_office=cast.offices[office_code],
            **fields,
        )

    return _make


@pytest.fixture
def share(cast):
    """`share(case, partner="BHC", level=ShareLevel.FULL, handling_code="H1")` → CaseShare.

    The case is shared by its lead office's cast officer (HQ for HQ cases).
    """
    from cases import services as case_services
    from cases.constants import HandlingCode

    officers = {"GBR": "uk", "ITA": "italy", "ESP": "spain", "HQ": "hq"}

    def _share(case, *, office=None, partner=None, level, handling_code=HandlingCode.H0, **kw):
        return case_services.case_share(
            acting_user=cast.users[officers[case.lead_office.code]],
            case=case,
            level=level,
            handling_code=handling_code,
            office=cast.offices[office] if office else None,
            partner=cast.partners[partner] if partner else None,
            **kw,
        )

    return _share


@pytest.fixture
def uk_case(make_case):
    """A UK-led TIP case with a route leg and a suspect (full-level fields to redact)."""
    from cases.constants import RouteStage, SuspectRole

    return make_case(
        "GBR",
        title="Farm workers held in Lincolnshire",
        route_legs=[
            {"stage": RouteStage.RECRUITMENT, "country": "PAK", "place": "Gujranwala"},
            {"stage": RouteStage.EXPLOITATION, "country": "GBR", "place": "Boston"},
        ],
        suspects=[{"role": SuspectRole.RECRUITER, "name": "Tariq the agent"}],
        host_country_law="Modern Slavery Act 2015, s.1",
    )
