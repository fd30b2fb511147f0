"""GET /api/v1/health -- liveness, no auth."""

from vbwd.api import http
from vbwd.api.schemas.common import HealthResponse
from vbwd.settings import get_settings

app = http.resolver()


@app.get("/api/v1/health")
def health() -> HealthResponse:
    return HealthResponse(status="ok", version=get_settings().version)


lambda_handler = http.entrypoint(app)
