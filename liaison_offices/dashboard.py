"""The home page's panels, gathered from the apps without importing them.

See docs/architecture.md#the-apps-and-their-arrows.

An app that has something for the dashboard provides `<app>/dashboard.py` with
`panels(request) -> list[Panel]` (as `<app>/demo.py` provides `seed(ctx)` for `seed_demo`); the
home page asks every installed app in INSTALLED_APPS order. A panel is data only — a title,
rows of counts with the link to the list behind each — and one template draws them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass
class Row:
    """One count on a panel, linked to the filtered list that shows those rows."""

    label: str
    count: int
    url: str = ""
    tone: str = ""  # "" | "warn" | "danger": how urgent a non-zero count is
    limit: int | None = None  # a bounded count: above this, "1,000+"

    @property
    def display(self) -> str:
        if self.limit is not None and self.count > self.limit:
            return f"{self.limit:,}+"
        return f"{self.count:,}"


@dataclass
class Panel:
    title: str
    rows: list[Row] = field(default_factory=list)
    empty: str = gettext_lazy("Nothing here.")
    more_url: str = ""
    more_label: str = ""
    items: list = field(default_factory=list)  # optional short list (e.g. latest unread)
    order: int = 100  # panels are shown by this, then in INSTALLED_APPS order

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)


def list_url(url_name: str, **params) -> str:
    """The URL of a list with its filters, or "" while that list is not built."""
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return ""
    query = {key: value for key, value in params.items() if value not in ("", None)}
    return f"{url}?{urlencode(query)}" if query else url


def collect(request) -> list[Panel]:
    """Every installed app's panels for this request, in INSTALLED_APPS order."""
    panels: list[Panel] = []
    for config in apps.get_app_configs():
        module_name = f"{config.name}.dashboard"
        if "site-packages" in config.path or not find_spec(module_name):
            continue  # only the project's own apps speak on the home page
        module = import_module(module_name)
        if hasattr(module, "panels"):
            panels.extend(module.panels(request))
    return sorted(panels, key=lambda panel: panel.order)


# How many unread notifications the home page lists (the inbox has them all).
LATEST_UNREAD = 5


def panels(request) -> list[Panel]:
    """This app's panel: unread notifications, the latest few listed."""
    from liaison_offices.context_processors import unread_for
    from liaison_offices.models import Notification
    from liaison_offices.sentences import attach_sentences

    unread = unread_for(request)
    latest = (
        attach_sentences(
            Notification.objects.visible_to(request.user)
            .unread()
            .select_related("event")
            .order_by("-created_at", "-id")[:LATEST_UNREAD]
        )
        if unread
        else []
    )
    return [
        Panel(
            title=_("Notifications"),
            rows=[Row(_("Unread"), unread, list_url("inbox", show="unread"), "warn")],
            items=latest,
            empty=_("You have read everything."),
            more_url=list_url("inbox"),
            more_label=_("Open the inbox"),
            order=40,
        )
    ]
