"""GET /api/v1/user/subscriptions -- the caller's subscriptions, newest first."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.billing import SubscriptionPage, SubscriptionView
from vbwd.services import subscriptions

app = http.resolver()


@app.get("/api/v1/user/subscriptions")
def list_subscriptions(
    cursor: Annotated[str | None, http.Query(max_length=2048)] = None,
    limit: Annotated[int, http.Query(ge=1, le=100)] = 20,
) -> SubscriptionPage:
    caller = http.require(app)
    items, next_cursor = subscriptions.list_subscriptions(caller.subject, limit=limit, cursor=cursor)
    return SubscriptionPage(items=[SubscriptionView.of(s) for s in items], next_cursor=next_cursor)


lambda_handler = http.entrypoint(app)
