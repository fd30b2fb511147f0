"""Shared schema pieces."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

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


def _without(control: str, message: str) -> BeforeValidator:
    """Checked on the value as sent, before any stripping: a control character at the edge of a name is
    refused, not silently trimmed."""
    found = re.compile(control).search

    def check(value: Any) -> Any:
        if isinstance(value, str) and found(value):
            raise ValueError(message)
        return value

    return BeforeValidator(check)


# Characters that change how text displays without showing: zero-width space, direction marks and
# overrides, word joiners, the byte-order mark ("adm\u200bin" must not pass for "admin"). Joiners that
# scripts and emoji need (U+200C, U+200D) stay allowed.
_INVISIBLE = "\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
# Text people read. A line has no control characters (C0, DEL, C1), line or paragraph separators, or
# invisible formatting; prose may also hold tabs and line breaks.
LINE_CHARS = _without(
    f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{_INVISIBLE}]", "must not contain control or invisible characters"
)
PROSE_CHARS = _without(
    f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{_INVISIBLE}]", "must not contain control or invisible characters"
)
Line = Annotated[str, LINE_CHARS]
Prose = Annotated[str, PROSE_CHARS]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NOT_BLANK = AfterValidator(_not_blank)


# An idempotency key: 1-255 printable ASCII characters (a longer one could not be stored in a key).
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


def checked_key(key: str | None) -> str | None:
    """An ``Idempotency-Key`` header, by the same rule as the body's ``idempotency_key`` fields."""
    if key is not None and re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key) is None:
        raise ValidationFailed.field("Idempotency-Key", "must be 1-255 printable ASCII characters")
    return key
