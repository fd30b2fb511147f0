"""Every body is a UTF-8 JSON object before any route reads it; anything else is a 4xx, never a 5xx."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from pydantic import BaseModel

from local.runner import LambdaContext
from vbwd.api import bodies, http
from vbwd.domain.errors import MalformedRequest

app = http.resolver()


class Item(BaseModel):
    name: str


@app.post("/items")
def create(item: Item) -> dict[str, str]:
    return {"name": item.name}


@app.post("/items/touch")
def touch() -> dict[str, str]:  # a route without a body
    return {"status": "ok"}


handler = http.entrypoint(app)


def call(body: str | bytes | None, content_type: str | None = "application/json", path: str = "/items") -> Any:
    headers = {"content-type": content_type} if content_type else {}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {"http": {"method": "POST", "path": path}, "requestId": "r", "stage": "$default"},
        "isBase64Encoded": isinstance(body, bytes),
    }
    if body is not None:
        event["body"] = base64.b64encode(body).decode() if isinstance(body, bytes) else body
    response = handler(event, LambdaContext(function_name="screen-test"))
    return response["statusCode"], json.loads(response["body"])


def test_a_json_object_reaches_the_route() -> None:
    assert call('{"name": "a"}') == (200, {"name": "a"})
    assert call(b'{"name": "\xc3\xa9"}') == (200, {"name": "é"})  # base64, as API Gateway sends binary types


@pytest.mark.parametrize(
    "content_type", ["application/JSON", "Application/Json; charset=UTF-8", "application/vnd.api+json", None]
)
def test_json_media_types_in_any_spelling_are_json(content_type: str | None) -> None:
    assert call('{"name": "a"}', content_type) == (200, {"name": "a"})


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "application/json; charset=latin-1"]
)
def test_other_media_types_and_charsets_are_415(content_type: str) -> None:
    status, payload = call('{"name": "a"}', content_type)
    assert (status, payload["error"]["code"]) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    "body",
    [
        "{",
        '{"name": NaN}',
        '{"name": Infinity}',
        '{"name": 1e400}',
        "[" * 5000 + "]" * 5000,
        '{"a":' * 3000 + "1" + "}" * 3000,
        '{"name": 1' + "0" * 5000 + "}",
        b'{"name": "\xff\xfe"}',
        "not json",
    ],
)
def test_what_is_not_strict_utf8_json_is_400(body: str | bytes) -> None:
    status, payload = call(body)
    assert (status, payload["error"]["code"]) == (400, "malformed_request")


def test_a_body_flagged_base64_that_is_not_base64_is_400() -> None:
    event = {"headers": {}, "body": "{}!", "isBase64Encoded": True}
    with pytest.raises(MalformedRequest):
        bodies.screen(event)


@pytest.mark.parametrize("body", ['[{"name": "a"}]', '"a"', "null", "1", "[]"])
def test_json_that_is_not_an_object_is_422_on_the_body(body: str) -> None:
    status, payload = call(body)
    assert status == 422
    assert payload["error"]["details"] == [
        {"field": "body", "location": "body", "message": "must be a JSON object", "type": "model_type"}
    ]


def test_a_route_without_a_body_does_not_ignore_a_malformed_one() -> None:
    assert call("{", path="/items/touch")[0] == 400
    assert call(None, path="/items/touch") == (200, {"status": "ok"})
    assert call("{}", path="/items/touch") == (200, {"status": "ok"})


@pytest.mark.parametrize("body", ['{"name": 5.0000000000000001}', '{"name": 0.30000000000000000001}'])
def test_a_number_a_double_would_change_is_422(body: str) -> None:
    status, payload = call(body)
    assert status == 422
    assert [(d["field"], d["type"]) for d in payload["error"]["details"]] == [("name", "float_precision")]


def test_every_imprecise_number_is_named_by_its_path() -> None:
    body = '{"price": 5.0000000000000001, "items": [1.5, {"x": 0.10000000000000000001}]}'
    status, payload = call(body, path="/items/touch")
    assert status == 422
    assert [d["field"] for d in payload["error"]["details"]] == ["price", "items.1.x"]


@pytest.mark.parametrize("number", ["5.1", "0.1", "1e2", "2.5E-3", "-0.0", "123456.789"])
def test_ordinary_numbers_pass(number: str) -> None:
    assert call(f'{{"name": "a", "n": {number}}}', path="/items/touch")[0] == 200
