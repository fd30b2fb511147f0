"""What every handler shares: the resolver factory, the Lambda entrypoint, the caller, and responses."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel, ValidationError

from vbwd import init_finished, observability
from vbwd.api import errors
from vbwd.api.bodies import screen
from vbwd.domain.enums import Role
from vbwd.domain.errors import Conflict, DomainError, MalformedRequest, ValidationFailed
from vbwd.domain.ids import parse_uuid
from vbwd.domain.users import Principal
from vbwd.observability import logger
from vbwd.services import authorization

warnings.filterwarnings("ignore", message="No application metrics to publish")

__all__ = [
    "Body",
    "Query",
    "Response",
    "caller",
    "csv",
    "entrypoint",
    "etag",
    "expected_version",
    "header",
    "if_match",
    "no_content",
    "parse",
    "public_cache",
    "raw_body",
    "require",
    "resolver",
    "respond",
    "uuid_param",
]

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def resolver() -> APIGatewayHttpResolver:
    # A response that fails its own schema is our bug: a 500, never a 422 blamed on the client.
    app = APIGatewayHttpResolver(enable_validation=True, response_validation_error_http_code=500)
    errors.install(app)
    return app


def entrypoint(app: APIGatewayHttpResolver, *, metrics: bool = False) -> Handler:
    """The Lambda handler: structured logs with the request id, a trace subsegment when tracing is on,
    and (``metrics=True``, for functions that record business metrics) flushed metrics."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            event = screen(event)
        except DomainError as refused:
            return errors.lambda_response(refused)
        return app.resolve(event, context)

    logged = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)(
        handle
    )
    if metrics:
        logged = observability.metrics().log_metrics(logged)
    chosen: list[Handler] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not chosen:  # decided at the first invocation, not at import
            chosen.append(cast(Handler, observability.traced(logged)))
        return chosen[0](event, context)

    init_finished()  # the function module's last statement builds this: its init is over
    return handler


def caller(app: APIGatewayHttpResolver) -> Principal | None:
    """The principal the Lambda authorizer put in ``requestContext.authorizer.lambda``."""
    context = app.current_event.request_context.authorizer.get_lambda or {}
    subject, role = context.get("user_id"), context.get("role")
    if not subject or role not in Role._value2member_map_:
        return None
    return Principal(subject=str(subject), role=Role(str(role)))


def require(app: APIGatewayHttpResolver) -> Principal:
    """The caller, checked against the route's roles again (defence in depth behind the authorizer)."""
    return authorization.require(caller(app), app.current_event.path)


def raw_body(app: APIGatewayHttpResolver) -> bytes:
    """The request body exactly as sent (base64 bodies decoded), for signatures."""
    return (app.current_event.decoded_body or "").encode() if app.current_event.body else b""


def parse(model: type[M], raw: bytes) -> M:
    """Validate a raw JSON body (for routes that must authenticate before reading it): malformed JSON is
    a 400, a failed validation a 422 with field details, exactly as for declared bodies."""
    try:
        return model.model_validate_json(raw or b"")
    except ValidationError as exc:
        problems = exc.errors()
        if any(problem["type"] == "json_invalid" for problem in problems):
            raise MalformedRequest() from None
        located = [{**problem, "loc": ("body", *problem["loc"])} for problem in problems]
        raise ValidationFailed(details=errors.validation_details(located)) from None


def uuid_param(value: str, name: str = "id") -> str:
    parsed = parse_uuid(value)
    if parsed is None:
        raise ValidationFailed.field(name, "must be a UUID", "uuid_parsing")
    return parsed


def header(app: APIGatewayHttpResolver, name: str) -> str | None:
    value = app.current_event.headers.get(name.lower())
    return value if value else None


def respond(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status, content_types.APPLICATION_JSON, model, headers=headers)


def csv(text: str, filename: str, next_cursor: str | None = None) -> Response[Any]:
    """A CSV attachment; the cursor of the next page, if any, travels in ``X-Next-Cursor``."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if next_cursor:
        headers["X-Next-Cursor"] = next_cursor
    return Response(200, "text/csv; charset=utf-8", text, headers=headers)


def no_content() -> Response[None]:
    return Response(204, None, None)


# --- optimistic concurrency and caching -------------------------------------------------------------
_ENTITY_VERSION = re.compile(r'^(?:W/)?(?:"([0-9]{1,15})"|([0-9]{1,15}))$')


def if_match(app: APIGatewayHttpResolver) -> int | None:
    """The entity version in ``If-Match`` (``"3"``, ``3`` or ``W/"3"``); ``None`` when absent or ``*``."""
    value = header(app, "if-match")
    if value is None or value.strip() == "*":
        return None
    found = _ENTITY_VERSION.match(value.strip())
    version = int(found.group(1) or found.group(2)) if found else 0
    if version < 1:
        raise ValidationFailed(
            details=[
                {
                    "field": "If-Match",
                    "location": "header",
                    "message": 'must be a version such as "3"',
                    "type": "value_error",
                }
            ]
        )
    return version


def expected_version(app: APIGatewayHttpResolver, body_version: int | None) -> int | None:
    """The version the client last saw: the body's ``version`` or ``If-Match``. When both are given and
    differ, one of them is stale: 409 ``version_conflict``."""
    header_version = if_match(app)
    if body_version is not None and header_version is not None and body_version != header_version:
        raise Conflict("The body's version and the If-Match header disagree.", code="version_conflict")
    return body_version if body_version is not None else header_version


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def public_cache(max_age: int = 60) -> dict[str, str]:
    """Responses anyone may cache briefly (public catalog reads)."""
    return {"Cache-Control": f"public, max-age={max_age}"}
