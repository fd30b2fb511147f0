"""Invoices and what they sell, in the billing table (single-table design).

| item | pk | sk |
|---|---|---|
| invoice | ``INVOICE#<id>`` | ``INVOICE`` |
| subscription | ``SUB#<id>`` | ``SUB`` |
| token-bundle purchase | ``PURCHASE#<id>`` | ``PURCHASE`` |
| add-on subscription | ``ADDON#<id>`` | ``ADDON`` |
| billing account (a user's live subscriptions) | ``ACCOUNT#<user>`` | ``ACCOUNT`` |
| checkout idempotency key | ``IDEMP#<user>#<key>`` | ``CHECKOUT`` |
| invoice-number guard | ``INVNUM#<number>`` | ``INVNUM`` |

Every state change of several items is staged into one ``Transaction`` by the functions here, each item
conditioned on the state it must be in.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from vbwd.domain.billing import AddOnSubscription, Invoice, LineItem, Payment, Subscription, TokenBundlePurchase
from vbwd.domain.catalog import CatalogItem
from vbwd.domain.enums import (
    BillingPeriod,
    InvoiceStatus,
    LineItemType,
    PurchaseStatus,
    SubscriptionStatus,
)
from vbwd.domain.errors import ConditionFailed
from vbwd.domain.tokens import Wallet
from vbwd.store import paging
from vbwd.store.base import TableModel
from vbwd.store.catalog import CatalogRecord
from vbwd.store.catalog import to_domain as catalog_to_domain
from vbwd.store.errors import translated
from vbwd.store.tokens import WalletRecord, wallet_of
from vbwd.store.tx import Transaction, batch_get

EXPIRY_SHARDS = 8
INVOICE_PARTITION = "INVOICE"


# --- indexes ---------------------------------------------------------------------------------------


class ByUser(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ByStatus(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class AllInvoices(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "all_invoices"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class PendingExpiry(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "pending_expiry"
        projection = KeysOnlyProjection()

    expiry_pk = UnicodeAttribute(hash_key=True)
    expiry_sk = UnicodeAttribute(range_key=True)


# --- records ---------------------------------------------------------------------------------------


class _BillingItem(TableModel):
    table_setting = "billing_table"

    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class InvoiceRecord(_BillingItem):
    class Meta:
        pass

    id = UnicodeAttribute()
    invoice_number = UnicodeAttribute()
    user_id = UnicodeAttribute()
    status = UnicodeAttribute()
    currency = UnicodeAttribute()
    subtotal = NumberAttribute()
    total = NumberAttribute()
    line_items = JSONAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    paid_at = UnicodeAttribute(null=True)
    payment_provider = UnicodeAttribute(null=True)
    payment_reference = UnicodeAttribute(null=True)
    stripe_session_id = UnicodeAttribute(null=True)
    payment_failed_at = UnicodeAttribute(null=True)
    payment_error = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    expired_at = UnicodeAttribute(null=True)
    refunded_at = UnicodeAttribute(null=True)
    refunded_minor = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute()
    gsi3sk = UnicodeAttribute()
    expiry_pk = UnicodeAttribute(null=True)
    expiry_sk = UnicodeAttribute(null=True)
    by_user = ByUser()
    by_status = ByStatus()
    all_invoices = AllInvoices()
    pending_expiry = PendingExpiry()


class SubscriptionRecord(_BillingItem):
    class Meta:
        pass

    id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    catalog_item_id = UnicodeAttribute()  # the plan (sparse index by_catalog_item: the delete guard)
    plan_name = UnicodeAttribute()
    status = UnicodeAttribute()
    billing_period = UnicodeAttribute()
    price = NumberAttribute()
    currency = UnicodeAttribute()
    trial_days = NumberAttribute()
    included_tokens = NumberAttribute()
    invoice_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    starts_at = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_user = ByUser()


class PurchaseRecord(_BillingItem):
    class Meta:
        pass

    id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    catalog_item_id = UnicodeAttribute()  # the bundle
    bundle_name = UnicodeAttribute()
    token_amount = NumberAttribute()
    price = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    tokens_credited = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_user = ByUser()


class AddOnRecord(_BillingItem):
    class Meta:
        pass

    id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    catalog_item_id = UnicodeAttribute()  # the add-on
    add_on_name = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    status = UnicodeAttribute()
    billing_period = UnicodeAttribute()
    price = NumberAttribute()
    currency = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    starts_at = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_user = ByUser()


class AccountRecord(_BillingItem):
    """A user's live (pending or active) subscriptions: ``{subscription id: status}``. It is read in the
    checkout's one batch read (the add-on's parent) and kept exact by every transaction that moves a
    subscription."""

    class Meta:
        pass

    user_id = UnicodeAttribute()
    subscriptions = MapAttribute[str, Any](default=dict)


class IdempotencyRecord(_BillingItem):
    class Meta:
        pass

    request_hash = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


class PlanGuardRecord(_BillingItem):
    """At most one live (pending or active) subscription per user and plan: written with the
    subscription at checkout; the capture stamps it with the end of the paid period (none for
    ``one_time``), after which a checkout may take it over; removed when the pending subscription is
    cancelled or expires, or the live one is refunded. Without it a free plan could be checked out again
    and again, crediting its included tokens each time."""

    class Meta:
        pass

    subscription_id = UnicodeAttribute()
    expires_at = UnicodeAttribute(null=True)


def plan_guard_key(user_id: str, plan_id: str) -> tuple[str, str]:
    return f"PLANSUB#{user_id}#{plan_id}", "PLANSUB"


PLAN_GUARD = "plan_guard"


def _stage_plan_guard_removal(tx: Transaction, user_id: str, line: LineItem) -> None:
    tx.delete(
        PLAN_GUARD,
        PlanGuardRecord(*plan_guard_key(user_id, line.catalog_item_id)),
        PlanGuardRecord.pk.does_not_exist() | (PlanGuardRecord.subscription_id == line.item_id),
    )


class InvoiceNumberRecord(_BillingItem):
    class Meta:
        pass

    invoice_id = UnicodeAttribute()


# --- keys and conversions -------------------------------------------------------------------------


def invoice_key(invoice_id: str) -> tuple[str, str]:
    return f"INVOICE#{invoice_id}", "INVOICE"


def subscription_key(sub_id: str) -> tuple[str, str]:
    return f"SUB#{sub_id}", "SUB"


def purchase_key(purchase_id: str) -> tuple[str, str]:
    return f"PURCHASE#{purchase_id}", "PURCHASE"


def addon_key(addon_id: str) -> tuple[str, str]:
    return f"ADDON#{addon_id}", "ADDON"


# The record behind each kind of invoice line: (label prefix, model, key function).
_ITEMS: dict[LineItemType, tuple[str, Any, Any]] = {
    LineItemType.SUBSCRIPTION: ("subscription", SubscriptionRecord, subscription_key),
    LineItemType.TOKEN_BUNDLE: ("purchase", PurchaseRecord, purchase_key),
    LineItemType.ADD_ON: ("addon", AddOnRecord, addon_key),
}


def account_key(user_id: str) -> tuple[str, str]:
    return f"ACCOUNT#{user_id}", "ACCOUNT"


def idempotency_key(user_id: str, key: str) -> tuple[str, str]:
    return f"IDEMP#{user_id}#{key}", "CHECKOUT"


def _user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _line_to_json(line: LineItem) -> dict[str, Any]:
    return {
        "id": line.id,
        "type": line.type.value,
        "item_id": line.item_id,
        "catalog_item_id": line.catalog_item_id,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price_minor,
        "total_price": line.total_price_minor,
        "token_amount": line.token_amount,
        "billing_period": line.billing_period.value if line.billing_period else None,
    }


def _line_from_json(data: dict[str, Any]) -> LineItem:
    return LineItem(
        id=data["id"],
        type=LineItemType(data["type"]),
        item_id=data["item_id"],
        catalog_item_id=data["catalog_item_id"],
        description=data["description"],
        quantity=int(data["quantity"]),
        unit_price_minor=int(data["unit_price"]),
        total_price_minor=int(data["total_price"]),
        token_amount=int(data.get("token_amount") or 0),
        billing_period=BillingPeriod(data["billing_period"]) if data.get("billing_period") else None,
    )


def to_invoice(record: InvoiceRecord) -> Invoice:
    return Invoice(
        id=record.id,
        invoice_number=record.invoice_number,
        user_id=record.user_id,
        status=InvoiceStatus(record.status),
        currency=record.currency,
        subtotal_minor=int(record.subtotal),
        total_minor=int(record.total),
        line_items=tuple(_line_from_json(d) for d in record.line_items),
        created_at=record.created_at,
        updated_at=record.updated_at,
        expires_at=record.expires_at,
        paid_at=record.paid_at,
        payment_provider=record.payment_provider,
        payment_reference=record.payment_reference,
        stripe_session_id=record.stripe_session_id,
        payment_failed_at=record.payment_failed_at,
        payment_error=record.payment_error,
        cancelled_at=record.cancelled_at,
        expired_at=record.expired_at,
        refunded_at=record.refunded_at,
        refunded_minor=int(record.refunded_minor or 0),
    )


def to_subscription(record: SubscriptionRecord) -> Subscription:
    return Subscription(
        id=record.id,
        user_id=record.user_id,
        plan_id=record.catalog_item_id,
        plan_name=record.plan_name,
        status=SubscriptionStatus(record.status),
        billing_period=BillingPeriod(record.billing_period),
        price_minor=int(record.price),
        currency=record.currency,
        trial_days=int(record.trial_days),
        included_tokens=int(record.included_tokens),
        invoice_id=record.invoice_id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        starts_at=record.starts_at,
        expires_at=record.expires_at,
        cancelled_at=record.cancelled_at,
    )


def to_purchase(record: PurchaseRecord) -> TokenBundlePurchase:
    return TokenBundlePurchase(
        id=record.id,
        user_id=record.user_id,
        bundle_id=record.catalog_item_id,
        bundle_name=record.bundle_name,
        token_amount=int(record.token_amount),
        price_minor=int(record.price),
        currency=record.currency,
        status=PurchaseStatus(record.status),
        invoice_id=record.invoice_id,
        tokens_credited=bool(record.tokens_credited),
        created_at=record.created_at,
        updated_at=record.updated_at,
        completed_at=record.completed_at,
    )


def to_addon(record: AddOnRecord) -> AddOnSubscription:
    return AddOnSubscription(
        id=record.id,
        user_id=record.user_id,
        add_on_id=record.catalog_item_id,
        add_on_name=record.add_on_name,
        subscription_id=record.subscription_id,
        status=SubscriptionStatus(record.status),
        billing_period=BillingPeriod(record.billing_period),
        price_minor=int(record.price),
        currency=record.currency,
        invoice_id=record.invoice_id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        starts_at=record.starts_at,
        expires_at=record.expires_at,
        cancelled_at=record.cancelled_at,
    )


def _expiry_pk(invoice_id: str) -> str:
    return f"PENDING#{zlib.crc32(invoice_id.encode()) % EXPIRY_SHARDS}"


def invoice_record(invoice: Invoice) -> InvoiceRecord:
    pending = invoice.status is InvoiceStatus.PENDING
    return InvoiceRecord(
        *invoice_key(invoice.id),
        id=invoice.id,
        invoice_number=invoice.invoice_number,
        user_id=invoice.user_id,
        status=invoice.status.value,
        currency=invoice.currency,
        subtotal=invoice.subtotal_minor,
        total=invoice.total_minor,
        line_items=[_line_to_json(line) for line in invoice.line_items],
        created_at=invoice.created_at,
        updated_at=invoice.updated_at,
        expires_at=invoice.expires_at,
        refunded_minor=invoice.refunded_minor,
        gsi1pk=_user_pk(invoice.user_id),
        gsi1sk=f"INVOICE#{invoice.id}",
        gsi2pk=f"INVOICE#{invoice.status.value}",
        gsi2sk=invoice.id,
        gsi3pk=INVOICE_PARTITION,
        gsi3sk=invoice.id,
        expiry_pk=_expiry_pk(invoice.id) if pending else None,
        expiry_sk=f"{invoice.expires_at}#{invoice.id}" if pending else None,
    )


def subscription_record(sub: Subscription) -> SubscriptionRecord:
    return SubscriptionRecord(
        *subscription_key(sub.id),
        id=sub.id,
        user_id=sub.user_id,
        catalog_item_id=sub.plan_id,
        plan_name=sub.plan_name,
        status=sub.status.value,
        billing_period=sub.billing_period.value,
        price=sub.price_minor,
        currency=sub.currency,
        trial_days=sub.trial_days,
        included_tokens=sub.included_tokens,
        invoice_id=sub.invoice_id,
        created_at=sub.created_at,
        updated_at=sub.updated_at,
        gsi1pk=_user_pk(sub.user_id),
        gsi1sk=f"SUB#{sub.id}",
    )


def purchase_record(purchase: TokenBundlePurchase) -> PurchaseRecord:
    return PurchaseRecord(
        *purchase_key(purchase.id),
        id=purchase.id,
        user_id=purchase.user_id,
        catalog_item_id=purchase.bundle_id,
        bundle_name=purchase.bundle_name,
        token_amount=purchase.token_amount,
        price=purchase.price_minor,
        currency=purchase.currency,
        status=purchase.status.value,
        invoice_id=purchase.invoice_id,
        tokens_credited=False,
        created_at=purchase.created_at,
        updated_at=purchase.updated_at,
        gsi1pk=_user_pk(purchase.user_id),
        gsi1sk=f"PURCHASE#{purchase.id}",
    )


def addon_record(addon: AddOnSubscription) -> AddOnRecord:
    return AddOnRecord(
        *addon_key(addon.id),
        id=addon.id,
        user_id=addon.user_id,
        catalog_item_id=addon.add_on_id,
        add_on_name=addon.add_on_name,
        subscription_id=addon.subscription_id,
        status=addon.status.value,
        billing_period=addon.billing_period.value,
        price=addon.price_minor,
        currency=addon.currency,
        invoice_id=addon.invoice_id,
        created_at=addon.created_at,
        updated_at=addon.updated_at,
        gsi1pk=_user_pk(addon.user_id),
        gsi1sk=f"ADDON#{addon.id}",
    )


# --- reads -----------------------------------------------------------------------------------------


def get_invoice(invoice_id: str) -> Invoice | None:
    try:
        with translated():
            return to_invoice(InvoiceRecord.get(*invoice_key(invoice_id), consistent_read=True))
    except DoesNotExist:
        return None


def live_subscriptions(account: AccountRecord | None) -> dict[str, SubscriptionStatus]:
    if account is None:
        return {}
    subscriptions = account.subscriptions.as_dict() if account.subscriptions is not None else {}
    return {sub_id: SubscriptionStatus(status) for sub_id, status in subscriptions.items()}


def items_of(invoice: Invoice) -> tuple[Subscription | None, list[TokenBundlePurchase], list[AddOnSubscription]]:
    """The records an invoice sells, in line order (one BatchGetItem)."""
    keys: list[tuple[type[TableModel], Any, Any]] = []
    for line in invoice.line_items:
        if line.type is LineItemType.SUBSCRIPTION:
            keys.append((SubscriptionRecord, *subscription_key(line.item_id)))
        elif line.type is LineItemType.TOKEN_BUNDLE:
            keys.append((PurchaseRecord, *purchase_key(line.item_id)))
        else:
            keys.append((AddOnRecord, *addon_key(line.item_id)))
    subscription = None
    purchases: list[TokenBundlePurchase] = []
    addons: list[AddOnSubscription] = []
    for record in batch_get(keys, consistent=True):
        if isinstance(record, SubscriptionRecord):
            subscription = to_subscription(record)
        elif isinstance(record, PurchaseRecord):
            purchases.append(to_purchase(record))
        elif isinstance(record, AddOnRecord):
            addons.append(to_addon(record))
    return subscription, purchases, addons


def list_user_invoices(
    user_id: str, *, limit: int, cursor: str | None, status: InvoiceStatus | None = None
) -> tuple[list[Invoice], str | None]:
    fixed = {"gsi1pk": _user_pk(user_id)}
    start = paging.decode(cursor, fixed, {"pk", "sk", "gsi1sk"})
    filters = (InvoiceRecord.status == status.value) if status else None
    with translated(cursor=start is not None):
        results = InvoiceRecord.by_user.query(
            _user_pk(user_id),
            InvoiceRecord.gsi1sk.startswith("INVOICE#"),
            filter_condition=filters,
            scan_index_forward=False,
            limit=limit + 1,
            last_evaluated_key=start,
        )
        records, next_cursor = paging.page(results, limit, ["pk", "sk", "gsi1sk"], fixed)
    return [to_invoice(r) for r in records], next_cursor


def list_invoices(
    *, limit: int, cursor: str | None, status: InvoiceStatus | None = None
) -> tuple[list[Invoice], str | None]:
    """Admin list: by status (``by_status``) or all (``all_invoices``), newest first."""
    if status is not None:
        fixed = {"gsi2pk": f"INVOICE#{status.value}"}
        start = paging.decode(cursor, fixed, {"pk", "sk", "gsi2sk"})
        with translated(cursor=start is not None):
            results = InvoiceRecord.by_status.query(
                fixed["gsi2pk"], scan_index_forward=False, limit=limit + 1, last_evaluated_key=start
            )
            records, next_cursor = paging.page(results, limit, ["pk", "sk", "gsi2sk"], fixed)
    else:
        fixed = {"gsi3pk": INVOICE_PARTITION}
        start = paging.decode(cursor, fixed, {"pk", "sk", "gsi3sk"})
        with translated(cursor=start is not None):
            results = InvoiceRecord.all_invoices.query(
                INVOICE_PARTITION, scan_index_forward=False, limit=limit + 1, last_evaluated_key=start
            )
            records, next_cursor = paging.page(results, limit, ["pk", "sk", "gsi3sk"], fixed)
    return [to_invoice(r) for r in records], next_cursor


def list_user_records(user_id: str, prefix: str, *, limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    """A user's subscriptions (``SUB#``) or add-on subscriptions (``ADDON#``), newest first."""
    fixed = {"gsi1pk": _user_pk(user_id)}
    start = paging.decode(cursor, fixed, {"pk", "sk", "gsi1sk"})
    model: type[SubscriptionRecord] | type[AddOnRecord] = SubscriptionRecord if prefix == "SUB#" else AddOnRecord
    convert = to_subscription if prefix == "SUB#" else to_addon
    with translated(cursor=start is not None):
        results = model.by_user.query(
            _user_pk(user_id),
            model.gsi1sk.startswith(prefix),
            scan_index_forward=False,
            limit=limit + 1,
            last_evaluated_key=start,
        )
        records, next_cursor = paging.page(results, limit, ["pk", "sk", "gsi1sk"], fixed)
    return [convert(r) for r in records], next_cursor


