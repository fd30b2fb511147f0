"""Request and response models: the API contract (and the source of the OpenAPI document)."""
