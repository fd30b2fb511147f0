"""Store tier: pynamodb models and transaction builders. The only code that touches DynamoDB.

Functions here take and return domain objects (``vbwd.domain``); storage exceptions are translated to
domain errors in exactly one module, :mod:`vbwd.store.errors`.
"""
