"""Shared schema pieces."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Request bodies: unknown fields are refused (no mass assignment)."""

    model_config = ConfigDict(extra="forbid")


class View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(View):
    field: str
    location: str | None = None
    message: str
    type: str


class ErrorInfo(View):
    code: str
    message: str
    details: list[ErrorDetail] | list[dict[str, Any]]


class ErrorBody(View):
    error: ErrorInfo
