"""Where the consume handler's time goes over the floor: ``python -m bench.profile`` (not part of ``make bench``).

1. **Layers, timed.** Four ways of doing the same debit, interleaved op by op in one thread:
   (a) the raw boto3 floor; (s) the service ``vbwd.services.tokens.consume`` (vbwd + pynamodb + botocore);
   (r) ``app.resolve(event, context)`` (plus the Powertools resolver, request validation, pydantic, the
   response); (b) ``lambda_handler`` (plus the Logger/Tracer/Metrics decorators and the media-type check).
   For each: wall p50 and the thread's CPU time per debit. The differences are what each layer costs.
2. **Samples.** With ``--spy`` (needs ``py-spy``: ``.venv/bin/pip install py-spy``), the handler runs in a
   loop under ``py-spy record``; every on-CPU sample is charged to the package that owns the innermost
   non-stdlib frame, giving ms of CPU per debit by package.

Writes ``bench/results/profile.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import debit, environment

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "results" / "profile.md"
LOOP_MARKER = "spy_loop"


class Service:
    name = "s_service"

    def __init__(self, accounts: list[debit.Account]) -> None:
        from vbwd.services import tokens

        self.consume = tokens.consume
        self.accounts = accounts

    def prepare(self, worker: int) -> str:
        return debit.fresh_key("s")

    def call(self, worker: int, prepared: str) -> Any:
        return self.consume(self.accounts[worker].user_id, debit.AMOUNT, prepared)

    def check(self, worker: int, result: Any) -> None:
        return None


class Resolve:
    """``app.resolve`` of the consume module: the handler without its entrypoint decorators."""

    name = "r_resolve"

    def __init__(self, handler: debit.Handler, app: Any) -> None:
        self.handler = handler
        self.resolve = app.resolve

    def prepare(self, worker: int) -> Any:
        return self.handler.prepare(worker)

    def call(self, worker: int, prepared: Any) -> Any:
        return self.resolve(*prepared)

    def check(self, worker: int, result: Any) -> None:
        self.handler.check(worker, result)


# --- what-if variants: sketches of layer changes, measured, never used by the app -----------------------


class FloorOnStoreClient(debit.Floor):
    """The floor's request sent through the store's shared botocore client (pynamodb turns botocore's
    parameter validation off, which plain boto3 keeps on)."""

    name = "w_floor_store_client"

    def __init__(self, endpoint: str, tables: dict[str, str]) -> None:
        super().__init__(endpoint, tables, 1)
        from vbwd.store.base import connection

        self.fund()
        self.client = connection().client


class DirectHandler:
    """What-if: the consume handler without the Powertools resolver: the principal from the event, the body
    validated by pydantic directly, the response dumped by pydantic; Logger kept, Tracer and Metrics gone.
    (A real one would also map domain errors; the happy path is what is measured.)"""

    name = "w_direct_handler"

    def __init__(self, handler: debit.Handler) -> None:
        from aws_lambda_powertools import Logger

        from vbwd.api.schemas.tokens import ConsumeRequest, MovementResponse, idempotency_key
        from vbwd.services import tokens

        logger = Logger(child=True)

        @logger.inject_lambda_context(clear_state=True)
        def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
            principal = event["requestContext"]["authorizer"]["lambda"]
            body = ConsumeRequest.model_validate_json(event["body"])
            key = idempotency_key(body.idempotency_key, event["headers"].get("idempotency-key"))
            outcome = tokens.consume(principal["user_id"], body.amount, key, body.description, body.metadata)
            return {
                "statusCode": 200,
                "headers": {"Content-Type": "application/json"},
                "body": MovementResponse.of(outcome).model_dump_json(),
            }

        self.handle = handle
        self.handler = handler

    def prepare(self, worker: int) -> Any:
        return self.handler.prepare(worker)

    def call(self, worker: int, prepared: Any) -> Any:
        return self.handle(*prepared)

    def check(self, worker: int, result: Any) -> None:
        self.handler.check(worker, result)


def _layers(endpoint: str, tables: dict[str, str], ops: int) -> dict[str, dict[str, float]]:
    from local.runner import LocalApi

    api = LocalApi()
    floor = debit.Floor(endpoint, tables, 1)
    floor.fund()
    handler = debit.Handler(api, debit.create_funded_users(1, "pb"))
    module = sys.modules[f"vbwd_function_{debit.CONSUME_FUNCTION}"]
    variants: list[debit.Variant] = [
        floor,
        Service(debit.create_funded_users(1, "ps")),
        Resolve(debit.Handler(api, debit.create_funded_users(1, "pr")), module.app),
        handler,
        FloorOnStoreClient(endpoint, tables),
        DirectHandler(debit.Handler(api, debit.create_funded_users(1, "pd"))),
    ]
    wall: dict[str, list[float]] = {variant.name: [] for variant in variants}
    cpu: dict[str, list[float]] = {variant.name: [] for variant in variants}
    for index in range(ops + 200):
        for variant in debit.rotated(variants, index):
            prepared = variant.prepare(0)
            cpu_start = time.thread_time_ns()
            start = time.perf_counter_ns()
            result = variant.call(0, prepared)
            elapsed = time.perf_counter_ns() - start
            used = time.thread_time_ns() - cpu_start
            variant.check(0, result)
            if index >= 200:  # the first 200 rounds warm up
                wall[variant.name].append(elapsed / 1e6)
                cpu[variant.name].append(used / 1e6)
    return {name: {"p50_ms": statistics.median(wall[name]), "cpu_ms": statistics.fmean(cpu[name])} for name in wall}


# --- py-spy ------------------------------------------------------------------------------------------

HTTP = "botocore + urllib3 + http.client (the floor pays this too)"
SOCKET = "socket send/recv (syscalls and waiting for DynamoDB Local)"
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("aws_lambda_powertools/logging", "Powertools Logger (inject_lambda_context)"),
    ("aws_lambda_powertools/metrics", "Powertools Metrics (log_metrics, nothing to flush)"),
    ("aws_lambda_powertools/tracing", "Powertools Tracer (disabled)"),
    ("aws_lambda_powertools/event_handler/middlewares/openapi_validation", "Powertools OpenAPI validation"),
    ("aws_lambda_powertools/event_handler/openapi", "Powertools OpenAPI validation"),
    ("aws_lambda_powertools/event_handler", "Powertools resolver (routing, middleware chain, response)"),
    ("aws_lambda_powertools/utilities/data_classes", "Powertools event data classes"),
    ("aws_lambda_powertools", "Powertools (other)"),
    ("pydantic", "pydantic"),
    ("pynamodb", "pynamodb (models, expressions, serialization)"),
    ("botocore", HTTP),
    ("urllib3", HTTP),
    ("jmespath", HTTP),
    ("http/client.py", HTTP),
    ("vbwd/api", "vbwd.api"),
    ("vbwd/services", "vbwd.services"),
    ("vbwd/store", "vbwd.store"),
    ("vbwd/", "vbwd (domain, settings)"),
    ("functions/", "the function module"),
    ("bench/", "benchmark harness"),
)
_PATH = re.compile(r"\((.*):\d+\)$")


def _owner(frame: str) -> str | None:
    if frame.startswith(("SocketIO.readinto (", "HTTPConnection.send (http/client.py")):
        return SOCKET
    found = _PATH.search(frame)
    path = found.group(1) if found else frame
    for fragment, category in CATEGORIES:
        if path.startswith(fragment):
            return category
    return None


def classify(stacks: Counter[str]) -> tuple[Counter[str], int]:
    """Charge each sample inside the measured loop to the innermost frame with a known owner (stdlib
    frames are charged to their caller)."""
    charged: Counter[str] = Counter()
    total = 0
    for stack, count in stacks.items():
        frames = stack.split(";")
        marker = next((index for index, frame in enumerate(frames) if frame.startswith(f"{LOOP_MARKER} (")), None)
        if marker is None:
            continue
        total += count
        owner = next((found for frame in reversed(frames[marker + 1 :]) if (found := _owner(frame))), None)
        charged[owner or "stdlib called from the harness"] += count
    return charged, total


def read_raw(path: Path) -> Counter[str]:
    stacks: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def spy_loop(handler: debit.Handler, ops: int) -> None:
    sink: list[float] = []
    for _ in range(ops):
        debit._one(handler, 0, sink)


def spy_warm_up(handler: debit.Handler, ops: int) -> None:
    sink: list[float] = []
    for _ in range(ops):
        debit._one(handler, 0, sink)


def _loop_child(ops: int) -> None:
    """Run inside py-spy: set up, warm up, then ``spy_loop`` (the only frames that are counted)."""
    database = environment.start_dynamodb()
    try:
        with tempfile.TemporaryDirectory(prefix="vbwd-bench-") as data_dir:
            environment.prepare(database, Path(data_dir))
            from local.runner import LocalApi

            handler = debit.Handler(LocalApi(), debit.create_funded_users(1, "spy"))
            spy_warm_up(handler, 300)
            cpu, wall = time.thread_time(), time.perf_counter()
            spy_loop(handler, ops)
            print(f"cpu_ms_per_op={(time.thread_time() - cpu) * 1000 / ops:.4f}")
            print(f"wall_ms_per_op={(time.perf_counter() - wall) * 1000 / ops:.4f}")
    finally:
        database.stop()


def _spy(ops: int, rate: int) -> tuple[Counter[str], int, dict[str, float]] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return None
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "stacks.txt"
        env = dict(os.environ)
        done = subprocess.run(
            [spy, "record", "--nonblocking", "-r", str(rate), "-f", "raw", "-o", str(raw), "--",
             sys.executable, "-m", "bench.profile", "--loop", str(ops)],
            capture_output=True, text=True, env=env, cwd=ROOT, check=False, timeout=900,
        )  # fmt: skip
        if done.returncode != 0 or not raw.exists():
            print(done.stderr[-2000:], file=sys.stderr)
            return None
        figures = {
            name: float(value)
            for name, _, value in (line.partition("=") for line in done.stdout.splitlines())
            if name.endswith("_ms_per_op")
        }
        figures["ops"], figures["rate"] = ops, rate
        charged, total = classify(read_raw(raw))
        return charged, total, figures


def render(
    layers: dict[str, dict[str, float]], spied: tuple[Counter[str], int, dict[str, float]] | None, ops: int
) -> str:
    a, s, r, b = (layers[name] for name in ("a_floor", "s_service", "r_resolve", "b_handler"))
    w1, w2 = layers["w_floor_store_client"], layers["w_direct_handler"]
    pynamodb_cost = s["cpu_ms"] - w1["cpu_ms"]  # the same request, built by vbwd + pynamodb vs by hand
    lines = [
        "# Where the consume handler's time goes",
        "",
        f"Generated by `python -m bench.profile` ({ops} debits per variant, interleaved op by op, one thread).",
        f"Machine: {environment.describe(environment.machine())}.",
        "",
        "| variant | wall p50 ms | CPU ms / debit | CPU ms added |",
        "|---|---|---|---|",
        f"| (a) floor: raw boto3 TransactWriteItems | {a['p50_ms']:.2f} | {a['cpu_ms']:.2f} | |",
        f"| (s) `tokens.consume` service (vbwd + pynamodb) | {s['p50_ms']:.2f} | {s['cpu_ms']:.2f} "
        f"| {s['cpu_ms'] - a['cpu_ms']:+.2f} over (a) |",
        f"| (r) `app.resolve` (Powertools resolver, OpenAPI validation, pydantic) | {r['p50_ms']:.2f} "
        f"| {r['cpu_ms']:.2f} | {r['cpu_ms'] - s['cpu_ms']:+.2f} over (s) |",
        f"| (b) `lambda_handler` (Logger, Tracer, Metrics decorators) | {b['p50_ms']:.2f} | {b['cpu_ms']:.2f} "
        f"| {b['cpu_ms'] - r['cpu_ms']:+.2f} over (r) |",
        f"| what-if: the floor's request on the store's client (botocore validation off) | {w1['p50_ms']:.2f} "
        f"| {w1['cpu_ms']:.2f} | {w1['cpu_ms'] - a['cpu_ms']:+.2f} over (a) |",
        f"| what-if: handler without the resolver (pydantic directly, Logger only) | {w2['p50_ms']:.2f} "
        f"| {w2['cpu_ms']:.2f} | {w2['cpu_ms'] - b['cpu_ms']:+.2f} over (b) |",
        "",
        f"* Handler over floor: wall p50 {b['p50_ms'] - a['p50_ms']:+.2f} ms ({b['p50_ms'] / a['p50_ms']:.2f}x), "
        f"CPU {b['cpu_ms'] - a['cpu_ms']:+.2f} ms per debit ({b['cpu_ms'] / a['cpu_ms']:.2f}x).",
        f"* vbwd + pynamodb build the same request for {pynamodb_cost:.2f} ms more CPU than the hand-built one on the "
        f"same client; the floor's botocore parameter validation costs {a['cpu_ms'] - w1['cpu_ms']:.2f} ms, "
        "which pynamodb turns off.",
        f"* Without the resolver the handler is at {w2['p50_ms'] / a['p50_ms']:.2f}x the floor's p50; writing the "
        f"two items by hand as well would remove about {pynamodb_cost:.2f} ms more CPU "
        f"(≈ {(w2['cpu_ms'] - pynamodb_cost) / a['cpu_ms']:.2f}x the floor's CPU).",
    ]
    if spied is not None:
        charged, total, figures = spied
        on_cpu = total - charged.get(SOCKET, 0)
        lines += [
            "",
            f"## py-spy: samples of the handler loop by owning package ({total} samples, {figures['ops']:g} debits)",
            "",
            "Each sample is charged to the innermost frame whose file belongs to a known package (stdlib frames to",
            "their caller). Samples in socket send/recv are mostly waiting for DynamoDB Local (py-spy does not",
            "always see that as idle); the other samples are spread over the handler's CPU time per debit measured",
            f"above ({b['cpu_ms']:.2f} ms) to give the last column. Approximate: py-spy competes for the same 2 cores.",
            "",
            "| owner | share of samples | ≈ CPU ms per debit |",
            "|---|---|---|",
        ]
        for category, count in charged.most_common():
            cpu = "-" if category == SOCKET or on_cpu == 0 else f"{b['cpu_ms'] * count / on_cpu:.3f}"
            lines.append(f"| {category} | {100 * count / total:.1f} % | {cpu} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=1500, help="debits per layer")
    parser.add_argument("--spy", action="store_true", help="also sample the handler with py-spy")
    parser.add_argument("--loop", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.loop:
        _loop_child(args.loop)
        return 0
    database = environment.start_dynamodb()
    try:
        with tempfile.TemporaryDirectory(prefix="vbwd-bench-") as data_dir:
            tables = environment.prepare(database, Path(data_dir))
            layers = _layers(database.endpoint, tables, args.ops)
    finally:
        database.stop()
    spied = _spy(args.ops * 2, 250) if args.spy else None
    text = render(layers, spied, args.ops)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
