"""The token wallet and its ledger (shared by metering and payment capture).

Every balance change is staged as one wallet update plus one ledger put per movement, inside the
caller's ``Transaction``:

* the wallet update is conditioned on the wallet being exactly as the caller last saw it
  (``balance`` and ``available``), so the ``balance_after`` written into each ledger entry is exact;
  a debit is also conditioned on ``available >= amount``;
* each ledger put is conditioned on ``attribute_not_exists(entry_key)``: the entry key is the business
  key (``usage#<idempotency key>``, ``purchase#<purchase id>``, ...), so a replay can never write twice.

Both ask for ``ALL_OLD`` on failure, so a cancelled write reports the wallet as it really is (no extra
read) and the entry that already holds the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, LocalSecondaryIndex

from vbwd.domain import ids
from vbwd.domain.enums import LedgerType
from vbwd.domain.tokens import Credit, LedgerEntry, Wallet
from vbwd.store import paging
from vbwd.store.base import TableModel
from vbwd.store.errors import translated
from vbwd.store.tx import Transaction

WALLET = "wallet"


def entry_label(entry_key: str) -> str:
    return f"ledger:{entry_key}"


class WalletRecord(TableModel):
    table_setting = "wallets_table"

    class Meta:
        pass

    user_id = UnicodeAttribute(hash_key=True)
    balance = NumberAttribute()
    available = NumberAttribute()  # balance minus future holds; debits are conditioned on it
    updated_at = UnicodeAttribute()


class LedgerById(LocalSecondaryIndex["LedgerRecord"]):
    class Meta:
        index_name = "by_id"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


class LedgerRecord(TableModel):
    table_setting = "ledger_table"

    class Meta:
        pass

    user_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    amount = NumberAttribute()
    type = UnicodeAttribute()
    reference_id = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    balance_after = NumberAttribute()
    created_at = UnicodeAttribute()
    metadata = JSONAttribute(null=True)
    request_hash = UnicodeAttribute(null=True)
    refunded = NumberAttribute(default=0)
    refund_count = NumberAttribute(default=0)
    metered_by = UnicodeAttribute(null=True)
    by_id = LedgerById()


def wallet_of(record: WalletRecord) -> Wallet:
    return Wallet(
        user_id=record.user_id,
        balance=int(record.balance),
        available=int(record.available),
        updated_at=record.updated_at,
    )


def _entry(record: LedgerRecord) -> LedgerEntry:
    return LedgerEntry(
        id=record.id,
        user_id=record.user_id,
        entry_key=record.entry_key,
        amount=int(record.amount),
        type=LedgerType(record.type),
        reference_id=record.reference_id,
        description=record.description,
        balance_after=int(record.balance_after),
        created_at=record.created_at,
        metadata=record.metadata,
        request_hash=record.request_hash,
        refunded=int(record.refunded or 0),
        refund_count=int(record.refund_count or 0),
        metered_by=record.metered_by,
    )


def wallet_from(item: dict[str, Any] | None, user_id: str) -> Wallet | None:
    """The wallet a cancellation reported (``ALL_OLD``), or None when there is none."""
    if not item or "balance" not in item:
        return None
    return Wallet(
        user_id=user_id,
        balance=int(item["balance"]),
        available=int(item["available"]),
        updated_at=item.get("updated_at"),
    )


def entry_from(item: dict[str, Any]) -> LedgerEntry:
    """The ledger entry a cancellation reported (``ALL_OLD``)."""
    return LedgerEntry(
        id=item["id"],
        user_id=item["user_id"],
        entry_key=item["entry_key"],
        amount=int(item["amount"]),
        type=LedgerType(item["type"]),
        reference_id=item.get("reference_id"),
        description=item.get("description"),
        balance_after=int(item["balance_after"]),
        created_at=item["created_at"],
        metadata=LedgerRecord.metadata.deserialize(item["metadata"]) if item.get("metadata") else None,
        request_hash=item.get("request_hash"),
        refunded=int(item.get("refunded") or 0),
        refund_count=int(item.get("refund_count") or 0),
        metered_by=item.get("metered_by"),
    )


# --- reads -------------------------------------------------------------------------------------------


def get_wallet(user_id: str) -> Wallet | None:
    """One strongly consistent GetItem."""
    try:
        with translated():
            return wallet_of(WalletRecord.get(user_id, consistent_read=True))
    except DoesNotExist:
        return None


def get_entry(user_id: str, entry_key: str) -> LedgerEntry | None:
    try:
        with translated():
            return _entry(LedgerRecord.get(user_id, entry_key, consistent_read=True))
    except DoesNotExist:
        return None


def find_entry(user_id: str, entry_id: str) -> LedgerEntry | None:
    """A user's ledger entry by its id (one Query on the ``by_id`` LSI, strongly consistent)."""
    with translated():
        found = list(LedgerRecord.by_id.query(user_id, LedgerRecord.id == entry_id, consistent_read=True, limit=1))
    return _entry(found[0]) if found else None


def list_entries(
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    entry_type: LedgerType | None = None,
    id_from: str | None = None,
    id_to: str | None = None,
) -> tuple[list[LedgerEntry], str | None]:
    """Newest first. ``id_from``/``id_to`` bound the UUIDv7 range (a time range); ``entry_type`` filters."""
    fixed = {"user_id": user_id}
    start = paging.decode(cursor, fixed, {"entry_key", "id"})
    condition: Condition | None = None
    if id_from and id_to:
        condition = LedgerRecord.id.between(id_from, id_to)
    elif id_from:
        condition = LedgerRecord.id >= id_from
    elif id_to:
        condition = LedgerRecord.id <= id_to
    filters = (LedgerRecord.type == entry_type.value) if entry_type is not None else None
    with translated(cursor=start is not None):
        results = LedgerRecord.by_id.query(
            user_id,
            condition,
            filter_condition=filters,
            scan_index_forward=False,
            limit=limit + 1,
            last_evaluated_key=start,
        )
        records, next_cursor = paging.page(results, limit, ["entry_key", "id"], fixed)
    return [_entry(record) for record in records], next_cursor


