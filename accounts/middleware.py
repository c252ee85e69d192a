"""`TwoFactorMiddleware`: a signed-in session reaches the site only after its second factor.

It reads the session alone (no query): a session signed in with a password but not yet
through the second step is sent to `/accounts/two-factor/` (pages, the admin) or answered
403 (the API, with a problem+json body). The sign-in pages themselves, sign-out, static files
and the health probes stay open. API requests with a token carry no session and pass; their
second factor was checked when the token was issued.
"""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlencode

from django.contrib.auth import SESSION_KEY
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.two_factor import session_factor
from accounts.webauthn import OPEN_PATHS as WEBAUTHN_OPEN_PATHS

OPEN_PREFIXES = (
    "/static/",
    "/healthz",
    "/readyz",
    "/accounts/password/",
    "/i18n/",
    *WEBAUTHN_OPEN_PATHS,
)


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.open_paths = None

    def _open(self, path: str) -> bool:
        if self.open_paths is None:
            self.open_paths = {
                reverse("login"),
                reverse("logout"),
                reverse("accounts:two_factor"),
                reverse("accounts:skip"),
            }
        return path in self.open_paths or path.startswith(OPEN_PREFIXES)

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is None or not session.get(SESSION_KEY):
            return self.get_response(request)
        factor = session_factor(session)
        request.second_factor = factor
        if factor.passed or self._open(request.path):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "type": "about:blank",
                    "title": "Two-factor sign-in not completed",
                    "status": 403,
                    "detail": "This session signed in with a password only. Finish signing in "
                    "with your authenticator code on the site, or use an API token.",
                },
                status=403,
                content_type="application/problem+json",
            )
        target = reverse("accounts:two_factor")
        if request.method == "GET" and request.path != "/":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)


class PreferenceMiddleware:
    """A signed-in person's language and time zone, applied to every page request.

    Both come from the session (written at sign-in and when the person changes them,
    accounts/preferences.py), so a page costs no query for them; a session from before this
    existed reads them once. The language chosen overrides the cookie and the browser; no
    choice leaves LocaleMiddleware's answer. The API keeps UTC (ISO 8601 with offsets) and the
    language its client asks for (Accept-Language), so neither is applied under /api/.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import timezone, translation

        from accounts import preferences

        session = getattr(request, "session", None)
        signed_in = session is not None and session.get(SESSION_KEY)
        if not signed_in or request.path.startswith("/api/"):
            timezone.deactivate()
            return self.get_response(request)
        if preferences.SESSION_ZONE not in session:
            preferences.remember(session, request.user)
        language = session.get(preferences.SESSION_LANGUAGE)
        if language and language != translation.get_language():
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        try:
            zone = zoneinfo.ZoneInfo(session.get(preferences.SESSION_ZONE))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            zone = None
        if zone is None:
            timezone.deactivate()
            return self.get_response(request)
        timezone.activate(zone)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        if response.streaming and not isinstance(response, FileResponse):
            # An export's rows are written while the body is sent, after this returns.
            response.streaming_content = in_zone(response.streaming_content, zone)
        return response


def in_zone(chunks, zone):
    from django.utils import timezone

    with timezone.override(zone):
        yield from chunks
