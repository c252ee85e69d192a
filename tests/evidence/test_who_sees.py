"""A file is seen exactly when its record is, at the level that record needs: a victim's
document by those who see all of the victim's personal data, a referral's file by its two
parties, a request's file by the request's two parties."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import services as case_services
from cases.constants import HandlingCode, RequestKind, ShareLevel, Urgency
from evidence import services
from evidence.constants import FileKind
from evidence.models import Attachment
from liaison_offices.constants import Service
from tests.evidence.conftest import pdf_bytes, png_bytes, upload
from victims import services as victim_services
from victims.constants import ConsentPurpose
from victims.models import PersonalDataAccess

pytestmark = pytest.mark.django_db

PERSON = {
    "full_name": "Zarmina Testwala",
    "passport_number": "AB1234567",
    "consents": [{"purpose": ConsentPurpose.DATA_PROCESSING}],
}


def visible(user):
    return set(Attachment.objects.visible_to(user).values_list("pk", flat=True))


@pytest.fixture
def victim(cast, uk_case):
    return victim_services.victim_register(acting_user=cast.uk, case=uk_case, **PERSON).victim


@pytest.fixture
def passport(cast, victim):
    (attachment,) = services.upload(
        acting_user=cast.uk,
        record=victim,
        uploads=[upload("passport-testwala.png", png_bytes())],
        title="Passport of Zarmina Testwala",
        kind=FileKind.IDENTITY_DOCUMENT,
    )
    return attachment


def test_a_victims_document_needs_every_personal_field_and_its_download_is_logged(
    cast, uk_case, victim, passport, login
):
    assert passport.pk in visible(cast.uk) and passport.pk in visible(cast.hq)
    # Italy's share is FULL (no victims), the High Commission's a summary: neither sees it.
    assert passport.pk not in visible(cast.italy) | visible(cast.focal_point)
    case_services.case_share(
        acting_user=cast.uk,
        case=uk_case,
        office=cast.offices["ITA"],
        level=ShareLevel.FULL_WITH_VICTIMS,
        handling_code=HandlingCode.H2,
    )
    assert passport.pk not in visible(cast.italy)  # the victim has not consented to it
    victim_services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.SHARING,
        office=cast.offices["ITA"],
    )
    assert passport.pk in visible(cast.italy)

    url = reverse("evidence:download", args=[passport.public_id])
    assert login(cast.focal_point).get(url).status_code == 404
    response = login(cast.italy).get(url)
    assert response.status_code == 200
    assert f"{victim.code}_passport-testwala.png" in response["Content-Disposition"]
    read = PersonalDataAccess.objects.get(user=cast.italy, victim=victim)
    assert read.door == "page" and str(passport.public_id) in read.reason


def test_only_the_recording_or_lead_office_adds_a_victims_documents(cast, uk_case, victim):
    from django.http import Http404

    from glo_act.errors import PermissionDenied

    with pytest.raises(Http404):
        services.upload(
            acting_user=cast.provider, record=victim, uploads=[upload("x.pdf", pdf_bytes())]
        )
    case_services.case_share(
        acting_user=cast.uk,
        case=uk_case,
        office=cast.offices["ITA"],
        level=ShareLevel.FULL_WITH_VICTIMS,
        handling_code=HandlingCode.H2,
    )
    with pytest.raises(PermissionDenied, match="recorded the victim"):
        services.upload(
            acting_user=cast.italy, record=victim, uploads=[upload("x.pdf", pdf_bytes())]
        )
    assert not Attachment.objects.exists()


def test_a_referrals_file_is_seen_by_both_parties_and_not_the_cases_file(cast, uk_case, victim):
    victim_services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.REFERRAL,
        partner=cast.partners["IOM"],
        service=Service.SHELTER,
    )
    referral = victim_services.referral_create(
        acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service=Service.SHELTER
    )
    (intake,) = services.upload(
        acting_user=cast.provider, record=referral, uploads=[upload("intake.pdf", pdf_bytes())]
    )
    assert intake.uploaded_by_partner == cast.partners["IOM"]
    (case_file,) = services.upload(
        acting_user=cast.uk, record=uk_case, uploads=[upload("case.pdf", pdf_bytes())]
    )
    assert intake.pk in visible(cast.provider) and intake.pk in visible(cast.uk)
    assert case_file.pk not in visible(cast.provider)
    assert intake.pk not in visible(cast.italy) | visible(cast.spain)


def test_a_requests_file_is_seen_by_its_two_parties(cast, uk_case):
    case_services.case_share(
        acting_user=cast.uk,
        case=uk_case,
        office=cast.offices["ESP"],
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H1,
    )
    request = case_services.request_create(
        acting_user=cast.uk,
        case=uk_case,
        from_office=cast.offices["GBR"],
        to_office=cast.offices["ESP"],
        kind=RequestKind.IDENTITY_CHECK,
        urgency=Urgency.NORMAL,
        question="Do you know this phone number?",
    )
    (answer,) = services.upload(
        acting_user=cast.spain, record=request, uploads=[upload("records.pdf", pdf_bytes())]
    )
    assert answer.pk in visible(cast.uk) and answer.pk in visible(cast.spain)
    # Italy reads the case in full, but the request's thread is the two parties' own.
    assert answer.pk not in visible(cast.italy)


def test_the_rule_costs_one_query_whatever_the_number_of_files(
    cast, uk_case, victim, passport, assert_queries
):
    for _ in range(3):
        services.upload(acting_user=cast.uk, record=uk_case, uploads=[upload("a.pdf", pdf_bytes())])
    from tests.cases.conftest import fresh

    italy = fresh(cast.italy)
    from liaison_offices.access import scope_of

    scope_of(italy)
    with assert_queries(1):
        assert len(list(Attachment.objects.visible_to(italy))) == 3