def get_subscription(sub_id: str) -> Subscription | None:
    try:
        with translated():
            return to_subscription(SubscriptionRecord.get(*subscription_key(sub_id), consistent_read=True))
    except DoesNotExist:
        return None


def expired_pending(now: str, page_size: int = 100) -> Iterator[str]:
    """Ids of pending invoices whose ``expires_at`` has passed, oldest first per shard: a Query on each
    shard of the sparse index, paged to the end (an invoice that cannot be closed never hides the rest)."""
    for shard in range(EXPIRY_SHARDS):
        pages = InvoiceRecord.pending_expiry.query(
            f"PENDING#{shard}", InvoiceRecord.expiry_sk < now, page_size=page_size
        )
        while True:
            with translated():
                record = next(pages, None)
            if record is None:
                break
            yield record.pk.removeprefix("INVOICE#")


# --- staging writes --------------------------------------------------------------------------------


def stage_new_checkout(
    tx: Transaction,
    invoice: Invoice,
    subscription: Subscription | None,
    purchases: Sequence[TokenBundlePurchase],
    addons: Sequence[AddOnSubscription],
    *,
    account_exists: bool,
    parent_id: str | None,
    idempotency: tuple[str, str] | None,
    now: str,
) -> None:
    """The invoice, its number guard, every pending item, the idempotency key and the account update."""
    if idempotency is not None:
        key, request_hash = idempotency
        tx.put(
            "idempotency",
            IdempotencyRecord(
                *idempotency_key(invoice.user_id, key), request_hash=request_hash, invoice_id=invoice.id, created_at=now
            ),
            IdempotencyRecord.pk.does_not_exist(),
            return_old=True,
        )
    tx.put("invoice", invoice_record(invoice), InvoiceRecord.pk.does_not_exist())
    tx.put(
        "invoice_number",
        InvoiceNumberRecord(f"INVNUM#{invoice.invoice_number}", "INVNUM", invoice_id=invoice.id),
        InvoiceNumberRecord.pk.does_not_exist(),
    )
    if subscription is not None:
        tx.put(
            f"subscription:{subscription.id}", subscription_record(subscription), SubscriptionRecord.pk.does_not_exist()
        )
        tx.put(
            PLAN_GUARD,
            PlanGuardRecord(*plan_guard_key(invoice.user_id, subscription.plan_id), subscription_id=subscription.id),
            PlanGuardRecord.pk.does_not_exist() | (PlanGuardRecord.expires_at < now),  # none, or its period is over
        )
    for purchase in purchases:
        tx.put(f"purchase:{purchase.id}", purchase_record(purchase), PurchaseRecord.pk.does_not_exist())
    for addon in addons:
        tx.put(f"addon:{addon.id}", addon_record(addon), AddOnRecord.pk.does_not_exist())

    account = AccountRecord(*account_key(invoice.user_id))
    condition: Condition | None = None
    if parent_id is not None and (subscription is None or parent_id != subscription.id):
        condition = AccountRecord.subscriptions[parent_id].is_in(
            SubscriptionStatus.PENDING.value, SubscriptionStatus.ACTIVE.value
        )
    if subscription is None and condition is None:
        return  # nothing about the user's subscriptions changes
    if not account_exists:
        account.user_id = invoice.user_id
        account.subscriptions = {subscription.id: SubscriptionStatus.PENDING.value} if subscription else {}
        tx.put("account", account, AccountRecord.pk.does_not_exist())
        return
    actions: list[Action] = []
    if subscription is not None:
        actions.append(AccountRecord.subscriptions[subscription.id].set(SubscriptionStatus.PENDING.value))
    if actions:
        tx.update(
            "account",
            account,
            actions,
            (condition & AccountRecord.pk.exists()) if condition is not None else AccountRecord.pk.exists(),
        )
    elif condition is not None:
        tx.check("account", AccountRecord, *account_key(invoice.user_id), condition=condition)


