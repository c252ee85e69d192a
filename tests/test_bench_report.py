"""`bench/report.py` judges the API list's ratio on the alternating rounds when a run has them.

No timing here: the figures are made up; what is tested is which of them decides.
"""

from __future__ import annotations

from bench import report


def _run(baseline_rps: float, api_rps: float, rounds: list[tuple[float, float]] | None) -> dict:
    def scenario(rps: float) -> dict:
        return {
            "method": "GET",
            "saturation": {"rps": rps, "errors": 0},
            "paced": {"p50_ms": 10.0, "p99_ms": 20.0, "errors": 0, "target_rps": rps / 2},
        }

    out = {
        "profile": "full",
        "duration_s": 600,
        "scenarios": {
            "baseline_median": scenario(baseline_rps),
            "api_list_median": scenario(api_rps),
        },
    }
    if rounds is not None:
        out["ratio_rounds"] = {
            "median": [
                {"baseline_rps": b, "api_rps": a, "ratio": round(a / b, 3)} for b, a in rounds
            ]
        }
    return out


def _list_target(out: dict) -> dict:
    (row,) = [
        row for row in report.targets(out, 100) if row["target"].startswith("API case list ≥")
    ]
    return row


def test_without_rounds_the_single_saturation_run_decides():
    row = _list_target(_run(100, 55, None))
    assert not row["pass"]
    assert row["figure"].startswith("0.55 ×")


def test_the_median_of_the_alternating_rounds_decides_and_the_single_run_is_shown():
    # Measured once, a slow moment of the API's made it 0.55; the rounds say 0.62.
    row = _list_target(_run(100, 55, [(100, 70), (100, 62), (100, 58)]))
    assert row["pass"]
    assert row["figure"].startswith("0.62 ×, the median of 3 alternating rounds")
    assert "measured once in the table above: 0.55 ×" in row["figure"]
    assert not _list_target(_run(100, 70, [(100, 50), (100, 59), (100, 90)]))["pass"]


def test_errors_in_the_rounds_fail_the_zero_errors_target():
    out = _run(100, 70, [(100, 70), (100, 65), (100, 66)])
    (clean,) = [row for row in report.targets(out, 100) if row["target"] == "0 errors"]
    assert clean["pass"]
    out["ratio_rounds"]["median"][1]["errors"] = 3
    (row,) = [row for row in report.targets(out, 100) if row["target"] == "0 errors"]
    assert not row["pass"]
    assert "ratio_rounds_median 3" in row["figure"]
