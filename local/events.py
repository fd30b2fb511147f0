"""Write one sample event per function into ``events/`` (for ``sam local invoke``): an HTTP API v2
event for API functions (with the authorizer's output for protected routes), an authorizer request
for the authorizer, and a scheduler event for scheduled functions. Existing files are kept unless
``--force``: samples may be edited by hand."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from local import ROOT
from local.runner import ACCOUNT_ID, LocalApi

EVENTS = ROOT / "events"
SAMPLE_ID = "01900000-0000-7000-8000-000000000001"
SAMPLE_USER = "01900000-0000-7000-8000-0000000000aa"


def sample_file(code_uri: Path) -> Path:
    return EVENTS / f"{code_uri.name}.json"


def build(api: LocalApi, logical_id: str, bodies: dict[str, Any]) -> dict[str, Any]:
    fn = api.functions[logical_id]
    if fn.routes:
        route = fn.routes[0]
        path = re.sub(r"\{[^}]+\}", SAMPLE_ID, route.path)
        params = dict(zip(re.findall(r"\{([^}+]+)\+?\}", route.path), [SAMPLE_ID] * 8, strict=False))
        body = bodies.get(fn.code_uri.name)
        raw = json.dumps(body).encode() if body is not None else b""
        headers = [("content-type", "application/json")] if raw else []
        event = api.event(route.method, path, "", headers, raw, route, params)
        if route.authorizer:
            role = "admin" if "/admin/" in path else "service" if "/service/" in path else "user"
            event["headers"]["authorization"] = "Bearer <token>"
            event["requestContext"]["authorizer"] = {"lambda": {"user_id": SAMPLE_USER, "role": role}}
        return event
    if fn.schedules:
        return {
            "version": "0",
            "id": SAMPLE_ID,
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": ACCOUNT_ID,
            "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {},
        }
    # the authorizer: a REQUEST authorizer event for a protected route
    some = next(route for f in api.functions.values() for route in f.routes if route.authorizer)
    event = api.event(some.method, some.path, "", [("authorization", "Bearer <token>")], b"", some, {})
    event.update(
        {
            "type": "REQUEST",
            "identitySource": ["Bearer <token>", some.route_key],
            "routeArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:local/$default/{some.method}{some.path}",
        }
    )
    return event


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    bodies = json.loads((ROOT / "local" / "sample_bodies.json").read_text())
    api = LocalApi()
    EVENTS.mkdir(exist_ok=True)
    for logical_id, fn in sorted(api.functions.items()):
        target = sample_file(fn.code_uri)
        if target.exists() and not args.force:
            continue
        target.write_text(json.dumps(build(api, logical_id, bodies), indent=2) + "\n")
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
