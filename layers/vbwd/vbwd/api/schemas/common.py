"""Shared schema pieces."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from vbwd.domain.errors import ValidationFailed


class Strict(BaseModel):
    """Request bodies: unknown fields are refused (no mass assignment). Validators are built on first
    use (``defer_build``): a function pays only for the models it uses, not for every model its schema
    module defines."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class View(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class HealthResponse(View):
    status: str
    version: str


def checked_key(key: str | None) -> str | None:
    """An ``Idempotency-Key``: 1-255 printable ASCII characters (a longer one could not be stored)."""
    if key is not None and (not 1 <= len(key) <= 255 or not all(0x21 <= ord(ch) <= 0x7E for ch in key)):
        raise ValidationFailed.field("Idempotency-Key", "must be 1-255 printable ASCII characters")
    return key
