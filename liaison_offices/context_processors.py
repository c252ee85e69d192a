"""Template context for the navigation bar."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from liaison_offices import access

# (label, URL name, who sees it). A section whose URL is not installed is left out, so the
# navigation never breaks a page.
NAV_ITEMS = [
    ("Home", "home", "all"),
    ("Cases", "cases:list", "offices"),
    ("Requests", "cases:requests", "all"),
    ("Victims", "victims:list", "offices"),
    ("Referrals", "victims:referrals", "all"),
    ("Statistics", "stats", "offices"),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = access.scope_of(user)
    works_cases = scope.is_hq or bool(scope.view_office_ids)
    items = []
    for label, url_name, audience in NAV_ITEMS:
        if audience == "offices" and not works_cases and label != "Cases":
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "current": request.path == url})
    return {"nav_is_hq": scope.is_hq, "nav_items": items}