PENDING = SubscriptionStatus.PENDING.value  # add-ons share it, and purchases (PurchaseStatus.PENDING)


def _stage_item(
    tx: Transaction, line: LineItem, status: str, now: str, *, only_if: str | None, stamps: dict[str, Any] | None = None
) -> None:
    """Move the record behind an invoice line to ``status`` (only if it is ``only_if``, else only if it
    exists), setting the other ``stamps`` (attribute -> value) at the same time."""
    label, model, key = _ITEMS[line.type]
    actions = [model.status.set(status), model.updated_at.set(now)]
    actions += [getattr(model, name).set(value) for name, value in (stamps or {}).items()]
    condition = (model.status == only_if) if only_if else model.pk.exists()
    tx.update(f"{label}:{line.item_id}", model(*key(line.item_id)), actions, condition)


def _stage_account(tx: Transaction, user_id: str, subscription_id: str, status: SubscriptionStatus | None) -> None:
    """Keep the billing account's live subscriptions exact: set the status, or remove it (None)."""
    path = AccountRecord.subscriptions[subscription_id]
    action = path.set(status.value) if status is not None else path.remove()
    tx.update("account", AccountRecord(*account_key(user_id)), [action], AccountRecord.pk.exists())


def stage_close_pending(
    tx: Transaction, invoice: Invoice, status: InvoiceStatus, now: str, *, expired_before: str | None = None
) -> None:
    """Move a pending invoice and its pending items to ``cancelled`` or ``expired`` (all or nothing)."""
    item_status = {
        InvoiceStatus.CANCELLED: (SubscriptionStatus.CANCELLED, PurchaseStatus.CANCELLED),
        InvoiceStatus.EXPIRED: (SubscriptionStatus.EXPIRED, PurchaseStatus.EXPIRED),
    }[status]
    stamp = InvoiceRecord.cancelled_at if status is InvoiceStatus.CANCELLED else InvoiceRecord.expired_at
    condition = InvoiceRecord.status == InvoiceStatus.PENDING.value
    if expired_before is not None:
        condition &= InvoiceRecord.expires_at <= expired_before
    tx.update(
        "invoice",
        InvoiceRecord(*invoice_key(invoice.id)),
        [
            InvoiceRecord.status.set(status.value),
            stamp.set(now),
            InvoiceRecord.updated_at.set(now),
            InvoiceRecord.gsi2pk.set(f"INVOICE#{status.value}"),
            InvoiceRecord.expiry_pk.remove(),
            InvoiceRecord.expiry_sk.remove(),
        ],
        condition,
        return_old=True,
    )
    for line in invoice.line_items:
        closed = item_status[1] if line.type is LineItemType.TOKEN_BUNDLE else item_status[0]
        cancelled = (
            {"cancelled_at": now}
            if status is InvoiceStatus.CANCELLED and line.type is not LineItemType.TOKEN_BUNDLE
            else {}
        )
        _stage_item(tx, line, closed.value, now, only_if=PENDING, stamps=cancelled)
        if line.type is LineItemType.SUBSCRIPTION:
            _stage_account(tx, invoice.user_id, line.item_id, None)
            _stage_plan_guard_removal(tx, invoice.user_id, line)


