"""GET /api/v1/user/addons -- the caller's add-on subscriptions, newest first."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.billing import AddOnPage, AddOnView
from vbwd.services import subscriptions

app = http.resolver()


@app.get("/api/v1/user/addons")
def list_addons(
    cursor: Annotated[str | None, http.Query(max_length=2048)] = None,
    limit: Annotated[int, http.Query(ge=1, le=100)] = 20,
) -> AddOnPage:
    caller = http.require(app)
    items, next_cursor = subscriptions.list_addons(caller.subject, limit=limit, cursor=cursor)
    return AddOnPage(items=[AddOnView.of(a) for a in items], next_cursor=next_cursor)


lambda_handler = http.entrypoint(app)
