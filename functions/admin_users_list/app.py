"""GET /api/v1/admin/users -- every account, newest first, cursor-paginated."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.auth import AdminUserView, UserPage
from vbwd.services import users

app = http.resolver()


@app.get("/api/v1/admin/users")
def list_users(
    limit: Annotated[int, http.Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, http.Query(max_length=2048)] = None,
) -> UserPage:
    http.require(app)
    items, next_cursor = users.list_users(limit, cursor)
    return UserPage(items=[AdminUserView.of(user) for user in items], next_cursor=next_cursor)


lambda_handler = http.entrypoint(app)
