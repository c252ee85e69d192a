"""Template context for the navigation bar."""

from __future__ import annotations

from liaison_offices import access


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_is_hq": access.is_hq(user)}
