"""Payment capture, Stripe and refund schemas."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictFloat, StrictInt, StrictStr, ValidationInfo, field_validator, model_validator

from vbwd.api.schemas.billing import InvoiceView, Uuid
from vbwd.api.schemas.common import Line, Prose, Strict, View
from vbwd.domain import money
from vbwd.domain.billing import CaptureResult, RefundResult
from vbwd.settings import get_settings


class ManualPaymentRequest(Strict):
    """``amount`` is the paid amount in major units, as a decimal string (``"5.00"``) or a number."""

    invoice_id: Uuid
    payment_reference: Line = Field(min_length=1, max_length=255)
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")  # before amount: it decides the decimals
    amount: StrictStr | StrictInt | StrictFloat = Field(description='decimal, e.g. "5.00"')
    provider: str = Field(default="manual", pattern=r"^[a-z0-9_-]{1,32}$")
    amount_minor: int = Field(default=0, exclude=True, json_schema_extra={"readOnly": True})

    @model_validator(mode="before")
    @classmethod
    def _no_minor(cls, data: Any) -> Any:
        if isinstance(data, dict) and "amount_minor" in data:
            raise ValueError("amount_minor is not accepted; send amount")
        return data

    @field_validator("provider")
    @classmethod
    def _not_stripe(cls, value: str) -> str:
        if value == "stripe":
            raise ValueError("stripe payments arrive through the Stripe webhook")
        return value

    @field_validator("amount", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        """One clear error for a boolean, null, list or object (not one per member of the union)."""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError('must be a decimal string such as "5.00", or a number')
        return value

    @field_validator("amount")
    @classmethod
    def _decimal(cls, value: str | int | float, info: ValidationInfo) -> str | int | float:
        money.to_minor(value, _currency(info.data.get("currency")))  # a ValueError names "amount"
        return value

    @model_validator(mode="after")
    def _to_minor(self) -> ManualPaymentRequest:
        self.currency = _currency(self.currency)
        self.amount_minor = money.to_minor(self.amount, self.currency)
        return self


def _currency(value: str | None) -> str:
    return (value or get_settings().default_currency).upper()


class MarkPaidRequest(Strict):
    payment_reference: Line = Field(min_length=1, max_length=255)


class RefundInvoiceRequest(Strict):
    reason: Prose = Field(min_length=1, max_length=500)


class CaptureResponse(View):
    status: str
    invoice_id: str
    items_activated: int

    @classmethod
    def of(cls, result: CaptureResult, invoice_id: str) -> CaptureResponse:
        return cls(status=result.status, invoice_id=invoice_id, items_activated=result.items_activated)


class PayResponse(View):
    checkout_url: str
    session_id: str


class RefundResponse(View):
    status: str
    invoice: InvoiceView
    tokens_reversed: int
    shortfall: int

    @classmethod
    def of(cls, result: RefundResult) -> RefundResponse:
        return cls(
            status=result.status,
            invoice=InvoiceView.of(result.invoice),
            tokens_reversed=result.tokens_reversed,
            shortfall=result.shortfall,
        )


class WebhookAck(View):
    status: str
    event_id: str | None = None
    outcome: str | None = None
