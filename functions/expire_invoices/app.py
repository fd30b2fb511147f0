"""Hourly (EventBridge Scheduler): move pending invoices past ``expires_at``, and their items, to expired."""

from typing import Any

from vbwd import init_finished, observability
from vbwd.observability import logger
from vbwd.services import invoices


@logger.inject_lambda_context(clear_state=True)
@observability.metrics().log_metrics  # InvoiceExpiryFailed: alarm on it
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = invoices.expire_due()
    logger.info("expired pending invoices", extra=result)
    return result


init_finished()  # the init is over: see vbwd/__init__.py
