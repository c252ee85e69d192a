#!/usr/bin/env python
"""Fault drills on the event path: real workers, beat, Redis and PostgreSQL, with faults.

    .venv/bin/python bench/drills.py                      # every drill, about ten minutes
    .venv/bin/python bench/drills.py --only redis_restart,disabled_partner
    .venv/bin/python bench/drills.py --out bench/results/drills.json

Not a test: run by hand (it is slow and loads the machine). All on 127.0.0.1:
1. a fresh database `glo_act_bench_drills`, migrated; a UK desk of `--fanout` officers, an
   embassy with a focal point and a webhook pointing at a receiver in this process;
2. its own `redis-server` on a spare port with an append-only file (as compose runs it), the
   default-queue worker, the webhook worker and beat, each a real process with production
   settings (DEBUG off, generated secrets), emails written to files;
3. each drill publishes its events, causes its fault, clears it and waits until every event is
   dispatched (or `--deadline` passes), then counts.

Each drill prints: events, deliveries, lost (deliveries not sent when the drill ended; skips for
access or preference are not owed), duplicated (an email or a 2xx-answered webhook for the same
delivery more than once; the delivery's id travels in X-GloAct-Delivery, so the recipient can
drop it), and time to recover (from the fault being cleared to the last event dispatched).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import email
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
DATABASE = "glo_act_bench_drills"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
QUEUE = "glo_act_drills"
DRILLS = [
    "worker_kill",
    "redis_restart",
    "redis_down_60s",
    "slow_partner",
    "disabled_partner",
]


def log(message: str) -> None:
    print(f"[drills {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sql(database: str, sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(dbname=database, **PG)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


# --- a partner's endpoint -----------------------------------------------------------------------
class Receiver:
    """Records each POST's delivery id and answer; `hold` seconds before answering, and the
    first POST of each delivery answered `first_status` (then 200)."""

    def __init__(self) -> None:
        self.hold = 0.0
        self.first_status = 200
        self.answers: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 -- http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                delivery_id = self.headers.get("X-GloAct-Delivery", "")
                if receiver.hold:
                    time.sleep(receiver.hold)
                with receiver.lock:
                    seen = any(d == delivery_id for d, _ in receiver.answers)
                    status = 200 if seen else receiver.first_status
                    receiver.answers.append((delivery_id, status))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def accepted(self) -> Counter:
        with self.lock:
            return Counter(d for d, status in self.answers if 200 <= status < 300)


# --- the processes ------------------------------------------------------------------------------
class Processes:
    def __init__(self, workdir: Path, env: dict) -> None:
        self.workdir = workdir
        self.env = env
        self.redis_port = spare_port()
        self.redis: subprocess.Popen | None = None
        self.running: dict[str, subprocess.Popen] = {}

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=0.2)
        for _ in range(100):
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop_redis(self) -> None:
        if self.redis and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait(timeout=10)

    COMMANDS = {
        "worker": ["worker", "-Q", QUEUE, "--concurrency=2", "-n", "drills@%h"],
        "webhooks": [
            "worker",
            "-Q",
            f"{QUEUE}_webhooks",
            "--concurrency=2",
            "-n",
            "drills-webhooks@%h",
        ],
        "beat": ["beat"],
    }

    def start(self, name: str) -> None:
        args = list(self.COMMANDS[name])
        if name == "beat":
            args += ["--schedule", str(self.workdir / "beat-schedule")]
        else:
            args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        handle = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115
        self.running[name] = subprocess.Popen(
            [PY, "-m", "celery", "-A", "glo_act", *args, "--loglevel=INFO"],
            cwd=ROOT,
            env={**self.env, "CELERY_SKIP_CHECKS": "1"},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.running.pop(name, None)
        if process and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)

    def alive(self) -> dict[str, bool]:
        return {name: process.poll() is None for name, process in self.running.items()}

    def close(self) -> None:
        for name in list(self.running):
            self.kill(name, signal.SIGTERM)
        self.stop_redis()


def environment(workdir: Path, redis_url: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "EMAIL_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="glo_act.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        BLIND_INDEX_KEY=secrets.token_urlsafe(32),
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{DATABASE}",
        REDIS_URL=redis_url,
        CELERY_QUEUE=QUEUE,
        EMAIL_URL=f"file://{workdir / 'mail'}",
        LOG_LEVEL="INFO",
        GLO_ACT_TESTING="0",
    )
    return env


# --- the drills (run inside Django, in this process) --------------------------------------------
class World:
    """The people, the case and the counters every drill shares."""

    def __init__(self, fanout: int, receiver: Receiver, mail: Path) -> None:
        from django.contrib.auth import get_user_model

        from cases.grants import sync_case_grants
        from cases.models import Case, CaseShare
        from liaison_offices import services
        from liaison_offices.constants import PartnerKind, Role
        from liaison_offices.models import Country, PartnerWebhook

        User = get_user_model()
        pakistan, britain = Country.objects.get(iso3="PAK"), Country.objects.get(iso3="GBR")
        services.office_create(
            acting_user=None, code="HQ", name="HQ", country=pakistan, city="Islamabad"
        )
        self.office = services.office_create(
            acting_user=None, code="GBR", name="UK", country=britain, city="London"
        )
        self.partner = services.partner_create(
            acting_user=None, name="Drill embassy", kind=PartnerKind.EMBASSY, country=britain
        )
        for n in range(fanout):
            user = User.objects.create_user(f"drill.officer{n}", f"officer{n}@example.org", None)
            services.membership_add(
                acting_user=None, user=user, role=Role.OFFICER, office=self.office
            )
        focal = User.objects.create_user("drill.focal", "focal@example.org", None)
        services.membership_add(
            acting_user=None, user=focal, role=Role.FOCAL_POINT, partner=self.partner
        )
        self.case = Case.objects.create(
            reference="GBR-TIP-2026-00001", kind="TIP", lead_office=self.office, title="Drill"
        )
        CaseShare.objects.create(case=self.case, partner=self.partner, level=2, handling_code="H1")
        sync_case_grants(self.case)
        self.hook = PartnerWebhook.objects.create(partner=self.partner, url=receiver.url)
        self.receiver = receiver
        self.mail = mail

    def publish(
        self, count: int, *, partner: bool = True, pace: float = 0.0, within: float = 0.0
    ) -> list[int]:
        """`count` events, one every `pace` seconds; with `within`, spread over that long
        (an enqueue that waits for an absent Redis counts against the pace)."""
        from django.db import transaction

        from liaison_offices.constants import EventKind
        from liaison_offices.notifications import publish

        ids = []
        started = time.monotonic()
        for i in range(count):
            if within:
                wait = started + i * within / count - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            with transaction.atomic():
                event = publish(
                    kind=EventKind.CASE_MESSAGE,
                    subject=self.case,
                    offices=[self.office],
                    partners=[self.partner] if partner else [],
                    payload={"sequence": i},
                )
            ids.append(event.pk)
            if pace:
                time.sleep(pace)
        return ids

    def wait_done(self, ids: list[int], deadline: float) -> float | None:
        """Seconds until every event of `ids` is dispatched, or None at the deadline."""
        from liaison_offices.models import NotificationEvent

        started = time.monotonic()
        while time.monotonic() - started < deadline:
            if not NotificationEvent.objects.filter(pk__in=ids, dispatched_at__isnull=True):
                return round(time.monotonic() - started, 1)
            time.sleep(0.5)
        return None

    def emails(self) -> Counter:
        """How many messages the mail server got per delivery (or per recipient and subject)."""
        seen: Counter = Counter()
        for path in sorted(self.mail.glob("*.log")):
            for chunk in path.read_text(errors="replace").split("-" * 79):
                if not chunk.strip():
                    continue
                message = email.message_from_string(chunk.strip())
                key = message.get("X-GloAct-Delivery") or f"{message['To']}|{message['Subject']}"
                seen[key] += 1
        return seen

    def count(self, ids: list[int], emails_before: Counter, hooks_before: Counter) -> dict:
        from liaison_offices.constants import Channel, DeliveryStatus
        from liaison_offices.models import Delivery

        rows = Delivery.objects.filter(event_id__in=ids)
        owed = rows.exclude(status=DeliveryStatus.SKIPPED) | rows.filter(
            status=DeliveryStatus.SKIPPED, last_error__startswith="webhook disabled"
        )
        email_ids = {
            str(pk) for pk in rows.filter(channel=Channel.EMAIL).values_list("pk", flat=True)
        }
        hook_ids = {
            str(pk) for pk in rows.filter(channel=Channel.WEBHOOK).values_list("pk", flat=True)
        }
        emails = self.emails() - emails_before
        hooks = self.receiver.accepted() - hooks_before
        duplicated_emails = sum(n - 1 for key, n in emails.items() if key in email_ids and n > 1)
        duplicated_hooks = sum(n - 1 for key, n in hooks.items() if key in hook_ids and n > 1)
        return {
            "events": len(ids),
            "deliveries": owed.count(),
            "lost": owed.exclude(status=DeliveryStatus.SENT).count(),
            "duplicated": duplicated_emails + duplicated_hooks,
            "duplicated_emails": duplicated_emails,
            "duplicated_webhooks": duplicated_hooks,
        }


def run_drill(name: str, world: World, processes: Processes, deadline: float) -> dict:
    from liaison_offices.models import PartnerWebhook
    from liaison_offices.notifications import webhook_enable

    receiver = world.receiver
    emails_before, hooks_before = world.emails(), receiver.accepted()
    note = ""
    if name == "worker_kill":
        ids = world.publish(40, partner=False)
        total = 40 * len(world.office.group.user_set.all())
        started = time.monotonic()
        while sum((world.emails() - emails_before).values()) < max(5, total // 5):
            if time.monotonic() - started > 60:
                break
            time.sleep(0.05)
        processes.kill("worker")  # kill -9, mid-batch
        processes.start("worker")
        note = "kill -9 of the default-queue worker during the email batches; restarted at once"
    elif name == "redis_restart":
        receiver.first_status = 503  # each webhook's first POST fails: a retry is held
        ids = world.publish(10)
        started = time.monotonic()
        while len({d for d, _ in receiver.answers}) < 10 and time.monotonic() - started < 60:
            time.sleep(0.1)
        time.sleep(1)
        processes.stop_redis()
        time.sleep(2)
        processes.start_redis()
        note = "webhook retries held unacknowledged by the webhook worker; Redis down 2 s"
    elif name == "redis_down_60s":
        processes.stop_redis()
        down = time.monotonic()
        ids = world.publish(20, within=55.0)  # published over the minute Redis is away
        time.sleep(max(0.0, 60 - (time.monotonic() - down)))
        processes.start_redis()
        note = "20 events published while Redis was down for 60 s"
    elif name == "slow_partner":
        receiver.hold = 8.0  # the sender gives up after 5 s
        ids = world.publish(10, pace=0.5)
        office_only = world.publish(10, partner=False, pace=0.5)
        time.sleep(20)
        receiver.hold = 0.0
        note = "partner answers after 8 s (sender gives up at 5 s) for 30 s"
        ids = ids + office_only
    elif name == "disabled_partner":
        PartnerWebhook.objects.filter(pk=world.hook.pk).update(
            is_active=False, disabled_reason="drill"
        )
        ids = world.publish(10)
        world.wait_done(ids, 60)  # all planned (and closed) while the webhook was off
        world.hook.refresh_from_db()
        webhook_enable(acting_user=None, webhook=world.hook, replay=True)
        note = "10 events while the webhook was disabled; re-enabled with replay"
    else:
        raise ValueError(name)
    recovered = world.wait_done(ids, deadline)
    receiver.first_status, receiver.hold = 200, 0.0
    result = {"drill": name, **world.count(ids, emails_before, hooks_before)}
    result["time_to_recover_s"] = recovered
    result["processes_alive"] = processes.alive()
    if name == "slow_partner":
        from liaison_offices.constants import Channel
        from liaison_offices.models import Delivery

        latencies = sorted(
            (row.delivered_at - row.event.created_at).total_seconds()
            for row in Delivery.objects.filter(
                event_id__in=ids, channel__in=[Channel.IN_APP, Channel.EMAIL]
            )
            .exclude(delivered_at=None)
            .select_related("event")
        )
        result["in_app_email_p50_s"] = (
            round(latencies[len(latencies) // 2], 2) if latencies else None
        )
    result["note"] = note
    log(json.dumps(result))
    # Whatever a drill left behind (a worker that died) is restarted for the next one.
    for process_name, alive in result["processes_alive"].items():
        if not alive:
            processes.kill(process_name)
            processes.start(process_name)
    return result


def table(results: list[dict]) -> str:
    lines = [
        "| drill | events | deliveries | lost | duplicated | time to recover | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        recover = (
            "not within deadline"
            if r["time_to_recover_s"] is None
            else (f"{r['time_to_recover_s']} s")
        )
        extra = r["note"]
        if "in_app_email_p50_s" in r:
            extra += f"; in-app/email p50 {r['in_app_email_p50_s']} s"
        if not all(r["processes_alive"].values()):
            extra += f"; died: {[n for n, a in r['processes_alive'].items() if not a]}"
        lines.append(
            f"| {r['drill']} | {r['events']} | {r['deliveries']} | {r['lost']} | "
            f"{r['duplicated']} | {recover} | {extra} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(DRILLS), help="comma-separated drills")
    parser.add_argument("--fanout", type=int, default=10, help="officers told of each event")
    parser.add_argument("--deadline", type=float, default=240, help="seconds per drill")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    chosen = [name for name in args.only.split(",") if name]
    unknown = set(chosen) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drills: {', '.join(sorted(unknown))} (known: {', '.join(DRILLS)})")

    workdir = Path(tempfile.mkdtemp(prefix="glo-act-drills-"))
    (workdir / "mail").mkdir()
    log(f"fresh database {DATABASE}; logs in {workdir}")
    _sql("postgres", f"DROP DATABASE IF EXISTS {DATABASE}")
    _sql("postgres", f"CREATE DATABASE {DATABASE}")
    processes = Processes(workdir, {})
    processes.env = environment(workdir, processes.redis_url)
    os.environ.update(processes.env)
    results: list[dict] = []
    try:
        processes.start_redis()
        subprocess.run(
            [PY, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=processes.env,
            check=True,
        )
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        world = World(args.fanout, Receiver(), workdir / "mail")
        for name in ("worker", "webhooks", "beat"):
            processes.start(name)
        time.sleep(5)  # connected and ready
        for name in chosen:
            log(f"drill {name}")
            results.append(run_drill(name, world, processes, args.deadline))
    finally:
        processes.close()
        from django.db import connections

        connections.close_all()
        with contextlib.suppress(Exception):
            _sql("postgres", f"DROP DATABASE IF EXISTS {DATABASE}")
    document = {
        "benchmark": "fault drills on the event path",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "fanout": args.fanout,
        "results": results,
    }
    print(table(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(document, indent=2) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
