"""Create (or promote) an admin in a deployed stack's users table.

    make create-admin EMAIL=ops@example.com STACK=vbwd            # password prompted (or VBWD_ADMIN_PASSWORD)
    python -m local.create_admin --email ops@example.com --users-table vbwd-UsersTable-XYZ

Uses your AWS credentials; the table name comes from the stack's ``UsersTableName`` output.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from vbwd.domain.users import PASSWORD_MIN_LENGTH as MIN_LENGTH


def users_table_of(stack: str, region: str | None) -> str:
    import boto3

    outputs = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=stack)["Stacks"][0]
    for output in outputs.get("Outputs", []):
        if output["OutputKey"] == "UsersTableName":
            return str(output["OutputValue"])
    raise SystemExit(f"stack {stack} has no UsersTableName output")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--email", required=True)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", help="CloudFormation stack name (reads its UsersTableName output)")
    target.add_argument("--users-table", help="the users table name")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    args = parser.parse_args(argv)

    password = os.environ.get("VBWD_ADMIN_PASSWORD") or getpass.getpass("Admin password: ")
    if len(password) < MIN_LENGTH:
        print(f"the password needs at least {MIN_LENGTH} characters", file=sys.stderr)
        return 2
    os.environ["USERS_TABLE"] = args.users_table or users_table_of(args.stack, args.region)
    if args.region:
        os.environ["AWS_REGION"] = args.region
    from vbwd.services import users
    from vbwd.settings import reset_settings
    from vbwd.store.base import reset

    reset_settings()
    reset()
    user, created = users.ensure_admin(args.email, password)
    print(f"{'created' if created else 'updated'} admin {user.email} ({user.id}) in {os.environ['USERS_TABLE']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
