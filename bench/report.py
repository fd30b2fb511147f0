"""Turn measurements into ``bench/results/latest.json`` and ``bench/RESULTS.md``. Pure: no timing, no I/O
except ``write``, so ``tests/unit/test_bench_report.py`` checks it with synthetic numbers."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FLOOR, HANDLER, HTTP = "a_floor", "b_handler", "c_http"
VARIANTS = (FLOOR, HANDLER, HTTP)
DESCRIPTIONS = {
    FLOOR: "raw boto3 TransactWriteItems (wallet update + ledger put)",
    HANDLER: "consume lambda_handler, in-process",
    HTTP: "HTTP to the local runner (authorizer cached)",
}


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    comparison: str  # "<=", ">=" or "=="
    bound: float

    def met(self, value: float | None) -> bool:
        if value is None or math.isnan(value):
            return False
        if self.comparison == "<=":
            return value <= self.bound
        if self.comparison == ">=":
            return value >= self.bound
        return math.isclose(value, self.bound, rel_tol=0, abs_tol=1e-9)

    @property
    def text(self) -> str:
        bound = f"{self.bound:g}"
        return bound if self.comparison == "==" else f"{'≤' if self.comparison == '<=' else '≥'} {bound}"


TARGETS = (
    Target("p50_ratio", "p50 ratio b/a (1 thread)", "<=", 1.15),
    Target("p99_ratio", "p99 ratio b/a (1 thread)", "<=", 1.3),
    Target("throughput_ratio_8", "throughput ratio b/a (8 threads)", ">=", 0.85),
    Target("ddb_calls_per_request", "DynamoDB calls per debit (warm)", "==", 1.0),
)
COLD_INIT_TARGET = Target("cold_init", "every function's cold-init ratio", "<=", 1.5)


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(
    latencies_ms: Sequence[float], ops: int, busy_s: float, round_ops_per_s: Sequence[float]
) -> dict[str, Any]:
    """p50/p99 over every sample; ops/s over all rounds (debits / measured time), and its median by round."""
    return {
        "p50_ms": percentile(latencies_ms, 50),
        "p99_ms": percentile(latencies_ms, 99),
        "mean_ms": statistics.fmean(latencies_ms) if latencies_ms else math.nan,
        "ops_per_s": ops / busy_s if busy_s > 0 else math.nan,
        "ops_per_s_round_median": statistics.median(round_ops_per_s) if round_ops_per_s else math.nan,
        "samples": len(latencies_ms),
        "rounds": len(round_ops_per_s),
        "round_ops_per_s": [round(value, 1) for value in round_ops_per_s],
    }


def ratio(numerator: float, denominator: float) -> float:
    if denominator == 0 or math.isnan(denominator) or math.isnan(numerator):
        return math.nan
    return numerator / denominator


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median of per-round ratios: a cross-check that is immune to slow drift of the machine."""
    pairs = [ratio(n, d) for n, d in zip(numerators, denominators, strict=False)]
    pairs = [value for value in pairs if not math.isnan(value)]
    return statistics.median(pairs) if pairs else math.nan


def debit_figures(
    serial: Mapping[str, Mapping[str, Any]],
    parallel: Mapping[str, Mapping[str, Any]],
    threads: int,
    measured_requests: int,
    measured_calls: int,
) -> dict[str, Any]:
    """The headline ratios of (b) over (a), and the same for (c) as information."""
    a1, b1, c1 = (serial[name] for name in VARIANTS)
    a8, b8, c8 = (parallel[name] for name in VARIANTS)
    return {
        "p50_ratio": ratio(b1["p50_ms"], a1["p50_ms"]),
        "p99_ratio": ratio(b1["p99_ms"], a1["p99_ms"]),
        f"throughput_ratio_{threads}": ratio(b8["ops_per_s"], a8["ops_per_s"]),
        "ddb_calls_per_request": ratio(float(measured_calls), float(measured_requests)),
        "info_http_over_floor": {
            "p50_ratio": ratio(c1["p50_ms"], a1["p50_ms"]),
            "p99_ratio": ratio(c1["p99_ms"], a1["p99_ms"]),
            f"throughput_ratio_{threads}": ratio(c8["ops_per_s"], a8["ops_per_s"]),
        },
    }


def cold_init_ratios(seconds: Mapping[str, Sequence[float]], floor: Sequence[float]) -> dict[str, float]:
    """median(function) / median(floor) per function."""
    base = statistics.median(floor)
    return {name: ratio(statistics.median(runs), base) for name, runs in seconds.items()}


