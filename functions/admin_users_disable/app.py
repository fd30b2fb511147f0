"""POST /api/v1/admin/users/{id}/disable -- a disabled account cannot log in or refresh."""

from vbwd.api import http
from vbwd.api.schemas.auth import AdminUserView
from vbwd.domain.enums import UserStatus
from vbwd.services import users

app = http.resolver()


@app.post("/api/v1/admin/users/<user_id>/disable")
def disable(user_id: str) -> AdminUserView:
    admin = http.require(app)
    return AdminUserView.of(users.set_status(http.uuid_param(user_id), UserStatus.DISABLED, actor=admin.subject))


lambda_handler = http.entrypoint(app)
