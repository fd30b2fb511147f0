"""Shared fixtures: a test environment, DynamoDB Local (once per session, in memory, free port), and
clients that call the real handlers through the local runner."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local import ddb
from local.env import IN_PROCESS
from local.runner import LocalApi, Reply

TEST_ENV = dict(IN_PROCESS)
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-for-tests"


def reset_caches() -> None:
    from vbwd.services import api_keys, passwords
    from vbwd.settings import reset_settings
    from vbwd.store.base import reset

    reset_settings()
    reset()
    passwords.reset()
    api_keys.clear_cache()


@pytest.fixture(scope="session", autouse=True)
def test_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(TEST_ENV)
    os.environ["VBWD_DATA_DIR"] = str(tmp_path_factory.mktemp("vbwd-data"))
    reset_caches()
    yield
    os.environ.clear()
    os.environ.update(saved)
    reset_caches()


# --- DynamoDB Local ----------------------------------------------------------------------------
_prefixes = itertools.count(1)


@pytest.fixture(scope="session")
def dynamodb() -> Iterator[ddb.DynamoDBLocal]:
    database = ddb.DynamoDBLocal(ddb.free_port()).start()
    try:
        yield database
    finally:
        database.stop()


def use_tables(database: ddb.DynamoDBLocal, prefix: str) -> dict[str, str]:
    """Create a set of tables under ``prefix`` and point the settings at it."""
    names = ddb.create_tables(database.client(), prefix)
    os.environ.update(ddb.local_environment(database.endpoint, prefix))
    reset_caches()
    return names


@pytest.fixture(scope="session")
def session_tables(dynamodb: ddb.DynamoDBLocal) -> dict[str, str]:
    return use_tables(dynamodb, "s_")


@pytest.fixture
def db(dynamodb: ddb.DynamoDBLocal, session_tables: dict[str, str]) -> dict[str, str]:
    """The session's tables (tests keep apart by using fresh users and items)."""
    use_tables(dynamodb, "s_")
    return session_tables


@pytest.fixture
def fresh_db(dynamodb: ddb.DynamoDBLocal, db: dict[str, str]) -> Iterator[dict[str, str]]:
    """An empty set of tables of its own, for tests that count or list everything. It depends on ``db``
    so that the session tables are set up first whatever the order of a test's arguments."""
    names = use_tables(dynamodb, f"f{next(_prefixes)}_")
    yield names
    use_tables(dynamodb, "s_")


# --- calling handlers ------------------------------------------------------------------------------
class Client:
    """Calls the real handlers with real HTTP API v2 events through the local runner, in process."""

    def __init__(self, api: LocalApi) -> None:
        self.api = api

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: str | bytes | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = {"content-type": "application/json"} if (json_body is not None or body is not None) else {}
        if token:
            sent["authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        payload = json.dumps(json_body) if json_body is not None else body
        return self.api.request(method, path, sent, payload)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, json_body=json_body, **kwargs)

    def put(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PUT", path, json_body=json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.request("DELETE", path, **kwargs)


_api: LocalApi | None = None


@pytest.fixture
def client(db: dict[str, str]) -> Client:
    global _api
    if _api is None:
        _api = LocalApi()
    return Client(_api)


_emails = itertools.count(1)


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{os.getpid()}-{next(_emails)}@example.com"


def register(client: Client, email: str | None = None, password: str = "password123") -> dict[str, Any]:  # noqa: S107
    reply = client.post("/api/v1/auth/register", {"email": email or unique_email(), "password": password})
    assert reply.status == 201, reply.body
    return dict(reply.json())


@pytest.fixture
def user(client: Client) -> dict[str, Any]:
    return register(client)


@pytest.fixture
def admin(client: Client) -> dict[str, Any]:
    from vbwd.services import users

    users.ensure_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    reply = client.post("/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert reply.status == 200, reply.body
    return dict(reply.json())


def data_dir() -> Path:
    return Path(os.environ["VBWD_DATA_DIR"])
