"""The auth service's rules, against an in-memory store."""

from __future__ import annotations

import pytest

from tests.unit.fakes import FakeUsersStore
from vbwd.domain.enums import Role, UserStatus
from vbwd.domain.errors import Conflict, Forbidden, InvalidCredentials, Unauthenticated
from vbwd.services import access_tokens, auth, users


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FakeUsersStore:
    fake = FakeUsersStore()
    monkeypatch.setattr(auth, "store", fake)
    monkeypatch.setattr(users, "store", fake)
    return fake


def test_register_normalises_email_and_hashes_the_password(store: FakeUsersStore) -> None:
    pair = auth.register("  Alice@Example.COM ", "password123")
    assert pair.user.email == "alice@example.com"
    assert pair.user.role is Role.USER
    assert store.users[pair.user.id].password_hash.startswith("$argon2id$")
    assert access_tokens.verify(pair.access_token).subject == pair.user.id
    assert pair.expires_in == 900


def test_duplicate_email_in_any_case_conflicts(store: FakeUsersStore) -> None:
    auth.register("bob@example.com", "password123")
    with pytest.raises(Conflict):
        auth.register("BOB@example.com", "password456")


def test_unknown_email_and_wrong_password_fail_alike(store: FakeUsersStore) -> None:
    auth.register("carol@example.com", "password123")
    with pytest.raises(InvalidCredentials) as unknown:
        auth.login("nobody@example.com", "password123")
    with pytest.raises(InvalidCredentials) as wrong:
        auth.login("carol@example.com", "wrong-password")
    assert (unknown.value.code, unknown.value.message) == (wrong.value.code, wrong.value.message)


def test_login_is_case_insensitive_on_email(store: FakeUsersStore) -> None:
    auth.register("dave@example.com", "password123")
    assert auth.login("DAVE@example.com", "password123").user.email == "dave@example.com"


def test_refresh_rotates_and_a_reused_token_revokes_the_family(store: FakeUsersStore) -> None:
    first = auth.register("erin@example.com", "password123")
    second = auth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    third = auth.refresh(second.refresh_token)
    with pytest.raises(Unauthenticated):
        auth.refresh(first.refresh_token)  # replay of a rotated token
    with pytest.raises(Unauthenticated):
        auth.refresh(third.refresh_token)  # the whole family is gone


def test_disabled_user_cannot_login_or_refresh(store: FakeUsersStore) -> None:
    pair = auth.register("frank@example.com", "password123")
    users.set_status(pair.user.id, UserStatus.DISABLED, actor="another-admin")
    with pytest.raises(Forbidden):
        auth.login("frank@example.com", "password123")
    with pytest.raises(Unauthenticated):
        auth.refresh(pair.refresh_token)


def test_logout_revokes_the_session(store: FakeUsersStore) -> None:
    pair = auth.register("grace@example.com", "password123")
    auth.logout(pair.refresh_token)
    auth.logout(pair.refresh_token)  # idempotent
    with pytest.raises(Unauthenticated):
        auth.refresh(pair.refresh_token)


def test_ensure_admin_creates_then_is_idempotent_then_promotes(store: FakeUsersStore) -> None:
    admin, created = users.ensure_admin("Root@Example.com", "admin-password")
    assert created and admin.role is Role.ADMIN
    again, created_again = users.ensure_admin("root@example.com", "admin-password")
    assert not created_again and again.id == admin.id
    plain = auth.register("henry@example.com", "password123").user
    promoted, _ = users.ensure_admin("henry@example.com", "new-admin-password")
    assert promoted.id == plain.id and promoted.role is Role.ADMIN
    assert auth.login("henry@example.com", "new-admin-password").user.role is Role.ADMIN


def test_a_refresh_that_loses_a_race_revokes_the_family(store: FakeUsersStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from vbwd.domain.errors import CancelReason, TransactionCancelled

    pair = auth.register("ivan@example.com", "password123")

    def conflicted(old: object, new: object) -> None:
        raise TransactionCancelled({"session": CancelReason("TransactionConflict")})

    monkeypatch.setattr(store, "rotate_session", conflicted)
    with pytest.raises(Unauthenticated):
        auth.refresh(pair.refresh_token)
    family = store.sessions[next(iter(store.sessions))].family_id
    assert store.families[family] == "revoked"


@pytest.mark.parametrize(
    "reasons", [{"session": "ThrottlingError"}, {"user": "ThrottlingError"}, {"family": "ValidationError"}]
)
def test_a_refresh_cancelled_for_another_reason_is_retryable_and_revokes_nothing(
    store: FakeUsersStore, monkeypatch: pytest.MonkeyPatch, reasons: dict[str, str]
) -> None:
    from vbwd.domain.errors import CancelReason, TransactionCancelled, Unavailable

    pair = auth.register("judith@example.com", "password123")

    def throttled(old: object, new: object) -> None:
        raise TransactionCancelled({label: CancelReason(code) for label, code in reasons.items()})

    rotate = store.rotate_session
    monkeypatch.setattr(store, "rotate_session", throttled)
    with pytest.raises(Unavailable):
        auth.refresh(pair.refresh_token)
    family = store.sessions[next(iter(store.sessions))].family_id
    assert store.families.get(family) != "revoked"
    monkeypatch.setattr(store, "rotate_session", rotate)
    assert auth.refresh(pair.refresh_token).access_token  # the token still works
