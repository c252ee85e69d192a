"""Schemathesis against our own OpenAPI schema, through the Django WSGI application in-process.

For each of a focal point, a service provider and HQ, every operation of /api/schema/ is called
with generated requests — schema-conforming ones and deliberately invalid ones — half of them
aimed at real objects of a seeded world (cases shared at each level, a cooperation request,
a victim, referrals, files, notifications), the rest at random identifiers. Checks: no 5xx;
status code, content type, headers and body as the schema documents them; invalid input
refused with a 4xx.

Bounded: `EXAMPLES` positive and `NEGATIVE_EXAMPLES` negative examples per operation and user,
derandomized so that CI runs the same examples every time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cases import services as case_services
from cases.constants import HandlingCode, RequestKind, ShareLevel, Urgency
from cases.models import CooperationRequest
from evidence import services as evidence_services
from liaison_offices.constants import Service
from liaison_offices.delivery import dispatch_event
from liaison_offices.models import Notification, NotificationEvent
from liaison_offices.services import api_token_issue
from victims import services as victim_services
from victims.constants import ConsentPurpose

pytestmark = pytest.mark.django_db

EXAMPLES = 14
NEGATIVE_EXAMPLES = 7
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]


@dataclass
class World:
    """Real identifiers per path parameter, for aiming requests at objects that exist."""

    references: list[str] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    victims: list[str] = field(default_factory=list)
    referrals: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def notifications(self, user) -> list[int]:
        return list(Notification.objects.filter(user=user).values_list("pk", flat=True)) or [1]

    def path_values(self, path: str, user) -> list[dict]:
        if "{reference}" in path:
            return [{"reference": r} for r in self.references]
        if "{code}" in path:
            return [{"code": c} for c in self.victims]
        if path.startswith("/api/v1/cooperation-requests/{id}"):
            return [{"id": i} for i in self.requests]
        if path.startswith("/api/v1/referrals/{id}"):
            return [{"id": i} for i in self.referrals]
        if path.startswith("/api/v1/files/{public_id}"):
            return [{"public_id": i} for i in self.files]
        if path.startswith("/api/v1/notifications/{id}"):
            return [{"id": i} for i in self.notifications(user)]
        return []


def seed(cast, make_case, share) -> World:
    """Cases shared with the British High Commission at every level and code, requests, victims
    with and without consent, referrals to IOM, and the notifications all this produced."""
    world = World()
    summary = make_case("GBR", title="Summary share")
    full = make_case("GBR", title="Full share")
    with_victims = make_case("GBR", title="Full share with victims")
    italian = make_case("ITA", title="Not shared with BHC")
    share(summary, partner="BHC", level=ShareLevel.SUMMARY, handling_code=HandlingCode.H1)
    share(full, partner="BHC", level=ShareLevel.FULL, handling_code=HandlingCode.H2)
    share(
        with_victims,
        partner="BHC",
        level=ShareLevel.FULL_WITH_VICTIMS,
        handling_code=HandlingCode.H3,
        handling_conditions="Not for the press.",
    )
    world.references = [c.reference for c in (summary, full, with_victims, italian)]
    case_services.message_post(
        acting_user=cast.uk,
        case=full,
        body="Suspect travelled via Doha.",
        reliability="B",
        accuracy=2,
    )
    for case, urgency in ((full, Urgency.NORMAL), (with_victims, Urgency.URGENT)):
        request = case_services.request_create(
            acting_user=cast.uk,
            case=case,
            from_office=cast.offices["GBR"],
            to_partner=cast.partners["BHC"],
            kind=RequestKind.TRAVEL_HISTORY,
            urgency=urgency,
            question="Travel history of the suspect?",
        )
        world.requests.append(request.pk)
    CooperationRequest.objects.filter(pk=world.requests[-1]).update(
        due_at=timezone.now() - dt.timedelta(hours=2)
    )
    consented = victim_services.victim_register(
        acting_user=cast.uk,
        case=with_victims,
        full_name="Invented Person One",
        date_of_birth=dt.date(2001, 5, 6),
        phone="+44 7700 900000",
        consents=[
            {"purpose": ConsentPurpose.DATA_PROCESSING},
            {"purpose": ConsentPurpose.SHARING, "partner": cast.partners["BHC"]},
            {
                "purpose": ConsentPurpose.REFERRAL,
                "partner": cast.partners["IOM"],
                "service": Service.SHELTER,
            },
            {
                "purpose": ConsentPurpose.REFERRAL,
                "partner": cast.partners["IOM"],
                "service": Service.RETURN,
            },
        ],
    ).victim
    pseudonymous = victim_services.victim_register(
        acting_user=cast.uk,
        case=with_victims,
        full_name="Invented Person Two",
        consents=[{"purpose": "data_processing"}],
    ).victim
    world.victims = [consented.code, pseudonymous.code]
    pending = victim_services.referral_create(
        acting_user=cast.uk, victim=consented, partner=cast.partners["IOM"], service="shelter"
    )
    working = victim_services.referral_create(
        acting_user=cast.uk, victim=consented, partner=cast.partners["IOM"], service="return"
    )
    victim_services.referral_accept(acting_user=cast.provider, referral=working)
    world.referrals = [pending.pk, working.pk]
    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
    for user, record in ((cast.uk, full), (cast.uk, with_victims), (cast.provider, working)):
        (attachment,) = evidence_services.upload(
            acting_user=user, record=record, uploads=[SimpleUploadedFile("file.pdf", pdf)]
        )
        world.files.append(str(attachment.public_id))
    for event_id in NotificationEvent.objects.order_by("id").values_list("pk", flat=True):
        dispatch_event(event_id)
    return world


@pytest.fixture
def wsgi_schema(settings):
    """The schema as served at /api/schema/, bound to the WSGI application.

    Requests go through the real WSGI handler in this thread, so they see the test's
    transaction; Django's per-request connection clean-up is switched off meanwhile, as its
    own test client does, or it would close the connection mid-transaction.
    """
    from glo_act.wsgi import application

    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def runner(strategy, examples: int, checks: list, headers: dict, seen: dict):
    """A Hypothesis test calling the API with each generated case and validating the answer."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=["explicit", "generate"],  # no shrinking: report, don't minimise
    )
    @given(case=strategy)
    def run(case):
        response = case.call(headers=headers)
        key = f"{case.method} {case.path} {response.status_code}"
        seen[key] = seen.get(key, 0) + 1
        case.validate_response(response, checks=checks, headers=headers)

    return run


