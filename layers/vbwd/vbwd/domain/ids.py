"""Identifiers. Entity ids are UUIDv7 (RFC 9562): unique, and sortable by creation time, so a DynamoDB
sort key on an id is also a sort by age."""

from __future__ import annotations

import os
import time
import uuid

_MAX_RANDOM = (1 << 74) - 1


def _uuid7_from(ms: int, rand: int) -> uuid.UUID:
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a (12 bits)
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b (62 bits)
    return uuid.UUID(int=value)


def new_id() -> str:
    return str(_uuid7_from(time.time_ns() // 1_000_000, int.from_bytes(os.urandom(10), "big") >> 6))


_MAX_MS = (1 << 48) - 1  # UUIDv7 holds 48 bits of milliseconds: 1970 to the year 10889


def lowest_id_at(epoch_ms: int) -> str:
    """The smallest UUIDv7 of a millisecond: a range bound for "created at or after" (clamped to what a
    UUIDv7 can hold, so dates before 1970 mean "from the beginning")."""
    return str(_uuid7_from(min(max(epoch_ms, 0), _MAX_MS), 0))


def highest_id_at(epoch_ms: int) -> str:
    """The largest UUIDv7 of a millisecond: a range bound for "created at or before" (clamped)."""
    return str(_uuid7_from(min(max(epoch_ms, 0), _MAX_MS), _MAX_RANDOM))


def parse_uuid(value: str) -> str | None:
    """The canonical form of a UUID string, or None when it is not one."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None
