"""Opaque cursors for Query pagination.

A cursor carries only the sort-key values of the last item; the partition values are filled in by the
server from the caller's own query, so a tampered cursor cannot reach another partition.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any, TypeVar

from vbwd.domain.errors import ValidationFailed

T = TypeVar("T")


def encode(last_key: dict[str, Any] | None, fixed: dict[str, str]) -> str | None:
    if not last_key:
        return None
    values = {name: value["S"] for name, value in last_key.items() if name not in fixed}
    raw = json.dumps(values, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, fixed: dict[str, str], names: set[str]) -> dict[str, Any] | None:
    """Rebuild an ExclusiveStartKey. ``names`` are the non-partition key attributes the cursor must hold."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed.field("cursor", "is not a valid cursor") from exc
    if (
        not isinstance(values, dict)
        or set(values) != names
        or not all(isinstance(v, str) and 0 < len(v) <= 1024 for v in values.values())
    ):
        raise ValidationFailed.field("cursor", "is not a valid cursor")
    key = {name: {"S": value} for name, value in values.items()}
    key.update({name: {"S": value} for name, value in fixed.items()})
    return key


def page(results: Iterable[T], limit: int, key_names: list[str], fixed: dict[str, str]) -> tuple[list[T], str | None]:
    """Take ``limit`` items from a query run with ``limit + 1``: a cursor is returned only when another
    item really follows (no empty last page)."""
    items: list[T] = []
    extra = False
    for item in results:
        if len(items) == limit:
            extra = True
            break
        items.append(item)
    if not extra or not items:
        return items, None
    last = items[-1]
    return items, encode({name: {"S": str(getattr(last, name))} for name in key_names}, fixed)
