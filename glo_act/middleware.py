"""Answers for requests the application cannot or will not serve, given before a view runs.

- API request limits: a body longer than `API_MAX_BODY_BYTES` (413) or a malformed
  Content-Length (400), as problem+json and before the body is read. (A content type no
  parser reads is DRF's 415, JSON nested too deep the parser's 400: glo_act/drf_defaults.py.)
- The database unreachable, or a statement cancelled by its timeout: 503 with Retry-After,
  problem+json on the API and a plain page elsewhere, instead of a 500 (docs/resilience.md).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

# What a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 10

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def database_unavailable(request):
    """503 + Retry-After: problem+json on the API, a page that needs no database elsewhere."""
    from django.http import HttpResponse
    from django.template import loader

    from glo_act.views import api_problem

    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    if is_api(request):
        return api_problem(
            503,
            "Service unavailable",
            "The database is unreachable or did not answer in time. Retry after "
            f"{DATABASE_RETRY_AFTER_SECONDS} seconds; a POST retried with the same "
            "Idempotency-Key is not done twice.",
            type_="database-unavailable",
            headers=headers,
        )
    page = loader.get_template("errors/503.html").render(
        {"retry_after": DATABASE_RETRY_AFTER_SECONDS}
    )
    return HttpResponse(page, status=503, headers=headers)


def log_database_unavailable(request, exc: BaseException) -> None:
    # The exception's class and the view's name only: a database error's text may quote values.
    match = getattr(request, "resolver_match", None)
    logger.error(
        "Database unavailable (%s) during %s %s; answered 503.",
        exc.__class__.__name__,
        request.method,
        match.view_name if match else "an unresolved path",
    )


class ResilienceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api(request):
            refusal = self.refuse_body(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def refuse_body(request):
        from glo_act.views import api_problem

        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            return api_problem(400, "Invalid request", "Content-Length is not a whole number.")
        if length == 0:
            return None
        # A type no parser of the view reads is DRF's 415, told before the body is read.
        media_type = request.content_type or ""
        if media_type != "multipart/form-data" and length > settings.API_MAX_BODY_BYTES:
            return body_too_large(settings.API_MAX_BODY_BYTES)
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            log_database_unavailable(request, exception)
            return database_unavailable(request)
        if isinstance(exception, RequestDataTooBig) and is_api(request):
            return body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None


def body_too_large(limit: int):
    from glo_act.views import api_problem

    return api_problem(
        413,
        "Request body too large",
        f"The request body is longer than {limit} bytes, the most this API reads.",
    )
