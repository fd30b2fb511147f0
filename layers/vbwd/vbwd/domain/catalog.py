"""The catalog: tariff plans, token bundles and add-ons share one entity with kind-specific fields."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from vbwd.domain.enums import BillingPeriod, CatalogKind

MAX_SORT_ORDER = 1_000_000
SORT_SEPARATOR = "\x01"
MAX_NAME = 255
MAX_DESCRIPTION = 5000
MAX_SLUG = 100
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_TRIAL_DAYS = 365
MAX_FEATURES = 50
MAX_FEATURE = 255
MAX_TOKENS = 1_000_000_000  # a sanity cap on any token amount
ADD_ON_PERIODS = frozenset({BillingPeriod.MONTHLY, BillingPeriod.YEARLY, BillingPeriod.ONE_TIME})
_SORT_NAME_CHARS = 200  # at most 800 UTF-8 bytes: the whole key stays under DynamoDB's 1024-byte limit


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
    """Index sort key: ``sort_order`` first, then the name (case-insensitively), then the id.

    The name part is cut to its first 200 characters so that the key stays within DynamoDB's 1024 bytes
    for a sort key whatever the script (names that agree on 200 characters are then ordered by id).
    The parts are joined with U+0001, below every character a name may hold (names refuse control
    characters), so "Pro" sorts before "Pro Plus"."""
    return f"{sort_order:07d}{SORT_SEPARATOR}{name.casefold()[:_SORT_NAME_CHARS]}{SORT_SEPARATOR}{item_id}"


def slugify(name: str) -> str:
    """A URL slug from a name: ASCII letters and digits joined by single hyphens ("" if none remain)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:MAX_SLUG].rstrip("-")
