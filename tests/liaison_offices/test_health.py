"""/healthz (the process runs) and /readyz (can it serve, part by part), and what the site
answers while its database is unreachable or silent."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.faults import SilentServer, django_process, spare_port


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_is_ok_when_every_part_answers(client, settings):
    assert settings.REDIS_URL, "the suite runs against a real Redis (REDIS_URL)"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "components": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


@pytest.mark.redis  # the cache is in-process without REDIS_URL (make test-fast)
@pytest.mark.django_db
def test_readyz_is_degraded_not_down_when_redis_is_unreachable(client, settings):
    """Pages and the API work without Redis: a load balancer must keep sending traffic."""
    settings.REDIS_URL = settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{spare_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["broker", "cache"]
    assert body["components"] == {
        "database": "ok",
        "cache": "unreachable (ConnectionError)",
        "broker": "unreachable (ConnectionError)",
    }


@pytest.mark.redis  # the cache is in-process without REDIS_URL (make test-fast)
@pytest.mark.django_db
def test_readyz_names_the_broker_alone_when_only_it_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{spare_port()}/0"
    body = client.get("/readyz").json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["broker"]
    assert body["components"]["cache"] == "ok"


@pytest.mark.django_db
def test_readyz_does_not_ask_redis_when_none_is_configured(client, settings):
    settings.REDIS_URL = None
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["components"]["broker"] == "in-process (no Redis configured)"


ON_A_DEAD_DATABASE = """
started = __import__("time").monotonic()
ready = client.get("/readyz")
seconds = __import__("time").monotonic() - started
api = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789")
healthz = client.get("/healthz").status_code  # as a probe asks: no cookie
client.cookies["sessionid"] = "no-such-session-but-it-must-be-looked-up"
page = client.get("/cases/")
print(json.dumps({
    "ready": [ready.status_code, json.loads(ready.content)],
    "seconds": seconds,
    "healthz": healthz,
    "api": [api.status_code, api["Content-Type"], api.get("Retry-After"),
            json.loads(api.content)],
    "page": [page.status_code, page["Content-Type"], page.get("Retry-After"),
             page.content.decode()],
}))
"""


@pytest.mark.redis  # its process's cache is Redis (the body says the cache is ok)
def test_a_database_nobody_listens_on_cannot_serve_api_and_pages_say_503():
    seen = django_process(
        ON_A_DEAD_DATABASE, DATABASE_URL=f"postgres://postgres@127.0.0.1:{spare_port()}/glo_act"
    )
    status, body = seen["ready"]
    assert status == 503
    assert body["status"] == "cannot serve"
    assert body["components"]["database"] == "unreachable (OperationalError)"
    assert body["components"]["cache"] == "ok"
    assert seen["healthz"] == 200
    # The API: problem+json with Retry-After, not a 500.
    status, content_type, retry_after, problem = seen["api"]
    assert (status, content_type, retry_after) == (503, "application/problem+json", "10")
    assert problem["type"].endswith("/database-unavailable")
    assert "Retry after 10 seconds" in problem["detail"]
    # A page: the plain 503 page, which needs no database.
    status, content_type, retry_after, html = seen["page"]
    assert (status, retry_after) == (503, "10")
    assert content_type.startswith("text/html")
    assert "briefly unavailable" in html


def test_a_database_that_accepts_and_never_answers_gives_readyz_an_answer_in_time():
    """Without a connect timeout, /readyz waited on such a database for as long as TCP lets it."""
    with SilentServer() as silent:
        seen = django_process(
            ON_A_DEAD_DATABASE,
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{silent.port}/glo_act",
            DATABASE_CONNECT_TIMEOUT_SECONDS="2",
        )
        assert silent.accepted, "the process did connect to the silent server"
    status, body = seen["ready"]
    assert status == 503
    assert body["components"]["database"] == "unreachable (OperationalError)"
    # Given up after the connect timeout (libpq's clock has whole seconds: up to one more).
    assert 1.5 < seen["seconds"] < 8, seen["seconds"]
    assert seen["api"][0] == seen["page"][0] == 503


@pytest.mark.postgres
@pytest.mark.django_db
def test_connections_carry_the_statement_timeout(settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["connect_timeout"] == 5


@pytest.mark.postgres
def test_a_statement_past_its_timeout_is_cancelled():
    from django.conf import settings

    url = settings.DATABASES["default"]
    seen = django_process(
        """
from django.db import connection, OperationalError
started = __import__("time").monotonic()
try:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(20)")
    outcome = "finished"
except OperationalError as exc:
    outcome = str(exc).splitlines()[0]
print(json.dumps([outcome, __import__("time").monotonic() - started]))
""",
        DATABASE_URL=f"postgres://{url['USER']}@{url['HOST']}:{url['PORT']}/postgres",
        DATABASE_STATEMENT_TIMEOUT_MS="300",
    )
    outcome, seconds = seen
    assert outcome == "canceling statement due to statement timeout"
    assert seconds < 10
