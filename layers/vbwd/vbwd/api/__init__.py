"""The HTTP edge: resolver factory, request/response schemas and the domain-error -> status mapping."""
