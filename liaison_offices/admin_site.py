"""The admin site: HQ's back office. Officers and focal points never get in."""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from liaison_offices import access


class HQAdminSite(admin.AdminSite):
    site_header = "GLO.ACT Case Coordination — HQ administration"
    site_title = "GLO.ACT HQ admin"
    index_title = "FIA Immigration, Islamabad"
    index_template = "admin/hq_index.html"

    def has_permission(self, request) -> bool:
        """HQ staff, in a session that passed its second factor (accounts/middleware.py sets
        `request.second_factor`; without it, nobody gets in)."""
        user = request.user
        factor = getattr(request, "second_factor", None)
        verified = factor is not None and factor.verified
        return bool(user.is_active and user.is_staff and verified and access.is_hq(user))

    def index(self, request, extra_context=None):
        return super().index(request, {"watch": watch_list(), **(extra_context or {})})

    def get_urls(self):
        from django.urls import path

        return [
            path("retention/", self.admin_view(self.retention_view), name="retention"),
            *super().get_urls(),
        ]

    def retention_view(self, request):
        """What the retention policy deletes now, rule by rule (liaison_offices/retention.py)."""
        from django.template.response import TemplateResponse

        from liaison_offices.retention import preview

        context = {
            **self.each_context(request),
            "title": "Retention: what the daily purge deletes",
            "outcomes": preview(),
        }
        return TemplateResponse(request, "admin/retention.html", context)


def _changelist(model, query: str = "") -> str:
    try:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url


def watch_list() -> list[dict]:
    """What HQ watches, on the admin's first page: one count query each, each linking to the
    list behind it. Models are looked up by name: this app sits below `cases` and `victims`."""
    now = timezone.now()
    items = []
    Request = apps.get_model("cases", "CooperationRequest")
    items.append(
        {
            "label": "Cooperation requests overdue",
            "count": Request.objects.overdue(now).count(),
            "url": _changelist(Request, "overdue=yes"),
        }
    )
    Delivery = apps.get_model("liaison_offices", "Delivery")
    items.append(
        {
            "label": "Notification deliveries failed",
            "count": Delivery.objects.filter(status="failed").count(),
            "url": _changelist(Delivery, "status__exact=failed"),
        }
    )
    if apps.is_installed("axes"):
        Attempt = apps.get_model("axes", "AccessAttempt")
        cooloff = getattr(settings, "AXES_COOLOFF_TIME", None) or timedelta(days=3650)
        items.append(
            {
                "label": "Sign-ins locked",
                "count": Attempt.objects.filter(
                    failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
                    attempt_time__gte=now - cooloff,
                ).count(),
                "url": _changelist(Attempt),
            }
        )
    # Files quarantined because the scanner found malware (the evidence app, where installed).
    if apps.is_installed("evidence"):
        Attachment = apps.get_model("evidence", "Attachment")
        items.append(
            {
                "label": "Files quarantined: malware found",
                "count": Attachment.objects.filter(status="infected").count(),
                "url": _changelist(Attachment, "status__exact=infected"),
            }
        )
    # Case transfers between offices, where that model exists.
    try:
        Transfer = apps.get_model("cases", "CaseTransfer")
    except LookupError:
        Transfer = None
    if Transfer is not None and any(f.name == "status" for f in Transfer._meta.fields):
        items.append(
            {
                "label": "Case transfers pending",
                "count": Transfer.objects.filter(status="pending").count(),
                "url": _changelist(Transfer, "status__exact=pending"),
            }
        )
    return items
