"""API views of the victims app: victims (pseudonymous by default) and referrals.

Reads go through `Victim.objects.visible_to` / `Referral.objects.visible_to`; personal data
only through `victims.access.reveal_personal_data_many`, which records every read; referral
actions through `victims.services`.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.models import Case
from glo_act.api import (
    ACTION_ERRORS,
    ETAG_HEADER,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    LIST_ERRORS,
    READ_ERRORS,
    VisibleQuerysetMixin,
    check_if_match,
    etag_for,
    idempotent,
    problem,
    problem_responses,
)
from glo_act.errors import ConflictError
from victims import services
from victims.access import PersonalData, personal_fields_of, reveal_personal_data_many
from victims.api.filters import ReferralFilter, VictimFilter
from victims.api.serializers import (
    ReferralDeclineSerializer,
    ReferralDetailSerializer,
    ReferralNoteSerializer,
    ReferralProgressSerializer,
    ReferralSerializer,
    VictimDetailSerializer,
    VictimSerializer,
)
from victims.constants import AccessDoor
from victims.models import Referral, ReferralUpdate, Victim, VictimCaseLink


def with_visible_cases(queryset: QuerySet, user) -> QuerySet:
    """Prefetch each victim's links to the cases the user may see (one query for a page)."""
    links = (
        VictimCaseLink.objects.filter(case__in=Case.objects.visible_to(user))
        .select_related("case")
        .order_by("linked_at", "id")
    )
    return queryset.prefetch_related(
        Prefetch("case_links", queryset=links, to_attr="visible_case_links")
    )


def victims_with_personal_data(
    queryset: QuerySet, user, *, with_cases: bool = True
) -> list[Victim]:
    """The visible victims of `queryset` with `revealed` personal data (reads recorded).

    `with_cases=False` leaves out each victim's list of cases (the case detail's victims
    section, which is shown under its one case): one query fewer.
    """
    victims = queryset.visible_to(user).with_personal_access(user)
    victims = victims.select_related("recorded_by_office")
    victims = list(with_visible_cases(victims, user) if with_cases else victims)
    if not any(personal_fields_of(victim, user) for victim in victims):
        for victim in victims:  # code only: nothing to decrypt, nothing to record
            victim.revealed = PersonalData(victim.code, {})
        return victims
    revealed = reveal_personal_data_many(user=user, victims=victims, door=AccessDoor.API)
    for victim in victims:
        victim.revealed = revealed[victim.pk]
    return victims


