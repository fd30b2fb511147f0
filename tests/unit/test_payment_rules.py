"""Rules with no database: Stripe amounts, HMAC signatures, unexpected cancellation reasons."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from vbwd.api.schemas.payments import ManualPaymentRequest
from vbwd.services import signatures, stripe_payments
from vbwd.store.errors import StorageFailure, cancellation


@pytest.mark.parametrize(
    ("minor", "currency", "stripe"),
    [
        (500, "USD", 500),
        (1000, "JPY", 1000),
        (1000, "ISK", 100000),
        (1250, "KWD", 1250),
        (5000, "PYG", 5000),  # zero-decimal in ISO 4217 and in Stripe: never 100x
        (700, "XPF", 700),
        (12300, "MGA", 123),  # ISO: 2 decimals; Stripe: whole ariary
    ],
)
def test_stripe_amounts(minor: int, currency: str, stripe: int) -> None:
    assert stripe_payments.to_stripe(minor, currency) == stripe
    assert stripe_payments.from_stripe(stripe, currency) == minor


def test_a_stripe_amount_that_is_not_a_whole_vbwd_unit_never_matches() -> None:
    assert stripe_payments.from_stripe(100050, "ISK") == -1


def test_signatures_round_trip_and_refuse_tampering_and_staleness() -> None:
    body = b'{"invoice_id": "x"}'
    header = signatures.sign(body, "secret")
    assert signatures.verify(body, header, "secret")
    assert not signatures.verify(body + b" ", header, "secret")
    assert not signatures.verify(body, header, "other")
    assert not signatures.verify(body, signatures.sign(body, "secret", int(time.time()) - 301), "secret")
    assert not signatures.verify(body, "t=abc,v1=00", "secret")
    assert not signatures.verify(body, None, "secret")


def _cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


def test_conditions_and_conflicts_are_reported_by_label() -> None:
    cancelled = cancellation(_cancelled("None", "ConditionalCheckFailed", "TransactionConflict"), ["a", "b", "c"])
    assert cancelled.failed("b") is not None and cancelled.failed("a") is None
    assert set(cancelled.reasons) == {"b", "c"}


def test_any_other_cancellation_reason_is_a_defect_not_a_conflict() -> None:
    with pytest.raises(StorageFailure, match="ValidationError"):
        cancellation(_cancelled("None", "ValidationError"), ["a", "b"])


def _refused_start_key() -> ClientError:
    message = "The provided starting key is invalid: The provided key element does not match the schema"
    return ClientError({"Error": {"Code": "ValidationException", "Message": message}}, "Query")


def test_a_refused_start_key_is_the_clients_cursor_only_where_a_cursor_was_sent() -> None:
    from vbwd.domain.errors import ValidationFailed
    from vbwd.store.errors import translated

    with pytest.raises(ValidationFailed) as refused, translated(cursor=True):
        raise _refused_start_key()
    assert refused.value.details[0]["field"] == "cursor"
    with pytest.raises(StorageFailure), translated():  # anywhere else it is our defect: a logged 500
        raise _refused_start_key()


def test_an_amount_stripe_cannot_express_is_refused_not_rounded() -> None:
    from vbwd.domain.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        stripe_payments.to_stripe(12345, "MGA")


@pytest.mark.parametrize(("currency", "decimals"), [("PYG", 0), ("RWF", 0), ("XPF", 0), ("IQD", 3), ("EUR", 2)])
def test_iso_4217_decimals(currency: str, decimals: int) -> None:
    from vbwd.domain import money

    assert money.exponent(currency) == decimals


MANUAL = {"invoice_id": "0b1f3a58-8f7e-4f8e-9a57-3a1c2f6a9d10", "payment_reference": "ref-1", "currency": "USD"}


@pytest.mark.parametrize("amount", [True, False, "0_1.0_0", "1_000", "\u0665", None, [1], "5.001", -1])
def test_a_manual_payment_amount_is_a_decimal_and_its_error_names_the_field(amount: object) -> None:
    with pytest.raises(ValidationError) as refused:
        ManualPaymentRequest.model_validate({**MANUAL, "amount": amount})
    assert [error["loc"] for error in refused.value.errors()] == [("amount",)]  # one error, on the field


@pytest.mark.parametrize(
    ("amount", "currency", "minor"), [("5.00", "USD", 500), (5, "usd", 500), (1.5, None, 150), ("7", "JPY", 7)]
)
def test_a_manual_payment_amount_becomes_minor_units_of_its_currency(
    amount: object, currency: str | None, minor: int
) -> None:
    request = ManualPaymentRequest.model_validate({**MANUAL, "amount": amount, "currency": currency})
    assert request.amount_minor == minor
    assert request.currency == (currency or "USD").upper()
