"""The API of who works a case: assignment, bulk reassignment and hand-overs of the lead office.

Every write goes through `cases.services.casework`, with the pages' rules; a case or hand-over
the caller may not see answers 404.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import services
from cases.access import ACCESS_NAMES
from cases.constants import KEPT_SHARE_CODES, HandOverStatus, ShareLevel
from cases.models import Case, HandOver
from cases.querysets import get_case_for_user
from glo_act.api import (
    ACTION_ERRORS,
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    READ_ERRORS,
    VisibleQuerysetMixin,
    idempotent,
    problem_responses,
)
from glo_act.errors import DomainError
from liaison_offices.models import LinkOffice

__all__ = ["CaseAssignView", "CaseReassignView", "HandOverViewSet"]

LEVEL_NAMES = {ACCESS_NAMES[level]: level for level in ShareLevel}


def _officer(username: str | None, field: str):
    if username in (None, ""):
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise DomainError(f"No active user {username!r}.", field=field)
    return user


def _office(code: str, field: str) -> LinkOffice:
    office = LinkOffice.objects.filter(code=str(code).upper()).first()
    if office is None:
        raise DomainError(f"No office {code!r}.", field=field)
    return office


# --- assignment ---------------------------------------------------------------------------------


class AssignSerializer(serializers.Serializer):
    officer = serializers.CharField(
        allow_null=True,
        max_length=150,
        help_text="The username of an officer of the lead office; null to unassign.",
    )


class AssignmentSerializer(serializers.Serializer):
    reference = serializers.CharField()
    assigned_to = serializers.CharField(allow_null=True)
    assigned_at = serializers.DateTimeField(allow_null=True)


def _assignment(case: Case) -> dict:
    return {
        "reference": case.reference,
        "assigned_to": case.assigned_to.get_username() if case.assigned_to else None,
        "assigned_at": serializers.DateTimeField().to_representation(case.assigned_at)
        if case.assigned_at
        else None,
    }


REFERENCE = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[A-Za-z0-9-]{1,24}$",
    description="The case reference, e.g. GBR-TIP-2026-0007.",
)


class CaseAssignView(APIView):
    """`cases/{reference}/assign/`: assign the case to an officer of its lead office."""

    @extend_schema(
        summary="Assign a case to an officer (lead office)",
        description="Assign the case to an officer of its lead office (their username), or "
        "unassign it with `officer: null`. Anyone who may change the case does it; the officer "
        "is told. A share recipient answers 403; a case you do not see, 404; someone who is "
        "not an officer of the lead office, 400. Send an `Idempotency-Key` to make a retry "
        "safe.",
        parameters=[REFERENCE, IDEMPOTENCY_KEY],
        request=AssignSerializer,
        responses={200: AssignmentSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @idempotent
    def post(self, request, reference: str):
        case = get_case_for_user(request.user, reference)
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        officer = _officer(serializer.validated_data["officer"], "officer")
        case = services.case_assign(acting_user=request.user, case=case, officer=officer)
        return Response(_assignment(case))


class ReassignSerializer(serializers.Serializer):
    office = serializers.CharField(max_length=3, help_text="The office whose cases move.")
    from_officer = serializers.CharField(
        allow_null=True, max_length=150, help_text="Username; null for unassigned cases."
    )
    to_officer = serializers.CharField(max_length=150, help_text="Username of an officer.")
    cases = serializers.ListField(
        child=serializers.CharField(max_length=24),
        required=False,
        allow_null=True,
        max_length=500,
        help_text="The references to move (at most 500 at once); leave out for every open case "
        "of `from_officer`.",
    )


class ReassignResultSerializer(serializers.Serializer):
    office = serializers.CharField()
    to_officer = serializers.CharField()
    count = serializers.IntegerField()
    references = serializers.ListField(child=serializers.CharField())


class CaseReassignView(APIView):
    """`cases/reassign/`: an office lead or HQ moves one officer's cases to another."""

    @extend_schema(
        summary="Reassign an officer's cases (office lead or HQ)",
        description="Move the cases of `office` assigned to `from_officer` to `to_officer` in "
        "one action: the references in `cases`, or every open case of `from_officer` when "
        "`cases` is left out. All or nothing: a listed case that is not `from_officer`'s "
        "answers 400 and nothing moves. Only an office lead of that office or HQ: 403 "
        "otherwise.",
        parameters=[IDEMPOTENCY_KEY],
        request=ReassignSerializer,
        responses={200: ReassignResultSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @idempotent
    def post(self, request):
        serializer = ReassignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        office = _office(data["office"], "office")
        references = data.get("cases")
        chosen = None
        if references is not None:
            found = dict(
                Case.objects.restrict(request.user, "change")
                .filter(lead_office=office, reference__in=references)
                .values_list("reference", "pk")
            )
            missing = sorted(set(references) - set(found))
            if missing:
                raise DomainError(
                    f"Not cases of {office.code}: {', '.join(missing[:10])}.", field="cases"
                )
            chosen = list(found.values())
        to_officer = _officer(data["to_officer"], "to_officer")
        moved = services.cases_reassign(
            acting_user=request.user,
            office=office,
            from_officer=_officer(data["from_officer"], "from_officer"),
            to_officer=to_officer,
            cases=chosen,
        )
        return Response(
            {
                "office": office.code,
                "to_officer": to_officer.get_username(),
                "count": len(moved),
                "references": [case.reference for case in moved],
            }
        )


# --- hand-overs ---------------------------------------------------------------------------------


class HandOverSerializer(serializers.ModelSerializer):
    """A request to hand the lead of a case to another office."""

    case = serializers.CharField(source="case.reference")
    from_office = serializers.CharField(source="from_office.code")
    to_office = serializers.CharField(source="to_office.code")
    status = serializers.ChoiceField(choices=HandOverStatus.choices)
    keep_level = serializers.SerializerMethodField()
    keep_handling_code = serializers.ChoiceField(choices=KEPT_SHARE_CODES)

    class Meta:
        model = HandOver
        fields = [
            "id",
            "case",
            "from_office",
            "to_office",
            "status",
            "note",
            "keep_level",
            "keep_handling_code",
            "decline_reason",
            "requested_at",
            "decided_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=list(LEVEL_NAMES), allow_null=True))
    def get_keep_level(self, handover) -> str | None:
        return ACCESS_NAMES.get(handover.keep_level) if handover.keep_level else None


class HandOverCreateSerializer(serializers.Serializer):
    case = serializers.CharField(max_length=24, help_text="The reference of a case you lead.")
    to_office = serializers.CharField(max_length=3, help_text="The office asked to lead it.")
    note = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    keep_level = serializers.ChoiceField(
        choices=list(LEVEL_NAMES),
        allow_null=True,
        default="summary",
        help_text="The share your office keeps once accepted; null for none.",
    )
    keep_handling_code = serializers.ChoiceField(
        choices=KEPT_SHARE_CODES,
        default="H0",
        help_text="H0, H1 or H2: the handling code of the share your office keeps.",
    )


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


HANDOVER_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The hand-over.")


@extend_schema_view(
    list=extend_schema(
        summary="List hand-overs from or to your offices",
        description="Requests to hand the lead of a case from one office to another, newest "
        "first: those your desks sent or received (HQ: all). A pending one waits for the "
        "receiving office or HQ.",
        responses={200: HandOverSerializer(many=True), **problem_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Read one hand-over",
        description="A hand-over from or to one of your desks; anyone else's answers 404.",
        parameters=[HANDOVER_ID],
        responses={200: HandOverSerializer, **problem_responses(*READ_ERRORS)},
    ),
    create=extend_schema(
        summary="Offer a case you lead to another office",
        description="Ask another office (or HQ) to lead a case your office leads. It stays "
        "pending until they accept or decline; `keep_level` is the share your office keeps "
        "once accepted. One pending hand-over per case (400 for a second). A share recipient "
        "answers 403, a case you do not see 404.",
        parameters=[IDEMPOTENCY_KEY],
        request=HandOverCreateSerializer,
        responses={201: HandOverSerializer, **problem_responses(*ACTION_ERRORS)},
    ),
)
class HandOverViewSet(
    VisibleQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Hand-overs of the lead office between offices."""

    queryset = HandOver.objects.select_related("case", "from_office", "to_office").order_by(
        "-requested_at", "-id"
    )
    serializer_class = HandOverSerializer
    lookup_value_regex = r"[0-9]{1,18}"

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = HandOverCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = get_case_for_user(request.user, data["case"])
        level = data["keep_level"]
        handover = services.handover_request(
            acting_user=request.user,
            case=case,
            to_office=_office(data["to_office"], "to_office"),
            note=data.get("note", ""),
            keep_level=LEVEL_NAMES[level] if level else None,
            keep_handling_code=data["keep_handling_code"],
        )
        return Response(self._fresh(handover), status=201)

    def _fresh(self, handover) -> dict:
        return HandOverSerializer(self.get_queryset().get(pk=handover.pk)).data

    @extend_schema(
        summary="Accept a hand-over (receiving office or HQ)",
        description="Your office takes the lead of the case: the grants change at once, the "
        "sending office keeps the share it chose, both offices and HQ are told. The reference "
        "never changes. The sender answers 403; a decided hand-over 400.",
        parameters=[HANDOVER_ID, IDEMPOTENCY_KEY],
        request=None,
        responses={200: HandOverSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request, pk=None):
        handover = services.handover_accept(acting_user=request.user, handover=self.get_object())
        return Response(self._fresh(handover))

    @extend_schema(
        summary="Decline a hand-over (receiving office or HQ)",
        description="Decline, saying why (`reason`, required): nothing changes on the case; "
        "both offices and HQ are told.",
        parameters=[HANDOVER_ID, IDEMPOTENCY_KEY],
        request=DeclineSerializer,
        responses={200: HandOverSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def decline(self, request, pk=None):
        handover = self.get_object()
        serializer = DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handover = services.handover_decline(
            acting_user=request.user, handover=handover, **serializer.validated_data
        )
        return Response(self._fresh(handover))

    @extend_schema(
        summary="Withdraw a hand-over (sending office or HQ)",
        description="Take back a pending offer; the receiving office is told.",
        parameters=[HANDOVER_ID, IDEMPOTENCY_KEY],
        request=None,
        responses={200: HandOverSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def withdraw(self, request, pk=None):
        handover = services.handover_withdraw(acting_user=request.user, handover=self.get_object())
        return Response(self._fresh(handover))
