"""Cooperation requests and graded messages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from cases import services
from cases.constants import RequestStatus, TimelineKind, Urgency
from cases.models import CaseShare, CooperationRequest, Message
from glo_act.errors import DomainError, InvalidTransition, PermissionDenied
from liaison_offices.constants import EventKind
from liaison_offices.models import NotificationEvent
from tests.cases.conftest import fresh

pytestmark = pytest.mark.django_db


def ask(cast, case, *, by="uk", office="GBR", to_office=None, to_partner=None, **extra):
    extra.setdefault("kind", "identity_check")
    extra.setdefault("urgency", Urgency.NORMAL)
    extra.setdefault("question", "Please confirm the passport of the main suspect.")
    return services.request_create(
        acting_user=fresh(cast.users[by]),
        case=case,
        from_office=cast.offices[office],
        to_office=cast.offices[to_office] if to_office else None,
        to_partner=cast.partners[to_partner] if to_partner else None,
        **extra,
    )


@pytest.fixture
def shared_case(cast, uk_case):
    """The UK case shared with BHC and with the Italy office."""
    for office, partner in ((None, cast.partners["BHC"]), (cast.offices["ITA"], None)):
        services.case_share(
            acting_user=cast.uk,
            case=uk_case,
            office=office,
            partner=partner,
            level=2,
            handling_code="H1",
        )
    return uk_case


@pytest.mark.parametrize(
    ("urgency", "due_in"),
    [
        (Urgency.URGENT, dt.timedelta(hours=8)),
        (Urgency.NORMAL, dt.timedelta(days=7)),
        (Urgency.LOW, dt.timedelta(days=14)),
    ],
)
def test_the_due_time_follows_the_urgency(cast, shared_case, urgency, due_in):
    before = timezone.now()
    request = ask(cast, shared_case, to_partner="BHC", urgency=urgency)
    assert before + due_in <= request.due_at <= timezone.now() + due_in


def test_a_request_to_someone_who_cannot_see_the_case_says_share_it_first(cast, uk_case):
    with pytest.raises(DomainError, match="Share the case with them first") as caught:
        ask(cast, uk_case, to_office="ESP")
    assert caught.value.code == "share_first"
    with pytest.raises(DomainError, match="Share the case with them first"):
        ask(cast, uk_case, to_partner="IOM")
    assert not CooperationRequest.objects.exists()


def test_a_request_is_published_to_the_recipient_and_on_the_timeline(cast, shared_case):
    request = ask(cast, shared_case, to_partner="BHC")
    event = NotificationEvent.objects.get(kind=EventKind.REQUEST_RECEIVED)
    assert event.partner_ids == [cast.partners["BHC"].pk]
    assert event.payload["reference"] == shared_case.reference
    assert event.payload["request_kind"] == "identity_check"
    assert "question" not in event.payload
    line = shared_case.timeline.first()
    assert (line.kind, line.changes["request"]) == (TimelineKind.REQUEST_SENT, request.pk)


def test_a_recipient_office_may_ask_the_lead_office(cast, shared_case):
    request = ask(cast, shared_case, by="italy", office="ITA", to_office="GBR")
    assert request.recipient == cast.offices["GBR"]


def test_one_cannot_send_for_an_office_one_does_not_work(cast, shared_case):
    with pytest.raises(PermissionDenied, match="do not act for"):
        ask(cast, shared_case, by="italy", office="GBR", to_partner="BHC")


def test_only_the_recipient_answers(cast, shared_case):
    request = ask(cast, shared_case, to_partner="BHC")
    with pytest.raises(PermissionDenied, match="Only BHC"):
        services.request_answer(acting_user=fresh(cast.uk), request=request, answer="Done")
    with pytest.raises(Http404):  # Italy sees the case, but not a request between others
        services.request_answer(acting_user=fresh(cast.italy), request=request, answer="x")
    answered = services.request_answer(
        acting_user=fresh(cast.focal_point), request=request, answer="Passport is genuine."
    )
    assert (answered.status, answered.answered_by) == (RequestStatus.ANSWERED, cast.focal_point)
    event = NotificationEvent.objects.get(kind=EventKind.REQUEST_ANSWERED)
    assert event.office_ids == [cast.offices["GBR"].pk]


def test_a_late_answer_needs_a_reason(cast, shared_case):
    request = ask(cast, shared_case, to_partner="BHC", urgency=Urgency.URGENT)
    CooperationRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert CooperationRequest.objects.get(pk=request.pk).is_overdue
    with pytest.raises(DomainError, match="say why the answer is late") as caught:
        services.request_answer(acting_user=fresh(cast.focal_point), request=request, answer="Ok")
    assert caught.value.field == "late_reason"
    answered = services.request_answer(
        acting_user=fresh(cast.focal_point),
        request=request,
        answer="Ok",
        late_reason="Records office closed for Easter",
    )
    assert answered.late_reason == "Records office closed for Easter"
    assert "(late)" in shared_case.timeline.first().summary


def test_an_answered_request_cannot_be_answered_again_and_closes_once(cast, shared_case):
    request = ask(cast, shared_case, to_partner="BHC")
    services.request_answer(acting_user=fresh(cast.focal_point), request=request, answer="Yes")
    with pytest.raises(InvalidTransition, match="only an open request"):
        services.request_answer(acting_user=fresh(cast.focal_point), request=request, answer="!")
    with pytest.raises(PermissionDenied, match="Only GBR"):
        services.request_close(acting_user=fresh(cast.focal_point), request=request)
    closed = services.request_close(acting_user=fresh(cast.uk), request=request)
    assert closed.status == RequestStatus.CLOSED
    with pytest.raises(InvalidTransition, match="already closed"):
        services.request_close(acting_user=fresh(cast.uk), request=request)


def test_withdrawing_an_open_request_is_on_the_timeline(cast, shared_case):
    request = ask(cast, shared_case, to_office="ITA")
    services.request_close(acting_user=fresh(cast.uk), request=request, reason="Found it")
    line = shared_case.timeline.first()
    assert line.kind == TimelineKind.REQUEST_CLOSED
    assert line.summary == "Identity check request to ITA closed unanswered: Found it"


# --- messages ----------------------------------------------------------------------------------


def test_a_share_recipient_posts_a_graded_message_heard_by_everyone_else(cast, shared_case):
    message = services.message_post(
        acting_user=fresh(cast.focal_point),
        case=shared_case,
        body="The employer also runs two car washes in Leicester.",
        reliability="B",
        accuracy=2,
    )
    assert (message.author_partner, message.author_office) == (cast.partners["BHC"], None)
    event = NotificationEvent.objects.get(kind=EventKind.CASE_MESSAGE)
    assert set(event.office_ids) == {cast.offices["GBR"].pk, cast.offices["ITA"].pk}
    assert event.partner_ids == []  # not the author's own organisation
    assert event.payload == {
        "reference": shared_case.reference,
        "case_kind": "TIP",
        "grading": "B2",
        "by_partner": cast.partners["BHC"].pk,  # who wrote, for the sentence
    }
    assert shared_case.timeline.first().summary == "Message from BHC (B2)"


def test_posting_reads_the_case_once(cast, shared_case):
    """Seen at FULL level, the case is read by one query; the summary-or-hidden question is
    asked only when that query finds nothing (the two tests below)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    author = fresh(cast.focal_point)
    with CaptureQueriesContext(connection) as queries:
        services.message_post(
            acting_user=author, case=shared_case, body="Noted.", reliability="C", accuracy=3
        )
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "cases_case"' in q["sql"]]
    assert len(reads) == 1, reads


