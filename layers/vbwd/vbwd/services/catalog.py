"""The catalog: tariff plans, token bundles and add-ons -- admin CRUD, public lists and the demo seed.

Every write is conditioned on the item's ``version``. A caller that sends a version gets ``version_conflict``
when it is stale; a caller that sends none gets its change applied on top of the latest state (read, apply,
conditional write, and again if someone else wrote in between), so no update is ever lost.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from vbwd.domain import clock, money
from vbwd.domain.catalog import (
    ADD_ON_PERIODS,
    MAX_SORT_ORDER,
    MAX_TOKENS,
    MAX_TRIAL_DAYS,
    SLUG_PATTERN,
    CatalogItem,
    slugify,
)
from vbwd.domain.enums import BillingPeriod, CatalogKind
from vbwd.domain.errors import ConditionFailed, Conflict, NotFound, Unavailable, ValidationFailed
from vbwd.domain.ids import new_id
from vbwd.services import retry
from vbwd.settings import get_settings
from vbwd.store import billing_refs
from vbwd.store import catalog as store

MAX_ATTEMPTS = 8  # read-apply-write rounds for an unversioned change under contention
DEMO_SEED = "demo-catalog"

LABELS = {
    CatalogKind.TARIFF_PLAN: "Tariff plan",
    CatalogKind.TOKEN_BUNDLE: "Token bundle",
    CatalogKind.ADD_ON: "Add-on",
}
_COMMON = frozenset({"name", "description", "price", "is_active", "sort_order"})
MUTABLE: dict[CatalogKind, frozenset[str]] = {
    CatalogKind.TARIFF_PLAN: _COMMON
    | {"slug", "currency", "billing_period", "trial_days", "included_tokens", "features"},
    CatalogKind.TOKEN_BUNDLE: _COMMON | {"token_amount"},
    CatalogKind.ADD_ON: _COMMON | {"billing_period"},
}


@dataclass(frozen=True, slots=True)
class Page:
    items: list[CatalogItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)


def default_currency() -> str:
    return get_settings().default_currency


def _not_found(kind: CatalogKind) -> NotFound:
    return NotFound(f"{LABELS[kind]} not found.")


def _stale() -> Conflict:
    return Conflict(
        "The item was changed by someone else; reload it and apply your change again.", code="version_conflict"
    )


def _minor(price: Decimal, currency: str) -> int:
    try:
        return money.to_minor(price, currency)
    except ValueError as exc:
        raise ValidationFailed.field("price", str(exc)) from exc


def _check(item: CatalogItem) -> CatalogItem:
    """The invariants of a stored item, whatever the caller validated before."""
    problems: list[tuple[str, str]] = []
    if not item.name.strip():
        problems.append(("name", "must not be blank"))
    if not 0 <= item.sort_order <= MAX_SORT_ORDER:
        problems.append(("sort_order", f"must be between 0 and {MAX_SORT_ORDER}"))
    if item.kind is CatalogKind.TOKEN_BUNDLE and not (item.token_amount and 0 < item.token_amount <= MAX_TOKENS):
        problems.append(("token_amount", "must be a whole number above 0"))
    if item.kind is not CatalogKind.TOKEN_BUNDLE and item.billing_period is None:
        problems.append(("billing_period", "is required"))
    if item.kind is CatalogKind.ADD_ON and item.billing_period not in ADD_ON_PERIODS:
        problems.append(("billing_period", "must be monthly, yearly or one_time"))
    if item.kind is CatalogKind.TARIFF_PLAN:
        if not item.slug:
            problems.append(("slug", "cannot be derived from the name; give one"))
        elif not re.fullmatch(SLUG_PATTERN, item.slug):
            problems.append(("slug", "must be lowercase letters and digits joined by single hyphens"))
        if not re.fullmatch(r"[A-Z]{3}", item.currency):
            problems.append(("currency", "must be a three-letter ISO 4217 code"))
        if not 0 <= item.trial_days <= MAX_TRIAL_DAYS:
            problems.append(("trial_days", f"must be between 0 and {MAX_TRIAL_DAYS}"))
        if not 0 <= item.included_tokens <= MAX_TOKENS:
            problems.append(("included_tokens", "must not be negative"))
    if problems:
        raise ValidationFailed(details=[{"field": f, "message": m, "type": "value_error"} for f, m in problems])
    return item


# --- reads --------------------------------------------------------------------------------------------


def get(kind: CatalogKind, item_id: str) -> CatalogItem:
    """An item of this kind, active or not (admin)."""
    item = store.get(item_id)
    if item is None or item.kind is not kind:
        raise _not_found(kind)
    return item


def get_public(kind: CatalogKind, item_id: str) -> CatalogItem:
    """An active item of this kind; an inactive one is as absent as an unknown one."""
    item = get(kind, item_id)
    if not item.is_active:
        raise _not_found(kind)
    return item


def list_admin(kind: CatalogKind, page: int, per_page: int, include_inactive: bool) -> Page:
    items = store.list_kind(kind, active_only=not include_inactive)
    start = (page - 1) * per_page
    return Page(items=items[start : start + per_page], total=len(items), page=page, per_page=per_page)


def list_public(kind: CatalogKind) -> list[CatalogItem]:
    return store.list_kind(kind, active_only=True)


# --- writes -------------------------------------------------------------------------------------------


def new_item(
    kind: CatalogKind,
    *,
    name: str,
    price: Decimal,
    description: str | None = None,
    currency: str | None = None,
    is_active: bool = True,
    sort_order: int = 0,
    slug: str | None = None,
    billing_period: BillingPeriod | str | None = None,
    trial_days: int = 0,
    included_tokens: int = 0,
    features: Iterable[str] = (),
    token_amount: int | None = None,
) -> CatalogItem:
    """A valid new item (not stored). Bundles and add-ons are priced in the default currency."""
    plan = kind is CatalogKind.TARIFF_PLAN
    currency = (currency if plan else None) or default_currency()
    stamp = clock.iso(clock.now())
    return _check(
        CatalogItem(
            id=new_id(),
            kind=kind,
            name=name,
            description=description,
            price_minor=_minor(price, currency),
            currency=currency,
            is_active=is_active,
            sort_order=sort_order,
            created_at=stamp,
            updated_at=stamp,
            version=1,
            slug=(slug or slugify(name)) if plan else None,
            billing_period=BillingPeriod(billing_period)
            if billing_period and kind is not CatalogKind.TOKEN_BUNDLE
            else None,
            trial_days=trial_days if plan else 0,
            included_tokens=included_tokens if plan else 0,
            features=tuple(features) if plan else (),
            token_amount=token_amount if kind is CatalogKind.TOKEN_BUNDLE else None,
        )
    )


def create(kind: CatalogKind, **fields: Any) -> CatalogItem:
    """Create an item (201). A plan's slug is derived from its name when omitted; a taken one is 409."""
    item = new_item(kind, **fields)
    store.create(item)
    return item


