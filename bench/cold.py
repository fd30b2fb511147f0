"""Cold init: import each function's ``app`` module in a fresh Python process, timed inside the child, and
compare with the floor ``import boto3; boto3.client("dynamodb")`` timed the same way.

Children run one at a time. Every round runs the floor and every function once (round-robin), so a burst of
load on the machine hits all of them alike; the figure per target is the median over rounds.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.environment import child_environment
from local import template as tpl

FLOOR = "__floor__"

# Timed inside the child: only the import (or the floor's client creation), after interpreter start-up.
CHILD = r"""
import importlib.util, json, sys, time
target, name = sys.argv[1], sys.argv[2]
start, cpu = time.perf_counter(), time.process_time()
if target == "-":
    import boto3
    boto3.client("dynamodb", region_name="us-east-1")
elif target.startswith("import:"):
    importlib.import_module(target[len("import:"):])
else:
    spec = importlib.util.spec_from_file_location(name, target)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
watched = sys.argv[3].split(",")
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "loaded": sorted(m for m in watched if m in sys.modules)}))
"""

# Heavy third-party packages and the functions that actually use them. Everything else loading one is
# paying for an import it does not need.
HEAVY = ("stripe", "jwt", "cryptography", "argon2", "boto3", "requests")
NEEDS: dict[str, frozenset[str]] = {
    "AuthorizerFunction": frozenset({"jwt"}),  # verifies access tokens
    "AuthRegisterFunction": frozenset({"jwt", "argon2"}),  # hashes the password, issues tokens
    "AuthLoginFunction": frozenset({"jwt", "argon2"}),  # verifies the password, issues tokens
    "AuthRefreshFunction": frozenset({"jwt"}),  # issues a new access token
    "UserInvoicesPayFunction": frozenset({"stripe", "requests"}),  # creates a Checkout Session
    "WebhooksStripeFunction": frozenset({"stripe", "requests"}),  # verifies and parses Stripe events
}
# boto3 itself is not a dependency of the layer (botocore is): Powertools' parameters utility pulls it in
# lazily, only where a secret is fetched. ``requests`` is stripe's HTTP client.


@dataclass
class Timings:
    seconds: dict[str, list[float]] = field(default_factory=dict)
    cpu_seconds: dict[str, list[float]] = field(default_factory=dict)
    loaded: dict[str, list[str]] = field(default_factory=dict)


def run_child(target: str, name: str, env: Mapping[str, str], cwd: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, target, name, ",".join(HEAVY)],
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {target} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def targets(root: Path) -> dict[str, str]:
    """Logical id -> module file, for every function of template.yaml."""
    return {logical: str(fn.module_path) for logical, fn in tpl.functions(tpl.load()).items()}


# What importing each heavy package alone costs (timed like the floor), to price an unneeded import.
PROBES = ("argon2", "jwt", "stripe", "aws_xray_sdk.core")
PROBE_PREFIX = "import "


def measure(root: Path, runs: int, progress: Callable[[str], None]) -> Timings:
    """The caller compiles the bytecode first (``compileall``), so no run pays for compiling."""
    env = child_environment()
    found = targets(root)
    order = [(FLOOR, "-"), *found.items(), *((f"{PROBE_PREFIX}{name}", f"import:{name}") for name in PROBES)]
    timings = Timings()
    for index in range(runs):
        for logical, path in order:
            result = run_child(path, f"vbwd_function_{logical}", env, root)
            timings.seconds.setdefault(logical, []).append(float(result["seconds"]))
            timings.cpu_seconds.setdefault(logical, []).append(float(result["cpu_seconds"]))
            timings.loaded[logical] = list(result["loaded"])
        progress(f"  cold init: round {index + 1}/{runs}")
    return timings


def unneeded(logical: str, loaded: list[str]) -> list[str]:
    needed = NEEDS.get(logical, frozenset())
    return [module for module in loaded if module not in needed and module != "boto3"]


def summary(timings: Timings) -> tuple[dict[str, list[float]], list[float], dict[str, Any]]:
    floor = timings.seconds[FLOOR]
    functions = {
        name: runs for name, runs in timings.seconds.items() if name != FLOOR and not name.startswith(PROBE_PREFIX)
    }
    probes = {
        name[len(PROBE_PREFIX) :]: statistics.median(runs)
        for name, runs in timings.seconds.items()
        if name.startswith(PROBE_PREFIX)
    }
    raw = {
        "runs": len(floor),
        "floor_median_seconds": statistics.median(floor),
        "floor_seconds": floor,
        "median_seconds": {name: statistics.median(runs) for name, runs in functions.items()},
        # Cross-check: CPU time of the import moves much less with the machine's load than wall time does.
        "cpu_ratio": {
            name: statistics.median(timings.cpu_seconds[name]) / statistics.median(timings.cpu_seconds[FLOOR])
            for name in functions
        },
        "seconds": functions,
        "heavy_import_alone_median_seconds": probes,
        "heavy_imports": {
            name: {"loaded": timings.loaded.get(name, []), "unneeded": unneeded(name, timings.loaded.get(name, []))}
            for name in functions
        },
    }
    return functions, floor, raw
