"""Security keys (WebAuthn) as a second factor, beside the authenticator app: django-otp-webauthn
does the ceremonies (its helper and credential model); these views decide who may do what and
mark the session the way every second factor does (`accounts.two_factor.mark_verified`).

- **Adding a key** (`registration/…`, from the security page): only a session whose second
  factor was checked within `REVEAL_STEP_UP_MINUTES`, so a stolen password alone, or a session
  left open for hours, cannot add an attacker's key. Each key added is an `AccountEvent`.
- **Signing in with a key** (`authentication/…`, on the second step and the step-up page):
  only after the password (never passwordless), and only with a key of the user who typed
  it; the session is then verified exactly as with a code, so the required-2FA rules, the
  step-up before a reveal and HQ's reset work as before. Recovery codes still sign in.

The JSON endpoints keep the names of the package's URL namespace (`otp_webauthn`), so its
template tags and scripts (`{% render_otp_webauthn_auth_scripts %}`) talk to these views.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn.utils import get_credential_model, rewrite_exceptions
from django_otp_webauthn.views import BaseWebAuthnView

from accounts import services, two_factor

logger = logging.getLogger(__name__)

REGISTER_STATE = "otp_webauthn_register_state"
AUTHENTICATE_STATE = "otp_webauthn_authentication_state"


class NotFresh(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "second_factor_not_fresh"
    default_detail = (
        "To add a security key, enter a code from your authenticator app again first "
        "(Sign-in and security asks for it)."
    )


def _helper(request):
    return get_credential_model().get_webauthn_helper(request=request)


def _state(request, key: str) -> dict:
    state = request.session.pop(key, None)
    request.session.save()
    if not state:
        raise exceptions.InvalidState()
    return state


@method_decorator(never_cache, name="dispatch")
class _View(BaseWebAuthnView):
    http_method_names = ["post"]

    def initial(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not request.user.is_active:
            raise exceptions.NotAuthenticated()


class _Registration(_View):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not two_factor.is_fresh(request):
            raise NotFresh()


class RegistrationBegin(_Registration):
    def post(self, request, *args, **kwargs):
        data, state = _helper(request).register_begin(user=request.user)
        request.session[REGISTER_STATE] = state
        return JsonResponse(data)


class RegistrationComplete(_Registration):
    def post(self, request, *args, **kwargs):
        state = _state(request, REGISTER_STATE)
        with rewrite_exceptions(logger=logger):
            device = _helper(request).register_complete(
                user=request.user, state=state, data=request.data
            )
        count = two_factor.security_keys(request.user).count()
        device.name = f"Security key {count}"
        device.save(update_fields=["name"])
        services.security_key_added(user=request.user, device=device)
        return JsonResponse({"id": device.pk})


class AuthenticationBegin(_View):
    """The second step with a key: the password was right; offer the user's own keys."""

    def post(self, request, *args, **kwargs):
        data, state = _helper(request).authenticate_begin(
            user=request.user, require_user_verification=False
        )
        request.session[AUTHENTICATE_STATE] = state
        return JsonResponse(data)


class AuthenticationComplete(_View):
    def post(self, request, *args, **kwargs):
        from accounts.views import _next

        state = _state(request, AUTHENTICATE_STATE)
        with rewrite_exceptions(logger=logger):
            # The helper refuses a key of another user (CredentialUserMismatch).
            device = _helper(request).authenticate_complete(
                user=request.user, state=state, data=request.data
            )
        if not device.confirmed:
            raise exceptions.CredentialDisabled()
        two_factor.mark_verified(request, device)
        return JsonResponse({"id": device.pk, "redirect_url": _next(request)})


app_name = "otp_webauthn"
urlpatterns = [
    path("registration/begin/", RegistrationBegin.as_view(), name="credential-registration-begin"),
    path(
        "registration/complete/",
        RegistrationComplete.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        AuthenticationBegin.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        AuthenticationComplete.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        never_cache(JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])),
        name="js-i18n-catalog",
    ),
]

# What a session past the password step only may reach (accounts.middleware): the sign-in
# with a key and the scripts' strings; adding a key needs a verified session.
OPEN_PATHS = ("/accounts/webauthn/authentication/", "/accounts/webauthn/jsi18n/")