def _apply(current: CatalogItem, changes: Mapping[str, Any], stamp: str) -> CatalogItem:
    fields = {name: value for name, value in changes.items() if name not in {"price", "currency"}}
    currency = changes.get("currency") or current.currency
    if "price" in changes or currency != current.currency:
        # a currency change keeps the amount (5.00 USD -> 5.00 EUR), refused if it does not fit the currency
        price = changes.get("price")
        amount = price if price is not None else Decimal(money.format_minor(current.price_minor, current.currency))
        fields["price_minor"] = _minor(amount, currency)
        fields["currency"] = currency
    if "billing_period" in fields:
        fields["billing_period"] = BillingPeriod(fields["billing_period"])
    if "features" in fields:
        fields["features"] = tuple(fields["features"])
    return _check(dataclasses.replace(current, **fields, updated_at=stamp, version=current.version + 1))


def _write(
    kind: CatalogKind, item_id: str, expected_version: int | None, change: Mapping[str, Any], *, only_if_changed: bool
) -> CatalogItem:
    """Read, check the version, apply, write conditioned on the version read. A lost race reads again: a
    caller that named a version then gets ``version_conflict`` (it moved), any other caller has its change
    re-applied on top of the new state; plain transaction contention (the version did not move) retries."""
    for attempt in range(MAX_ATTEMPTS):
        current = get(kind, item_id)
        if expected_version is not None and current.version != expected_version:
            raise _stale()
        if only_if_changed and all(getattr(current, name) == value for name, value in change.items()):
            return current
        updated = _apply(current, change, clock.iso(clock.now()))
        try:
            store.replace(current, updated)
            return updated
        except ConditionFailed:
            retry.backoff(attempt, step=0.01, cap=0.1)
    raise Unavailable("The item is being changed by others; retry the request.")


