"""Victims fixtures: cases for the cast's offices, and a registration helper.

Cases and shares are made with the ORM, their grants written as the case services write them
(`cases.grants.sync_case_grants`; the case services are another app's concern); every
victim, consent and referral goes through `victims.services`, the one write path.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth import get_user_model

from cases.constants import CaseKind, HandlingCode, ShareLevel
from cases.grants import sync_case_grants
from cases.models import Case, CaseShare
from liaison_offices.constants import Service
from victims import services
from victims.constants import ConsentPurpose, IdentificationStatus, IdentifiedBy

_numbers = itertools.count(1)

PROCESSING = {"purpose": ConsentPurpose.DATA_PROCESSING}

# Invented people: no real person is meant.
ALICE = {
    "full_name": "Zarmina Testwala",
    "date_of_birth": dt.date(1999, 3, 14),
    "passport_number": "AB1234567",
    "cnic_number": "35202-1234567-1",
    "phone": "+44 7700 900123",
    "address": "12 Imaginary Road, Slough",
}


def fresh(user):
    """The user as the next request would load it (no remembered scope or permissions)."""
    return get_user_model().objects.get(pk=user.pk)


def make_case(office, title="Domestic servitude ring") -> Case:
    case = Case.objects.create(
        reference=f"{office.code}-TIP-2026-{next(_numbers):04d}",
        kind=CaseKind.TIP,
        lead_office=office,
        title=title,
    )
    sync_case_grants(case)  # as the case services do with every case and share
    return case


def share(case, *, office=None, partner=None, level=ShareLevel.FULL_WITH_VICTIMS) -> CaseShare:
    created = CaseShare.objects.create(
        case=case, office=office, partner=partner, level=level, handling_code=HandlingCode.H0
    )
    sync_case_grants(case)
    return created


@pytest.fixture
def uk_case(cast) -> Case:
    return make_case(cast.offices["GBR"])


@pytest.fixture
def register(cast, uk_case):
    """`register(**fields)`: a victim recorded by the UK officer on the UK case."""

    def _register(*, acting_user=None, case=None, processing_consent=True, **fields):
        """The victim consents to the processing of their personal data unless told not to."""
        values = {**ALICE, **fields}
        if processing_consent:
            values["consents"] = [PROCESSING, *values.get("consents", ())]
        return services.victim_register(
            acting_user=acting_user or cast.uk, case=case or uk_case, **values
        )

    return _register


@pytest.fixture
def victim(register):
    return register().victim


@pytest.fixture
def shelter_consent(cast, victim):
    return services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.REFERRAL,
        partner=cast.partners["IOM"],
        service=Service.SHELTER,
    )


@pytest.fixture
def referral(cast, victim, shelter_consent):
    return services.referral_create(
        acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service=Service.SHELTER
    )


ACTUAL = {
    "identification_status": IdentificationStatus.ACTUAL,
    "identified_by": IdentifiedBy.POLICE,
}
