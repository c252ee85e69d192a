"""Pages of the liaison_offices app: the home page (who am I, for whom do I act)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from liaison_offices import access
from liaison_offices.models import Membership


@login_required
def home(request):
    """Who you are and which offices and partners you act for."""
    memberships = (
        Membership.objects.filter(user=request.user, ended_at__isnull=True)
        .select_related("office", "partner")
        .order_by("office__code", "partner__name")
    )
    desks = access.offices_of(request.user).select_related("country")
    return render(
        request,
        "liaison_offices/home.html",
        {
            "memberships": memberships,
            "desks": desks,
            "partners": access.partners_of(request.user),
            "is_hq": access.is_hq(request.user),
        },
    )
