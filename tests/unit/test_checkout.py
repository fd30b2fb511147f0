"""Checkout and capture rules that need no database: the cart, the order, the transaction sizes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vbwd.domain.billing import Payment
from vbwd.domain.catalog import CatalogItem
from vbwd.domain.enums import BillingPeriod, CatalogKind, InvoiceStatus, LedgerType, LineItemType, SubscriptionStatus
from vbwd.domain.errors import ValidationFailed
from vbwd.domain.ids import new_id
from vbwd.domain.tokens import Wallet
from vbwd.services import capture, checkout, refunds
from vbwd.services.checkout import Cart

NOW = "2026-01-31T10:00:00.000Z"


def item(
    kind: CatalogKind,
    price: int,
    *,
    active: bool = True,
    currency: str = "USD",
    tokens: int = 0,
    period: BillingPeriod | None = None,
    name: str = "x",
) -> CatalogItem:
    return CatalogItem(
        id=new_id(),
        kind=kind,
        name=name,
        description=None,
        price_minor=price,
        currency=currency,
        is_active=active,
        sort_order=0,
        created_at=NOW,
        updated_at=NOW,
        version=1,
        billing_period=period,
        included_tokens=tokens if kind is CatalogKind.TARIFF_PLAN else 0,
        token_amount=tokens if kind is CatalogKind.TOKEN_BUNDLE else None,
    )


def plan(price: int = 900, tokens: int = 1000, **kw: object) -> CatalogItem:
    return item(CatalogKind.TARIFF_PLAN, price, tokens=tokens, period=BillingPeriod.MONTHLY, name="Starter", **kw)  # type: ignore[arg-type]


def bundle(price: int = 500, tokens: int = 1000, **kw: object) -> CatalogItem:
    return item(CatalogKind.TOKEN_BUNDLE, price, tokens=tokens, name="1000 Tokens", **kw)  # type: ignore[arg-type]


def addon(price: int = 500, **kw: object) -> CatalogItem:
    return item(CatalogKind.ADD_ON, price, period=BillingPeriod.YEARLY, name="Support", **kw)  # type: ignore[arg-type]


def catalog_of(*items: CatalogItem) -> dict[str, CatalogItem]:
    return {i.id: i for i in items}


def test_an_empty_cart_is_refused() -> None:
    with pytest.raises(ValidationFailed) as error:
        checkout.validate(Cart(None, (), ()))
    assert error.value.details[0]["type"] == "empty_cart"


def test_the_cart_size_limit() -> None:
    checkout.validate(Cart(new_id(), tuple(new_id() for _ in range(39)), ()))
    with pytest.raises(ValidationFailed) as error:
        checkout.validate(Cart(new_id(), tuple(new_id() for _ in range(40)), ()))
    assert error.value.details[0]["type"] == "cart_too_large"


def test_an_add_on_cannot_be_in_the_cart_twice() -> None:
    twice = new_id()
    with pytest.raises(ValidationFailed) as error:
        checkout.validate(Cart(new_id(), (), (twice, twice)))
    assert error.value.details[0]["field"] == "add_on_ids.1"


def test_unknown_inactive_and_wrong_kind_items_are_named() -> None:
    off = bundle(active=False)
    wrong_kind = addon()
    unknown = new_id()
    cart = Cart(wrong_kind.id, (off.id, unknown), ())
    with pytest.raises(ValidationFailed) as error:
        checkout.plan_order("u", cart, catalog_of(off, wrong_kind), {}, NOW)
    problems = {(d["field"], d["type"], d["id"]) for d in error.value.details}
    assert problems == {
        ("plan_id", "not_found", wrong_kind.id),
        ("token_bundle_ids.0", "inactive", off.id),
        ("token_bundle_ids.1", "not_found", unknown),
    }


def test_the_order_snapshots_prices_and_sums_the_lines() -> None:
    starter, tokens, support = plan(), bundle(), addon()
    cart = Cart(starter.id, (tokens.id, tokens.id), (support.id,))
    order = checkout.plan_order("user-1", cart, catalog_of(starter, tokens, support), {}, NOW)
    invoice = order.invoice
    assert [line.type for line in invoice.line_items] == [
        LineItemType.SUBSCRIPTION,
        LineItemType.TOKEN_BUNDLE,
        LineItemType.TOKEN_BUNDLE,
        LineItemType.ADD_ON,
    ]
    assert invoice.total_minor == invoice.subtotal_minor == 900 + 500 + 500 + 500
    assert sum(line.total_price_minor for line in invoice.line_items) == invoice.total_minor
    assert len(order.purchases) == 2 and order.purchases[0].id != order.purchases[1].id  # bought twice
    assert order.subscription is not None and order.subscription.status is SubscriptionStatus.PENDING
    assert order.addons[0].subscription_id == order.subscription.id  # the plan in the cart is the parent
    assert invoice.line_items[1].token_amount == 1000 and invoice.line_items[0].token_amount == 1000
    assert invoice.expires_at == "2026-02-01T10:00:00.000Z"
    assert invoice.invoice_number.startswith("INV-")


def test_an_add_on_needs_a_parent() -> None:
    support = addon()
    with pytest.raises(ValidationFailed) as error:
        checkout.plan_order("u", Cart(None, (), (support.id,)), catalog_of(support), {}, NOW)
    assert error.value.details[0]["type"] == "missing_parent"
    active, pending = new_id(), new_id()
    live = {pending: SubscriptionStatus.PENDING, active: SubscriptionStatus.ACTIVE}
    order = checkout.plan_order("u", Cart(None, (), (support.id,)), catalog_of(support), live, NOW)
    assert order.addons[0].subscription_id == active  # an active parent is preferred over a pending one


def test_one_currency_per_cart() -> None:
    euro, dollars = plan(currency="EUR"), bundle()
    with pytest.raises(ValidationFailed, match="one currency"):
        checkout.plan_order("u", Cart(euro.id, (dollars.id,), ()), catalog_of(euro, dollars), {}, NOW)


def test_the_largest_cart_is_paid_and_refunded_in_one_transaction_each() -> None:
    starter = plan()
    bundles = [bundle() for _ in range(19)]
    addons = [addon() for _ in range(20)]
    cart = Cart(starter.id, tuple(b.id for b in bundles), tuple(a.id for a in addons))
    assert cart.lines == checkout.MAX_CART_LINES
    order = checkout.plan_order("u", cart, catalog_of(starter, *bundles, *addons), {}, NOW)
    payment = Payment("manual", "ref", order.invoice.id, order.invoice.total_minor, "USD", "captured", None, NOW)
    tx, after = capture.build(order.invoice, payment, Wallet("u", 5, 5, NOW), NOW)
    assert len(tx) <= 100
    assert after is not None and after.balance == 5 + 1000 + 19 * 1000
    paid = replace(
        order.invoice, status=InvoiceStatus.PAID, paid_at=NOW, payment_provider="manual", payment_reference="ref"
    )
    refund, drained, reversed_tokens, shortfall = refunds.build(paid, after, reason="r", source="admin", now=NOW)
    assert 40 < len(refund) <= 100  # the real refund transaction: items, plan guard, payment, wallet, entries, event
    assert reversed_tokens == after.balance - 5 and shortfall == 0 and drained is not None and drained.balance == 5


def test_credits_and_periods() -> None:
    starter, tokens = plan(tokens=250), bundle(tokens=1000)
    order = checkout.plan_order("u", Cart(starter.id, (tokens.id,), ()), catalog_of(starter, tokens), {}, NOW)
    credits = capture.credits_for(order.invoice)
    assert [(c.type, c.amount) for c in credits] == [(LedgerType.SUBSCRIPTION, 250), (LedgerType.PURCHASE, 1000)]
    assert credits[1].entry_key == f"purchase#{order.purchases[0].id}"
    periods = capture.periods_for(order.invoice, NOW)
    assert periods[order.subscription.id] == (NOW, "2026-02-28T10:00:00.000Z")  # type: ignore[union-attr]


def test_refund_reversals_never_go_below_zero() -> None:
    tokens = bundle(tokens=1000)
    order = checkout.plan_order("u", Cart(None, (tokens.id, tokens.id), ()), catalog_of(tokens), {}, NOW)
    debits, shortfall = refunds.reversals(order.invoice, Wallet("u", 1500, 1500, NOW))
    assert [d.amount for d in debits] == [-1000, -500]
    assert shortfall == 500
    assert all(d.type is LedgerType.REFUND for d in debits)


def test_the_cart_hash_depends_on_contents_and_order() -> None:
    first, second = new_id(), new_id()
    assert Cart(None, (first, second), ()).request_hash() == Cart(None, (first, second), ()).request_hash()
    assert Cart(None, (first, second), ()).request_hash() != Cart(None, (second, first), ()).request_hash()
