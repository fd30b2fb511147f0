"""``make reconcile``: check that every wallet equals the sum of its ledger (Σ ledger == balance).

It walks the wallets table with a paginated maintenance Scan (the one documented Scan; never on a
request path) and, for each wallet, sums its ledger page by page with a Query on the user's partition.
Mismatches are printed; the exit status is 1 if there is any. Run it against DynamoDB Local (the
default, like ``make run``) or, with AWS credentials and the table names in the environment, against
a deployed stack.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from local import ROOT, ddb


def reconcile(out: TextIO = sys.stdout) -> int:
    from vbwd.store import tokens

    checked = mismatches = 0
    for wallet in tokens.iter_wallets():
        total, entries = tokens.ledger_sum(wallet.user_id)
        checked += 1
        if total != wallet.balance or wallet.available != wallet.balance:
            mismatches += 1
            print(
                f"MISMATCH user={wallet.user_id} balance={wallet.balance} available={wallet.available} "
                f"ledger_sum={total} entries={entries}",
                file=out,
            )
    print(f"checked {checked} wallets: {mismatches} mismatch(es)", file=out)
    return 1 if mismatches else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--dynamodb-endpoint",
        default=os.environ.get("DYNAMODB_ENDPOINT"),
        help="DynamoDB Local's URL (default: start the local one from VBWD_DATA_DIR)",
    )
    parser.add_argument("--aws", action="store_true", help="use AWS and the table names in the environment")
    args = parser.parse_args(argv)
    if args.aws:
        return reconcile()
    database = None
    endpoint = args.dynamodb_endpoint
    if endpoint is None:
        data_dir = os.environ.get("VBWD_DATA_DIR", str(ROOT / ".local"))
        database = ddb.DynamoDBLocal(
            int(os.environ.get("DYNAMODB_PORT", "8000")), Path(data_dir).resolve() / "dynamodb"
        ).start()
        endpoint = database.endpoint
    try:
        ddb.apply_environment(ddb.local_environment(endpoint))
        return reconcile()
    finally:
        if database is not None:
            database.stop()


if __name__ == "__main__":
    raise SystemExit(main())
