"""The token wallet and its ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vbwd.domain.enums import LedgerType


@dataclass(frozen=True, slots=True)
class Wallet:
    """``balance`` is the total; ``available`` is what can be spent now. They are equal until holds
    (reserve -> capture/release) arrive; debits are conditioned on ``available``."""

    user_id: str
    balance: int
    available: int
    updated_at: str | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: str
    user_id: str
    entry_key: str  # the business key that makes the write idempotent
    amount: int  # signed: credits > 0, debits < 0
    type: LedgerType
    reference_id: str | None
    description: str | None
    balance_after: int
    created_at: str
    metadata: dict[str, Any] | None = None
    request_hash: str | None = None
    refunded: int = 0  # for usage entries: how much of it was credited back
    refund_count: int = 0
    metered_by: str | None = None  # for usage entries: "user" (its own token) or "service" (an API key)


@dataclass(frozen=True, slots=True)
class Credit:
    """A ledger movement to write. The store assigns ids, timestamps and running balances."""

    entry_key: str
    amount: int
    type: LedgerType
    reference_id: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = field(default=None)
    request_hash: str | None = None
    metered_by: str | None = None
