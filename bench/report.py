"""Targets of issue 8 and `bench/RESULTS.md`, computed from the results JSON of one run.

`RESULTS.md` is regenerated after every run from the newest full run (and the newest quick run,
for `make bench`'s duration); `bench/ANALYSIS.md`, written by hand, is appended to it.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

READ_P99_MS = 100
POST_P99_MS = 150
LIST_QUERIES = 4
DETAIL_QUERIES = 6
NOTIFY_P50_MS = 250
NOTIFY_P99_MS = 2000
RSS_MB = 200
MAKE_BENCH_S = 300

LABELS = {
    "baseline_median": "Baseline: bare view + hand-written SQL, median user",
    "baseline_worst": "Baseline: bare view + hand-written SQL, worst user",
    "api_list_median": "API case list, page of 25, median user",
    "api_list_worst": "API case list, page of 25, worst user",
    "api_detail": "API case detail",
    "html_list_median": "HTML case list, median user",
    "html_list_worst": "HTML case list, worst user",
    "html_case": "HTML case page",
    "message_post": "POST a message (notifies 5 offices)",
    "dashboard": "Dashboard (home page), median user",
    "html_list_filtered": "HTML case list filtered by status, median user",
    "search_median": "Case search (a surname), median user",
    "search_worst": "Case search (a surname), worst user",
    "victims_list": "Victims list, median user",
    "referrals": "Referrals list, median user",
    "inbox": "Inbox, median user",
    "statistics": "Statistics, the last twelve months, median user",
}
# The statistics page aggregates a year of records on every request (issue 22's bound).
STATS_P99_MS = 300


def baseline_of(name: str) -> str:
    return "baseline_worst" if name.endswith("_worst") else "baseline_median"


def _ratio(out: dict, name: str) -> float | None:
    scenarios = out["scenarios"]
    base = scenarios.get(baseline_of(name))
    if name not in scenarios or not base or not base["saturation"]["rps"]:
        return None
    return scenarios[name]["saturation"]["rps"] / base["saturation"]["rps"]


def targets(out: dict, quick_duration: float | None = None) -> list[dict]:
    """Each target of issue 8 with its figure from this run and pass/miss."""
    rows = []
    scenarios = out["scenarios"]

    def add(target: str, figure: str, ok: bool | None) -> None:
        rows.append({"target": target, "figure": figure, "pass": bool(ok)})

    same = out.get("baseline_same_json_as_api")
    if same:
        add(
            "(check) the baseline answers the same JSON as the API list",
            ", ".join(f"{k} {'same' if v else 'DIFFERENT'}" for k, v in same.items()),
            all(same.values()),
        )
    for who in ("median", "worst"):
        ratio = _ratio(out, f"api_list_{who}")
        once = (
            None
            if ratio is None
            else f"{ratio:.2f} × ({scenarios[f'api_list_{who}']['saturation']['rps']:.0f} vs "
            f"{scenarios[f'baseline_{who}']['saturation']['rps']:.0f} req/s)"
        )
        rounds = (out.get("ratio_rounds") or {}).get(who)
        if rounds:
            # Judged on the alternating rounds (bench/run.py ratio_rounds): their median.
            ratio = statistics.median(r["ratio"] for r in rounds)
            figure = (
                f"{ratio:.2f} ×, the median of {len(rounds)} alternating rounds ("
                + ", ".join(f"{r['api_rps']:.0f}/{r['baseline_rps']:.0f}" for r in rounds)
                + " req/s)"
                + (f"; measured once in the table above: {once}" if once else "")
            )
        else:
            figure = once
        if ratio is not None:
            add(f"API case list ≥ 0.6 × baseline throughput ({who} user)", figure, ratio >= 0.6)
    if "api_list_worst" in scenarios and "api_list_median" in scenarios:
        median_paced = scenarios["api_list_median"]["paced"]
        median = median_paced["p50_ms"]
        own = scenarios["api_list_worst"]["paced"]
        same_rate = scenarios["api_list_worst"].get("paced_at_median_rate")
        # Judged at the same offered load (older results have only each list's own rate).
        worst = (same_rate or own)["p50_ms"]
        figure = f"{worst:.1f} / {median:.1f} ms = {worst / median:.2f} ×"
        if same_rate:
            figure = (
                f"at the median user's rate ({median_paced['target_rps']}/s): {figure}; "
                f"each at half its own saturation: {own['p50_ms']:.1f} ms at "
                f"{own['target_rps']}/s = {own['p50_ms'] / median:.2f} ×"
            )
        add("API case list: worst user's p50 ≤ 1.2 × median user's", figure, worst <= 1.2 * median)
    reads = {
        name: s["paced"]["p99_ms"]
        for name, s in scenarios.items()
        if s["method"] == "GET"
        and not name.startswith(("baseline", "file_"))
        and name != "statistics"
    }
    if "statistics" in scenarios:
        p99 = scenarios["statistics"]["paced"]["p99_ms"]
        add(
            f"p99 ≤ {STATS_P99_MS} ms for the statistics page at 50% of saturation",
            f"{p99:.1f} ms",
            p99 <= STATS_P99_MS,
        )
    if reads:
        slowest = max(reads, key=reads.get)
        add(
            f"p99 ≤ {READ_P99_MS} ms for reads at 50% of saturation",
            f"slowest {reads[slowest]:.1f} ms ({slowest}); "
            + ", ".join(f"{n} {v:.0f}" for n, v in reads.items()),
            reads[slowest] <= READ_P99_MS,
        )
    if "file_download" in scenarios and "baseline_file" in scenarios:
        size_mb = (out.get("file_size") or 10 * 1024 * 1024) / (1024 * 1024)
        mine = scenarios["file_download"]["saturation"]["rps"] * size_mb
        bare = scenarios["baseline_file"]["saturation"]["rps"] * size_mb
        ratio = mine / bare if bare else 0.0
        add(
            "10 MB file download ≥ 0.5 × the throughput of a bare file response",
            f"{ratio:.2f} × ({mine:.0f} vs {bare:.0f} MB/s)",
            ratio >= 0.5,
        )
        workers = (out.get("rss") or {}).get("gunicorn_workers_mb") or []
        if workers:
            peak = max(w for w in workers if w is not None)
            add(
                "peak RSS of a web worker ≤ 200 MB while streaming files",
                f"{peak:.0f} MB (workers: {', '.join(f'{w:.0f}' for w in workers if w)})",
                peak <= 200,
            )
    if "message_post" in scenarios:
        p99 = scenarios["message_post"]["paced"]["p99_ms"]
        add(f"p99 ≤ {POST_P99_MS} ms for the message POST", f"{p99:.1f} ms", p99 <= POST_P99_MS)
    errors = {
        name: s["saturation"]["errors"] + s["paced"]["errors"] for name, s in scenarios.items()
    }
    for who, rounds in (out.get("ratio_rounds") or {}).items():
        errors[f"ratio_rounds_{who}"] = sum(r.get("errors", 0) for r in rounds)
    add(
        "0 errors",
        f"{sum(errors.values())} errors"
        + (
            " (" + ", ".join(f"{n} {e}" for n, e in errors.items() if e) + ")"
            if any(errors.values())
            else ""
        ),
        not any(errors.values()),
    )
    queries = out.get("queries", {})
    if queries:
        lists = {k: v["queries"] for k, v in queries.items() if k.startswith("api_list_")}
        constant = len(set(lists.values())) == 1
        add(
            f"API list queries constant (page size 10 → 100, offices 1 → 40), ≤ {LIST_QUERIES}",
            ", ".join(f"{k.removeprefix('api_list_')} {v}" for k, v in lists.items()),
            constant and max(lists.values()) <= LIST_QUERIES,
        )
        detail = queries.get("api_detail_median", {}).get("queries")
        if detail is not None:
            add(f"API detail queries ≤ {DETAIL_QUERIES}", str(detail), detail <= DETAIL_QUERIES)
        html = {k: v["queries"] for k, v in queries.items() if k.startswith("html_list_")}
        if html:
            add(
                "HTML case list queries constant (offices 1 → 40, page 1 → 2)",
                ", ".join(f"{k.removeprefix('html_list_')} {v}" for k, v in html.items()),
                len(set(html.values())) == 1,
            )
    explain = out.get("explain")
    if explain:
        only = explain["index_scans_only"]
        if isinstance(only, bool):  # results written before page and count were told apart
            only = {"page": only, "count": only}
        for kind, what in (("page", "its page of 25"), ("count", "its bounded count")):
            add(
                f"visible_to for the worst user uses index scans only: {what}",
                f"{'no' if only[kind] else 'a'} Seq Scan (`results/{explain['file']}`)",
                only[kind],
            )
    notes = out.get("notifications")
    isolated = (out.get("notifications_isolated") or {}).get("at_20_events_per_s")
    if isolated:
        p50, p99 = isolated["p50"], isolated["p99"]
        measured = p50 is not None and p99 is not None
        add(
            f"Notifications at 20 events/s: p50 ≤ {NOTIFY_P50_MS} ms, p99 ≤ "
            f"{NOTIFY_P99_MS / 1000:.0f} s (delivery: `bench/notifications.py`)",
            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (fan-out "
            f"{out['notifications_isolated']['fanout']}, in-app + email)"
            if measured
            else "nothing was delivered while it was measured",
            measured and p50 <= NOTIFY_P50_MS and p99 <= NOTIFY_P99_MS,
        )
    if notes:
        p50, p99 = notes["in_app_p50_ms"], notes["in_app_p99_ms"]
        add(
            f"Notifications end to end (message POSTs at {notes['rate']}/s through the web, "
            f"5 offices each): p50 ≤ {NOTIFY_P50_MS} ms, p99 ≤ {NOTIFY_P99_MS / 1000:.0f} s",
            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms ({notes['in_app_deliveries']} in-app "
            f"deliveries of {notes['events']} events)",
            p50 <= NOTIFY_P50_MS and p99 <= NOTIFY_P99_MS,
        )
    rss = out.get("rss") or {}
    workers = [mb for mb in rss.get("gunicorn_workers_mb", []) if mb]
    if workers:
        add(
            f"gunicorn worker RSS ≤ {RSS_MB} MB",
            f"peak {max(workers):.0f} MB (Celery worker peak "
            f"{max(mb for mb in rss['celery_mb'] if mb):.0f} MB)",
            max(workers) <= RSS_MB,
        )
    duration = out["duration_s"] if out["profile"] == "quick" else quick_duration
    if duration is not None:
        add(
            "`make bench` (quick profile) under 5 minutes",
            f"{duration:.0f} s" + (" (latest quick run)" if out["profile"] != "quick" else ""),
            duration < MAKE_BENCH_S,
        )
    return rows


def newest(results: Path, quick: bool) -> dict | None:
    # Runs are named by date (`2026-12-04.json`, `…-quick.json`); other files there (the
    # drills' `drills.json`) are not runs.
    files = sorted(
        p
        for p in results.glob("*.json")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(-quick)?", p.stem)
        and p.stem.endswith("-quick") == quick
    )
    return json.loads(files[-1].read_text()) if files else None


def _ms(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def render(out: dict, quick: dict | None) -> str:
    m = out["machine"]
    d = out["dataset"]
    quick_duration = quick["duration_s"] if quick else None
    rows = targets(out, quick_duration)
    lines = [
        "# Benchmark results",
        "",
        "Generated by `bench/run.py` from `bench/results/"
        f"{out['started_at'][:10]}{'-quick' if out['profile'] == 'quick' else ''}.json` "
        f"({out['profile']} profile, run {out['started_at']}, {out['duration_s']:.0f} s). "
        "Do not edit: edit `bench/ANALYSIS.md`, which is appended.",
        "",
        "## Machine",
        "",
        f"- {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}",
        f"- Python {m['python']}, PostgreSQL {m['postgresql']}, {m['wrk']}, hey",
        f"- gunicorn {m['gunicorn_workers']} sync workers, Celery worker concurrency "
        f"{m['celery_concurrency']}, all on this machine (load generator included)",
        f"- Load average at the start: {out.get('load_average_at_start', '—')} (other work "
        "shares these cores; each scenario's row gives the 1-minute load average after it)",
        "",
        "## Data set",
        "",
        f"`seed_bench --seed {out['settings']['seed']} --scale {out['settings']['scale']}`: "
        f"{d.get('offices')} offices, {d.get('partners')} partners, {d.get('users')} users, "
        f"{d.get('cases'):,} cases, {d.get('shares'):,} shares, "
        f"{d.get('timeline_events'):,} timeline events, {d.get('victims'):,} victims, "
        f"{d.get('notifications'):,} notifications. Median user `bench.median`: 1 office, "
        f"{d.get('median_visible'):,} visible cases; worst user `bench.worst`: "
        f"{d.get('worst_desks')} offices, {d.get('worst_visible'):,} visible cases.",
        "",
        "## Throughput and latency",
        "",
        f"Saturation: {out['settings']['saturation']}, "
        f"{out['settings']['profile']['saturate']} s after a "
        f"{out['settings']['profile']['warmup']} s warm-up. Latency at 50% of that rate: "
        f"{out['settings']['paced']}, {out['settings']['profile']['paced']} s. "
        "Ratio = requests/s over the baseline's for the same user, same run "
        "(median-user baseline for the detail, HTML and POST rows). CPU ms/request = CPU time "
        "of the gunicorn workers and their PostgreSQL backends during the saturation run over "
        "the requests served (/proc/<pid>/stat), which other work on the machine does not "
        "change; its ratio is the baseline's CPU over the scenario's.",
        "",
        "| scenario | req/s | ratio to baseline | CPU ms/request (ratio) | "
        "p50 / p95 / p99 ms at 50% | errors | queries/request | load |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    query_of = {
        "baseline_median": "baseline_median_25",
        "baseline_worst": "baseline_worst_25",
        "api_list_median": "api_list_median_25",
        "api_list_worst": "api_list_worst_25",
        "api_detail": "api_detail_median",
        "html_list_median": "html_list_median",
        "html_list_worst": "html_list_worst",
        "html_case": "html_case_median",
        "message_post": "message_post",
    }
    for name, s in out["scenarios"].items():
        ratio = _ratio(out, name)
        p = s["paced"]
        q = out["queries"].get(query_of.get(name, ""), {}).get("queries", "—")
        cpu = s["saturation"].get("cpu_ms_per_request")
        base_cpu = out["scenarios"].get(baseline_of(name), {}).get("saturation", {})
        base_cpu = base_cpu.get("cpu_ms_per_request")
        cpu_text = "—" if cpu is None else f"{cpu:.1f}"
        if cpu and base_cpu:
            cpu_text += f" ({base_cpu / cpu:.2f})"
        lines.append(
            f"| {LABELS.get(name, name)} | {s['saturation']['rps']:.1f} | "
            f"{'—' if ratio is None else f'{ratio:.2f}'} | {cpu_text} | "
            f"{_ms(p['p50_ms'])} / {_ms(p['p95_ms'])} / {_ms(p['p99_ms'])} "
            f"(at {p['target_rps']}/s) | {s['saturation']['errors'] + p['errors']} | {q} | "
            f"{s.get('load_average_1m', '—')} |"
        )
    lines += ["", "## Targets (issue 8)", "", "| target | figure | |", "|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['target']} | {row['figure']} | {'pass' if row['pass'] else 'MISS'} |")
    notes = out.get("notifications")
    if notes:
        lines += [
            "",
            "## Notifications",
            "",
            f"Message POSTs at {notes['rate']}/s for {notes['seconds']} s "
            f"({notes['events']} events, {notes['offices_per_event']} offices each, "
            f"{notes['deliveries']} deliveries of which {notes['in_app_deliveries']} in-app). "
            "Created → delivered (event `created_at` → delivery `delivered_at`): in-app p50 "
            f"{_ms(notes['in_app_p50_ms'])} ms, p99 {_ms(notes['in_app_p99_ms'])} ms; every "
            f"channel p50 {_ms(notes['all_channels_p50_ms'])} ms, p99 "
            f"{_ms(notes['all_channels_p99_ms'])} ms; event fully dispatched p50 "
            f"{_ms(notes['event_done_p50_ms'])} ms, p99 {_ms(notes['event_done_p99_ms'])} ms. "
            f"POST latency at that rate: p50 {_ms(notes['posts']['p50_ms'])} ms, p99 "
            f"{_ms(notes['posts']['p99_ms'])} ms, {notes['posts']['errors']} errors.",
        ]
    isolated = out.get("notifications_isolated")
    if isolated and isolated.get("at_20_events_per_s"):
        at20 = isolated["at_20_events_per_s"]
        lines += [
            "",
            "Delivery alone (`bench/notifications.py`: `publish()` at 20 events/s for "
            f"{isolated['seconds']} s, fan-out {isolated['fanout']}, "
            f"{' + '.join(isolated['channels'] or [])}, its own database, Redis and worker): "
            f"p50 {_ms(at20.get('p50'))} ms, p99 {_ms(at20.get('p99'))} ms, "
            f"max {_ms(at20.get('max'))} ms.",
        ]
    rss = out.get("rss") or {}
    if rss:
        lines += [
            "",
            "## Memory (peak RSS, VmHWM)",
            "",
            "gunicorn workers: "
            + ", ".join(f"{mb:.0f}" for mb in rss["gunicorn_workers_mb"] if mb)
            + f" MB (master {_ms(rss['gunicorn_master_mb'])} MB); Celery: "
            + ", ".join(f"{mb:.0f}" for mb in rss["celery_mb"] if mb)
            + " MB.",
        ]
    lines += [
        "",
        "## Queries per request (single-request probe, same settings)",
        "",
        "| request | status | queries |",
        "|---|---:|---:|",
    ]
    for name, probe in out["queries"].items():
        lines.append(f"| `{probe['path']}` ({name}) | {probe['status']} | {probe['queries']} |")
    if quick and out["profile"] != "quick":
        lines += [
            "",
            f"The latest quick run (`make bench`, {quick['started_at']}) took "
            f"{quick['duration_s']:.0f} s.",
        ]
    return "\n".join(lines) + "\n"


def write_markdown(results: Path, path: Path) -> None:
    full = newest(results, quick=False)
    quick = newest(results, quick=True)
    out = full or quick
    if out is None:
        return
    text = render(out, quick)
    analysis = path.parent / "ANALYSIS.md"
    if analysis.exists():
        text += "\n" + analysis.read_text()
    path.write_text(text)
