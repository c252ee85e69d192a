"""Template context for the navigation bar."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, gettext_noop

from liaison_offices import access

# (label, URL name, who sees it). A section whose URL is not installed is left out, so the
# navigation never breaks a page.
NAV_ITEMS = [
    (gettext_noop("Home"), "home", "all"),
    (gettext_noop("Cases"), "cases:list", "offices"),
    (gettext_noop("Requests"), "cases:requests", "all"),
    (gettext_noop("Victims"), "victims:list", "offices"),
    (gettext_noop("Referrals"), "victims:referrals", "all"),
    (gettext_noop("Statistics"), "stats", "offices"),
    (gettext_noop("Inbox"), "inbox", "all"),
]
BADGE_CAP = 99


def unread_for(request, *, up_to: int | None = None) -> int:
    """The signed-in user's unread notifications, counted once per request.

    With `up_to` (the navigation badge, which shows "99+"), the count stops there: an officer
    with thousands unread would otherwise have them all counted on every page (6 ms in
    PostgreSQL for a user of the benchmark). A page that counted exactly shares its count.
    """
    from liaison_offices.notifications import unread_count

    exact = getattr(request, "_glo_act_unread", None)
    if up_to is None:
        if exact is None:
            exact = request._glo_act_unread = unread_count(request.user)
        return exact
    if exact is not None:
        return min(exact, up_to)
    bounded = getattr(request, "_glo_act_unread_up_to", None)
    if bounded is None or bounded[0] != up_to:
        bounded = request._glo_act_unread_up_to = (up_to, unread_count(request.user, up_to=up_to))
    return bounded[1]


def _badge(request):
    """Counted only if a page renders the navigation (htmx fragments do not)."""

    def badge() -> str:
        unread = unread_for(request, up_to=BADGE_CAP + 1)
        if not unread:
            return ""
        return f"{BADGE_CAP}+" if unread > BADGE_CAP else str(unread)

    memo: dict = {}

    def once() -> str:
        if "value" not in memo:
            memo["value"] = badge()
        return memo["value"]

    return once


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
        item = {"label": gettext(label), "url": url, "current": False}
        if url_name == "inbox":
            item["badge"] = _badge(request)
        items.append(item)
    # The section the page is in: the longest URL the path starts with (home only itself).
    current = max(
        (
            i
            for i in items
            if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(i["url"]))
        ),
        key=lambda i: len(i["url"]),
        default=None,
    )
    if current is not None:
        current["current"] = True
    return {"nav_is_hq": scope.is_hq, "nav_items": items}
