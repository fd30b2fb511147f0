"""DynamoDB Local never cancels a transaction for a conflict (TransactionConflict): it serialises them.
Here the first commits of a money path are made to fail that way, as DynamoDB does under contention, and
the path must retry to the one outcome it would have had: paid once, debited once, refunded once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import Client, register
from tests.integration.shop import balance, checkout, invoice, make_bundle, pay_manually
from tests.integration.test_tokens import consume, fund, ledger_matches_wallet
from vbwd.domain.errors import CancelReason, TransactionCancelled
from vbwd.store.tx import Transaction


@pytest.fixture
def contended(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The next two commits are cancelled for a conflict on every item they hold; then commits go through."""
    real = Transaction.commit
    left = [2]

    def commit(self: Transaction, *args: Any, **kwargs: Any) -> Any:
        if left[0] > 0:
            left[0] -= 1
            raise TransactionCancelled({"wallet": CancelReason("TransactionConflict")})
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Transaction, "commit", commit)
    return left


def test_a_debit_retries_through_contention(client: Client, admin: dict[str, Any], contended: list[int]) -> None:
    contended[0] = 0
    user = register(client)
    fund(client, admin, user["user"]["id"], 100)
    contended[0] = 2
    reply = consume(client, user, 30)
    assert reply.status == 200 and reply.json()["balance"] == 70
    assert contended[0] == 0  # both conflicts were met and retried
    assert ledger_matches_wallet(user["user"]["id"]) == (70, 70)


def test_a_capture_retries_through_contention(client: Client, admin: dict[str, Any], contended: list[int]) -> None:
    contended[0] = 0
    user = register(client)
    placed = checkout(client, user, bundles=[make_bundle(client, admin)["id"]])
    contended[0] = 2
    reply = pay_manually(client, admin, placed["invoice"], reference=f"PAY-{uuid.uuid4().hex[:8]}")
    assert reply.status == 200 and reply.json()["status"] == "paid"
    assert contended[0] == 0
    assert invoice(client, user, placed["invoice"]["id"])["status"] == "paid"
    assert balance(client, user) == 1000
    assert ledger_matches_wallet(user["user"]["id"]) == (1000, 1000)


def test_a_refund_retries_through_contention(client: Client, admin: dict[str, Any], contended: list[int]) -> None:
    contended[0] = 0
    user = register(client)
    placed = checkout(client, user, bundles=[make_bundle(client, admin)["id"]])
    assert pay_manually(client, admin, placed["invoice"]).status == 200
    contended[0] = 2
    reply = client.post(
        f"/api/v1/admin/invoices/{placed['invoice']['id']}/refund", {"reason": "asked"}, token=admin["access_token"]
    )
    assert reply.status == 200 and reply.json()["status"] == "refunded"
    assert contended[0] == 0
    assert balance(client, user) == 0
    assert ledger_matches_wallet(user["user"]["id"]) == (0, 0)
