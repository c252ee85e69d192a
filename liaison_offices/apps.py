from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class LiaisonOfficesConfig(AppConfig):
    default = True
    name = "liaison_offices"
    verbose_name = "Link offices and partners"


class HQAdminConfig(admin_apps.AdminConfig):
    default = False
    """The Django admin, opened to HQ only (see `HQAdminSite`)."""

    default_site = "liaison_offices.admin_site.HQAdminSite"
