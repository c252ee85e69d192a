"""Registering victims: codes, derived age facts, duplicate hints, events and the access log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.http import Http404

from cases.constants import AgeBand
from cases.models import TimelineEvent
from glo_act.errors import DomainError, PermissionDenied
from liaison_offices.constants import EventKind, Service
from liaison_offices.models import NotificationEvent
from tests.victims.conftest import ACTUAL, ALICE, PROCESSING, make_case, share
from victims import access, services
from victims.constants import AccessDoor, ConsentPurpose, IdentificationStatus
from victims.models import PersonalDataAccess, Victim


def events(kind: str) -> list[NotificationEvent]:
    return list(NotificationEvent.objects.filter(kind=kind).order_by("pk"))


@pytest.mark.django_db
def test_codes_count_per_office_and_year(cast, register):
    year = dt.date.today().year
    first = register().victim
    second = register(passport_number="X2", cnic_number="", full_name="Other").victim
    italian_case = make_case(cast.offices["ITA"])
    italian = register(acting_user=cast.italy, case=italian_case).victim
    assert first.code == f"V-GBR-{year}-0001"
    assert second.code == f"V-GBR-{year}-0002"
    assert italian.code == f"V-ITA-{year}-0001"
    link = first.case_links.get()
    assert link.linked_by == cast.uk and link.linked_at is not None
    assert TimelineEvent.objects.filter(
        case=link.case, kind="victim_linked", summary=f"Victim {first.code} linked"
    ).exists()


@pytest.mark.django_db
def test_age_band_and_child_flag_follow_the_age_at_identification(cast, register):
    child = register(age_at_identification=15).victim
    assert (child.age_band, child.is_child) == (AgeBand.A9_17, True)
    adult = register(
        full_name="Adult Person",
        passport_number="Q1",
        cnic_number="",
        date_of_birth=dt.date(1990, 6, 1),
        identified_on=dt.date(2026, 5, 31),
    ).victim
    assert adult.age_at_identification == 35  # the day before the birthday
    assert (adult.age_band, adult.is_child) == (AgeBand.A30_38, False)
    updated = services.victim_update(acting_user=cast.uk, victim=child, age_at_identification=19)
    assert (updated.age_band, updated.is_child) == (AgeBand.A18_20, False)


@pytest.mark.django_db
def test_a_victim_is_recorded_only_for_an_office_the_user_works(cast, uk_case):
    with pytest.raises(Http404):  # Italy does not even see the UK case
        services.victim_register(
            acting_user=cast.italy, case=uk_case, **ALICE, consents=[PROCESSING]
        )
    share(uk_case, office=cast.offices["ITA"])
    with pytest.raises(PermissionDenied):
        services.victim_register(
            acting_user=cast.italy,
            case=uk_case,
            office=cast.offices["GBR"],
            consents=[PROCESSING],
            **ALICE,
        )
    # Italy may record, for its own office, a victim it met on the shared UK case.
    victim = services.victim_register(
        acting_user=cast.italy,
        case=uk_case,
        office=cast.offices["ITA"],
        consents=[PROCESSING],
        **ALICE,
    ).victim
    assert victim.recorded_by_office == cast.offices["ITA"]
    assert not Victim.objects.exclude(pk=victim.pk).exists()


@pytest.mark.django_db
def test_an_actual_victim_needs_to_say_who_decided(cast, register):
    with pytest.raises(DomainError) as caught:
        register(identification_status=IdentificationStatus.ACTUAL)
    assert caught.value.field == "identified_by"


@pytest.mark.django_db
def test_a_shared_case_does_not_let_the_recipient_edit_the_victim(cast, victim, uk_case):
    share(uk_case, office=cast.offices["ITA"])
    with pytest.raises(PermissionDenied):
        services.victim_update(acting_user=cast.italy, victim=victim, sex="male")
    with pytest.raises(Http404):
        services.victim_update(acting_user=cast.spain, victim=victim, sex="male")


@pytest.mark.django_db
def test_the_duplicate_hint_names_only_the_matched_fields_and_the_office(cast, register):
    uk_victim = register().victim
    italian_case = make_case(cast.offices["ITA"])
    result = services.victim_register(
        acting_user=cast.italy,
        case=italian_case,
        full_name="ZARMINA  testwala",
        date_of_birth=ALICE["date_of_birth"],
        passport_number="ab-123 4567",
        cnic_number="99999-9999999-9",
        phone="+39 000",
        consents=[PROCESSING],
    )
    assert len(result.duplicate_hints) == 1
    hint = result.duplicate_hints[0]
    assert hint.office == cast.offices["GBR"]
    assert hint.matched_fields == ("full_name", "date_of_birth", "passport_number")
    # Nothing else of the other record: not its code, not its id, not its data.
    assert hint._fields == ("office", "matched_fields")
    assert uk_victim.code not in repr(result.duplicate_hints)
    assert str(uk_victim.pk) not in repr(hint.matched_fields)


@pytest.mark.django_db
def test_a_cnic_alone_is_a_match_and_the_own_office_gives_no_hint(cast, register):
    register()
    own = register(full_name="Different", passport_number="", date_of_birth=None)
    assert own.duplicate_hints == []
    result = services.victim_register(
        acting_user=cast.italy,
        case=make_case(cast.offices["ITA"]),
        full_name="Different Person",
        cnic_number="3520212345671",
        consents=[PROCESSING],
    )
    assert [h.matched_fields for h in result.duplicate_hints] == [("cnic_number",)]


@pytest.mark.django_db
def test_no_hint_without_a_match(cast, register):
    register()
    result = services.victim_register(
        acting_user=cast.italy,
        case=make_case(cast.offices["ITA"]),
        full_name=ALICE["full_name"],  # same name, no date of birth: not enough
        passport_number="ZZ000",
        consents=[PROCESSING],
    )
    assert result.duplicate_hints == []


@pytest.mark.django_db
def test_hq_hears_when_a_pakistani_is_recorded_as_an_actual_victim(cast, register):
    register(nationality="GBR", **ACTUAL)
    register(nationality="PAK", full_name="P1", passport_number="PA0000001", cnic_number="")
    assert events(EventKind.PAKISTANI_VICTIM_IDENTIFIED) == []
    victim = register(
        nationality="PAK", full_name="P2", passport_number="PA0000002", **ACTUAL
    ).victim
    (event,) = events(EventKind.PAKISTANI_VICTIM_IDENTIFIED)
    assert event.office_ids == [cast.offices["HQ"].pk]
    assert event.subject_type == ContentType.objects.get_for_model(Victim)
    assert event.subject_id == victim.pk
    assert event.payload["victim"] == victim.code and event.payload["status"] == "actual"
    assert event.subject_label == victim.code


@pytest.mark.django_db
def test_hq_hears_once_when_a_possible_victim_becomes_actual(cast, register):
    victim = register(nationality="PAK").victim
    services.victim_update(acting_user=cast.uk, victim=victim, **ACTUAL)
    services.victim_update(acting_user=cast.uk, victim=victim, phone="+44 1")
    assert len(events(EventKind.PAKISTANI_VICTIM_IDENTIFIED)) == 1


@pytest.mark.django_db
def test_referral_events_go_to_the_partner_then_back_to_the_office(cast, referral):
    (sent,) = events(EventKind.REFERRAL_SENT)
    assert sent.partner_ids == [cast.partners["IOM"].pk] and sent.office_ids == []
    services.referral_accept(acting_user=cast.provider, referral=referral)
    services.referral_progress(acting_user=cast.provider, referral=referral, note="Ok")
    services.referral_complete(acting_user=cast.provider, referral=referral)
    for kind in (EventKind.REFERRAL_ACCEPTED, EventKind.REFERRAL_COMPLETED):
        (event,) = events(kind)
        assert event.office_ids == [cast.offices["GBR"].pk]
        assert event.payload["victim"] == referral.victim.code
    completed = events(EventKind.REFERRAL_COMPLETED)[0]
    assert set(completed.payload) == {
        "referral",
        "victim",
        "service",
        "status",
        "office",
        "partner",
    }


@pytest.mark.django_db
def test_decline_and_revoke_are_announced(cast, register, referral):
    services.referral_decline(acting_user=cast.provider, referral=referral, reason="Full")
    (declined,) = events(EventKind.REFERRAL_DECLINED)
    assert declined.office_ids == [cast.offices["GBR"].pk]
    assert "Full" not in str(declined.payload)  # the reason stays in the thread
    services.consent_record(
        acting_user=cast.uk,
        victim=referral.victim,
        purpose=ConsentPurpose.REFERRAL,
        partner=cast.partners["IOM"],
        service=Service.RETURN,
    )
    second = services.referral_create(
        acting_user=cast.uk,
        victim=referral.victim,
        partner=cast.partners["IOM"],
        service=Service.RETURN,
    )
    services.referral_revoke(acting_user=cast.uk, referral=second)
    (revoked,) = events(EventKind.REFERRAL_REVOKED)
    assert revoked.partner_ids == [cast.partners["IOM"].pk]


# --- the access log -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_access_record_per_personal_data_read(cast, victim):
    shown = access.reveal_personal_data(user=cast.uk, victim=victim, door=AccessDoor.PAGE)
    assert shown.full_name == ALICE["full_name"] and shown.phone == ALICE["phone"]
    assert "Zarmina" not in repr(shown)
    access.reveal_personal_data(user=cast.hq, victim=victim, door=AccessDoor.API, fields=["phone"])
    records = list(PersonalDataAccess.objects.order_by("pk").values("user", "door", "fields"))
    assert records == [
        {"user": cast.uk.pk, "door": "page", "fields": list(ALICE)},
        {"user": cast.hq.pk, "door": "api", "fields": ["phone"]},
    ]


@pytest.mark.django_db
def test_no_access_record_for_code_only_reads(cast, victim, uk_case):
    share(uk_case, partner=cast.partners["BHC"])
    list(Victim.objects.visible_to(cast.uk).with_personal_access(cast.uk))
    assert access.personal_data_allowed(cast.uk, victim)
    shown = access.reveal_personal_data(user=cast.focal_point, victim=victim, door=AccessDoor.API)
    assert not shown and shown.fields == ()
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_a_list_read_writes_one_record_per_victim_shown(cast, register, uk_case):
    share(uk_case, partner=cast.partners["BHC"])
    shown_one = register().victim
    register(full_name="Hidden", passport_number="H1", cnic_number="")
    services.consent_record(
        acting_user=cast.uk,
        victim=shown_one,
        purpose=ConsentPurpose.SHARING,
        partner=cast.partners["BHC"],
    )
    rows = Victim.objects.visible_to(cast.focal_point).with_personal_access(cast.focal_point)
    result = access.reveal_personal_data_many(
        user=cast.focal_point, victims=rows, door=AccessDoor.EXPORT, fields=["full_name"]
    )
    assert {v.victim_code: v.as_dict() for v in result.values()} == {
        shown_one.code: {"full_name": ALICE["full_name"]},
        Victim.objects.exclude(pk=shown_one.pk).get().code: {},
    }
    assert list(PersonalDataAccess.objects.values_list("victim", "door", "fields")) == [
        (shown_one.pk, "export", ["full_name"])
    ]


@pytest.mark.django_db
def test_a_provider_reads_only_the_fields_of_its_service(cast, referral):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    shown = access.reveal_personal_data(
        user=cast.provider, victim=referral.victim, door=AccessDoor.API
    )
    assert shown.fields == ("full_name", "date_of_birth", "phone")
    assert shown.passport_number is None
    assert PersonalDataAccess.objects.get().fields == ["full_name", "date_of_birth", "phone"]