def update(
    kind: CatalogKind, item_id: str, changes: Mapping[str, Any], expected_version: int | None = None
) -> CatalogItem:
    """A partial update. ``changes`` holds only the fields to set (``description: None`` clears it)."""
    if not changes:
        raise ValidationFailed.field("body", "give at least one field to change")
    refused = sorted(set(changes) - MUTABLE[kind])
    if refused:
        raise ValidationFailed(
            details=[{"field": name, "message": "cannot be changed", "type": "extra_forbidden"} for name in refused]
        )
    return _write(kind, item_id, expected_version, changes, only_if_changed=False)


def set_active(kind: CatalogKind, item_id: str, active: bool, expected_version: int | None = None) -> CatalogItem:
    """Activate or deactivate. Already in that state: nothing is written (the version does not move)."""
    return _write(kind, item_id, expected_version, {"is_active": active}, only_if_changed=True)


def delete(kind: CatalogKind, item_id: str) -> None:
    """Delete an item nothing references. A referenced one is 409 ``in_use``: deactivate it instead."""
    for attempt in range(MAX_ATTEMPTS):
        current = get(kind, item_id)
        if billing_refs.is_referenced(item_id):
            raise Conflict(
                f"{LABELS[kind]} is referenced by purchases, subscriptions or invoices; deactivate it instead.",
                code="in_use",
            )
        try:
            store.delete(current)
            return
        except ConditionFailed:
            retry.backoff(attempt, step=0.01, cap=0.1)  # changed meanwhile (e.g. its slug): look again
    raise Unavailable("The item is being changed by others; retry the request.")


# --- the demo catalog ---------------------------------------------------------------------------------


def _demo_items() -> list[CatalogItem]:
    plan, bundle, add_on = CatalogKind.TARIFF_PLAN, CatalogKind.TOKEN_BUNDLE, CatalogKind.ADD_ON
    monthly = BillingPeriod.MONTHLY
    return [
        new_item(
            plan,
            name="Starter",
            description="For trying things out.",
            price=Decimal("9.00"),
            billing_period=monthly,
            included_tokens=1000,
            features=("1,000 tokens a month", "Email support"),
            sort_order=1,
        ),
        new_item(
            plan,
            name="Pro",
            description="For teams that use it every day.",
            price=Decimal("29.00"),
            billing_period=monthly,
            trial_days=14,
            included_tokens=10000,
            features=("10,000 tokens a month", "Priority queue", "Email support"),
            sort_order=2,
        ),
        new_item(
            bundle,
            name="1000 Tokens",
            description="Starter token pack",
            token_amount=1000,
            price=Decimal("5.00"),
            sort_order=1,
        ),
        new_item(
            bundle,
            name="10000 Tokens",
            description="Large token pack",
            token_amount=10000,
            price=Decimal("50.00"),
            sort_order=2,
        ),
        new_item(
            add_on,
            name="Priority Support",
            description="Answers within four business hours.",
            price=Decimal("5.00"),
            billing_period=monthly,
            sort_order=1,
        ),
    ]


def seed_demo() -> bool:
    """Seed the demo catalog once (``make run``): the items and a marker in one transaction. Returns
    False when it was seeded before -- even if an admin has since deleted what it created."""
    items = _demo_items()
    stamp = clock.iso(clock.now())
    try:
        return store.seed(DEMO_SEED, items, stamp)
    except Conflict as exc:
        if exc.code != "slug_taken":
            raise
    # an admin already made a plan with a demo slug: seed the rest (theirs wins)
    kept = [item for item in items if not item.slug or store.slug_owner(item.slug) is None]
    return store.seed(DEMO_SEED, kept, stamp)