def test_an_outsider_cannot_post(cast, uk_case):
    with pytest.raises(Http404):
        services.message_post(
            acting_user=fresh(cast.spain), case=uk_case, body="x", reliability="A", accuracy=1
        )
    assert not Message.objects.exists()


def test_grades_are_checked(cast, uk_case):
    with pytest.raises(DomainError, match="source reliability"):
        services.message_post(
            acting_user=cast.uk, case=uk_case, body="x", reliability="E", accuracy=1
        )
    with pytest.raises(DomainError, match="1 to 4"):
        services.message_post(
            acting_user=cast.uk, case=uk_case, body="x", reliability="A", accuracy=6
        )


def test_a_message_on_a_request_goes_to_its_parties_only(cast, shared_case):
    request = ask(cast, shared_case, to_partner="BHC")
    message = services.message_post(
        acting_user=fresh(cast.uk),
        case=shared_case,
        request=request,
        body="Any news?",
        reliability="X",
        accuracy=4,
    )
    assert message.author_office == cast.offices["GBR"]
    event = NotificationEvent.objects.get(kind=EventKind.CASE_MESSAGE)
    assert (event.office_ids, event.partner_ids) == ([], [cast.partners["BHC"].pk])
    assert Message.objects.visible_to(fresh(cast.italy)).count() == 0
    assert Message.objects.visible_to(fresh(cast.focal_point)).get() == message


