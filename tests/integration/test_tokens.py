"""The token wallet and ledger against DynamoDB Local, through the real handlers."""

from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local import reconcile
from tests.conftest import Client, register
from tests.ddb_calls import count_ddb_calls
from vbwd.domain.tokens import Wallet
from vbwd.services import tokens as token_service
from vbwd.store import tokens as token_store

CONSUME = "/api/v1/user/tokens/consume"
REFUND = "/api/v1/user/tokens/refund"


def fund(client: Client, admin: dict[str, Any], user_id: str, amount: int) -> None:
    reply = client.post(
        f"/api/v1/admin/users/{user_id}/tokens",
        {"amount": amount, "reason": "test funding", "idempotency_key": str(uuid.uuid4())},
        token=admin["access_token"],
    )
    assert reply.status == 200, reply.body


@pytest.fixture
def funded(client: Client, admin: dict[str, Any]) -> dict[str, Any]:
    user = register(client)
    fund(client, admin, user["user"]["id"], 100)
    return user


def consume(client: Client, user: dict[str, Any], amount: Any, key: str | None = None, **extra: Any) -> Any:
    body = {"amount": amount, "idempotency_key": key or str(uuid.uuid4()), **extra}
    return client.post(CONSUME, body, token=user["access_token"])


def ledger_matches_wallet(user_id: str) -> tuple[int, int]:
    wallet = token_store.get_wallet(user_id)
    total, _ = token_store.ledger_sum(user_id)
    return (wallet.balance if wallet else 0), total


# --- balance ---------------------------------------------------------------------------------------


def test_a_user_without_a_wallet_has_balance_zero_in_one_getitem(client: Client, user: dict[str, Any]) -> None:
    with count_ddb_calls() as calls:
        reply = client.get("/api/v1/user/tokens/balance", token=user["access_token"])
    assert reply.status == 200
    assert reply.json() == {"balance": 0, "updated_at": None}
    assert calls == ["GetItem"]


def test_balance_is_exactly_one_getitem(client: Client, funded: dict[str, Any]) -> None:
    with count_ddb_calls() as calls:
        reply = client.get("/api/v1/user/tokens/balance", token=funded["access_token"])
    assert reply.json()["balance"] == 100 and reply.json()["updated_at"].endswith("Z")
    assert calls == ["GetItem"]


# --- consume ---------------------------------------------------------------------------------------


def test_consume_debits_and_records_the_ledger_entry(client: Client, funded: dict[str, Any]) -> None:
    reply = consume(client, funded, 30, description="chat", metadata={"model": "small", "n": 2})
    assert reply.status == 200
    body = reply.json()
    assert body["balance"] == 70
    transaction = body["transaction"]
    assert transaction["amount"] == -30 and transaction["transaction_type"] == "usage"
    assert transaction["balance_after"] == 70 and transaction["description"] == "chat"
    assert transaction["metadata"] == {"model": "small", "n": 2}
    assert ledger_matches_wallet(funded["user"]["id"]) == (70, 70)


def test_the_warm_happy_path_is_exactly_one_round_trip(client: Client, funded: dict[str, Any]) -> None:
    token_service.hints.clear()  # a cold container: one read to learn the wallet, then the write
    with count_ddb_calls() as cold:
        assert consume(client, funded, 1).status == 200
    assert cold == ["GetItem", "TransactWriteItems"]
    with count_ddb_calls() as warm:
        assert consume(client, funded, 1).status == 200
        assert consume(client, funded, 1).status == 200
    assert warm == ["TransactWriteItems", "TransactWriteItems"]


def test_a_stale_hint_costs_one_retry_not_a_read(client: Client, admin: dict[str, Any], funded: dict[str, Any]) -> None:
    user_id = funded["user"]["id"]
    assert consume(client, funded, 1).status == 200  # the hint now says 99
    token_service.hints.put(Wallet(user_id, 500, 500, None))  # another container changed it
    with count_ddb_calls() as calls:
        reply = consume(client, funded, 1)
    assert reply.status == 200 and reply.json()["balance"] == 98
    assert calls == ["TransactWriteItems", "TransactWriteItems"]


