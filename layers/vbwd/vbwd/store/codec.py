"""Decoding of raw DynamoDB attribute values (as returned in cancellation reasons) to plain Python."""

from __future__ import annotations

from typing import Any


def decode_value(value: dict[str, Any]) -> Any:
    ((tag, raw),) = value.items()
    if tag == "S":
        return raw
    if tag == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if tag == "BOOL":
        return bool(raw)
    if tag == "NULL":
        return None
    if tag == "M":
        return {k: decode_value(v) for k, v in raw.items()}
    if tag == "L":
        return [decode_value(v) for v in raw]
    if tag == "SS":
        return set(raw)
    if tag == "NS":
        return {int(n) if n.lstrip("-").isdigit() else float(n) for n in raw}
    return raw  # B / BS: bytes as returned


def decode_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {name: decode_value(value) for name, value in item.items()}