VICTIM_CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[A-Za-z0-9-]{1,24}$",
    description="The victim's pseudonymous code, e.g. V-GBR-2026-0012.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List the victims you may see",
        description="Victims linked to cases you see, recorded by your office, or — for "
        "service providers — referred to your organisation. Pseudonymous: codes and "
        "non-identifying facts only, never personal data; `personal_data_fields` says what "
        "the victim's detail would show you. Newest first.",
        responses={200: VictimSerializer(many=True), **problem_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Read one victim, with the personal data you may see",
        description="The victim's facts and, in `personal_data`, the personal fields the "
        "rules allow you (none: null). Each response carrying personal data writes an access "
        "record (who, which victim, when, through the API) that HQ can audit.",
        parameters=[VICTIM_CODE],
        responses={200: VictimDetailSerializer, **problem_responses(*READ_ERRORS)},
    ),
)
class VictimViewSet(VisibleQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Victims by pseudonymous code; personal data only in the detail, as the rules allow."""

    queryset = Victim.objects.select_related("recorded_by_office").order_by("-created_at", "-id")
    serializer_class = VictimSerializer
    filterset_class = VictimFilter
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9-]{1,24}"

    def get_queryset(self):
        user = self.request.user
        return with_visible_cases(super().get_queryset().with_personal_access(user), user)

    def retrieve(self, request, *args, **kwargs):
        victim = self.get_object()
        revealed = reveal_personal_data_many(
            user=request.user, victims=[victim], door=AccessDoor.API
        )
        victim.revealed = revealed[victim.pk]
        data = VictimDetailSerializer(victim, context=self.get_serializer_context()).data
        return Response(data)


# --- referrals ----------------------------------------------------------------------------------

REFERRAL_LIST_DESCRIPTION = """\
Referrals sent to your organisation (service providers) or by your office, newest first.
A new referral is `pending` until you `accept` or `decline` it (a reason is required); report
work with `progress` (the first report makes it `in_progress`) and finish with `complete`.
The victim is named by code: read `victims/{code}/` for the personal data your service needs,
available while you work the referral (accepted or in progress).
"""


def _action_schema(summary: str, description: str, request) -> dict:
    return {
        "summary": summary,
        "description": description
        + " Only the receiving organisation may do this: the referring office and anyone else "
        "who sees the referral get 403, everyone else 404. A change the status table does not "
        "allow is a 409. Send `If-Match` with the referral's `ETag` to act on what you read, "
        "and an `Idempotency-Key` to make a retry safe.",
        "parameters": [IF_MATCH, IDEMPOTENCY_KEY, ETAG_HEADER],
        "request": request,
        "responses": {200: ReferralDetailSerializer, **problem_responses(*ACTION_ERRORS)},
    }


@extend_schema_view(
    list=extend_schema(
        summary="List referrals to or from you",
        description=REFERRAL_LIST_DESCRIPTION,
        responses={200: ReferralSerializer(many=True), **problem_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Read one referral with its thread",
        description="The referral and its thread of status changes and notes. The `ETag` "
        "header identifies this state for `If-Match` on the actions.",
        parameters=[ETAG_HEADER],
        responses={200: ReferralDetailSerializer, **problem_responses(*READ_ERRORS)},
    ),
)
class ReferralViewSet(VisibleQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Referrals of victims to service providers, and the provider's answers to them."""

    queryset = Referral.objects.select_related("victim", "from_office", "partner").order_by(
        "-created_at", "-id"
    )
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    lookup_value_regex = r"[0-9]{1,18}"

    def get_serializer_class(self):
        return ReferralSerializer if self.action == "list" else ReferralDetailSerializer

    def _detail(self, referral: Referral) -> Response:
        referral = (
            self.get_queryset()
            .prefetch_related(
                Prefetch(
                    "updates",
                    queryset=ReferralUpdate.objects.select_related("author").order_by(
                        "created_at", "id"
                    ),
                )
            )
            .get(pk=referral.pk)
        )
        data = ReferralDetailSerializer(referral, context=self.get_serializer_context()).data
        return Response(data, headers={"ETag": etag_for(referral)})

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def _act(self, request, service, serializer_class, **fixed) -> Response:
        referral = self.get_object()  # 404 unless visible
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        refused = check_if_match(request, referral)
        if refused is not None:
            return refused
        # With If-Match, the version read is checked again under the row lock: a change that
        # lands between the check above and the write is a 412 too, never an overwrite.
        pinned = {"expected_version": referral.version} if request.headers.get("If-Match") else {}
        try:
            service(
                acting_user=request.user,
                referral=referral,
                **serializer.validated_data,
                **fixed,
                **pinned,
            )
        except ConflictError as conflict:
            return problem(
                412,
                conflict.message,
                headers={"ETag": etag_for(self.get_queryset().get(pk=referral.pk))},
                changed_by=conflict.changed_by,
                changed_at=conflict.changed_at.isoformat() if conflict.changed_at else None,
                changes=conflict.changes,
            )
        return self._detail(referral)

    @extend_schema(
        **_action_schema(
            "Accept a referral",
            "Take the referral on (from `pending`); the referring office is told.",
            ReferralNoteSerializer,
        )
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request, pk=None):
        return self._act(request, services.referral_accept, ReferralNoteSerializer)

    @extend_schema(
        **_action_schema(
            "Decline a referral",
            "Decline a pending referral, saying why (`reason` is required).",
            ReferralDeclineSerializer,
        )
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def decline(self, request, pk=None):
        return self._act(request, services.referral_decline, ReferralDeclineSerializer)

    @extend_schema(
        **_action_schema(
            "Report progress on a referral",
            "Add a progress note (`note` is required) to an accepted or in-progress referral; "
            "the first report moves it to `in_progress`.",
            ReferralProgressSerializer,
        )
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def progress(self, request, pk=None):
        return self._act(request, services.referral_progress, ReferralProgressSerializer)

    @extend_schema(
        **_action_schema(
            "Complete a referral",
            "The service has been delivered (from `in_progress`); the referring office is told.",
            ReferralNoteSerializer,
        )
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def complete(self, request, pk=None):
        return self._act(request, services.referral_complete, ReferralNoteSerializer)
