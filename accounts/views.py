"""Sign-in pages: the password step, the second step (or enrolment), the person's own
security page, the one-time password link, and HQ's page for one user's sign-in.

Every write goes through `accounts.services`; `accounts.two_factor` says what a session
has proved.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts import services, two_factor
from accounts.forms import CodeForm, PasswordByLinkForm, ReasonForm, SignInForm
from accounts.models import AccountEvent
from glo_act import submit_once
from glo_act.errors import DomainError
from glo_act.pages import add_domain_error
from liaison_offices import access


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


class SignInView(LoginView):
    """The password step; the second step follows on `/accounts/two-factor/`."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def get_success_url(self):
        return reverse("accounts:two_factor") + _query_next(self.get_redirect_url())

    def dispatch(self, request, *args, **kwargs):
        # A session that signed in but has not passed the second step goes on to it.
        if request.user.is_authenticated and not two_factor.factor_of(request).passed:
            return redirect(reverse("accounts:two_factor") + _query_next(_next(request)))
        return super().dispatch(request, *args, **kwargs)


def _query_next(url: str) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode({"next": url}) if url else ""


def _qr_svg(url: str) -> str:
    """The otpauth URL as an inline SVG QR code, drawn here (no outside service sees the key)."""
    return segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


ENROLLED_ALREADY = (
    "This form had already been sent: your authenticator app was set up then, and it was not "
    "set up a second time. Your recovery codes were shown once, on the answer to that first "
    "send; if you did not write them down, make new ones here."
)
CODES_ALREADY = (
    "This form had already been sent: new recovery codes were made then and shown once, on the "
    "answer to that first send; none were made a second time. If you did not write them down, "
    "make new ones below."
)
HQ_ALREADY = (
    "This form had already been sent and was done then; it was not done a second time. A "
    "one-time password link is shown only when it is issued: if it was not copied, issue a "
    "new one."
)


@never_cache
@submit_once.guard(submit_once.REQUIRED, repeated=ENROLLED_ALREADY)
def second_step(request: HttpRequest):
    """Enter the authenticator code (or a recovery code), or set up the app the first time."""
    if not request.user.is_authenticated:
        return redirect("login")
    user = request.user
    factor = two_factor.factor_of(request)
    next_url = _next(request)
    if factor.verified:
        return redirect(next_url)
    if two_factor.has_device(user):
        return _verify(request, next_url)
    return _enrol(request, next_url)


def _verify(request, next_url):
    user = request.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = two_factor.throttled_for(user)
        device = None if wait else two_factor.verify_code(user, form.cleaned_data["code"])
        if device is not None:
            two_factor.mark_verified(request, device)
            if device.name == two_factor.RECOVERY_DEVICE_NAME:
                services.recovery_code_used(user=user)
                left = two_factor.remaining_recovery_codes(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Make new ones on your "
                    "security page if you are running out.",
                )
            return redirect(next_url)
        wait = wait or two_factor.throttled_for(user)
        form.add_error(
            "code",
            f"Too many wrong codes: wait {wait} seconds, then enter the newest code."
            if wait
            else "That code is not right. Enter the newest 6-digit code your app shows for "
            "GLO.ACT, or one of your recovery codes.",
        )
    return render(
        request,
        "accounts/second_step.html",
        {
            "form": form,
            "next": next_url,
            "enrol": False,
            "security_keys": two_factor.security_keys(user).exists(),
        },
        status=400 if form.errors else 200,
    )


