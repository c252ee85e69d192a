"""Forms of the sign-in pages: each error in words a person can act on, next to its field."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from glo_act.pages import PageForm


class SignInForm(AuthenticationForm):
    """The password step. An empty field says which; a wrong pair says how many tries remain
    before the lock, without telling whether the username exists."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The username and password do not match an account. Check both (the password "
            "is case-sensitive). After %(limit)s failed tries in a row, sign-in is locked for "
            "%(minutes)s minutes."
        ),
        "inactive": _("This account is deactivated. Ask HQ if you still need it."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.label_suffix = ""
        self.fields["username"].error_messages["required"] = _("Enter your username.")
        self.fields["password"].error_messages["required"] = _("Enter your password.")

    def get_invalid_login_error(self):
        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={
                "limit": settings.AXES_FAILURE_LIMIT,
                "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            },
        )


class CodeForm(PageForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        error_messages={"required": _("Enter the 6-digit code from your authenticator app.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class ReasonForm(PageForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why: the reason is kept with the action.")},
    )


class PasswordByLinkForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""


class PreferenceForm(PageForm):
    """The person's own language and time zone; empty choices go back to the defaults."""

    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("As my browser asks"))],
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Every time on the pages is shown in this zone, and named."),
    )

    def __init__(self, *args, office_zone: str = "UTC", **kwargs):
        from accounts.preferences import zone_choices

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("As my browser asks")), *settings.LANGUAGES]
        self.fields["time_zone"].choices = [
            ("", _("My office's (%(zone)s)") % {"zone": office_zone}),
            *zone_choices(),
        ]
