"""Token metering: atomic, idempotent debits, refunds of usage, admin grants, history.

The hot path (``consume``) is ONE ``TransactWriteItems`` -- the wallet update conditioned on the wallet
being as last seen and on ``available >= amount``, plus the ledger put conditioned on the idempotency
key not existing -- and, once the container has seen the wallet, exactly one DynamoDB round trip.

The container keeps a small cache of wallets it has seen ("hints"). A hint is never trusted: the write
is conditioned on it, and a stale hint costs one retry with the wallet DynamoDB reports back on the
cancellation (``ALL_OLD``), not an extra read. A cold container reads the wallet once (GetItem).
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from vbwd.domain import clock, ids
from vbwd.domain.enums import LedgerType
from vbwd.domain.errors import (
    Conflict,
    Forbidden,
    InsufficientTokens,
    NotFound,
    TransactionCancelled,
    Unavailable,
    ValidationFailed,
)
from vbwd.domain.tokens import Credit, LedgerEntry, Wallet
from vbwd.services import retry
from vbwd.store import tokens as store
from vbwd.store import users as users_store
from vbwd.store.tx import Transaction

MAX_ATTEMPTS = 40


class _Hints:
    """A bounded, thread-safe LRU of wallets this container has seen."""

    def __init__(self, size: int = 10_000) -> None:
        self._items: OrderedDict[str, Wallet] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, user_id: str) -> Wallet | None:
        with self._lock:
            wallet = self._items.get(user_id)
            if wallet is not None:
                self._items.move_to_end(user_id)
            return wallet

    def put(self, wallet: Wallet) -> None:
        with self._lock:
            self._items[wallet.user_id] = wallet
            self._items.move_to_end(wallet.user_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def forget(self, user_id: str) -> None:
        with self._lock:
            self._items.pop(user_id, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


hints = _Hints()


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of a movement: the ledger entries, the wallet after it, and whether it was a replay."""

    entries: tuple[LedgerEntry, ...]
    wallet: Wallet
    replayed: bool = False

    @property
    def entry(self) -> LedgerEntry:
        return self.entries[0]


class _Rejected(Exception):
    """The wallet cannot cover the movement (``wallet`` is the wallet as it really is)."""

    def __init__(self, wallet: Wallet | None) -> None:
        super().__init__()
        self.wallet = wallet


def _empty(user_id: str) -> Wallet:
    return Wallet(user_id=user_id, balance=0, available=0, updated_at=None)


def _same(first: Wallet | None, second: Wallet | None) -> bool:
    if first is None or second is None:
        return first is second
    return (first.balance, first.available) == (second.balance, second.available)


def wallet_for_write(user_id: str) -> Wallet | None:
    """The wallet to condition a write on: the container's hint, else one consistent read."""
    hint = hints.get(user_id)
    if hint is not None:
        return hint
    wallet = store.get_wallet(user_id)
    if wallet is not None:
        hints.put(wallet)
    return wallet


def reported_wallet(exc: TransactionCancelled, user_id: str, expected: Wallet | None) -> Wallet | None:
    """The wallet as DynamoDB saw it when it cancelled the transaction."""
    reason = exc.failed(store.WALLET)
    if reason is None:
        return expected  # the wallet condition held: it is exactly what we expected
    actual = store.wallet_from(reason.item, user_id)
    if actual is not None:
        hints.put(actual)
    else:
        hints.forget(user_id)
    return actual


def move(
    user_id: str, credits: Sequence[Credit], *, stage_more: Callable[[Transaction], None] | None = None
) -> Outcome:
    """Apply ledger movements in one transaction, retrying on a stale wallet or contention.

    Raises ``_Rejected`` when the wallet cannot cover a debit. A ``TransactionCancelled`` whose ledger
    entry failed (a replay of its key), or whose ``stage_more`` items failed, is left to the caller.
    """
    wallet = wallet_for_write(user_id)
    net = sum(credit.amount for credit in credits)
    for attempt in range(MAX_ATTEMPTS):
        if wallet is None and net < 0:
            raise _Rejected(None)  # no wallet has ever been credited: nothing to spend, nothing to replay
        tx = Transaction()
        staged = store.stage(tx, user_id, wallet, credits, clock.iso(clock.now()), allow_negative=True)
        if stage_more is not None:
            stage_more(tx)
        try:
            tx.commit()
        except TransactionCancelled as exc:
            if any(exc.failed(store.entry_label(c.entry_key)) for c in credits):
                raise  # a replay: the caller compares it with the original
            if exc.failed(store.WALLET):
                actual = reported_wallet(exc, user_id, wallet)
                if _same(actual, wallet):  # exactly as expected, so the floor condition failed
                    raise _Rejected(actual) from exc
                wallet = actual  # stale hint: retry against the wallet as it is
                continue
            if exc.only_conflicts:
                retry.backoff(attempt, step=0.002)
                continue
            raise
        hints.put(staged.wallet)
        return Outcome(entries=staged.entries, wallet=staged.wallet)
    raise Unavailable("The wallet is too busy; retry the request.")