def verdicts(debit: Mapping[str, Any], cold_init: Mapping[str, float]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for target in TARGETS:
        value = debit.get(target.key)
        found[target.key] = {"value": value, "target": target.text, "pass": target.met(value)}
    worst_name = max(cold_init, key=lambda name: cold_init[name]) if cold_init else None
    worst = cold_init[worst_name] if worst_name is not None else math.nan
    found["cold_init_worst"] = {
        "value": worst,
        "function": worst_name,
        "target": COLD_INIT_TARGET.text,
        "pass": bool(cold_init) and all(COLD_INIT_TARGET.met(value) for value in cold_init.values()),
    }
    return found


def build(
    *,
    machine: str,
    machine_details: Mapping[str, Any],
    debit: Mapping[str, Any],
    debit_raw: Mapping[str, Any],
    cold_init: Mapping[str, float],
    cold_init_raw: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON report: the required keys first, raw figures under additional keys."""
    report: dict[str, Any] = {
        "machine": machine,
        "debit": {**debit, **debit_raw},
        "cold_init": dict(cold_init),
        "cold_init_raw": dict(cold_init_raw),
        "machine_details": dict(machine_details),
    }
    report["verdicts"] = verdicts(debit, cold_init)
    return report


def _clean(value: Any) -> Any:
    """JSON has no NaN: missing figures become null."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, Mapping):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def to_json(report: Mapping[str, Any]) -> str:
    return json.dumps(_clean(report), indent=2, allow_nan=False) + "\n"


def _num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _ms(seconds: Any) -> str:
    return "-" if seconds is None else _num(seconds * 1000, 0)


def markdown(report: Mapping[str, Any]) -> str:
    debit = report["debit"]
    checks = report["verdicts"]
    threads = debit.get("threads", 8)
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` (`python -m bench.run`) on {report.get('generated_at', 'an unknown date')}.",
        f"Machine: {report['machine']}.",
    ]
    load = report.get("machine_details", {}).get("load_average_at_start")
    if load:
        lines.append(f"Load average when the run started: {', '.join(str(value) for value in load)}.")
    lines += ["", "## Targets", "", "| figure | measured | target | |", "|---|---|---|---|"]
    for target in TARGETS:
        check = checks[target.key]
        lines.append(
            f"| {target.label} | {_num(check['value'])} | {check['target']} | {'PASS' if check['pass'] else 'MISS'} |"
        )
    worst = checks["cold_init_worst"]
    lines.append(
        f"| {COLD_INIT_TARGET.label} (worst: {worst['function']}) | {_num(worst['value'])} | {worst['target']} "
        f"| {'PASS' if worst['pass'] else 'MISS'} |"
    )
    lines += ["", "## Debit latency and throughput", ""]
    lines += ["| variant | threads | p50 ms | p99 ms | ops/s | samples |", "|---|---|---|---|---|---|"]
    for key, count in (("threads_1", 1), (f"threads_{threads}", threads)):
        for name in VARIANTS:
            row = debit.get(key, {}).get(name)
            if row is None:
                continue
            lines.append(
                f"| {name}: {DESCRIPTIONS[name]} | {count} | {_num(row['p50_ms'])} | {_num(row['p99_ms'])} "
                f"| {_num(row['ops_per_s'], 0)} | {row['samples']} |"
            )
    info = debit.get("info_http_over_floor", {})
    cross = debit.get("paired_round_ratios", {})
    cold = debit.get("cold_first_call", {})
    lines += [
        "",
        f"HTTP runner over the floor (information only): p50 {_num(info.get('p50_ratio'))}, "
        f"p99 {_num(info.get('p99_ratio'))}, throughput at {threads} threads "
        f"{_num(info.get(f'throughput_ratio_{threads}'))}.",
    ]
    if cross:
        lines.append(
            f"Cross-check, median of per-round ratios b/a: p50 {_num(cross.get('p50_ratio'))}, "
            f"throughput at {threads} threads {_num(cross.get(f'throughput_ratio_{threads}'))}."
        )
    calls = debit.get("ddb_calls", {})
    if calls:
        lines.append(
            f"DynamoDB calls of (b), warm: {calls.get('calls')} over {calls.get('requests')} debits "
            f"({', '.join(f'{k} {v}' for k, v in sorted(calls.get('by_operation', {}).items()))})."
        )
    if cold:
        lines.append(
            f"Cold first debit of a user (no wallet hint in the container): {_num(cold.get('calls_per_request'))} "
            f"calls ({', '.join(f'{k} {v}' for k, v in sorted(cold.get('by_operation', {}).items()))} over "
            f"{cold.get('requests')} users), p50 {_num(cold.get('p50_ms'))} ms."
        )
    raw = report.get("cold_init_raw", {})
    medians = raw.get("median_seconds", {})
    heavy = raw.get("heavy_imports", {})
    cpu_ratios = raw.get("cpu_ratio", {})
    lines += [
        "",
        "## Cold init (import of the function's module in a fresh process)",
        "",
        f"Floor: `import boto3; boto3.client('dynamodb')`, median {_ms(raw.get('floor_median_seconds'))} ms "
        f"over {raw.get('runs', '?')} runs.",
    ]
    probes = raw.get("heavy_import_alone_median_seconds") or {}
    if probes:
        lines.append(
            "Importing a heavy package alone in a fresh process (median): "
            + ", ".join(f"`{name}` {_ms(value)} ms" for name, value in probes.items())
            + " (`jwt` includes `cryptography` when it is installed)."
        )
    lines += [
        "",
        "| function | median ms | ratio | | CPU-time ratio (cross-check) | heavy modules loaded | not needed by it |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, value in sorted(report["cold_init"].items(), key=lambda item: -item[1]):
        loaded = heavy.get(name, {})
        lines.append(
            f"| {name} | {_ms(medians.get(name))} | {_num(value)} "
            f"| {'PASS' if COLD_INIT_TARGET.met(value) else 'MISS'} | {_num(cpu_ratios.get(name))} "
            f"| {', '.join(loaded.get('loaded', [])) or '-'} "
            f"| {', '.join(loaded.get('unneeded', [])) or '-'} |"
        )
    lines += ["", "## How to read this", "", *HOW_TO_READ]
    return "\n".join(lines) + "\n"


HOW_TO_READ = [
    "* **Same-process baseline.** The floor (a) runs in the same process, against the same DynamoDB Local,",
    "  the same tables and the same item shapes as the handler (b), interleaved with it block by block in",
    "  rotating order after a warm-up. Only the ratios b/a are meant to be compared across machines and runs;",
    "  absolute milliseconds describe this machine at this moment.",
    "* **(a) floor:** one `TransactWriteItems` from a plain boto3 client: the conditional wallet update",
    "  (`balance = :b AND available = :a AND available >= :amt`) and the ledger put",
    "  (`attribute_not_exists(entry_key)`), with the expected balance kept in a local variable.",
    "* **(b) handler:** `lambda_handler(event, context)` of `functions/user_tokens_consume/app.py` with a real",
    "  HTTP API v2 event carrying the authorizer context and a fresh idempotency key; building the event is",
    "  API Gateway's work and is not timed. Every answer must be a 200. Everything the handler does is timed:",
    "  Powertools decorators and resolver, pydantic validation, the service, pynamodb, botocore.",
    "* **(c) HTTP:** the same debit as an HTTP POST to the local runner in a background thread with a real",
    "  access token (the authorizer runs, and its decision is cached for 60 s per token and route as API",
    "  Gateway does). The client, server and handler share this process and its GIL: information only.",
    "* **Threads:** at 8 threads every thread has its own user and wallet (many users, as a SaaS has), for",
    "  (a) as for (b). Each round gives every variant a block of the same length; ops/s is all debits",
    "  completed over all of a variant's blocks divided by their total wall time (1 thread: 1000 / mean ms).",
    "* **Concurrency in one process.** As in Lambda, each concurrent invocation runs on a container of its",
    "  own: every worker thread of (b) gets its own instance of the handler module (`LocalApi.container`),",
    "  and the runner keeps Powertools' class-level request state per thread. After the run every wallet",
    "  and ledger is checked against the debits its worker made.",
    "* **DynamoDB calls** are counted with a botocore `before-call.dynamodb.*` hook on the store's shared",
    "  client over the measured calls of (b) only (the hook is per thread).",
    "* **Cold init** is timed inside a fresh interpreter, after its start-up: only the import (or, for the",
    "  floor, `import boto3` and the client). Children run one at a time, round-robin with the floor, in",
    "  the environment of a Lambda init (`AWS_LAMBDA_FUNCTION_NAME` set: the layer keeps the cyclic GC off",
    "  until the module has loaded, decision 50 in `docs/decisions.md`). The stripe SDK is needed, and",
    "  loaded, only by the two Stripe functions; they are the slowest inits.",
    "* **Where the time goes:** `PYTHONPATH=layers/vbwd:. .venv/bin/python -m bench.profile --spy` times the",
    "  handler layer by layer against the floor and samples it with py-spy (`bench/results/profile.md`).",
    "* **Noise.** The machine runs other work (see the load average): absolute numbers move a lot between",
    "  runs, the ratios much less. p99 is the most sensitive figure; treat differences under ~10 % as noise.",
]


def write(report: Mapping[str, Any], results_dir: Path, markdown_path: Path) -> None:
    results_dir.mkdir(parents=True, exist_ok=True)
    temporary = results_dir / "latest.json.tmp"
    temporary.write_text(to_json(report))
    temporary.replace(results_dir / "latest.json")
    markdown_path.write_text(markdown(_clean(report)))
