"""Process-level views: health probes and the error pages people see."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request):
    """200 while the process runs; no dependency is touched."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@never_cache
def readyz(request):
    """Whether this process can serve, component by component.

    - 503 `cannot serve`: the database does not answer (within its connect and statement
      timeouts); nothing works without it.
    - 200 `degraded`: the cache or the broker (Redis) does not answer. Pages and the API still
      work (the throttle lets requests through, notifications wait in the outbox until the
      broker is back), so a load balancer must keep sending traffic.
    - 200 `ok` otherwise. `components` names each part and what was found.
    """
    components = {"database": _database_state()}
    for name, state in _redis_states().items():
        components[name] = state
    if components["database"] != "ok":
        return JsonResponse({"status": "cannot serve", "components": components}, status=503)
    degraded = sorted(name for name, state in components.items() if state.startswith("unreach"))
    if degraded:
        return JsonResponse({"status": "degraded", "degraded": degraded, "components": components})
    return JsonResponse({"status": "ok", "components": components})


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure means "cannot serve"; the class name is the reason
        return f"unreachable ({exc.__class__.__name__})"
    return "ok"


def _redis_states() -> dict[str, str]:
    """The cache (API throttle) and the Celery broker; one ping per distinct Redis URL."""
    urls = {
        "cache": settings.REDIS_URL,
        "broker": settings.CELERY_BROKER_URL
        if str(settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://"))
        else None,
    }
    answers: dict[str, str] = {}
    states = {}
    for name, url in urls.items():
        if not url:
            states[name] = "in-process (no Redis configured)"
            continue
        if url not in answers:
            answers[url] = _ping(url)
        states[name] = answers[url]
    return states


def _ping(url: str) -> str:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping()
    except Exception as exc:
        return f"unreachable ({exc.__class__.__name__})"
    return "ok"


def bad_request(request, exception=None):
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            from glo_act.middleware import body_too_large

            return body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return api_problem(400, "Invalid request", "The request could not be read.")
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    if _is_api(request):
        return api_problem(403, "Not allowed", "You may not do this.")
    return render(request, "errors/403.html", status=403)


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def api_problem(
    status: int, title: str, detail: str, *, type_: str | None = None, headers=None
) -> JsonResponse:
    """A problem+json answer given outside DRF (middleware, Django's error handlers), in the
    shape `glo_act.api.problem` gives inside it."""
    return JsonResponse(
        {
            "type": f"https://glo-act.fia.gov.pk/problems/{type_ or status}",
            "title": title,
            "status": status,
            "detail": detail,
        },
        status=status,
        content_type="application/problem+json",
        headers=headers,
    )


def page_not_found(request, exception=None):
    if _is_api(request):
        return api_problem(404, "Not found", "There is no such endpoint.")
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Called while the exception is handled: one that escaped the middleware's own check (in a
    # middleware, say) is still a database outage, not a server error.
    from glo_act.middleware import DATABASE_UNAVAILABLE, database_unavailable

    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    if _is_api(request):
        return api_problem(500, "Server error", "The error was recorded; try again later.")
    # No context processors: the failure may be in one of them.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


def csrf_failure(request, reason=""):
    return render(request, "errors/csrf.html", status=403)
