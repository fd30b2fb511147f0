"""Users, e-mail uniqueness, refresh-token sessions and API keys."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from vbwd.domain.enums import Role, UserStatus
from vbwd.domain.errors import ConditionFailed, Conflict, NotFound, TransactionCancelled
from vbwd.domain.users import ApiKey, RefreshToken, User
from vbwd.store import paging
from vbwd.store.base import TableModel
from vbwd.store.errors import translated
from vbwd.store.tx import Transaction

USERS_PARTITION = "USERS"
API_KEYS_PARTITION = "APIKEYS"


class UsersIndex(GlobalSecondaryIndex["UserRecord"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class UserRecord(TableModel):
    table_setting = "users_table"

    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)  # USER#<id>
    sk = UnicodeAttribute(range_key=True)  # USER
    id = UnicodeAttribute()
    email = UnicodeAttribute()
    role = UnicodeAttribute()
    status = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)  # USERS: the admin list, newest first (ids are UUIDv7)
    gsi1sk = UnicodeAttribute(null=True)
    by_created = UsersIndex()


class EmailRecord(TableModel):
    """Uniqueness guard: one item per normalised e-mail, written in the same transaction as the user."""

    table_setting = "users_table"

    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)  # EMAIL#<email>
    sk = UnicodeAttribute(range_key=True)  # EMAIL
    user_id = UnicodeAttribute()


class SessionRecord(TableModel):
    """A refresh token (by hash) or a token family. Expired items are removed by TTL."""

    table_setting = "sessions_table"

    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)  # RT#<sha256> | FAMILY#<id>
    user_id = UnicodeAttribute()
    family_id = UnicodeAttribute()
    status = UnicodeAttribute()  # active | rotated | revoked
    expires_at = NumberAttribute()  # epoch seconds; the table's TTL attribute


class ApiKeysIndex(GlobalSecondaryIndex["ApiKeyRecord"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ApiKeyRecord(TableModel):
    table_setting = "api_keys_table"

    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)  # KEY#<sha256 of the key>
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    prefix = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()  # APIKEYS
    gsi1sk = UnicodeAttribute()  # id
    by_id = ApiKeysIndex()


def _user_key(user_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", "USER"


def _email_key(email: str) -> tuple[str, str]:
    return f"EMAIL#{email}", "EMAIL"


def _to_user(record: UserRecord) -> User:
    return User(
        id=record.id,
        email=record.email,
        role=Role(record.role),
        status=UserStatus(record.status),
        created_at=record.created_at,
        updated_at=record.updated_at,
        password_hash=record.password_hash,
    )


def _user_record(user: User) -> UserRecord:
    pk, sk = _user_key(user.id)
    return UserRecord(
        pk,
        sk,
        id=user.id,
        email=user.email,
        role=user.role.value,
        status=user.status.value,
        password_hash=user.password_hash,
        created_at=user.created_at,
        updated_at=user.updated_at,
        gsi1pk=USERS_PARTITION,
        gsi1sk=user.id,
    )


def _session_record(token: RefreshToken) -> SessionRecord:
    return SessionRecord(
        f"RT#{token.token_hash}",
        user_id=token.user_id,
        family_id=token.family_id,
        status=token.status,
        expires_at=token.expires_at,
    )


def _family_record(family_id: str, user_id: str, expires_at: int) -> SessionRecord:
    return SessionRecord(
        f"FAMILY#{family_id}", user_id=user_id, family_id=family_id, status="active", expires_at=expires_at
    )


def create_user(user: User, first_session: RefreshToken | None = None) -> None:
    """Write the user and its e-mail guard (and, at registration, its first refresh session) in one
    transaction. A taken e-mail is a 409."""
    pk, sk = _email_key(user.email)
    tx = Transaction()
    tx.put("user", _user_record(user), UserRecord.pk.does_not_exist())
    tx.put("email", EmailRecord(pk, sk, user_id=user.id), EmailRecord.pk.does_not_exist())
    if first_session is not None:
        tx.put(
            "family",
            _family_record(first_session.family_id, user.id, first_session.expires_at),
            SessionRecord.pk.does_not_exist(),
        )
        tx.put("session", _session_record(first_session), SessionRecord.pk.does_not_exist())
    try:
        tx.commit()
    except TransactionCancelled as exc:
        if exc.failed("email"):
            raise Conflict("An account with this email already exists.", code="email_taken") from exc
        raise


def get_user(user_id: str) -> User | None:
    try:
        with translated():
            return _to_user(UserRecord.get(*_user_key(user_id), consistent_read=True))
    except DoesNotExist:
        return None


def get_user_by_email(email: str) -> User | None:
    try:
        with translated():
            guard = EmailRecord.get(*_email_key(email), consistent_read=True)
    except DoesNotExist:
        return None
    return get_user(guard.user_id)


def list_users(limit: int, cursor: str | None) -> tuple[list[User], str | None]:
    fixed = {"gsi1pk": USERS_PARTITION}
    start = paging.decode(cursor, fixed, {"pk", "sk", "gsi1sk"})
    with translated(cursor=start is not None):
        results = UserRecord.by_created.query(
            USERS_PARTITION, scan_index_forward=False, limit=limit, last_evaluated_key=start
        )
        users = [_to_user(record) for record in results]
        return users, paging.encode(results.last_evaluated_key, fixed)


def update_user(
    user_id: str,
    *,
    status: UserStatus | None = None,
    role: Role | None = None,
    password_hash: str | None = None,
    updated_at: str,
) -> User:
    actions: list[Action] = [UserRecord.updated_at.set(updated_at)]
    if status is not None:
        actions.append(UserRecord.status.set(status.value))
    if role is not None:
        actions.append(UserRecord.role.set(role.value))
    if password_hash is not None:
        actions.append(UserRecord.password_hash.set(password_hash))
    record = UserRecord(*_user_key(user_id))
    try:
        with translated():
            record.update(actions=actions, condition=UserRecord.pk.exists())
    except ConditionFailed as exc:
        raise NotFound("User not found.") from exc
    return _to_user(record)


# --- refresh sessions -------------------------------------------------------------------------------


def get_session(token_hash: str) -> RefreshToken | None:
    try:
        with translated():
            record = SessionRecord.get(f"RT#{token_hash}", consistent_read=True)
    except DoesNotExist:
        return None
    return RefreshToken(
        token_hash=token_hash,
        user_id=record.user_id,
        family_id=record.family_id,
        status=record.status,
        expires_at=int(record.expires_at),
    )


def start_session(token: RefreshToken) -> None:
    tx = Transaction()
    tx.put(
        "family", _family_record(token.family_id, token.user_id, token.expires_at), SessionRecord.pk.does_not_exist()
    )
    tx.put("session", _session_record(token), SessionRecord.pk.does_not_exist())
    tx.commit()


def rotate_session(old: RefreshToken, new: RefreshToken) -> None:
    """Mark ``old`` rotated and store ``new`` in one transaction, only if ``old`` is still active, its
    family is not revoked and the user is still active. Raises ``TransactionCancelled`` with labels
    ``session``, ``family`` or ``user``."""
    tx = Transaction()
    tx.update(
        "session",
        SessionRecord(f"RT#{old.token_hash}"),
        [SessionRecord.status.set("rotated")],
        SessionRecord.status == "active",
    )
    tx.put("new_session", _session_record(new), SessionRecord.pk.does_not_exist())
    tx.update(
        "family",
        SessionRecord(f"FAMILY#{old.family_id}"),
        [SessionRecord.expires_at.set(new.expires_at)],
        SessionRecord.status == "active",
    )
    tx.check("user", UserRecord, *_user_key(old.user_id), condition=UserRecord.status == UserStatus.ACTIVE.value)
    tx.commit()


def revoke_family(family_id: str) -> None:
    record = SessionRecord(f"FAMILY#{family_id}")
    try:
        with translated():
            record.update(actions=[SessionRecord.status.set("revoked")], condition=SessionRecord.pk.exists())
    except ConditionFailed:
        pass  # already gone (expired by TTL): nothing to revoke


# --- API keys ---------------------------------------------------------------------------------------


def _to_api_key(record: ApiKeyRecord) -> ApiKey:
    return ApiKey(
        id=record.id,
        name=record.name,
        prefix=record.prefix,
        created_at=record.created_at,
        created_by=record.created_by,
        revoked_at=record.revoked_at,
    )


def create_api_key(key: ApiKey, key_hash: str) -> None:
    record = ApiKeyRecord(
        f"KEY#{key_hash}",
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_at=key.created_at,
        created_by=key.created_by,
        gsi1pk=API_KEYS_PARTITION,
        gsi1sk=key.id,
    )
    with translated():
        record.save(condition=ApiKeyRecord.pk.does_not_exist())


def get_api_key_by_hash(key_hash: str) -> ApiKey | None:
    try:
        with translated():
            return _to_api_key(ApiKeyRecord.get(f"KEY#{key_hash}"))
    except DoesNotExist:
        return None


def list_api_keys(limit: int, cursor: str | None) -> tuple[list[ApiKey], str | None]:
    fixed = {"gsi1pk": API_KEYS_PARTITION}
    start = paging.decode(cursor, fixed, {"pk", "gsi1sk"})
    with translated(cursor=start is not None):
        results = ApiKeyRecord.by_id.query(
            API_KEYS_PARTITION, scan_index_forward=False, limit=limit, last_evaluated_key=start
        )
        keys = [_to_api_key(record) for record in results]
        return keys, paging.encode(results.last_evaluated_key, fixed)


def revoke_api_key(key_id: str, revoked_at: str) -> ApiKey:
    with translated():
        found = list(ApiKeyRecord.by_id.query(API_KEYS_PARTITION, ApiKeyRecord.gsi1sk == key_id, limit=1))
    if not found:
        raise NotFound("API key not found.")
    record = found[0]
    if record.revoked_at is None:
        try:
            with translated():
                record.update(
                    actions=[ApiKeyRecord.revoked_at.set(revoked_at)],
                    condition=ApiKeyRecord.revoked_at.does_not_exist(),
                )
        except ConditionFailed:  # revoked concurrently: revocation is idempotent
            with translated():
                return _to_api_key(ApiKeyRecord.get(record.pk, consistent_read=True))
    return _to_api_key(record)