def iter_wallets(page_size: int = 100) -> Iterator[Wallet]:
    """MAINTENANCE ONLY (reconciliation): a paginated Scan of the wallets table. Never on a request path."""
    with translated():
        for record in WalletRecord.scan(page_size=page_size):
            yield wallet_of(record)


def ledger_sum(user_id: str) -> tuple[int, int]:
    """Σ amounts and the number of entries of a user's ledger, page by page (Query on the partition)."""
    total = count = 0
    with translated():
        for record in LedgerRecord.query(user_id, attributes_to_get=["amount"], page_size=500):
            total += int(record.amount)
            count += 1
    return total, count


# --- writes ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Staged:
    """What the wallet and the ledger will hold once the transaction commits."""

    wallet: Wallet
    entries: tuple[LedgerEntry, ...]


# The two writes of every movement are built by hand: they are the metering hot path, and building them
# through pynamodb's models costs more CPU than the rest of the request. They produce exactly the items
# WalletRecord and LedgerRecord read back (tests read them through the models).


def _wallet_update(user_id: str, expected: Wallet | None, wallet: Wallet, net: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        ":b": {"N": str(wallet.balance)},
        ":a": {"N": str(wallet.available)},
        ":u": {"S": wallet.updated_at},
    }
    if expected is None:
        condition = "attribute_not_exists(#id)"
    else:
        condition = "#b = :eb AND #a = :ea"
        values[":eb"] = {"N": str(expected.balance)}
        values[":ea"] = {"N": str(expected.available)}
        if net < 0:
            condition += " AND #a >= :need"
            values[":need"] = {"N": str(-net)}
    return {
        "TableName": WalletRecord.table_name(),
        "Key": {"user_id": {"S": user_id}},
        "UpdateExpression": "SET #b = :b, #a = :a, #u = :u",
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {
            "#b": "balance",
            "#a": "available",
            "#u": "updated_at",
            **({"#id": "user_id"} if expected is None else {}),
        },
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _ledger_put(entry: LedgerEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "user_id": {"S": entry.user_id},
        "entry_key": {"S": entry.entry_key},
        "id": {"S": entry.id},
        "amount": {"N": str(entry.amount)},
        "type": {"S": entry.type.value},
        "balance_after": {"N": str(entry.balance_after)},
        "created_at": {"S": entry.created_at},
        "refunded": {"N": "0"},
        "refund_count": {"N": "0"},
    }
    for name, value in (
        ("reference_id", entry.reference_id),
        ("description", entry.description),
        ("request_hash", entry.request_hash),
        ("metered_by", entry.metered_by),
    ):
        if value is not None:
            item[name] = {"S": value}
    if entry.metadata is not None:
        item["metadata"] = {"S": json.dumps(entry.metadata)}
    return {
        "TableName": LedgerRecord.table_name(),
        "Item": item,
        "ConditionExpression": "attribute_not_exists(#k)",
        "ExpressionAttributeNames": {"#k": "entry_key"},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def stage(
    tx: Transaction,
    user_id: str,
    expected: Wallet | None,
    credits: Sequence[Credit],
    now: str,
    *,
    allow_negative: bool = False,
) -> Staged:
    """Add one wallet update and one conditional ledger put per movement to ``tx``.

    ``expected`` is the wallet as last seen (None: no wallet yet). Running balances are computed from
    it; the update only applies if the wallet is still exactly that. Raises ValueError if the movements
    would take ``available`` below zero (the caller decides what that means: 402, 409, clamp...).
    """
    balance = expected.balance if expected else 0
    available = expected.available if expected else 0
    net = sum(credit.amount for credit in credits)
    if available + net < 0 and not allow_negative:
        raise ValueError("the movements would make the wallet negative")
    entries = []
    running = balance
    for credit in credits:
        running += credit.amount
        entries.append(
            LedgerEntry(
                id=ids.new_id(),
                user_id=user_id,
                entry_key=credit.entry_key,
                amount=credit.amount,
                type=credit.type,
                reference_id=credit.reference_id,
                description=credit.description,
                balance_after=running,
                created_at=now,
                metadata=credit.metadata,
                request_hash=credit.request_hash,
                metered_by=credit.metered_by,
            )
        )
    wallet = Wallet(user_id=user_id, balance=balance + net, available=available + net, updated_at=now)

    tx.raw(WALLET, "Update", _wallet_update(user_id, expected, wallet, net))
    for entry in entries:
        tx.raw(entry_label(entry.entry_key), "Put", _ledger_put(entry))
    return Staged(wallet=wallet, entries=tuple(entries))


def usage_mark_label(usage: LedgerEntry) -> str:
    return f"usage:{usage.entry_key}"


def stage_refund_mark(tx: Transaction, usage: LedgerEntry, amount: int) -> None:
    """Count ``amount`` as refunded on a usage entry, only while the refunded total stays within it."""
    label = usage_mark_label(usage)
    limit = -usage.amount - amount  # what may already be refunded for this refund to fit
    tx.update(
        label,
        LedgerRecord(usage.user_id, usage.entry_key),
        [LedgerRecord.refunded.add(amount), LedgerRecord.refund_count.add(1)],
        (LedgerRecord.refunded <= limit) & (LedgerRecord.type == LedgerType.USAGE.value),
        return_old=True,
    )
