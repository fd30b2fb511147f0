"""One error shape; domain errors map to statuses in one module; no client mistake is a 5xx."""

from __future__ import annotations

import json

from vbwd.api import errors
from vbwd.domain import errors as e


def test_status_mapping() -> None:
    assert errors.status_for(e.ValidationFailed()) == 422
    assert errors.status_for(e.MalformedRequest()) == 400
    assert errors.status_for(e.Unauthenticated()) == 401
    assert errors.status_for(e.InvalidCredentials()) == 401
    assert errors.status_for(e.Forbidden()) == 403
    assert errors.status_for(e.NotFound()) == 404
    assert errors.status_for(e.Conflict()) == 409
    assert errors.status_for(e.InsufficientTokens(balance=1, required=2)) == 402
    assert errors.status_for(e.Unavailable()) == 503
    assert errors.status_for(e.UnsupportedMediaType()) == 415


def test_error_body_shape_and_extra_fields() -> None:
    response = errors.domain_response(e.InsufficientTokens(balance=3, required=5))
    payload = json.loads(str(response.body))
    assert response.status_code == 402
    assert payload["error"]["code"] == "insufficient_tokens"
    assert payload["balance"] == 3
    assert payload["required"] == 5
    assert set(payload["error"]) == {"code", "message", "details"}


def test_validation_details_never_echo_the_input() -> None:
    details = errors.validation_details(
        [
            {
                "loc": ("body", "password"),
                "msg": "too short",
                "type": "string_too_short",
                "input": "hunter2",
                "url": "https://errors.pydantic.dev",
            }
        ]
    )
    assert details == [{"field": "password", "location": "body", "message": "too short", "type": "string_too_short"}]
    assert "hunter2" not in json.dumps(details)


def test_a_refusal_before_the_resolver_has_the_same_shape() -> None:
    response = errors.lambda_response(e.UnsupportedMediaType())
    assert response["statusCode"] == 415
    assert json.loads(response["body"])["error"]["code"] == "unsupported_media_type"
