"""In-memory fakes of store modules, with the same functions and the same error behaviour."""

from __future__ import annotations

import dataclasses
import threading

from vbwd.domain.enums import Role, UserStatus
from vbwd.domain.errors import CancelReason, Conflict, NotFound, TransactionCancelled
from vbwd.domain.users import RefreshToken, User


class FakeUsersStore:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.emails: dict[str, str] = {}
        self.sessions: dict[str, RefreshToken] = {}
        self.families: dict[str, str] = {}  # family id -> status
        self._lock = threading.Lock()

    def create_user(self, user: User, first_session: RefreshToken | None = None) -> None:
        with self._lock:
            if user.email in self.emails:
                raise Conflict("An account with this email already exists.", code="email_taken")
            self.users[user.id] = user
            self.emails[user.email] = user.id
            if first_session is not None:
                self.families[first_session.family_id] = "active"
                self.sessions[first_session.token_hash] = first_session

    def get_user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def get_user_by_email(self, email: str) -> User | None:
        user_id = self.emails.get(email)
        return self.users.get(user_id) if user_id else None

    def list_users(self, limit: int, cursor: str | None) -> tuple[list[User], str | None]:
        ordered = sorted(self.users.values(), key=lambda u: u.id, reverse=True)
        start = int(cursor or 0)
        page = ordered[start : start + limit]
        return page, str(start + limit) if start + limit < len(ordered) else None

    def update_user(
        self,
        user_id: str,
        *,
        status: UserStatus | None = None,
        role: Role | None = None,
        password_hash: str | None = None,
        updated_at: str,
    ) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise NotFound("User not found.")
        changes: dict[str, object] = {"updated_at": updated_at}
        if status is not None:
            changes["status"] = status
        if role is not None:
            changes["role"] = role
        if password_hash is not None:
            changes["password_hash"] = password_hash
        self.users[user_id] = dataclasses.replace(user, **changes)  # type: ignore[arg-type]
        return self.users[user_id]

    def get_session(self, token_hash: str) -> RefreshToken | None:
        return self.sessions.get(token_hash)

    def start_session(self, token: RefreshToken) -> None:
        self.families[token.family_id] = "active"
        self.sessions[token.token_hash] = token

    def rotate_session(self, old: RefreshToken, new: RefreshToken) -> None:
        with self._lock:
            reasons = {}
            if self.sessions[old.token_hash].status != "active":
                reasons["session"] = CancelReason("ConditionalCheckFailed")
            if self.families.get(old.family_id) != "active":
                reasons["family"] = CancelReason("ConditionalCheckFailed")
            if not self.users[old.user_id].is_active:
                reasons["user"] = CancelReason("ConditionalCheckFailed")
            if reasons:
                raise TransactionCancelled(reasons)
            self.sessions[old.token_hash] = dataclasses.replace(old, status="rotated")
            self.sessions[new.token_hash] = new

    def revoke_family(self, family_id: str) -> None:
        if family_id in self.families:
            self.families[family_id] = "revoked"
