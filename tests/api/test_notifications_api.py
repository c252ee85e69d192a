"""notifications/: one's own inbox only, mark read, mark all read.

Notifications are made the real way: a service publishes the event, and the worker's entry
point (`dispatch_event`) is called in-process to deliver it.
"""

from __future__ import annotations

import pytest

from cases.constants import HandlingCode, ShareLevel
from liaison_offices.delivery import dispatch_event
from liaison_offices.models import Notification, NotificationEvent
from tests.api.conftest import API

pytestmark = pytest.mark.django_db


def deliver_all() -> None:
    pending = NotificationEvent.objects.filter(dispatched_at__isnull=True).order_by("id")
    for event_id in pending.values_list("pk", flat=True):
        dispatch_event(event_id)


@pytest.fixture
def inbox(cast, make_case, share):
    """Three cases shared with the British High Commission: three notifications for its focal
    point (and none for anybody else in the cast)."""
    cases = [make_case("GBR", title=f"Shared case {i}") for i in range(3)]
    for case in cases:
        share(case, partner="BHC", level=ShareLevel.SUMMARY, handling_code=HandlingCode.H1)
    deliver_all()
    return cases


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_each_user_sees_only_their_own_notifications(cast, api_client, inbox):
    mine = list(
        Notification.objects.filter(user=cast.focal_point)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(mine) == 3
    assert ids(api_client(cast.focal_point).get(f"{API}/notifications/")) == mine
    for user in (cast.hq, cast.italy, cast.provider):
        client = api_client(user)
        assert ids(client.get(f"{API}/notifications/")) == []
        assert client.get(f"{API}/notifications/{mine[0]}/").status_code == 404
        assert client.post(f"{API}/notifications/{mine[0]}/read/").status_code == 404
    assert not Notification.objects.filter(pk=mine[0], read_at__isnull=False).exists()


def test_a_notification_names_its_subject_impersonally(cast, api_client, inbox):
    row = api_client(cast.focal_point).get(f"{API}/notifications/").json()["results"][-1]
    assert row["kind"] == "case_shared"
    assert row["subject"] == {"type": "cases.case", "id": inbox[0].pk, "label": inbox[0].reference}
    assert row["is_read"] is False and row["read_at"] is None
    assert "Shared case" not in str(row)  # the case title stays in the case


def test_mark_one_read_then_all(cast, api_client, inbox):
    client = api_client(cast.focal_point)
    first = ids(client.get(f"{API}/notifications/"))[0]
    response = client.post(f"{API}/notifications/{first}/read/")
    assert response.status_code == 200
    read_at = response.json()["read_at"]
    assert read_at is not None and response.json()["is_read"] is True
    again = client.post(f"{API}/notifications/{first}/read/")
    assert again.json()["read_at"] == read_at  # idempotent: the first time stands
    assert len(ids(client.get(f"{API}/notifications/", {"unread": "true"}))) == 2
    assert ids(client.get(f"{API}/notifications/", {"unread": "false"})) == [first]
    marked = client.post(f"{API}/notifications/read-all/")
    assert marked.json() == {"marked": 2}
    assert ids(client.get(f"{API}/notifications/", {"unread": "true"})) == []
    assert client.post(f"{API}/notifications/read-all/").json() == {"marked": 0}


def test_mark_all_read_touches_nobody_else(cast, api_client, inbox, make_case, share):
    case = make_case("GBR", title="For Italy")
    share(case, office="ITA", level=ShareLevel.FULL)
    deliver_all()
    api_client(cast.focal_point).post(f"{API}/notifications/read-all/")
    assert Notification.objects.filter(user=cast.italy, read_at__isnull=True).count() == 1


def test_bad_notification_filters_are_a_400(cast, api_client, inbox):
    client = api_client(cast.focal_point)
    for params in ({"unread": "yes"}, {"kind": "gossip"}):
        response = client.get(f"{API}/notifications/", params)
        assert response.status_code == 400
        assert set(params) <= set(response.json()["errors"])
    assert len(ids(client.get(f"{API}/notifications/", {"kind": "case_shared"}))) == 3


def test_the_inbox_costs_the_same_queries_for_10_or_100_rows(
    cast, api_client, make_case, share, assert_queries
):
    for i in range(105):
        share(make_case("GBR", title=f"c{i}"), partner="BHC", level=ShareLevel.SUMMARY)
    deliver_all()
    client = api_client(cast.focal_point)
    for size in (10, 100):
        # 1 token, 2 count, 3 the page (event and its content type joined)
        with assert_queries(3):
            response = client.get(f"{API}/notifications/", {"page_size": size})
        assert len(response.json()["results"]) == size
