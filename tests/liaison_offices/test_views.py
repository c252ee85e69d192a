"""The home dashboard, the notifications inbox and preferences, and the error pages people see."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.constants import CaseKind, CaseStatus, HandlingCode, RequestKind, ShareLevel, Urgency
from cases.models import CooperationRequest
from liaison_offices.constants import Channel, EventKind, NotificationMode
from liaison_offices.context_processors import BADGE_CAP
from liaison_offices.models import Notification, NotificationEvent, NotificationPreference
from victims import services as victim_services
from victims.constants import ConsentPurpose

pytestmark = pytest.mark.django_db


OFFICERS = {"GBR": "uk", "ITA": "italy", "ESP": "spain"}


@pytest.fixture
def make_case(cast):
    """`make_case("GBR")`: a TIP case opened by that office's cast officer."""

    def _make(office: str = "GBR"):
        return case_services.case_create(
            acting_user=cast.users[OFFICERS[office]],
            lead_office=cast.offices[office],
            kind=CaseKind.TIP,
            title=f"Case of {office}",
        )

    return _make


def text(response) -> str:
    return response.content.decode()


def notify(user, title: str, *, url: str = "", read: bool = False, ago: int = 0) -> Notification:
    """An inbox line for `user`, as the delivery worker writes it (event + notification)."""
    event = NotificationEvent.objects.create(
        kind=EventKind.CASE_SHARED,
        subject_type=ContentType.objects.get_for_model(user),
        subject_id=user.pk,
        subject_label="test",
        # The page writes the sentence from the payload: the title shows as the reference.
        payload={"reference": title[:64]},
    )
    created = timezone.now() - dt.timedelta(minutes=ago)
    return Notification.objects.create(
        event=event,
        user=user,
        kind=EventKind.CASE_SHARED,
        title=title,
        url=url,
        created_at=created,
        read_at=created if read else None,
    )


def count_link(body: str, href: str) -> int:
    """The number shown on the dashboard link to `href`."""
    match = re.search(
        rf'<a href="{re.escape(href)}"><span class="count">(\d+)</span>', body.replace("&amp;", "&")
    )
    assert match, f"no dashboard link to {href}"
    return int(match.group(1))


# --- the dashboard ------------------------------------------------------------------------------


def test_home_keeps_who_you_are_and_for_whom_you_act(cast, login):
    body = text(login(cast.uk).get(reverse("home")))
    assert "You act for" in body
    assert "Office GBR" in body and "Liaison officer" in body


def test_dashboard_counts_open_cases_by_status_each_linked_to_its_list(cast, login, make_case):
    make_case("GBR")
    make_case("GBR")
    moved = make_case("GBR")
    case_services.case_transition(
        acting_user=cast.uk, case=moved, to_status=CaseStatus.UNDER_INVESTIGATION
    )
    closed = make_case("GBR")
    case_services.case_transition(
        acting_user=cast.uk, case=closed, to_status=CaseStatus.CLOSED, outcome="transferred"
    )
    italian = make_case("ITA")
    case_services.case_share(
        acting_user=cast.italy,
        case=italian,
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H0,
        office=cast.offices["GBR"],
    )
    make_case("ESP")  # not the UK's: never counted
    body = text(login(cast.uk).get(reverse("home")))
    assert count_link(body, "/cases/?status=reported") == 3  # two own and the shared one
    assert count_link(body, "/cases/?status=under_investigation") == 1
    assert count_link(body, "/cases/?shared=1&status=open") == 1
    assert "?status=closed" not in body  # the dashboard shows open cases only


def test_dashboard_counts_requests_due_and_overdue_both_ways(cast, login, make_case):
    uk_case = make_case("GBR")
    case_services.case_share(
        acting_user=cast.uk,
        case=uk_case,
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H0,
        office=cast.offices["ITA"],
    )

    def ask(by, office_from, office_to, urgency, overdue=False):
        request = case_services.request_create(
            acting_user=by,
            case=uk_case,
            from_office=cast.offices[office_from],
            to_office=cast.offices[office_to],
            kind=RequestKind.TRAVEL_HISTORY,
            urgency=urgency,
            question="Travel history please",
        )
        if overdue:
            CooperationRequest.objects.filter(pk=request.pk).update(
                due_at=timezone.now() - dt.timedelta(hours=2)
            )
        return request

    ask(cast.uk, "GBR", "ITA", Urgency.URGENT)  # from UK, due in 8 hours
    ask(cast.uk, "GBR", "ITA", Urgency.NORMAL, overdue=True)  # from UK, overdue
    ask(cast.italy, "ITA", "GBR", Urgency.URGENT, overdue=True)  # to UK, overdue
    ask(cast.italy, "ITA", "GBR", Urgency.LOW)  # to UK, due in 14 days: neither
    uk = text(login(cast.uk).get(reverse("home")))
    assert count_link(uk, "/cases/requests/?box=in&status=overdue") == 1
    assert count_link(uk, "/cases/requests/?box=in&status=due") == 0
    assert count_link(uk, "/cases/requests/?box=out&status=overdue") == 1
    assert count_link(uk, "/cases/requests/?box=out&status=due") == 1
    # The link leads to exactly those requests.
    listed = text(login(cast.uk).get("/cases/requests/?box=out&status=overdue"))
    assert listed.count('data-label="Request"') == 1


