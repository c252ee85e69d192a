"""cases/{reference}/messages/ and cooperation-requests/: levels, roles, If-Match, idempotency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.constants import HandlingCode, RequestKind, RequestStatus, ShareLevel, Urgency
from cases.models import CooperationRequest, Message
from tests.api.conftest import API

pytestmark = pytest.mark.django_db


def messages_url(case) -> str:
    return f"{API}/cases/{case.reference}/messages/"


@pytest.fixture
def bhc_request(cast, uk_case, share):
    """The UK office asks the British High Commission for a travel history (full share)."""
    share(uk_case, partner="BHC", level=ShareLevel.FULL, handling_code=HandlingCode.H1)
    return services.request_create(
        acting_user=cast.uk,
        case=uk_case,
        from_office=cast.offices["GBR"],
        to_partner=cast.partners["BHC"],
        kind=RequestKind.TRAVEL_HISTORY,
        urgency=Urgency.NORMAL,
        question="Visa applications by the three workers since 2024?",
    )


# --- messages -----------------------------------------------------------------------------------


def test_messages_need_a_full_share(cast, api_client, uk_case, share):
    share(uk_case, partner="BHC", level=ShareLevel.SUMMARY, handling_code=HandlingCode.H0)
    client = api_client(cast.focal_point)
    listing = client.get(messages_url(uk_case))
    assert listing.status_code == 403
    assert "summary" in listing.json()["detail"]
    post = client.post(messages_url(uk_case), {"body": "Anything?"}, format="json")
    assert post.status_code == 403
    assert not Message.objects.exists()


def test_messages_of_an_unshared_case_are_a_404(cast, api_client, uk_case):
    for user in (cast.italy, cast.focal_point, cast.provider):
        client = api_client(user)
        assert client.get(messages_url(uk_case)).status_code == 404
        assert client.post(messages_url(uk_case), {"body": "x"}, format="json").status_code == 404
    assert not Message.objects.exists()


def test_a_full_share_partner_reads_and_posts_graded_messages(cast, api_client, uk_case, share):
    share(uk_case, partner="BHC", level=ShareLevel.FULL, handling_code=HandlingCode.H1)
    services.message_post(
        acting_user=cast.uk, case=uk_case, body="Raid planned.", reliability="A", accuracy=1
    )
    client = api_client(cast.focal_point)
    response = client.post(
        messages_url(uk_case),
        {"body": "Two of them applied for visas in Lahore.", "reliability": "B", "accuracy": 2},
        format="json",
    )
    assert response.status_code == 201, response.content
    posted = response.json()
    assert posted["author_organisation"] == {
        "kind": "partner",
        "code": "BHC",
        "name": "British High Commission",
    }
    assert (posted["reliability"], posted["accuracy"]) == ("B", 2)
    rows = client.get(messages_url(uk_case)).json()["results"]
    assert [(m["body"], m["author_organisation"]["code"]) for m in rows] == [
        ("Raid planned.", "GBR"),
        ("Two of them applied for visas in Lahore.", "BHC"),
    ]
    assert rows[1] == posted  # the 201's body is the message as it is read back


def test_a_message_is_validated_before_anything_is_posted(cast, api_client, uk_case):
    client = api_client(cast.uk)
    for body, field in (
        ({"body": ""}, "body"),
        ({"body": "x", "reliability": "Z"}, "reliability"),
        ({"body": "x", "accuracy": 9}, "accuracy"),
        ({"body": "x", "request": 999999}, "request"),
    ):
        response = client.post(messages_url(uk_case), body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["errors"]
    assert not Message.objects.exists()


def test_a_replayed_idempotency_key_returns_the_first_message_and_posts_nothing(
    cast, api_client, uk_case
):
    client = api_client(cast.uk)
    body = {"body": "Suspect seen at Heathrow.", "reliability": "C", "accuracy": 3}
    first = client.post(messages_url(uk_case), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(messages_url(uk_case), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Message.objects.count() == 1
    other = client.post(
        messages_url(uk_case),
        {**body, "body": "Something else"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422
    assert other["Content-Type"].startswith("application/problem+json")
    assert Message.objects.count() == 1
    # Keys belong to their user: the same key from someone else is another operation.
    other_user = api_client(cast.hq).post(
        messages_url(uk_case), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other_user.status_code == 201
    assert Message.objects.count() == 2


def test_an_expired_idempotency_record_does_not_replay_even_before_the_purge(
    cast, api_client, uk_case, settings
):
    from glo_act.models import IdempotencyRecord

    client = api_client(cast.uk)
    body = {"body": "Suspect seen at Heathrow.", "reliability": "C", "accuracy": 3}
    first = client.post(messages_url(uk_case), body, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    assert first.status_code == 201
    window = dt.timedelta(hours=settings.RETENTION_IDEMPOTENCY_HOURS)
    IdempotencyRecord.objects.filter(key="k-9").update(
        created_at=timezone.now() - window - dt.timedelta(minutes=1)
    )
    # Past the window (the nightly purge has not run yet): the key is absent, so the post is
    # a new one, not a replay of the stored message.
    late = client.post(messages_url(uk_case), body, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    assert late.status_code == 201 and "Idempotent-Replayed" not in late
    assert late.json()["id"] != first.json()["id"]
    assert Message.objects.count() == 2
    record = IdempotencyRecord.objects.get(key="k-9")
    assert record.created_at > timezone.now() - dt.timedelta(minutes=1)  # the new one
    # Within the window the new record replays as before.
    again = client.post(messages_url(uk_case), body, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    assert again["Idempotent-Replayed"] == "true" and Message.objects.count() == 2


def test_a_refused_post_does_not_burn_its_idempotency_key(cast, api_client, uk_case):
    client = api_client(cast.uk)
    refused = client.post(
        messages_url(uk_case), {"body": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert refused.status_code == 400
    ok = client.post(
        messages_url(uk_case), {"body": "Now with text"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert ok.status_code == 201


def test_a_request_thread_is_seen_by_its_two_parties_only(
    cast, api_client, uk_case, share, bhc_request
):
    share(uk_case, office="ITA", level=ShareLevel.FULL)
    response = api_client(cast.focal_point).post(
        messages_url(uk_case),
        {"body": "Records attached.", "request": bhc_request.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["request"] == bhc_request.pk
    uk_rows = api_client(cast.uk).get(messages_url(uk_case)).json()["results"]
    italy_rows = api_client(cast.italy).get(messages_url(uk_case)).json()["results"]
    assert [m["body"] for m in uk_rows] == ["Records attached."]
    assert italy_rows == []
    # And Italy cannot post into that thread.
    refused = api_client(cast.italy).post(
        messages_url(uk_case), {"body": "Me too", "request": bhc_request.pk}, format="json"
    )
    assert refused.status_code == 400
    assert Message.objects.count() == 1


def test_the_message_list_costs_the_same_queries_for_10_or_100_rows(
    cast, api_client, uk_case, assert_queries
):
    Message.objects.bulk_create(
        Message(case=uk_case, author=cast.uk, author_office=cast.offices["GBR"], body=f"m{i}")
        for i in range(105)
    )
    client = api_client(cast.uk)
    for size in (10, 100):
        # 1 token, user and scope, 2 the case with its access, 3 count, 4 the page
        # (authors and organisations joined).
        with assert_queries(4):
            response = client.get(messages_url(uk_case), {"page_size": size})
        assert len(response.json()["results"]) == size


# --- cooperation requests -----------------------------------------------------------------------


def requests_of(client, **params) -> list[int]:
    response = client.get(f"{API}/cooperation-requests/", params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_requests_are_seen_by_sender_and_recipient_only(cast, api_client, bhc_request):
    assert requests_of(api_client(cast.uk)) == [bhc_request.pk]
    assert requests_of(api_client(cast.focal_point)) == [bhc_request.pk]
    assert requests_of(api_client(cast.hq)) == [bhc_request.pk]
    for user in (cast.italy, cast.spain, cast.provider):
        client = api_client(user)
        assert requests_of(client) == []
        assert client.get(f"{API}/cooperation-requests/{bhc_request.pk}/").status_code == 404
        response = client.post(
            f"{API}/cooperation-requests/{bhc_request.pk}/answer/", {"answer": "x"}, format="json"
        )
        assert response.status_code == 404
    body = api_client(cast.focal_point).get(f"{API}/cooperation-requests/{bhc_request.pk}/").json()
    assert body["to"]["code"] == "BHC" and body["from_office"] == "GBR"
    assert body["case"] == bhc_request.case.reference
    assert body["is_overdue"] is False


def test_request_filters(cast, api_client, uk_case, bhc_request):
    other = services.request_create(
        acting_user=cast.uk,
        case=uk_case,
        from_office=cast.offices["GBR"],
        to_partner=cast.partners["BHC"],
        kind=RequestKind.IDENTITY_CHECK,
        urgency=Urgency.URGENT,
        question="Is passport AB123 genuine?",
    )
    CooperationRequest.objects.filter(pk=other.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    client = api_client(cast.focal_point)
    assert requests_of(client, overdue="true") == [other.pk]
    assert requests_of(client, overdue="false") == [bhc_request.pk]
    assert requests_of(client, kind="travel_history") == [bhc_request.pk]
    assert requests_of(client, status="answered") == []
    assert requests_of(client, case=uk_case.reference) == [other.pk, bhc_request.pk]
    for bad in ({"overdue": "perhaps"}, {"status": "lost"}, {"kind": "gossip"}):
        response = client.get(f"{API}/cooperation-requests/", bad)
        assert response.status_code == 400
        assert set(bad) <= set(response.json()["errors"])


def test_the_recipient_answers_with_if_match(cast, api_client, bhc_request):
    client = api_client(cast.focal_point)
    url = f"{API}/cooperation-requests/{bhc_request.pk}/"
    etag = client.get(url)["ETag"]
    response = client.post(
        url + "answer/",
        {"answer": "Two applications, both refused."},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "answered"
    assert response["ETag"] != etag
    # The same stale ETag again: 412, and the answer stands.
    stale = client.post(
        url + "answer/", {"answer": "Changed my mind"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    bhc_request.refresh_from_db()
    assert bhc_request.answer == "Two applications, both refused."
    # Without If-Match the rules still refuse a second answer.
    again = client.post(url + "answer/", {"answer": "Changed my mind"}, format="json")
    assert again.status_code == 409


def test_only_the_recipient_may_answer(cast, api_client, bhc_request):
    for user in (cast.uk, cast.hq):
        response = api_client(user).post(
            f"{API}/cooperation-requests/{bhc_request.pk}/answer/",
            {"answer": "Answering my own question"},
            format="json",
        )
        assert response.status_code == 403, user
    bhc_request.refresh_from_db()
    assert bhc_request.status == RequestStatus.OPEN


def test_a_late_answer_needs_a_reason(cast, api_client, bhc_request):
    CooperationRequest.objects.filter(pk=bhc_request.pk).update(
        due_at=timezone.now() - dt.timedelta(days=1)
    )
    client = api_client(cast.focal_point)
    url = f"{API}/cooperation-requests/{bhc_request.pk}/answer/"
    refused = client.post(url, {"answer": "Here it is."}, format="json")
    assert refused.status_code == 400
    assert "late_reason" in refused.json()["errors"]
    bhc_request.refresh_from_db()
    assert bhc_request.status == RequestStatus.OPEN
    ok = client.post(
        url, {"answer": "Here it is.", "late_reason": "Records office closed."}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["late_reason"] == "Records office closed."


def test_a_replayed_answer_returns_the_first_response(cast, api_client, bhc_request):
    client = api_client(cast.focal_point)
    url = f"{API}/cooperation-requests/{bhc_request.pk}/answer/"
    first = client.post(url, {"answer": "Yes."}, format="json", HTTP_IDEMPOTENCY_KEY="ans-1")
    replay = client.post(url, {"answer": "Yes."}, format="json", HTTP_IDEMPOTENCY_KEY="ans-1")
    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    different = client.post(url, {"answer": "No."}, format="json", HTTP_IDEMPOTENCY_KEY="ans-1")
    assert different.status_code == 422
    bhc_request.refresh_from_db()
    assert bhc_request.answer == "Yes."


def test_the_request_list_costs_the_same_queries_for_10_or_100_rows(
    cast, api_client, uk_case, share, assert_queries
):
    share(uk_case, partner="BHC", level=ShareLevel.SUMMARY)
    share(uk_case, office="ITA", level=ShareLevel.SUMMARY)
    for i in range(105):
        services.request_create(
            acting_user=cast.uk,
            case=uk_case,
            from_office=cast.offices["GBR"],
            to_partner=cast.partners["BHC"] if i % 2 else None,
            to_office=None if i % 2 else cast.offices["ITA"],
            kind=RequestKind.EVIDENCE,
            urgency=Urgency.LOW,
            question=f"Question {i}",
        )
    client = api_client(cast.uk)
    for size in (10, 100):
        # 1 token, user and scope, 2 count, 3 the page (case, offices, partner joined)
        with assert_queries(3):
            response = client.get(f"{API}/cooperation-requests/", {"page_size": size})
        assert len(response.json()["results"]) == size
