#!/usr/bin/env python
"""Notification delivery latency: created -> delivered, through Redis and real Celery workers.

    .venv/bin/python bench/notifications.py                  # 20 events/s, then a ramp
    .venv/bin/python bench/notifications.py --seconds 20 --rates 10,20,40,80,160
    .venv/bin/python bench/notifications.py --out bench/results/notifications.json

What it does, all on 127.0.0.1 (not a test; run by hand or by bench/run.py):
1. a fresh database `glo_act_bench_notifications`, migrated; a link office with `--fanout`
   officers (10) and one case they lead;
2. its own `redis-server` on a spare port, and one `celery worker` (prefork, concurrency =
   nproc) with the production settings (DEBUG off, generated secrets, EMAIL_URL=dummy://, so
   the email path runs without a mail server);
3. for each rate (events/s): `publish()` of a "new message" event in its own transaction,
   paced to the rate for `--seconds`; each event tells the 10 officers in the inbox and by
   email (20 deliveries); waits until every event is dispatched;
4. after 3 s of unmeasured warm-up at 5 events/s, latency per delivery =
   `Delivery.delivered_at - NotificationEvent.created_at` (the outbox row
   is written in the publishing transaction, so this includes the commit, Redis, the queue
   wait and the worker), p50/p90/p99/max, and per event until its last delivery;
5. 20 events/s first (the issue's figure), then a ramp from `--rates` that stops at the first
   rate whose p99 passes 2 s (or that the publisher or the workers cannot keep up with).

Prints one JSON document (and writes it with --out), with the machine's description.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
DATABASE = "glo_act_bench_notifications"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
QUEUE = "glo_act_bench_notifications"
P99_LIMIT_MS = 2000.0


def log(message: str) -> None:
    print(f"[notifications {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[index], 1)


# --- the orchestrator ------------------------------------------------------------------------
def _sql(database: str, sql: str) -> list[tuple]:
    import psycopg2

    connection = psycopg2.connect(dbname=database, **PG)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def machine(redis_url: str, concurrency: int) -> dict:
    meminfo = Path("/proc/meminfo").read_text()
    total_kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    import celery
    import redis

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "memory_gib": round(total_kb / 1024 / 1024, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": _sql("postgres", "SHOW server_version")[0][0],
        "redis": redis.Redis.from_url(redis_url).info()["redis_version"],
        "celery": celery.__version__,
        "celery_workers": 1,
        "celery_concurrency": concurrency,
        "celery_pool": "prefork",
    }


def environment(redis_url: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "EMAIL_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="glo_act.settings",
        DEBUG="0",  # production settings: no query log growing in the workers
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        BLIND_INDEX_KEY=secrets.token_urlsafe(32),
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{DATABASE}",
        REDIS_URL=redis_url,
        CELERY_QUEUE=QUEUE,
        EMAIL_URL="dummy://",
        LOG_LEVEL="WARNING",
        GLO_ACT_TESTING="0",
        # Production settings refuse to start without a virus scanner's address; nothing is
        # uploaded here, so none is contacted.
        CLAMD_ADDRESS=os.environ.get("CLAMD_ADDRESS", "tcp://127.0.0.1:3310"),
    )
    return env


def orchestrate(args: argparse.Namespace) -> dict:
    processes: list[subprocess.Popen] = []
    log(f"fresh database {DATABASE}")
    _sql("postgres", f"DROP DATABASE IF EXISTS {DATABASE}")
    _sql("postgres", f"CREATE DATABASE {DATABASE}")
    port = spare_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    env = environment(redis_url)
    try:
        processes.append(
            subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=subprocess.DEVNULL,
            )
        )
        subprocess.run(
            [PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        concurrency = args.concurrency or os.cpu_count() or 1
        log(f"celery worker, prefork x{concurrency}, queue {QUEUE}")
        worker_log = open(ROOT / "var" / "bench-notifications-worker.log", "wb")  # noqa: SIM115
        processes.append(
            subprocess.Popen(
                [
                    PY,
                    "-m",
                    "celery",
                    "-A",
                    "glo_act",
                    "worker",
                    "-Q",
                    QUEUE,
                    f"--concurrency={concurrency}",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=WARNING",
                ],
                cwd=ROOT,
                env={**env, "CELERY_SKIP_CHECKS": "1"},
                stdout=worker_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        time.sleep(3)  # the worker connects; the first events would otherwise wait for it
        description = machine(redis_url, concurrency)
        done = subprocess.run(
            [
                PY,
                __file__,
                "--load",
                "--rates",
                args.rates,
                "--seconds",
                str(args.seconds),
                "--fanout",
                str(args.fanout),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        sys.stderr.write(done.stderr)
        result = json.loads(done.stdout)
    finally:
        for process in reversed(processes):
            with contextlib.suppress(ProcessLookupError):
                if process.args[0] == "redis-server":
                    process.kill()
                else:
                    os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
        if not args.keep:
            with contextlib.suppress(Exception):
                _sql("postgres", f"DROP DATABASE IF EXISTS {DATABASE}")
    return {
        "benchmark": "notifications: created -> delivered",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": description,
        "fanout": args.fanout,
        "channels": ["in_app", "email (dummy backend)"],
        "seconds_per_rate": args.seconds,
        **result,
    }


# --- the load (runs inside Django, with the orchestrator's environment) ---------------------
def load(args: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from cases.models import Case
    from liaison_offices import services
    from liaison_offices.constants import EventKind, PartnerKind, Role
    from liaison_offices.models import Country, Delivery, NotificationEvent
    from liaison_offices.notifications import publish

    User = get_user_model()
    pakistan, britain = Country.objects.get(iso3="PAK"), Country.objects.get(iso3="GBR")
    services.office_create(
        acting_user=None, code="HQ", name="HQ", country=pakistan, city="Islamabad"
    )
    office = services.office_create(
        acting_user=None, code="GBR", name="UK", country=britain, city="London"
    )
    services.partner_create(
        acting_user=None, name="Bench partner", kind=PartnerKind.EMBASSY, country=britain
    )
    for n in range(args.fanout):
        user = User.objects.create_user(f"bench.officer{n}", f"officer{n}@example.org", None)
        services.membership_add(acting_user=None, user=user, role=Role.OFFICER, office=office)
    case = Case.objects.create(
        reference="GBR-TIP-2026-00001", kind="TIP", lead_office=office, title="Benchmark case"
    )

    def measure(rate: int, seconds: int = args.seconds) -> dict:
        """Publish at `rate` events/s for `seconds`; latencies once all have arrived."""
        count = rate * seconds
        log(
            f"{rate} events/s for {seconds} s "
            f"({count} events, {count * args.fanout * 2} deliveries)"
        )
        first_id = None
        started = time.monotonic()
        for i in range(count):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            with transaction.atomic():
                event = publish(
                    kind=EventKind.CASE_MESSAGE,
                    subject=case,
                    offices=[office],
                    payload={"sequence": i},
                )
            first_id = first_id or event.pk
        achieved = count / (time.monotonic() - started)
        events = NotificationEvent.objects.filter(pk__gte=first_id)
        deadline = time.monotonic() + max(60, args.seconds * 6)
        while events.filter(dispatched_at__isnull=True).exists():
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        undelivered = events.filter(dispatched_at__isnull=True).count()
        rows = Delivery.objects.filter(event__in=events, delivered_at__isnull=False).values_list(
            "channel", "delivered_at", "event__created_at"
        )
        per_channel: dict[str, list[float]] = {}
        for channel, delivered_at, created_at in rows:
            ms = (delivered_at - created_at).total_seconds() * 1000
            per_channel.setdefault(channel, []).append(ms)
        every = [ms for values in per_channel.values() for ms in values]
        per_event = [
            (dispatched - created).total_seconds() * 1000
            for created, dispatched in events.filter(dispatched_at__isnull=False).values_list(
                "created_at", "dispatched_at"
            )
        ]
        step = {
            "events_per_s": rate,
            "achieved_events_per_s": round(achieved, 1),
            "events": count,
            "undelivered_events": undelivered,
            "deliveries": len(every),
            "delivery_ms": {
                "p50": percentile(every, 50),
                "p90": percentile(every, 90),
                "p99": percentile(every, 99),
                "max": round(max(every), 1) if every else None,
                "mean": round(statistics.fmean(every), 1) if every else None,
            },
            "by_channel_p99_ms": {c: percentile(v, 99) for c, v in per_channel.items()},
            "event_fully_delivered_ms": {
                "p50": percentile(per_event, 50),
                "p99": percentile(per_event, 99),
            },
        }
        log(f"{rate} events/s: {json.dumps(step['delivery_ms'])}")
        return step

    def fails(step: dict) -> bool:
        p99 = step["delivery_ms"]["p99"]
        too_slow = step["achieved_events_per_s"] < step["events_per_s"] * 0.9
        return bool(step["undelivered_events"] or p99 is None or p99 > P99_LIMIT_MS or too_slow)

    # A few seconds unmeasured first: the worker's processes open their database connections
    # and fill their caches. Then the figure (20 events/s), then the ramp up to the first
    # rate that fails.
    measure(5, seconds=3)
    at_20 = measure(20)
    steps = [at_20]
    for rate in sorted({int(r) for r in args.rates.split(",")}):
        step = at_20 if rate == 20 else measure(rate)
        if step is not at_20:
            steps.append(step)
        if fails(step):
            break
    steps.sort(key=lambda step: step["events_per_s"])
    passing = [step["events_per_s"] for step in steps if not fails(step)]
    failing = [step["events_per_s"] for step in steps if fails(step)]
    return {
        "at_20_events_per_s": at_20["delivery_ms"],
        "highest_rate_with_p99_under_2s": max(passing) if passing else None,
        "p99_passes_2s_at_events_per_s": min(failing) if failing else None,
        "steps": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="5,10,20,40,80,160", help="ramp, events/s")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per rate")
    parser.add_argument("--fanout", type=int, default=10, help="recipients per event")
    parser.add_argument("--concurrency", type=int, default=0, help="worker processes (nproc)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(load(args)))
        return
    result = orchestrate(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