def test_insufficient_balance_is_402_and_writes_nothing(client: Client, funded: dict[str, Any]) -> None:
    reply = consume(client, funded, 101, key="too-much")
    assert reply.status == 402
    body = reply.json()
    assert body["error"]["code"] == "insufficient_tokens"
    assert body["balance"] == 100 and body["required"] == 101
    assert token_store.get_entry(funded["user"]["id"], "usage#too-much") is None
    assert ledger_matches_wallet(funded["user"]["id"]) == (100, 100)


def test_a_user_with_no_wallet_gets_402(client: Client, user: dict[str, Any]) -> None:
    reply = consume(client, user, 1)
    assert reply.status == 402
    assert reply.json()["balance"] == 0 and reply.json()["required"] == 1


def test_a_repeated_key_returns_the_original_and_charges_nothing(client: Client, funded: dict[str, Any]) -> None:
    first = consume(client, funded, 40, key="same-key")
    token_service.hints.clear()  # hours later, in another container: the key is stored, not remembered
    again = consume(client, funded, 40, key="same-key")
    assert again.status == 200
    assert again.json()["transaction"] == first.json()["transaction"]
    assert ("idempotent-replayed", "true") in again.headers
    assert again.json()["balance"] == 60


def test_a_replay_after_the_balance_ran_out_is_still_the_original(client: Client, funded: dict[str, Any]) -> None:
    first = consume(client, funded, 100, key="drain")
    assert first.status == 200 and first.json()["balance"] == 0
    again = consume(client, funded, 100, key="drain")
    assert again.status == 200  # not 402: "duplicate" is told apart from "insufficient"
    assert again.json()["transaction"]["id"] == first.json()["transaction"]["id"]


def test_the_same_key_with_another_amount_is_409(client: Client, funded: dict[str, Any]) -> None:
    consume(client, funded, 10, key="k-409")
    reply = consume(client, funded, 11, key="k-409")
    assert reply.status == 409 and reply.json()["error"]["code"] == "idempotency_key_reused"
    assert ledger_matches_wallet(funded["user"]["id"]) == (90, 90)


def test_the_same_key_with_another_description_or_metadata_is_409(client: Client, funded: dict[str, Any]) -> None:
    first = consume(client, funded, 5, key="k-meta", description="chat", metadata={"model": "a", "n": 1})
    same = consume(client, funded, 5, key="k-meta", description="chat", metadata={"n": 1, "model": "a"})
    assert same.status == 200 and same.json()["transaction"]["id"] == first.json()["transaction"]["id"]
    for changed in ({"description": "image"}, {"metadata": {"model": "b", "n": 1}}, {"description": None}):
        body = {"description": "chat", "metadata": {"model": "a", "n": 1}, **changed}
        reply = consume(client, funded, 5, key="k-meta", **body)
        assert reply.status == 409 and reply.json()["error"]["code"] == "idempotency_key_reused"
    assert ledger_matches_wallet(funded["user"]["id"]) == (95, 95)


def test_the_key_may_come_as_a_header(client: Client, funded: dict[str, Any]) -> None:
    headers = {"Idempotency-Key": "from-header"}
    first = client.post(CONSUME, {"amount": 5}, token=funded["access_token"], headers=headers)
    second = client.post(CONSUME, {"amount": 5}, token=funded["access_token"], headers=headers)
    assert first.status == second.status == 200
    assert first.json()["transaction"]["id"] == second.json()["transaction"]["id"]
    assert client.post(CONSUME, {"amount": 5}, token=funded["access_token"]).status == 422  # no key at all
    clash = client.post(
        CONSUME, {"amount": 5, "idempotency_key": "a"}, token=funded["access_token"], headers={"Idempotency-Key": "b"}
    )
    assert clash.status == 422


