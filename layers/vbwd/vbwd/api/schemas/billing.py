"""Checkout, invoice, subscription and add-on schemas. Amounts are decimal strings beside a currency."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TypeVar

from pydantic import AfterValidator, Field

from vbwd.api.schemas.common import Strict, View
from vbwd.domain import money
from vbwd.domain.billing import AddOnSubscription, Invoice, LineItem, Subscription, TokenBundlePurchase
from vbwd.domain.enums import BillingPeriod, InvoiceStatus, LineItemType, PurchaseStatus, SubscriptionStatus
from vbwd.domain.ids import parse_uuid

if TYPE_CHECKING:
    from vbwd.services.checkout import Order


def _uuid(value: str) -> str:
    parsed = parse_uuid(value)
    if parsed is None:
        raise ValueError("must be a UUID")
    return parsed


Uuid = Annotated[str, AfterValidator(_uuid)]
V = TypeVar("V", bound=View)


def _priced_view(view: type[V], record: Subscription | TokenBundlePurchase | AddOnSubscription) -> V:
    """A view of a bought item: its fields by name, and ``price_minor`` as the decimal string ``price``."""
    values = {name: getattr(record, name) for name in view.model_fields if name != "price"}
    values["price"] = money.format_minor(record.price_minor, record.currency)
    return view.model_validate(values)


class CheckoutRequest(Strict):
    plan_id: Uuid | None = None
    token_bundle_ids: list[Uuid] = Field(default_factory=list, max_length=100)
    add_on_ids: list[Uuid] = Field(default_factory=list, max_length=100)


class LineItemView(View):
    id: str
    type: LineItemType
    item_id: str
    catalog_item_id: str
    description: str
    quantity: int
    unit_price: str
    total_price: str
    currency: str

    @classmethod
    def of(cls, line: LineItem, currency: str) -> LineItemView:
        return cls(
            id=line.id,
            type=line.type,
            item_id=line.item_id,
            catalog_item_id=line.catalog_item_id,
            description=line.description,
            quantity=line.quantity,
            unit_price=money.format_minor(line.unit_price_minor, currency),
            total_price=money.format_minor(line.total_price_minor, currency),
            currency=currency,
        )


class InvoiceView(View):
    id: str
    invoice_number: str
    user_id: str
    status: InvoiceStatus
    currency: str
    subtotal: str
    total_amount: str
    line_items: list[LineItemView]
    created_at: str
    updated_at: str
    expires_at: str
    paid_at: str | None
    payment_provider: str | None
    payment_reference: str | None
    payment_failed_at: str | None
    payment_error: str | None
    cancelled_at: str | None
    expired_at: str | None
    refunded_at: str | None
    refunded_amount: str

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceView:
        fmt = money.format_minor
        return cls(
            id=invoice.id,
            invoice_number=invoice.invoice_number,
            user_id=invoice.user_id,
            status=invoice.status,
            currency=invoice.currency,
            subtotal=fmt(invoice.subtotal_minor, invoice.currency),
            total_amount=fmt(invoice.total_minor, invoice.currency),
            line_items=[LineItemView.of(line, invoice.currency) for line in invoice.line_items],
            created_at=invoice.created_at,
            updated_at=invoice.updated_at,
            expires_at=invoice.expires_at,
            paid_at=invoice.paid_at,
            payment_provider=invoice.payment_provider,
            payment_reference=invoice.payment_reference,
            payment_failed_at=invoice.payment_failed_at,
            payment_error=invoice.payment_error,
            cancelled_at=invoice.cancelled_at,
            expired_at=invoice.expired_at,
            refunded_at=invoice.refunded_at,
            refunded_amount=fmt(invoice.refunded_minor, invoice.currency),
        )


class SubscriptionView(View):
    id: str
    user_id: str
    plan_id: str
    plan_name: str
    status: SubscriptionStatus
    billing_period: BillingPeriod
    price: str
    currency: str
    trial_days: int
    included_tokens: int
    invoice_id: str
    created_at: str
    starts_at: str | None
    expires_at: str | None
    cancelled_at: str | None

    @classmethod
    def of(cls, sub: Subscription) -> SubscriptionView:
        return _priced_view(cls, sub)


class PurchaseView(View):
    id: str
    bundle_id: str
    bundle_name: str
    token_amount: int
    price: str
    currency: str
    status: PurchaseStatus
    invoice_id: str
    tokens_credited: bool
    created_at: str
    completed_at: str | None

    @classmethod
    def of(cls, purchase: TokenBundlePurchase) -> PurchaseView:
        return _priced_view(cls, purchase)


class AddOnView(View):
    id: str
    add_on_id: str
    add_on_name: str
    subscription_id: str
    status: SubscriptionStatus
    billing_period: BillingPeriod
    price: str
    currency: str
    invoice_id: str
    created_at: str
    starts_at: str | None
    expires_at: str | None
    cancelled_at: str | None

    @classmethod
    def of(cls, addon: AddOnSubscription) -> AddOnView:
        return _priced_view(cls, addon)


class CheckoutResponse(View):
    invoice: InvoiceView
    subscription: SubscriptionView | None
    token_bundles: list[PurchaseView]
    add_ons: list[AddOnView]
    message: str
    next_step: str


class InvoicePage(View):
    items: list[InvoiceView]
    next_cursor: str | None


class SubscriptionPage(View):
    items: list[SubscriptionView]
    next_cursor: str | None


class AddOnPage(View):
    items: list[AddOnView]
    next_cursor: str | None


PENDING_MESSAGE = "Checkout created. Awaiting payment."
PAID_MESSAGE = "Checkout completed. Nothing to pay: everything is active."


def checkout_response(order: Order) -> CheckoutResponse:
    paid = order.invoice.status is InvoiceStatus.PAID
    return CheckoutResponse(
        invoice=InvoiceView.of(order.invoice),
        subscription=SubscriptionView.of(order.subscription) if order.subscription else None,
        token_bundles=[PurchaseView.of(p) for p in order.purchases],
        add_ons=[AddOnView.of(a) for a in order.addons],
        message=PAID_MESSAGE if paid else PENDING_MESSAGE,
        next_step="None."
        if paid
        else (
            f"Pay the invoice: POST /api/v1/user/invoices/{order.invoice.id}/pay opens a Stripe Checkout "
            f"Session (or an admin captures it). It expires at {order.invoice.expires_at}."
        ),
    )
