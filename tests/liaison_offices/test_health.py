"""/healthz (the process runs) and /readyz (the database and Redis answer)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_is_ready_when_the_database_and_redis_answer(client, settings):
    assert settings.REDIS_URL, "the suite runs against a real Redis (REDIS_URL)"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_with_the_reason_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["problems"]["redis"].startswith("unreachable (")
    assert "database" not in body["problems"]


@pytest.mark.django_db
def test_readyz_does_not_ask_redis_when_none_is_configured(client, settings):
    settings.REDIS_URL = None
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_is_unreachable_but_healthz_stays_up():
    """A process whose DATABASE_URL points at a port nobody listens on."""
    script = (
        "import django, json; django.setup(); from django.test import Client; c = Client(); "
        "r = c.get('/readyz'); h = c.get('/healthz'); "
        "print(json.dumps([r.status_code, json.loads(r.content), h.status_code]))"
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "glo_act.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/glo_act",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    status, body, healthz = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body == {
        "status": "unavailable",
        "problems": {"database": "unreachable (OperationalError)"},
    }
    assert healthz == 200
