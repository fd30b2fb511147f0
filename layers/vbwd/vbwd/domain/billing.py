"""Invoices and what they sell: subscriptions, token-bundle purchases and add-on subscriptions."""

from __future__ import annotations

from dataclasses import dataclass

from vbwd.domain.enums import (
    BillingPeriod,
    InvoiceStatus,
    LineItemType,
    PurchaseStatus,
    SubscriptionStatus,
)


@dataclass(frozen=True, slots=True)
class LineItem:
    """One invoice line. Prices, token amounts and periods are snapshots taken at checkout, so a later
    catalog change never alters an invoice or what its payment activates."""

    id: str
    type: LineItemType
    item_id: str  # the subscription / purchase / add-on subscription record
    catalog_item_id: str
    description: str
    quantity: int
    unit_price_minor: int
    total_price_minor: int
    token_amount: int = 0  # bundle tokens, or a plan's included tokens
    billing_period: BillingPeriod | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    invoice_number: str
    user_id: str
    status: InvoiceStatus
    currency: str
    subtotal_minor: int
    total_minor: int
    line_items: tuple[LineItem, ...]
    created_at: str
    updated_at: str
    expires_at: str
    paid_at: str | None = None
    payment_provider: str | None = None
    payment_reference: str | None = None
    stripe_session_id: str | None = None
    payment_failed_at: str | None = None
    payment_error: str | None = None
    cancelled_at: str | None = None
    expired_at: str | None = None
    refunded_at: str | None = None
    refunded_minor: int = 0  # partial refunds recorded (they reverse nothing)


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    user_id: str
    plan_id: str
    plan_name: str
    status: SubscriptionStatus
    billing_period: BillingPeriod
    price_minor: int
    currency: str
    trial_days: int
    included_tokens: int
    invoice_id: str
    created_at: str
    updated_at: str
    starts_at: str | None = None
    expires_at: str | None = None
    cancelled_at: str | None = None


@dataclass(frozen=True, slots=True)
class TokenBundlePurchase:
    id: str
    user_id: str
    bundle_id: str
    bundle_name: str
    token_amount: int
    price_minor: int
    currency: str
    status: PurchaseStatus
    invoice_id: str
    tokens_credited: bool
    created_at: str
    updated_at: str
    completed_at: str | None = None


@dataclass(frozen=True, slots=True)
class AddOnSubscription:
    id: str
    user_id: str
    add_on_id: str
    add_on_name: str
    subscription_id: str  # the parent subscription
    status: SubscriptionStatus
    billing_period: BillingPeriod
    price_minor: int
    currency: str
    invoice_id: str
    created_at: str
    updated_at: str
    starts_at: str | None = None
    expires_at: str | None = None
    cancelled_at: str | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment seen from a provider, keyed by (provider, reference). ``status`` is ``captured`` for
    a payment that paid an invoice, or ``needs_review`` / ``needs_refund`` for money that arrived but
    activated nothing (wrong amount, closed invoice, double payment)."""

    provider: str
    reference: str
    invoice_id: str
    amount_minor: int
    currency: str
    status: str
    reason: str | None
    created_at: str

    @property
    def paid_its_invoice(self) -> bool:
        """True for a payment that paid its invoice (``captured``, or ``refunded`` with its invoice). A
        payment that paid nothing carries the reason it was kept (``needs_review``, ``needs_refund``, or
        ``refunded`` with that reason or ``refunded_before_capture``)."""
        return self.status == "captured" or (self.status == "refunded" and self.reason is None)


@dataclass(frozen=True, slots=True)
class CaptureResult:
    """What a capture did. ``status``: ``paid`` (this call activated the order), ``already_paid`` (a
    replay of the payment that paid it), ``double_payment`` (another payment already paid it: recorded
    as needing a refund) or ``rejected`` (wrong amount or currency, or a closed invoice: recorded for
    review, nothing activated)."""

    status: str
    invoice: Invoice | None
    items_activated: int = 0
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    status: str  # refunded | already_refunded | partial_recorded
    invoice: Invoice
    tokens_reversed: int = 0
    shortfall: int = 0  # credited tokens the user had already spent (not reversed, shown to the admin)
