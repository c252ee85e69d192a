"""Due dates on cooperation requests, flags on cases, the due page and their reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.constants import RequestKind, ShareLevel, TimelineKind, Urgency
from cases.models import CaseFlag, CooperationRequest, TimelineEvent
from cases.reminders import due_reminders
from glo_act.errors import DomainError, PermissionDenied
from glo_act.submit_once import new_token
from liaison_offices.constants import EventKind
from tests.cases.conftest import fresh

pytestmark = pytest.mark.django_db


def ask(cast, case, **extra):
    return services.request_create(
        acting_user=cast.uk,
        case=case,
        from_office=cast.offices["GBR"],
        to_office=cast.offices["ITA"],
        kind=RequestKind.EVIDENCE,
        urgency=Urgency.NORMAL,
        question="The boarding pass?",
        **extra,
    )


@pytest.fixture
def shared_case(cast, make_case):
    case = make_case("GBR")
    services.case_share(
        acting_user=cast.uk,
        case=case,
        office=cast.offices["ITA"],
        level=ShareLevel.FULL,
        handling_code="H0",
    )
    return case


def test_a_request_takes_the_due_date_given_never_one_in_the_past(cast, shared_case):
    wanted = timezone.now() + dt.timedelta(days=3, hours=2)
    request = ask(cast, shared_case, due_at=wanted)
    assert request.due_at == wanted
    with pytest.raises(DomainError, match="in the future") as refused:
        ask(cast, shared_case, due_at=timezone.now() - dt.timedelta(minutes=1))
    assert refused.value.field == "due_at"
    assert CooperationRequest.objects.count() == 1
    default = ask(cast, shared_case)  # left out: from the urgency, 7 days
    assert dt.timedelta(days=6, hours=23) < default.due_at - timezone.now() <= dt.timedelta(days=7)


def test_the_request_form_offers_a_due_date_and_refuses_a_past_one(cast, login, shared_case):
    client = login(cast.uk)
    url = reverse("cases:request_create", args=[shared_case.reference])
    form = client.get(url).content.decode()
    assert 'type="datetime-local"' in form and "data-due-from-urgency" in form
    past = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "recipient": f"office:{cast.offices['ITA'].pk}",
        "kind": RequestKind.EVIDENCE,
        "urgency": Urgency.NORMAL,
        "question": "Statement?",
        "due_at": past,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "The due time must be in the future." in response.content.decode()
    assert not CooperationRequest.objects.exists()
    soon = (timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"form_token": new_token(), **data, "due_at": soon}).status_code == 302
    assert CooperationRequest.objects.get().due_at.strftime("%Y-%m-%dT%H:%M") == soon


def test_flags_by_the_lead_office_shown_to_it_reminded_and_cleared(cast, login, shared_case):
    today = timezone.localdate()
    hearing = services.flag_add(
        acting_user=cast.uk,
        case=shared_case,
        reason="  Court   hearing ",
        due_on=today + dt.timedelta(days=1),
    )
    assert hearing.reason == "Court hearing"
    later = services.flag_add(
        acting_user=fresh(cast.uk), case=shared_case, reason="Visa expires",
        due_on=today + dt.timedelta(days=20),
    )  # fmt: skip
    with pytest.raises(DomainError, match="past"):
        services.flag_add(
            acting_user=fresh(cast.uk), case=shared_case, reason="x",
            due_on=today - dt.timedelta(days=1),
        )  # fmt: skip
    with pytest.raises(PermissionDenied):  # a share recipient does not flag
        services.flag_add(acting_user=cast.italy, case=shared_case, reason="Mine")
    lines = TimelineEvent.objects.filter(case=shared_case, kind=TimelineKind.FLAGGED)
    assert lines.count() == 2

    uk = login(cast.uk)
    listing = uk.get(reverse("cases:list")).content.decode()
    assert "Court hearing" in listing and "Visa expires" not in listing  # the soonest first
    assert "Visa expires" in uk.get(shared_case.get_absolute_url()).content.decode()
    due = uk.get(reverse("cases:due")).content.decode()
    assert "Court hearing" in due and "Visa expires" not in due  # a week ahead only
    italy = login(cast.italy)
    assert "Court hearing" not in italy.get(reverse("cases:list")).content.decode()
    assert "Court hearing" not in italy.get(shared_case.get_absolute_url()).content.decode()

    reminders = [r for r in due_reminders(timezone.now()) if r.kind == EventKind.CASE_FLAG_DUE]
    assert [r.key for r in reminders] == [f"case_flag_due:{hearing.pk}:{hearing.due_on:%Y%m%d}"]
    assert reminders[0].offices == [cast.offices["GBR"].pk]
    assert "reason" not in reminders[0].payload

    services.flag_clear(acting_user=fresh(cast.uk), flag=hearing)
    with pytest.raises(DomainError, match="already cleared"):
        services.flag_clear(acting_user=fresh(cast.uk), flag=hearing)
    assert list(CaseFlag.objects.filter(cleared_at__isnull=True)) == [later]
    assert not [r for r in due_reminders(timezone.now()) if r.kind == EventKind.CASE_FLAG_DUE]


def test_the_due_page_lists_overdue_and_soon_requests_of_the_users_desks(
    cast, login, shared_case, make_case, assert_queries
):
    overdue = ask(cast, shared_case)
    CooperationRequest.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    ask(cast, shared_case, due_at=timezone.now() + dt.timedelta(days=1))
    ask(cast, shared_case, due_at=timezone.now() + dt.timedelta(days=10))
    client = login(cast.italy)
    # 1 session, 2 user, 3 scope, 4 requests, 5 flags, 6 unread badge.
    with assert_queries(6):
        page = client.get(reverse("cases:due")).content.decode()
    assert page.count("Overdue</span>") == 1
    assert page.count("The boarding pass") == 0  # the question is on the request's page
    assert page.count(shared_case.reference) == 2
    assert "No request is overdue" not in page
    assert shared_case.reference not in login(cast.spain).get(reverse("cases:due")).content.decode()
