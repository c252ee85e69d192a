"""Case pages, reading: the list, the case page, the request list — who sees what, and the cost.

Every page is fetched as a member of the fixed cast (tests/cast.py). Query counts are exact and
pinned for a small and a larger data set, so a page that starts paying per row fails here.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.constants import (
    CaseKind,
    CaseStatus,
    Exploitation,
    HandlingCode,
    RequestKind,
    ShareLevel,
    Urgency,
)
from cases.grants import sync_case_grants
from cases.models import CooperationRequest, Message
from glo_act import pages

pytestmark = pytest.mark.django_db

ROUTE = [
    {"stage": "recruitment", "country": "PAK", "place": "Gujrat"},
    {"stage": "transit", "country": "IRN", "place": "Tehran", "mode": "land"},
    {"stage": "exploitation", "country": "ITA", "place": "Latina", "mode": "sea"},
]
SUSPECTS = [{"name": "Agent Malik", "role": "recruiter", "nationality": "PAK"}]


def share(cast, case, *, to, level=ShareLevel.FULL, code=HandlingCode.H0, by=None, **extra):
    """Share `case` with an office code or partner short name of the cast."""
    target = {"office": cast.offices[to]} if to in cast.offices else {"partner": cast.partners[to]}
    return services.case_share(
        acting_user=by or cast.uk, case=case, level=level, handling_code=code, **target, **extra
    )


def text(response) -> str:
    return response.content.decode()


def table_rows(response) -> list[str]:
    """The references in the case list's table, in order."""
    return re.findall(
        r'<th scope="row" data-label="Reference"[^>]*><a href="[^"]+">([^<]+)</a>', text(response)
    )


@pytest.fixture
def rich_case(cast, make_case):
    """A UK case with a route, a suspect and a message, as officers record them."""
    case = make_case(
        "GBR",
        title="Seasonal farm workers",
        summary="Men recruited for farm work abroad.",
        route_legs=ROUTE,
        suspects=SUSPECTS,
    )
    services.message_post(
        acting_user=cast.uk,
        case=case,
        body="Passport copies obtained.",
        reliability="B",
        accuracy=2,
    )
    return case


