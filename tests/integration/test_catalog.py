"""The catalog against DynamoDB Local, through the real handlers."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from local import ddb
from local.runner import Reply
from tests.conftest import Client
from vbwd.domain.enums import CatalogKind
from vbwd.domain.ids import new_id
from vbwd.services import catalog
from vbwd.store import catalog as catalog_store

ADMIN = "/api/v1/admin"
UNKNOWN_ID = "01900000-0000-7000-8000-000000000099"


def _token(admin: dict[str, Any]) -> str:
    return str(admin["access_token"])


def _create(client: Client, admin: dict[str, Any], route: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = client.post(f"{ADMIN}/{route}", body, token=_token(admin))
    assert reply.status == 201, reply.body
    return dict(reply.json())


def _bundle(client: Client, admin: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"name": f"Bundle {new_id()[-6:]}", "token_amount": 1000, "price": "5.00", **fields}
    return _create(client, admin, "token-bundles", body)


def _plan(client: Client, admin: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"name": f"Plan {new_id()[-8:]}", "price": "9.00", "billing_period": "monthly", **fields}
    return _create(client, admin, "tarif-plans", body)


def _header(reply: Reply, name: str) -> str | None:
    return next((value for key, value in reply.headers if key == name.lower()), None)


def _error(reply: Reply) -> str:
    return str(reply.json()["error"]["code"])


def _fields(reply: Reply) -> set[str]:
    return {detail["field"] for detail in reply.json()["error"]["details"]}


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Switch threads every few microseconds instead of every 5 ms: races interleave differently each run."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


# --- CRUD -------------------------------------------------------------------------------------------


def test_token_bundle_crud(client: Client, admin: dict[str, Any]) -> None:
    token = _token(admin)
    created = client.post(
        f"{ADMIN}/token-bundles",
        {"name": "1000 Tokens", "description": "Starter token pack", "token_amount": 1000, "price": 5, "sort_order": 1},
        token=token,
    )
    assert created.status == 201, created.body
    bundle = created.json()
    assert bundle["price"] == "5.00" and bundle["currency"] == "USD"
    assert bundle["token_amount"] == 1000 and bundle["is_active"] is True and bundle["version"] == 1
    assert bundle["created_at"] == bundle["updated_at"]
    assert set(bundle) == {
        "id",
        "name",
        "description",
        "token_amount",
        "price",
        "currency",
        "is_active",
        "sort_order",
        "created_at",
        "updated_at",
        "version",
    }
    assert _header(created, "etag") == '"1"'
    path = f"{ADMIN}/token-bundles/{bundle['id']}"

    fetched = client.get(path, token=token)
    assert fetched.status == 200 and fetched.json() == bundle and _header(fetched, "etag") == '"1"'

    updated = client.put(path, {"price": "4.50", "description": None}, token=token)
    assert updated.status == 200, updated.body
    assert updated.json()["price"] == "4.50" and updated.json()["description"] is None
    assert updated.json()["name"] == "1000 Tokens" and updated.json()["token_amount"] == 1000  # partial
    assert updated.json()["version"] == 2 and _header(updated, "etag") == '"2"'
    assert client.get(path, token=token).json() == updated.json()

    assert client.delete(path, token=token).status == 204
    assert client.get(path, token=token).status == 404
    assert client.delete(path, token=token).status == 404
    assert client.put(path, {"name": "Gone"}, token=token).status == 404


def test_tarif_plan_create_derives_the_slug_and_defaults(client: Client, admin: dict[str, Any]) -> None:
    suffix = new_id()[-8:]
    reply = client.post(
        f"{ADMIN}/tarif-plans",
        {
            "name": f"  Pro Plan {suffix}  ",
            "price": "29.00",
            "billing_period": "monthly",
            "included_tokens": 10000,
            "features": ["Priority queue", "Email support"],
        },
        token=_token(admin),
    )
    assert reply.status == 201, reply.body
    plan = reply.json()
    assert plan["name"] == f"Pro Plan {suffix}"
    assert plan["slug"] == f"pro-plan-{suffix}"
    assert plan["currency"] == "USD" and plan["price"] == "29.00"
    assert plan["trial_days"] == 0 and plan["included_tokens"] == 10000
    assert plan["features"] == ["Priority queue", "Email support"]
    assert plan["billing_period"] == "monthly" and plan["is_active"] is True and plan["sort_order"] == 0


def test_duplicate_slug_is_409_on_create_and_on_slug_change(client: Client, admin: dict[str, Any]) -> None:
    token = _token(admin)
    first = _plan(client, admin, slug=f"gold-{new_id()[-8:]}")
    taken = client.post(
        f"{ADMIN}/tarif-plans",
        {"name": "Another", "slug": first["slug"], "price": "1.00", "billing_period": "yearly"},
        token=token,
    )
    assert taken.status == 409 and _error(taken) == "slug_taken"

    second = _plan(client, admin)
    change = client.put(f"{ADMIN}/tarif-plans/{second['id']}", {"slug": first["slug"]}, token=token)
    assert change.status == 409 and _error(change) == "slug_taken"
    assert client.get(f"{ADMIN}/tarif-plans/{second['id']}", token=token).json()["version"] == 1  # nothing written

    # moving a slug frees the old one; deleting a plan frees its slug
    renamed = client.put(f"{ADMIN}/tarif-plans/{first['id']}", {"slug": f"{first['slug']}-x"}, token=token)
    assert renamed.status == 200 and renamed.json()["slug"] == f"{first['slug']}-x"
    assert _plan(client, admin, slug=first["slug"])["slug"] == first["slug"]
    assert client.delete(f"{ADMIN}/tarif-plans/{first['id']}", token=token).status == 204
    assert _plan(client, admin, slug=f"{first['slug']}-x")["slug"] == f"{first['slug']}-x"


def test_plan_currency_change_keeps_the_amount_and_refuses_what_does_not_fit(
    client: Client, admin: dict[str, Any]
) -> None:
    token = _token(admin)
    plan = _plan(client, admin, price="5.50", currency="eur")
    assert plan["currency"] == "EUR" and plan["price"] == "5.50"
    path = f"{ADMIN}/tarif-plans/{plan['id']}"
    moved = client.put(path, {"currency": "GBP"}, token=token)
    assert moved.status == 200 and (moved.json()["currency"], moved.json()["price"]) == ("GBP", "5.50")
    refused = client.put(path, {"currency": "JPY"}, token=token)  # yen has no minor unit
    assert refused.status == 422 and _fields(refused) == {"price"}
    assert client.put(path, {"currency": "JPY", "price": 550}, token=token).json()["price"] == "550"
    three = client.put(path, {"price": "1.005"}, token=token)  # the plan is in JPY now: checked by the service
    assert three.status == 422 and _fields(three) == {"price"}


def test_add_on_crud_and_its_billing_periods(client: Client, admin: dict[str, Any]) -> None:
    token = _token(admin)
    weekly = client.post(
        f"{ADMIN}/addons", {"name": "Support", "price": "5.00", "billing_period": "weekly"}, token=token
    )
    assert weekly.status == 422 and _fields(weekly) == {"billing_period"}
    add_on = _create(client, admin, "addons", {"name": "Support", "price": "5.00", "billing_period": "monthly"})
    assert (add_on["billing_period"], add_on["price"], add_on["currency"]) == ("monthly", "5.00", "USD")
    path = f"{ADMIN}/addons/{add_on['id']}"
    assert client.put(path, {"billing_period": "quarterly"}, token=token).status == 422
    assert client.put(path, {"billing_period": "yearly"}, token=token).json()["billing_period"] == "yearly"
    assert client.delete(path, token=token).status == 204


def test_validation_errors_through_the_handlers(client: Client, admin: dict[str, Any]) -> None:
    token = _token(admin)
    bad = client.post(
        f"{ADMIN}/token-bundles",
        {"name": " ", "token_amount": 10.5, "price": "5.001", "id": new_id(), "version": 3},
        token=token,
    )
    assert bad.status == 422 and _error(bad) == "validation_error"
    assert _fields(bad) == {"name", "token_amount", "price", "id", "version"}
    bundle = _bundle(client, admin)
    empty = client.put(f"{ADMIN}/token-bundles/{bundle['id']}", {}, token=token)
    assert empty.status == 422
    assert client.put(f"{ADMIN}/token-bundles/{bundle['id']}", {"created_at": "x"}, token=token).status == 422
    assert client.put(f"{ADMIN}/token-bundles/{bundle['id']}", {"name": None}, token=token).status == 422
    assert client.get(f"{ADMIN}/token-bundles/not-a-uuid", token=token).status == 422
    assert client.get(f"{ADMIN}/token-bundles?per_page=101", token=token).status == 422
    assert client.get(f"{ADMIN}/token-bundles?page=0", token=token).status == 422


def test_an_item_is_only_found_under_its_own_kind(client: Client, admin: dict[str, Any]) -> None:
    token = _token(admin)
    plan = _plan(client, admin)
    assert client.get(f"{ADMIN}/token-bundles/{plan['id']}", token=token).status == 404
    assert client.put(f"{ADMIN}/addons/{plan['id']}", {"name": "x"}, token=token).status == 404
    assert client.delete(f"{ADMIN}/token-bundles/{plan['id']}", token=token).status == 404
    assert client.get(f"/api/v1/addons/{plan['id']}").status == 404
    assert client.get(f"{ADMIN}/tarif-plans/{UNKNOWN_ID}", token=token).status == 404


# --- lists --------------------------------------------------------------------------------------------


def test_admin_list_pages_in_display_order(client: Client, fresh_db: dict[str, str], admin: dict[str, Any]) -> None:
    token = _token(admin)
    specs = [(2, "beta"), (1, "Zulu"), (1, "alpha"), (0, "Omega"), (2, "Alpha"), (1, "mike"), (0, "delta")]
    for sort_order, name in specs:
        _bundle(client, admin, name=name, sort_order=sort_order)
    expected = [name for _, name in sorted(specs, key=lambda spec: (spec[0], spec[1].casefold()))]

    seen: list[str] = []
    for page in (1, 2, 3):
        reply = client.get(f"{ADMIN}/token-bundles?page={page}&per_page=3", token=token)
        assert reply.status == 200
        body = reply.json()
        assert (body["total"], body["pages"], body["page"], body["per_page"]) == (7, 3, page, 3)
        assert len(body["items"]) == (3 if page < 3 else 1)
        seen += [item["name"] for item in body["items"]]
    assert seen[:2] == ["delta", "Omega"] and seen[2:5] == ["alpha", "mike", "Zulu"]
    assert seen == expected
    beyond = client.get(f"{ADMIN}/token-bundles?page=4&per_page=3", token=token).json()
    assert beyond["items"] == [] and beyond["total"] == 7
    default = client.get(f"{ADMIN}/token-bundles", token=token).json()
    assert (default["page"], default["per_page"], default["pages"], len(default["items"])) == (1, 20, 1, 7)
    # the other kinds' lists are their own
    assert client.get(f"{ADMIN}/tarif-plans", token=token).json()["total"] == 0


def test_include_inactive_and_the_public_lists(client: Client, fresh_db: dict[str, str], admin: dict[str, Any]) -> None:
    token = _token(admin)
    kept = _plan(client, admin, name="Kept", sort_order=2)
    hidden = _plan(client, admin, name="Hidden", sort_order=1)
    dormant = _plan(client, admin, name="Dormant", is_active=False)
    off = client.post(f"{ADMIN}/tarif-plans/{hidden['id']}/deactivate", token=token)
    assert off.status == 200 and off.json()["is_active"] is False and off.json()["version"] == 2

    active = client.get(f"{ADMIN}/tarif-plans", token=token).json()
    assert [item["id"] for item in active["items"]] == [kept["id"]] and active["total"] == 1
    everything = client.get(f"{ADMIN}/tarif-plans?include_inactive=true", token=token).json()
    assert [item["id"] for item in everything["items"]] == [dormant["id"], hidden["id"], kept["id"]]

    public = client.get("/api/v1/tarif-plans")
    assert public.status == 200 and _header(public, "cache-control") == "public, max-age=60"
    assert [item["id"] for item in public.json()["items"]] == [kept["id"]]
    assert "version" not in public.json()["items"][0] and "is_active" not in public.json()["items"][0]
    assert client.get(f"/api/v1/tarif-plans/{hidden['id']}").status == 404
    assert client.get(f"/api/v1/tarif-plans/{kept['id']}").json()["slug"] == kept["slug"]

    again = client.post(f"{ADMIN}/tarif-plans/{hidden['id']}/deactivate", token=token)
    assert again.status == 200 and again.json()["version"] == 2  # already off: nothing written
    on = client.post(f"{ADMIN}/tarif-plans/{hidden['id']}/activate", token=token)
    assert on.status == 200 and on.json()["is_active"] is True and on.json()["version"] == 3
    assert [item["id"] for item in client.get("/api/v1/tarif-plans").json()["items"]] == [hidden["id"], kept["id"]]
    assert client.get(f"/api/v1/tarif-plans/{hidden['id']}").status == 200


# --- the delete guard ---------------------------------------------------------------------------------


def _reference(billing_table: str, catalog_item_id: str) -> None:
    """What the checkout will write: a purchase that names the catalog item it sold."""
    ddb.client(os.environ["DYNAMODB_ENDPOINT"]).put_item(
        TableName=billing_table,
        Item={
            "pk": {"S": f"PURCHASE#{new_id()}"},
            "sk": {"S": "PURCHASE"},
            "catalog_item_id": {"S": catalog_item_id},
        },
    )


def test_a_referenced_item_cannot_be_deleted(client: Client, db: dict[str, str], admin: dict[str, Any]) -> None:
    token = _token(admin)
    sold, unsold = _bundle(client, admin), _bundle(client, admin)
    _reference(db["BillingTable"], sold["id"])
    refused = client.delete(f"{ADMIN}/token-bundles/{sold['id']}", token=token)
    assert refused.status == 409 and _error(refused) == "in_use"
    assert "deactivate" in refused.json()["error"]["message"]
    assert client.get(f"{ADMIN}/token-bundles/{sold['id']}", token=token).status == 200
    assert client.post(f"{ADMIN}/token-bundles/{sold['id']}/deactivate", token=token).status == 200

    assert client.delete(f"{ADMIN}/token-bundles/{unsold['id']}", token=token).status == 204
    assert client.get(f"{ADMIN}/token-bundles/{unsold['id']}", token=token).status == 404


def test_a_referenced_plan_keeps_its_slug(client: Client, db: dict[str, str], admin: dict[str, Any]) -> None:
    plan = _plan(client, admin)
    _reference(db["BillingTable"], plan["id"])
    assert client.delete(f"{ADMIN}/tarif-plans/{plan['id']}", token=_token(admin)).status == 409
    assert catalog_store.slug_owner(plan["slug"]) == plan["id"]


# --- optimistic concurrency ---------------------------------------------------------------------------


def test_a_stale_version_is_409_in_the_body_and_in_if_match(client: Client, admin: dict[str, Any]) -> None:
    token = _token(admin)
    bundle = _bundle(client, admin)
    path = f"{ADMIN}/token-bundles/{bundle['id']}"
    assert client.put(path, {"name": "First", "version": 1}, token=token).json()["version"] == 2

    stale = client.put(path, {"name": "Lost", "version": 1}, token=token)
    assert stale.status == 409 and _error(stale) == "version_conflict"
    stale_header = client.put(path, {"name": "Lost"}, token=token, headers={"if-match": '"1"'})
    assert stale_header.status == 409 and _error(stale_header) == "version_conflict"
    assert client.get(path, token=token).json()["name"] == "First"  # never silently overwritten

    assert client.put(path, {"name": "Second"}, token=token, headers={"if-match": '"2"'}).status == 200
    assert client.put(path, {"name": "Third"}, token=token, headers={"if-match": "3"}).json()["version"] == 4
    disagree = client.put(path, {"name": "X", "version": 4}, token=token, headers={"if-match": '"3"'})
    assert disagree.status == 409 and _error(disagree) == "version_conflict"
    garbage = client.put(path, {"name": "X"}, token=token, headers={"if-match": '"abc"'})
    assert garbage.status == 422 and _fields(garbage) == {"If-Match"}

    off = client.post(f"{path}/deactivate", {"version": 3}, token=token)
    assert off.status == 409 and _error(off) == "version_conflict"
    off_header = client.post(f"{path}/deactivate", token=token, headers={"if-match": '"3"'})
    assert off_header.status == 409
    assert client.post(f"{path}/deactivate", {"version": 4}, token=token).json()["is_active"] is False
    assert client.post(f"{path}/activate", token=token, headers={"if-match": '"5"'}).json()["version"] == 6


@pytest.mark.usefixtures("frequent_thread_switches")
def test_concurrent_updates_with_one_version_have_exactly_one_winner(client: Client, admin: dict[str, Any]) -> None:
    token = _token(admin)
    bundle = _bundle(client, admin)
    path = f"{ADMIN}/token-bundles/{bundle['id']}"
    start = threading.Barrier(8)

    def attempt(index: int) -> Reply:
        start.wait()
        return client.put(path, {"name": f"Writer {index}", "version": 1}, token=token)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(attempt, range(8)))
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [200] + [409] * 7
    assert all(_error(reply) == "version_conflict" for reply in replies if reply.status == 409)
    (winner,) = [reply.json() for reply in replies if reply.status == 200]
    assert client.get(path, token=token).json() == winner and winner["version"] == 2


@pytest.mark.usefixtures("frequent_thread_switches")
def test_concurrent_unversioned_updates_all_apply(client: Client, admin: dict[str, Any]) -> None:
    token = _token(admin)
    plan = _plan(client, admin)
    path = f"{ADMIN}/tarif-plans/{plan['id']}"
    changes: list[dict[str, Any]] = [
        {"name": "Renamed"},
        {"description": "Now described"},
        {"sort_order": 7},
        {"trial_days": 30},
        {"features": ["One", "Two"]},
        {"slug": f"{plan['slug']}-moved"},
    ]
    start = threading.Barrier(len(changes))

    def attempt(change: dict[str, Any]) -> Reply:
        start.wait()
        return client.put(path, change, token=token)

    with ThreadPoolExecutor(len(changes)) as pool:
        replies = list(pool.map(attempt, changes))
    assert [reply.status for reply in replies] == [200] * len(changes), [r.body for r in replies]
    final = client.get(path, token=token).json()
    for change in changes:
        assert {name: final[name] for name in change} == change, final  # no update was lost
    assert final["version"] == 1 + len(changes)


# --- the checkout's view and the demo seed ------------------------------------------------------------


def test_store_reads_for_the_checkout(client: Client, admin: dict[str, Any]) -> None:
    plan, bundle = _plan(client, admin, included_tokens=500), _bundle(client, admin, token_amount=250)
    found = catalog_store.get_many([plan["id"], bundle["id"], UNKNOWN_ID, plan["id"]])
    assert set(found) == {plan["id"], bundle["id"]}
    assert found[plan["id"]].kind is CatalogKind.TARIFF_PLAN and found[plan["id"]].included_tokens == 500
    assert found[bundle["id"]].token_amount == 250 and found[bundle["id"]].price_minor == 500
    single = catalog_store.get(bundle["id"])
    assert single is not None and single == found[bundle["id"]]
    assert catalog_store.get(UNKNOWN_ID) is None
    assert catalog_store.get_many([]) == {}


def test_seed_demo_applies_once(client: Client, fresh_db: dict[str, str], admin: dict[str, Any]) -> None:
    assert catalog.seed_demo() is True
    assert catalog.seed_demo() is False
    plans = client.get("/api/v1/tarif-plans").json()["items"]
    bundles = client.get("/api/v1/token-bundles").json()["items"]
    add_ons = client.get("/api/v1/addons").json()["items"]
    assert [(p["name"], p["price"], p["included_tokens"]) for p in plans] == [
        ("Starter", "9.00", 1000),
        ("Pro", "29.00", 10000),
    ]
    assert [(b["name"], b["price"], b["token_amount"]) for b in bundles] == [
        ("1000 Tokens", "5.00", 1000),
        ("10000 Tokens", "50.00", 10000),
    ]
    assert [(a["name"], a["billing_period"]) for a in add_ons] == [("Priority Support", "monthly")]

    # deleted by an admin: seeding again does not bring it back
    token = _token(admin)
    assert client.delete(f"{ADMIN}/addons/{add_ons[0]['id']}", token=token).status == 204
    assert catalog.seed_demo() is False
    assert client.get("/api/v1/addons").json()["items"] == []
    assert len(client.get("/api/v1/tarif-plans").json()["items"]) == 2


def test_seed_demo_leaves_an_admin_plan_with_a_demo_slug_alone(fresh_db: dict[str, str]) -> None:
    mine = catalog.create(
        CatalogKind.TARIFF_PLAN, name="My Starter", slug="starter", price=Decimal(5), billing_period="yearly"
    )
    assert catalog.seed_demo() is True
    plans = catalog.list_public(CatalogKind.TARIFF_PLAN)
    assert [plan.slug for plan in plans] == ["starter", "pro"] and plans[0].id == mine.id
    assert len(catalog.list_public(CatalogKind.TOKEN_BUNDLE)) == 2


@pytest.mark.parametrize("route", ["tarif-plans", "token-bundles", "addons"])
def test_unknown_ids_are_404_on_every_admin_route(client: Client, admin: dict[str, Any], route: str) -> None:
    token = _token(admin)
    path = f"{ADMIN}/{route}/{UNKNOWN_ID}"
    assert client.get(path, token=token).status == 404
    assert client.put(path, {"name": "x"}, token=token).status == 404
    assert client.delete(path, token=token).status == 404
    assert client.post(f"{path}/activate", token=token).status == 404
    assert client.post(f"{path}/deactivate", token=token).status == 404
    assert client.get(f"/api/v1/{route}/{UNKNOWN_ID}").status == 404
