"""The IAM audit: every DynamoDB call a function makes during the integration tests must be allowed by
that function's policy in template.yaml.

The runner does not enforce IAM, so a missing permission would pass every local test and fail in AWS with
AccessDenied. While the tests run, each call a handler makes (through the runner) is recorded as
(action, table or index); at the end of the session, anything the function's policy does not grant fails
the run, listed by function.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import botocore.client
import pytest

from local import runner
from local import template as tpl
from local.fake_stripe import FakeStripe
from tests.conftest import reset_caches

USED: dict[str, set[tuple[str, str]]] = defaultdict(set)
MISSING: dict[str, set[tuple[str, str]]] = {}
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


def _logical(table: str) -> str:
    return re.sub(r"^[a-z0-9]+_", "", table)  # local tables are <prefix>_<LogicalId>


def _record(function: str, operation: str, params: dict[str, Any]) -> None:
    used = USED[function]
    if operation == "TransactWriteItems":
        for item in params.get("TransactItems", []):
            ((kind, body),) = item.items()
            used.add((_TRANSACT[kind], _logical(body["TableName"])))
    elif operation == "TransactGetItems":
        used.update(("GetItem", _logical(item["Get"]["TableName"])) for item in params.get("TransactItems", []))
    elif operation in {"BatchGetItem", "BatchWriteItem"}:
        used.update((operation, _logical(table)) for table in params.get("RequestItems", {}))
    else:
        resource = _logical(params.get("TableName", "?"))
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        used.add((operation, resource))


def granted() -> dict[str, set[tuple[str, str]]]:
    grants: dict[str, set[tuple[str, str]]] = {}
    for name, res in tpl.resources(tpl.load(), "AWS::Serverless::Function").items():
        allowed: set[tuple[str, str]] = set()
        for policy in res["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []):
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                for action in actions:
                    if not action.startswith("dynamodb:"):
                        continue
                    for resource in resources:
                        if "Fn::GetAtt" in resource:
                            target = resource["Fn::GetAtt"][0]
                        else:
                            target = re.sub(r"\$\{(\w+)\.Arn\}", r"\1", resource["Fn::Sub"])
                        allowed.add((action.split(":", 1)[1], target))
        grants[name] = allowed
    return grants


@pytest.fixture(scope="session", autouse=True)
def iam_audit() -> Iterator[None]:
    original_call = botocore.client.BaseClient._make_api_call

    def call(self: Any, operation: str, params: dict[str, Any]) -> Any:
        function = runner.current_function()
        if function and self.meta.service_model.service_name == "dynamodb":
            _record(function, operation, params)
        return original_call(self, operation, params)

    botocore.client.BaseClient._make_api_call = call
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original_call
        grants = granted()
        for function, used in USED.items():
            missing = used - grants.get(function, set())
            if missing:
                MISSING[function] = missing


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if MISSING:
        lines = [f"  {fn}: {sorted(missing)}" for fn, missing in sorted(MISSING.items())]
        print("\nIAM audit: these DynamoDB calls are not allowed by the function's policy in template.yaml:")
        print("\n".join(lines))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif USED:
        print(
            f"\nIAM audit: {sum(len(u) for u in USED.values())} (action, resource) pairs over {len(USED)} "
            "functions, all granted by template.yaml"
        )


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """The local fake of Stripe's API, with the SDK pointed at it (and the settings cache re-read)."""
    fake = FakeStripe().start()
    os.environ["STRIPE_API_BASE"] = fake.url
    reset_caches()
    try:
        yield fake
    finally:
        os.environ.pop("STRIPE_API_BASE", None)
        reset_caches()
        fake.stop()
