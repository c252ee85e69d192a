"""Personal data no configured key opens: a clear answer at every door, not a server error.

The victim page's Reveal says so in place (victims/views.py), as the admin does; any other
door that decrypts (the edit form, the API, an export) ends here: 503 with a page, or
problem+json on the API, saying the data cannot be read now and that HQ can restore the key.
`victims.access` has already logged which victim and field (never the value).
"""

from __future__ import annotations

from django.shortcuts import render

from victims.crypto import PersonalDataUnreadable


class PersonalDataUnreadableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PersonalDataUnreadable):
            return None
        from glo_act.middleware import is_api
        from glo_act.views import api_problem

        if is_api(request):
            return api_problem(
                503,
                "Personal data cannot be read",
                "This victim's personal data is encrypted with a key the system does not hold "
                "now; nothing was shown or recorded. Ask FIA headquarters.",
                type_="personal-data-unreadable",
            )
        return render(request, "errors/personal_data_unreadable.html", status=503)
