"""Process-level views: health probes and the error pages people see."""

from __future__ import annotations

from django.conf import settings
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
    """200 when the database and (if configured) Redis answer; 503 with the reason otherwise."""
    problems: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure means "not ready"; the class name is the reason
        problems["database"] = f"unreachable ({exc.__class__.__name__})"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
            ).ping()
        except Exception as exc:
            problems["redis"] = f"unreachable ({exc.__class__.__name__})"
    if problems:
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    return JsonResponse({"status": "ok"})


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _api_problem(status: int, title: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {
            "type": f"https://glo-act.fia.gov.pk/problems/{status}",
            "title": title,
            "status": status,
            "detail": detail,
        },
        status=status,
        content_type="application/problem+json",
    )


def page_not_found(request, exception=None):
    if _is_api(request):
        return _api_problem(404, "Not found", "There is no such endpoint.")
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if _is_api(request):
        return _api_problem(500, "Server error", "The error was recorded; try again later.")
    # No context processors: the failure may be in one of them.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


def csrf_failure(request, reason=""):
    return render(request, "errors/csrf.html", status=403)
