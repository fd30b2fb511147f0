"""Domain events, written as outbox items in the same transaction as the change they describe.

Publishing to EventBridge is a later concern: the table has a stream, and every event stays ``pending``
(in the sparse ``pending`` index) until a publisher marks it published, so nothing is lost in between.
"""

from __future__ import annotations

import zlib
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from vbwd.domain.ids import new_id
from vbwd.store.base import TableModel
from vbwd.store.tx import Transaction

SHARDS = 4


class PendingIndex(GlobalSecondaryIndex["OutboxRecord"]):
    class Meta:
        index_name = "pending"
        projection = AllProjection()

    pending_pk = UnicodeAttribute(hash_key=True)
    pending_sk = UnicodeAttribute(range_key=True)


class OutboxRecord(TableModel):
    table_setting = "outbox_table"

    class Meta:
        pass

    id = UnicodeAttribute(hash_key=True)
    type = UnicodeAttribute()
    aggregate_id = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    payload = JSONAttribute()
    status = UnicodeAttribute()  # pending | published
    pending_pk = UnicodeAttribute(null=True)  # PENDING#<shard> while pending (sparse index)
    pending_sk = UnicodeAttribute(null=True)  # <occurred_at>#<id>
    pending = PendingIndex()


def stage_event(tx: Transaction, event_type: str, aggregate_id: str, payload: dict[str, Any], now: str) -> str:
    """Add one event to ``tx``; returns its id."""
    event_id = new_id()
    shard = zlib.crc32(event_id.encode()) % SHARDS
    tx.put(
        f"outbox:{event_type}:{aggregate_id}",
        OutboxRecord(
            event_id,
            type=event_type,
            aggregate_id=aggregate_id,
            occurred_at=now,
            payload=payload,
            status="pending",
            pending_pk=f"PENDING#{shard}",
            pending_sk=f"{now}#{event_id}",
        ),
        OutboxRecord.id.does_not_exist(),
    )
    return event_id


def pending_events(limit: int = 100) -> list[dict[str, Any]]:
    """Pending events across shards, oldest first (for a publisher, and for tests)."""
    found: list[OutboxRecord] = []
    for shard in range(SHARDS):
        found.extend(OutboxRecord.pending.query(f"PENDING#{shard}", limit=limit))
    found.sort(key=lambda record: record.pending_sk or "")
    return [
        {"id": r.id, "type": r.type, "aggregate_id": r.aggregate_id, "occurred_at": r.occurred_at, "payload": r.payload}
        for r in found[:limit]
    ]
