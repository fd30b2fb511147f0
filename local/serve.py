"""``make run``: DynamoDB Local + tables + seed data + every route of template.yaml on one port.

Environment (all optional): PORT (3000), DYNAMODB_PORT (8000), VBWD_DATA_DIR (.local),
VBWD_ADMIN_EMAIL (admin@example.com), VBWD_ADMIN_PASSWORD (generated once, kept in the data dir).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
from pathlib import Path
from types import FrameType

from local import ROOT, ddb
from local.fake_stripe import FakeStripe
from local.runner import LocalApi, make_server

DEFAULT_ADMIN_EMAIL = "admin@example.com"


def admin_password(data_dir: Path) -> str:
    """VBWD_ADMIN_PASSWORD, or a generated password kept in the data dir so it stays valid across runs."""
    explicit = os.environ.get("VBWD_ADMIN_PASSWORD")
    if explicit:
        return explicit
    path = data_dir / "admin-password"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def seed(data_dir: Path) -> tuple[str, str]:
    """Idempotent seed data: the admin account, and the demo catalog (once: an admin's deletions stick)."""
    from vbwd.services import catalog, users

    email = os.environ.get("VBWD_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL
    password = admin_password(data_dir)
    users.ensure_admin(email, password)
    if catalog.seed_demo():
        print("  seeded the demo catalog (2 plans, 2 token bundles, 1 add-on)", flush=True)
    return email, password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--dynamodb-port", type=int, default=int(os.environ.get("DYNAMODB_PORT", "8000")))
    parser.add_argument("--dynamodb-endpoint", help="use a running DynamoDB (Local) instead of starting one")
    parser.add_argument("--table-prefix", default="")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("VBWD_DATA_DIR", ROOT / ".local")))
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir.resolve()
    database: ddb.DynamoDBLocal | None = None
    endpoint = args.dynamodb_endpoint
    if endpoint is None:
        database = ddb.DynamoDBLocal(args.dynamodb_port, data_dir / "dynamodb").start()
        endpoint = database.endpoint

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    fake_stripe: FakeStripe | None = None
    try:
        ddb.create_tables(ddb.client(endpoint), args.table_prefix)
        environment = ddb.local_environment(endpoint, args.table_prefix, data_dir)
        if not os.environ.get("STRIPE_API_KEY") and not os.environ.get("STRIPE_API_BASE"):
            # No Stripe account: Checkout Sessions go to a local fake whose "Pay" button delivers a signed
            # checkout.session.completed to this API (make stripe-trigger does the same from a shell).
            fake_stripe = FakeStripe().start()
            environment["STRIPE_API_BASE"] = fake_stripe.url
        ddb.apply_environment(environment)
        credentials = None if args.no_seed else seed(data_dir)
        api = LocalApi()
        server = make_server(api, args.host, args.port)
        url = f"http://{args.host}:{server.server_address[1]}"
        if fake_stripe is not None:
            from vbwd.settings import stripe_webhook_secret

            fake_stripe.webhook_url = f"{url}/api/v1/webhooks/stripe"
            fake_stripe.webhook_secret = stripe_webhook_secret()
        print(f"vbwd is serving {len(api.routes)} routes on {url}  (DynamoDB at {endpoint})", flush=True)
        print(f"  try: curl {url}/api/v1/health", flush=True)
        if credentials:
            print(f"  admin: {credentials[0]} / {credentials[1]}", flush=True)
        if fake_stripe is not None:
            print(
                f"  Stripe: a local fake at {fake_stripe.url} (set STRIPE_API_KEY to use your test account)", flush=True
            )
        print("  Ctrl-C stops everything.", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopping", file=sys.stderr)
    finally:
        if fake_stripe is not None:
            fake_stripe.stop()
        if database is not None:
            database.stop()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "layers" / "vbwd"))
    raise SystemExit(main())
