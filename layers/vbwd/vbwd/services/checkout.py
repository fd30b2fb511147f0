"""Checkout: one invoice and every pending item it sells, in ONE transaction, after ONE batch read.

Nothing is active and no token is credited until the invoice is paid (see ``services.capture``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from vbwd.domain import clock
from vbwd.domain.billing import AddOnSubscription, Invoice, LineItem, Subscription, TokenBundlePurchase
from vbwd.domain.catalog import CatalogItem
from vbwd.domain.enums import (
    BillingPeriod,
    CatalogKind,
    InvoiceStatus,
    LineItemType,
    PurchaseStatus,
    SubscriptionStatus,
)
from vbwd.domain.errors import Conflict, TransactionCancelled, Unavailable, ValidationFailed
from vbwd.domain.ids import new_id
from vbwd.observability import metric
from vbwd.services import retry
from vbwd.settings import get_settings
from vbwd.store import billing as store
from vbwd.store import outbox
from vbwd.store.tx import Transaction

# A cart holds at most 40 lines (the plan, bundle entries, add-ons). Paying it touches, in ONE
# transaction: the invoice, the payment record, the billing account, the subscription, the wallet, the
# plan's ledger entry and 3 events (9 items), plus 2 items per bundle (purchase + ledger entry) and 2 per
# add-on (add-on + its event): 9 + 2 x 40 = 89 <= 100, DynamoDB's limit per transaction. Refunding touches
# no more. ``tests/unit/test_checkout.py`` builds the largest cart's capture and counts.
MAX_CART_LINES = 40
MAX_ATTEMPTS = 10
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


@dataclass(frozen=True, slots=True)
class Cart:
    plan_id: str | None
    bundle_ids: tuple[str, ...]
    addon_ids: tuple[str, ...]

    @property
    def lines(self) -> int:
        return (1 if self.plan_id else 0) + len(self.bundle_ids) + len(self.addon_ids)

    def request_hash(self) -> str:
        canonical = json.dumps(
            {"plan_id": self.plan_id, "token_bundle_ids": list(self.bundle_ids), "add_on_ids": list(self.addon_ids)},
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Order:
    """What a checkout creates (or, on a replay, created)."""

    invoice: Invoice
    subscription: Subscription | None
    purchases: tuple[TokenBundlePurchase, ...]
    addons: tuple[AddOnSubscription, ...]
    replayed: bool = False


def validate(cart: Cart) -> None:
    """Shape rules that need no data: at least one item, the size limit, no add-on twice."""
    if cart.lines == 0:
        raise ValidationFailed(
            "The cart is empty: add a plan, a token bundle or an add-on.",
            details=[{"field": "cart", "message": "must hold at least one item", "type": "empty_cart"}],
        )
    if cart.lines > MAX_CART_LINES:
        raise ValidationFailed(
            f"A cart holds at most {MAX_CART_LINES} items.",
            details=[
                {
                    "field": "cart",
                    "message": f"has {cart.lines} items, the limit is {MAX_CART_LINES}",
                    "type": "cart_too_large",
                }
            ],
        )
    seen: set[str] = set()
    duplicates = []
    for index, addon_id in enumerate(cart.addon_ids):
        if addon_id in seen:
            duplicates.append(
                {
                    "field": f"add_on_ids.{index}",
                    "message": f"add-on {addon_id} is already in the cart",
                    "type": "duplicate",
                }
            )
        seen.add(addon_id)
    if duplicates:
        raise ValidationFailed("An add-on can be bought once per cart.", details=duplicates)


def invoice_number(now_ms: int | None = None) -> str:
    """Human-readable and unique (a guard item makes a collision fail the transaction, then retry)."""
    stamp = time.strftime("%Y%m%d", time.gmtime((now_ms or int(time.time() * 1000)) / 1000))
    return f"INV-{stamp}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def _offending(cart: Cart, catalog: dict[str, CatalogItem]) -> list[dict[str, str]]:
    problems = []

    def check(field: str, item_id: str, kind: CatalogKind, label: str) -> None:
        item = catalog.get(item_id)
        if item is None or item.kind is not kind:
            problems.append(
                {"field": field, "message": f"{label} {item_id} does not exist", "type": "not_found", "id": item_id}
            )
        elif not item.is_active:
            problems.append(
                {"field": field, "message": f"{label} {item_id} is not available", "type": "inactive", "id": item_id}
            )

    if cart.plan_id:
        check("plan_id", cart.plan_id, CatalogKind.TARIFF_PLAN, "tariff plan")
    for index, bundle_id in enumerate(cart.bundle_ids):
        check(f"token_bundle_ids.{index}", bundle_id, CatalogKind.TOKEN_BUNDLE, "token bundle")
        bundle = catalog.get(bundle_id)
        if bundle is not None and bundle.is_active and bundle.price_minor == 0:
            # Free tokens are an admin's grant (with its ledger entry), never a checkout anyone can repeat.
            problems.append(
                {
                    "field": f"token_bundle_ids.{index}",
                    "message": f"token bundle {bundle_id} is free: tokens without payment are granted by an admin",
                    "type": "free_bundle",
                    "id": bundle_id,
                }
            )
    for index, addon_id in enumerate(cart.addon_ids):
        check(f"add_on_ids.{index}", addon_id, CatalogKind.ADD_ON, "add-on")
    return problems


def _parent(cart: Cart, plan_subscription_id: str | None, live: dict[str, SubscriptionStatus]) -> str | None:
    """An add-on's parent: the plan in the same cart, else the user's newest active, else newest pending
    subscription."""
    if not cart.addon_ids:
        return None
    if plan_subscription_id:
        return plan_subscription_id
    for wanted in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING):
        candidates = sorted((sid for sid, status in live.items() if status is wanted), reverse=True)
        if candidates:
            return candidates[0]
    raise ValidationFailed(
        "An add-on needs a tariff plan in the same cart or an active or pending subscription.",
        details=[{"field": "add_on_ids", "message": "has no parent subscription", "type": "missing_parent"}],
    )


def _line(
    kind: LineItemType,
    item_id: str,
    item: CatalogItem,
    token_amount: int = 0,
    billing_period: BillingPeriod | None = None,
) -> LineItem:
    """One line of one catalog item, its price snapshotted as the catalog has it now."""
    return LineItem(
        id=new_id(),
        type=kind,
        item_id=item_id,
        catalog_item_id=item.id,
        description=item.name,
        quantity=1,
        unit_price_minor=item.price_minor,
        total_price_minor=item.price_minor,
        token_amount=token_amount,
        billing_period=billing_period,
    )


def plan_order(
    user_id: str, cart: Cart, catalog: dict[str, CatalogItem], live: dict[str, SubscriptionStatus], now: str
) -> Order:
    """Turn a validated cart and the catalog snapshot into the invoice and its pending items (pure)."""
    problems = _offending(cart, catalog)
    if problems:
        raise ValidationFailed("Some items cannot be bought.", details=problems)
    items = [catalog[i] for i in ([cart.plan_id] if cart.plan_id else []) + list(cart.bundle_ids + cart.addon_ids)]
    currencies = sorted({item.currency for item in items})
    if len(currencies) > 1:
        raise ValidationFailed(
            "All items of a cart must be priced in one currency.",
            details=[{"field": "cart", "message": f"mixes {', '.join(currencies)}", "type": "mixed_currency"}],
        )
    currency = currencies[0]
    invoice_id = new_id()
    lines: list[LineItem] = []
    subscription = None
    if cart.plan_id:
        plan = catalog[cart.plan_id]
        assert plan.billing_period is not None  # noqa: S101 -- every plan has a period
        subscription = Subscription(
            id=new_id(),
            user_id=user_id,
            plan_id=plan.id,
            plan_name=plan.name,
            status=SubscriptionStatus.PENDING,
            billing_period=plan.billing_period,
            price_minor=plan.price_minor,
            currency=currency,
            trial_days=plan.trial_days,
            included_tokens=plan.included_tokens,
            invoice_id=invoice_id,
            created_at=now,
            updated_at=now,
        )
        lines.append(_line(LineItemType.SUBSCRIPTION, subscription.id, plan, plan.included_tokens, plan.billing_period))
    purchases = []
    for bundle_id in cart.bundle_ids:
        bundle = catalog[bundle_id]
        purchase = TokenBundlePurchase(
            id=new_id(),
            user_id=user_id,
            bundle_id=bundle.id,
            bundle_name=bundle.name,
            token_amount=bundle.token_amount or 0,
            price_minor=bundle.price_minor,
            currency=currency,
            status=PurchaseStatus.PENDING,
            invoice_id=invoice_id,
            tokens_credited=False,
            created_at=now,
            updated_at=now,
        )
        purchases.append(purchase)
        lines.append(_line(LineItemType.TOKEN_BUNDLE, purchase.id, bundle, purchase.token_amount))
    parent = _parent(cart, subscription.id if subscription else None, live)
    addons = []
    for addon_id in cart.addon_ids:
        catalog_addon = catalog[addon_id]
        assert catalog_addon.billing_period is not None and parent is not None  # noqa: S101
        addon = AddOnSubscription(
            id=new_id(),
            user_id=user_id,
            add_on_id=catalog_addon.id,
            add_on_name=catalog_addon.name,
            subscription_id=parent,
            status=SubscriptionStatus.PENDING,
            billing_period=catalog_addon.billing_period,
            price_minor=catalog_addon.price_minor,
            currency=currency,
            invoice_id=invoice_id,
            created_at=now,
            updated_at=now,
        )
        addons.append(addon)
        lines.append(_line(LineItemType.ADD_ON, addon.id, catalog_addon, billing_period=addon.billing_period))
    total = sum(line.total_price_minor for line in lines)
    expires = clock.iso(clock.parse_iso(now) + timedelta(hours=get_settings().invoice_ttl_hours))
    invoice = Invoice(
        id=invoice_id,
        invoice_number=invoice_number(),
        user_id=user_id,
        status=InvoiceStatus.PENDING,
        currency=currency,
        subtotal_minor=total,
        total_minor=total,
        line_items=tuple(lines),
        created_at=now,
        updated_at=now,
        expires_at=expires,
    )
    return Order(invoice=invoice, subscription=subscription, purchases=tuple(purchases), addons=tuple(addons))


def _stage(
    tx: Transaction, order: Order, *, account_exists: bool, idempotency: tuple[str, str] | None, now: str
) -> None:
    invoice = order.invoice
    parent = order.addons[0].subscription_id if order.addons else None
    store.stage_new_checkout(
        tx,
        invoice,
        order.subscription,
        order.purchases,
        order.addons,
        account_exists=account_exists,
        parent_id=parent,
        idempotency=idempotency,
        now=now,
    )
    outbox.stage_event(
        tx,
        "invoice.created",
        invoice.id,
        {
            "invoice_id": invoice.id,
            "invoice_number": invoice.invoice_number,
            "user_id": invoice.user_id,
            "total_minor": invoice.total_minor,
            "currency": invoice.currency,
            "status": invoice.status.value,
        },
        now,
    )
    if order.subscription is not None:
        outbox.stage_event(
            tx,
            "subscription.created",
            order.subscription.id,
            {
                "subscription_id": order.subscription.id,
                "user_id": invoice.user_id,
                "plan_id": order.subscription.plan_id,
                "status": order.subscription.status.value,
            },
            now,
        )


def load(invoice: Invoice, *, replayed: bool = False) -> Order:
    subscription, purchases, addons = store.items_of(invoice)
    return Order(
        invoice=invoice, subscription=subscription, purchases=tuple(purchases), addons=tuple(addons), replayed=replayed
    )


def _replay(user_id: str, key: str, request_hash: str, stored: tuple[str, str] | None) -> Order:
    stored = stored or store.get_idempotency(user_id, key)
    if stored is None:
        raise Unavailable()
    stored_hash, invoice_id = stored
    if stored_hash != request_hash:
        raise Conflict("This Idempotency-Key was already used for a different cart.", code="idempotency_key_reused")
    invoice = store.get_invoice(invoice_id)
    if invoice is None:  # pragma: no cover - written in the same transaction as the key
        raise Unavailable()
    return _settle_free(load(invoice, replayed=True))  # a free cart whose capture failed settles now


def _settle_free(order: Order) -> Order:
    """A zero-total cart (a free plan) is captured at once, through the one capture path."""
    if order.invoice.total_minor != 0 or order.invoice.status is not InvoiceStatus.PENDING:
        return order
    from vbwd.services import capture

    invoice = order.invoice
    result = capture.capture(invoice.id, "free", f"free-{invoice.id}", 0, invoice.currency, user_hint=invoice.user_id)
    settled = result.status in {"paid", "already_paid"}
    return load(result.invoice or invoice, replayed=order.replayed) if settled else order


def checkout(user_id: str, cart: Cart, idempotency_key: str | None = None) -> Order:
    """Create the invoice and its pending items: one BatchGetItem, then one TransactWriteItems."""
    validate(cart)
    request_hash = cart.request_hash()
    catalog_ids = list(
        dict.fromkeys(([cart.plan_id] if cart.plan_id else []) + list(cart.bundle_ids) + list(cart.addon_ids))
    )
    for attempt in range(MAX_ATTEMPTS):
        catalog, account = store.read_checkout(catalog_ids, user_id)
        now = clock.iso(clock.now())
        order = plan_order(user_id, cart, catalog, account or {}, now)
        tx = Transaction()
        _stage(
            tx,
            order,
            account_exists=account is not None,
            idempotency=(idempotency_key, request_hash) if idempotency_key else None,
            now=now,
        )
        try:
            tx.commit()
        except TransactionCancelled as exc:
            if idempotency_key and (reason := exc.failed("idempotency")):
                return _replay(user_id, idempotency_key, request_hash, store.idempotency_record(reason.item))
            if exc.failed(store.PLAN_GUARD):
                raise Conflict(
                    "You already have a pending or active subscription to this plan: use it, or cancel its "
                    "pending invoice first.",
                    code="plan_already_subscribed",
                ) from exc
            if exc.failed("account") and order.addons and not order.subscription:
                continue  # the parent changed under us: re-read and re-decide (it may now be gone: 422)
            if exc.failed("invoice_number") or exc.failed("account") or exc.only_conflicts:
                retry.backoff(attempt)
                continue  # a number collision, a concurrent first checkout, or contention: try again
            raise
        metric("CheckoutsCreated")
        return _settle_free(order)
    if idempotency_key and (stored := store.get_idempotency(user_id, idempotency_key)):
        return _replay(user_id, idempotency_key, request_hash, stored)
    raise Unavailable("The checkout could not be completed; retry with the same Idempotency-Key.")
