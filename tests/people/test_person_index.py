"""The person index: identifiers stored sealed, matches told within what the user may see, the
case page's section at its level, and the one-click cooperation request (docs/people.md)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template.loader import render_to_string

from cases import services as case_services
from cases.constants import AccessLevel, HandlingCode, RequestKind, ShareLevel
from cases.models import CaseShare, CooperationRequest
from glo_act.errors import DomainError, PermissionDenied
from people import services
from people.indexing import identifier_index
from people.matching import find_matches
from people.models import Identifier
from people.presentation import case_people

PHONE = "0300 1234567"


def share(cast, case, to, level=ShareLevel.FULL):
    office = cast.offices.get(to)
    partner = None if office else cast.partners[to]
    return case_services.case_share(
        acting_user=cast.users[
            {"GBR": "uk", "ITA": "italy", "ESP": "spain"}[case.lead_office.code]
        ],
        case=case,
        office=office,
        partner=partner,
        level=level,
        handling_code=HandlingCode.H1,
    )


@pytest.mark.django_db
def test_phone_variants_on_two_cases_match(cast, make_case, person_with):
    uk_case, italy_case = make_case("GBR"), make_case("ITA", title="Boat to Lampedusa")
    person_with(uk_case, ("phone", "0300 1234567"))
    person_with(italy_case, ("phone", "+92 300 1234567"))
    index = identifier_index("phone", "923001234567")
    assert Identifier.objects.filter(match_index=index).count() == 2
    assert find_matches(cast.hq, [index], exclude_case_id=uk_case.pk).visible[0].reference == (
        italy_case.reference
    )


@pytest.mark.django_db
def test_a_name_in_urdu_script_matches_its_latin_spelling(cast, make_case, person_with):
    uk_case, italy_case = make_case("GBR"), make_case("ITA")
    person_with(uk_case, ("name", "Muhammad"))
    person_with(italy_case, ("name", "محمد"))
    section = case_people(cast.hq, uk_case, ShareLevel.FULL_WITH_VICTIMS)
    [identifier] = section.people[0].identifiers
    assert [m.case_id for m in identifier.visible_matches] == [italy_case.pk]


@pytest.mark.django_db
def test_a_hidden_match_tells_the_office_and_the_kind_only(cast, make_case, person_with):
    uk_case = make_case("GBR", title="Recruiter in Sialkot")
    italy_case = make_case("ITA", title="Secret Lampedusa crossing", summary="Boat owner Jiwani")
    person_with(uk_case, ("phone", PHONE), ("name", "Bilal Ahmed"))
    person_with(italy_case, ("phone", "+923001234567"), label="Boat owner")

    section = case_people(cast.uk, uk_case, ShareLevel.FULL_WITH_VICTIMS)
    phone = next(i for i in section.people[0].identifiers if i.kind == "phone")
    assert phone.visible_matches == []
    [hint] = phone.hidden_matches
    assert (hint.office_code, hint.kind) == ("ITA", "phone")
    html = render_to_string("people/_people.html", {"people_section": section})
    assert "Office ITA (ITA) holds a case with this phone number" in html
    for secret in (italy_case.reference, italy_case.title, "Boat owner", "Jiwani"):
        assert secret not in html
    # The name did not match anything: no line at all for it.
    name = next(i for i in section.people[0].identifiers if i.kind == "name")
    assert name.hidden_matches == [] and name.visible_matches == []

    # Once Italy shares its case, the same match is a link.
    share(cast, italy_case, "GBR", level=ShareLevel.SUMMARY)
    section = case_people(cast.uk, uk_case, ShareLevel.FULL_WITH_VICTIMS)
    phone = next(i for i in section.people[0].identifiers if i.kind == "phone")
    assert [m.reference for m in phone.visible_matches] == [italy_case.reference]
    assert phone.hidden_matches == []


@pytest.mark.django_db
def test_partners_are_told_of_no_hidden_match(cast, make_case, person_with):
    uk_case, italy_case = make_case("GBR"), make_case("ITA")
    person_with(uk_case, ("passport", "AB1234567"))
    person_with(italy_case, ("passport", "ab 123 4567"))
    share(cast, uk_case, "BHC", level=ShareLevel.FULL)
    section = case_people(cast.focal_point, uk_case, ShareLevel.FULL)
    [identifier] = section.people[0].identifiers
    assert identifier.hidden_matches == [] and identifier.visible_matches == []


@pytest.mark.django_db
def test_a_summary_share_shows_no_people_and_a_full_share_masks_witnesses(
    cast, make_case, person_with
):
    case = make_case("GBR")
    person_with(case, ("phone", PHONE), label="Agent")
    person_with(case, ("phone", "0333 7654321"), role="witness", label="Witness 1")
    share(cast, case, "ITA", level=ShareLevel.SUMMARY)
    assert case_people(cast.italy, case, ShareLevel.SUMMARY) is None
    share(cast, case, "ESP", level=ShareLevel.FULL)
    section = case_people(cast.spain, case, ShareLevel.FULL)
    agent, witness = section.people
    assert agent.identifiers[0].shown == "+923001234567"
    assert witness.identifiers[0].masked and "7654321" not in witness.identifiers[0].shown
    assert witness.identifiers[0].shown.endswith("21")
    lead = case_people(cast.uk, case, AccessLevel.LEAD_OFFICE)
    assert lead.people[1].identifiers[0].shown == "+923337654321"


@pytest.mark.django_db
def test_only_the_lead_office_records_people(cast, make_case, person_with):
    case = make_case("GBR")
    share(cast, case, "ITA", level=ShareLevel.FULL_WITH_VICTIMS)
    with pytest.raises(PermissionDenied):
        services.person_add(acting_user=cast.italy, case=case, role="witness", label="W")
    person = person_with(case)
    with pytest.raises(DomainError) as refused:
        services.identifier_add(acting_user=cast.uk, person=person, kind="phone", value="call")
    assert refused.value.field == "value"
    services.identifier_add(acting_user=cast.uk, person=person, kind="phone", value=PHONE)
    with pytest.raises(DomainError, match="already has"):
        services.identifier_add(
            acting_user=cast.uk, person=person, kind="phone", value="923001234567"
        )


def all_text_in_the_database() -> str:
    """Every text-like column of every table of the project, as one string (a dump)."""
    found = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            description = connection.introspection.get_table_description(cursor, table)
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (introspected names)
            for row in cursor.fetchall():
                found.extend(str(v) for v in row if isinstance(v, str))
            del description
    return "\n".join(found)


@pytest.mark.django_db
def test_no_identifier_is_in_the_database_in_the_clear(cast, make_case, person_with):
    case = make_case("GBR")
    secrets = {
        "phone": "+923001234567",
        "passport": "ZX9876543",
        "cnic": "3520212345671",
        "name": "Zarmina Qureshi",
        "social": "zarmina.jobs.abroad",
        "bank": "PK36SCBL0000001123456702",
        "vehicle": "MV Sea Falcon",
    }
    person_with(case, *secrets.items(), role="witness", label="Witness A")
    dump = all_text_in_the_database()
    assert "Witness A" in dump  # the dump did read the people
    for value in secrets.values():
        assert value not in dump
        assert value[-7:] not in dump
    assert "3001234567" not in dump
    assert "Zarmina" not in dump and "Falcon" not in dump


@pytest.mark.django_db
def test_one_click_request_to_the_office_holding_a_hidden_match(cast, make_case, person_with):
    uk_case = make_case("GBR")
    italy_case = make_case("ITA", title="Secret crossing")
    person = person_with(uk_case, ("phone", PHONE))
    person_with(italy_case, ("phone", "923001234567"))
    identifier = person.identifiers.get()
    with pytest.raises(DomainError):
        services.match_request_cooperation(
            acting_user=cast.uk, identifier=identifier, office=cast.offices["ESP"]
        )
    request = services.match_request_cooperation(
        acting_user=cast.uk, identifier=identifier, office=cast.offices["ITA"]
    )
    assert (request.case, request.to_office.code, request.kind) == (
        uk_case,
        "ITA",
        RequestKind.IDENTITY_CHECK,
    )
    assert italy_case.reference not in request.question and uk_case.reference in request.question
    assert "phone number" in request.question
    # Addressed as every request: Italy now holds the UK case, at summary level only.
    share_row = CaseShare.objects.get(case=uk_case, office=cast.offices["ITA"])
    assert share_row.level == ShareLevel.SUMMARY and share_row.handling_code == "H2"
    assert CooperationRequest.objects.visible_to(cast.italy).filter(pk=request.pk).exists()
    # Italy's own case page now links the UK case, which it may see.
    section = case_people(cast.italy, italy_case, AccessLevel.LEAD_OFFICE)
    assert [m.reference for m in section.people[0].identifiers[0].visible_matches] == [
        uk_case.reference
    ]
    # A recipient of a share cannot send one about the case it does not lead.
    with pytest.raises(PermissionDenied):
        services.match_request_cooperation(
            acting_user=cast.italy, identifier=identifier, office=cast.offices["GBR"]
        )


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 8])
def test_the_case_section_costs_the_same_queries_whatever_it_holds(
    cast, make_case, person_with, assert_queries, n
):
    case = make_case("GBR")
    for i in range(n):
        other = make_case("ITA" if i % 2 else "ESP")
        person_with(other, ("phone", f"0300 12345{i:02d}"), ("name", "Muhammad Ali"))
        person_with(case, ("phone", f"0300 12345{i:02d}"), ("name", "محمد علی"), label=f"P{i}")
    # 1 the people with their identifiers, 2 the matching rows, 3 the visible cases among them
    with assert_queries(3):
        section = case_people(cast.uk, case, AccessLevel.LEAD_OFFICE)
    assert len(section.people) == n
    assert {m.office_code for m in section.matches.hidden} == {"ESP", "ITA"} if n > 1 else True
