"""The HQ admin: only HQ gets in; memberships and office grants made there go through services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from liaison_offices import access
from liaison_offices.constants import CHANGE_CASES, VIEW_CASES, Role
from liaison_offices.models import (
    LinkOfficeGroupObjectPermission,
    LinkOfficeUserObjectPermission,
    Membership,
)
from tests.cast import make_user

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request would load it (no remembered scope)."""
    return get_user_model().objects.get(pk=user.pk)


def form_data(response) -> dict:
    """The POST body the admin change form would send back unchanged, inlines included."""

    def value(bound_field):
        raw = bound_field.value()
        if raw is None:
            return ""
        if isinstance(raw, dt.date | dt.datetime):
            return raw.isoformat()
        return raw

    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data[form.add_prefix(name)] = value(form[name])
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = value(management[name])
        for inline_form in formset.forms:
            for name in inline_form.fields:
                data[inline_form.add_prefix(name)] = value(inline_form[name])
    return {key: val for key, val in data.items() if val is not False}


def formset_prefix(response, model) -> str:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return inline.formset.prefix
    raise AssertionError(f"no inline for {model.__name__}")


def permission_id(codename: str) -> int:
    from django.contrib.auth.models import Permission

    return Permission.objects.get(content_type__app_label="liaison_offices", codename=codename).pk