def test_hq_posts_as_hq(cast, uk_case):
    message = services.message_post(
        acting_user=fresh(cast.hq), case=uk_case, body="Noted.", reliability="A", accuracy=1
    )
    assert message.author_office == cast.offices["HQ"]


def test_a_request_thread_stays_open_to_its_recipient_after_the_share_ends(cast, shared_case):
    request = ask(cast, shared_case, to_partner="BHC")
    bhc_share = CaseShare.objects.get(case=shared_case, partner=cast.partners["BHC"])
    services.share_revoke(acting_user=cast.uk, share=bhc_share)
    message = services.message_post(
        acting_user=fresh(cast.focal_point),
        case=shared_case,
        request=request,
        body="We will still answer this one.",
        reliability="B",
        accuracy=2,
    )
    assert message.author_partner == cast.partners["BHC"]
    with pytest.raises(Http404):  # but the case itself is closed to them
        services.message_post(
            acting_user=fresh(cast.focal_point),
            case=shared_case,
            body="x",
            reliability="B",
            accuracy=2,
        )


def test_a_summary_share_neither_reads_nor_posts_case_messages(cast, uk_case):
    services.message_post(
        acting_user=cast.uk,
        case=uk_case,
        body="Flight PK-785 confirmed.",
        reliability="B",
        accuracy=2,
    )
    services.case_share(
        acting_user=cast.uk, case=uk_case, office=cast.offices["ITA"], level=1, handling_code="H0"
    )
    italy = fresh(cast.italy)
    assert not Message.objects.visible_to(italy).exists()
    with pytest.raises(PermissionDenied, match="summary share does not include"):
        services.message_post(
            acting_user=italy, case=uk_case, body="Any news?", reliability="X", accuracy=4
        )
    assert Message.objects.filter(case=uk_case).count() == 1
    # Raised to a full share, the same officer reads the thread and may post.
    services.case_share(
        acting_user=cast.uk, case=uk_case, office=cast.offices["ITA"], level=2, handling_code="H0"
    )
    italy = fresh(cast.italy)
    assert Message.objects.visible_to(italy).count() == 1
    services.message_post(
        acting_user=italy, case=uk_case, body="Seen.", reliability="X", accuracy=4
    )


def test_a_message_notification_is_dropped_for_a_share_lowered_to_summary_before_delivery(
    cast, shared_case
):
    from liaison_offices import delivery
    from liaison_offices.models import Notification

    services.message_post(
        acting_user=cast.uk, case=shared_case, body="New lead.", reliability="B", accuracy=2
    )
    event = NotificationEvent.objects.get(kind=EventKind.CASE_MESSAGE)
    assert event.subject_id == Message.objects.get(case=shared_case).pk
    services.case_share(
        acting_user=cast.uk,
        case=shared_case,
        office=cast.offices["ITA"],
        level=1,
        handling_code="H0",
    )
    delivery.dispatch_event(event.pk)
    assert not Notification.objects.filter(user=cast.italy).exists()
    assert Notification.objects.filter(user=cast.focal_point).exists()  # BHC still holds FULL
