"""The API of justice per suspect: record a step (arrest, charge, court, verdict, sentence,
hand-over to another jurisdiction) and withdraw one entered by mistake.

Reading them is the case detail's: each suspect carries its `justice` lines, at the suspects'
level. Writes go through `cases.services.justice`; a case the caller may not see answers 404,
one they see but do not lead 403.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import services
from cases.api.casework import REFERENCE
from cases.api.serializers import JusticeEventSerializer, JusticeWithdrawSerializer
from cases.models import JusticeEvent, Suspect
from cases.querysets import get_case_for_user
from glo_act.api import ACTION_ERRORS, IDEMPOTENCY_KEY, idempotent, problem_responses

__all__ = ["JusticeEventCreateView", "JusticeEventWithdrawView"]


def _row(event: JusticeEvent) -> dict:
    data = JusticeEventSerializer(event).data
    data["citation"] = event.provision.citation if event.provision_id else ""
    return data


class JusticeEventCreateView(APIView):
    """`cases/{reference}/suspects/{suspect}/justice/`: record one step for one suspect."""

    @extend_schema(
        summary="Record an arrest, charge, court step, verdict or sentence of a suspect",
        description="The lead office records what happened to one suspect, with its date: "
        "`arrest`, `charge` (with the `provision`), `prosecution`, `court`, `verdict` (with "
        "the `provision` and `verdict`: convicted, acquitted or dismissed), `sentence` (after "
        "a conviction; `custody_months` or `fine`) or `handed_over` to another jurisdiction "
        "(with the `authority`). The `country` is the jurisdiction, by default the "
        "provision's. A share recipient answers 403, a case you do not see 404; a bad line "
        "400 with the field. Lines are never edited: withdraw one and enter it again.",
        parameters=[
            REFERENCE,
            OpenApiParameter("suspect", int, OpenApiParameter.PATH, description="Suspect id."),
            IDEMPOTENCY_KEY,
        ],
        request=JusticeEventSerializer,
        responses={201: JusticeEventSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @idempotent
    def post(self, request, reference: str, suspect: int):
        case = get_case_for_user(request.user, reference)
        serializer = JusticeEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        person = Suspect.objects.filter(case=case, pk=suspect).first()
        if person is None:
            raise Http404("No such suspect.")
        event = services.justice_event_add(
            acting_user=request.user,
            suspect=person,
            stage=data["stage"],
            date=data["date"],
            country=data.get("country_id"),
            provision=data.get("provision_id"),
            authority=data.get("authority", ""),
            reference=data.get("reference", ""),
            verdict=data.get("verdict", ""),
            custody_months=data.get("custody_months"),
            fine=data.get("fine", ""),
            note=data.get("note", ""),
        )
        return Response(_row(event), status=status.HTTP_201_CREATED)


class JusticeEventWithdrawView(APIView):
    """`cases/{reference}/justice/{pk}/withdraw/`: withdraw a line entered by mistake."""

    @extend_schema(
        summary="Withdraw a justice line entered by mistake",
        description="The line stays, marked withdrawn with the reason, and leaves the "
        "statistics. A conviction with a sentence after it is withdrawn after the sentence. "
        "A share recipient answers 403, a case you do not see 404.",
        parameters=[
            REFERENCE,
            OpenApiParameter("pk", int, OpenApiParameter.PATH, description="Justice line id."),
            IDEMPOTENCY_KEY,
        ],
        request=JusticeWithdrawSerializer,
        responses={200: JusticeEventSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @idempotent
    def post(self, request, reference: str, pk: int):
        case = get_case_for_user(request.user, reference)
        serializer = JusticeWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = JusticeEvent.objects.visible_to(request.user).filter(case=case, pk=pk).first()
        if event is None:
            raise Http404("No such justice line.")
        event = services.justice_event_withdraw(
            acting_user=request.user, event=event, reason=serializer.validated_data["reason"]
        )
        return Response(_row(event))
