"""Domain errors. The HTTP status of each one is decided in exactly one place: ``vbwd.api.errors``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class DomainError(Exception):
    """Base class. ``code`` is a stable machine-readable string; ``details`` a JSON-able list."""

    code = "error"
    default_message = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        self.details = details or []
        self.extra = extra  # additional top-level response fields (e.g. balance, required)
        super().__init__(self.message)


class MalformedRequest(DomainError):
    code = "malformed_request"
    default_message = "The request body is not valid JSON."


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    default_message = "Send the body as UTF-8 application/json."


class ValidationFailed(DomainError):
    code = "validation_error"
    default_message = "The request failed validation."

    @classmethod
    def field(cls, field: str, message: str, type_: str = "value_error") -> ValidationFailed:
        return cls(details=[{"field": field, "message": message, "type": type_}])


class Unauthenticated(DomainError):
    code = "unauthorized"
    default_message = "Authentication is required."


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    default_message = "Invalid email or password."


class Forbidden(DomainError):
    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    code = "not_found"
    default_message = "The resource was not found."


class Conflict(DomainError):
    code = "conflict"
    default_message = "The request conflicts with the current state."


class InsufficientTokens(DomainError):
    code = "insufficient_tokens"
    default_message = "The token balance is too low for this request."

    def __init__(self, *, balance: int, required: int) -> None:
        super().__init__(balance=balance, required=required)
        self.balance = balance
        self.required = required


class Unavailable(DomainError):
    """A transient failure (throttling, contention that did not settle, a dependency timing out)."""

    code = "unavailable"
    default_message = "The service is busy; retry the request."


@dataclass(frozen=True, slots=True)
class CancelReason:
    """Why one item of a cancelled transaction failed. ``item`` is the stored item (plain Python values)
    when the write asked for it on condition failure."""

    code: str
    item: dict[str, Any] | None = None

    @property
    def condition_failed(self) -> bool:
        return self.code == "ConditionalCheckFailed"

    @property
    def conflict(self) -> bool:
        return self.code == "TransactionConflict"


class TransactionCancelled(DomainError):
    """A multi-item write was cancelled and nothing was written. ``reasons`` maps each failed
    item's label to its reason; items whose condition held are absent."""

    code = "conflict"
    default_message = "The request conflicts with a concurrent change; nothing was written."

    def __init__(self, reasons: dict[str, CancelReason]) -> None:
        super().__init__()
        self.reasons = reasons

    def failed(self, label: str) -> CancelReason | None:
        reason = self.reasons.get(label)
        return reason if reason is not None and reason.condition_failed else None

    @property
    def only_conflicts(self) -> bool:
        """True when the cancellation was contention, not a failed condition: safe to retry as is."""
        return bool(self.reasons) and all(
            r.code in {"TransactionConflict", "ThrottlingError"} for r in self.reasons.values()
        )


class ConditionFailed(DomainError):
    """A single-item conditional write failed. ``item`` is the stored item when it was returned."""

    code = "conflict"

    def __init__(self, item: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.item = item
