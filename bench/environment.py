"""The benchmark's world: DynamoDB Local in memory, its tables, and the process environment handlers read."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

from local import ddb
from local import template as tpl
from local.env import IN_PROCESS

TABLE_PREFIX = "bench_"

BENCH_ENV = {**IN_PROCESS, "POWERTOOLS_SERVICE_NAME": "vbwd-bench"}


def start_dynamodb() -> ddb.DynamoDBLocal:
    return ddb.DynamoDBLocal(ddb.free_port()).start()


def prepare(database: ddb.DynamoDBLocal, data_dir: Path) -> dict[str, str]:
    """Create the tables and point this process (settings, the store's shared connection) at them."""
    names = ddb.create_tables(database.client(), TABLE_PREFIX)
    env = dict(BENCH_ENV)
    env.update(ddb.local_environment(database.endpoint, TABLE_PREFIX, data_dir))
    ddb.apply_environment(env)
    return names


def child_environment() -> dict[str, str]:
    """The environment of a cold-init child: enough that no module fails at import, nothing it could reach."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VBWD_", "POWERTOOLS_"))}
    env.update(tpl.environment(tpl.load(), {}))  # the deployed functions' Globals (tables left out)
    env.update(BENCH_ENV)
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = f"{root / 'layers' / 'vbwd'}{os.pathsep}{root}"
    env.pop("DYNAMODB_ENDPOINT", None)
    env["AWS_LAMBDA_FUNCTION_NAME"] = "vbwd-cold-init"  # Lambda sets it in every init (vbwd/__init__.py reads it)
    return env


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _java_version() -> str:
    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    first = (done.stderr or done.stdout).splitlines()
    return first[0].strip() if first else "unknown"


def machine() -> dict[str, Any]:
    jar = ddb.ensure_jar()
    release = re.sub(r"^dynamodb_local_", "", jar.parent.name)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dynamodb_local": f"{ddb.PACKAGE} (DynamoDBLocal {release})",
        "java": _java_version(),
        "load_average_at_start": [round(value, 2) for value in load],
    }


def describe(info: dict[str, Any]) -> str:
    return f"{info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['dynamodb_local']}, {info['java']}"
