"""Identity against DynamoDB Local, through the real handlers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.conftest import Client, register, unique_email
from vbwd.store import users as users_store


def test_register_login_refresh_rotation(client: Client) -> None:
    email = unique_email()
    registered = register(client, email.upper())
    assert registered["user"]["email"] == email
    assert registered["token_type"] == "Bearer" and registered["expires_in"] == 900
    assert set(registered["user"]) == {"id", "email", "role", "created_at"}

    login = client.post("/api/v1/auth/login", {"email": email, "password": "password123"})
    assert login.status == 200
    assert login.json()["user"]["id"] == registered["user"]["id"]

    rotated = client.post("/api/v1/auth/refresh", {"refresh_token": login.json()["refresh_token"]})
    assert rotated.status == 200
    assert rotated.json()["refresh_token"] != login.json()["refresh_token"]
    profile = client.get("/api/v1/user/profile", token=rotated.json()["access_token"])
    assert profile.status == 200 and profile.json()["email"] == email
    assert "password" not in profile.body.decode() and "argon2" not in profile.body.decode()


def test_reusing_a_rotated_token_revokes_its_family(client: Client) -> None:
    first = register(client)
    second = client.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}).json()
    replay = client.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert replay.status == 401
    assert replay.json()["error"]["code"] == "invalid_refresh_token"
    # the legitimate successor dies with the family
    assert client.post("/api/v1/auth/refresh", {"refresh_token": second["refresh_token"]}).status == 401


def test_concurrent_refresh_of_one_token_yields_at_most_one_new_pair(client: Client) -> None:
    pair = register(client)
    with ThreadPoolExecutor(8) as pool:
        replies = list(
            pool.map(lambda _: client.post("/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}), range(8))
        )
    statuses = [reply.status for reply in replies]
    for reply in replies:
        if reply.status == 200:  # the winner's new token died with its family
            assert client.post("/api/v1/auth/refresh", {"refresh_token": reply.json()["refresh_token"]}).status == 401
    assert statuses.count(200) <= 1
    assert statuses.count(401) >= 7
    # a token used twice is a replay: its whole family is revoked, the winner's new token included
    family_alive = client.post("/api/v1/auth/login", {"email": pair["user"]["email"], "password": "password123"})
    assert family_alive.status == 200  # logging in again starts a new family
    assert client.post("/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}).status == 401
    assert set(statuses) <= {200, 401}


def test_twenty_concurrent_registrations_of_one_email_make_one_user(client: Client, fresh_db: dict[str, str]) -> None:
    email = unique_email("race")
    variants = [email.upper() if i % 2 else email for i in range(20)]
    with ThreadPoolExecutor(20) as pool:
        replies = list(
            pool.map(lambda e: client.post("/api/v1/auth/register", {"email": e, "password": "password123"}), variants)
        )
    statuses = sorted(r.status for r in replies)
    assert statuses == [201] + [409] * 19
    assert all(r.json()["error"]["code"] == "email_taken" for r in replies if r.status == 409)
    listed, _ = users_store.list_users(100, None)
    assert [u.email for u in listed] == [email]


def test_disabled_user_cannot_login_or_refresh_until_enabled(client: Client, admin: dict[str, Any]) -> None:
    pair = register(client)
    user_id = pair["user"]["id"]
    token = admin["access_token"]
    disabled = client.post(f"/api/v1/admin/users/{user_id}/disable", token=token)
    assert disabled.status == 200 and disabled.json()["status"] == "disabled"
    login = client.post("/api/v1/auth/login", {"email": pair["user"]["email"], "password": "password123"})
    assert login.status == 403 and login.json()["error"]["code"] == "account_disabled"
    assert client.post("/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}).status == 401
    assert client.post(f"/api/v1/admin/users/{user_id}/enable", token=token).json()["status"] == "active"
    assert client.post("/api/v1/auth/login", {"email": pair["user"]["email"], "password": "password123"}).status == 200


def test_logout_revokes_the_refresh_token(client: Client) -> None:
    pair = register(client)
    assert client.post("/api/v1/auth/logout", {"refresh_token": pair["refresh_token"]}).status == 204
    assert client.post("/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}).status == 401


def test_admin_user_list_pages_with_a_cursor(client: Client, fresh_db: dict[str, str], admin: dict[str, Any]) -> None:
    created = [register(client)["user"]["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        path = "/api/v1/admin/users?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(path, token=admin["access_token"])
        assert page.status == 200
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        pages += 1
        if not cursor:
            break
    admin_id = str(admin["user"]["id"])
    assert seen == sorted([*created, admin_id], reverse=True)  # newest first, nothing twice
    assert pages >= 3
    assert client.get("/api/v1/admin/users?cursor=garbage", token=admin["access_token"]).status == 422
    assert client.get("/api/v1/admin/users?limit=1000", token=admin["access_token"]).status == 422


def test_admin_get_user(client: Client, admin: dict[str, Any]) -> None:
    pair = register(client)
    found = client.get(f"/api/v1/admin/users/{pair['user']['id']}", token=admin["access_token"])
    assert found.status == 200 and found.json()["email"] == pair["user"]["email"]
    missing = client.get("/api/v1/admin/users/01900000-0000-7000-8000-000000000099", token=admin["access_token"])
    assert missing.status == 404
    assert client.get("/api/v1/admin/users/not-a-uuid", token=admin["access_token"]).status == 422


def test_an_admin_cannot_change_their_own_status(client: Client, admin: dict[str, Any]) -> None:
    own = client.post(f"/api/v1/admin/users/{admin['user']['id']}/disable", token=admin["access_token"])
    assert own.status == 409 and own.json()["error"]["code"] == "own_account"


def test_a_disabled_users_token_stops_working_at_the_gateway(client: Client, admin: dict[str, Any]) -> None:
    pair = register(client)
    client.post(f"/api/v1/admin/users/{pair['user']['id']}/disable", token=admin["access_token"])
    assert client.get("/api/v1/user/tokens/balance", token=pair["access_token"]).status == 401


def test_unknown_email_and_wrong_password_give_the_same_answer(client: Client) -> None:
    pair = register(client)
    unknown = client.post("/api/v1/auth/login", {"email": "nobody-here@example.com", "password": "password123"})
    wrong = client.post("/api/v1/auth/login", {"email": pair["user"]["email"], "password": "not-the-password"})
    assert unknown.status == wrong.status == 401
    assert unknown.body == wrong.body
