"""The catalog table: tariff plans, token bundles and add-ons, their slug guards and seed markers.

Items (hash key ``pk`` only):

* an entity: ``pk = <id>`` with ``kind``, ``sort_key`` (sort order, name, id) and ``active_kind`` (= kind while
  active, absent while inactive: the sparse index of what the public sees);
* a slug guard: ``pk = SLUG#<slug>`` with ``item_id``, written and deleted in the same transaction as its plan;
* a seed marker: ``pk = SEED#<name>``, written once, in the same transaction as what it seeds.

The checkout reads items with :func:`get` and :func:`get_many`; both return domain objects.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from vbwd.domain.catalog import CatalogItem, sort_key
from vbwd.domain.enums import BillingPeriod, CatalogKind
from vbwd.domain.errors import ConditionFailed, Conflict, TransactionCancelled
from vbwd.store.base import TableModel
from vbwd.store.errors import translated
from vbwd.store.tx import MAX_ITEMS, Transaction, batch_get

MAX_BATCH = 100  # BatchGetItem's limit per request

# Attributes derived from a CatalogItem (besides pk). Kind-specific ones are None (absent) on other kinds.
_MUTABLE_ATTRIBUTES = (
    "name",
    "description",
    "price_minor",
    "currency",
    "is_active",
    "sort_order",
    "updated_at",
    "version",
    "slug",
    "billing_period",
    "trial_days",
    "included_tokens",
    "features",
    "token_amount",
    "sort_key",
    "active_kind",
)


class ByKindIndex(GlobalSecondaryIndex["CatalogRecord"]):
    """Every item of a kind, in display order (admin lists that include inactive items)."""

    class Meta:
        index_name = "by_kind"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class ActiveByKindIndex(GlobalSecondaryIndex["CatalogRecord"]):
    """Sparse: only active items of a kind, in display order (public lists, admin lists of active items)."""

    class Meta:
        index_name = "active_by_kind"
        projection = AllProjection()

    active_kind = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class CatalogRecord(TableModel):
    table_setting = "catalog_table"

    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)  # <id>
    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    price_minor = NumberAttribute()
    currency = UnicodeAttribute()
    is_active = BooleanAttribute()
    sort_order = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute()  # optimistic concurrency: every write is conditioned on it
    slug = UnicodeAttribute(null=True)  # plans
    billing_period = UnicodeAttribute(null=True)  # plans and add-ons
    trial_days = NumberAttribute(null=True)  # plans
    included_tokens = NumberAttribute(null=True)  # plans
    features = ListAttribute(of=UnicodeAttribute, null=True)  # plans; absent when empty
    token_amount = NumberAttribute(null=True)  # bundles
    sort_key = UnicodeAttribute()
    active_kind = UnicodeAttribute(null=True)  # = kind while active; absent while inactive
    by_kind = ByKindIndex()
    active_by_kind = ActiveByKindIndex()


class SlugRecord(TableModel):
    """Uniqueness guard of a plan's slug."""

    table_setting = "catalog_table"

    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)  # SLUG#<slug>
    item_id = UnicodeAttribute()


class SeedRecord(TableModel):
    """Marks a seed as applied, so that it is applied once (even if its items are deleted later)."""

    table_setting = "catalog_table"

    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)  # SEED#<name>
    created_at = UnicodeAttribute()


def _slug_key(slug: str) -> str:
    return f"SLUG#{slug}"


def to_domain(record: CatalogRecord) -> CatalogItem:
    return CatalogItem(
        id=record.id,
        kind=CatalogKind(record.kind),
        name=record.name,
        description=record.description,
        price_minor=int(record.price_minor),
        currency=record.currency,
        is_active=bool(record.is_active),
        sort_order=int(record.sort_order),
        created_at=record.created_at,
        updated_at=record.updated_at,
        version=int(record.version),
        slug=record.slug,
        billing_period=BillingPeriod(record.billing_period) if record.billing_period else None,
        trial_days=int(record.trial_days or 0),
        included_tokens=int(record.included_tokens or 0),
        features=tuple(str(feature) for feature in record.features or ()),
        token_amount=int(record.token_amount) if record.token_amount is not None else None,
    )


def _attributes(item: CatalogItem) -> dict[str, Any]:
    plan = item.kind is CatalogKind.TARIFF_PLAN
    return {
        "name": item.name,
        "description": item.description,
        "price_minor": item.price_minor,
        "currency": item.currency,
        "is_active": item.is_active,
        "sort_order": item.sort_order,
        "updated_at": item.updated_at,
        "version": item.version,
        "slug": item.slug if plan else None,
        "billing_period": item.billing_period.value if item.billing_period is not None else None,
        "trial_days": item.trial_days if plan else None,
        "included_tokens": item.included_tokens if plan else None,
        "features": list(item.features) if plan and item.features else None,
        "token_amount": item.token_amount if item.kind is CatalogKind.TOKEN_BUNDLE else None,
        "sort_key": sort_key(item.sort_order, item.name, item.id),
        "active_kind": item.kind.value if item.is_active else None,
    }


def _record(item: CatalogItem) -> CatalogRecord:
    values = {name: value for name, value in _attributes(item).items() if value is not None}
    return CatalogRecord(item.id, id=item.id, kind=item.kind.value, created_at=item.created_at, **values)


