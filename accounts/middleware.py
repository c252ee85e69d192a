"""`TwoFactorMiddleware`: a signed-in session reaches the site only after its second factor.

It reads the session alone (no query): a session signed in with a password but not yet
through the second step is sent to `/accounts/two-factor/` (pages, the admin) or answered
403 (the API, with a problem+json body). The sign-in pages themselves, sign-out, static files
and the health probes stay open. API requests with a token carry no session and pass; their
second factor was checked when the token was issued.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import SESSION_KEY
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.two_factor import session_factor
from accounts.webauthn import OPEN_PATHS as WEBAUTHN_OPEN_PATHS

OPEN_PREFIXES = ("/static/", "/healthz", "/readyz", "/accounts/password/", *WEBAUTHN_OPEN_PATHS)


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
