"""HQ grants of an office's permission: a reason, an optional end that is kept, a history line
with who and why, a list on the grantee's page; and no silent grants through the user page."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.constants import CaseKind
from cases.models import Case
from liaison_offices import access, services
from liaison_offices.constants import VIEW_CASES, EventKind
from liaison_offices.delivery.recipients import candidate_users
from liaison_offices.models import LinkOfficeUserObjectPermission
from liaison_offices.notifications import publish
from tests.liaison_offices.test_admin import form_data, formset_prefix, fresh, permission_id

pytestmark = pytest.mark.django_db
LEAVE = "Covers the UK officer on leave"


def codes(user) -> set[str]:
    return set(access.offices_of(fresh(user)).values_list("code", flat=True))


def end_now(grant) -> None:
    """Time passes: the grant's end is now behind us."""
    type(grant).objects.filter(pk=grant.pk).update(ends_at=timezone.now() - dt.timedelta(seconds=1))


def test_a_grant_stops_granting_at_its_end(cast):
    uk = cast.offices["GBR"]
    grant = services.office_permission_grant(
        acting_user=cast.hq,
        office=uk,
        permission=VIEW_CASES,
        user=cast.italy,
        reason=LEAVE,
        ends_at=timezone.now() + dt.timedelta(days=14),
    )
    assert grant.reason == LEAVE and grant.granted_by == cast.hq
    assert codes(cast.italy) == {"ITA", "GBR"}
    case = case_services.case_create(
        acting_user=cast.uk, lead_office=uk, kind=CaseKind.TIP, title="Joint case"
    )
    assert Case.objects.visible_to(fresh(cast.italy)).filter(pk=case.pk).exists()
    event = publish(kind=EventKind.CASE_MESSAGE, subject=case, offices=[uk])
    assert cast.italy in candidate_users(event)

    end_now(grant)
    assert codes(cast.italy) == {"ITA"}
    assert not Case.objects.visible_to(fresh(cast.italy)).filter(pk=case.pk).exists()
    assert cast.italy not in candidate_users(event)
    # Granting again renews it.
    services.office_permission_grant(
        acting_user=cast.hq, office=uk, permission=VIEW_CASES, user=cast.italy, reason="Again"
    )
    assert codes(cast.italy) == {"ITA", "GBR"}
    assert LinkOfficeUserObjectPermission.objects.get(pk=grant.pk).ends_at is None


def test_a_group_grant_ends_too(cast):
    grant = services.office_permission_grant(
        acting_user=cast.hq,
        office=cast.offices["GBR"],
        permission=VIEW_CASES,
        group=cast.offices["ESP"].group,
        reason="Joint investigation GBR/ESP",
        ends_at=timezone.now() + dt.timedelta(hours=1),
    )
    assert codes(cast.spain) == {"ESP", "GBR"}
    end_now(grant)
    assert codes(cast.spain) == {"ESP"}


def test_a_grant_needs_a_reason_and_an_end_in_the_future(cast):
    kwargs = {
        "acting_user": cast.hq,
        "office": cast.offices["GBR"],
        "permission": VIEW_CASES,
        "user": cast.italy,
    }
    with pytest.raises(Exception, match="Say why") as caught:
        services.office_permission_grant(**kwargs, reason="  ")
    assert caught.value.field == "reason"
    with pytest.raises(Exception, match="in the past"):
        services.office_permission_grant(
            **kwargs, reason=LEAVE, ends_at=timezone.now() - dt.timedelta(minutes=1)
        )
    assert not LinkOfficeUserObjectPermission.objects.filter(user=cast.italy).exists()


def test_the_office_history_says_who_granted_what_and_why(cast):
    uk = cast.offices["GBR"]
    services.office_permission_grant(
        acting_user=cast.hq, office=uk, permission=VIEW_CASES, user=cast.italy, reason=LEAVE
    )
    line = uk.history.latest()
    assert line.history_user == cast.hq
    assert "view_office_cases" in line.history_change_reason
    assert "italy.officer" in line.history_change_reason and LEAVE in line.history_change_reason
    services.office_permission_revoke(
        acting_user=cast.hq, office=uk, permission=VIEW_CASES, user=cast.italy, reason="Back"
    )
    assert uk.history.latest().history_change_reason.startswith("Revoked view_office_cases")


# --- the admin ------------------------------------------------------------------------------


def test_hq_grants_with_a_reason_and_an_end_on_the_office_page(cast, login):
    client = login(cast.hq)
    uk = cast.offices["GBR"]
    url = f"/admin/liaison_offices/linkoffice/{uk.pk}/change/"
    page = client.get(url)
    data = form_data(page)
    prefix = formset_prefix(page, LinkOfficeUserObjectPermission)
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    data[f"{prefix}-{index}-user"] = cast.italy.pk
    data[f"{prefix}-{index}-permission"] = permission_id(VIEW_CASES)
    refused = client.post(url, data)
    assert refused.status_code == 200 and "Say why this grant is made." in refused.text
    assert not LinkOfficeUserObjectPermission.objects.filter(user=cast.italy).exists()

    ends = timezone.localtime() + dt.timedelta(days=10)
    data[f"{prefix}-{index}-reason"] = LEAVE
    data[f"{prefix}-{index}-ends_at_0"] = ends.date().isoformat()
    data[f"{prefix}-{index}-ends_at_1"] = "18:30:00"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    grant = LinkOfficeUserObjectPermission.objects.get(user=cast.italy)
    assert grant.reason == LEAVE and grant.granted_by == cast.hq
    # HQ writes times in its own zone, Pakistan's (accounts/preferences.py).
    pkt = zoneinfo.ZoneInfo("Asia/Karachi")
    assert timezone.localtime(grant.ends_at, pkt).strftime("%H:%M") == "18:30"

    # Listed on the grantee's page, with its reason and state; ended ones say so.
    user_page = client.get(f"/admin/auth/user/{cast.italy.pk}/change/").text
    assert LEAVE in user_page and "ends " in user_page and "Office GBR" in user_page
    end_now(grant)
    assert "ended " in client.get(f"/admin/auth/user/{cast.italy.pk}/change/").text


def test_the_user_page_cannot_put_a_user_in_an_office_group(cast, login):
    client = login(cast.hq)
    url = f"/admin/auth/user/{cast.spain.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "groups" not in form.fields and "user_permissions" not in form.fields
    data = form_data(page)
    data["groups"] = [cast.offices["GBR"].group_id]
    data["first_name"] = "Renamed"
    response = client.post(url, data)
    assert response.status_code == 302
    assert fresh(cast.spain).first_name == "Renamed"
    assert not fresh(cast.spain).groups.filter(pk=cast.offices["GBR"].group_id).exists()
    assert codes(cast.spain) == {"ESP"}
    assert "made and ended under Memberships" in client.get(url).text


def test_guardians_own_pages_cannot_grant_without_a_reason(cast, login):
    client = login(cast.hq)
    uk = cast.offices["GBR"]
    response = client.post(
        f"/admin/liaison_offices/linkoffice/{uk.pk}/permissions/user-manage/{cast.italy.pk}/",
        {"permissions": ["view_office_cases"]},
        follow=True,
    )
    assert "on the office&#x27;s page, with a reason" in response.text
    assert codes(cast.italy) == {"ITA"}
    assert not LinkOfficeUserObjectPermission.objects.filter(user=cast.italy).exists()