def _replayed(exc: TransactionCancelled, credit: Credit, expected_amount: int, what: str) -> LedgerEntry:
    reason = exc.failed(store.entry_label(credit.entry_key))
    if reason is None or reason.item is None:
        raise exc
    original = store.entry_from(reason.item)
    if original.amount != expected_amount or original.request_hash != credit.request_hash:
        raise Conflict(f"This idempotency key was already used for a different {what}.", code="idempotency_key_reused")
    return original


def _current_balance(exc: TransactionCancelled, user_id: str) -> Wallet:
    return reported_wallet(exc, user_id, hints.get(user_id)) or store.get_wallet(user_id) or _empty(user_id)


# --- reads -------------------------------------------------------------------------------------------


def _require_user(user_id: str, by_service: bool) -> None:
    """A service (an API key) names the user in the path: where the user has no wallet, one more read
    tells an unknown user (404) from an empty wallet. A user's own token proves the user exists."""
    if by_service and users_store.get_user(user_id) is None:
        raise NotFound("User not found.")


def balance(user_id: str, *, by_service: bool = False) -> Wallet:
    """Exactly one GetItem (two for a caller-named user without a wallet). No wallet is balance 0."""
    wallet = store.get_wallet(user_id)
    if wallet is None:
        _require_user(user_id, by_service)
        return _empty(user_id)
    hints.put(wallet)
    return wallet