def test_dashboard_shows_referrals_waiting_for_an_answer(cast, login, make_case):
    case = make_case("GBR")
    registration = victim_services.victim_register(
        acting_user=cast.uk,
        case=case,
        sex="male",
        consents=[
            {
                "purpose": ConsentPurpose.REFERRAL,
                "partner": cast.partners["IOM"],
                "service": "shelter",
            }
        ],
    )
    victim_services.referral_create(
        acting_user=cast.uk,
        victim=registration.victim,
        partner=cast.partners["IOM"],
        service="shelter",
    )
    provider = text(login(cast.provider).get(reverse("home")))
    assert "Referrals waiting for an answer" in provider
    assert re.search(r'<span class="count">1</span> <span class="label">Sent to you', provider)
    officer = text(login(cast.uk).get(reverse("home")))
    assert re.search(r'<span class="count">1</span> <span class="label">Sent by you', officer)
    italy = text(login(cast.italy).get(reverse("home")))
    assert "No referral is waiting." in italy


def test_dashboard_lists_the_latest_unread_notifications(cast, login):
    notify(cast.uk, "Case GBR-TIP-2026-0001 shared with you", url="/cases/")
    notify(cast.uk, "Old and read", read=True)
    body = text(login(cast.uk).get(reverse("home")))
    assert count_link(body, "/inbox/?show=unread") == 1
    assert "Case GBR-TIP-2026-0001 shared with you" in body
    assert "Old and read" not in body


def test_hqs_dashboard_counts_stop_at_the_limit_and_say_so(cast, login, make_case, monkeypatch):
    from glo_act import pages

    monkeypatch.setattr(pages, "COUNT_LIMIT", 2)
    for office in ("GBR", "ITA", "ESP"):
        make_case(office)
    body = text(login(cast.hq).get(reverse("home")))
    assert re.search(r'<span class="count">2\+</span> <span class="label">Reported', body)
    # An office user's counts are exact (one GROUP BY over far fewer cases).
    uk = text(login(cast.uk).get(reverse("home")))
    assert count_link(uk, "/cases/?status=reported") == 1


@pytest.mark.parametrize("n", [3, 30])
def test_dashboard_queries_do_not_grow_with_rows(cast, login, make_case, assert_queries, n):
    for i in range(n):
        make_case("GBR")
        notify(cast.uk, f"note {i}", ago=i)
    client = login(cast.uk)
    # 1 session, 2 user, 3 access scope, 4 memberships (office/partner joined), 5 unread count
    # (shared with the navigation badge), 6 the latest unread, 7 open cases by status and
    # "shared with you" (one aggregate), 8 requests due/overdue (one aggregate), 9 pending
    # referrals (one aggregate), 10 "Your casework": my cases, unassigned, hand-overs waiting
    # and flags due (bounded counts, one query).
    with assert_queries(10):
        response = client.get(reverse("home"))
    assert count_link(text(response), "/cases/?status=reported") == n
    for i in range(n):
        notify(cast.hq, f"note {i}", ago=i)
    client = login(cast.hq)
    # The same ten for HQ; 7 is then a count per status, each stopped at the limit.
    with assert_queries(10):
        response = client.get(reverse("home"))
    assert count_link(text(response), "/cases/?status=reported") == n


def test_a_partner_member_gets_a_dashboard_too(cast, login, make_case):
    case = make_case("GBR")
    case_services.case_share(
        acting_user=cast.uk,
        case=case,
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H1,
        partner=cast.partners["BHC"],
    )
    body = text(login(cast.focal_point).get(reverse("home")))
    assert "Open cases shared with you" in body
    assert count_link(body, "/cases/?status=reported") == 1


# --- the inbox ----------------------------------------------------------------------------------


def test_inbox_lists_unread_first_and_the_badge_counts_them(cast, login):
    notify(cast.uk, "Read long ago", read=True, ago=1)
    notify(cast.uk, "Unread older", ago=30)
    notify(cast.uk, "Unread newer", ago=5)
    notify(cast.italy, "Someone else's")
    body = text(login(cast.uk).get(reverse("inbox")))
    assert body.index("Unread newer") < body.index("Unread older") < body.index("Read long ago")
    assert "Someone else&#x27;s" not in body and "Someone else's" not in body
    nav = body.split("</nav>")[0]
    assert '<span class="badge" aria-hidden="true">2</span>' in nav
    assert "(2 unread)" in nav


def test_the_badge_counts_only_as_far_as_it_shows_and_the_inbox_counts_all(cast, login):
    for n in range(BADGE_CAP + 2):
        notify(cast.uk, f"Unread {n}")
    client = login(cast.uk)
    with CaptureQueriesContext(connection) as queries:
        page = text(client.get(reverse("cases:list")))
    assert '<span class="badge" aria-hidden="true">99+</span>' in page.split("</nav>")[0]
    counts = [q["sql"] for q in queries if "liaison_offices_notification" in q["sql"]]
    assert len(counts) == 1 and f"LIMIT {BADGE_CAP + 1}" in counts[0]
    inbox = text(client.get(reverse("inbox")))
    assert f"Unread ({BADGE_CAP + 2})" in inbox
    assert '<span class="badge" aria-hidden="true">99+</span>' in inbox.split("</nav>")[0]


