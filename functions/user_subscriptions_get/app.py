"""GET /api/v1/user/subscriptions/{subscription_id} -- one of the caller's subscriptions."""

from vbwd.api import http
from vbwd.api.schemas.billing import SubscriptionView
from vbwd.services import subscriptions

app = http.resolver()


@app.get("/api/v1/user/subscriptions/<subscription_id>")
def get_subscription(subscription_id: str) -> SubscriptionView:
    caller = http.require(app)
    found = subscriptions.get_subscription(caller.subject, http.uuid_param(subscription_id, "subscription_id"))
    return SubscriptionView.of(found)


lambda_handler = http.entrypoint(app)
