"""Person-index fixtures on top of the fixed cast: cases, people and identifiers."""

from __future__ import annotations

import pytest

from cases import services as case_services
from cases.constants import CaseKind, Exploitation
from people import services

OFFICERS = {"GBR": "uk", "ITA": "italy", "ESP": "spain", "HQ": "hq"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_case(cast):
    def _make(office_code: str = "GBR", **fields):
        fields.setdefault("kind", CaseKind.TIP)
        fields.setdefault("title", f"Forced labour ring ({office_code})")
        fields.setdefault("forms_of_exploitation", [Exploitation.FORCED_LABOUR])
        return case_services.case_create(
            acting_user=cast.users[OFFICERS[office_code]],
            lead_office=cast.offices[office_code],
            **fields,
        )

    return _make


@pytest.fixture
def person_with(cast):
    """`person_with(case, ("phone", "0300 1234567"), role="witness")`: a person and identifiers."""

    def _make(case, *identifiers, role="suspect", label="Recruiter"):
        officer = cast.users[OFFICERS[case.lead_office.code]]
        person = services.person_add(acting_user=officer, case=case, role=role, label=label)
        for kind, value in identifiers:
            services.identifier_add(acting_user=officer, person=person, kind=kind, value=value)
        return person

    return _make
