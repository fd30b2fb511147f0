"""A transaction builder: collect labelled writes, commit them as ONE ``TransactWriteItems``.

Labels name each item ("invoice", "wallet", "ledger:<key>") so that callers can tell *why* a
transaction was cancelled (``TransactionCancelled.reasons`` is keyed by label).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from vbwd.domain.errors import Unavailable
from vbwd.store.base import TableModel, connection
from vbwd.store.errors import translated

MAX_ITEMS = 100  # DynamoDB's limit per transaction (and no item may appear twice)


class Transaction:
    """Labelled writes, sent in the order they were added as one ``TransactWriteItems``."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._labels: list[str] = []

    def __len__(self) -> int:
        return len(self._items)

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    def raw(self, label: str, kind: str, request: dict[str, Any]) -> Transaction:
        """Add a pre-built item (``kind``: Put, Update, Delete or ConditionCheck) -- for hot paths where
        building it through pynamodb's models would cost more than the write."""
        if label in self._labels:
            raise ValueError(f"duplicate transaction label {label!r}")
        self._labels.append(label)
        self._items.append({kind: request})
        return self

    def put(
        self, label: str, item: TableModel, condition: Condition | None = None, *, return_old: bool = False
    ) -> Transaction:
        request = item.get_save_kwargs_from_instance(
            condition=condition, return_values_on_condition_failure="ALL_OLD" if return_old else None
        )
        return self.raw(label, "Put", request)

    def update(
        self,
        label: str,
        item: TableModel,
        actions: Sequence[Action],
        condition: Condition | None = None,
        *,
        return_old: bool = False,
    ) -> Transaction:
        request = item.get_update_kwargs_from_instance(
            actions=list(actions),
            condition=condition,
            return_values_on_condition_failure="ALL_OLD" if return_old else None,
            add_version_condition=False,
        )
        return self.raw(label, "Update", request)

    def delete(self, label: str, item: TableModel, condition: Condition | None = None) -> Transaction:
        return self.raw(
            label, "Delete", item.get_delete_kwargs_from_instance(condition=condition, add_version_condition=False)
        )

    def check(
        self, label: str, model: type[TableModel], hash_key: Any, range_key: Any | None = None, *, condition: Condition
    ) -> Transaction:
        return self.raw(
            label,
            "ConditionCheck",
            model.get_operation_kwargs_from_class(hash_key, range_key=range_key, condition=condition),
        )

    def commit(self, client_request_token: str | None = None) -> None:
        """Write everything or nothing. Raises ``TransactionCancelled`` with reasons by label."""
        if not self._items:
            return
        if len(self._items) > MAX_ITEMS:
            raise ValueError(f"a transaction holds at most {MAX_ITEMS} items, not {len(self._items)}")
        request: dict[str, Any] = {"TransactItems": self._items}
        if client_request_token:
            request["ClientRequestToken"] = client_request_token
        with translated(self._labels):
            connection().client.transact_write_items(**request)


def batch_get(
    keys: list[tuple[type[TableModel], Any, Any | None]], *, consistent: bool = False
) -> list[TableModel | None]:
    """Read items across tables with ``BatchGetItem`` (one round trip unless DynamoDB leaves keys
    unprocessed). Results are in the order of ``keys``; missing items are ``None``."""
    if not keys:
        return []
    request: dict[str, dict[str, Any]] = {}
    wanted: list[tuple[str, dict[str, Any]]] = []
    for model, hash_key, range_key in keys:
        table = model.table_name()
        key = model.get_operation_kwargs_from_class(hash_key, range_key=range_key)["Key"]
        entry = request.setdefault(table, {"Keys": [], "ConsistentRead": consistent})
        if key not in entry["Keys"]:
            entry["Keys"].append(key)
        wanted.append((table, key))
    found: dict[str, list[dict[str, Any]]] = {}
    client = connection().client
    with translated():
        for attempt in range(8):
            response = client.batch_get_item(RequestItems=request)
            for table, items in response.get("Responses", {}).items():
                found.setdefault(table, []).extend(items)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 -- throttled: back off, with jitter
        else:
            raise Unavailable("DynamoDB left keys unprocessed; retry.")
    results: list[TableModel | None] = []
    for (table, key), (model, _, _) in zip(wanted, keys, strict=True):
        match = next((raw for raw in found.get(table, []) if all(raw.get(k) == v for k, v in key.items())), None)
        results.append(model.from_raw_data(match) if match is not None else None)
    return results
