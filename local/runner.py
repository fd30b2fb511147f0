"""The local runner: serves every route of ``template.yaml`` by calling the same handlers in-process.

It does what API Gateway's HTTP API does for this template, and no more:

* routes are matched the HTTP API way (literal segments beat ``{param}``, which beats ``{proxy+}``);
* requests become real payload-2.0 events: ``rawPath``, ``rawQueryString``, lower-cased headers,
  ``cookies``, ``queryStringParameters``, ``pathParameters``, base64 bodies for binary content, and a
  ``requestContext`` with ``http.method`` and the authorizer's output in ``authorizer.lambda``;
* the Lambda REQUEST authorizer runs as configured: a missing identity source is a 401 without calling
  it, ``raise Exception("Unauthorized")`` is a 401, ``isAuthorized: false`` is a 403, any other failure
  is a 500, and results are cached by identity-source values for ``ReauthorizeEvery`` seconds;
* payload-2.0 responses are mapped back (``statusCode``, ``headers``, ``cookies``, base64 bodies; a
  bare JSON value means 200);
* like Lambda, a function's container handles one invocation at a time: concurrent requests run on
  separate containers (module instances), started on demand and reused when idle.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import sys
import threading
import time
import uuid
from abc import ABCMeta
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local import template as tpl

ACCOUNT_ID = "123456789012"
API_ID = "local"
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "+json",
    "+xml",
)
SCHEDULE_PREFIX = "/__local/schedules/"


@dataclass
class LambdaContext:
    """The attributes of a Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 256
    timeout_seconds: float = 30.0
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _start: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._start)) * 1000))


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _reply(status: int, message: str) -> Reply:
    return Reply(status, [("content-type", "application/json")], json.dumps({"message": message}).encode())


