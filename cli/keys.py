"""`qa keys`: API keys for the HTTP API, each acting as one user of the accounts (see `access.api_keys`).

qa keys add alice [--label laptop]     # prints the key once; only its hash is kept
qa keys list [alice]                   # ids, users, labels, dates; never a key
qa keys revoke 1f2e3d4c                # by id (or the whole key)
"""

from __future__ import annotations

import argparse
import sys

from access.accounts import AccountError
from access.api_keys import keys_store
from access.login import build_authenticator
from qa.service import QA


def add_keys_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `qa keys ...` to the subcommands in `sub`."""
    keys = sub.add_parser("keys", help="API keys of the HTTP API: add, list, revoke")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="make a key acting as a user (printed once)")
    add.add_argument("name", help="the user the key acts as (see `qa users list`)")
    add.add_argument("--label", default="", help="what the key is for, e.g. a machine or a script")
    listing = actions.add_parser("list", help="keys with their ids, users and labels (never a key)")
    listing.add_argument("name", nargs="?", help="only this user's keys")
    revoke = actions.add_parser("revoke", help="delete a key: requests with it are refused at once")
    revoke.add_argument("key_id", metavar="ID", help="the key's id from `qa keys list`")


def run_keys(qa: QA, args: argparse.Namespace) -> int:
    """`qa keys ACTION`."""
    keys = keys_store(qa.settings)
    if args.action == "add":
        authenticator = build_authenticator(qa.settings)
        user = authenticator.user(args.name) if authenticator else None
        if authenticator is None:
            raise AccountError("login is off (no accounts), so the HTTP API needs no key; `qa users add NAME` first")
        if user is None:
            raise AccountError(f"no user {args.name!r}; `qa users list` shows them")
        record, token = keys.create(user.name, args.label)
        print(token)
        print(f"key {record.id} acts as {user.name}; it is shown only now, keep it secret", file=sys.stderr)
    elif args.action == "list":
        for record in keys.keys(args.name.strip().lower() if args.name else None):
            print(f"{record.id}  {record.user}  {record.created}  {record.label}".rstrip())
    elif args.action == "revoke":
        record = keys.revoke(args.key_id)
        print(f"revoked key {record.id} of {record.user}")
    return 0
