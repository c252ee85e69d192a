"""Browser tests: headless Debian Chromium driven by Playwright against pytest-django's
`live_server`, on the demo data (`seed_demo`), with a real Celery worker delivering
notifications (the worker harness of tests/integration).

A failed test leaves a full-page screenshot of every page it had open in `test-artifacts/`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from glo_act.celery import app as celery_app

# Playwright's sync API runs an event loop in this thread; Django's ORM (the test's own setup
# and the live server, which share the process) would otherwise refuse to run beside it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "browser-demo-password-1"
QUEUE = f"glo_act_browser_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell a failed test at teardown."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def chromium(django_db_setup):
    """One headless Chromium for the session.

    Starting Playwright's sync API moves this thread into another greenlet, whose context
    gives Django a fresh connection object for the same database, without the contents that
    `django_db_setup` serialized for `serialized_rollback`. They are handed over here, or a
    transactional test after this point would restore nothing, and every test after it would
    find the migrated reference data (countries, legal provisions) gone.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            if not hasattr(connections[alias], "_test_serialized_contents"):
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def celery_eager():
    """Deliver in-process while seeding, so the demo's events never reach a shared queue."""
    conf = celery_app.conf
    before = conf.task_always_eager
    conf.task_always_eager = True
    try:
        yield
    finally:
        conf.task_always_eager = before


@pytest.fixture
def demo(transactional_db, monkeypatch):
    """The demo offices, partners, users, cases and victims, committed for the live server."""
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    with celery_eager():
        call_command("seed_demo", force=True, stdout=io.StringIO())


@pytest.fixture
def worker(demo, tmp_path):
    """A real `celery worker` on the test database and a queue of its own; this process
    publishes to that queue while the test runs.
    """
    from tests.integration.test_delivery_worker import (
        SHARED_REDIS,
        Worker,
        this_process_publishes_to,
    )

    mail = tmp_path / "mail"
    mail.mkdir()
    process = Worker(broker=SHARED_REDIS, queue=QUEUE, email_dir=mail, log=tmp_path / "w.log")
    with this_process_publishes_to(SHARED_REDIS, QUEUE):
        process.start()
        try:
            yield process
        finally:
            process.stop()
            with contextlib.suppress(redis.RedisError):
                redis.Redis.from_url(SHARED_REDIS).delete(
                    QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}"
                )


def demo_code(username: str) -> str:
    """A code the demo user's authenticator (`DEMO_TOTP_SECRET`) accepts now.

    A code works once: when this user already signed in during this 30-second step, the next
    step's code is used (accepted as one step of clock drift), waiting if even that was used.
    """
    import time

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.demo import DEMO_DEVICE_NAME
    from tests.two_factor import code_for

    device = TOTPDevice.objects.get(user__username=username, name=DEMO_DEVICE_NAME)
    while True:
        now_t = int(time.time() - device.t0) // device.step
        ahead = max(0, device.last_t + 1 - now_t)
        if ahead <= device.tolerance:
            return code_for(device, steps_ahead=ahead)
        time.sleep(1)


def complete_second_step(page, username: str) -> None:
    """On the "Enter your code" page: type the demo authenticator's code and continue."""
    page.fill("#id_code", demo_code(username))
    page.click("form:has(#id_code) button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*accounts/(login|two-factor)).*$"))


@pytest.fixture
def sign_in(chromium, live_server, request):
    """`sign_in("ilo.gbr")` → a Playwright page in its own browser context, signed in with
    the password and the demo authenticator's code (tests/two_factor.py).

    At teardown, if the test failed, every page opened is saved as a screenshot.
    """
    opened = []

    def _sign_in(username: str, *, width: int = 1280, height: int = 900):
        context = chromium.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        opened.append((username, page))
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r".*accounts/two-factor/.*"))
        complete_second_step(page, username)
        return page

    yield _sign_in
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    for username, page in opened:
        if failed:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{name}-{username}.png"), full_page=True)
        page.context.close()


@pytest.fixture
def eager(demo):
    """For tests without a worker: whatever they publish is delivered in-process."""
    with celery_eager():
        yield


def give_reveal_reason(page, reason: str = "Preparing the statement for the prosecutor") -> None:
    """Fill the reveal form's reason (victims.forms.RevealForm): a purpose and a few words."""
    page.select_option("#personal select[name=purpose]", "case_work")
    page.fill("#personal input[name=reason]", reason)
