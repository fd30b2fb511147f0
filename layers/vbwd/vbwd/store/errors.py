"""The one module where storage errors (pynamodb, botocore) become domain errors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DoesNotExist, PynamoDBException

from vbwd.domain.errors import CancelReason, ConditionFailed, TransactionCancelled, Unavailable, ValidationFailed
from vbwd.store.codec import decode_item

_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
    "TransactionConflictException",
}


class StorageFailure(RuntimeError):
    """A storage error that is a defect or a misconfiguration, not a business outcome (HTTP 500)."""


def _code(exc: BaseException) -> str | None:
    if isinstance(exc, PynamoDBException):
        return exc.cause_response_code
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code"))
    return None


def _raw_item(exc: BaseException) -> dict[str, Any] | None:
    cause = exc.cause if isinstance(exc, PynamoDBException) else exc
    response = getattr(cause, "response", None) or {}
    item = response.get("Item")
    return decode_item(item) if isinstance(item, dict) else None


# The reasons a business rule or a race can cancel a transaction; any other reason (ValidationError,
# ItemCollectionSizeLimitExceeded, ...) is a defect, not a conflict to report or retry.
_EXPECTED_REASONS = {"ConditionalCheckFailed", "TransactionConflict", "ThrottlingError"}


def cancellation(exc: ClientError, labels: Sequence[str]) -> TransactionCancelled:
    """Reasons by label: DynamoDB reports one per item, in the order the items were sent."""
    reasons: dict[str, CancelReason] = {}
    for label, reason in zip(labels, exc.response.get("CancellationReasons") or [], strict=False):
        if reason.get("Code") not in (None, "None"):
            reasons[label] = CancelReason(code=reason["Code"], item=decode_item(reason.get("Item")))
    unexpected = {label: r.code for label, r in reasons.items() if r.code not in _EXPECTED_REASONS}
    if unexpected:
        raise StorageFailure(f"transaction refused: {unexpected}") from exc
    return TransactionCancelled(reasons)


def _bad_start_key(exc: BaseException) -> bool:
    """DynamoDB refusing an ExclusiveStartKey: a cursor from another query, or a tampered one."""
    cause = exc.cause if isinstance(exc, PynamoDBException) else exc
    message = str(getattr(cause, "response", {}).get("Error", {}).get("Message", "")).lower()
    return "start" in message and "key" in message


@contextmanager
def translated(labels: Sequence[str] = (), *, cursor: bool = False) -> Iterator[None]:
    """Run a storage call; re-raise its failure as a domain error.

    * a cancelled transaction -> :class:`TransactionCancelled` (reasons by label, in ``labels`` order)
    * with ``cursor`` (a query starting from a client's cursor), DynamoDB refusing the start key -> a 422
      on ``cursor``; anywhere else such a validation error is our defect
    * a failed single-item condition -> :class:`ConditionFailed` (with the stored item if returned)
    * throttling, timeouts, transient service errors -> :class:`Unavailable`
    * anything else -> :class:`StorageFailure`
    """
    try:
        yield
    except DoesNotExist:
        raise  # callers turn a missing item into their own answer
    except (PynamoDBException, ClientError) as exc:
        code = _code(exc)
        if code == "TransactionCanceledException" and isinstance(exc, ClientError):
            raise cancellation(exc, labels) from exc
        if cursor and code == "ValidationException" and _bad_start_key(exc):
            raise ValidationFailed.field("cursor", "does not belong to this query") from exc
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed(_raw_item(exc)) from exc
        if code in _TRANSIENT:
            raise Unavailable() from exc
        raise StorageFailure(f"storage call failed: {code}: {exc}") from exc
    except BotoCoreError as exc:  # connection errors, timeouts
        raise Unavailable() from exc
