"""Files on a cooperation request's answer and on a referral's updates: added with the answer
or the update (one form, one transaction) or later by their author, seen by the record's two
parties only, and announced to those who may see them (asked again at delivery)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import services as case_services
from cases.constants import HandlingCode, RequestKind, RequestStatus, ShareLevel, Urgency
from evidence import services
from evidence.constants import FileStatus
from evidence.models import Attachment
from evidence.querysets import AnswerOf
from glo_act.errors import PermissionDenied
from glo_act.submit_once import new_token
from liaison_offices import delivery
from liaison_offices.constants import EventKind, Service
from liaison_offices.models import Notification, NotificationEvent
from tests.evidence.conftest import pdf_bytes, png_bytes, upload
from victims import services as victim_services
from victims.constants import ConsentPurpose, ReferralStatus
from victims.models import ReferralUpdate

pytestmark = pytest.mark.django_db


def visible(user):
    return set(Attachment.objects.visible_to(user).values_list("pk", flat=True))


def deliver(kind):
    for event in NotificationEvent.objects.filter(kind=kind):
        delivery.dispatch_event(event.pk)


@pytest.fixture
def request_to_spain(cast, uk_case):
    """A request from the UK office to Spain (a summary share) on the case Italy reads in full."""
    case_services.case_share(
        acting_user=cast.uk,
        case=uk_case,
        office=cast.offices["ESP"],
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H1,
    )
    return case_services.request_create(
        acting_user=cast.uk,
        case=uk_case,
        from_office=cast.offices["GBR"],
        to_office=cast.offices["ESP"],
        kind=RequestKind.IDENTITY_CHECK,
        urgency=Urgency.NORMAL,
        question="Whose is the phone registered to +34 600 000 000?",
    )


@pytest.fixture
def referral(cast, uk_case):
    victim = victim_services.victim_register(
        acting_user=cast.uk,
        case=uk_case,
        full_name="Zarmina Testwala",
        consents=[
            {"purpose": ConsentPurpose.DATA_PROCESSING},
            {"purpose": ConsentPurpose.REFERRAL, "partner": cast.partners["IOM"],
             "service": Service.SHELTER},
        ],
    ).victim  # fmt: skip
    return victim_services.referral_create(
        acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service=Service.SHELTER
    )


def test_an_answer_carries_its_files_to_the_requesting_office_and_nobody_else(
    cast, uk_case, request_to_spain, login
):
    url = reverse("evidence:answer_post", args=[request_to_spain.pk])
    page = login(cast.spain).get(request_to_spain.get_absolute_url()).content.decode()
    assert f'action="{url}"' in page and 'id="id_answer_files"' in page  # the answer form

    response = login(cast.spain).post(
        url,
        {
            "form_token": new_token(),
            "action": "answer",
            "answer": "The phone is registered to a car wash in Valencia; records attached.",
            "files": [upload("subscriber.pdf", pdf_bytes()), upload("shopfront.png", png_bytes())],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{request_to_spain.get_absolute_url()}#answer"
    request_to_spain.refresh_from_db()
    assert request_to_spain.status == RequestStatus.ANSWERED
    files = list(Attachment.objects.filter(answer=request_to_spain))
    assert len(files) == 2
    assert {f.uploaded_by_office for f in files} == {cast.offices["ESP"]}
    assert all(f.record_type == "answer" for f in files)

    for party in (cast.uk, cast.spain):
        assert {f.pk for f in files} <= visible(party)
        page = login(party).get(request_to_spain.get_absolute_url()).content.decode()
        answer = page.split('id="answer"', 1)[1].split("</section>", 1)[0]
        assert "subscriber" in answer and "shopfront" in answer
    # Italy reads the case in full, but the request and its answer are the two parties' own.
    assert not {f.pk for f in files} & visible(cast.italy)
    for file in files:
        assert login(cast.italy).get(file.download_url).status_code == 404
        assert login(cast.uk).get(file.download_url).status_code == 200

    # One notification: the answer's own, to the requesting office (the files come with it).
    assert not NotificationEvent.objects.filter(kind=EventKind.FILE_ADDED).exists()
    assert NotificationEvent.objects.filter(kind=EventKind.REQUEST_ANSWERED).count() == 1


def test_an_answer_with_a_refused_file_is_not_sent(cast, request_to_spain, login, clamd, eicar):
    response = login(cast.spain).post(
        reverse("evidence:answer_post", args=[request_to_spain.pk]),
        {
            "form_token": new_token(),
            "answer": "See the attached invoice.",
            "files": [upload("records.pdf", pdf_bytes()), eicar],
        },
    )
    assert response.status_code == 422
    assert "malware was found" in response.content.decode()
    request_to_spain.refresh_from_db()
    assert request_to_spain.status == RequestStatus.OPEN and request_to_spain.answer == ""
    (kept,) = Attachment.objects.all()  # the clean PDF was not stored; the infected one is HQ's
    assert kept.status == FileStatus.INFECTED and kept.request_id == request_to_spain.pk


def test_files_added_to_an_answer_later_are_announced_and_only_the_answerer_adds_them(
    cast, request_to_spain, login
):
    with pytest.raises(PermissionDenied, match="no answer yet"):
        services.upload(
            acting_user=cast.spain,
            record=AnswerOf(request_to_spain),
            uploads=[upload("early.pdf", pdf_bytes())],
        )
    case_services.request_answer(
        acting_user=cast.spain, request=request_to_spain, answer="Records follow."
    )
    upload_url = reverse("evidence:upload", args=["answer", request_to_spain.pk])
    page = login(cast.spain).get(request_to_spain.get_absolute_url()).content.decode()
    assert upload_url in page
    assert (
        upload_url not in login(cast.uk).get(request_to_spain.get_absolute_url()).content.decode()
    )
    assert login(cast.uk).get(upload_url).status_code == 403  # the asker does not answer
    assert login(cast.italy).get(upload_url).status_code == 404

    response = login(cast.spain).post(
        upload_url,
        {"form_token": new_token(), "files": [upload("records.pdf", pdf_bytes())], "kind": "other"},
    )
    assert response.status_code == 302
    (attachment,) = Attachment.objects.filter(answer=request_to_spain)
    event = NotificationEvent.objects.get(kind=EventKind.FILE_ADDED)
    assert event.office_ids == [cast.offices["GBR"].pk]  # the other party, not the uploader
    assert event.subject_url == f"{request_to_spain.get_absolute_url()}#answer"
    deliver(EventKind.FILE_ADDED)
    assert Notification.objects.filter(user=cast.uk, kind=EventKind.FILE_ADDED).exists()
    assert not Notification.objects.filter(kind=EventKind.FILE_ADDED).exclude(user=cast.uk)


def test_a_progress_report_carries_its_files_on_its_update(cast, referral, login):
    victim_services.referral_accept(acting_user=cast.provider, referral=referral)
    form_url = reverse("victims:referral_action", args=[referral.pk, "progress"])
    post_url = reverse("evidence:update_post", args=[referral.pk, "progress"])
    form = login(cast.provider).get(form_url).content.decode()
    assert f'action="{post_url}"' in form and 'id="id_update_files"' in form

    response = login(cast.provider).post(
        post_url,
        {
            "form_token": new_token(),
            "note": "Admitted to the shelter; intake form attached.",
            "files": [upload("intake-form.pdf", pdf_bytes())],
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.IN_PROGRESS
    update = ReferralUpdate.objects.get(referral=referral, body__startswith="Admitted")
    (attachment,) = Attachment.objects.filter(update=update)
    assert attachment.uploaded_by_partner == cast.partners["IOM"]
    assert attachment.pk in visible(cast.uk) and attachment.pk in visible(cast.provider)
    assert attachment.pk not in visible(cast.italy) | visible(cast.focal_point)
    assert login(cast.spain).get(attachment.download_url).status_code == 404

    page = login(cast.uk).get(referral.get_absolute_url()).content.decode()
    entry = page.split(f'id="update-{update.pk}"', 1)[1].split("</li>", 1)[0]
    assert "intake-form" in entry and attachment.download_url in entry
    # The progress event tells the office; the files come with it.
    assert not NotificationEvent.objects.filter(kind=EventKind.FILE_ADDED).exists()
    response = login(cast.uk).get(attachment.download_url)
    assert response.status_code == 200
    assert f"{referral.victim.code}_intake-form.pdf" in response["Content-Disposition"]


def test_only_an_updates_author_attaches_to_it_and_the_other_party_is_told(cast, referral, login):
    victim_services.referral_accept(acting_user=cast.provider, referral=referral)
    victim_services.referral_progress(
        acting_user=cast.provider, referral=referral, note="First night at the shelter."
    )
    update = ReferralUpdate.objects.filter(referral=referral, author=cast.provider).latest("id")
    url = reverse("evidence:upload", args=["update", update.pk])
    page = login(cast.provider).get(referral.get_absolute_url()).content.decode()
    assert url in page
    assert url not in login(cast.uk).get(referral.get_absolute_url()).content.decode()
    with pytest.raises(PermissionDenied, match="author of an update"):
        services.upload(acting_user=cast.uk, record=update, uploads=[upload("x.pdf", pdf_bytes())])
    assert login(cast.italy).get(url).status_code == 404

    response = login(cast.provider).post(
        url,
        {
            "form_token": new_token(),
            "files": [upload("room.png", png_bytes())],
            "kind": "photograph",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{referral.get_absolute_url()}#update-{update.pk}"
    event = NotificationEvent.objects.get(kind=EventKind.FILE_ADDED)
    assert event.office_ids == [cast.offices["GBR"].pk] and event.partner_ids == []
    assert "room" not in str(event.payload) + event.subject_label
    deliver(EventKind.FILE_ADDED)
    assert list(
        Notification.objects.filter(kind=EventKind.FILE_ADDED).values_list("user", flat=True)
    ) == [cast.uk.pk]


def test_a_file_on_a_request_or_a_referral_notifies_the_other_party(
    cast, request_to_spain, referral
):
    services.upload(
        acting_user=cast.uk, record=request_to_spain, uploads=[upload("photo.png", png_bytes())]
    )
    services.upload(acting_user=cast.uk, record=referral, uploads=[upload("note.pdf", pdf_bytes())])
    on_request, on_referral = NotificationEvent.objects.filter(kind=EventKind.FILE_ADDED).order_by(
        "id"
    )
    assert on_request.office_ids == [cast.offices["ESP"].pk]
    assert on_referral.office_ids == [] and on_referral.partner_ids == [cast.partners["IOM"].pk]
    deliver(EventKind.FILE_ADDED)
    told = set(
        Notification.objects.filter(kind=EventKind.FILE_ADDED).values_list("user", flat=True)
    )
    assert told == {cast.spain.pk, cast.provider.pk}


def test_the_api_attaches_to_an_answer_and_an_update_and_lists_them(
    cast, request_to_spain, referral, api_client
):
    case_services.request_answer(
        acting_user=cast.spain, request=request_to_spain, answer="Records follow."
    )
    victim_services.referral_accept(acting_user=cast.provider, referral=referral)
    victim_services.referral_progress(acting_user=cast.provider, referral=referral, note="Done.")
    update = ReferralUpdate.objects.filter(referral=referral, author=cast.provider).latest("id")

    spain = api_client(cast.spain)
    created = spain.post(
        "/api/v1/files/",
        {"record_type": "answer", "record": str(request_to_spain.pk),
         "file": upload("records.pdf", pdf_bytes())},
        format="multipart",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["record"]["type"] == "answer"
    listed = api_client(cast.uk).get(f"/api/v1/files/?answer={request_to_spain.pk}").json()
    assert [f["id"] for f in listed["results"]] == [created.json()["id"]]

    provider = api_client(cast.provider)
    created = provider.post(
        "/api/v1/files/",
        {"record_type": "update", "record": str(update.pk),
         "file": upload("receipt.pdf", pdf_bytes())},
        format="multipart",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert api_client(cast.uk).get(f"/api/v1/files/?update={update.pk}").json()["count"] == 1
    assert api_client(cast.italy).get(f"/api/v1/files/?update={update.pk}").json()["count"] == 0


def test_eicar_on_a_referral_update_refuses_the_action_and_quarantines_it(
    cast, referral, login, clamd, eicar
):
    victim_services.referral_accept(acting_user=cast.provider, referral=referral)
    response = login(cast.provider).post(
        reverse("evidence:update_post", args=[referral.pk, "progress"]),
        {"form_token": new_token(), "note": "Invoice of the shelter.", "files": [eicar]},
    )
    assert response.status_code == 422
    assert "invoice.txt: malware was found" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED  # no progress was reported
    assert not ReferralUpdate.objects.filter(body__startswith="Invoice").exists()
    (kept,) = Attachment.objects.all()
    assert kept.status == FileStatus.INFECTED and kept.referral_id == referral.pk
