"""GET /api/v1/user/profile -- the caller's account."""

from vbwd.api import http
from vbwd.api.schemas.auth import UserView
from vbwd.services import users

app = http.resolver()


@app.get("/api/v1/user/profile")
def profile() -> UserView:
    return UserView.of(users.get_user(http.require(app).subject))


lambda_handler = http.entrypoint(app)
