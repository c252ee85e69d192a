"""API views of the cases app: cases, their messages and cooperation requests.

Reads go through `visible_to` once (`VisibleQuerysetMixin`); writes through `cases.services`.
The caller's access (`cases.access`) is annotated on the case query itself — one correlated
probe into the case's grants per row, no per-row query.
"""

from __future__ import annotations

from django.db.models import F
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases import services
from cases.access import case_access, redact
from cases.api.filters import CaseFilter, CooperationRequestFilter
from cases.api.serializers import (
    CaseDetailSerializer,
    CaseSummarySerializer,
    CaseUpdateSerializer,
    CooperationRequestSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    ProvisionReferenceSerializer,
    RequestAnswerSerializer,
    load_case_sections,
)
from cases.constants import AccessLevel
from cases.full_parts import load_full_parts
from cases.models import Case, CooperationRequest, LegalProvision, Message
from cases.querysets import count_visible_cases, newest_first_page
from glo_act.api import (
    ACTION_ERRORS,
    ETAG_HEADER,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IF_MATCH_REQUIRED,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    VisibleQuerysetMixin,
    check_if_match,
    etag_for,
    idempotent,
    problem,
    problem_responses,
)
from glo_act.errors import ConflictError

CASE_LIST_DESCRIPTION = """\
The cases you may see: those led by your office, and those shared with your office or
organisation through a live (not revoked, not expired) share. Newest change first
(`-updated_at`, then `-id`), so the order is stable across pages.

Every row carries `access`: the level you see the case at and the **handling code** of the
share — H1 (not for judicial proceedings without the originator's consent) and H2 (no onward
dissemination without the originator's consent) bind your organisation. List rows hold the
summary fields only; fetch `cases/{reference}/` for what your level shows.

`count` is exact up to 1,000 rows (`count_is_exact`); page with `next` until it is null. For an
incremental sync, filter with `updated_since` set to the time of your last run.
"""

CASE_DETAIL_DESCRIPTION = """\
One case, redacted to your access level:

* `summary` share: reference, kind, status, title, summary, lead office, forms of
  exploitation, `updated_at` and `access` only;
* `full`: also outcome, labour sector, means of control, recruiter relationship, route legs,
  suspects, legal provisions, host-country law, timeline (creation, edits, status changes and
  messages on the case), version, created and closed times;
* `full_with_victims`, lead office and HQ: also the victims (pseudonymous codes unless the
  victim consented to sharing their identity with your organisation).

Fields above your level are absent, not null. The `ETag` response header identifies this
version: send it in `If-Match` when you change the case. A case that does not exist and one
not shared with you both answer 404.
"""


