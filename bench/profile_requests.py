"""Where a request's time goes: the bench scenarios run in one process, without load.

    .venv/bin/python -m bench.profile_requests [--requests 50] [--profile api_list_median]

Run after `bench/run.py --probe-only` (which seeds the database and writes the credentials);
it uses the same environment as the benchmark's gunicorn (DEBUG off, the benchmark secrets).
For every scenario it prints the wall and CPU time of this process per request (Python's
share), the CPU time of its PostgreSQL backend per request (the database's share; the rest of
the wall time is waiting, and Redis), and the queries per request.
With `--profile NAME` it prints cProfile's top functions, cumulative, for that scenario.

The last row, `worker`, is the Celery task's share of a message POST: the events of
`--requests` message POSTs are delivered in this process (`dispatch_event`, in-app and email
to the dummy backend) and timed per event; `--profile worker` profiles that.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the quick profile's database")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--profile", help="a scenario name to run under cProfile")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    database = run.PROFILES["quick" if args.quick else "full"]["database"]
    env = run.server_env(database)
    env["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    os.environ.update(env)
    creds = json.loads((run.VAR / f"{database}.probe.json").read_text())

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=True)
    only = set(args.only.split(",")) if args.only else None

    def one(scenario: dict):
        headers = {}
        for key, value in scenario["headers"].items():
            if key == "Cookie":
                client.cookies["sessionid"] = value.split("=", 1)[1]
            else:
                headers[key] = value
        if scenario.get("method") == "POST":
            return client.post(
                scenario["path"], scenario["body"], content_type="application/json", headers=headers
            )
        response = client.get(scenario["path"], headers=headers)
        if response.streaming:  # a download's cost is in sending it
            for _ in response.streaming_content:
                pass
        return response

    def backend_cpu() -> float:
        """CPU seconds of this process's PostgreSQL backend (it runs on this machine)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    print(f"{'scenario':<18} {'wall ms':>8} {'cpu ms':>8} {'db cpu ms':>9} {'queries':>8}")
    for scenario in run.scenarios(creds):
        name = scenario["name"]
        if only and name not in only and name != args.profile:
            continue
        client.cookies.clear()
        for _ in range(5):
            response = one(scenario)
            assert response.status_code < 300, (name, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            one(scenario)
        queries = len(captured)
        db = backend_cpu()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            one(scenario)
        wall = (time.perf_counter() - wall) * 1000 / args.requests
        cpu = (time.process_time() - cpu) * 1000 / args.requests
        db = (backend_cpu() - db) * 1000 / args.requests
        print(f"{name:<18} {wall:8.2f} {cpu:8.2f} {db:9.2f} {queries:8d}")
        if name == args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                one(scenario)
            profiler.disable()
            print_profile(profiler, args.top)
    if only is None or "worker" in only or args.profile == "worker":
        profile_worker(one, run.scenarios(creds), args)


def print_profile(profiler: cProfile.Profile, top: int) -> None:
    stats = pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative"))
    stats.print_stats(top)


def profile_worker(one, scenarios, args) -> None:
    """Deliver, in this process, the notification events of `--requests` message POSTs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from liaison_offices.delivery import dispatch_event
    from liaison_offices.models import NotificationEvent

    post = next(s for s in scenarios if s["name"] == "message_post")
    first = NotificationEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for _ in range(args.requests + 1):
        one(post)
    events = list(
        NotificationEvent.objects.filter(pk__gt=first, dispatched_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with CaptureQueriesContext(connection) as captured:
        dispatch_event(events[0])
    profiler = cProfile.Profile() if args.profile == "worker" else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for event_id in events[1:]:
        dispatch_event(event_id)
    if profiler:
        profiler.disable()
    done = len(events) - 1
    wall = (time.perf_counter() - wall) * 1000 / done
    cpu = (time.process_time() - cpu) * 1000 / done
    print(f"{'worker':<18} {wall:8.2f} {cpu:8.2f} {len(captured):8d}   per event ({done} events)")
    if profiler:
        print_profile(profiler, args.top)


if __name__ == "__main__":
    main()
