"""The local runner keeps concurrent requests apart, as separate Lambda invocations are.

Powertools keeps the request being handled in class attributes (``BaseRouter.current_event``) and in each
resolver's ``context`` (path parameters, the matched route): right in Lambda, where a process handles one
event at a time, wrong for a runner that serves many requests on threads of one process. These tests send
distinct requests at once and check that every reply answers its own request.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.runner import Reply
from tests.conftest import Client, register, unique_email

ROUNDS = 24


@pytest.fixture(autouse=True)
def frequent_thread_switches() -> Iterator[None]:
    """Switch threads every few microseconds instead of every 5 ms, so that a race shows up every run."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def _together(calls: list[Any]) -> list[Reply]:
    start = threading.Barrier(len(calls))

    def run(call: Any) -> Reply:
        start.wait()
        return call()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_bodies_are_not_mixed(client: Client) -> None:
    emails = [unique_email("isolation") for _ in range(ROUNDS)]
    replies = _together(
        [
            lambda email=email: client.post("/api/v1/auth/register", {"email": email, "password": "password123"})
            for email in emails
        ]
    )
    assert [reply.status for reply in replies] == [201] * ROUNDS
    assert [reply.json()["user"]["email"] for reply in replies] == emails


def test_concurrent_path_parameters_are_not_mixed(client: Client, admin: dict[str, Any]) -> None:
    ids = [register(client)["user"]["id"] for _ in range(ROUNDS)]
    token = admin["access_token"]
    replies = _together(
        [lambda user_id=user_id: client.get(f"/api/v1/admin/users/{user_id}", token=token) for user_id in ids]
    )
    assert [reply.status for reply in replies] == [200] * ROUNDS
    assert [reply.json()["id"] for reply in replies] == ids


def test_concurrent_callers_are_not_mixed(client: Client, admin: dict[str, Any], user: dict[str, Any]) -> None:
    tokens = [admin["access_token"], user["access_token"]] * (ROUNDS // 2)
    replies = _together([lambda token=token: client.get("/api/v1/user/profile", token=token) for token in tokens])
    expected = [admin["user"]["email"], user["user"]["email"]] * (ROUNDS // 2)
    assert [reply.json()["email"] for reply in replies] == expected
