"""A local stand-in for the part of Stripe's API vbwd calls (Checkout Sessions), for tests and ``make run``.

``stripe`` is pointed at it with ``STRIPE_API_BASE``. It answers ``POST /v1/checkout/sessions`` like
Stripe (form-encoded parameters, ``Idempotency-Key`` replays), and serves the session's ``url``: a page
whose button "pays" by delivering a signed ``checkout.session.completed`` to vbwd's webhook, so the whole
purchase can be shown without a Stripe account.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from local import stripe_events


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``line_items[0][price_data][currency]=usd``) back into nested objects."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        *parents, leaf = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    nested: dict[str, Any] = _lists(root)
    return nested


def _lists(node: Any) -> Any:
    """Objects whose keys are all indexes become lists."""
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


class IdempotencyMismatch(Exception):
    """A reused idempotency key with other parameters: Stripe answers 400 ``idempotency_error``."""


class FakeStripe:
    def __init__(self, webhook_url: str | None = None, webhook_secret: str | None = None) -> None:
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, dict[str, Any]] = {}
        self.by_idempotency_key: dict[str, tuple[str, dict[str, Any]]] = {}
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None  # noqa: S101
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def create_session(self, params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        with self._lock:
            self.requests.append({"params": params, "idempotency_key": idempotency_key})
            if idempotency_key and idempotency_key in self.by_idempotency_key:
                first_id, first_params = self.by_idempotency_key[idempotency_key]
                if first_params != params:  # Stripe refuses a reused key with other parameters
                    raise IdempotencyMismatch(idempotency_key)
                return self.sessions[first_id]
            lines = params.get("line_items", [])
            total = sum(int(line["price_data"]["unit_amount"]) * int(line.get("quantity", 1)) for line in lines)
            currency = lines[0]["price_data"]["currency"] if lines else "usd"
            if total < 50:  # Stripe's minimum charge (USD 0.50)
                raise ValueError("amount_too_small")
            session_id = f"cs_test_{secrets.token_hex(12)}"
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": params.get("mode"),
                "amount_subtotal": total,
                "amount_total": total,
                "currency": currency,
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata", {}),
                "payment_intent": None,
                "payment_status": "unpaid",
                "status": "open",
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "created": int(time.time()),
                "expires_at": int(time.time()) + 24 * 3600,
                "livemode": False,
                "url": f"{self.url}/pay/{session_id}",
            }
            self.sessions[session_id] = session
            if idempotency_key:
                self.by_idempotency_key[idempotency_key] = (session_id, params)
            return session

    def complete(self, session_id: str) -> int:
        """Pay a session: deliver a signed ``checkout.session.completed`` to the webhook."""
        session = self.sessions[session_id]
        paid = stripe_events.checkout_session(
            session["client_reference_id"],
            session["amount_total"],
            session["currency"],
            user_id=session["metadata"].get("user_id"),
            session_id=session_id,
        )
        body, headers = stripe_events.signed(
            stripe_events.event("checkout.session.completed", paid), self.webhook_secret or ""
        )
        response = requests.post(self.webhook_url or "", data=body, headers=headers, timeout=30)
        return response.status_code

    def start(self, port: int = 0) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
                body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                path = urlsplit(self.path).path
                if path == "/v1/checkout/sessions":
                    params = unflatten(parse_qsl(raw, keep_blank_values=True))
                    try:
                        self._send(200, fake.create_session(params, self.headers.get("Idempotency-Key")))
                    except IdempotencyMismatch as error:
                        message = f"Keys for idempotent requests can only be used with the same parameters ({error})"
                        self._send(400, {"error": {"type": "idempotency_error", "message": message}})
                    except ValueError as error:  # Stripe's error shape for a refused request
                        self._send(
                            400,
                            {
                                "error": {
                                    "type": "invalid_request_error",
                                    "code": str(error),
                                    "message": "Amount must be at least $0.50 usd",
                                }
                            },
                        )
                elif path.startswith("/pay/") and path.endswith("/complete"):
                    status = fake.complete(path.split("/")[2])
                    self._send(200, f"<p>Paid (webhook answered {status}). You can close this page.</p>", "text/html")
                else:
                    self._send(404, {"error": {"message": f"Unrecognized request URL (POST: {path})"}})

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path.startswith("/v1/checkout/sessions/") and path.split("/")[-1] in fake.sessions:
                    self._send(200, fake.sessions[path.split("/")[-1]])
                elif path.startswith("/pay/") and path.split("/")[2] in fake.sessions:
                    session = fake.sessions[path.split("/")[2]]
                    self._send(
                        200,
                        f"<h1>Simulated Stripe Checkout</h1><p>{session['amount_total']} "
                        f"{session['currency']}</p><form method=post action='{path}/complete'>"
                        f"<button>Pay</button></form>",
                        "text/html",
                    )
                else:
                    self._send(404, {"error": {"message": "No such resource"}})

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