@pytest.mark.parametrize("amount", [1.5, 1.0, "5", True, 0, -3, None])
def test_consume_amount_must_be_a_positive_integer(client: Client, funded: dict[str, Any], amount: Any) -> None:
    reply = consume(client, funded, amount)
    assert reply.status == 422
    assert reply.json()["error"]["details"][0]["field"] == "amount"
    assert ledger_matches_wallet(funded["user"]["id"]) == (100, 100)


# --- refunds -------------------------------------------------------------------------------------


def test_refunds_never_exceed_the_usage(client: Client, funded: dict[str, Any]) -> None:
    usage = consume(client, funded, 30).json()["transaction"]
    partial = client.post(REFUND, {"transaction_id": usage["id"], "amount": 10}, token=funded["access_token"])
    assert partial.status == 200
    assert partial.json()["transaction"]["transaction_type"] == "refund"
    assert partial.json()["transaction"]["reference_id"] == usage["id"]
    assert partial.json()["balance"] == 80
    beyond = client.post(REFUND, {"transaction_id": usage["id"], "amount": 21}, token=funded["access_token"])
    assert beyond.status == 409 and beyond.json()["error"]["code"] == "refund_exceeds_usage"
    rest = client.post(REFUND, {"transaction_id": usage["id"]}, token=funded["access_token"])
    assert rest.status == 200 and rest.json()["transaction"]["amount"] == 20
    again = client.post(REFUND, {"transaction_id": usage["id"]}, token=funded["access_token"])  # nothing left
    assert again.status == 200 and again.json()["transaction"]["id"] == rest.json()["transaction"]["id"]
    assert ("idempotent-replayed", "true") in again.headers
    more = client.post(REFUND, {"transaction_id": usage["id"], "amount": 1}, token=funded["access_token"])
    assert more.status == 409 and more.json()["error"]["code"] == "refund_exceeds_usage"
    assert ledger_matches_wallet(funded["user"]["id"]) == (100, 100)


def test_a_retried_refund_without_a_key_credits_once(client: Client, funded: dict[str, Any]) -> None:
    usage = consume(client, funded, 30).json()["transaction"]
    body = {"transaction_id": usage["id"], "amount": 5}
    first = client.post(REFUND, body, token=funded["access_token"])
    again = client.post(REFUND, body, token=funded["access_token"])  # a retry after a lost answer
    assert first.status == again.status == 200
    assert again.json()["transaction"]["id"] == first.json()["transaction"]["id"]
    assert ("idempotent-replayed", "true") in again.headers
    assert again.json()["balance"] == 75
    # a second refund of the same size is a new request only under a key of its own
    keyed = client.post(REFUND, body, token=funded["access_token"], headers={"Idempotency-Key": "second-5"})
    assert keyed.status == 200 and keyed.json()["balance"] == 80
    assert ledger_matches_wallet(funded["user"]["id"]) == (80, 80)


def test_a_user_cannot_refund_what_the_service_metered(
    client: Client, admin: dict[str, Any], funded: dict[str, Any]
) -> None:
    key = client.post("/api/v1/admin/api-keys", {"name": "metering"}, token=admin["access_token"]).json()["key"]
    service = f"/api/v1/service/users/{funded['user']['id']}/tokens"
    metered = client.post(f"{service}/consume", {"amount": 60, "idempotency_key": "svc-60"}, token=key)
    assert metered.status == 200 and metered.json()["transaction"]["amount"] == -60
    usage_id = metered.json()["transaction"]["id"]
    mine = client.post(REFUND, {"transaction_id": usage_id}, token=funded["access_token"])
    assert mine.status == 403 and mine.json()["error"]["code"] == "forbidden"
    assert ledger_matches_wallet(funded["user"]["id"]) == (40, 40)
    theirs = client.post(f"{service}/refund", {"transaction_id": usage_id, "amount": 10}, token=key)
    assert theirs.status == 200 and theirs.json()["balance"] == 50
    own = consume(client, funded, 5).json()["transaction"]  # what the user metered, the user may refund
    assert client.post(REFUND, {"transaction_id": own["id"]}, token=funded["access_token"]).status == 200