@extend_schema_view(
    list=extend_schema(
        summary="List the cases you may see",
        description=CASE_LIST_DESCRIPTION,
        responses={200: CaseSummarySerializer(many=True), **problem_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Read one case, redacted to your access level",
        description=CASE_DETAIL_DESCRIPTION,
        parameters=[ETAG_HEADER],
        responses={200: CaseDetailSerializer, **problem_responses(*READ_ERRORS)},
    ),
    partial_update=extend_schema(
        summary="Change a case (lead office only)",
        description="Change the descriptive fields of a case your office leads. Send only the "
        "fields to change, with `If-Match` set to the `ETag` of your last read: a stale ETag "
        "is refused with 412 and nothing is changed. Share recipients may read and post "
        "messages but not edit: 403. Status changes are not made here.",
        parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        request=CaseUpdateSerializer,
        responses={200: CaseDetailSerializer, **problem_responses(*WRITE_ERRORS)},
    ),
)
class CaseViewSet(
    VisibleQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Cases, redacted to the caller's access level; edits by the lead office."""

    queryset = Case.objects.select_related("lead_office", "assigned_to").order_by(
        "-updated_at", "-id"
    )
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]{1,24}"
    filterset_class = CaseFilter
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        cases = super().get_queryset().with_access(self.request.user)
        if self.action == "list":
            cases = cases.select_related(None)  # the count joins nothing (rows_for_page)
        return cases

    def is_filtered(self) -> bool:
        return bool(set(self.request.query_params) & set(self.filterset_class.base_filters))

    def count_rows(self, cases, limit):
        """Without a filter the list is the user's visible cases, counted from their grants."""
        if self.is_filtered():
            return cases.order_by().values("pk")[:limit].count()
        return count_visible_cases(self.request.user, limit)

    def rows_for_page(self, cases, offset, limit):
        """The page's rows as the list's serializer reads them (BoundedCountPagination): the
        lead office's code is joined after the count, which would otherwise join every
        counted case to its office; rows are values(), not model instances; the page is
        found by walking the user's grants (`newest_first_page`)."""
        cases = cases.annotate(
            lead_office_code=F("lead_office__code"), assigned_to_username=F("assigned_to__username")
        )
        rows = cases.values(*CaseSummarySerializer.ROW_COLUMNS)
        return newest_first_page(
            rows, self.request.user, offset, limit, filtered=self.is_filtered()
        )

    def get_serializer_class(self):
        if self.action == "list":
            return CaseSummarySerializer
        if self.action == "partial_update":
            return CaseUpdateSerializer
        return CaseDetailSerializer

    def get_object(self):
        """The case, redacted to the caller's access (`cases.access.redact`): what any
        renderer of this view shows — JSON, the browsable API and its forms — holds nothing
        above their level."""
        case = super().get_object()
        access = case_access(self.request.user, case)
        if access.sees_full:
            self._load_full(case)
        return redact(case, access)

    def _load_full(self, case: Case) -> None:
        """Route, suspects, legal basis and timeline (one query), then the apps' sections."""
        owner = case_access(self.request.user, case).is_owner  # the lead office or HQ
        case.full_parts = load_full_parts(case, owner=owner)
        load_case_sections(case, self.request.user)

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        data = CaseDetailSerializer(case, context=self.get_serializer_context()).data
        return Response(data, headers={"ETag": etag_for(case)})

    def partial_update(self, request, *args, **kwargs):
        case = super().get_object()  # 404 unless visible
        access = case_access(request.user, case)
        if access.level < AccessLevel.LEAD_OFFICE or not access.can_change:
            return problem(
                403,
                f"Only the lead office ({case.lead_office.code}) can change this case; your "
                "access lets you read it and post messages.",
            )
        # The body first: a malformed change is a 400 whichever version it was made on.
        serializer = CaseUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refused = check_if_match(request, case, required=True)
        if refused is not None:
            return refused
        try:
            services.case_update(
                acting_user=request.user,
                case=case,
                expected_version=case.version,
                **serializer.validated_data,
            )
        except ConflictError as conflict:
            # Changed between our read and the locked write: the client's ETag is stale too.
            return problem(
                412,
                conflict.message,
                changed_by=conflict.changed_by,
                changed_at=conflict.changed_at.isoformat() if conflict.changed_at else None,
                changes=conflict.changes,
            )
        case = self.get_queryset().get(pk=case.pk)
        self._load_full(case)
        data = CaseDetailSerializer(case, context=self.get_serializer_context()).data
        return Response(data, headers={"ETag": etag_for(case)})

    def update(self, request, *args, **kwargs):  # PUT is not offered
        return problem(405, "Use PATCH with the fields to change.")


# --- messages -----------------------------------------------------------------------------------


REFERENCE = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[A-Za-z0-9-]{1,24}$",
    description="The case reference, e.g. GBR-TIP-2026-0007.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List a case's messages",
        description="Messages on the case, oldest first, each graded for source reliability "
        "(A–C, X) and information accuracy (1–4). Messages in a cooperation request's thread "
        "appear only to the request's two parties. Needs a full share, the lead office or HQ: "
        "a summary share answers 403.",
        parameters=[REFERENCE],
        responses={
            200: MessageSerializer(many=True),
            **problem_responses(400, 401, 403, 404, 429),
        },
    ),
    create=extend_schema(
        summary="Post a message on a case",
        description="Post a graded message on the case (or, with `request`, in the thread of "
        "one of its cooperation requests you are a party to). Everyone who sees the case at "
        "full level is notified. Needs a full share, the lead office or HQ: a summary share "
        "answers 403. Send an `Idempotency-Key` so that a retry after a network error does "
        "not post twice.",
        parameters=[REFERENCE, IDEMPOTENCY_KEY],
        request=MessageCreateSerializer,
        responses={201: MessageSerializer, **problem_responses(400, 401, 403, 404, 422, 429)},
        examples=[
            OpenApiExample(
                "A graded message",
                value={
                    "body": "The suspect left Heathrow on 3 March.",
                    "reliability": "B",
                    "accuracy": 2,
                },
                request_only=True,
            )
        ],
    ),
)
class CaseMessageViewSet(viewsets.GenericViewSet):
    """`cases/{reference}/messages/`: a case's messages, for those who see it at full level.

    A summary share tells a partner that a case exists and what it is about; the messages
    carry the investigation itself, so they need a full share (or the lead office, or HQ).
    """

    serializer_class = MessageSerializer
    filter_backends: list = []

    def get_queryset(self):
        return (
            Message.objects.visible_to(self.request.user)
            .select_related("case", "author", "author_office", "author_partner")
            .order_by("created_at", "id")
        )

    def _case(self) -> Case | Response:
        user = self.request.user
        cases = Case.objects.visible_to(user).with_access(user).select_related("lead_office")
        case = cases.filter(reference=self.kwargs["reference"]).first()
        if case is None:
            return problem(404, "No such case, or it is not shared with you.")
        if not case_access(user, case).sees_full:
            return problem(
                403,
                "Your share of this case is at summary level; messages need a full share. Ask "
                f"the lead office ({case.lead_office.code}) for one.",
            )
        return case

    def list(self, request, reference: str):
        case = self._case()
        if isinstance(case, Response):
            return case
        page = self.paginate_queryset(self.get_queryset().filter(case=case))
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    @idempotent
    def create(self, request, reference: str):
        case = self._case()
        if isinstance(case, Response):
            return case
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        thread = None
        if data.get("request") is not None:
            thread = (
                CooperationRequest.objects.visible_to(request.user)
                .filter(pk=data["request"], case=case)
                .first()
            )
            if thread is None:
                return problem(
                    400,
                    "No such cooperation request on this case.",
                    errors={"request": ["No such cooperation request on this case."]},
                )
        message = services.message_post(
            acting_user=request.user,
            case=case,
            body=data["body"],
            reliability=data["reliability"],
            accuracy=data["accuracy"],
            request=thread,
        )
        # The service's message carries its case, author and organisation already: no re-read.
        return Response(MessageSerializer(message).data, status=201)


