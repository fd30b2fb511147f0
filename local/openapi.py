"""Generate the single OpenAPI 3.1 document from every function's resolver (``make openapi``).

Each handler module builds a Powertools resolver whose routes carry pydantic models; Powertools emits
each resolver's schema, and this merges them, marking the routes that sit behind the authorizer.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from local import ROOT
from local.runner import LocalApi

OUTPUT = ROOT / "functions" / "openapi" / "openapi.json"
TITLE = "vbwd API"


def build() -> dict[str, Any]:
    from vbwd import __version__

    api = LocalApi()
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": __version__,
            "description": "Serverless subscription and token billing. Errors have one shape: "
            '{"error": {"code", "message", "details"}}.',
        },
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token (JWT) or a service API key (vbwd_sk_...).",
                }
            },
        },
    }
    secured = {route.route_key for fn in api.functions.values() for route in fn.routes if route.authorizer}
    for logical_id, fn in sorted(api.functions.items()):
        if not fn.routes:
            continue
        module = sys.modules.get(f"vbwd_function_{logical_id}")
        if module is None:
            api.handler(logical_id)
            module = sys.modules[f"vbwd_function_{logical_id}"]
        resolver = getattr(module, "app", None)
        if resolver is None or not hasattr(resolver, "get_openapi_json_schema"):
            continue
        schema = json.loads(resolver.get_openapi_json_schema(title=TITLE, version=__version__))
        body_model = getattr(module, "BODY", None)  # a body the handler parses itself (see http.parse)
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                operation["operationId"] = logical_id.removesuffix("Function")
                if body_model is not None and "requestBody" not in operation:
                    operation["requestBody"] = _request_body(body_model, document)
                if f"{method.upper()} {path}" in secured:
                    operation["security"] = [{"bearerAuth": []}]
                document["paths"].setdefault(path, {})[method] = operation
        document["components"]["schemas"].update(schema.get("components", {}).get("schemas", {}))
    document["paths"] = dict(sorted(document["paths"].items()))
    document["components"]["schemas"] = dict(sorted(document["components"]["schemas"].items()))
    return document


def _request_body(model: Any, document: dict[str, Any]) -> dict[str, Any]:
    """The requestBody of a route that validates its JSON body itself, from the same pydantic model."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    document["components"]["schemas"].update(schema.pop("$defs", {}))
    document["components"]["schemas"][model.__name__] = schema
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
    }


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {OUTPUT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        OUTPUT.write_text(text)
        print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(text)} bytes)")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
