"""The one module where domain errors become HTTP statuses.

Every error response has the same shape::

    {"error": {"code": "validation_error", "message": "...", "details": [{"field": ..., "message": ...}]}}

Some errors add top-level fields (a 402 carries ``balance`` and ``required``).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from vbwd.domain import errors as e
from vbwd.observability import logger

STATUS: dict[type[e.DomainError], int] = {
    e.MalformedRequest: 400,
    e.Unauthenticated: 401,
    e.InsufficientTokens: 402,
    e.Forbidden: 403,
    e.NotFound: 404,
    e.Conflict: 409,
    e.TransactionCancelled: 409,
    e.ConditionFailed: 409,
    e.UnsupportedMediaType: 415,
    e.ValidationFailed: 422,
    e.Unavailable: 503,
}


def status_for(error: e.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def body(code: str, message: str, details: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}, **extra}


def json_response(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status, content_types.APPLICATION_JSON, json.dumps(payload, separators=(",", ":")), headers=headers)


def domain_response(error: e.DomainError) -> Response[Any]:
    status = status_for(error)
    headers = {"Retry-After": "1"} if status == 503 else None
    return json_response(status, body(error.code, error.message, error.details, **error.extra), headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> tuple[str, str]:
    parts = list(loc)
    location = str(parts.pop(0)) if parts and parts[0] in {"body", "query", "path", "header"} else "body"
    return location, ".".join(str(p) for p in parts) or location


def validation_details(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic errors without the submitted input (it may be a password) or documentation URLs."""
    details = []
    for item in errors:
        location, field = _field(item.get("loc", ()))
        details.append(
            {
                "field": field,
                "location": location,
                "message": item.get("msg", "is invalid"),
                "type": item.get("type", "value_error"),
            }
        )
    return details


def validation_response(exc: RequestValidationError) -> Response[Any]:
    errors = exc.errors()
    if any(item.get("type") == "json_invalid" for item in errors):
        return json_response(400, body(e.MalformedRequest.code, e.MalformedRequest.default_message))
    return json_response(
        422, body(e.ValidationFailed.code, e.ValidationFailed.default_message, validation_details(list(errors)))
    )


def lambda_response(error: e.DomainError) -> dict[str, Any]:
    """A domain error as a raw Lambda proxy response, for a request refused before the resolver runs."""
    return {
        "statusCode": status_for(error),
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(body(error.code, error.message, error.details, **error.extra), separators=(",", ":")),
        "isBase64Encoded": False,
    }


def install(app: APIGatewayHttpResolver) -> None:
    """Register the error handlers on a resolver. No client mistake ends in a 5xx."""

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[Any]:
        return validation_response(exc)

    @app.exception_handler(RequestUnsupportedContentType)
    def _media_type(_: RequestUnsupportedContentType) -> Response[Any]:
        return domain_response(e.UnsupportedMediaType())

    @app.exception_handler(e.DomainError)
    def _domain(exc: e.DomainError) -> Response[Any]:
        return domain_response(exc)

    @app.not_found
    def _not_found(_: Exception) -> Response[Any]:
        return json_response(404, body("not_found", "No such route."))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return json_response(500, body("internal_error", "An internal error occurred."))
