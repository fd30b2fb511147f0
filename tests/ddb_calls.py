"""Count DynamoDB API calls made through the store's shared botocore client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from vbwd.store.base import connection


class Calls(list[str]):
    """The names of the DynamoDB operations called, in order."""


@contextmanager
def count_ddb_calls() -> Iterator[Calls]:
    calls = Calls()

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = connection().client.meta.events
    events.register("before-call.dynamodb.*", record, unique_id="vbwd-test-counter")
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb.*", unique_id="vbwd-test-counter")
