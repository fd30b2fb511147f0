"""Shared schema pieces."""

from __future__ import annotations

import re

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


# An idempotency key: 1-255 printable ASCII characters (a longer one could not be stored in a key).
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


def checked_key(key: str | None) -> str | None:
    """An ``Idempotency-Key`` header, by the same rule as the body's ``idempotency_key`` fields."""
    if key is not None and re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key) is None:
        raise ValidationFailed.field("Idempotency-Key", "must be 1-255 printable ASCII characters")
    return key
