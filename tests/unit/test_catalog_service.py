"""The catalog service's rules, against an in-memory catalog store."""

from __future__ import annotations

import dataclasses
import threading
from decimal import Decimal
from typing import Any

import pytest

from vbwd.domain.catalog import CatalogItem, sort_key
from vbwd.domain.enums import BillingPeriod, CatalogKind
from vbwd.domain.errors import ConditionFailed, Conflict, NotFound, Unavailable, ValidationFailed
from vbwd.services import catalog, retry

PLAN, BUNDLE, ADD_ON = CatalogKind.TARIFF_PLAN, CatalogKind.TOKEN_BUNDLE, CatalogKind.ADD_ON


class FakeCatalogStore:
    """Same functions and error behaviour as ``vbwd.store.catalog``; ``lose_races`` makes the next
    conditional writes fail as if someone else had written first."""

    def __init__(self) -> None:
        self.items: dict[str, CatalogItem] = {}
        self.slugs: dict[str, str] = {}
        self.seeds: set[str] = set()
        self.referenced: set[str] = set()
        self.lose_races = 0
        self.writes = 0
        self._lock = threading.Lock()

    def create(self, item: CatalogItem) -> None:
        with self._lock:
            if item.slug and item.slug in self.slugs:
                raise Conflict("taken", code="slug_taken")
            self.items[item.id] = item
            if item.slug:
                self.slugs[item.slug] = item.id

    def get(self, item_id: str) -> CatalogItem | None:
        return self.items.get(item_id)

    def list_kind(self, kind: CatalogKind, *, active_only: bool) -> list[CatalogItem]:
        found = [i for i in self.items.values() if i.kind is kind and (i.is_active or not active_only)]
        return sorted(found, key=lambda i: sort_key(i.sort_order, i.name, i.id))

    def replace(self, old: CatalogItem, new: CatalogItem) -> None:
        with self._lock:
            if self.lose_races:
                self.lose_races -= 1
                self.items[old.id] = _bump(self.items[old.id])  # someone else's write
                raise ConditionFailed()
            if self.items.get(old.id) is None or self.items[old.id].version != old.version:
                raise ConditionFailed()
            if new.slug != old.slug and new.slug in self.slugs:
                raise Conflict("taken", code="slug_taken")
            if old.slug != new.slug:
                self.slugs.pop(old.slug or "", None)
                if new.slug:
                    self.slugs[new.slug] = new.id
            self.items[old.id] = new
            self.writes += 1

    def delete(self, item: CatalogItem) -> None:
        with self._lock:
            if self.items.get(item.id) is None or self.items[item.id].version != item.version:
                raise ConditionFailed()
            del self.items[item.id]
            self.slugs.pop(item.slug or "", None)

    def slug_owner(self, slug: str) -> str | None:
        return self.slugs.get(slug)

    def seed(self, name: str, items: list[CatalogItem], created_at: str) -> bool:
        if name in self.seeds:
            return False
        if any(i.slug in self.slugs for i in items if i.slug):
            raise Conflict("taken", code="slug_taken")
        self.seeds.add(name)
        for item in items:
            self.create(item)
        return True

    def is_referenced(self, catalog_item_id: str) -> bool:
        return catalog_item_id in self.referenced


def _bump(item: CatalogItem) -> CatalogItem:
    return dataclasses.replace(item, version=item.version + 1, description=f"changed by someone at {item.version}")


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FakeCatalogStore:
    fake = FakeCatalogStore()
    monkeypatch.setattr(catalog, "store", fake)
    monkeypatch.setattr(catalog, "billing_refs", fake)
    monkeypatch.setattr(retry, "backoff", lambda attempt, **kw: None)
    return fake


def _bundle(**fields: Any) -> CatalogItem:
    return catalog.create(BUNDLE, **{"name": "1000 Tokens", "price": Decimal("5.00"), "token_amount": 1000, **fields})


def _plan(**fields: Any) -> CatalogItem:
    return catalog.create(PLAN, **{"name": "Pro Plan", "price": Decimal("29"), "billing_period": "monthly", **fields})


def test_create_prices_in_minor_units_of_the_default_currency(store: FakeCatalogStore) -> None:
    bundle = _bundle()
    assert (bundle.price_minor, bundle.currency, bundle.version, bundle.is_active) == (500, "USD", 1, True)
    assert bundle.slug is None and bundle.billing_period is None and bundle.features == ()
    assert store.items[bundle.id] == bundle


def test_plan_slug_is_derived_and_unique(store: FakeCatalogStore) -> None:
    plan = _plan()
    assert plan.slug == "pro-plan" and plan.billing_period is BillingPeriod.MONTHLY
    with pytest.raises(Conflict) as taken:
        _plan()
    assert taken.value.code == "slug_taken"
    with pytest.raises(ValidationFailed) as underivable:
        _plan(name="日本")
    assert underivable.value.details[0]["field"] == "slug"


def test_service_rechecks_the_invariants(store: FakeCatalogStore) -> None:
    with pytest.raises(ValidationFailed):
        _bundle(token_amount=0)
    with pytest.raises(ValidationFailed):
        catalog.create(ADD_ON, name="Support", price=Decimal(5), billing_period="weekly")
    with pytest.raises(ValidationFailed):
        catalog.create(PLAN, name="No period", price=Decimal(5))
    with pytest.raises(ValidationFailed) as cents:
        _bundle(price=Decimal("5.001"))
    assert cents.value.details[0]["field"] == "price"
    assert store.items == {}


