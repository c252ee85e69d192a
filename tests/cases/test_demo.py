"""The cases demo: what the demo promises, and that seeding twice changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases import demo
from cases.constants import CaseKind, Exploitation, HandlingCode, RequestStatus, TransportMode
from cases.models import Case, CaseGrant, CaseShare, CooperationRequest, Message, TimelineEvent
from liaison_offices import demo as office_demo
from liaison_offices.constants import HQ_CODE

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    context = office_demo.DemoContext(password="demo-password-for-tests")
    office_demo.seed(context)
    demo.seed(context)
    return context


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Case, CaseShare, CooperationRequest, Message, TimelineEvent)
    }


def test_seeding_twice_changes_nothing(ctx):
    first = counts()
    demo.seed(ctx)
    assert counts() == first
    assert first["Case"] == len(demo.DEMO_CASES)


def test_the_demos_grants_match_its_cases_and_shares(ctx):
    from cases.grants import grant_drift

    assert grant_drift() == []
    # The expired share's grant is kept, and grants nothing from its expiry on.
    assert CaseGrant.objects.filter(expires_at__lt=timezone.now()).exists()


def test_every_link_office_leads_a_case_and_ctx_hands_them_on(ctx):
    offices = {code for code in ctx.offices if code != HQ_CODE}
    assert set(Case.objects.values_list("lead_office__code", flat=True)) == offices
    assert set(ctx.cases) == {spec.key for spec in demo.DEMO_CASES}
    assert ctx.cases["gbr-servitude"].lead_office.code == "GBR"


def test_the_cases_follow_the_source_document(ctx):
    uk_forms = {
        f for c in Case.objects.filter(lead_office__code="GBR") for f in c.forms_of_exploitation
    }
    assert {Exploitation.FORCED_LABOUR, Exploitation.DOMESTIC_SERVITUDE} <= uk_forms
    greek = {
        f for c in Case.objects.filter(lead_office__code="GRC") for f in c.forms_of_exploitation
    }
    assert {Exploitation.FORCED_MARRIAGE, Exploitation.SEXUAL_EXPLOITATION} <= greek
    route = ctx.cases["tur-route"]
    assert route.kind == CaseKind.SOM
    countries = list(route.route_legs.values_list("country", flat=True))
    assert countries[:2] == ["PAK", "IRN"] and "TUR" in countries and countries[-1] == "GRC"
    for key, country in (("ita-sea", "ITA"), ("esp-sea", "ESP")):
        assert ctx.cases[key].route_legs.filter(country=country, mode=TransportMode.SEA).exists()
    assert Exploitation.DOMESTIC_SERVITUDE in ctx.cases["are-servitude"].forms_of_exploitation


def test_shares_with_bhc_at_different_levels_and_codes_and_one_expired_one_revoked(ctx):
    bhc = CaseShare.objects.live().filter(partner=ctx.partners["BHC"])
    assert len({(s.level, s.handling_code) for s in bhc}) >= 3
    assert CaseShare.objects.filter(office__isnull=False).exclude(office__code=HQ_CODE).exists()
    now = timezone.now()
    assert CaseShare.objects.filter(revoked_at__isnull=True, expires_at__lte=now).count() == 1
    assert CaseShare.objects.filter(revoked_at__isnull=False).count() == 1
    passed_on = CaseShare.objects.get(passed_on_from__isnull=False)
    assert passed_on.handling_code == passed_on.passed_on_from.handling_code == HandlingCode.H1
    # The demo user of BHC really sees what was shared with their organisation.
    fp = get_user_model().objects.get(username="fp.gbr")
    seen = set(Case.objects.visible_to(fp).values_list("pk", flat=True))
    assert seen == {s.case_id for s in bhc}


def test_open_overdue_answered_and_closed_requests(ctx):
    requests = CooperationRequest.objects.all()
    assert requests.overdue().count() == 2
    open_not_due = requests.filter(status=RequestStatus.OPEN, due_at__gt=timezone.now())
    assert open_not_due.exists()
    assert requests.filter(status=RequestStatus.ANSWERED).exists()
    assert requests.filter(status=RequestStatus.CLOSED).exists()
    for request in requests.overdue():
        assert request.created_at < request.due_at < timezone.now()


def test_graded_messages(ctx):
    grades = {f"{m.reliability}{m.accuracy}" for m in Message.objects.all()}
    assert len(grades) >= 3
