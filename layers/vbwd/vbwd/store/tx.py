"""A transaction builder: collect labelled writes, commit them as ONE ``TransactWriteItems``.

Labels name each item ("invoice", "wallet", "ledger:<key>") so that callers can tell *why* a
transaction was cancelled (``TransactionCancelled.reasons`` is keyed by label).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactGet, TransactWrite

from vbwd.store.base import TableModel, connection
from vbwd.store.errors import translated

MAX_ITEMS = 100  # DynamoDB's limit per transaction (and no item may appear twice)


@dataclass
class _Op:
    label: str
    kind: str  # check | delete | put | update
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class Transaction:
    def __init__(self) -> None:
        self._ops: list[_Op] = []

    def __len__(self) -> int:
        return len(self._ops)

    @property
    def labels(self) -> list[str]:
        return [op.label for op in self._ops]

    def _add(self, op: _Op) -> Transaction:
        if any(existing.label == op.label for existing in self._ops):
            raise ValueError(f"duplicate transaction label {op.label!r}")
        self._ops.append(op)
        return self

    def put(
        self, label: str, item: TableModel, condition: Condition | None = None, *, return_old: bool = False
    ) -> Transaction:
        return self._add(
            _Op(label, "put", (item,), {"condition": condition, "return_values": "ALL_OLD" if return_old else None})
        )

    def update(
        self,
        label: str,
        item: TableModel,
        actions: Sequence[Action],
        condition: Condition | None = None,
        *,
        return_old: bool = False,
    ) -> Transaction:
        return self._add(
            _Op(
                label,
                "update",
                (item, list(actions)),
                {
                    "condition": condition,
                    "return_values": "ALL_OLD" if return_old else None,
                    "add_version_condition": False,
                },
            )
        )

    def delete(self, label: str, item: TableModel, condition: Condition | None = None) -> Transaction:
        return self._add(_Op(label, "delete", (item,), {"condition": condition, "add_version_condition": False}))

    def check(
        self, label: str, model: type[TableModel], hash_key: Any, range_key: Any | None = None, *, condition: Condition
    ) -> Transaction:
        return self._add(_Op(label, "check", (model, hash_key), {"range_key": range_key, "condition": condition}))

    def commit(self, client_request_token: str | None = None) -> None:
        """Write everything or nothing. Raises ``TransactionCancelled`` with reasons by label."""
        if not self._ops:
            return
        if len(self._ops) > MAX_ITEMS:
            raise ValueError(f"a transaction holds at most {MAX_ITEMS} items, not {len(self._ops)}")
        # pynamodb sends condition checks, then deletes, puts and updates: order the labels the same way,
        # because DynamoDB reports cancellation reasons by position.
        order = {"check": 0, "delete": 1, "put": 2, "update": 3}
        ops = sorted(self._ops, key=lambda op: order[op.kind])
        with (
            translated([op.label for op in ops]),
            TransactWrite(connection=connection(), client_request_token=client_request_token) as writer,
        ):
            for op in ops:
                if op.kind == "check":
                    writer.condition_check(*op.args, **op.kwargs)
                elif op.kind == "delete":
                    writer.delete(*op.args, **op.kwargs)
                elif op.kind == "put":
                    writer.save(*op.args, **op.kwargs)
                else:
                    writer.update(*op.args, **op.kwargs)


def transact_get(keys: list[tuple[type[TableModel], Any, Any | None]]) -> list[TableModel | None]:
    """Read up to 100 items across tables as one serializable snapshot (one round trip)."""
    with translated([f"get:{index}" for index in range(len(keys))]), TransactGet(connection=connection()) as reader:
        futures = [reader.get(model, hash_key, range_key) for model, hash_key, range_key in keys]
    results: list[TableModel | None] = []
    for future in futures:
        try:
            results.append(future.get())
        except Exception:  # noqa: BLE001 -- pynamodb raises when the item is absent
            results.append(None)
    return results


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
        while request:
            response = client.batch_get_item(RequestItems=request)
            for table, items in response.get("Responses", {}).items():
                found.setdefault(table, []).extend(items)
            request = response.get("UnprocessedKeys") or {}
    results: list[TableModel | None] = []
    for (table, key), (model, _, _) in zip(wanted, keys, strict=True):
        match = next((raw for raw in found.get(table, []) if all(raw.get(k) == v for k, v in key.items())), None)
        results.append(model.from_raw_data(match) if match is not None else None)
    return results
