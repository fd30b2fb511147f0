"""Post a properly signed Stripe event for an invoice to the local API, as ``stripe trigger`` does.

    make stripe-trigger INVOICE=<invoice id>                       # checkout.session.completed, paid
    python -m local.stripe_trigger --invoice <id> --event async-succeeded
    python -m local.stripe_trigger --invoice <id> --event refund [--amount-refunded 250]

The invoice's amount, currency and user are read from the local DynamoDB (the one ``make run`` serves),
so the event matches the invoice unless you override ``--amount``/``--currency`` (to try a mismatch).
"""

from __future__ import annotations

import argparse
import os
import sys

import requests

from local import ddb, stripe_events

EVENTS = {
    "completed": ("checkout.session.completed", "paid"),
    "completed-unpaid": ("checkout.session.completed", "unpaid"),
    "async-succeeded": ("checkout.session.async_payment_succeeded", "paid"),
    "async-failed": ("checkout.session.async_payment_failed", "unpaid"),
}


def build(args: argparse.Namespace) -> dict[str, object]:
    from vbwd.store import billing

    invoice = billing.get_invoice(args.invoice)
    if invoice is None:
        raise SystemExit(f"no invoice {args.invoice} in {os.environ.get('DYNAMODB_ENDPOINT')}")
    amount = invoice.total_minor if args.amount is None else args.amount
    currency = args.currency or invoice.currency
    intent = args.payment_intent or f"pi_local_{invoice.id.replace('-', '')[:24]}"
    if args.event == "refund":
        charge = stripe_events.charge(intent, amount, currency, amount_refunded=args.amount_refunded or amount)
        return stripe_events.event("charge.refunded", charge)
    event_type, status = EVENTS[args.event]
    session = stripe_events.checkout_session(
        invoice.id,
        amount,
        currency,
        user_id=invoice.user_id,
        payment_status=status,
        session_id=invoice.stripe_session_id,
        payment_intent=intent,
    )
    return stripe_events.event(event_type, session)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoice", required=True)
    parser.add_argument("--event", choices=[*EVENTS, "refund"], default="completed")
    parser.add_argument("--amount", type=int, help="amount_total in minor units (default: the invoice total)")
    parser.add_argument("--currency")
    parser.add_argument("--amount-refunded", type=int, help="for --event refund: partial amount in minor units")
    parser.add_argument("--payment-intent", help="default: derived from the invoice id (stable across events)")
    parser.add_argument("--api", default=f"http://127.0.0.1:{os.environ.get('PORT', '3000')}")
    parser.add_argument(
        "--dynamodb-endpoint",
        default=os.environ.get("DYNAMODB_ENDPOINT") or f"http://127.0.0.1:{os.environ.get('DYNAMODB_PORT', '8000')}",
    )
    parser.add_argument("--table-prefix", default="")
    args = parser.parse_args(argv)

    ddb.apply_environment(ddb.local_environment(args.dynamodb_endpoint, args.table_prefix))
    from vbwd.settings import stripe_webhook_secret

    payload = build(args)
    body, headers = stripe_events.signed(payload, stripe_webhook_secret())
    reply = requests.post(f"{args.api}/api/v1/webhooks/stripe", data=body, headers=headers, timeout=30)
    print(f"{payload['type']} {payload['id']} -> {reply.status_code} {reply.text}")
    return 0 if reply.ok else 1


if __name__ == "__main__":
    sys.exit(main())