def read_checkout(
    catalog_ids: list[str], user_id: str
) -> tuple[dict[str, CatalogItem], dict[str, SubscriptionStatus] | None]:
    """The checkout's ONE read (one BatchGetItem across tables): the catalog items, and the user's live
    subscriptions from the billing account (None when the user has no account yet)."""
    keys: list[tuple[type[TableModel], Any, Any]] = [(CatalogRecord, item_id, None) for item_id in catalog_ids]
    results = batch_get([*keys, (AccountRecord, *account_key(user_id))], consistent=True)
    catalog = {
        record.id: catalog_to_domain(record)
        for record in results[:-1]
        if isinstance(record, CatalogRecord) and getattr(record, "kind", None)
    }
    account = results[-1]
    return catalog, live_subscriptions(account) if isinstance(account, AccountRecord) else None


def idempotency_record(item: dict[str, Any] | None) -> tuple[str, str] | None:
    """(request hash, invoice id) of a stored checkout key reported by a cancellation."""
    if not item:
        return None
    return str(item["request_hash"]), str(item["invoice_id"])


def get_idempotency(user_id: str, key: str) -> tuple[str, str] | None:
    try:
        with translated():
            record = IdempotencyRecord.get(*idempotency_key(user_id, key), consistent_read=True)
    except DoesNotExist:
        return None
    return record.request_hash, record.invoice_id


