"""The one check every request body passes before any route reads it (``http.entrypoint`` runs it).

Kept apart from ``http`` so that its standard-library imports load after Powertools and pydantic: loaded
before them, the same modules made every cold init ~7 ms slower (measured in bench/, decision 64).
"""

from __future__ import annotations

import base64
import json
import math
from decimal import Decimal
from typing import Any

from vbwd.domain.errors import MalformedRequest, UnsupportedMediaType, ValidationFailed


class _Imprecise(Exception):
    pass


def _number(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number too large for a float")
    if Decimal(text) != Decimal(repr(number)):  # "5.0000000000000001" would silently become 5.0
        raise _Imprecise
    return number


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _imprecise(text: str) -> list[dict[str, str]]:
    """Name every number a double would change (the error path only: the text is parsed again)."""
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise MalformedRequest() from None
    found: list[str] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, Decimal) and Decimal(repr(float(node))) != node:
            found.append(".".join(path))
        elif isinstance(node, dict):
            for key, item in node.items():
                walk(item, (*path, str(key)))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, str(index)))

    try:
        walk(value, ())
    except RecursionError:
        found = []
    message = "has more digits than a double keeps; send it as a string"
    return [{**_body_problem(message, "float_precision"), "field": field} for field in found or ["body"]]


def _body_problem(message: str, kind: str) -> dict[str, str]:
    return {"field": "body", "location": "body", "message": message, "type": kind}


def screen(event: dict[str, Any]) -> dict[str, Any]:
    """Check every request body once, before the resolver or a route reads it. vbwd takes one kind of body,
    a UTF-8 JSON object, on every route (a route without a body included: ``{`` is never ignored).

    * another media type, or a charset other than UTF-8: 415;
    * bytes that are not UTF-8, or text that is not strict JSON (``NaN``, ``Infinity``, a number no float
      holds, nesting deeper than the parser's recursion limit, an integer over Python's 4300 digits): 400;
    * JSON that is not an object: 422 (the resolver would otherwise validate a list's first element), and
      a number with more digits than a double keeps: 422 (it would change silently; send it as a string).

    Returns the event with the content type spelled ``application/json``: the resolver compares it
    case-sensitively and knows no ``+json`` types."""
    raw = event.get("body")
    if not raw:
        return event
    headers = event.get("headers") or {}
    media, *params = (headers.get("content-type") or "application/json").split(";")
    media = media.strip().lower()
    charsets = {
        p.split("=", 1)[1].strip().strip('"').lower() for p in params if p.strip().lower().startswith("charset=")
    }
    json_media = media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
    if not json_media or not charsets <= {"utf-8", "utf8"}:
        raise UnsupportedMediaType()
    try:
        text = base64.b64decode(raw, validate=True).decode() if event.get("isBase64Encoded") else raw
        value = json.loads(text, parse_float=_number, parse_constant=_not_json)
    except (ValueError, RecursionError):  # binascii.Error, UnicodeDecodeError and JSONDecodeError included
        raise MalformedRequest() from None
    except _Imprecise:
        raise ValidationFailed(details=_imprecise(text)) from None
    if not isinstance(value, dict):
        raise ValidationFailed(details=[_body_problem("must be a JSON object", "model_type")])
    return {**event, "headers": {**headers, "content-type": "application/json"}}
