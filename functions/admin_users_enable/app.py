"""POST /api/v1/admin/users/{id}/enable -- re-enable a disabled account."""

from vbwd.api import http
from vbwd.api.schemas.auth import AdminUserView
from vbwd.domain.enums import UserStatus
from vbwd.services import users

app = http.resolver()


@app.post("/api/v1/admin/users/<user_id>/enable")
def enable(user_id: str) -> AdminUserView:
    admin = http.require(app)
    return AdminUserView.of(users.set_status(http.uuid_param(user_id), UserStatus.ACTIVE, actor=admin.subject))


lambda_handler = http.entrypoint(app)
