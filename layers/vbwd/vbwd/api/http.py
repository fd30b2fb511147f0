"""What every handler shares: the resolver factory, the Lambda entrypoint, the caller, and responses."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel

from vbwd.api import errors
from vbwd.domain.enums import Role
from vbwd.domain.errors import ValidationFailed
from vbwd.domain.ids import parse_uuid
from vbwd.domain.users import Principal
from vbwd.services import authorization

logger = Logger()
tracer = Tracer()
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")

__all__ = [
    "Query",
    "Response",
    "caller",
    "entrypoint",
    "header",
    "no_content",
    "require",
    "resolver",
    "respond",
    "uuid_param",
]

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def resolver() -> APIGatewayHttpResolver:
    # A response that fails its own schema is our bug: a 500, never a 422 blamed on the client.
    app = APIGatewayHttpResolver(enable_validation=True, response_validation_error_http_code=500)
    errors.install(app)
    return app


def entrypoint(app: APIGatewayHttpResolver) -> Handler:
    """The Lambda handler: structured logs with the request id, a trace segment, flushed metrics."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        refused = errors.unsupported_media_type(
            (event.get("headers") or {}).get("content-type"), bool(event.get("body"))
        )
        return refused if refused is not None else app.resolve(event, context)

    return cast(Handler, handler)


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