@pytest.mark.parametrize("member", ["uk", "focal_point", "provider"])
def test_the_admin_sends_anyone_but_hq_to_the_admin_login(cast, login, member):
    client = login(getattr(cast, member))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_admin_stays_closed_to_an_officer_even_if_marked_staff(cast, login):
    cast.uk.is_staff = True
    cast.uk.save(update_fields=["is_staff"])
    response = login(cast.uk).get("/admin/liaison_offices/linkoffice/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_admin_opens_to_hq_with_its_own_title(cast, login):
    response = login(cast.hq).get("/admin/")
    assert response.status_code == 200
    assert "GLO.ACT Case Coordination — HQ administration" in response.text
    assert "Link offices and partners" in response.text


def test_hq_adds_a_membership_and_the_user_lands_in_the_office_group(cast, login):
    newcomer = make_user("new.officer")
    uk = cast.offices["GBR"]
    response = login(cast.hq).post(
        "/admin/liaison_offices/membership/add/",
        {
            "user": newcomer.pk,
            "office": uk.pk,
            "role": Role.OFFICER,
            "title": "Immigration Liaison Officer",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Membership.objects.filter(user=newcomer, office=uk, ended_at__isnull=True).exists()
    assert newcomer.groups.filter(pk=uk.group_id).exists()
    assert set(access.offices_of(fresh(newcomer)).values_list("code", flat=True)) == {"GBR"}


def test_the_admin_refuses_a_membership_that_breaks_the_rules(cast, login):
    """A partner role at an office is a domain error: nothing is saved, the user stays out."""
    newcomer = make_user("not.an.officer")
    response = login(cast.hq).post(
        "/admin/liaison_offices/membership/add/",
        {"user": newcomer.pk, "office": cast.offices["GBR"].pk, "role": Role.FOCAL_POINT},
        follow=True,
    )
    assert not Membership.objects.filter(user=newcomer).exists()
    assert not newcomer.groups.exists()
    assert "partner role" in response.text


def test_hq_ends_memberships_with_the_admin_action(cast, login):
    membership = Membership.objects.get(user=cast.uk)
    response = login(cast.hq).post(
        "/admin/liaison_offices/membership/",
        {"action": "end_memberships", "_selected_action": [membership.pk]},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.ended_at is not None
    assert not cast.uk.groups.filter(pk=cast.offices["GBR"].group_id).exists()


def test_hq_grants_another_office_through_the_office_inline_and_revokes_it(cast, login):
    client = login(cast.hq)
    uk = cast.offices["GBR"]
    url = f"/admin/liaison_offices/linkoffice/{uk.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = form_data(page)
    prefix = formset_prefix(page, LinkOfficeUserObjectPermission)
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    data[f"{prefix}-{index}-user"] = cast.italy.pk
    data[f"{prefix}-{index}-permission"] = permission_id(VIEW_CASES)
    data[f"{prefix}-{index}-reason"] = "Joint investigation"

    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    italy = fresh(cast.italy)
    assert set(access.offices_of(italy).values_list("code", flat=True)) == {"ITA", "GBR"}
    assert not access.can_work_office(italy, uk.pk)  # a view grant does not let them edit

    # The grant is listed on the office's page, where HQ revokes it.
    page = client.get(url)
    assert "italy.officer" in page.text
    data = form_data(page)
    grant = LinkOfficeUserObjectPermission.objects.get(user=cast.italy, content_object=uk)
    rows = [key for key, val in data.items() if key.endswith("-id") and val == grant.pk]
    assert len(rows) == 1 and rows[0].startswith(prefix)
    data[rows[0].removesuffix("-id") + "-DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302
    assert set(access.offices_of(fresh(cast.italy)).values_list("code", flat=True)) == {"ITA"}


def test_the_grant_inline_offers_only_the_two_office_permissions(cast, login):
    page = login(cast.hq).get(f"/admin/liaison_offices/linkoffice/{cast.offices['GBR'].pk}/change/")
    prefix = formset_prefix(page, LinkOfficeUserObjectPermission)
    formset = next(
        i.formset for i in page.context["inline_admin_formsets"] if i.formset.prefix == prefix
    )
    choices = formset.empty_form.fields["permission"].queryset
    assert set(choices.values_list("codename", flat=True)) == {VIEW_CASES, CHANGE_CASES}


def test_the_office_changelist_searches_and_filters(cast, login):
    client = login(cast.hq)
    response = client.get("/admin/liaison_offices/linkoffice/", {"q": "London"})
    assert response.status_code == 200
    assert [o.code for o in response.context["cl"].result_list] == ["GBR"]
    response = client.get("/admin/liaison_offices/linkoffice/", {"status__exact": "closed"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    response = client.get("/admin/liaison_offices/linkoffice/", {"status__exact": "active"})
    assert {o.code for o in response.context["cl"].result_list} == {"HQ", "GBR", "ITA", "ESP"}


def test_the_membership_changelist_searches_and_filters(cast, login):
    client = login(cast.hq)
    url = "/admin/liaison_offices/membership/"
    response = client.get(url, {"q": "italy.officer"})
    assert response.status_code == 200
    assert [m.user for m in response.context["cl"].result_list] == [cast.italy]
    response = client.get(url, {"role__exact": Role.FOCAL_POINT})
    assert [m.user for m in response.context["cl"].result_list] == [cast.focal_point]
    response = client.get(url, {"office__id__exact": cast.offices["ESP"].pk})
    assert [m.user for m in response.context["cl"].result_list] == [cast.spain]
    response = client.get(url, {"ended_at__isempty": "0"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_the_partner_and_country_changelists_search_and_filter(cast, login):
    client = login(cast.hq)
    response = client.get("/admin/liaison_offices/partnerorganisation/", {"kind__exact": "embassy"})
    assert response.status_code == 200
    assert [p.short_name for p in response.context["cl"].result_list] == ["BHC"]
    response = client.get("/admin/liaison_offices/partnerorganisation/", {"q": "Migration"})
    assert [p.short_name for p in response.context["cl"].result_list] == ["IOM"]
    response = client.get("/admin/liaison_offices/country/", {"q": "PAK"})
    assert response.status_code == 200
    assert [c.iso3 for c in response.context["cl"].result_list] == ["PAK"]


def test_the_guardian_object_permissions_page_opens_for_an_office(cast, login):
    response = login(cast.hq).get(
        f"/admin/liaison_offices/linkoffice/{cast.offices['GBR'].pk}/permissions/"
    )
    assert response.status_code == 200


def test_the_admin_will_not_take_an_offices_own_group_off_its_office(cast, login):
    """The refusal undoes the whole save and says why, instead of an error page."""
    client = login(cast.hq)
    uk = cast.offices["GBR"]
    url = f"/admin/liaison_offices/linkoffice/{uk.pk}/change/"
    page = client.get(url)
    data = form_data(page)
    data["city"] = "Manchester"  # saved with the inline change, or not at all
    own_grants = LinkOfficeGroupObjectPermission.objects.filter(group=uk.group, content_object=uk)
    pks = set(own_grants.values_list("pk", flat=True))
    for key in [k for k, v in data.items() if k.endswith("-id") and v in pks]:
        if key.startswith(formset_prefix(page, LinkOfficeGroupObjectPermission)):
            data[key.removesuffix("-id") + "-DELETE"] = "on"

    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "always holds its office permissions" in response.text
    assert own_grants.count() == 2
    uk.refresh_from_db()
    assert uk.city == "London"
    assert set(access.offices_of(fresh(cast.uk)).values_list("code", flat=True)) == {"GBR"}
