"""The admin site: HQ's back office. Officers and focal points never get in."""

from __future__ import annotations

from django.contrib import admin

from liaison_offices import access


class HQAdminSite(admin.AdminSite):
    site_header = "GLO.ACT Case Coordination — HQ administration"
    site_title = "GLO.ACT HQ admin"
    index_title = "FIA Immigration, Islamabad"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and access.is_hq(user))
