"""The debit benchmark: the raw ``TransactWriteItems`` floor (a), the consume handler in-process (b), and the
same through the local HTTP runner (c), interleaved round by round in one process.

Every variant does one debit of 1 token per operation on a wallet of its own per worker thread:

* ``prepare`` builds what arrives with the request (untimed: for (b) this is API Gateway's work);
* ``call`` is the timed part;
* ``check`` verifies the answer (untimed): every debit must succeed.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from local import ddb
from local.runner import LambdaContext, LocalApi, make_server
from vbwd.domain import clock, ids

CONSUME_PATH = "/api/v1/user/tokens/consume"
CONSUME_FUNCTION = "UserTokensConsumeFunction"
FUNDING = 10**12  # tokens per wallet: no run can drain it (a run makes well under a million debits)
AMOUNT = 1


class Variant(Protocol):
    name: str

    def prepare(self, worker: int) -> Any: ...

    def call(self, worker: int, prepared: Any) -> Any: ...

    def check(self, worker: int, result: Any) -> None: ...


class BenchFailure(RuntimeError):
    """A debit did not succeed: the figures would be meaningless."""


_run = uuid.uuid4().hex[:8]
_keys = itertools.count(1)
_keys_lock = threading.Lock()


def fresh_key(tag: str) -> str:
    with _keys_lock:
        number = next(_keys)
    return f"bench-{_run}-{tag}-{number}"


# --- one process, many concurrent invocations ------------------------------------------------------


# --- counting DynamoDB calls ------------------------------------------------------------------------


class CallCounter:
    """Counts DynamoDB operations per variant, by thread: a worker sets the variant it is measuring.

    The hook is a botocore ``before-call.dynamodb.*`` handler, registered on the floor's client and on the
    store's shared client alike, so both pay the same (negligible) cost. Calls made by other threads (the
    HTTP runner's server threads, set-up) are not counted unless they set a label."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.calls: dict[str, Counter[str]] = {}

    def hook(self, model: Any, **_: Any) -> None:
        label = getattr(self._local, "label", None)
        if label is None:
            return
        with self._lock:
            self.calls.setdefault(label, Counter())[model.name] += 1

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb.*", self.hook, unique_id="vbwd-bench-counter")

    @contextmanager
    def counting(self, label: str | None) -> Iterator[None]:
        previous = getattr(self._local, "label", None)
        self._local.label = label
        try:
            yield
        finally:
            self._local.label = previous

    def total(self, label: str) -> int:
        with self._lock:
            return sum(self.calls.get(label, Counter()).values())

    def by_operation(self, label: str) -> dict[str, int]:
        with self._lock:
            return dict(self.calls.get(label, Counter()))


# --- (a) the floor ------------------------------------------------------------------------------------


