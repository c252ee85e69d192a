"""Generic access tests for every endpoint and method (NetBox's APIViewTestCases, as a matrix).

One world: a UK case with a victim and a file, a cooperation request to the British High
Commission, a referral to IOM and a notification for the focal point. Every endpoint × method
is called with no credentials, with an expired token, and — for object endpoints — by a cast
member who was granted nothing on that object. The answer is 401 / 401 / 404, in
problem+json, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver

from cases import services as case_services
from cases.constants import RequestKind, ShareLevel, Urgency
from cases.models import CooperationRequest, HandOver, JusticeEvent, Message
from evidence import services as evidence_services
from evidence.models import Attachment, FileDownload
from liaison_offices.constants import Service
from liaison_offices.delivery import dispatch_event
from liaison_offices.models import Notification, NotificationEvent
from tests.api.conftest import API
from victims import services as victim_services
from victims.constants import ConsentPurpose
from victims.models import PersonalDataAccess, Referral

pytestmark = pytest.mark.django_db


@dataclass
class World:
    case: object
    request: object
    victim: object
    referral: object
    notification: object
    handover: object
    file: object
    suspect: object = None
    justice: object = None


@pytest.fixture
def world(cast, uk_case, share, evidence_root) -> World:
    share(uk_case, partner="BHC", level=ShareLevel.FULL_WITH_VICTIMS)
    request = case_services.request_create(
        acting_user=cast.uk,
        case=uk_case,
        from_office=cast.offices["GBR"],
        to_partner=cast.partners["BHC"],
        kind=RequestKind.WITNESS_STATEMENT,
        urgency=Urgency.NORMAL,
        question="Can the embassy driver give a statement?",
    )
    victim = victim_services.victim_register(
        acting_user=cast.uk,
        case=uk_case,
        full_name="Invented Person",
        consents=[{"purpose": "data_processing"}],
    ).victim
    victim_services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.REFERRAL,
        partner=cast.partners["IOM"],
        service=Service.SHELTER,
    )
    referral = victim_services.referral_create(
        acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service=Service.SHELTER
    )
    for event_id in NotificationEvent.objects.order_by("id").values_list("pk", flat=True):
        dispatch_event(event_id)
    notification = Notification.objects.filter(user=cast.focal_point).first()
    assert notification is not None
    handover = case_services.handover_request(
        acting_user=cast.uk, case=uk_case, to_office=cast.offices["HQ"]
    )
    (case_file,) = evidence_services.upload(
        acting_user=cast.uk,
        record=uk_case,
        uploads=[SimpleUploadedFile("ledger.pdf", b"%PDF-1.4\n%%EOF\n")],
    )
    suspect = uk_case.suspects.create(name="Agent", role="recruiter")
    justice = case_services.justice_event_add(
        acting_user=cast.uk, suspect=suspect, stage="arrest", date="2026-01-02", country="PAK"
    )
    return World(
        uk_case, request, victim, referral, notification, handover, case_file, suspect, justice
    )


# (method, path, body): every operation of /api/v1/.
ENDPOINTS = [
    ("get", "/me/", None),
    ("get", "/cases/", None),
    ("get", "/cases/export/", None),
    ("get", "/cases/{case}/", None),
    ("patch", "/cases/{case}/", {"title": "Changed"}),
    ("post", "/cases/{case}/assign/", {"officer": "uk.officer"}),
    (
        "post",
        "/cases/reassign/",
        {"office": "GBR", "from_officer": None, "to_officer": "uk.officer"},
    ),
    (
        "post",
        "/cases/{case}/suspects/{suspect}/justice/",
        {"stage": "arrest", "date": "2026-01-03", "country": "PAK"},
    ),
    ("post", "/cases/{case}/justice/{justice}/withdraw/", {"reason": "Typo"}),
    ("get", "/cases/{case}/messages/", None),
    ("post", "/cases/{case}/messages/", {"body": "Hello"}),
    ("get", "/legal-provisions/", None),
    ("get", "/cooperation-requests/", None),
    ("get", "/cooperation-requests/{request}/", None),
    ("post", "/cooperation-requests/{request}/answer/", {"answer": "Yes"}),
    ("get", "/victims/", None),
    ("get", "/victims/{victim}/", None),
    ("get", "/referrals/", None),
    ("get", "/referrals/{referral}/", None),
    ("post", "/referrals/{referral}/accept/", {}),
    ("post", "/referrals/{referral}/decline/", {"reason": "Full"}),
    ("post", "/referrals/{referral}/progress/", {"note": "Started"}),
    ("post", "/referrals/{referral}/complete/", {}),
    ("get", "/hand-overs/", None),
    ("post", "/hand-overs/", {"case": "{case}", "to_office": "ESP"}),
    ("get", "/hand-overs/{handover}/", None),
    ("post", "/hand-overs/{handover}/accept/", None),
    ("post", "/hand-overs/{handover}/decline/", {"reason": "Not ours"}),
    ("post", "/hand-overs/{handover}/withdraw/", None),
    ("get", "/files/", None),
    ("post", "/files/", {"record_type": "case", "record": "GBR-TIP-2026-0001"}),
    ("get", "/files/{file}/", None),
    ("get", "/files/{file}/content/", None),
    ("get", "/notifications/", None),
    ("get", "/notifications/{notification}/", None),
    ("post", "/notifications/{notification}/read/", None),
    ("post", "/notifications/read-all/", None),
]
OBJECT_ENDPOINTS = [e for e in ENDPOINTS if "{" in e[1]]


def url_of(path: str, world: World) -> str:
    return API + path.format(
        case=world.case.reference,
        request=world.request.pk,
        victim=world.victim.code,
        referral=world.referral.pk,
        notification=world.notification.pk,
        handover=world.handover.pk,
        file=world.file.public_id,
        suspect=world.suspect.pk,
        justice=world.justice.pk,
    )


def call(client, method: str, url: str, body):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


def snapshot(world: World) -> tuple:
    """Everything the endpoints could change."""
    world.case.refresh_from_db()
    request = CooperationRequest.objects.get(pk=world.request.pk)
    referral = Referral.objects.get(pk=world.referral.pk)
    return (
        world.case.title,
        world.case.version,
        world.case.lead_office_id,
        world.case.assigned_to_id,
        list(HandOver.objects.values_list("pk", "status")),
        Message.objects.count(),
        request.status,
        referral.status,
        Notification.objects.filter(read_at__isnull=False).count(),
        PersonalDataAccess.objects.count(),
        Attachment.objects.count(),
        FileDownload.objects.count(),
        list(JusticeEvent.objects.values_list("pk", "withdrawn_at")),
    )


def test_the_matrix_covers_every_api_route(world):
    """A new endpoint must be added to ENDPOINTS (and so to these access tests)."""
    covered = {path for _, path, _ in ENDPOINTS}
    routes = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                routes.add(prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    api_routes = {r for r in routes if r.startswith("api/v1/")}
    assert len(api_routes) == len(covered), sorted(api_routes)


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_no_credentials_is_a_401_problem(world, api_client, method, path, body):
    before = snapshot(world)
    response = call(api_client(), method, url_of(path, world), body)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["WWW-Authenticate"] == "Token"
    assert snapshot(world) == before


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_an_expired_token_is_a_401_problem(cast, world, api_client, method, path, body):
    before = snapshot(world)
    for user in (cast.uk, cast.focal_point, cast.provider, cast.hq):
        client = api_client(user, ttl=dt.timedelta(seconds=-1))
        response = call(client, method, url_of(path, world), body)
        assert response.status_code == 401, user
        assert response.json()["status"] == 401
    assert snapshot(world) == before


@pytest.mark.parametrize("method, path, body", OBJECT_ENDPOINTS)
def test_no_grant_is_a_404_and_changes_nothing(cast, world, api_client, method, path, body):
    before = snapshot(world)
    # Spain's officer holds nothing on any of it; Italy's neither.
    strangers = [cast.spain, cast.italy]
    # The provider sees its referral and the victim, not the case, request or notification.
    if "{referral}" not in path and "{victim}" not in path:
        strangers.append(cast.provider)
    # The focal point sees the case, the request and its notification, not the referral.
    if "{referral}" in path:
        strangers.append(cast.focal_point)
    for user in strangers:
        response = call(api_client(user), method, url_of(path, world), body)
        assert response.status_code == 404, (user, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
        assert world.case.reference not in response.content.decode()
    assert snapshot(world) == before


def test_the_browsable_api_serves_signed_in_users_and_records_each_read_once(cast, world, login):
    """Session authentication for the browsable API: every GET renders as HTML for the lead
    office and the focal point, and a page showing personal data is recorded once."""
    for user in (cast.uk, cast.focal_point):
        client = login(user)
        for method, path, _ in ENDPOINTS:
            if method != "get" or ("{referral}" in path and user == cast.focal_point):
                continue
            if "{notification}" in path and user == cast.uk:
                continue
            if "{handover}" in path and user == cast.focal_point:  # not a desk of either office
                continue
            if path == "/cases/export/":  # a file, not a page (tests/api/test_exports_api.py)
                continue
            if path.endswith("/content/"):
                continue  # a file's bytes, never HTML
            before = PersonalDataAccess.objects.count()
            response = client.get(url_of(path, world), HTTP_ACCEPT="text/html")
            assert response.status_code == 200, (user, path)
            assert response["Content-Type"].startswith("text/html")
            shows_identity = user == cast.uk and path in ("/cases/{case}/", "/victims/{victim}/")
            assert PersonalDataAccess.objects.count() - before == int(shows_identity), path
