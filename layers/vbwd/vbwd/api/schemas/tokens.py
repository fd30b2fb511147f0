"""Token metering, history and API-key schemas."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, StrictInt, StringConstraints, field_validator

from vbwd.api.schemas.common import (
    IDEMPOTENCY_KEY_PATTERN,
    LINE_CHARS,
    NOT_BLANK,
    Line,
    Prose,
    Strict,
    View,
    checked_key,
)
from vbwd.domain.enums import LedgerType
from vbwd.domain.errors import ValidationFailed
from vbwd.domain.ids import parse_uuid
from vbwd.domain.tokens import LedgerEntry, Wallet
from vbwd.domain.users import ApiKey
from vbwd.services.tokens import Outcome

MAX_TOKENS = 10**12
IdempotencyKey = Annotated[str, StringConstraints(pattern=IDEMPOTENCY_KEY_PATTERN)]
MetadataValue = str | int | float | bool | None


class ConsumeRequest(Strict):
    amount: StrictInt = Field(gt=0, le=MAX_TOKENS)
    idempotency_key: IdempotencyKey | None = None
    description: Prose | None = Field(default=None, max_length=500)
    metadata: dict[Annotated[str, StringConstraints(min_length=1, max_length=64), LINE_CHARS], MetadataValue] | None = (
        None
    )

    @field_validator("metadata")
    @classmethod
    def _small(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and (len(value) > 20 or len(json.dumps(value)) > 2048):
            raise ValueError("must have at most 20 keys and 2 KB")
        return value


class RefundRequest(Strict):
    transaction_id: str
    amount: StrictInt | None = Field(default=None, gt=0, le=MAX_TOKENS)

    @field_validator("transaction_id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        parsed = parse_uuid(value)
        if parsed is None:
            raise ValueError("must be a transaction id (UUID)")
        return parsed


class GrantRequest(Strict):
    amount: StrictInt = Field(ge=-MAX_TOKENS, le=MAX_TOKENS)
    reason: Annotated[Prose, NOT_BLANK] = Field(min_length=1, max_length=500)
    idempotency_key: IdempotencyKey

    @field_validator("amount")
    @classmethod
    def _non_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be zero")
        return value


def idempotency_key(body_value: str | None, header_value: str | None) -> str:
    """The key comes from the body or the ``Idempotency-Key`` header; both must agree if both are sent."""
    if body_value and header_value and body_value != header_value:
        raise ValidationFailed.field("idempotency_key", "differs from the Idempotency-Key header")
    key = body_value or header_value
    if not key:
        raise ValidationFailed.field(
            "idempotency_key", "is required (in the body or the Idempotency-Key header)", "missing"
        )
    return checked_key(key) or key


class TransactionView(View):
    id: str
    amount: int
    transaction_type: LedgerType
    reference_id: str | None
    description: str | None
    balance_after: int
    created_at: str
    metadata: dict[str, Any] | None = None

    @classmethod
    def of(cls, entry: LedgerEntry) -> TransactionView:
        return cls(
            id=entry.id,
            amount=entry.amount,
            transaction_type=entry.type,
            reference_id=entry.reference_id,
            description=entry.description,
            balance_after=entry.balance_after,
            created_at=entry.created_at,
            metadata=entry.metadata,
        )


class MovementResponse(View):
    transaction: TransactionView
    balance: int

    @classmethod
    def of(cls, outcome: Outcome) -> MovementResponse:
        return cls(transaction=TransactionView.of(outcome.entry), balance=outcome.wallet.balance)


def replay_headers(outcome: Outcome) -> dict[str, str] | None:
    """``Idempotent-Replayed: true`` tells the caller nothing was charged this time."""
    return {"Idempotent-Replayed": "true"} if outcome.replayed else None


JSON_PAGE_MAX = 200
CSV_DEFAULT, JSON_DEFAULT = 1000, 50


def history_format(format_: str | None, accept: str | None) -> bool:
    """True for CSV: ``format=csv``, or ``Accept: text/csv`` without an explicit ``format``."""
    if format_ is not None:
        return format_ == "csv"
    return bool(accept) and "text/csv" in str(accept).lower()


def history_limit(limit: int | None, as_csv: bool) -> int:
    """JSON pages hold up to 200 entries; a CSV export up to 10 000 rows (about 2 MB, well inside
    Lambda's 6 MB response limit) and continues with the ``X-Next-Cursor`` header."""
    if limit is None:
        return CSV_DEFAULT if as_csv else JSON_DEFAULT
    if not as_csv and limit > JSON_PAGE_MAX:
        raise ValidationFailed.field(
            "limit", f"must be at most {JSON_PAGE_MAX} for JSON (10000 for CSV)", "less_than_equal"
        )
    return limit


def epoch_ms(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


class BalanceView(View):
    balance: int
    updated_at: str | None

    @classmethod
    def of(cls, wallet: Wallet) -> BalanceView:
        return cls(balance=wallet.balance, updated_at=wallet.updated_at)


class TransactionPage(View):
    items: list[TransactionView]
    next_cursor: str | None


CSV_COLUMNS = ["id", "created_at", "transaction_type", "amount", "balance_after", "reference_id", "description"]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # a spreadsheet must never execute a description: neutralise formula prefixes
    return "'" + text if text[:1] in {"=", "+", "@"} or (text[:1] == "-" and not text[1:].isdigit()) else text


def to_csv(entries: list[LedgerEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    entry.id,
                    entry.created_at,
                    entry.type.value,
                    entry.amount,
                    entry.balance_after,
                    entry.reference_id,
                    entry.description,
                )
            ]
        )
    return out.getvalue()


class ApiKeyCreate(Strict):
    name: Line = Field(min_length=1, max_length=100)


class ApiKeyView(View):
    id: str
    name: str
    prefix: str
    created_at: str
    created_by: str
    revoked_at: str | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyView:
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            created_by=key.created_by,
            revoked_at=key.revoked_at,
        )


class ApiKeyCreated(ApiKeyView):
    key: str = Field(description="The secret. Shown once; only its SHA-256 is stored.")

    @classmethod
    def with_secret(cls, key: ApiKey, secret: str) -> ApiKeyCreated:
        return cls(**ApiKeyView.of(key).model_dump(), key=secret)


class ApiKeyPage(View):
    items: list[ApiKeyView]
    next_cursor: str | None
