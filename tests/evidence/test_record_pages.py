"""The files sections of the request, referral and victim pages, and their upload doors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from liaison_offices.constants import Service
from tests.evidence.conftest import pdf_bytes, upload
from victims import services as victim_services
from victims.constants import ConsentPurpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(cast, uk_case):
    return victim_services.victim_register(
        acting_user=cast.uk,
        case=uk_case,
        full_name="Zarmina Testwala",
        consents=[
            {"purpose": ConsentPurpose.DATA_PROCESSING},
            {"purpose": ConsentPurpose.REFERRAL, "partner": cast.partners["IOM"],
             "service": Service.SHELTER},
        ],
    ).victim  # fmt: skip


def test_the_provider_adds_a_file_to_its_referral_on_the_page(cast, victim, login):
    referral = victim_services.referral_create(
        acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service=Service.SHELTER
    )
    client = login(cast.provider)
    response = client.post(
        reverse("evidence:upload", args=["referral", referral.pk]),
        {"files": [upload("intake-form.pdf", pdf_bytes())], "kind": "other", "title": "Intake"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{referral.get_absolute_url()}#files"
    for user in (cast.provider, cast.uk):
        page = login(user).get(referral.get_absolute_url()).content.decode()
        assert "Intake" in page.split('id="files"', 1)[1]
