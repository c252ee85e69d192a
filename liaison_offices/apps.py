from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps

# The admin's sections in HQ's words, not the packages' names ("AXES", "KNOX").
SECTION_NAMES = {
    "auth": "Users and groups",
    "axes": "Sign-in attempts and lockouts",
    "knox": "API tokens",
    "guardian": "Object permissions",
    "glo_act": "Repeated API requests",
    "otp_totp": "Second factor: authenticator apps",
    "otp_static": "Second factor: recovery codes",
}


class LiaisonOfficesConfig(AppConfig):
    default = True
    name = "liaison_offices"
    verbose_name = "Link offices and partners"

    def ready(self):
        from django.apps import apps

        for label, name in SECTION_NAMES.items():
            config = apps.app_configs.get(label)
            if config is not None:
                config.verbose_name = name


class HQAdminConfig(admin_apps.AdminConfig):
    default = False
    """The Django admin, opened to HQ only (see `HQAdminSite`)."""

    default_site = "liaison_offices.admin_site.HQAdminSite"
