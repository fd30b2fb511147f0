"""Lambda REQUEST authorizer for the HTTP API (payload 2.0, simple responses).

A missing or bad credential raises ``Unauthorized`` (API Gateway answers 401); a valid credential
whose role may not use the route is ``isAuthorized: false`` (403). The principal reaches handlers in
``requestContext.authorizer.lambda`` as ``user_id`` and ``role``.
"""

from typing import Any

from vbwd import init_finished
from vbwd.domain.errors import Forbidden, Unauthenticated
from vbwd.observability import logger
from vbwd.services import authorization


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = event.get("headers") or {}
    try:
        principal = authorization.authorize(headers.get("authorization"), event.get("routeKey", ""))
    except Unauthenticated:
        raise Exception("Unauthorized") from None  # the exact message API Gateway maps to a 401
    except Forbidden:
        return {"isAuthorized": False}
    return {"isAuthorized": True, "context": {"user_id": principal.subject, "role": principal.role.value}}


init_finished()  # the init is over: see vbwd/__init__.py
