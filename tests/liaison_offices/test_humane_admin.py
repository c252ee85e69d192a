"""The HQ admin in the officers' words: sections, permission names, 24-hour times, labelled
fields on the office page, and a first page of what HQ watches."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from cases import services as case_services
from cases.constants import CaseKind, ShareLevel
from cases.models import CooperationRequest
from liaison_offices import services

pytestmark = pytest.mark.django_db


def test_the_sections_are_named_in_hqs_words(cast, login):
    html = login(cast.hq).get("/admin/").content.decode()
    for name in ("Sign-in attempts and lockouts", "API tokens", "Users and groups"):
        assert name in html
    assert not re.search(r">\s*(AXES|Axes|KNOX|Knox)\s*<", html)


def test_the_first_page_counts_what_hq_watches(cast, login, settings):
    case = case_services.case_create(
        acting_user=cast.uk, lead_office=cast.offices["GBR"], kind=CaseKind.TIP, title="Ring"
    )
    case_services.case_share(
        acting_user=cast.uk,
        case=case,
        office=cast.offices["ITA"],
        level=ShareLevel.SUMMARY,
        handling_code="H0",
    )
    request = case_services.request_create(
        acting_user=cast.uk,
        case=case,
        from_office=cast.offices["GBR"],
        to_office=cast.offices["ITA"],
        kind="identity_check",
        urgency="normal",
        question="Please confirm the passport.",
    )
    CooperationRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - dt.timedelta(days=1)
    )
    AccessAttempt.objects.create(
        username="italy.officer",
        ip_address="127.0.0.1",
        user_agent="test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        attempt_time=timezone.now(),
    )
    html = login(cast.hq).get("/admin/").content.decode()
    watch = html.split('id="hq-watch"', 1)[1].split("</section>", 1)[0]
    counts = dict(
        re.findall(r'<a href="[^"]*">([^<]+)</a></th>\s*<td class="watch-count[^"]*">(\d+)<', watch)
    )
    assert counts == {
        "Cooperation requests overdue": "1",
        "Notification deliveries failed": "0",
        "Sign-ins locked": "1",
        "Files quarantined: malware found": "0",
    }
    assert "?overdue=yes" in watch


def test_office_permissions_read_as_what_they_let_one_do(cast, login):
    html = (
        login(cast.hq)
        .get(f"/admin/liaison_offices/linkoffice/{cast.offices['GBR'].pk}/change/")
        .content.decode()
    )
    assert "See the office&#x27;s cases" in html
    assert "Link offices and partners | link office" not in html
    groups = login(cast.hq).get(f"/admin/auth/group/{cast.offices['ESP'].group_id}/change/")
    assert "Link offices and partners | link office" not in groups.content.decode()


def test_times_are_on_the_24_hour_clock(cast, login):
    services.office_permission_grant(
        acting_user=cast.hq,
        office=cast.offices["GBR"],
        permission="view_office_cases",
        user=cast.italy,
        reason="Joint investigation",
        # HQ reads the admin in its own zone, Pakistan's (accounts/preferences.py).
        ends_at=timezone.localtime(timezone=zoneinfo.ZoneInfo("Asia/Karachi")).replace(
            hour=16, minute=5
        )
        + dt.timedelta(days=3),
    )
    html = login(cast.hq).get(f"/admin/auth/user/{cast.italy.pk}/change/").content.decode()
    assert re.search(r"\d{1,2} \w{3} \d{4}, \d{2}:\d{2}", html)
    assert "16:05" in html
    assert "p.m." not in html and "a.m." not in html


class Controls(HTMLParser):
    """Form controls a person fills in, and the ids that a <label for> names."""

    def __init__(self):
        super().__init__()
        self.controls, self.labelled = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        if tag in ("input", "select", "textarea"):
            if attrs.get("type") in ("hidden", "submit", "button") or "__prefix__" in (
                attrs.get("name") or ""
            ):
                return
            self.controls.append(attrs)


def test_every_field_on_the_office_page_has_an_accessible_name(cast, login):
    services.office_permission_grant(
        acting_user=cast.hq,
        office=cast.offices["GBR"],
        permission="view_office_cases",
        user=cast.italy,
        reason="Joint investigation",
    )
    html = (
        login(cast.hq)
        .get(f"/admin/liaison_offices/linkoffice/{cast.offices['GBR'].pk}/change/")
        .content.decode()
    )
    parser = Controls()
    parser.feed(html)
    unnamed = [
        c.get("name")
        for c in parser.controls
        if not (c.get("aria-label") or c.get("aria-labelledby") or c.get("id") in parser.labelled)
    ]
    assert parser.controls and not unnamed, unnamed
