"""The person index's API: a case's people, adding people and identifiers, the one-click
request to an office holding a match, and the look-up. Writes go through `people.services`;
a case the caller may not see answers 404, a summary share 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.access import case_access
from cases.models import Suspect
from cases.querysets import get_case_for_user
from glo_act.api import ACTION_ERRORS, IDEMPOTENCY_KEY, READ_ERRORS, idempotent, problem_responses
from glo_act.errors import DomainError
from liaison_offices.models import LinkOffice
from people import services
from people.api.serializers import (
    CasePeopleSerializer,
    IdentifierCreateSerializer,
    LookupSerializer,
    MatchesSerializer,
    MatchRequestCreatedSerializer,
    MatchRequestSerializer,
    PersonCreateSerializer,
)
from people.indexing import identifier_index
from people.matching import find_matches, may_see_hidden_matches
from people.models import Identifier, PersonOfInterest
from people.normalise import InvalidIdentifier
from people.presentation import case_people

REFERENCE = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[A-Za-z0-9-]{1,24}$",
    description="The case reference, e.g. GBR-TIP-2026-0007.",
)
PERSON = OpenApiParameter("person", int, OpenApiParameter.PATH, description="The person's id.")


def _case_at_full(user, reference: str):
    case = get_case_for_user(user, reference)
    access = case_access(user, case)
    if not access.sees_full:
        raise PermissionDenied("A summary share does not include the case's people.")
    return case, access


def _section(user, case, access) -> dict:
    return CasePeopleSerializer(case_people(user, case, access.level)).data


class CasePeopleView(APIView):
    """`cases/{reference}/people/`: the case's people of interest; add one."""

    @extend_schema(
        summary="The people of interest of a case",
        description="Its people, their identifiers (masked where the level requires) and the "
        "other cases holding the same identifiers: a reference and title for cases you may "
        "see, only the lead office and the kind for the others (docs/people.md). Full level "
        "and above; a summary share answers 403.",
        parameters=[REFERENCE],
        responses={200: CasePeopleSerializer, **problem_responses(*READ_ERRORS, 403)},
    )
    def get(self, request, reference: str):
        case, access = _case_at_full(request.user, reference)
        return Response(_section(request.user, case, access))

    @extend_schema(
        summary="Add a person of interest (lead office)",
        description="A suspect of the case (`suspect`: its id), a witness or another person. "
        "Answers the case's people section.",
        parameters=[REFERENCE, IDEMPOTENCY_KEY],
        request=PersonCreateSerializer,
        responses={201: CasePeopleSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @idempotent
    def post(self, request, reference: str):
        case, access = _case_at_full(request.user, reference)
        serializer = PersonCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        suspect_id = data.pop("suspect", None)
        suspect = None
        if suspect_id is not None:
            suspect = Suspect.objects.filter(case=case, pk=suspect_id).first()
            if suspect is None:
                raise DomainError("No such suspect on this case.", field="suspect")
        services.person_add(acting_user=request.user, case=case, suspect=suspect, **data)
        return Response(_section(request.user, case, access), status=status.HTTP_201_CREATED)


class IdentifierCreateView(APIView):
    """`cases/{reference}/people/{person}/identifiers/`: record an identifier."""

    @extend_schema(
        summary="Record an identifier of a person of interest (lead office)",
        description="Normalised (phone numbers to E.164, Pakistan by default; names by their "
        "spelling key), encrypted, and matched against the other cases. A value that is not "
        "of its kind answers 400 naming `value`. Answers the case's people section.",
        parameters=[REFERENCE, PERSON, IDEMPOTENCY_KEY],
        request=IdentifierCreateSerializer,
        responses={201: CasePeopleSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @idempotent
    def post(self, request, reference: str, person: int):
        case, access = _case_at_full(request.user, reference)
        found = (
            PersonOfInterest.objects.visible_to(request.user).filter(case=case, pk=person).first()
        )
        if found is None:
            raise Http404("No such person.")
        serializer = IdentifierCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.identifier_add(acting_user=request.user, person=found, **serializer.validated_data)
        return Response(_section(request.user, case, access), status=status.HTTP_201_CREATED)


class MatchRequestView(APIView):
    """`cases/{reference}/people/ask/`: the one-click request to an office holding a match."""

    @extend_schema(
        summary="Ask the office holding a match you cannot see (lead office)",
        description="Sends an identity-check request from the case's lead office to `office` "
        "about this case, first sharing the case with it at summary level under H2 unless it "
        "holds it. The request names the kind of identifier and this case only. 400 when "
        "that office holds no such match.",
        parameters=[REFERENCE, IDEMPOTENCY_KEY],
        request=MatchRequestSerializer,
        responses={201: MatchRequestCreatedSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @idempotent
    def post(self, request, reference: str):
        case, _ = _case_at_full(request.user, reference)
        serializer = MatchRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        identifier = (
            Identifier.objects.visible_to(request.user)
            .filter(case=case, pk=data["identifier"])
            .first()
        )
        if identifier is None:
            raise DomainError("No such identifier on this case.", field="identifier")
        office = LinkOffice.objects.filter(code=data["office"].upper()).first()
        if office is None:
            raise DomainError(f"No office {data['office']!r}.", field="office")
        created = services.match_request_cooperation(
            acting_user=request.user, identifier=identifier, office=office, urgency=data["urgency"]
        )
        return Response(MatchRequestCreatedSerializer(created).data, status=status.HTTP_201_CREATED)


class LookupView(APIView):
    """`people/lookup/`: where an identifier is held, under the case page's rule."""

    @extend_schema(
        summary="Look an identifier up in the person index",
        description="The cases you may see holding it, and for the others only the lead "
        "office and the kind. The identifier is sent in the body (never in the address) and "
        "not stored. For link-office staff and HQ; others answer 403.",
        request=LookupSerializer,
        responses={200: MatchesSerializer, **problem_responses(400, 401, 403, 429)},
    )
    def post(self, request):
        if not may_see_hidden_matches(request.user):
            raise PermissionDenied("The person index is for link offices and HQ.")
        serializer = LookupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kind, value = serializer.validated_data["kind"], serializer.validated_data["value"]
        try:
            index = identifier_index(kind, value)
        except InvalidIdentifier as exc:
            raise DomainError(str(exc), field="value") from None
        return Response(MatchesSerializer(find_matches(request.user, [index])).data)
