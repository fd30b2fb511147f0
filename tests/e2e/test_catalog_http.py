"""The catalog over HTTP through the local runner: who may call what, and what the public sees."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Http

ITEM = "01900000-0000-7000-8000-000000000001"
KINDS = ["tarif-plans", "token-bundles", "addons"]
ADMIN_ROUTES = [
    (method, path.format(kind=kind, id=ITEM))
    for kind in KINDS
    for method, path in [
        ("GET", "/api/v1/admin/{kind}"),
        ("POST", "/api/v1/admin/{kind}"),
        ("GET", "/api/v1/admin/{kind}/{id}"),
        ("PUT", "/api/v1/admin/{kind}/{id}"),
        ("DELETE", "/api/v1/admin/{kind}/{id}"),
        ("POST", "/api/v1/admin/{kind}/{id}/activate"),
        ("POST", "/api/v1/admin/{kind}/{id}/deactivate"),
    ]
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_catalog_routes_refuse_anonymous_callers_and_users(
    runner: Http, user: dict[str, Any], method: str, path: str
) -> None:
    body = {"name": "x"} if method in {"POST", "PUT"} else None
    assert runner.call(method, path, json=body).status_code == 401
    assert runner.call(method, path, json=body, token=user["access_token"]).status_code == 403


@pytest.mark.parametrize("kind", KINDS)
def test_admin_catalog_routes_serve_admins(runner: Http, admin_token: str, kind: str) -> None:
    listed = runner.get(f"/api/v1/admin/{kind}?include_inactive=true&per_page=100", token=admin_token)
    assert listed.status_code == 200
    assert set(listed.json()) == {"items", "total", "page", "per_page", "pages"}
    assert runner.get(f"/api/v1/admin/{kind}/{ITEM}", token=admin_token).status_code == 404


def test_the_demo_catalog_is_seeded_and_public(runner: Http) -> None:
    plans = runner.get("/api/v1/tarif-plans")
    assert plans.status_code == 200
    names = [plan["name"] for plan in plans.json()["items"]]
    assert "Starter" in names and "Pro" in names
    bundles = {b["name"]: (b["price"], b["token_amount"]) for b in runner.get("/api/v1/token-bundles").json()["items"]}
    assert bundles["1000 Tokens"] == ("5.00", 1000) and bundles["10000 Tokens"] == ("50.00", 10000)
    assert "Priority Support" in [a["name"] for a in runner.get("/api/v1/addons").json()["items"]]


def test_public_lists_hide_inactive_items(runner: Http, admin_token: str) -> None:
    created = runner.post(
        "/api/v1/admin/token-bundles",
        json={"name": "E2E Tokens", "token_amount": 777, "price": "3.50"},
        token=admin_token,
    )
    assert created.status_code == 201, created.text
    bundle = created.json()

    listed = runner.get("/api/v1/token-bundles")
    assert listed.status_code == 200
    assert listed.headers["Cache-Control"] == "public, max-age=60"
    assert bundle["id"] in [item["id"] for item in listed.json()["items"]]
    shown = runner.get(f"/api/v1/token-bundles/{bundle['id']}")
    assert shown.status_code == 200 and shown.json()["price"] == "3.50"
    assert shown.headers["Cache-Control"] == "public, max-age=60"

    off = runner.post(
        f"/api/v1/admin/token-bundles/{bundle['id']}/deactivate", token=admin_token, headers={"If-Match": '"1"'}
    )
    assert off.status_code == 200 and off.json()["is_active"] is False and off.headers["ETag"] == '"2"'
    assert bundle["id"] not in [item["id"] for item in runner.get("/api/v1/token-bundles").json()["items"]]
    assert runner.get(f"/api/v1/token-bundles/{bundle['id']}").status_code == 404
    assert runner.get(f"/api/v1/admin/token-bundles/{bundle['id']}", token=admin_token).status_code == 200

    assert runner.delete(f"/api/v1/admin/token-bundles/{bundle['id']}", token=admin_token).status_code == 204


def test_public_catalog_needs_no_credentials_and_ignores_them(runner: Http, user: dict[str, Any]) -> None:
    for kind in KINDS:
        assert runner.get(f"/api/v1/{kind}").status_code == 200
        assert runner.get(f"/api/v1/{kind}", token=user["access_token"]).status_code == 200
        assert runner.get(f"/api/v1/{kind}/{ITEM}").status_code == 404
        assert runner.get(f"/api/v1/{kind}/not-a-uuid").status_code == 422