def fuzz(schema, user, world: World) -> tuple[list[str], dict[str, int]]:
    """Run every operation for `user`; returns the failures and the status codes seen."""
    failures: list[str] = []
    seen: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        real = world.path_values(operation.path, user)
        # A fresh token per operation keeps each well under the per-token rate limit.
        token, _ = api_token_issue(acting_user=None, user=user, ttl=dt.timedelta(hours=1))
        headers = {"Authorization": f"Token {token}"}
        for mode, examples, checks in (
            (GenerationMode.POSITIVE, EXAMPLES, CHECKS),
            (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, NEGATIVE_CHECKS),
        ):
            strategy = operation.as_strategy(generation_mode=mode)
            if real:
                aimed = st.sampled_from(real).flatmap(
                    lambda values, mode=mode, operation=operation: operation.as_strategy(
                        generation_mode=mode, path_parameters=values
                    )
                )
                strategy = st.one_of(aimed, strategy)

            run = runner(strategy, examples, checks, headers, seen)
            try:
                run()
            except Unsatisfiable:
                continue  # nothing invalid to generate for this operation (e.g. no input)
            except BaseException as exc:  # every operation's failures (a FailureGroup is a
                # BaseExceptionGroup), reported together at the end
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                report = str(exc)
                failures.append(f"{user.username} {operation.label} [{mode}]: {report[:4000]}")
    return failures, seen


@pytest.mark.parametrize("who", ["focal_point", "provider", "hq"])
def test_the_api_keeps_its_schema_under_fuzzing(
    cast, make_case, share, wsgi_schema, evidence_root, who
):
    world = seed(cast, make_case, share)
    user = cast.users[who]
    failures, seen = fuzz(wsgi_schema, user, world)
    print(f"\n{who}: {sum(seen.values())} requests;", dict(sorted(seen.items())))
    assert not failures, "\n\n".join(failures)
    # The fuzzing reached real objects, not only 404s.
    statuses = {key.rsplit(" ", 1)[1] for key in seen}
    assert "200" in statuses
    assert sum(seen.values()) >= 21 * (EXAMPLES // 2)
    if who == "focal_point":
        assert any(k.startswith("GET /api/v1/cases/{reference}/ 200") for k in seen)
        assert any(k.startswith("POST /api/v1/cases/{reference}/messages/ 201") for k in seen)
    if who == "provider":
        assert any(k.startswith("GET /api/v1/referrals/{id}/ 200") for k in seen)
