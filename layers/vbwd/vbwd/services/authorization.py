"""Who may call which route. Used by the Lambda authorizer (and, as defence in depth, by handlers)."""

from __future__ import annotations

from vbwd.domain.enums import Role
from vbwd.domain.errors import Forbidden, Unauthenticated
from vbwd.domain.users import Principal

# Longest prefix wins. Routes with no authorizer (health, auth, public catalog, webhooks) never get here.
_POLICY: tuple[tuple[str, frozenset[Role]], ...] = (
    ("/api/v1/admin/", frozenset({Role.ADMIN})),
    ("/api/v1/service/", frozenset({Role.SERVICE})),
    ("/api/v1/user/", frozenset({Role.USER, Role.ADMIN})),
)
_DEFAULT = frozenset({Role.USER, Role.ADMIN})


def allowed_roles(path: str) -> frozenset[Role]:
    for prefix, roles in _POLICY:
        if path.startswith(prefix):
            return roles
    return _DEFAULT


def path_of(route_key: str) -> str:
    """``"POST /api/v1/user/checkout"`` -> ``"/api/v1/user/checkout"``."""
    return route_key.split(" ", 1)[-1]


def bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated()
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthenticated("Use an 'Authorization: Bearer <token>' header.")
    return credentials.strip()


def authenticate(authorization: str | None) -> Principal:
    """The caller behind an Authorization header: a user/admin JWT or a service API key."""
    credentials = bearer(authorization)
    from vbwd.services import api_keys

    if credentials.startswith(api_keys.KEY_PREFIX):
        principal = api_keys.principal_for(credentials)
        if principal is None:
            raise Unauthenticated("The API key is invalid or revoked.", code="invalid_api_key")
        return principal
    from vbwd.services import access_tokens

    return access_tokens.verify(credentials)


def require(principal: Principal | None, path: str) -> Principal:
    if principal is None:
        raise Unauthenticated()
    if principal.role not in allowed_roles(path):
        raise Forbidden()
    return principal


def current(principal: Principal) -> Principal:
    """A token outlives a disable or a demotion by up to 15 minutes; the authorizer checks the account
    itself (one GetItem, cached with its decision for 60 s): a disabled account is a 401, an admin token
    of a demoted account a 403 on admin routes."""
    if principal.role is Role.SERVICE:
        return principal  # API keys are checked against their own (revocable) record
    from vbwd.store import users as users_store

    user = users_store.get_user(principal.subject)
    if user is None or not user.is_active:
        raise Unauthenticated("This account is disabled.", code="account_disabled")
    if principal.role is Role.ADMIN and user.role is not Role.ADMIN:
        return Principal(subject=principal.subject, role=user.role)
    return principal


def authorize(authorization: str | None, route_key: str) -> Principal:
    """401 (``Unauthenticated``) for a missing or bad credential or a disabled account; 403
    (``Forbidden``) for a valid one whose role may not use the route."""
    return require(current(authenticate(authorization)), path_of(route_key))