def history(
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    entry_type: LedgerType | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> tuple[list[LedgerEntry], str | None]:
    if since_ms is not None and until_ms is not None and since_ms > until_ms:
        raise ValidationFailed.field("from", "must not be after 'to'")
    return store.list_entries(
        user_id,
        limit=limit,
        cursor=cursor,
        entry_type=entry_type,
        id_from=ids.lowest_id_at(since_ms) if since_ms is not None else None,
        id_to=ids.highest_id_at(until_ms) if until_ms is not None else None,
    )


# --- writes ------------------------------------------------------------------------------------------


def consume(
    user_id: str,
    amount: int,
    idempotency_key: str,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    by_service: bool = False,
) -> Outcome:
    """Debit ``amount`` tokens once per idempotency key. 402 when the balance is too low; a repeated key
    returns the original transaction and charges nothing; the same key with another request is 409."""
    credit = Credit(
        entry_key=f"usage#{idempotency_key}",
        amount=-amount,
        type=LedgerType.USAGE,
        description=description,
        metadata=metadata,
        request_hash=_consume_request(amount, description, metadata),
        metered_by="service" if by_service else "user",
    )
    try:
        return move(user_id, [credit])
    except _Rejected as rejected:
        if rejected.wallet is None:
            _require_user(user_id, by_service)
        wallet = rejected.wallet or _empty(user_id)
        raise InsufficientTokens(balance=wallet.available, required=amount) from None
    except TransactionCancelled as exc:
        original = _replayed(exc, credit, -amount, "debit")
        return Outcome(entries=(original,), wallet=_current_balance(exc, user_id), replayed=True)


def _consume_request(amount: int, description: str | None, metadata: dict[str, Any] | None) -> str:
    """What a replay of a debit must repeat: the amount, and the description and metadata when sent."""
    if description is None and metadata is None:
        return f"consume:{amount}"
    canonical = json.dumps([description, metadata], sort_keys=True, separators=(",", ":"))
    return f"consume:{amount}:{hashlib.sha256(canonical.encode()).hexdigest()}"


def _refund_entry_key(usage_id: str, key: str) -> str:
    return f"refund#{usage_id}#{key}"


def _refund_request(usage_id: str, amount: int | None) -> str:
    """What a refund's idempotency key stands for: a replay must ask for the same."""
    return f"refund:{usage_id}:{amount}"


def _refund_replayed(original: LedgerEntry, request: str, wallet: Wallet) -> Outcome:
    if original.request_hash != request:
        raise Conflict("This idempotency key was already used for a different refund.", code="idempotency_key_reused")
    return Outcome(entries=(original,), wallet=wallet, replayed=True)


def refund_usage(
    user_id: str,
    transaction_id: str,
    amount: int | None = None,
    idempotency_key: str | None = None,
    *,
    by_service: bool = False,
) -> Outcome:
    """Credit back (part of) a usage. The total refunded never exceeds the usage (409 beyond it).

    The key is a condition of the ledger put, never checked by a read first. A replay returns the original
    refund, even after the usage is fully refunded (only then is the stored refund read). Without an idempotency
    key the request is its own key: the same refund (usage and amount) is made once, so a retried request
    never credits twice; two equal partial refunds need two keys. A user may refund only what it metered
    with its own token: usage a service metered (an API key) is refunded by a service or not at all."""
    key = idempotency_key or f"auto:{'all' if amount is None else amount}"
    request = _refund_request(transaction_id, amount)
    for _ in range(MAX_ATTEMPTS):
        usage = store.find_entry(user_id, transaction_id)
        if usage is None:
            raise NotFound("Transaction not found.")
        if usage.type is not LedgerType.USAGE:
            raise ValidationFailed.field("transaction_id", "only a usage can be refunded", "not_refundable")
        if usage.metered_by == "service" and not by_service:
            raise Forbidden("This usage was metered by the service; only the service can refund it.")
        remaining = -usage.amount - usage.refunded
        wanted = remaining if amount is None else amount
        if wanted <= 0 or wanted > remaining:
            # nothing to write: this may be a replay of the refund that took what is left
            stored = store.get_entry(user_id, _refund_entry_key(usage.id, key))
            if stored is None:
                raise Conflict(
                    f"Only {remaining} tokens of this usage can still be refunded.", code="refund_exceeds_usage"
                )
            return _refund_replayed(stored, request, balance(user_id))
        credit = Credit(
            entry_key=_refund_entry_key(usage.id, key),
            amount=wanted,
            type=LedgerType.REFUND,
            reference_id=usage.id,
            description=f"Refund of {usage.description or 'usage'}",
            request_hash=request,
        )
        stage_mark = functools.partial(store.stage_refund_mark, usage=usage, amount=wanted)
        try:
            return move(user_id, [credit], stage_more=stage_mark)
        except TransactionCancelled as exc:
            reason = exc.failed(store.entry_label(credit.entry_key))
            if reason is not None and reason.item is not None:  # the key is taken: a replay
                return _refund_replayed(store.entry_from(reason.item), request, _current_balance(exc, user_id))
            if exc.failed(store.usage_mark_label(usage)):
                continue  # refunded concurrently: re-read the usage and re-check what is left
            raise
    raise Unavailable("The transaction is too busy; retry the request.")


def grant(user_id: str, amount: int, reason: str, idempotency_key: str, granted_by: str) -> Outcome:
    """An admin bonus (amount > 0) or adjustment (amount < 0), with a ledger entry. Never negative."""
    if users_store.get_user(user_id) is None:
        raise NotFound("User not found.")
    credit = Credit(
        entry_key=f"grant#{idempotency_key}",
        amount=amount,
        type=LedgerType.BONUS if amount > 0 else LedgerType.ADJUSTMENT,
        description=reason,
        metadata={"granted_by": granted_by},
        request_hash=f"grant:{amount}",
    )
    try:
        return move(user_id, [credit])
    except _Rejected as rejected:
        wallet = rejected.wallet or _empty(user_id)
        raise Conflict(
            f"The adjustment would make the balance negative (available: {wallet.available}).", code="negative_balance"
        ) from None
    except TransactionCancelled as exc:
        original = _replayed(exc, credit, amount, "amount")
        return Outcome(entries=(original,), wallet=_current_balance(exc, user_id), replayed=True)
