"""API views of the liaison_offices app: who am I."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from glo_act.api import problem_responses
from liaison_offices import access
from liaison_offices.api.serializers import MeSerializer
from liaison_offices.models import Membership


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
