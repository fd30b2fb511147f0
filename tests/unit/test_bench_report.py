"""The benchmark's report writer, with synthetic numbers (no timing, no network)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench import report


def row(p50: float, p99: float, ops_per_s: float) -> dict[str, Any]:
    return {"p50_ms": p50, "p99_ms": p99, "ops_per_s": ops_per_s, "samples": 100}


SERIAL = {"a_floor": row(4.0, 10.0, 250.0), "b_handler": row(4.4, 12.0, 227.0), "c_http": row(8.0, 20.0, 125.0)}
PARALLEL = {"a_floor": row(30.0, 80.0, 200.0), "b_handler": row(33.0, 90.0, 180.0), "c_http": row(60.0, 150.0, 100.0)}


def synthetic(cold_init: dict[str, float] | None = None, calls: int = 1000) -> dict[str, Any]:
    debit = report.debit_figures(SERIAL, PARALLEL, 8, measured_requests=1000, measured_calls=calls)
    return report.build(
        machine="Test CPU, 2 cores, Python 3.11, DynamoDB Local x",
        machine_details={"cores": 2},
        debit=debit,
        debit_raw={"threads": 8, "threads_1": SERIAL, "threads_8": PARALLEL},
        cold_init=cold_init if cold_init is not None else {"HealthFunction": 1.2, "UserTokensConsumeFunction": 1.4},
        cold_init_raw={"floor_median_seconds": 0.25, "median_seconds": {"HealthFunction": 0.3}, "runs": 5},
    )


def test_ratios_are_handler_over_floor() -> None:
    debit = synthetic()["debit"]
    assert debit["p50_ratio"] == pytest.approx(1.1)
    assert debit["p99_ratio"] == pytest.approx(1.2)
    assert debit["throughput_ratio_8"] == pytest.approx(0.9)
    assert debit["ddb_calls_per_request"] == 1.0
    assert debit["info_http_over_floor"]["p50_ratio"] == pytest.approx(2.0)


def test_json_has_the_required_shape(tmp_path: Path) -> None:
    report.write(synthetic(), tmp_path / "results", tmp_path / "RESULTS.md")
    written = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert isinstance(written["machine"], str)
    assert {"p50_ratio", "p99_ratio", "throughput_ratio_8", "ddb_calls_per_request"} <= set(written["debit"])
    assert written["debit"]["threads_1"]["a_floor"]["p50_ms"] == 4.0
    assert written["cold_init"] == {"HealthFunction": 1.2, "UserTokensConsumeFunction": 1.4}
    assert not list((tmp_path / "results").glob("*.tmp"))


def test_targets_pass_and_miss_at_their_bounds() -> None:
    checks = synthetic()["verdicts"]
    assert {key: check["pass"] for key, check in checks.items()} == {
        "p50_ratio": True,
        "p99_ratio": True,
        "throughput_ratio_8": True,
        "ddb_calls_per_request": True,
        "cold_init_worst": True,
    }
    assert checks["cold_init_worst"]["function"] == "UserTokensConsumeFunction"

    missed = synthetic(cold_init={"HealthFunction": 1.2, "AuthLoginFunction": 1.51}, calls=1500)["verdicts"]
    assert missed["ddb_calls_per_request"]["pass"] is False
    assert missed["cold_init_worst"] == {
        "value": 1.51,
        "function": "AuthLoginFunction",
        "target": "≤ 1.5",
        "pass": False,
    }
    assert report.TARGETS[0].met(1.15) and not report.TARGETS[0].met(1.1501)
    assert report.TARGETS[2].met(0.85) and not report.TARGETS[2].met(0.84)
    assert not report.TARGETS[0].met(math.nan)


def test_markdown_shows_figures_and_verdicts() -> None:
    text = report.markdown(synthetic(cold_init={"HealthFunction": 1.2, "AuthLoginFunction": 2.0}))
    assert "| p50 ratio b/a (1 thread) | 1.10 | ≤ 1.15 | PASS |" in text
    assert "(worst: AuthLoginFunction) | 2.00 | ≤ 1.5 | MISS |" in text
    assert "## How to read this" in text


def test_missing_figures_become_null_not_nan(tmp_path: Path) -> None:
    built = synthetic(cold_init={})
    assert built["verdicts"]["cold_init_worst"]["pass"] is False
    text = report.to_json(built)
    assert "NaN" not in text
    assert json.loads(text)["verdicts"]["cold_init_worst"]["value"] is None


def test_percentiles_and_ratios() -> None:
    samples = [float(value) for value in range(1, 101)]
    assert report.percentile(samples, 50) == pytest.approx(50.5)
    assert report.percentile(samples, 99) == pytest.approx(99.01)
    assert report.percentile([3.0], 99) == 3.0
    assert math.isnan(report.percentile([], 50))
    summary = report.summarize([2.0, 4.0], ops=2, busy_s=0.006, round_ops_per_s=[300.0, 400.0])
    assert summary["ops_per_s"] == pytest.approx(2 / 0.006)
    assert summary["ops_per_s_round_median"] == 350.0
    assert report.cold_init_ratios({"F": [0.5, 0.6, 0.4]}, [0.2, 0.25, 0.3]) == {"F": pytest.approx(2.0)}
    assert report.paired_ratio([2.0, 3.0, 9.0], [1.0, 1.0, 1.0]) == 3.0
    assert math.isnan(report.ratio(1.0, 0.0))