def _changes(old: CatalogItem, new: CatalogItem) -> list[Action]:
    """SET what changed, REMOVE what became absent (``active_kind`` on deactivation leaves the sparse index)."""
    before, after = _attributes(old), _attributes(new)
    actions: list[Action] = []
    for name in _MUTABLE_ATTRIBUTES:
        if after[name] == before[name]:
            continue
        attribute = getattr(CatalogRecord, name)
        actions.append(attribute.remove() if after[name] is None else attribute.set(after[name]))
    return actions


def _add_create(tx: Transaction, item: CatalogItem, label: str) -> None:
    tx.put(label, _record(item), CatalogRecord.pk.does_not_exist())
    if item.slug and item.kind is CatalogKind.TARIFF_PLAN:
        tx.put(
            f"slug:{item.slug}",
            SlugRecord(_slug_key(item.slug), item_id=item.id),
            SlugRecord.pk.does_not_exist(),
        )


def _raise_slug_conflict(exc: TransactionCancelled) -> None:
    """Raise ``slug_taken`` if a slug guard's condition is what cancelled the transaction."""
    for label in exc.reasons:
        if label.startswith("slug:") and exc.failed(label):
            raise Conflict(f"The slug {label[5:]!r} is already taken.", code="slug_taken") from exc


def create(item: CatalogItem) -> None:
    """Write a new item (and a plan's slug guard, in one transaction). A taken slug is ``slug_taken``."""
    if item.kind is not CatalogKind.TARIFF_PLAN or not item.slug:
        with translated():
            _record(item).save(condition=CatalogRecord.pk.does_not_exist())
        return
    tx = Transaction()
    _add_create(tx, item, "item")
    try:
        tx.commit()
    except TransactionCancelled as exc:
        _raise_slug_conflict(exc)
        raise


def get(item_id: str) -> CatalogItem | None:
    try:
        with translated():
            record = CatalogRecord.get(item_id, consistent_read=True)
    except DoesNotExist:
        return None
    return to_domain(record) if record.kind else None


def get_many(ids: list[str]) -> dict[str, CatalogItem]:
    """Items by id with one ``BatchGetItem`` (eventually consistent); unknown ids are absent."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} catalog items at once, not {len(wanted)}")
    found = batch_get([(CatalogRecord, item_id, None) for item_id in wanted])
    return {
        record.id: to_domain(record)
        for record in found
        if isinstance(record, CatalogRecord) and getattr(record, "kind", None)
    }


def list_kind(kind: CatalogKind, *, active_only: bool) -> list[CatalogItem]:
    """Every item of a kind in display order: one Query on an index, following its pages (the catalog is
    small and admin-curated; see docs/data-model.md for the bound)."""
    index = CatalogRecord.active_by_kind if active_only else CatalogRecord.by_kind
    with translated():
        return [to_domain(record) for record in index.query(kind.value)]


def replace(old: CatalogItem, new: CatalogItem) -> None:
    """Write ``new`` over ``old`` with one conditional UpdateItem (only what changed, the version bumped),
    only if the stored version is still ``old.version``. A slug change moves the slug guard in the same
    transaction. Raises ``ConditionFailed`` when the item changed or vanished meanwhile, ``slug_taken``."""
    actions = _changes(old, new)
    condition = (CatalogRecord.version == old.version) & (CatalogRecord.kind == old.kind.value)
    record = CatalogRecord(old.id)
    if old.slug == new.slug:
        with translated():
            record.update(actions=actions, condition=condition)
        return
    tx = Transaction()
    tx.update("item", record, actions, condition)
    if old.slug:
        tx.delete(
            "old_slug",
            SlugRecord(_slug_key(old.slug)),
            (SlugRecord.item_id == old.id) | SlugRecord.pk.does_not_exist(),
        )
    if new.slug:
        tx.put(f"slug:{new.slug}", SlugRecord(_slug_key(new.slug), item_id=new.id), SlugRecord.pk.does_not_exist())
    try:
        tx.commit()
    except TransactionCancelled as exc:
        if exc.failed("item") or exc.failed("old_slug") or exc.only_conflicts:
            raise ConditionFailed() from exc
        _raise_slug_conflict(exc)
        raise


def delete(item: CatalogItem) -> None:
    """Delete an item (and its slug guard) if it is still at ``item.version``; else ``ConditionFailed``."""
    condition = CatalogRecord.version == item.version
    if not item.slug:
        with translated():
            CatalogRecord(item.id).delete(condition=condition)
        return
    tx = Transaction()
    tx.delete("item", CatalogRecord(item.id), condition)
    tx.delete(
        "slug", SlugRecord(_slug_key(item.slug)), (SlugRecord.item_id == item.id) | SlugRecord.pk.does_not_exist()
    )
    try:
        tx.commit()
    except TransactionCancelled as exc:
        raise ConditionFailed() from exc


def slug_owner(slug: str) -> str | None:
    try:
        with translated():
            return SlugRecord.get(_slug_key(slug), consistent_read=True).item_id
    except DoesNotExist:
        return None


def seed(name: str, items: list[CatalogItem], created_at: str) -> bool:
    """Write the seed marker and every item in ONE transaction: all or nothing, and only once. Returns
    False when the marker exists (seeded before); a taken slug is ``slug_taken``."""
    if 2 * len(items) + 1 > MAX_ITEMS:
        raise ValueError("too many items for one seed transaction")
    tx = Transaction()
    tx.put("marker", SeedRecord(f"SEED#{name}", created_at=created_at), SeedRecord.pk.does_not_exist())
    for index, item in enumerate(items):
        _add_create(tx, item, f"item:{index}")
    try:
        tx.commit()
    except TransactionCancelled as exc:
        if exc.failed("marker"):
            return False
        _raise_slug_conflict(exc)
        raise
    return True