def _enrol(request, next_url):
    user = request.user
    device = services.totp_enrolment(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # A double click on "Turn on" confirms once; the repeat goes to the security page.
            outcome = submit_once.run(
                request,
                lambda: services.totp_confirm(
                    user=user, device=device, code=form.cleaned_data["code"]
                ),
                result_url=lambda codes: reverse("accounts:security"),
                required=True,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if outcome.repeated:
                messages.info(request, ENROLLED_ALREADY)
                return redirect(outcome.url)
            codes = outcome.result
            device.refresh_from_db()
            two_factor.mark_verified(request, device)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": [services.format_recovery_code(c) for c in codes], "next": next_url},
            )
    secret = _b32(device)
    return render(
        request,
        "accounts/second_step.html",
        {
            "form": form,
            "next": next_url,
            "enrol": True,
            "qr": _qr_svg(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "may_skip": not two_factor.requires_two_factor(user),
        },
        status=400 if form.errors else 200,
    )


def _b32(device) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode().rstrip("=")


@never_cache
@login_required
@submit_once.guard(submit_once.SESSION_ONLY)
def step_up(request: HttpRequest):
    """The code again, for a page that shows personal data when the last check is not fresh
    (`REVEAL_STEP_UP_MINUTES`); then back to that page."""
    user = request.user
    next_url = _next(request)
    if not two_factor.has_device(user):
        return redirect(reverse("accounts:two_factor") + _query_next(next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify_code(user, form.cleaned_data["code"])
        if device is not None:
            two_factor.mark_verified(request, device)
            return redirect(next_url)
        form.add_error(
            "code", gettext("That code is not right. Enter the newest code your app shows.")
        )
    return render(
        request,
        "accounts/step_up.html",
        {
            "form": form,
            "next": next_url,
            "minutes": settings.REVEAL_STEP_UP_MINUTES,
            "security_keys": two_factor.security_keys(user).exists(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@submit_once.guard(submit_once.SESSION_ONLY)
def skip(request: HttpRequest):
    """ "Not now": for a user whose role does not require a second factor and who has none."""
    if not request.user.is_authenticated:
        return redirect("login")
    user = request.user
    if two_factor.requires_two_factor(user) or two_factor.has_device(user):
        raise PermissionDenied("Your role needs two-factor sign-in.")
    two_factor.mark_skipped(request)
    messages.info(
        request,
        "Signed in without a second factor. You will be asked to set one up before you can "
        "see any victim's personal data.",
    )
    return redirect(_next(request))


@never_cache
@login_required
@submit_once.guard(submit_once.REQUIRED, repeated=CODES_ALREADY)
def security(request: HttpRequest):
    """The person's own page: their authenticator, recovery codes, recent sign-in events."""
    user = request.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            submit_once.check_sent(request)  # before the code, which works only once, is spent
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if two_factor.verify_code(user, form.cleaned_data["code"]) is None:
                earlier = submit_once.earlier_result(request)  # the code of a double click
                if earlier:
                    messages.info(request, CODES_ALREADY)
                    return redirect(earlier)
                form.add_error(
                    "code",
                    gettext("That code is not right. Enter the newest code your app shows."),
                )
        if not form.errors:
            try:
                outcome = submit_once.run(
                    request,
                    lambda: services.recovery_codes_new(user=user),
                    result_url=lambda codes: reverse("accounts:security"),
                    required=True,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if outcome.repeated:
                    messages.info(request, CODES_ALREADY)
                    return redirect(outcome.url)
                codes = outcome.result
                return render(
                    request,
                    "accounts/recovery_codes.html",
                    {
                        "codes": [services.format_recovery_code(c) for c in codes],
                        "next": reverse("accounts:security"),
                    },
                )
    return render(
        request,
        "accounts/security.html",
        {
            "form": form,
            "devices": list(two_factor.totp_devices(user)),
            "security_keys": list(two_factor.security_keys(user)),
            "fresh": two_factor.is_fresh(request),
            "recovery_left": two_factor.remaining_recovery_codes(user),
            "events": AccountEvent.objects.filter(user=user).select_related("acting_user")[:20],
            "requires": two_factor.requires_two_factor(user),
        },
        status=400 if form.errors else 200,
    )


@never_cache
def password_by_link(request: HttpRequest, uidb64: str, token: str):
    """Set a password through the one-time link HQ issued; the link then stops working."""
    User = get_user_model()
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "accounts/password_link_invalid.html", status=404)
    form = PasswordByLinkForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_set_by_link(user=user, password=form.cleaned_data["new_password1"])
        messages.success(request, gettext("Your password is set. Sign in with it now."))
        return redirect("login")
    return render(
        request,
        "accounts/password_set.html",
        {"form": form, "person": user},
        status=400 if form.errors else 200,
    )


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked sign-in: how long, and how to reach HQ (429)."""
    from axes.helpers import get_client_username

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {
            "username": get_client_username(request, credentials) or "",
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": minutes,
        },
        status=429,
    )


# --- HQ's page for one user ----------------------------------------------------------------------


def _hq_only(request) -> None:
    if not request.user.is_authenticated:
        raise PermissionDenied
    if not access.is_hq(request.user) or not two_factor.factor_of(request).verified:
        raise PermissionDenied("Only HQ, signed in with a second factor, may do this.")


@never_cache
@login_required
@require_safe
def hq_users(request: HttpRequest):
    """HQ finds a user by username or name."""
    _hq_only(request)
    query = (request.GET.get("q") or "").strip()
    users = []
    if query:
        from django.db.models import Q

        users = list(
            get_user_model()
            .objects.filter(
                Q(username__icontains=query)
                | Q(first_name__icontains=query)
                | Q(last_name__icontains=query)
            )
            .order_by("username")[:50]
        )
    return render(request, "accounts/hq_users.html", {"query": query, "users": users})


ACTIONS = {
    "reset": (services.devices_reset, "Two-factor sign-in of {u} is reset; their sessions ended."),
    "unlock": (services.sign_in_unlock, "Sign-in of {u} is unlocked."),
}


@never_cache
@login_required
@submit_once.guard(submit_once.REQUIRED, repeated=HQ_ALREADY)
def hq_user(request: HttpRequest, username: str):
    """One user's sign-in, for HQ: second factor, lock, recent events; reset, unlock and
    one-time password link, each with a reason."""
    _hq_only(request)
    person = get_user_model().objects.filter(username=username).first()
    if person is None:
        raise Http404("No such user.")
    forms_by_action = {name: ReasonForm(prefix=name) for name in [*ACTIONS, "link"]}
    link = None
    action = request.POST.get("action")
    if request.method == "POST" and action in forms_by_action:
        form = forms_by_action[action] = ReasonForm(request.POST, prefix=action)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            here = reverse("accounts:hq_user", kwargs={"username": person.get_username()})
            if action == "link":
                service, done = services.password_link_issue, ""
            else:
                service, done = ACTIONS[action]
            try:
                # Each action writes an AccountEvent (a link also works until used): a second
                # post of the same form is told so, and does nothing again.
                outcome = submit_once.run(
                    request,
                    lambda: service(acting_user=request.user, user=person, reason=reason),
                    result_url=lambda result: here,
                    required=True,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if outcome.repeated:
                    messages.info(request, HQ_ALREADY)
                    return redirect(here)
                if action != "link":
                    messages.success(request, done.format(u=person.get_username()))
                    return redirect(here)
                link = request.build_absolute_uri(outcome.result)
    return render(
        request,
        "accounts/hq_user.html",
        {
            "person": person,
            "forms": forms_by_action,
            "link": link,
            "devices": list(two_factor.totp_devices(person)),
            "security_keys": list(two_factor.security_keys(person)),
            "recovery_left": two_factor.remaining_recovery_codes(person),
            "locked": services.locked_out(person),
            "requires": two_factor.requires_two_factor(person),
            "events": AccountEvent.objects.filter(user=person).select_related("acting_user")[:30],
            "link_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        },
        status=400 if any(f.errors for f in forms_by_action.values()) else 200,
    )


@never_cache
@submit_once.guard(submit_once.WHEN_SENT)  # the same language chosen again changes nothing
def set_language(request: HttpRequest):
    """The header's language switcher (`/i18n/setlang/`): Django's own view sets the cookie and
    sends the person back; a signed-in person's choice is also kept as their preference, so
    that it follows them to another browser (accounts/preferences.py)."""
    from django.views.i18n import set_language as django_set_language

    from accounts import preferences

    response = django_set_language(request)
    language = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
    ):
        services.preference_set(acting_user=request.user, language=language)
        request.session[preferences.SESSION_LANGUAGE] = language
    return response


@never_cache
@login_required
@submit_once.guard(submit_once.WHEN_SENT)  # the same choices saved again change nothing
def preferences_page(request: HttpRequest):
    """The person's own language and time zone."""
    from django.utils.translation import gettext as _

    from accounts import preferences
    from accounts.forms import PreferenceForm

    language, zone = preferences.of(request.user)
    chosen = getattr(getattr(request.user, "preference", None), "time_zone", "")
    form = PreferenceForm(
        request.POST or None,
        initial={"language": language, "time_zone": chosen},
        office_zone=preferences.default_zone(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_set(
                acting_user=request.user,
                language=form.cleaned_data["language"],
                time_zone=form.cleaned_data["time_zone"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            language, _zone = preferences.remember(request.session, request.user)
            response = redirect("accounts:preferences")
            if language:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    language,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                )
            with translation.override(language or translation.get_language()):
                messages.success(request, _("Saved: your language and time zone."))
            return response
    return render(
        request,
        "accounts/preferences.html",
        {"form": form, "zone": zone},
        status=400 if form.errors else 200,
    )
