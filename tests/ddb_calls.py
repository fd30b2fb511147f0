"""Count DynamoDB API calls made through the store's shared botocore client -- by the function under test:
calls the Lambda authorizer makes are not the route's (in AWS it is another function, cached 60 s)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local.runner import current_function
from vbwd.store.base import connection


class Calls(list[str]):
    """The names of the DynamoDB operations called, in order."""


@contextmanager
def count_ddb_calls() -> Iterator[Calls]:
    calls = Calls()

    def record(model: Any, **_: Any) -> None:
        if current_function() != "AuthorizerFunction":  # API Gateway's authorizer is a function of its own
            calls.append(model.name)

    events = connection().client.meta.events
    events.register("before-call.dynamodb.*", record, unique_id="vbwd-test-counter")
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb.*", unique_id="vbwd-test-counter")
