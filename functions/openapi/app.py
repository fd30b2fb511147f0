"""GET /api/v1/openapi.json -- the OpenAPI 3.1 document of every function.

The document is generated from the handlers' pydantic models (``make openapi``; a test fails when it is
stale) and shipped beside this handler, so serving it costs no imports of other functions.
"""

from pathlib import Path

from vbwd.api import http

app = http.resolver()
DOCUMENT = (Path(__file__).parent / "openapi.json").read_text()


@app.get("/api/v1/openapi.json", include_in_schema=False)
def openapi() -> http.Response[str]:
    return http.Response(200, "application/json", DOCUMENT, headers={"Cache-Control": "public, max-age=300"})


lambda_handler = http.entrypoint(app)
