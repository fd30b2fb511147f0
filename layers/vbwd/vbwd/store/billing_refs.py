"""Read-only view of the billing table for the catalog's delete guard.

Subscriptions, token-bundle purchases and add-on subscriptions carry ``catalog_item_id``; the billing
table's sparse KEYS_ONLY index ``by_catalog_item`` holds exactly those items, so "is this catalog item
referenced?" is one Query with ``Limit=1``. This module never writes.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from vbwd.store.base import TableModel
from vbwd.store.errors import translated


class ByCatalogItemIndex(GlobalSecondaryIndex["BillingRefRecord"]):
    class Meta:
        index_name = "by_catalog_item"
        projection = KeysOnlyProjection()

    catalog_item_id = UnicodeAttribute(hash_key=True)


class BillingRefRecord(TableModel):
    """Only the keys of a billing item that references a catalog item."""

    table_setting = "billing_table"

    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    catalog_item_id = UnicodeAttribute(null=True)
    by_catalog_item = ByCatalogItemIndex()


def is_referenced(catalog_item_id: str) -> bool:
    """True if any purchase, subscription or invoice line references the catalog item."""
    with translated():
        return any(True for _ in BillingRefRecord.by_catalog_item.query(catalog_item_id, limit=1))
