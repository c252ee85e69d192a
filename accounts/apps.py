from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Sign-in and second factors")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(remember_preferences, dispatch_uid="accounts.preferences")


def remember_preferences(sender, request, user, **kwargs):
    """At sign-in: the person's language and zone into the session (accounts/preferences.py)."""
    from accounts import preferences

    session = getattr(request, "session", None)
    if session is not None:
        preferences.remember(session, user)
