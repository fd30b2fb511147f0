"""Edge validation of the token routes' bodies and parameters."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from vbwd.api.schemas.tokens import (
    ConsumeRequest,
    GrantRequest,
    RefundRequest,
    history_format,
    history_limit,
    idempotency_key,
    to_csv,
)
from vbwd.domain.enums import LedgerType
from vbwd.domain.errors import ValidationFailed
from vbwd.domain.tokens import LedgerEntry, Wallet
from vbwd.services.tokens import _Hints


@pytest.mark.parametrize("amount", [1.5, 2.0, "3", True, False, 0, -1, None, 10**13])
def test_consume_amount_must_be_a_positive_integer(amount: Any) -> None:
    with pytest.raises(ValidationError) as error:
        ConsumeRequest.model_validate({"amount": amount, "idempotency_key": "k"})
    assert error.value.errors()[0]["loc"] == ("amount",)


def test_consume_accepts_a_valid_body() -> None:
    body = ConsumeRequest.model_validate(
        {
            "amount": 3,
            "idempotency_key": "req-1",
            "description": "x",
            "metadata": {"model": "m", "tokens": 3, "cached": False},
        }
    )
    assert body.amount == 3 and body.metadata == {"model": "m", "tokens": 3, "cached": False}


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 1, "idempotency_key": "has space"},
        {"amount": 1, "idempotency_key": ""},
        {"amount": 1, "idempotency_key": "x" * 256},
        {"amount": 1, "unknown": True},
        {"amount": 1, "metadata": {str(i): i for i in range(21)}},
        {"amount": 1, "metadata": {"nested": {"no": "objects"}}},
        {"amount": 1, "description": "d" * 501},
    ],
)
def test_consume_refuses_bad_fields(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ConsumeRequest.model_validate(body)


def test_idempotency_key_from_body_or_header() -> None:
    assert idempotency_key("a", None) == "a"
    assert idempotency_key(None, "b") == "b"
    assert idempotency_key("c", "c") == "c"
    for body, header in [("a", "b"), (None, None), (None, "bad key")]:
        with pytest.raises(ValidationFailed):
            idempotency_key(body, header)


@pytest.mark.parametrize("amount", [0, 1.5, "10", True, 10**13])
def test_grant_amount_is_a_non_zero_integer(amount: Any) -> None:
    with pytest.raises(ValidationError):
        GrantRequest.model_validate({"amount": amount, "reason": "r", "idempotency_key": "k"})


def test_grant_needs_a_reason_and_a_key() -> None:
    assert GrantRequest.model_validate({"amount": -5, "reason": "fix", "idempotency_key": "k"}).amount == -5
    for body in (
        {"amount": 5, "reason": " ", "idempotency_key": "k"},
        {"amount": 5, "idempotency_key": "k"},
        {"amount": 5, "reason": "r"},
    ):
        with pytest.raises(ValidationError):
            GrantRequest.model_validate(body)


def test_refund_request() -> None:
    parsed = RefundRequest.model_validate({"transaction_id": "01900000-0000-7000-8000-000000000001"})
    assert parsed.amount is None
    for body in (
        {"transaction_id": "x"},
        {"transaction_id": "01900000-0000-7000-8000-000000000001", "amount": 0},
        {"transaction_id": "01900000-0000-7000-8000-000000000001", "amount": 1.5},
    ):
        with pytest.raises(ValidationError):
            RefundRequest.model_validate(body)


def test_history_format_and_limits() -> None:
    assert history_format("csv", None) and not history_format("json", "text/csv")
    assert history_format(None, "text/csv, */*") and not history_format(None, "application/json")
    assert history_limit(None, False) == 50 and history_limit(None, True) == 1000
    assert history_limit(10000, True) == 10000
    with pytest.raises(ValidationFailed):
        history_limit(201, False)


def test_csv_neutralises_formulas_but_not_negative_numbers() -> None:
    entry = LedgerEntry(
        id="i",
        user_id="u",
        entry_key="k",
        amount=-5,
        type=LedgerType.USAGE,
        reference_id=None,
        description="@SUM(A1)",
        balance_after=3,
        created_at="t",
    )
    lines = to_csv([entry]).splitlines()
    assert lines[1] == "i,t,usage,-5,3,,'@SUM(A1)"


def test_wallet_hints_are_a_bounded_lru() -> None:
    hints = _Hints(size=2)
    for user in ("a", "b"):
        hints.put(Wallet(user, 1, 1, None))
    assert hints.get("a") is not None  # "a" becomes the most recent
    hints.put(Wallet("c", 1, 1, None))
    assert hints.get("b") is None and hints.get("a") is not None and hints.get("c") is not None