# --- cooperation requests -----------------------------------------------------------------------

REQUEST_LIST_DESCRIPTION = """\
Cooperation requests sent to your organisation or office (and, for offices, those they sent),
soonest due first. `is_overdue` is true for an open request past `due_at`. Filter with
`status`, `kind`, `overdue` and `case`.
"""


@extend_schema_view(
    list=extend_schema(
        summary="List cooperation requests to or from you",
        description=REQUEST_LIST_DESCRIPTION,
        responses={
            200: CooperationRequestSerializer(many=True),
            **problem_responses(*LIST_ERRORS),
        },
    ),
    retrieve=extend_schema(
        summary="Read one cooperation request",
        description="A request to or from you; anyone else's answers 404. The `ETag` header "
        "identifies its state for `If-Match` on `answer`.",
        parameters=[ETAG_HEADER],
        responses={200: CooperationRequestSerializer, **problem_responses(*READ_ERRORS)},
    ),
)
class CooperationRequestViewSet(VisibleQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Cooperation requests to or from the caller, and the recipient's answer."""

    queryset = CooperationRequest.objects.select_related(
        "case", "from_office", "to_office", "to_partner"
    ).order_by("due_at", "id")
    serializer_class = CooperationRequestSerializer
    filterset_class = CooperationRequestFilter
    lookup_value_regex = r"[0-9]{1,18}"

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        return Response(self.get_serializer(obj).data, headers={"ETag": etag_for(obj)})

    @extend_schema(
        summary="Answer a cooperation request",
        description="Answer an open request addressed to your organisation or office. After "
        "`due_at` a `late_reason` is required (400 without it). Only the recipient may "
        "answer (403 for the sender or anyone else who sees it); an answered or closed "
        "request is a 409. Send `If-Match` with the request's `ETag` to be sure you answer "
        "what you read, and an `Idempotency-Key` to make a retry safe.",
        parameters=[IF_MATCH, IDEMPOTENCY_KEY, ETAG_HEADER],
        request=RequestAnswerSerializer,
        responses={200: CooperationRequestSerializer, **problem_responses(*ACTION_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def answer(self, request, pk=None):
        obj = self.get_object()
        serializer = RequestAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refused = check_if_match(request, obj)
        if refused is not None:
            return refused
        services.request_answer(
            acting_user=request.user,
            request=obj,
            answer=serializer.validated_data["answer"],
            late_reason=serializer.validated_data.get("late_reason", ""),
            reliability=serializer.validated_data["reliability"],
            accuracy=serializer.validated_data["accuracy"],
        )
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, headers={"ETag": etag_for(obj)})


@extend_schema_view(
    list=extend_schema(
        summary="List the legal provisions cases may cite",
        description="Reference data: the sections of Pakistan's acts and the host countries' "
        "provisions HQ has loaded, Pakistan's first. A blank `section` stands for an act "
        "whose articles are not yet entered. Give the ids in a case's `legal_provision_ids`.",
        responses={200: ProvisionReferenceSerializer(many=True), **problem_responses(*LIST_ERRORS)},
    ),
)
class LegalProvisionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The provisions, for anyone signed in: reference data, not case data."""

    serializer_class = ProvisionReferenceSerializer
    pagination_class = None

    def get_queryset(self):
        return LegalProvision.objects.ordered()