def test_refund_with_an_idempotency_key_credits_once(client: Client, funded: dict[str, Any]) -> None:
    usage = consume(client, funded, 30).json()["transaction"]
    headers = {"Idempotency-Key": "refund-1"}
    first = client.post(
        REFUND, {"transaction_id": usage["id"], "amount": 5}, token=funded["access_token"], headers=headers
    )
    again = client.post(
        REFUND, {"transaction_id": usage["id"], "amount": 5}, token=funded["access_token"], headers=headers
    )
    assert first.json()["transaction"]["id"] == again.json()["transaction"]["id"]
    assert again.json()["balance"] == 75


def test_refund_of_something_else(client: Client, funded: dict[str, Any], user: dict[str, Any]) -> None:
    usage = consume(client, funded, 10).json()["transaction"]
    # another user's transaction does not exist for this caller
    assert client.post(REFUND, {"transaction_id": usage["id"]}, token=user["access_token"]).status == 404
    bonus = client.get("/api/v1/user/tokens/transactions?type=bonus", token=funded["access_token"]).json()
    not_usage = client.post(REFUND, {"transaction_id": bonus["items"][0]["id"]}, token=funded["access_token"])
    assert not_usage.status == 422
    assert client.post(REFUND, {"transaction_id": "nope"}, token=funded["access_token"]).status == 422


# --- admin grants ----------------------------------------------------------------------------------


def test_admin_grants_and_adjustments_never_go_negative(
    client: Client, admin: dict[str, Any], funded: dict[str, Any]
) -> None:
    path = f"/api/v1/admin/users/{funded['user']['id']}/tokens"
    token = admin["access_token"]
    down = client.post(path, {"amount": -60, "reason": "correction", "idempotency_key": "adj-1"}, token=token)
    assert down.status == 200 and down.json()["transaction"]["transaction_type"] == "adjustment"
    assert down.json()["balance"] == 40
    negative = client.post(path, {"amount": -41, "reason": "too far", "idempotency_key": "adj-2"}, token=token)
    assert negative.status == 409 and negative.json()["error"]["code"] == "negative_balance"
    again = client.post(path, {"amount": -60, "reason": "correction", "idempotency_key": "adj-1"}, token=token)
    assert again.json()["transaction"]["id"] == down.json()["transaction"]["id"] and again.json()["balance"] == 40
    assert client.post(path, {"amount": 0, "reason": "x", "idempotency_key": "z"}, token=token).status == 422
    unknown = "/api/v1/admin/users/01900000-0000-7000-8000-00000000ffff/tokens"
    assert client.post(unknown, {"amount": 5, "reason": "x", "idempotency_key": "u"}, token=token).status == 404
    assert ledger_matches_wallet(funded["user"]["id"]) == (40, 40)


# --- history ---------------------------------------------------------------------------------------


def test_history_is_newest_first_paginated_and_filtered(client: Client, funded: dict[str, Any]) -> None:
    for amount in (1, 2, 3):
        consume(client, funded, amount)
    token = funded["access_token"]
    first = client.get("/api/v1/user/tokens/transactions?limit=2", token=token).json()
    second = client.get(f"/api/v1/user/tokens/transactions?limit=2&cursor={first['next_cursor']}", token=token).json()
    amounts = [item["amount"] for item in first["items"] + second["items"]]
    assert amounts == [-3, -2, -1, 100]
    assert second["next_cursor"] is None
    assert [item["balance_after"] for item in first["items"] + second["items"]] == [94, 97, 99, 100]
    usage = client.get("/api/v1/user/tokens/transactions?type=usage", token=token).json()
    assert {item["transaction_type"] for item in usage["items"]} == {"usage"} and len(usage["items"]) == 3
    assert client.get("/api/v1/user/tokens/transactions?type=bogus", token=token).status == 422
    future = client.get("/api/v1/user/tokens/transactions?from=2999-01-01T00:00:00Z", token=token).json()
    assert future["items"] == []
    past = client.get("/api/v1/user/tokens/transactions?to=2000-01-01T00:00:00Z", token=token).json()
    assert past["items"] == []
    window = client.get(
        "/api/v1/user/tokens/transactions?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z", token=token
    ).json()
    assert len(window["items"]) == 4
    assert client.get("/api/v1/user/tokens/transactions?limit=500", token=token).status == 422