def test_update_applies_a_partial_change_and_bumps_the_version(store: FakeCatalogStore) -> None:
    bundle = _bundle(description="old")
    updated = catalog.update(BUNDLE, bundle.id, {"price": Decimal("4.5"), "description": None})
    assert (updated.price_minor, updated.description, updated.version) == (450, None, 2)
    assert (updated.name, updated.token_amount, updated.created_at) == (bundle.name, 1000, bundle.created_at)
    assert store.items[bundle.id] == updated


def test_update_refuses_fields_of_another_kind_and_empty_changes(store: FakeCatalogStore) -> None:
    bundle = _bundle()
    with pytest.raises(ValidationFailed):
        catalog.update(BUNDLE, bundle.id, {"slug": "x"})
    with pytest.raises(ValidationFailed):
        catalog.update(BUNDLE, bundle.id, {})
    assert store.items[bundle.id] == bundle


def test_a_stale_version_is_a_conflict_and_writes_nothing(store: FakeCatalogStore) -> None:
    bundle = _bundle()
    catalog.update(BUNDLE, bundle.id, {"name": "First"}, expected_version=1)
    with pytest.raises(Conflict) as stale:
        catalog.update(BUNDLE, bundle.id, {"name": "Lost"}, expected_version=1)
    assert stale.value.code == "version_conflict"
    assert store.items[bundle.id].name == "First"


def test_a_race_lost_with_a_version_is_a_conflict(store: FakeCatalogStore) -> None:
    bundle = _bundle()
    store.lose_races = 1
    with pytest.raises(Conflict) as stale:
        catalog.update(BUNDLE, bundle.id, {"name": "Mine"}, expected_version=1)
    assert stale.value.code == "version_conflict"
    assert store.items[bundle.id].name == bundle.name


def test_a_race_lost_without_a_version_is_retried_on_the_latest_state(store: FakeCatalogStore) -> None:
    bundle = _bundle()
    store.lose_races = 3
    updated = catalog.update(BUNDLE, bundle.id, {"name": "Mine"})
    assert updated.name == "Mine" and updated.version == 5  # three foreign writes, then ours
    assert updated.description == "changed by someone at 3"  # their change survived ours


def test_endless_contention_gives_up_with_a_retryable_error(store: FakeCatalogStore) -> None:
    bundle = _bundle()
    store.lose_races = catalog.MAX_ATTEMPTS
    with pytest.raises(Unavailable):
        catalog.update(BUNDLE, bundle.id, {"name": "Mine"})


def test_set_active_writes_only_a_change(store: FakeCatalogStore) -> None:
    bundle = _bundle()
    assert catalog.set_active(BUNDLE, bundle.id, True) == bundle and store.writes == 0
    off = catalog.set_active(BUNDLE, bundle.id, False, expected_version=1)
    assert off.is_active is False and off.version == 2 and store.writes == 1
    with pytest.raises(Conflict):
        catalog.set_active(BUNDLE, bundle.id, True, expected_version=1)


def test_kinds_do_not_mix(store: FakeCatalogStore) -> None:
    plan = _plan()
    with pytest.raises(NotFound):
        catalog.get(BUNDLE, plan.id)
    with pytest.raises(NotFound):
        catalog.update(ADD_ON, plan.id, {"name": "x"})
    with pytest.raises(NotFound):
        catalog.delete(BUNDLE, plan.id)
    assert catalog.get(PLAN, plan.id) == plan


def test_public_reads_hide_inactive_items(store: FakeCatalogStore) -> None:
    shown, hidden = _bundle(name="Shown"), _bundle(name="Hidden", is_active=False)
    assert catalog.list_public(BUNDLE) == [shown]
    assert catalog.get_public(BUNDLE, shown.id) == shown
    with pytest.raises(NotFound):
        catalog.get_public(BUNDLE, hidden.id)


def test_admin_pages(store: FakeCatalogStore) -> None:
    assert catalog.list_admin(BUNDLE, 1, 20, True).pages == 0
    items = [_bundle(name=f"B{index}", sort_order=9 - index) for index in range(5)]
    page = catalog.list_admin(BUNDLE, 2, 2, True)
    assert (page.total, page.pages) == (5, 3)
    assert page.items == [items[2], items[1]]  # sort_order ascending
    assert catalog.list_admin(BUNDLE, 3, 2, True).items == [items[0]]


def test_delete_refuses_a_referenced_item(store: FakeCatalogStore) -> None:
    sold, unsold = _plan(), _bundle()
    store.referenced.add(sold.id)
    with pytest.raises(Conflict) as in_use:
        catalog.delete(PLAN, sold.id)
    assert in_use.value.code == "in_use" and "deactivate it instead" in in_use.value.message
    assert sold.id in store.items and store.slugs["pro-plan"] == sold.id
    catalog.delete(BUNDLE, unsold.id)
    assert unsold.id not in store.items
    with pytest.raises(NotFound):
        catalog.delete(BUNDLE, unsold.id)


def test_currency_change_keeps_the_amount(store: FakeCatalogStore) -> None:
    plan = _plan(price=Decimal("5.50"), currency="EUR")
    moved = catalog.update(PLAN, plan.id, {"currency": "KWD"})
    assert (moved.price_minor, moved.currency) == (5500, "KWD")
    with pytest.raises(ValidationFailed):
        catalog.update(PLAN, plan.id, {"currency": "JPY"})


def test_seed_demo_runs_once(store: FakeCatalogStore) -> None:
    assert catalog.seed_demo() is True
    assert catalog.seed_demo() is False
    kinds = [item.kind for item in store.items.values()]
    assert (kinds.count(PLAN), kinds.count(BUNDLE), kinds.count(ADD_ON)) == (2, 2, 1)
    bundles = catalog.list_public(BUNDLE)
    assert [(b.name, b.token_amount, b.price_minor) for b in bundles] == [
        ("1000 Tokens", 1000, 500),
        ("10000 Tokens", 10000, 5000),
    ]
