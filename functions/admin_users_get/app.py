"""GET /api/v1/admin/users/{id} -- one account."""

from vbwd.api import http
from vbwd.api.schemas.auth import AdminUserView
from vbwd.services import users

app = http.resolver()


@app.get("/api/v1/admin/users/<user_id>")
def get_user(user_id: str) -> AdminUserView:
    http.require(app)
    return AdminUserView.of(users.get_user(http.uuid_param(user_id)))


lambda_handler = http.entrypoint(app)