def _compile(path: str) -> tuple[re.Pattern[str], int, bool]:
    literals, greedy, parts = 0, False, []
    for segment in path.strip("/").split("/"):
        match = re.fullmatch(r"\{([A-Za-z0-9_]+)(\+?)\}", segment)
        if match and match.group(2):
            parts.append(f"(?P<{match.group(1)}>.+)")
            greedy = True
        elif match:
            parts.append(f"(?P<{match.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
            literals += 1
    return re.compile("^/" + "/".join(parts) + "/?$"), literals, greedy


def _as_text(raw: bytes, content_type: str) -> str | None:
    """The body as API Gateway passes a text type: a string. Binary types, and bytes that are not UTF-8
    whatever their declared type, travel base64-encoded (``None`` here)."""
    if not raw:
        return ""
    if not any(marker in content_type.lower() for marker in _TEXT_TYPES):
        return None
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


_router_state = threading.local()
_invocation = threading.local()


def current_function() -> str | None:
    """The function this thread is running an invocation of (tests attribute DynamoDB calls with it)."""
    return getattr(_invocation, "function", None)


class _PerThread:
    """A class attribute whose value belongs to the current thread."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        return getattr(_router_state, self.name, None)

    def __set__(self, instance: Any, value: Any) -> None:
        setattr(_router_state, self.name, value)


class _PerThreadRouterMeta(ABCMeta):
    """Makes ``BaseRouter.current_event = ...`` (a class-level write) land in the current thread."""

    current_event = _PerThread("current_event")
    lambda_context = _PerThread("lambda_context")


def _isolate_router_state() -> None:
    """Powertools keeps the request being handled in *class* attributes of ``BaseRouter``, shared by every
    resolver of the process. Right in Lambda (one invocation per process at a time), wrong here, where
    containers of many functions serve requests on threads of one process: give each thread its own."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if type(BaseRouter) is _PerThreadRouterMeta:
        return
    for name in ("current_event", "lambda_context"):
        type.__setattr__(BaseRouter, name, _PerThread(name))  # reads through instances and subclasses
    type.__setattr__(BaseRouter, "__class__", _PerThreadRouterMeta)  # writes through the class itself


class LocalApi:
    """Dispatches HTTP requests to handlers, the way API Gateway would for ``template.yaml``."""

    def __init__(self, template: dict[str, Any] | None = None) -> None:
        template = template or tpl.load()
        self.functions = tpl.functions(template)
        self.default_authorizer, self.authorizers = tpl.api(template)
        for spec in self.authorizers.values():
            if not spec.simple_responses or spec.payload_version != "2.0":
                raise NotImplementedError(
                    f"{spec.name}: the runner replays simple-response, payload 2.0 "
                    "Lambda authorizers (what template.yaml declares)"
                )
        self.routes = [(route, *_compile(route.path)) for fn in self.functions.values() for route in fn.routes]
        self._containers: dict[str, list[ModuleType]] = {}  # every container started, per function
        self._idle: dict[str, list[ModuleType]] = {}  # the ones not handling an invocation now
        self._load_lock = threading.Lock()
        _isolate_router_state()
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, Any]]] = {}
        self._cache_lock = threading.Lock()

    # -- handlers ------------------------------------------------------------------------------
    def _start_container(self, logical_id: str) -> ModuleType:
        """Load the function's module afresh (a cold start). The first container is ``vbwd_function_<id>``."""
        fn = self.functions[logical_id]
        started = self._containers.setdefault(logical_id, [])
        name = f"vbwd_function_{logical_id}" + (f"__{len(started)}" if started else "")
        spec = importlib.util.spec_from_file_location(name, fn.module_path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {fn.module_path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        started.append(module)
        return module

    def handler(self, logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
        """The handler of the function's first container, started if need be (for tooling that inspects the
        module, such as the OpenAPI generator; requests go through :meth:`invoke`)."""
        with self._load_lock:
            if not self._containers.get(logical_id):
                self._idle.setdefault(logical_id, []).append(self._start_container(logical_id))
            module = self._containers[logical_id][0]
        return getattr(module, self.functions[logical_id].handler_name)  # type: ignore[no-any-return]

    def container(self, logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
        """The handler of a new container of its own, for a caller that drives one invocation at a time
        on it (the benchmark gives each of its threads one, as Lambda gives each concurrent invocation)."""
        with self._load_lock:
            module = self._start_container(logical_id)
        return getattr(module, self.functions[logical_id].handler_name)  # type: ignore[no-any-return]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Run one invocation on an idle container of the function, or on a new one if all are busy."""
        with self._load_lock:
            idle = self._idle.setdefault(logical_id, [])
            container = idle.pop() if idle else self._start_container(logical_id)
        previous = getattr(_invocation, "function", None)
        _invocation.function = logical_id
        try:
            handler = getattr(container, self.functions[logical_id].handler_name)
            return handler(event, LambdaContext(function_name=logical_id))
        finally:
            _invocation.function = previous
            with self._load_lock:
                self._idle[logical_id].append(container)

    def run_schedule(self, logical_id: str) -> Any:
        """Invoke a scheduled function with an EventBridge Scheduler-style event (``make expire``)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": ACCOUNT_ID,
            "time": now,
            "region": "us-east-1",
            "resources": [f"arn:aws:scheduler:us-east-1:{ACCOUNT_ID}:schedule/default/{logical_id}"],
            "detail": {},
        }
        return self.invoke(logical_id, event)

    # -- routing -------------------------------------------------------------------------------
    def match(self, method: str, path: str) -> tuple[tpl.Route, dict[str, str]] | None:
        best: tuple[tuple[int, int, int], tpl.Route, dict[str, str]] | None = None
        for route, pattern, literals, greedy in self.routes:
            if route.method not in {method, "ANY"}:
                continue
            found = pattern.match(path)
            if not found:
                continue
            score = (literals, 0 if greedy else 1, 1 if route.method == method else 0)
            if best is None or score > best[0]:
                best = (score, route, found.groupdict())
        return None if best is None else (best[1], best[2])

    # -- requests ------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]] | dict[str, str] | None = None,
        body: bytes | str | None = None,
        source_ip: str = "127.0.0.1",
    ) -> Reply:
        method = method.upper()
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        raw = body.encode() if isinstance(body, str) else (body or b"")
        url = urlsplit(target)
        path = url.path or "/"
        if method == "POST" and path.startswith(SCHEDULE_PREFIX):
            return self._schedule(path[len(SCHEDULE_PREFIX) :])
        matched = self.match(method, path)
        if matched is None:
            return _reply(404, "Not Found")
        route, path_params = matched
        event = self.event(method, path, url.query, pairs, raw, route, path_params, source_ip)
        if route.authorizer is not None:
            outcome = self._authorize(route, event)
            if isinstance(outcome, Reply):
                return outcome
            event["requestContext"]["authorizer"] = {"lambda": outcome}
        try:
            result = self.invoke(route.function, event)
        except Exception:  # noqa: BLE001 -- a crashed Lambda is a 500, as on AWS
            import traceback

            traceback.print_exc()
            return _reply(500, "Internal Server Error")
        return self._response(result)

    def _schedule(self, logical_id: str) -> Reply:
        fn = self.functions.get(logical_id)
        if fn is None or not fn.schedules:
            return _reply(404, "No scheduled function of that name")
        result = self.run_schedule(logical_id)
        return Reply(200, [("content-type", "application/json")], json.dumps(result, default=str).encode())

    def event(
        self,
        method: str,
        path: str,
        query: str,
        pairs: list[tuple[str, str]],
        raw: bytes,
        route: tpl.Route,
        path_params: dict[str, str],
        source_ip: str = "127.0.0.1",
    ) -> dict[str, Any]:
        """The payload-2.0 event API Gateway would send for this request (before authorization)."""
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in pairs:
            key = name.lower()
            if key == "cookie":
                cookies.extend(part.strip() for part in value.split(";") if part.strip())
                continue
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        params: dict[str, str] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            params[name] = f"{params[name]},{value}" if name in params else value
        now = datetime.now(UTC)
        text = _as_text(raw, headers.get("content-type", ""))
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": path,
            "rawQueryString": query,
            "headers": headers,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": API_ID,
                "domainName": headers.get("host", "localhost"),
                "domainPrefix": headers.get("host", "localhost").split(".")[0],
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": route.route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": text is None,
        }
        if cookies:
            event["cookies"] = cookies
        if params:
            event["queryStringParameters"] = params
        if path_params:
            event["pathParameters"] = path_params
        if raw:
            event["body"] = text if text is not None else base64.b64encode(raw).decode()
        return event

    def _authorize(self, route: tpl.Route, event: dict[str, Any]) -> dict[str, Any] | Reply:
        spec = self.authorizers[route.authorizer or ""]
        identity: list[str] = []
        for header in spec.headers:
            value = event["headers"].get(header)
            if not value:
                return _reply(401, "Unauthorized")  # API Gateway: identity source missing
            identity.append(value)
        for name in spec.context:
            identity.append(str(event["requestContext"].get(name, "")))
        key = (spec.name, tuple(identity))
        now = time.monotonic()
        with self._cache_lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            result = cached[1]
        else:
            auth_event = {k: v for k, v in event.items() if k not in {"body", "isBase64Encoded"}}
            auth_event.update(
                {
                    "type": "REQUEST",
                    "identitySource": identity,
                    "routeArn": (
                        f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{API_ID}/$default/"
                        f"{event['requestContext']['http']['method']}{event['rawPath']}"
                    ),
                }
            )
            try:
                result = self.invoke(spec.function, auth_event)
            except Exception as exc:  # noqa: BLE001
                if str(exc) == "Unauthorized":
                    return _reply(401, "Unauthorized")
                return _reply(500, "Internal Server Error")
            if not isinstance(result, dict) or not isinstance(result.get("isAuthorized"), bool):
                return _reply(500, "Internal Server Error")
            if spec.ttl > 0:
                with self._cache_lock:
                    self._cache[key] = (now + spec.ttl, result)
        if not result["isAuthorized"]:
            return _reply(403, "Forbidden")
        return dict(result.get("context") or {})

    @staticmethod
    def _response(result: Any) -> Reply:
        if not isinstance(result, dict) or "statusCode" not in result:
            return Reply(200, [("content-type", "application/json")], json.dumps(result).encode())
        headers = [(k.lower(), str(v)) for k, v in (result.get("headers") or {}).items()]
        headers += [("set-cookie", cookie) for cookie in result.get("cookies") or []]
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        return Reply(int(result["statusCode"]), headers, raw)


def make_server(api: LocalApi, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # head and body are two writes: without this, ~40 ms per response
        server_version = "vbwd-local"

        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = api.request(
                self.command, self.path, list(self.headers.items()), body, source_ip=self.client_address[0]
            )
            self.send_response(
                reply.status, HTTPStatus(reply.status).phrase if reply.status in HTTPStatus._value2member_map_ else ""
            )
            for name, value in reply.headers:
                if name not in {"content-length", "connection"}:
                    self.send_header(name, value)
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
