"""Logs, traces and metrics, cheap to import.

* ``logger``: Powertools' structured JSON logger (the only thing created at import).
* ``traced(handler)``: wraps a handler with Powertools' Tracer -- created on first use and only when
  tracing is on (in Lambda, ``POWERTOOLS_TRACE_DISABLED`` unset), because it imports the X-Ray SDK, whose
  import alone costs more than a whole handler module. ``Tracing: Active`` in the template still traces
  every invocation; the Tracer adds the handler and DynamoDB subsegments.
* ``metric(name, value)``: a CloudWatch metric (EMF), flushed by handlers built with ``metrics=True``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

logger = Logger()

Handler = Callable[[dict[str, Any], Any], Any]
_lock = threading.Lock()
_tracer: Any = None
_metrics: Any = None


def tracing_enabled() -> bool:
    from vbwd.settings import get_settings

    settings = get_settings()
    return bool(settings.lambda_function_name) and not settings.trace_disabled


def traced(handler: Handler) -> Handler:
    """``handler`` with a trace subsegment when tracing is on; ``handler`` itself otherwise."""
    global _tracer
    if not tracing_enabled():
        return handler
    with _lock:
        if _tracer is None:
            from aws_lambda_powertools import Tracer

            _tracer = Tracer()
    wrapped: Handler = _tracer.capture_lambda_handler(handler, capture_response=False)
    return wrapped


def metrics() -> Any:
    global _metrics
    with _lock:
        if _metrics is None:
            from aws_lambda_powertools import Metrics

            _metrics = Metrics()
    return _metrics


def metric(name: str, value: float = 1, unit: str = "Count") -> None:
    """Record a business metric (namespace and service come from the Powertools environment)."""
    metrics().add_metric(name=name, unit=unit, value=value)
