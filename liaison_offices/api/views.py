"""API views of the liaison_offices app: who am I, and my notifications."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from glo_act.api import (
    LIST_ERRORS,
    READ_ERRORS,
    StrictFilterSet,
    VisibleQuerysetMixin,
    problem_responses,
)
from liaison_offices import access, notifications
from liaison_offices.api.serializers import (
    MarkedReadSerializer,
    MeSerializer,
    NotificationSerializer,
)
from liaison_offices.constants import EventKind
from liaison_offices.models import Membership, Notification
from liaison_offices.sentences import attach_sentences


class MeView(APIView):
    """Who the caller is, which offices and organisations they act for, their token's expiry."""

    @extend_schema(
        summary="Who am I",
        description="The caller's name, memberships, the offices whose cases they see (desks), "
        "the partner organisations they act for, and when the token used for this call "
        "expires. Call it first to check a token.",
        responses={200: MeSerializer, **problem_responses(401, 429)},
    )
    def get(self, request):
        user = request.user
        memberships = Membership.objects.filter(user=user, ended_at__isnull=True).select_related(
            "office", "partner"
        )
        data = {
            "username": user.username,
            "full_name": user.get_full_name(),
            "is_hq": access.is_hq(user),
            "memberships": memberships,
            "desks": access.offices_of(user),
            "partners": access.partners_of(user),
            "token_expires_at": getattr(request.auth, "expiry", None),
        }
        return Response(MeSerializer(data).data)


# --- notifications ------------------------------------------------------------------------------


class NotificationFilter(StrictFilterSet):
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_unread",
        help_text="true: unread only; false: read only.",
    )
    kind = django_filters.ChoiceFilter(choices=EventKind.choices, help_text="What happened.")

    class Meta:
        model = Notification
        fields = ["unread", "kind"]

    def filter_unread(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(read_at__isnull=value == "true")


@extend_schema_view(
    list=extend_schema(
        summary="List your notifications",
        description="Your own inbox, newest first (`-created_at`, `-id`): cases shared with "
        "you, cooperation requests received and answered, referrals sent to you, new "
        "messages… Nobody, HQ included, reads another person's inbox. Filter `unread=true` "
        "to poll for news; texts are impersonal (references and codes, never personal data).",
        responses={200: NotificationSerializer(many=True), **problem_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Read one of your notifications",
        description="One notification of your own inbox (someone else's answers 404). "
        "`subject` says what it is about: for `cases.case` the label is the case reference "
        "(`GET cases/{reference}/`); for a cooperation request or a referral, `id` is the id "
        "to read it with.",
        responses={200: NotificationSerializer, **problem_responses(*READ_ERRORS)},
    ),
)
class NotificationViewSet(VisibleQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """The caller's own in-app notifications."""

    queryset = Notification.objects.select_related("event", "event__subject_type").order_by(
        "-created_at", "-id"
    )
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    lookup_value_regex = r"[0-9]{1,18}"

    def paginate_queryset(self, queryset):
        """The page's rows with their sentences, the partners they name read once for all."""
        page = super().paginate_queryset(queryset)
        return attach_sentences(page) if page is not None else None

    @extend_schema(
        summary="Mark a notification read",
        description="Mark one of your notifications read. Marking it again changes nothing "
        "(its first `read_at` stays).",
        request=None,
        responses={200: NotificationSerializer, **problem_responses(401, 404, 429)},
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        notifications.notification_mark_read(acting_user=request.user, notification=notification)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        summary="Mark all your notifications read",
        description="Mark every unread notification of yours read; `marked` says how many "
        "were unread.",
        request=None,
        responses={200: MarkedReadSerializer, **problem_responses(401, 429)},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = notifications.notifications_mark_all_read(acting_user=request.user)
        return Response({"marked": marked})