class Floor:
    """A raw boto3 ``TransactWriteItems`` with the same two writes as ``vbwd.store.tokens.stage``."""

    name = "a_floor"

    def __init__(self, endpoint: str, tables: dict[str, str], workers: int) -> None:
        self.client = ddb.client(endpoint)
        self.wallets_table = tables["WalletsTable"]
        self.ledger_table = tables["LedgerTable"]
        self.user_ids = [ids.new_id() for _ in range(workers)]
        # The floor's own view of each wallet, so its condition holds (one thread per wallet).
        self.expected: list[tuple[int, int]] = [(FUNDING, FUNDING) for _ in range(workers)]
        self.done = [0] * workers

    def fund(self) -> None:
        now = clock.iso(clock.now())
        for user_id in self.user_ids:
            self.client.put_item(
                TableName=self.wallets_table,
                Item={
                    "user_id": {"S": user_id},
                    "balance": {"N": str(FUNDING)},
                    "available": {"N": str(FUNDING)},
                    "updated_at": {"S": now},
                },
            )

    def prepare(self, worker: int) -> str:
        return fresh_key("a")

    def call(self, worker: int, prepared: str) -> None:
        user_id = self.user_ids[worker]
        balance, available = self.expected[worker]
        now = clock.iso(clock.now())
        after = balance - AMOUNT
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.ledger_table,
                        "Item": {
                            "user_id": {"S": user_id},
                            "entry_key": {"S": f"usage#{prepared}"},
                            "amount": {"N": str(-AMOUNT)},
                            "balance_after": {"N": str(after)},
                            "created_at": {"S": now},
                            "id": {"S": ids.new_id()},
                            "refund_count": {"N": "0"},
                            "refunded": {"N": "0"},
                            "request_hash": {"S": f"consume:{AMOUNT}"},
                            "metered_by": {"S": "user"},
                            "type": {"S": "usage"},
                        },
                        "ConditionExpression": "attribute_not_exists(#k)",
                        "ExpressionAttributeNames": {"#k": "entry_key"},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "Update": {
                        "TableName": self.wallets_table,
                        "Key": {"user_id": {"S": user_id}},
                        "UpdateExpression": "SET #b = :nb, #a = :na, #u = :u",
                        "ConditionExpression": "#b = :b AND #a = :a AND #a >= :amt",
                        "ExpressionAttributeNames": {"#b": "balance", "#a": "available", "#u": "updated_at"},
                        "ExpressionAttributeValues": {
                            ":b": {"N": str(balance)},
                            ":a": {"N": str(available)},
                            ":amt": {"N": str(AMOUNT)},
                            ":nb": {"N": str(after)},
                            ":na": {"N": str(available - AMOUNT)},
                            ":u": {"S": now},
                        },
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
        self.expected[worker] = (after, available - AMOUNT)

    def check(self, worker: int, result: Any) -> None:
        self.done[worker] += 1  # a failed condition raises from transact_write_items

    def verify(self) -> None:
        for worker, user_id in enumerate(self.user_ids):
            item = self.client.get_item(
                TableName=self.wallets_table, Key={"user_id": {"S": user_id}}, ConsistentRead=True
            )
            balance = int(item["Item"]["balance"]["N"])
            if balance != FUNDING - self.done[worker] * AMOUNT or (balance, balance) != self.expected[worker]:
                raise BenchFailure(f"floor wallet {worker}: balance {balance}, expected {self.expected[worker]}")


# --- (b) the handler, in-process -------------------------------------------------------------------


@dataclass
class Account:
    user_id: str
    access_token: str = ""


def create_funded_users(count: int, tag: str) -> list[Account]:
    """Users that exist (so grants pass their check) with a funded wallet, via the services."""
    from vbwd.services import auth, tokens
    from vbwd.store import users as users_store

    accounts = []
    for index in range(count):
        user = auth.new_user(f"bench-{_run}-{tag}-{index}@example.com", "bench-password-123")
        users_store.create_user(user)
        tokens.grant(user.id, FUNDING, "benchmark funding", fresh_key("fund"), "bench")
        accounts.append(Account(user.id))
    return accounts


class Handler:
    """``lambda_handler(event, context)`` of ``functions/user_tokens_consume/app.py``, called directly."""

    name = "b_handler"

    def __init__(self, api: LocalApi, accounts: list[Account]) -> None:
        self.accounts = accounts
        self.done = [0] * len(accounts)
        # one container per worker thread, as Lambda runs concurrent invocations on separate containers
        self.handlers = [api.container(CONSUME_FUNCTION) for _ in accounts]
        matched = api.match("POST", CONSUME_PATH)
        if matched is None:
            raise BenchFailure(f"no route for POST {CONSUME_PATH}")
        route, params = matched
        self.templates = []
        for account in accounts:
            body = json.dumps({"amount": AMOUNT, "idempotency_key": "template"}).encode()
            event = api.event("POST", CONSUME_PATH, "", [("content-type", "application/json")], body, route, params)
            event["requestContext"]["authorizer"] = {"lambda": {"user_id": account.user_id, "role": "user"}}
            self.templates.append(event)

    def event(self, worker: int, key: str) -> dict[str, Any]:
        """A fresh event per call (API Gateway's work: untimed). Nested dicts are copied so that nothing a
        handler might write into one event leaks into the next."""
        template = self.templates[worker]
        context = dict(template["requestContext"])
        context["requestId"] = str(uuid.uuid4())
        context["http"] = dict(context["http"])
        return {
            **template,
            "headers": dict(template["headers"]),
            "requestContext": context,
            "body": f'{{"amount": {AMOUNT}, "idempotency_key": "{key}"}}',
        }

    def prepare(self, worker: int) -> tuple[dict[str, Any], LambdaContext]:
        return self.event(worker, fresh_key("b")), LambdaContext(function_name=CONSUME_FUNCTION)

    def call(self, worker: int, prepared: tuple[dict[str, Any], LambdaContext]) -> Any:
        return self.handlers[worker](*prepared)

    def check(self, worker: int, result: Any) -> None:
        if not isinstance(result, dict) or result.get("statusCode") != 200:
            raise BenchFailure(f"consume handler answered {result!r}")
        self.done[worker] += 1

    def verify(self) -> None:
        verify_accounts(self.name, self.accounts, self.done)


# --- (c) through the local HTTP runner ------------------------------------------------------------


class Http:
    """POSTs to the local runner (the authorizer runs; its decisions are cached 60 s per token+route)."""

    name = "c_http"

    def __init__(self, api: LocalApi, accounts: list[Account]) -> None:
        from vbwd.domain.enums import Role
        from vbwd.services import access_tokens

        for account in accounts:
            account.access_token, _ = access_tokens.issue(account.user_id, Role.USER)
        self.accounts = accounts
        self.done = [0] * len(accounts)
        self.sessions = [requests.Session() for _ in accounts]  # one keep-alive connection per worker
        port = ddb.free_port()
        self.server = make_server(api, "127.0.0.1", port)
        handler_class: Any = self.server.RequestHandlerClass
        # The runner logs every request to stderr; the benchmark's own server stays quiet.
        handler_class.log_message = _quiet
        self.url = f"http://127.0.0.1:{port}{CONSUME_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="bench-http", daemon=True)
        self.thread.start()

    def prepare(self, worker: int) -> tuple[requests.Session, bytes, dict[str, str]]:
        headers = {
            "content-type": "application/json",
            "authorization": f"Bearer {self.accounts[worker].access_token}",
        }
        body = json.dumps({"amount": AMOUNT, "idempotency_key": fresh_key("c")}).encode()
        return self.sessions[worker], body, headers

    def call(self, worker: int, prepared: tuple[requests.Session, bytes, dict[str, str]]) -> requests.Response:
        session, body, headers = prepared
        return session.post(self.url, data=body, headers=headers, timeout=30)

    def check(self, worker: int, result: requests.Response) -> None:
        if result.status_code != 200:
            raise BenchFailure(f"HTTP consume answered {result.status_code}: {result.text[:200]}")
        self.done[worker] += 1

    def verify(self) -> None:
        verify_accounts(self.name, self.accounts, self.done)

    def close(self) -> None:
        for session in self.sessions:
            session.close()
        self.server.shutdown()
        self.server.server_close()


def verify_accounts(name: str, accounts: list[Account], done: list[int]) -> None:
    """Each worker's debits landed on its own user's wallet and ledger, and nowhere else."""
    from vbwd.store import tokens as store

    for worker, account in enumerate(accounts):
        wallet = store.get_wallet(account.user_id)
        total, entries = store.ledger_sum(account.user_id)
        expected = FUNDING - done[worker] * AMOUNT
        if wallet is None or wallet.balance != expected or total != expected or entries != done[worker] + 1:
            raise BenchFailure(
                f"{name} worker {worker}: {done[worker]} debits answered 200, but the wallet holds "
                f"{wallet.balance if wallet else None} and the ledger {entries} entries summing to {total} "
                f"(expected {expected} over {done[worker] + 1} entries)"
            )


def _quiet(*_: Any, **__: Any) -> None:
    return None


# --- timing -------------------------------------------------------------------------------------------


@dataclass
class Series:
    """What one variant measured at one thread count."""

    latencies_ms: list[float] = field(default_factory=list)
    ops: int = 0
    busy_s: float = 0.0  # wall time of the measured blocks (8 threads) or sum of latencies (1 thread)
    round_ops_per_s: list[float] = field(default_factory=list)


def _one(variant: Variant, worker: int, sink: list[float]) -> None:
    prepared = variant.prepare(worker)
    start = time.perf_counter_ns()
    result = variant.call(worker, prepared)
    sink.append((time.perf_counter_ns() - start) / 1e6)
    variant.check(worker, result)


def serial_block(variant: Variant, ops: int, counter: CallCounter, label: str | None) -> list[float]:
    sink: list[float] = []
    with counter.counting(label):
        for _ in range(ops):
            _one(variant, 0, sink)
    return sink


def parallel_block(
    variant: Variant, threads: int, seconds: float, counter: CallCounter, label: str | None
) -> tuple[list[float], int, float]:
    """``threads`` workers (one wallet each) debit until the deadline; returns latencies, ops and wall time."""
    sinks: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    go = threading.Event()
    deadline = [0.0]

    def work(worker: int) -> None:
        go.wait()
        try:
            with counter.counting(label):
                while time.perf_counter() < deadline[0]:
                    _one(variant, worker, sinks[worker])
        except BaseException as exc:  # noqa: BLE001 -- reported by the main thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(index,), name=f"bench-{index}") for index in range(threads)]
    for worker in workers:
        worker.start()
    start = time.perf_counter()
    deadline[0] = start + seconds
    go.set()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    latencies = [value for sink in sinks for value in sink]
    return latencies, len(latencies), wall


def rotated(items: list[Variant], round_index: int) -> list[Variant]:
    shift = round_index % len(items)
    return items[shift:] + items[:shift]


def measure_serial(
    variants: list[Variant],
    rounds: int,
    block: int,
    counter: CallCounter,
    progress: Callable[[str], None],
) -> dict[str, Series]:
    """1 thread: every round runs a block of each variant, in rotated order, so noise hits all alike."""
    series = {variant.name: Series() for variant in variants}
    for index in range(rounds):
        for variant in rotated(variants, index):
            latencies = serial_block(variant, block, counter, variant.name)
            found = series[variant.name]
            found.latencies_ms.extend(latencies)
            found.ops += len(latencies)
            found.busy_s += sum(latencies) / 1000
            found.round_ops_per_s.append(len(latencies) / (sum(latencies) / 1000))
        if (index + 1) % max(1, rounds // 5) == 0:
            progress(f"  1 thread: round {index + 1}/{rounds}")
    return series


def measure_parallel(
    variants: list[Variant],
    threads: int,
    rounds: int,
    seconds: float,
    counter: CallCounter,
    progress: Callable[[str], None],
) -> dict[str, Series]:
    series = {variant.name: Series() for variant in variants}
    for index in range(rounds):
        for variant in rotated(variants, index):
            latencies, ops, wall = parallel_block(variant, threads, seconds, counter, variant.name)
            found = series[variant.name]
            found.latencies_ms.extend(latencies)
            found.ops += ops
            found.busy_s += wall
            found.round_ops_per_s.append(ops / wall)
        if (index + 1) % max(1, rounds // 5) == 0:
            progress(f"  {threads} threads: round {index + 1}/{rounds}")
    return series


def warm_up(variants: list[Variant], threads: int, seconds: float, counter: CallCounter) -> None:
    """Untimed: JIT DynamoDB Local, fill connection pools, load every lazy import and cache."""
    for variant in variants:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            serial_block(variant, 10, counter, None)
    for variant in variants:
        parallel_block(variant, threads, seconds / 2, counter, None)


@dataclass
class ColdCalls:
    requests: int
    calls: int
    by_operation: dict[str, int]
    latencies_ms: list[float]


def cold_first_calls(api: LocalApi, accounts: list[Account], counter: CallCounter) -> ColdCalls:
    """The first debit of a user this container has no hint for (a cold container, or an evicted hint)."""
    from vbwd.services import tokens

    handler = Handler(api, accounts)
    label = "b_cold"
    sink: list[float] = []
    with counter.counting(label):
        for worker, account in enumerate(accounts):
            tokens.hints.forget(account.user_id)
            _one(handler, worker, sink)
    return ColdCalls(len(accounts), counter.total(label), counter.by_operation(label), sink)


def request_shape(counter_client: Any, call: Callable[[], object]) -> dict[str, Any]:
    """The TransactWriteItems request a call sends (to show the floor writes what the handler writes)."""
    captured: list[dict[str, Any]] = []

    def grab(params: dict[str, Any], **_: Any) -> None:
        captured.append(params)

    events = counter_client.meta.events
    events.register("provide-client-params.dynamodb.TransactWriteItems", grab, unique_id="vbwd-bench-shape")
    try:
        call()
    finally:
        events.unregister("provide-client-params.dynamodb.TransactWriteItems", unique_id="vbwd-bench-shape")
    if not captured:
        return {}
    return shape_of(captured[0])


def shape_of(params: dict[str, Any]) -> dict[str, Any]:
    """Table kinds, item attribute names and value types, and the conditions of a TransactWriteItems."""
    shape: dict[str, Any] = {}
    for item in params.get("TransactItems", []):
        for kind, body in item.items():
            table = "ledger" if body["TableName"].endswith("LedgerTable") else "wallet"
            if kind == "Put":
                attributes = {name: next(iter(value)) for name, value in body["Item"].items()}
            else:
                names = body.get("ExpressionAttributeNames", {})
                attributes = {names.get(token, token): "SET" for token in names}
            shape[f"{kind}:{table}"] = {
                "attributes": dict(sorted(attributes.items())),
                "return_on_failure": body.get("ReturnValuesOnConditionCheckFailure"),
            }
    return shape
