"""vbwd: serverless subscription and token billing (shared Lambda layer package).

Tiers, top to bottom (imports only go downwards):

* ``vbwd.api``      -- the HTTP edge: resolver factory, request/response schemas, error -> status mapping
* ``vbwd.services`` -- the business logic
* ``vbwd.store``    -- pynamodb models and transaction builders (the only code that touches DynamoDB)
* ``vbwd.domain``   -- domain models, value objects and errors (no I/O)
"""

import os as _os

__version__ = "0.1.0"

# Cold start: a Lambda init imports ~600 modules, and the cyclic garbage collector, triggered by the
# allocations, re-walks everything loaded so far (~45 ms, 13 % of an init, measured in bench/). Inside a
# Lambda it is off until the function module has finished loading; init_finished() then freezes what the
# init built (never garbage: modules, classes, schemas) and turns collection back on. Decision 50.
if _os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    import gc as _gc

    _gc.disable()


def init_finished() -> None:
    """Called as a function module's last statement (``http.entrypoint`` does it for HTTP functions)."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()
