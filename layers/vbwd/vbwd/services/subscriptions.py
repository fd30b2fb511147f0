"""What a user owns: subscriptions and add-on subscriptions."""

from __future__ import annotations

from vbwd.domain.billing import AddOnSubscription, Subscription
from vbwd.domain.errors import NotFound
from vbwd.store import billing as store


def list_subscriptions(user_id: str, *, limit: int, cursor: str | None) -> tuple[list[Subscription], str | None]:
    return store.list_user_records(user_id, "SUB#", limit=limit, cursor=cursor)


def get_subscription(user_id: str, subscription_id: str) -> Subscription:
    subscription = store.get_subscription(subscription_id)
    if subscription is None or subscription.user_id != user_id:
        raise NotFound("Subscription not found.")
    return subscription


def list_addons(user_id: str, *, limit: int, cursor: str | None) -> tuple[list[AddOnSubscription], str | None]:
    return store.list_user_records(user_id, "ADDON#", limit=limit, cursor=cursor)
