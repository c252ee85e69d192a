"""Fixtures shared by the whole suite: the fixed cast and query-count assertions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.cast import PASSWORD, build_cast
from tests.two_factor import force_login_verified

# A forced login is a whole sign-in: password and second factor (tests/two_factor.py says why
# and how to get a session that has passed the password step only).
Client.force_login = force_login_verified


def ensure_reference_data() -> None:
    """Reload the migrations' reference data if a transactional test flushed it.

    `transaction=True` tests end with a flush; without `serialized_rollback` the countries and
    legal provisions loaded by data migrations would be gone for every later test.
    """
    from importlib import import_module

    from django.apps import apps

    from cases.law import PROVISIONS
    from cases.models import LegalProvision, Statute
    from liaison_offices.models import Country

    if not Country.objects.exists():
        import_module("liaison_offices.migrations.0002_load_countries").load_countries(apps, None)
    if not Statute.objects.exists():
        import_module("cases.migrations.0009_statutes").load_statutes(apps, None)
    if not LegalProvision.objects.exists():
        for act, section, title in PROVISIONS:
            LegalProvision.objects.create(act_id=act, section=section, title=title)


def pytest_collection_modifyitems(config, items):
    """`make test-fast` runs on SQLite without Redis: what needs the real parts is skipped there,
    with the reason. `make test` (and CI) has both, so nothing is skipped."""
    from django.conf import settings

    on_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    without_redis = not settings.REDIS_URL
    for item in items:
        if on_sqlite and item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (make test)"))
        needs_redis = item.get_closest_marker("redis") or item.get_closest_marker("worker")
        if without_redis and needs_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis (make test)"))


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts and ends in the site's language: a page request activates the reader's
    (django.middleware.locale, accounts/middleware.py) on this thread and leaves it active."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def cast(db):
    ensure_reference_data()
    return build_cast()


@pytest.fixture
def login(client):
    """Sign a cast member in on the Django test client, second factor passed: `login(cast.uk)`."""

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture
def cast_password():
    return PASSWORD


class QueryCounter(CaptureQueriesContext):
    """Asserts an exact number of queries and prints the SQL when it is wrong."""

    def __init__(self, expected: int):
        super().__init__(connection)
        self.expected = expected

    def __exit__(self, exc_type, exc, tb):
        super().__exit__(exc_type, exc, tb)
        if exc_type is None and len(self) != self.expected:
            listing = "\n".join(
                f"{i}. {q['sql']}" for i, q in enumerate(self.captured_queries, start=1)
            )
            raise AssertionError(f"expected {self.expected} queries, ran {len(self)}:\n{listing}")


@pytest.fixture
def assert_queries():
    """`with assert_queries(3): ...` — exact count; prints every query on a mismatch."""
    return QueryCounter


@pytest.fixture(scope="session")
def clamd_address(tmp_path_factory):
    """A real clamd for the session (tests/clamd.py): its CLAMD_ADDRESS."""
    from tests.clamd import start_clamd, stop_clamd

    address, process = start_clamd(tmp_path_factory.mktemp("clamd"))
    yield address
    stop_clamd(process)


@pytest.fixture
def clamd(settings, clamd_address):
    """Scan uploads with the real clamd for this test."""
    settings.EVIDENCE_SCANNER = "clamd"
    settings.CLAMD_ADDRESS = clamd_address
    return clamd_address


@pytest.fixture
def evidence_root(settings, tmp_path):
    """A fresh evidence storage directory for this test (the encrypted files land here)."""
    root = tmp_path / "evidence"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root
