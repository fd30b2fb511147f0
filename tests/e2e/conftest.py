"""e2e: the local runner as its own process (``python -m local.serve``), spoken to over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local import ROOT, ddb
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_ENV, unique_email


class Http:
    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)


@pytest.fixture(scope="session")
def runner(dynamodb: ddb.DynamoDBLocal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Http]:
    port = ddb.free_port()
    data_dir: Path = tmp_path_factory.mktemp("e2e-data")
    log_path = data_dir / "runner.log"
    log = open(log_path, "w")  # noqa: SIM115 -- kept open for the server's lifetime
    env = {
        **os.environ,
        **TEST_ENV,
        "VBWD_ADMIN_EMAIL": ADMIN_EMAIL,
        "VBWD_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "vbwd"), str(ROOT)]),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.serve",
            "--port",
            str(port),
            "--dynamodb-endpoint",
            dynamodb.endpoint,
            "--table-prefix",
            "e2e_",
            "--data-dir",
            str(data_dir),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,  # a file, not a pipe: a pipe nobody reads would fill and stall the server
        stderr=subprocess.STDOUT,
        text=True,
    )
    http = Http(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while True:
        try:
            if http.get("/api/v1/health").status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = log_path.read_text()
            raise RuntimeError(f"the local runner did not start:\n{output}")
        time.sleep(0.2)
    try:
        yield http
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="session")
def admin_token(runner: Http) -> str:
    reply = runner.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def new_user(runner: Http) -> dict[str, Any]:
    reply = runner.post("/api/v1/auth/register", json={"email": unique_email("e2e"), "password": "password123"})
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


@pytest.fixture
def user(runner: Http) -> dict[str, Any]:
    return new_user(runner)
