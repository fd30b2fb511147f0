"""The shared DynamoDB connection and the lazily bound model base class.

Every model is bound to its table on first use (table names come from the settings, never at import),
and every model shares one pynamodb ``Connection`` -- one botocore client per container instead of one
per model class.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from pynamodb.connection import Connection
from pynamodb.connection.base import MetaTable
from pynamodb.connection.table import TableConnection
from pynamodb.models import Model

from vbwd.settings import get_settings

_lock = threading.RLock()
_shared: Connection | None = None
_models: list[type[TableModel]] = []


def connection() -> Connection:
    """The process-wide connection (its botocore client is thread-safe)."""
    global _shared
    conn = _shared
    if conn is None:
        with _lock:
            if _shared is None:
                settings = get_settings()
                local: dict[str, Any] = {}
                if settings.dynamodb_endpoint:
                    # DynamoDB Local accepts any credentials; fixed ones keep every client on one database.
                    local = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
                candidate = Connection(
                    region=settings.region,
                    host=settings.dynamodb_endpoint,
                    connect_timeout_seconds=2,
                    read_timeout_seconds=10,
                    max_retry_attempts=3,
                    max_pool_connections=64,
                    **local,
                )
                candidate.client  # noqa: B018 -- create the botocore client once, under the lock
                _shared = candidate
            conn = _shared
    if conn is None:  # pragma: no cover - set just above
        raise RuntimeError("no DynamoDB connection")
    return conn


class TableModel(Model):
    """Base of every model. ``table_setting`` names the settings field holding the table name."""

    table_setting: ClassVar[str] = ""

    class Meta:
        table_name: str | None = None
        host: str | None = None
        region: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.table_setting:
            _models.append(cls)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = cls._connection
        if table is None:
            with _lock:
                if cls._connection is None:
                    settings = get_settings()
                    cls.Meta.table_name = getattr(settings, cls.table_setting)
                    cls.Meta.host = settings.dynamodb_endpoint
                    cls.Meta.region = settings.region
                    built = super()._get_connection()
                    shared = connection()
                    _register_meta(shared, built.connection.get_meta_table(built.table_name))
                    built.connection = shared  # share the one client
                table = cls._connection
        if table is None:  # pragma: no cover - set just above
            raise RuntimeError(f"{cls.__name__} is not bound to a table")
        return table

    @classmethod
    def table_name(cls) -> str:
        return str(cls._get_connection().table_name)


def _register_meta(shared: Connection, meta: MetaTable) -> None:
    """Several models can map one table (single-table design): merge their index descriptions."""
    known = shared._tables.get(meta.table_name)
    if known is None:
        shared._tables[meta.table_name] = meta
        return
    merged = dict(known.data)
    attributes = {a["AttributeName"]: a for a in known.data.get("AttributeDefinitions") or []}
    attributes.update({a["AttributeName"]: a for a in meta.data.get("AttributeDefinitions") or []})
    merged["AttributeDefinitions"] = list(attributes.values())
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = {index["IndexName"]: index for index in known.data.get(key) or []}
        indexes.update({index["IndexName"]: index for index in meta.data.get(key) or []})
        merged[key] = list(indexes.values())
    shared._tables[meta.table_name] = MetaTable(merged)


def reset() -> None:
    """Drop the connection and every binding (tests and the local runner change the settings)."""
    global _shared
    with _lock:
        _shared = None
        for model in _models:
            model._connection = None
