"""vbwd: serverless subscription and token billing (shared Lambda layer package).

Tiers, top to bottom (imports only go downwards):

* ``vbwd.api``      -- the HTTP edge: resolver factory, request/response schemas, error -> status mapping
* ``vbwd.services`` -- the business logic
* ``vbwd.store``    -- pynamodb models and transaction builders (the only code that touches DynamoDB)
* ``vbwd.domain``   -- domain models, value objects and errors (no I/O)
"""

__version__ = "0.1.0"
