"""``make bench``: the debit benchmark and the cold-init benchmark, written to ``bench/results/latest.json``
and ``bench/RESULTS.md``. See ``bench/report.py`` for how to read the figures."""

from __future__ import annotations

import argparse
import compileall
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cold, debit, environment, report

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
RESULTS_MD = ROOT / "bench" / "RESULTS.md"
THREADS = 8
COLD_USERS = 20


@dataclass(frozen=True)
class Plan:
    warmup_s: float = 3.0
    serial_rounds: int = 120
    serial_block: int = 10
    parallel_rounds: int = 10
    parallel_block_s: float = 1.0
    cold_runs: int = 5


QUICK = Plan(warmup_s=0.5, serial_rounds=4, serial_block=10, parallel_rounds=2, parallel_block_s=0.5, cold_runs=1)


def say(message: str) -> None:
    print(message, flush=True)


def run_debit(plan: Plan) -> dict[str, Any]:
    """Start DynamoDB Local, fund wallets, measure (a), (b), (c) at 1 and 8 threads; the report's debit part."""
    say("debit: starting DynamoDB Local (in memory)")
    database = environment.start_dynamodb()
    http: debit.Http | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="vbwd-bench-") as data_dir:
            tables = environment.prepare(database, Path(data_dir))
            from local.runner import LocalApi
            from vbwd.store.base import connection

            counter = debit.CallCounter()
            floor = debit.Floor(database.endpoint, tables, THREADS)
            floor.fund()
            counter.attach(floor.client)
            counter.attach(connection().client)
            say(f"debit: funding {2 * THREADS + COLD_USERS} users")
            api = LocalApi()
            handler = debit.Handler(api, debit.create_funded_users(THREADS, "b"))
            http = debit.Http(api, debit.create_funded_users(THREADS, "c"))
            cold_accounts = debit.create_funded_users(COLD_USERS, "cold")
            variants: list[debit.Variant] = [floor, handler, http]

            shapes = {
                "a_floor": debit.request_shape(floor.client, lambda: debit.serial_block(floor, 1, counter, None)),
                "b_handler": debit.request_shape(
                    connection().client, lambda: debit.serial_block(handler, 1, counter, None)
                ),
            }
            if shapes["a_floor"] != shapes["b_handler"]:
                raise debit.BenchFailure(f"the floor does not write what the handler writes: {shapes}")

            say(f"debit: warm-up ({plan.warmup_s:g} s per variant, 1 and {THREADS} threads)")
            debit.warm_up(variants, THREADS, plan.warmup_s, counter)

            say(f"debit: 1 thread, {plan.serial_rounds} rounds x {plan.serial_block} debits per variant")
            serial = debit.measure_serial(variants, plan.serial_rounds, plan.serial_block, counter, say)
            say(f"debit: {THREADS} threads, {plan.parallel_rounds} rounds x {plan.parallel_block_s:g} s per variant")
            parallel = debit.measure_parallel(
                variants, THREADS, plan.parallel_rounds, plan.parallel_block_s, counter, say
            )
            measured = serial["b_handler"].ops + parallel["b_handler"].ops
            calls = counter.by_operation("b_handler")
            floor_calls = counter.by_operation("a_floor")
            cold_calls = debit.cold_first_calls(api, cold_accounts, counter)
            say("debit: checking every wallet and ledger against the debits each worker made")
            floor.verify()
            handler.verify()
            http.verify()
    finally:
        if http is not None:
            http.close()
        database.stop()

    summary_1 = {name: _summary(series) for name, series in serial.items()}
    summary_8 = {name: _summary(series) for name, series in parallel.items()}
    figures = report.debit_figures(summary_1, summary_8, THREADS, measured, sum(calls.values()))
    raw = {
        "threads": THREADS,
        "threads_1": summary_1,
        f"threads_{THREADS}": summary_8,
        "paired_round_ratios": {
            "p50_ratio": report.paired_ratio(
                _round_p50(serial["b_handler"], plan.serial_block), _round_p50(serial["a_floor"], plan.serial_block)
            ),
            f"throughput_ratio_{THREADS}": report.paired_ratio(
                parallel["b_handler"].round_ops_per_s, parallel["a_floor"].round_ops_per_s
            ),
        },
        "ddb_calls": {"requests": measured, "calls": sum(calls.values()), "by_operation": calls},
        "ddb_calls_floor": {
            "requests": serial["a_floor"].ops + parallel["a_floor"].ops,
            "calls": sum(floor_calls.values()),
            "by_operation": floor_calls,
        },
        "cold_first_call": {
            "requests": cold_calls.requests,
            "calls_per_request": report.ratio(float(cold_calls.calls), float(cold_calls.requests)),
            "by_operation": cold_calls.by_operation,
            "p50_ms": statistics.median(cold_calls.latencies_ms) if cold_calls.latencies_ms else None,
        },
        "request_shape": shapes["b_handler"],
        "verified": "every wallet and ledger matched the debits its worker made",
        "containers": "one handler container (module instance) per worker thread, as in Lambda",
        "plan": {
            "warmup_s_per_variant": plan.warmup_s,
            "serial_rounds": plan.serial_rounds,
            "serial_block": plan.serial_block,
            "parallel_rounds": plan.parallel_rounds,
            "parallel_block_s": plan.parallel_block_s,
        },
    }
    return {"figures": figures, "raw": raw}


def _summary(series: debit.Series) -> dict[str, Any]:
    return report.summarize(series.latencies_ms, series.ops, series.busy_s, series.round_ops_per_s)


def _round_p50(series: debit.Series, block: int) -> list[float]:
    values = series.latencies_ms
    return [statistics.median(values[start : start + block]) for start in range(0, len(values), block)]


def run_cold(plan: Plan) -> tuple[dict[str, float], dict[str, Any]]:
    say(f"cold init: {plan.cold_runs} rounds of the floor and every function, one process at a time")
    for folder in (ROOT / "layers" / "vbwd", ROOT / "functions"):
        compileall.compile_dir(folder, quiet=1)  # bytecode caches, as the floor's installed packages have
    timings = cold.measure(ROOT, plan.cold_runs, say)
    functions, floor, raw = cold.summary(timings)
    return report.cold_init_ratios(functions, floor), raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny samples, figures meaningless")
    parser.add_argument("--skip-cold", action="store_true", help="debit only (cold init left empty)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    started = time.monotonic()
    details = environment.machine()
    measured = run_debit(plan)
    ratios: dict[str, float] = {}
    cold_raw: dict[str, Any] = {}
    if not args.skip_cold:
        ratios, cold_raw = run_cold(plan)
    built = report.build(
        machine=environment.describe(details),
        machine_details=details,
        debit=measured["figures"],
        debit_raw=measured["raw"],
        cold_init=ratios,
        cold_init_raw=cold_raw,
    )
    built["generated_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    built["duration_s"] = round(time.monotonic() - started, 1)
    built["quick"] = args.quick
    report.write(built, RESULTS_DIR, RESULTS_MD)
    say(f"\nwrote {RESULTS_DIR / 'latest.json'} and {RESULTS_MD} in {built['duration_s']} s\n")
    sys.stdout.write(report.markdown(report._clean(built)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
