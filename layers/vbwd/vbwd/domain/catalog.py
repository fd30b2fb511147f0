"""The catalog: tariff plans, token bundles and add-ons share one entity with kind-specific fields."""

from __future__ import annotations

from dataclasses import dataclass

from vbwd.domain.enums import BillingPeriod, CatalogKind

MAX_SORT_ORDER = 1_000_000


@dataclass(frozen=True, slots=True)
class CatalogItem:
    id: str
    kind: CatalogKind
    name: str
    description: str | None
    price_minor: int
    currency: str
    is_active: bool
    sort_order: int
    created_at: str
    updated_at: str
    version: int
    # tariff plans
    slug: str | None = None
    billing_period: BillingPeriod | None = None  # plans and add-ons
    trial_days: int = 0
    included_tokens: int = 0
    features: tuple[str, ...] = ()
    # token bundles
    token_amount: int | None = None


def sort_key(sort_order: int, name: str, item_id: str) -> str:
    """Index sort key: ``sort_order`` first, then the name (case-insensitively), then the id."""
    return f"{sort_order:07d}#{name.casefold()}#{item_id}"