def test_history_as_csv(client: Client, funded: dict[str, Any]) -> None:
    consume(client, funded, 7, description='=HYPERLINK("evil")')
    token = funded["access_token"]
    reply = client.get("/api/v1/user/tokens/transactions?format=csv&limit=1", token=token)
    assert reply.status == 200
    headers = dict(reply.headers)
    assert headers["content-type"].startswith("text/csv")
    lines = reply.body.decode().splitlines()
    assert lines[0] == "id,created_at,transaction_type,amount,balance_after,reference_id,description"
    assert len(lines) == 2 and ",usage,-7,93," in lines[1]
    assert "'=HYPERLINK" in lines[1]  # no formula injection into spreadsheets
    assert headers.get("x-next-cursor")
    accepted = client.get("/api/v1/user/tokens/transactions", token=token, headers={"Accept": "text/csv"})
    assert accepted.body.decode().count("\r\n") == 3  # header + 2 entries


# --- concurrency (then reconciliation) -------------------------------------------------------------


def test_100_concurrent_consumes_of_1_against_50(client: Client, admin: dict[str, Any]) -> None:
    user = register(client)
    fund(client, admin, user["user"]["id"], 50)
    token_service.hints.clear()
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda _: consume(client, user, 1).status, range(100)))
    assert statuses.count(200) == 50
    assert statuses.count(402) == 50
    assert ledger_matches_wallet(user["user"]["id"]) == (0, 0)


def test_20_concurrent_consumes_with_one_key_debit_once(client: Client, funded: dict[str, Any]) -> None:
    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(lambda _: consume(client, funded, 5, key="one-key"), range(20)))
    assert {r.status for r in replies} == {200}
    assert len({r.json()["transaction"]["id"] for r in replies}) == 1
    assert ledger_matches_wallet(funded["user"]["id"]) == (95, 95)


def test_consumes_racing_a_refund_and_a_grant_stay_reconciled(
    client: Client, admin: dict[str, Any], funded: dict[str, Any]
) -> None:
    usage = consume(client, funded, 20).json()["transaction"]
    user_id = funded["user"]["id"]

    def work(i: int) -> int:
        if i == 5:
            return client.post(REFUND, {"transaction_id": usage["id"]}, token=funded["access_token"]).status
        if i == 10:
            return client.post(
                f"/api/v1/admin/users/{user_id}/tokens",
                {"amount": 25, "reason": "race", "idempotency_key": "race-grant"},
                token=admin["access_token"],
            ).status
        return int(consume(client, funded, 3).status)

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(work, range(30)))
    assert statuses[5] == 200 and statuses[10] == 200
    successes = sum(1 for i, s in enumerate(statuses) if i not in (5, 10) and s == 200)
    balance, total = ledger_matches_wallet(user_id)
    assert balance == total == 100 - 20 + 20 + 25 - 3 * successes


def test_reconcile_passes_after_the_concurrency_tests(db: dict[str, str]) -> None:
    out = io.StringIO()
    assert reconcile.reconcile(out) == 0, out.getvalue()
    assert "0 mismatch" in out.getvalue()


def test_reconcile_reports_a_mismatch(client: Client, admin: dict[str, Any], fresh_db: dict[str, str]) -> None:
    from vbwd.services import users

    users.ensure_admin("admin@example.com", "admin-password-for-tests")
    login = client.post("/api/v1/auth/login", {"email": "admin@example.com", "password": "admin-password-for-tests"})
    user = register(client)
    fund(client, login.json(), user["user"]["id"], 10)
    record = token_store.WalletRecord(user["user"]["id"])
    record.update(actions=[token_store.WalletRecord.balance.set(11)])  # corrupt it behind the ledger's back
    out = io.StringIO()
    assert reconcile.reconcile(out) == 1
    assert f"MISMATCH user={user['user']['id']} balance=11" in out.getvalue()
