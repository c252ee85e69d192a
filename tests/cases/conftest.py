"""Case fixtures on top of the fixed cast: a case factory and a fresh-user helper."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cases import services
from cases.constants import CaseKind, Exploitation


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The cast's six users cost ~3.5 s of PBKDF2 per test otherwise; no test here signs in.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fresh(user):
    """The user as the next request would load it (no remembered access scope)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def make_case(cast):
    """`make_case("GBR")` opens a case for that office as its cast officer (HQ for HQ)."""
    officers = {"GBR": "uk", "ITA": "italy", "ESP": "spain", "HQ": "hq"}

    def _make(office_code: str = "GBR", **fields):
        fields.setdefault("kind", CaseKind.TIP)
        fields.setdefault("title", f"Forced labour ring ({office_code})")
        fields.setdefault("forms_of_exploitation", [Exploitation.FORCED_LABOUR])
        return services.case_create(
            acting_user=cast.users[officers[office_code]],
            lead_office=cast.offices[office_code],
            **fields,
        )

    return _make


@pytest.fixture
def uk_case(make_case):
    return make_case("GBR")
