"""Configuration from the environment: strict parsing, secrets from files, a production guard.

Settings are read once per process, so each case starts a fresh Python with a controlled
environment (nothing inherited from the shell that runs the suite).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from glo_act.env import env_bool, env_secret, env_url

ROOT = Path(__file__).resolve().parents[2]

# What a real deployment sets: DEBUG off and secrets of its own.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k7Qv-2mZpL9xR4tW8yB1nC6dF3gH5jK0sA7eU2iO9pX4vM1qT8zY3wN6bD5cE0rS",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "BLIND_INDEX_KEY": "blind-index-key-of-this-deployment-only",
    "ALLOWED_HOSTS": "glo-act.fia.example",
    "CLAMD_ADDRESS": "tcp://clamav.internal:3310",
}

SHOW_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SECRET_KEY); print(s.DEBUG); print(s.DATABASES['default']['ENGINE'])"
)


def run(args: list[str], **environ: str) -> subprocess.CompletedProcess:
    """Run the project's Python with only `environ` (plus PATH) set."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **environ}
    env.setdefault("DJANGO_SETTINGS_MODULE", "glo_act.settings")
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def start(**environ: str) -> subprocess.CompletedProcess:
    return run(["-c", SHOW_SETTINGS], **environ)


def test_it_starts_in_development_with_no_configuration_at_all():
    result = start(DEBUG="1")
    assert result.returncode == 0, result.stderr
    _, debug, engine = result.stdout.splitlines()
    assert debug == "True"
    assert engine == "django.db.backends.sqlite3"


def test_with_nothing_set_it_is_development_so_a_fresh_checkout_runs_manage_py():
    result = start()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "True"
    migrations = run(["manage.py", "makemigrations", "--check", "--dry-run"])
    assert migrations.returncode == 0, migrations.stderr
    assert "No changes detected" in migrations.stdout


def test_development_mode_refuses_a_public_host_name():
    # A deployment that forgot DEBUG=0 stops instead of serving debug pages with public keys.
    result = start(ALLOWED_HOSTS="glo-act.fia.example")
    assert result.returncode != 0
    assert "DEBUG is on (development mode) but ALLOWED_HOSTS names" in result.stderr
    assert "glo-act.fia.example" in result.stderr


def test_it_starts_in_production_with_its_own_secrets():
    result = start(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [PRODUCTION["SECRET_KEY"], "False"]


def test_it_refuses_a_malformed_debug_flag_and_names_it():
    result = start(DEBUG="maybe")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG='maybe' is not a boolean" in result.stderr


@pytest.mark.parametrize(
    "value",
    [
        "mysql://glo:act@db/glo_act",  # a scheme we do not run on
        "postgres://postgres@db:port/glo_act",  # a port that is not a number
        "postgres:///glo_act",  # no host
    ],
)
def test_it_refuses_a_malformed_database_url_and_names_it(value):
    result = start(DEBUG="1", DATABASE_URL=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL" in result.stderr


@pytest.mark.parametrize("value", ["127.0.0.1:6379", "http://127.0.0.1:6379/0", "redis://:x@"])
def test_it_refuses_a_malformed_redis_url_and_names_it(value):
    result = start(DEBUG="1", REDIS_URL=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured: REDIS_URL" in result.stderr


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY is the public development key"),
        ("FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_KEY is the public development key"),
        ("BLIND_INDEX_KEY", "BLIND_INDEX_KEY is the public development key"),
        # Uploaded files are scanned by clamd in production, never by the development scanner.
        ("CLAMD_ADDRESS", "DEBUG is off but CLAMD_ADDRESS is not set"),
    ],
)
def test_production_refuses_to_start_with_a_default_secret(missing, message):
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = start(**environ)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_the_development_key_among_rotated_encryption_keys():
    from glo_act.settings import DEV_FIELD_ENCRYPTION_KEY

    result = start(
        **{
            **PRODUCTION,
            "FIELD_ENCRYPTION_KEY": f"{PRODUCTION['FIELD_ENCRYPTION_KEY']},"
            f"{DEV_FIELD_ENCRYPTION_KEY}",
        }
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is the public development key" in result.stderr


def test_it_reads_secrets_from_files_named_by_the_file_variables(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("a-secret-mounted-as-a-file-by-docker-or-kubernetes-0123456789\n")
    environ = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = start(**environ, SECRET_KEY_FILE=str(secret))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "a-secret-mounted-as-a-file-by-docker-or-kubernetes-0123456789"
    )


def test_an_unreadable_secret_file_is_an_error_naming_the_variable(tmp_path):
    result = start(DEBUG="1", SECRET_KEY_FILE=str(tmp_path / "absent"))
    assert result.returncode != 0
    assert "SECRET_KEY_FILE=" in result.stderr
    assert "cannot be read" in result.stderr


def test_check_deploy_is_clean_with_production_variables():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_sends_the_security_headers_check_deploy_asks_for():
    """The settings behind a clean `check --deploy`, as a production process loads them."""
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS, s.SESSION_EXPIRE_AT_BROWSER_CLOSE)"
    )
    result = run(["-c", script], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    hsts, *flags, frame, expire = result.stdout.split()
    assert int(hsts) >= 60 * 60 * 24 * 365
    assert flags == ["True", "True", "True"]
    assert frame == "DENY"
    assert expire == "True"


# The readers themselves, on a given environment rather than the process's.


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("Yes", True), (" on ", True), ("0", False), ("FALSE", False), ("", True)],
)
def test_env_bool_reads_the_usual_spellings_and_falls_back_when_blank(raw, expected):
    assert env_bool("FLAG", default=True, environ={"FLAG": raw}) is expected


def test_env_bool_names_the_variable_it_refuses():
    with pytest.raises(ImproperlyConfigured, match="SESSION_COOKIE_SECURE='sure'"):
        env_bool("SESSION_COOKIE_SECURE", default=True, environ={"SESSION_COOKIE_SECURE": "sure"})


def test_env_url_keeps_a_well_formed_url_and_uses_the_default_when_unset():
    url = "postgres://glo:act@db.internal:5432/glo_act"
    assert env_url("DATABASE_URL", None, {"postgres"}, environ={"DATABASE_URL": url}) == url
    assert env_url("REDIS_URL", None, {"redis"}, environ={}) is None


def test_env_secret_prefers_the_file_over_the_variable(tmp_path):
    (tmp_path / "key").write_text("from-the-file\n")
    environ = {
        "BLIND_INDEX_KEY": "from-the-variable",
        "BLIND_INDEX_KEY_FILE": str(tmp_path / "key"),
    }
    assert env_secret("BLIND_INDEX_KEY", environ=environ) == "from-the-file"
