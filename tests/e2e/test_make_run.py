"""What `make run` runs (python -m local.serve): up within a minute, data kept in VBWD_DATA_DIR across
restarts, and Ctrl-C stops everything -- no orphan Java process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from local import ROOT, ddb
from tests.conftest import TEST_ENV


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in state


def _start(data_dir: Path, port: int, dynamodb_port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        **TEST_ENV,
        "VBWD_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "DYNAMODB_PORT": str(dynamodb_port),
        "VBWD_ADMIN_PASSWORD": "admin-password-for-tests",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "vbwd"), str(ROOT)]),
    }
    env.pop("DYNAMODB_ENDPOINT", None)
    return subprocess.Popen(
        [sys.executable, "-m", "local.serve"],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_healthy(process: subprocess.Popen[str], url: str, started: float) -> float:
    while True:
        try:
            if requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return time.monotonic() - started
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() - started > 60:
            process.kill()
            raise AssertionError(f"not healthy within a minute:\n{process.stdout.read() if process.stdout else ''}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)  # Ctrl-C
    output, _ = process.communicate(timeout=30)
    return output


def test_run_serves_keeps_data_and_stops_cleanly(tmp_path: Path) -> None:
    port, dynamodb_port = ddb.free_port(), ddb.free_port()
    url = f"http://127.0.0.1:{port}"
    first = _start(tmp_path, port, dynamodb_port)
    _wait_healthy(first, url, time.monotonic())
    java = [pid for pid in _children(first.pid) if "DynamoDBLocal" in Path(f"/proc/{pid}/cmdline").read_text()]
    assert len(java) == 1
    registered = requests.post(
        f"{url}/api/v1/auth/register", timeout=10, json={"email": "persist@example.com", "password": "password123"}
    )
    assert registered.status_code == 201
    demo = requests.get(f"{url}/api/v1/token-bundles", timeout=10).json()["items"]
    assert {item["name"] for item in demo} >= {"1000 Tokens", "10000 Tokens"}
    output = _stop(first)
    assert first.returncode == 0, output
    assert "admin: admin@example.com / admin-password-for-tests" in output
    deadline = time.monotonic() + 10
    while _alive(java[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(java[0]), "DynamoDB Local outlived Ctrl-C"

    second = _start(tmp_path, port, dynamodb_port)  # a warm start on the same data dir
    elapsed = _wait_healthy(second, url, time.monotonic())
    try:
        assert elapsed < 60
        login = requests.post(
            f"{url}/api/v1/auth/login", timeout=10, json={"email": "persist@example.com", "password": "password123"}
        )
        assert login.status_code == 200  # the data survived the restart
        again = requests.get(f"{url}/api/v1/token-bundles", timeout=10).json()["items"]
        assert len(again) == len(demo)  # the demo catalog is seeded once
    finally:
        _stop(second)