# --- payments, refunds, provider events ----------------------------------------------------------------


class PaymentRecord(_BillingItem):
    """A payment seen from a provider, keyed by (provider, reference): the capture's idempotency key."""

    class Meta:
        pass

    provider = UnicodeAttribute()
    reference = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # captured | needs_review | needs_refund | refunded
    reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    refunded_minor = NumberAttribute(default=0)


class RefundRecord(_BillingItem):
    class Meta:
        pass

    invoice_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    source = UnicodeAttribute()  # admin | stripe
    tokens_reversed = NumberAttribute()
    shortfall = NumberAttribute()
    created_at = UnicodeAttribute()


class ProviderEventRecord(_BillingItem):
    """A raw webhook event, stored before it is processed: ``received`` -> ``processed``."""

    class Meta:
        pass

    provider = UnicodeAttribute()
    type = UnicodeAttribute()
    payload = UnicodeAttribute()
    status = UnicodeAttribute()
    received_at = UnicodeAttribute()
    processed_at = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)


def payment_key(provider: str, reference: str) -> tuple[str, str]:
    return f"PAYMENT#{provider}#{reference}", "PAYMENT"


def refund_key(invoice_id: str) -> tuple[str, str]:
    return f"REFUND#{invoice_id}", "REFUND"


def to_payment(record: PaymentRecord) -> Payment:
    return Payment(
        provider=record.provider,
        reference=record.reference,
        invoice_id=record.invoice_id,
        amount_minor=int(record.amount),
        currency=record.currency,
        status=record.status,
        reason=record.reason,
        created_at=record.created_at,
    )