# --- access: who reaches which page -----------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, rich_case):
    for url in (reverse("cases:list"), rich_case.get_absolute_url(), reverse("cases:requests")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_it_hides_uk_cases_from_the_italy_office(cast, login, rich_case, make_case):
    italian = make_case("ITA", title="Italian case")
    client = login(cast.italy)
    listed = table_rows(client.get(reverse("cases:list")))
    assert listed == [italian.reference]
    # Every page of the UK case answers 404 — never 403, which would confirm it exists.
    for name in ("detail", "edit", "status", "share", "request_create", "route_add"):
        url = reverse(f"cases:{name}", kwargs={"reference": rich_case.reference})
        response = client.get(url)
        assert response.status_code == 404, name
        assert "Page not found" in text(response)
    response = client.post(
        reverse("cases:message_post", kwargs={"reference": rich_case.reference}),
        {"body": "hello", "reliability": "A", "accuracy": 1},
    )
    assert response.status_code == 404
    assert not Message.objects.filter(body="hello").exists()


def test_the_404_page_for_another_countrys_case_is_the_friendly_one(cast, login, rich_case):
    response = login(cast.spain).get(rich_case.get_absolute_url())
    assert response.status_code == 404
    body = text(response)
    assert "ask them to share the case with your office" in body
    assert rich_case.title not in body


def test_hq_lists_every_offices_cases(cast, login, make_case):
    cases = [make_case(code) for code in ("GBR", "ITA", "ESP")]
    listed = table_rows(login(cast.hq).get(reverse("cases:list")))
    assert sorted(listed) == sorted(c.reference for c in cases)


def test_a_partner_focal_point_lists_only_what_is_shared_with_them(cast, login, make_case):
    shared = make_case("GBR", title="Shared with the High Commission")
    make_case("GBR", title="Not shared")
    share(cast, shared, to="BHC", level=ShareLevel.SUMMARY, code=HandlingCode.H1)
    response = login(cast.focal_point).get(reverse("cases:list"))
    assert table_rows(response) == [shared.reference]
    body = text(response)
    assert "Shared · Summary" in body
    assert 'class="tag h1"' in body


def test_a_revoked_share_drops_the_case_from_the_list_at_once(cast, login, rich_case):
    granted = share(cast, rich_case, to="ITA")
    client = login(cast.italy)
    assert table_rows(client.get(reverse("cases:list"))) == [rich_case.reference]
    services.share_revoke(acting_user=cast.uk, share=granted)
    assert table_rows(client.get(reverse("cases:list"))) == []
    assert client.get(rich_case.get_absolute_url()).status_code == 404


def test_an_expired_share_grants_nothing(cast, login, rich_case):
    granted = share(cast, rich_case, to="ITA", expires_at=timezone.now() + dt.timedelta(hours=1))
    type(granted).objects.filter(pk=granted.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    sync_case_grants(granted.case_id)
    client = login(cast.italy)
    assert table_rows(client.get(reverse("cases:list"))) == []
    assert client.get(rich_case.get_absolute_url()).status_code == 404


# --- the list: share level and handling code, search, filters, sort, pagination ----------------


def test_rows_seen_through_a_share_show_level_and_handling_code(cast, login, rich_case, make_case):
    make_case("ITA", title="Own Italian case")
    share(cast, rich_case, to="ITA", level=ShareLevel.FULL, code=HandlingCode.H2)
    body = text(login(cast.italy).get(reverse("cases:list")))
    row = body.split(rich_case.reference, 2)[2].split("</tr>")[0]
    assert "Shared · Full" in row
    assert 'class="tag h2"' in row and ">H2<" in row
    own_row = body.split("Own Italian case")[1].split("</tr>")[0]
    assert "Your office" in own_row and "tag h" not in own_row


def test_search_finds_reference_title_suspect_and_place(cast, login, rich_case, make_case):
    other = make_case("GBR", title="Car wash in Leeds")
    client = login(cast.uk)
    for query in ("Agent Malik", "latina", rich_case.reference[-4:]):
        assert table_rows(client.get(reverse("cases:list"), {"q": query})) == [
            rich_case.reference
        ], query
    assert table_rows(client.get(reverse("cases:list"), {"q": "car wash"})) == [other.reference]


def test_filters_by_kind_status_exploitation_and_lead_office(cast, login, make_case):
    tip = make_case("GBR", kind=CaseKind.TIP, forms_of_exploitation=[Exploitation.FORCED_LABOUR])
    som = make_case("GBR", kind=CaseKind.SOM, forms_of_exploitation=[])
    sexual = make_case(
        "GBR", kind=CaseKind.TIP, forms_of_exploitation=[Exploitation.SEXUAL_EXPLOITATION]
    )
    services.case_transition(
        acting_user=cast.uk, case=som, to_status=CaseStatus.UNDER_INVESTIGATION
    )
    client = login(cast.hq)
    italian = make_case("ITA")

    def listed(**params):
        return set(table_rows(client.get(reverse("cases:list"), params)))

    assert listed(kind="SOM") == {som.reference}
    assert listed(status="under_investigation") == {som.reference}
    assert listed(status="open") == {
        tip.reference,
        som.reference,
        sexual.reference,
        italian.reference,
    }
    assert listed(exploitation="sexual_exploitation") == {sexual.reference}
    assert listed(office="ITA") == {italian.reference}


def test_shared_with_me_and_handling_code_filters(cast, login, make_case):
    own = make_case("ITA")
    h1 = make_case("GBR", title="H1 share")
    h2 = make_case("GBR", title="H2 share")
    share(cast, h1, to="ITA", code=HandlingCode.H1)
    share(cast, h2, to="ITA", code=HandlingCode.H2)
    client = login(cast.italy)

    def listed(**params):
        return set(table_rows(client.get(reverse("cases:list"), params)))

    assert listed() == {own.reference, h1.reference, h2.reference}
    assert listed(shared="on") == {h1.reference, h2.reference}
    assert listed(handling="H2") == {h2.reference}


def test_an_unknown_filter_value_is_ignored_and_said(cast, login, rich_case):
    response = login(cast.uk).get(reverse("cases:list"), {"status": "nonsense", "kind": "TIP"})
    assert response.status_code == 200
    assert table_rows(response) == [rich_case.reference]
    assert "Some filters were not understood" in text(response)


def test_sort_by_reference_and_by_status(cast, login, make_case):
    first, second, third = (make_case("GBR") for _ in range(3))
    services.case_transition(
        acting_user=cast.uk, case=first, to_status=CaseStatus.UNDER_INVESTIGATION
    )
    client = login(cast.uk)
    by_reference = table_rows(client.get(reverse("cases:list"), {"sort": "reference"}))
    assert by_reference == [first.reference, second.reference, third.reference]
    by_updated = table_rows(client.get(reverse("cases:list")))
    assert by_updated[0] == first.reference  # changed last
    by_status = table_rows(client.get(reverse("cases:list"), {"sort": "status"}))
    assert by_status[-1] == first.reference  # under investigation comes after reported


def test_the_count_stops_at_the_limit_and_says_so(cast, login, make_case, monkeypatch):
    monkeypatch.setattr(pages, "COUNT_LIMIT", 4)
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    for _ in range(6):
        make_case("GBR")
    client = login(cast.uk)
    body = text(client.get(reverse("cases:list")))
    assert "Showing 1–2 of 4+ cases" in body
    assert "Page 1 of 2+" in body
    last = client.get(reverse("cases:list"), {"page": 3})
    assert len(table_rows(last)) == 2
    assert 'rel="next"' not in text(last)


def test_a_page_past_the_end_is_404(cast, login, rich_case):
    assert login(cast.uk).get(reverse("cases:list"), {"page": 5}).status_code == 404


def test_htmx_filtering_returns_only_the_results(cast, login, rich_case):
    response = login(cast.uk).get(
        reverse("cases:list"),
        {"q": "Latina"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="case-results",
    )
    body = text(response)
    assert rich_case.reference in body
    assert "<html" not in body and "<form" not in body


# --- the case page and its redaction by share level ---------------------------------------------


def test_the_lead_office_sees_everything_in_route_order(cast, login, rich_case):
    body = text(login(cast.uk).get(rich_case.get_absolute_url()))
    route = body.split('id="route-title"')[1].split("</section>")[0]
    assert route.index("Recruitment") < route.index("Transit") < route.index("Exploitation")
    assert route.index("Gujrat") < route.index("Tehran") < route.index("Latina")
    assert "Agent Malik" in body
    assert "Passport copies obtained." in body
    assert f'href="/cases/{rich_case.reference}/edit/"' in body
    assert "Opened by GBR" in body  # the timeline


def test_the_case_page_shows_each_part_with_its_display_names(cast, login, rich_case):
    """Route, suspects, legal basis and timeline come from one JSON query (cases.full_parts):
    the page still shows country names, choice labels, the actor and derived expiry lines."""
    from cases.models import LegalProvision

    provision = LegalProvision.objects.order_by("id").first()
    rich_case.legal_provisions.add(provision)
    cast.uk.first_name, cast.uk.last_name = "Amir", "Khan"
    cast.uk.save()
    granted = share(cast, rich_case, to="BHC", expires_at=timezone.now() + dt.timedelta(hours=1))
    leg = rich_case.route_legs.get(place="Tehran")
    suspect = rich_case.suspects.get()

    body = text(login(cast.uk).get(rich_case.get_absolute_url()))
    assert re.search(r"Tehran, Iran[^<]*</span>\s*<span class=\"leg-meta\">by land</span>", body)
    assert f'/route/{leg.pk}/remove/" aria-label="Remove the transit leg Tehran"' in body
    assert "<strong>Agent Malik</strong> — Recruiter, Pakistan" in body
    assert f"/suspects/{suspect.pk}/remove/" in body
    assert f"<strong>{provision.citation}</strong> — {provision.title}" in body
    timeline = body.split('id="timeline-title"')[1].split("</section>")[0]
    assert "— Amir Khan" in timeline
    assert "expired" not in timeline

    type(granted).objects.filter(pk=granted.pk).update(expires_at=timezone.now())
    sync_case_grants(granted.case_id)
    later = text(login(cast.uk).get(rich_case.get_absolute_url()))
    timeline = later.split('id="timeline-title"')[1].split("</section>")[0]
    expired = timeline.index(f"Share to {cast.partners['BHC']} expired")
    assert expired < timeline.index("Shared with")


def test_a_summary_share_shows_the_summary_only(cast, login, rich_case):
    share(cast, rich_case, to="ITA", level=ShareLevel.SUMMARY, code=HandlingCode.H1)
    body = text(login(cast.italy).get(rich_case.get_absolute_url()))
    assert rich_case.title in body and "Men recruited for farm work" in body  # the summary
    assert "Forced labour" in body  # forms of exploitation are part of the summary
    for hidden in ("Agent Malik", "Gujrat", "Latina", "Passport copies obtained.", "Opened by"):
        assert hidden not in body, hidden
    assert "A summary share shows the summary only" in body
    assert 'class="tag h1"' in body and "not for judicial proceedings" in body
    assert "/edit/" not in body and "/status/" not in body


def test_a_full_share_shows_route_suspects_and_messages_but_not_victims(cast, login, rich_case):
    share(cast, rich_case, to="ITA", level=ShareLevel.FULL)
    body = text(login(cast.italy).get(rich_case.get_absolute_url()))
    for shown in ("Agent Malik", "Tehran", "Passport copies obtained."):
        assert shown in body, shown
    assert 'id="victims-title"' not in body
    assert "/edit/" not in body  # shares grant reading and messaging, never editing


def test_a_recipient_sees_its_own_share_not_the_others(cast, login, rich_case):
    share(cast, rich_case, to="ITA", code=HandlingCode.H0)
    share(cast, rich_case, to="ESP", code=HandlingCode.H3, handling_conditions="Only for Madrid")
    body = text(login(cast.italy).get(rich_case.get_absolute_url()))
    shares = body.split('id="shares-title"')[1].split("</section>")[0]
    assert "Office ITA" in shares
    assert "Office ESP" not in shares and "Only for Madrid" not in body
    assert "Shared with ESP" not in body  # nor through the timeline


def test_the_lead_office_sees_every_share_with_its_handling_code(cast, login, rich_case):
    share(cast, rich_case, to="ITA", code=HandlingCode.H2)
    share(
        cast,
        rich_case,
        to="BHC",
        level=ShareLevel.SUMMARY,
        code=HandlingCode.H3,
        handling_conditions="Consular use only",
    )
    body = text(login(cast.uk).get(rich_case.get_absolute_url()))
    shares = body.split('id="shares-title"')[1].split("</section>")[0]
    assert "Office ITA" in shares and "BHC" in shares
    assert "no onward dissemination" in shares and "Consular use only" in shares
    assert shares.count("Revoke…") == 2


def test_an_h2_recipient_has_no_share_form(cast, login, rich_case):
    share(cast, rich_case, to="ITA", code=HandlingCode.H2)
    client = login(cast.italy)
    body = text(client.get(rich_case.get_absolute_url()))
    assert reverse("cases:share", kwargs={"reference": rich_case.reference}) not in body
    assert "Under H2 you may not pass this case on" in body
    response = client.get(reverse("cases:share", kwargs={"reference": rich_case.reference}))
    assert response.status_code == 302
    followed = text(client.get(response["Location"]))
    assert "no onward dissemination" in followed
    posted = client.post(
        reverse("cases:share", kwargs={"reference": rich_case.reference}),
        {"recipient": f"office:{cast.offices['ESP'].pk}", "level": 2, "handling_code": "H2"},
    )
    assert posted.status_code == 302
    assert not rich_case.shares.filter(office=cast.offices["ESP"]).exists()


def test_an_h0_recipient_office_may_pass_the_case_on(cast, login, rich_case):
    share(cast, rich_case, to="ITA", code=HandlingCode.H0)
    body = text(login(cast.italy).get(rich_case.get_absolute_url()))
    assert ">Pass on</a>" in body


def test_a_partner_with_a_share_cannot_pass_it_on(cast, login, rich_case):
    share(cast, rich_case, to="BHC", level=ShareLevel.FULL, code=HandlingCode.H0)
    client = login(cast.focal_point)
    body = text(client.get(rich_case.get_absolute_url()))
    assert "Agent Malik" in body
    assert reverse("cases:share", kwargs={"reference": rich_case.reference}) not in body
    assert (
        client.get(reverse("cases:share", kwargs={"reference": rich_case.reference})).status_code
        == 302
    )


def test_victims_show_by_code_only_and_from_full_with_victims(cast, login, rich_case):
    from victims import services as victim_services

    victim = victim_services.victim_register(
        acting_user=cast.uk,
        case=rich_case,
        full_name="Ayesha Fictiwala",
        sex="female",
        consents=[{"purpose": "data_processing"}],
    ).victim
    share(cast, rich_case, to="ITA", level=ShareLevel.FULL)
    share(cast, rich_case, to="ESP", level=ShareLevel.FULL_WITH_VICTIMS)
    lead = text(login(cast.uk).get(rich_case.get_absolute_url()))
    victims = lead.split('id="victims-title"')[1].split("</section>")[0]
    assert f'href="/victims/{victim.code}/"' in victims
    assert "Ayesha" not in lead  # the case page never shows personal data
    assert victim.code not in text(login(cast.italy).get(rich_case.get_absolute_url()))
    spain = text(login(cast.spain).get(rich_case.get_absolute_url()))
    assert victim.code in spain and "Ayesha" not in spain


def test_hq_sends_requests_in_its_own_name(cast, login, rich_case):
    body = text(login(cast.hq).get(reverse("cases:request_create", args=[rich_case.reference])))
    assert "from <strong>Office HQ (HQ)</strong>" in body


# --- query counts: constant as rows grow ----------------------------------------------------------


def _grow(cast, make_case, n: int):
    """n UK cases, each shared with ITA at a different code, half of them moved on."""
    cases = []
    for i in range(n):
        case = make_case("GBR", title=f"Case {i}")
        share(
            cast,
            case,
            to="ITA",
            code=list(HandlingCode)[i % 4],
            **({"handling_conditions": "stated"} if i % 4 == 3 else {}),
        )
        cases.append(case)
    return cases


@pytest.mark.parametrize("n", [3, 30])
def test_case_list_queries_do_not_grow_with_rows(cast, login, make_case, assert_queries, n):
    _grow(cast, make_case, n)
    for user in (cast.uk, cast.italy):
        client = login(user)
        # 1 session, 2 user, 3 access scope (desks and partners, one UNION),
        # 4 lead-office choices of the filter form, 5 bounded count, 6 the page (lead office
        # joined, the user's share level and handling code as subqueries), 7 whether they
        # lead an office (the "Reassign" link), 8 unread badge.
        with assert_queries(8) as queries:
            response = client.get(reverse("cases:list"))
        assert len(table_rows(response)) == min(n, pages.PAGE_SIZE)
        # The page reads the columns a row shows, not whole cases (a summary can be long).
        page_sql = queries.captured_queries[5]["sql"]
        assert '"cases_case"."title"' in page_sql
        assert '"cases_case"."summary"' not in page_sql


@pytest.mark.parametrize("n", [1, 10])
def test_case_page_queries_do_not_grow_with_rows(cast, login, make_case, assert_queries, n):
    case = make_case("GBR", route_legs=ROUTE * n, suspects=SUSPECTS * n)
    for i in range(n):
        share(cast, case, to=["ITA", "ESP", "BHC", "IOM"][i % 4], code=HandlingCode.H0)
        services.message_post(
            acting_user=cast.uk, case=case, body=f"m{i}", reliability="A", accuracy=1
        )
    share(cast, case, to="ITA", code=HandlingCode.H0)
    for i in range(n):
        services.request_create(
            acting_user=cast.uk,
            case=case,
            from_office=cast.offices["GBR"],
            to_office=cast.offices["ITA"],
            kind=RequestKind.EVIDENCE,
            urgency=Urgency.NORMAL,
            question=f"q{i}",
        )
    url = case.get_absolute_url()
    client = login(cast.uk)
    # 1 session, 2 user, 3 scope, 4 the case (lead office joined), 5 shares (office and
    # partner joined; one query for both "all shares" and "passed on by me"), 6 requests
    # (offices and partner joined), 7 route, suspects, legal basis, timeline and expired
    # shares as JSON (cases.full_parts), 8 messages (author, office, partner joined),
    # 9 a pending hand-over and 10 the live flags (the lead office and HQ only), 11 victims,
    # 12 the files of the case and of its messages (evidence), 13 the audit line of the
    # opening (audit.AuditEntry), 14 the people of interest and their identifiers (people;
    # no identifier, so no match query), 15 unread badge.
    with assert_queries(15):
        client.get(url)
    client = login(cast.italy)
    # The same page through a FULL share without victims: no hand-over, flags or victims query.
    with assert_queries(12):
        client.get(url)


@pytest.mark.parametrize("n", [2, 20])
def test_request_list_queries_do_not_grow_with_rows(cast, login, make_case, assert_queries, n):
    case = make_case("GBR")
    share(cast, case, to="ITA")
    for i in range(n):
        services.request_create(
            acting_user=cast.uk,
            case=case,
            from_office=cast.offices["GBR"],
            to_office=cast.offices["ITA"],
            kind=RequestKind.WITNESS_STATEMENT,
            urgency=Urgency.URGENT,
            question=f"q{i}",
        )
    client = login(cast.italy)
    # 1 session, 2 user, 3 scope, 4 bounded count, 5 page (case and both ends joined), 6 badge.
    with assert_queries(6):
        response = client.get(reverse("cases:requests"))
    assert text(response).count('data-label="Request"') == min(n, pages.PAGE_SIZE)


# --- the request list ---------------------------------------------------------------------------


def test_requests_list_shows_direction_and_overdue(cast, login, make_case):
    case = make_case("GBR")
    share(cast, case, to="ITA")
    late = services.request_create(
        acting_user=cast.uk,
        case=case,
        from_office=cast.offices["GBR"],
        to_office=cast.offices["ITA"],
        kind=RequestKind.IDENTITY_CHECK,
        urgency=Urgency.URGENT,
        question="Who is he?",
    )
    CooperationRequest.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    italy = login(cast.italy)
    assert "Overdue" in text(
        italy.get(reverse("cases:requests"), {"box": "in", "status": "overdue"})
    )
    assert "No requests match" in text(italy.get(reverse("cases:requests"), {"box": "out"}))
    assert "No requests match" in text(login(cast.spain).get(reverse("cases:requests")))
    assert (
        login(cast.spain).get(reverse("cases:request", kwargs={"pk": late.pk})).status_code == 404
    )