def test_no_badge_when_everything_is_read(cast, login):
    notify(cast.uk, "Done", read=True)
    nav = text(login(cast.uk).get(reverse("home"))).split("</nav>")[0]
    assert 'class="badge"' not in nav


def test_mark_one_read_and_all_read(cast, login):
    first = notify(cast.uk, "First")
    notify(cast.uk, "Second")
    client = login(cast.uk)
    response = client.post(reverse("notification_read", kwargs={"pk": first.pk}))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    response = client.post(reverse("inbox_read_all"), follow=True)
    assert "1 notification marked read." in text(response)
    assert not Notification.objects.filter(user=cast.uk, read_at__isnull=True).exists()


def test_marking_read_with_htmx_swaps_the_line(cast, login):
    line = notify(cast.uk, "Swap me")
    response = login(cast.uk).post(
        reverse("notification_read", kwargs={"pk": line.pk}), HTTP_HX_REQUEST="true"
    )
    body = text(response)
    assert body.lstrip().startswith(f'<li class="notification" id="notification-{line.pk}"')
    assert "Mark read" not in body


def test_opening_a_notification_marks_it_read_and_goes_to_its_subject(cast, login):
    line = notify(cast.uk, "Go there", url="/cases/requests/")
    response = login(cast.uk).get(reverse("notification_open", kwargs={"pk": line.pk}))
    assert response.status_code == 302 and response["Location"] == "/cases/requests/"
    line.refresh_from_db()
    assert line.read_at is not None


def test_a_notification_never_redirects_off_site(cast, login):
    line = notify(cast.uk, "Phish", url="https://evil.example/steal")
    response = login(cast.uk).get(reverse("notification_open", kwargs={"pk": line.pk}))
    assert response["Location"] == reverse("inbox")


def test_another_users_notification_is_404(cast, login):
    theirs = notify(cast.italy, "Italian news")
    client = login(cast.uk)
    assert client.get(reverse("notification_open", kwargs={"pk": theirs.pk})).status_code == 404
    assert client.post(reverse("notification_read", kwargs={"pk": theirs.pk})).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("n", [2, 20])
def test_inbox_queries_do_not_grow_with_rows(cast, login, assert_queries, n):
    for i in range(n):
        notify(cast.uk, f"n{i}", read=bool(i % 2), ago=i)
    client = login(cast.uk)
    # 1 session, 2 user, 3 scope (navigation), 4 unread count (badge and "mark all"),
    # 5 bounded count, 6 the page.
    with assert_queries(6):
        response = client.get(reverse("inbox"))
    assert text(response).count('class="notification') == n


# --- preferences --------------------------------------------------------------------------------


def test_preferences_default_to_immediate_and_are_saved(cast, login):
    client = login(cast.uk)
    body = text(client.get(reverse("preferences")))
    assert re.search(r'value="immediate"[^>]*id="id_email_0"[^>]*checked', body) or re.search(
        r'name="email" value="immediate"[^>]*checked', body
    )
    response = client.post(
        reverse("preferences"), {"in_app": "immediate", "email": "daily_digest"}, follow=True
    )
    assert "Notification preferences saved." in text(response)
    assert NotificationPreference.objects.get(user=cast.uk, channel=Channel.EMAIL).mode == (
        NotificationMode.DAILY_DIGEST
    )
    assert not NotificationPreference.objects.filter(user=cast.uk, channel=Channel.IN_APP).exists()


def test_the_inbox_offers_no_digest_and_refuses_one(cast, login):
    client = login(cast.uk)
    form = text(client.get(reverse("preferences")))
    in_app = form.split('name="in_app"')
    assert not any('value="daily_digest"' in part[:40] for part in in_app[1:])
    response = client.post(reverse("preferences"), {"in_app": "daily_digest", "email": "off"})
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert not NotificationPreference.objects.filter(user=cast.uk).exists()


# --- error pages --------------------------------------------------------------------------------


def test_the_csrf_failure_page_explains_nothing_was_saved(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.uk, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("inbox_read_all"))
    assert response.status_code == 403
    assert "Your form expired" in text(response)
    assert "Nothing was saved" in text(response)


def test_the_404_page_is_friendly_for_an_unknown_address(cast, login):
    response = login(cast.uk).get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in text(response)
    assert 'href="/cases/"' in text(response)


def test_the_500_page_renders_without_context_or_database(rf, django_assert_num_queries):
    from glo_act.views import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in text(response)


def test_the_403_page_for_a_reader_trying_to_edit(cast, login, make_case):
    case = make_case("GBR")
    case_services.case_share(
        acting_user=cast.uk,
        case=case,
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H0,
        office=cast.offices["ITA"],
    )
    response = login(cast.italy).get(reverse("cases:edit", kwargs={"reference": case.reference}))
    assert response.status_code == 403
    assert "You cannot do this" in text(response)