def payment_from(item: dict[str, Any] | None) -> Payment | None:
    """The payment a cancellation reported (``ALL_OLD``)."""
    if not item:
        return None
    return Payment(
        provider=item["provider"],
        reference=item["reference"],
        invoice_id=item["invoice_id"],
        amount_minor=int(item["amount"]),
        currency=item["currency"],
        status=item["status"],
        reason=item.get("reason"),
        created_at=item["created_at"],
    )


def invoice_from(item: dict[str, Any] | None) -> Invoice | None:
    """The invoice a cancellation reported (``ALL_OLD``)."""
    if not item:
        return None
    return to_invoice(InvoiceRecord.from_raw_data({k: _raw(v) for k, v in item.items()}))


def _raw(value: Any) -> dict[str, Any]:
    """Re-encode a decoded attribute (cancellation items arrive decoded) for pynamodb."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, dict):
        return {"M": {k: _raw(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"L": [_raw(v) for v in value]}
    return {"S": str(value)}


def get_payment(provider: str, reference: str) -> Payment | None:
    try:
        with translated():
            return to_payment(PaymentRecord.get(*payment_key(provider, reference), consistent_read=True))
    except DoesNotExist:
        return None


def payment_record(payment: Payment) -> PaymentRecord:
    return PaymentRecord(
        *payment_key(payment.provider, payment.reference),
        provider=payment.provider,
        reference=payment.reference,
        invoice_id=payment.invoice_id,
        amount=payment.amount_minor,
        currency=payment.currency,
        status=payment.status,
        reason=payment.reason,
        created_at=payment.created_at,
    )


def record_payment(payment: Payment) -> bool:
    """Keep a payment that activated nothing (for review or refund) -- once per (provider, reference).
    False when this reference was already recorded (a replay: the earlier record stands)."""
    try:
        with translated():
            payment_record(payment).save(condition=PaymentRecord.pk.does_not_exist())
    except ConditionFailed:
        return False
    return True


def record_refund(payment: Payment, refunded_minor: int, *, full: bool, now: str) -> Payment:
    """A provider refunded a payment that paid no invoice (not captured yet, or kept for review/refund).
    Its refunded total is kept on it; a full refund makes it ``refunded``, so that the review queue no
    longer shows money that went back and a capture arriving later for the same reference is refused.
    ``payment`` is written as given (a full refund of an unseen reference) when nothing is stored yet.
    Returns the stored payment: a ``captured`` one (a capture that won the race) comes back untouched, for
    the caller to refund its invoice."""
    record = payment_record(payment)
    record.refunded_minor = refunded_minor
    try:
        with translated():
            record.save(condition=PaymentRecord.pk.does_not_exist())
        return payment
    except ConditionFailed:
        pass
    existing = get_payment(payment.provider, payment.reference)
    if existing is None or existing.paid_its_invoice:
        return existing or payment
    status = "refunded" if full else existing.status
    try:
        with translated():
            PaymentRecord(*payment_key(payment.provider, payment.reference)).update(
                actions=[
                    PaymentRecord.status.set(status),
                    PaymentRecord.refunded_minor.set(refunded_minor),
                    PaymentRecord.updated_at.set(now),
                ],
                # the running total only grows: an older charge.refunded delivered late changes nothing
                condition=(PaymentRecord.status == existing.status)
                & (PaymentRecord.refunded_minor.does_not_exist() | (PaymentRecord.refunded_minor < refunded_minor)),
            )
    except ConditionFailed:
        return get_payment(payment.provider, payment.reference) or existing
    return replace(existing, status=status)


def read_for_capture(invoice_id: str, user_id: str | None) -> tuple[Invoice | None, Wallet | None, bool]:
    """The capture's ONE read (BatchGetItem): the invoice and, when the caller knows the user, the
    wallet. Returns (invoice, wallet, wallet_known)."""
    keys: list[tuple[type[TableModel], Any, Any]] = [(InvoiceRecord, *invoice_key(invoice_id))]
    if user_id:
        keys.append((WalletRecord, user_id, None))
    results = batch_get(keys, consistent=True)
    invoice = to_invoice(results[0]) if isinstance(results[0], InvoiceRecord) else None
    if not user_id or invoice is None or invoice.user_id != user_id:
        return invoice, None, False
    wallet_record = results[1]
    wallet = wallet_of(wallet_record) if isinstance(wallet_record, WalletRecord) else None
    return invoice, wallet, True


def stage_capture(
    tx: Transaction, invoice: Invoice, payment: Payment, now: str, periods: dict[str, tuple[str, str | None]]
) -> None:
    """Mark the invoice paid (only if pending, unexpired, and the amount and currency match), record the
    payment (only once per reference) and activate every pending item. ``periods`` maps an item id to its
    (starts_at, expires_at). Tokens are staged by the caller with ``tokens.stage``."""
    tx.update(
        "invoice",
        InvoiceRecord(*invoice_key(invoice.id)),
        [
            InvoiceRecord.status.set(InvoiceStatus.PAID.value),
            InvoiceRecord.paid_at.set(now),
            InvoiceRecord.payment_provider.set(payment.provider),
            InvoiceRecord.payment_reference.set(payment.reference),
            InvoiceRecord.updated_at.set(now),
            InvoiceRecord.gsi2pk.set(f"INVOICE#{InvoiceStatus.PAID.value}"),
            InvoiceRecord.expiry_pk.remove(),
            InvoiceRecord.expiry_sk.remove(),
        ],
        (InvoiceRecord.status == InvoiceStatus.PENDING.value)
        & (InvoiceRecord.expires_at > now)
        & (InvoiceRecord.total == payment.amount_minor)
        & (InvoiceRecord.currency == payment.currency),
        return_old=True,
    )
    tx.put("payment", payment_record(payment), PaymentRecord.pk.does_not_exist(), return_old=True)
    for line in invoice.line_items:
        starts, ends = periods.get(line.item_id, (now, None))
        if line.type is LineItemType.TOKEN_BUNDLE:
            _stage_item(
                tx,
                line,
                PurchaseStatus.COMPLETED.value,
                now,
                only_if=PENDING,
                stamps={"tokens_credited": True, "completed_at": now},
            )
            continue
        _stage_item(
            tx,
            line,
            SubscriptionStatus.ACTIVE.value,
            now,
            only_if=PENDING,
            stamps={"starts_at": starts, **({"expires_at": ends} if ends else {})},
        )
        if line.type is LineItemType.SUBSCRIPTION:
            _stage_account(tx, invoice.user_id, line.item_id, SubscriptionStatus.ACTIVE)
            if ends:  # the plan may be bought again once the paid period is over
                tx.update(
                    PLAN_GUARD,
                    PlanGuardRecord(*plan_guard_key(invoice.user_id, line.catalog_item_id)),
                    [PlanGuardRecord.subscription_id.set(line.item_id), PlanGuardRecord.expires_at.set(ends)],
                    PlanGuardRecord.pk.does_not_exist() | (PlanGuardRecord.subscription_id == line.item_id),
                )


def stage_refund(
    tx: Transaction,
    invoice: Invoice,
    *,
    reason: str,
    source: str,
    tokens_reversed: int,
    shortfall: int,
    now: str,
    ended: frozenset[str] = frozenset(),
) -> None:
    """Invoice paid -> refunded, the refund record (once per invoice), every item cancelled or refunded,
    the payment marked refunded. Token reversals are staged by the caller with ``tokens.stage``.
    ``ended``: subscriptions whose paid period is over, whose plan guard a later checkout may hold now."""
    tx.update(
        "invoice",
        InvoiceRecord(*invoice_key(invoice.id)),
        [
            InvoiceRecord.status.set(InvoiceStatus.REFUNDED.value),
            InvoiceRecord.refunded_at.set(now),
            InvoiceRecord.refunded_minor.set(invoice.total_minor),
            InvoiceRecord.updated_at.set(now),
            InvoiceRecord.gsi2pk.set(f"INVOICE#{InvoiceStatus.REFUNDED.value}"),
        ],
        InvoiceRecord.status == InvoiceStatus.PAID.value,
        return_old=True,
    )
    tx.put(
        "refund",
        RefundRecord(
            *refund_key(invoice.id),
            invoice_id=invoice.id,
            reason=reason,
            source=source,
            tokens_reversed=tokens_reversed,
            shortfall=shortfall,
            created_at=now,
        ),
        RefundRecord.pk.does_not_exist(),
    )
    if invoice.payment_provider and invoice.payment_reference:
        tx.update(
            "payment",
            PaymentRecord(*payment_key(invoice.payment_provider, invoice.payment_reference)),
            [
                PaymentRecord.status.set("refunded"),
                PaymentRecord.refunded_minor.set(invoice.total_minor),
                PaymentRecord.updated_at.set(now),
            ],
            PaymentRecord.pk.exists(),
        )
    for line in invoice.line_items:
        if line.type is LineItemType.TOKEN_BUNDLE:
            _stage_item(tx, line, PurchaseStatus.REFUNDED.value, now, only_if=None)
            continue
        _stage_item(tx, line, SubscriptionStatus.CANCELLED.value, now, only_if=None, stamps={"cancelled_at": now})
        if line.type is LineItemType.SUBSCRIPTION:
            _stage_account(tx, invoice.user_id, line.item_id, None)
            if line.item_id not in ended:
                _stage_plan_guard_removal(tx, invoice.user_id, line)


def record_partial_refund(invoice: Invoice, refunded_minor: int, now: str) -> bool:
    """Note a partial refund on a paid invoice (it reverses nothing). Monotonic: a smaller or equal
    amount than already recorded changes nothing. Returns whether it changed the invoice."""
    try:
        with translated():
            InvoiceRecord(*invoice_key(invoice.id)).update(
                actions=[InvoiceRecord.refunded_minor.set(refunded_minor), InvoiceRecord.updated_at.set(now)],
                condition=(InvoiceRecord.status == InvoiceStatus.PAID.value)
                & (InvoiceRecord.refunded_minor < refunded_minor),
            )
    except ConditionFailed:
        return False
    return True


def set_stripe_session(invoice_id: str, session_id: str, now: str) -> None:
    with translated():
        InvoiceRecord(*invoice_key(invoice_id)).update(
            actions=[InvoiceRecord.stripe_session_id.set(session_id), InvoiceRecord.updated_at.set(now)],
            condition=InvoiceRecord.status == InvoiceStatus.PENDING.value,
        )


def record_payment_failure(invoice_id: str, error: str, now: str) -> bool:
    try:
        with translated():
            InvoiceRecord(*invoice_key(invoice_id)).update(
                actions=[
                    InvoiceRecord.payment_failed_at.set(now),
                    InvoiceRecord.payment_error.set(error[:500]),
                    InvoiceRecord.updated_at.set(now),
                ],
                condition=InvoiceRecord.pk.exists(),
            )
    except ConditionFailed:
        return False
    return True


def receive_event(provider: str, event_id: str, event_type: str, payload: str, now: str) -> bool:
    """Store a raw event before processing it. False when it was already processed (a duplicate); an
    event still ``received`` (its processing failed) is taken again."""
    record = ProviderEventRecord(
        f"EVENT#{provider}#{event_id}",
        "EVENT",
        provider=provider,
        type=event_type,
        payload=payload,
        status="received",
        received_at=now,
        attempts=1,
    )
    try:
        with translated():
            record.save(condition=ProviderEventRecord.pk.does_not_exist() | (ProviderEventRecord.status == "received"))
    except ConditionFailed:
        return False
    return True


def event_processed(provider: str, event_id: str, outcome: str, now: str) -> None:
    with translated():
        ProviderEventRecord(f"EVENT#{provider}#{event_id}", "EVENT").update(
            actions=[
                ProviderEventRecord.status.set("processed"),
                ProviderEventRecord.processed_at.set(now),
                ProviderEventRecord.outcome.set(outcome[:200]),
            ]
        )


def get_event_status(provider: str, event_id: str) -> str | None:
    try:
        with translated():
            return str(ProviderEventRecord.get(f"EVENT#{provider}#{event_id}", "EVENT", consistent_read=True).status)
    except DoesNotExist:
        return None
