"""`qa users`: login accounts, in the users file or the shared database (the CLI acts as an admin).

    qa users add alice [--groups hr,finance] [--admin] [--password-stdin]
    qa users passwd alice [--password-stdin]
    qa users groups alice hr,finance        # replaces the groups; "" for none
    qa users admin alice on|off
    qa users remove alice
    qa users list

Passwords are asked for twice at a prompt, or read as one line of standard input with `--password-stdin`
(for scripts); never taken from the command line, where other users and shell histories would see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from access.accounts import AccountError, Accounts, accounts_store, check_new_password, parse_groups
from access.permissions import User
from qa.service import QA


def add_users_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `qa users ...` to the subcommands in `sub`."""
    users = sub.add_parser("users", help="login accounts: add, remove, passwd, groups, admin, list")
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="add a user (asks for the password)")
    add.add_argument("name")
    add.add_argument("--groups", type=_groups_arg, default=frozenset(), help="comma-separated, e.g. hr,finance")
    add.add_argument("--admin", action="store_true", help="may change or remove any collection's documents")
    _password_stdin(add)

    passwd = actions.add_parser("passwd", help="set a user's password (asks for it)")
    passwd.add_argument("name")
    _password_stdin(passwd)

    groups = actions.add_parser("groups", help="set a user's groups (replaces them)")
    groups.add_argument("name")
    groups.add_argument("groups", type=_groups_arg, metavar="GROUPS", help='comma-separated; "" for none')

    admin = actions.add_parser("admin", help="grant or revoke a user's admin flag")
    admin.add_argument("name")
    admin.add_argument("state", choices=["on", "off"])

    remove = actions.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    actions.add_parser("list", help="users with their groups and admin flag (never a hash)")


def _password_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password as one line of standard input (scripts)"
    )


def _groups_arg(text: str) -> frozenset[str]:
    try:
        return parse_groups(text)
    except AccountError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def run_users(qa: QA, args: argparse.Namespace) -> int:
    """`qa users ACTION`."""
    accounts = accounts_store(qa.settings)
    if args.action == "list":
        return _list(accounts)
    if args.action == "add":
        if accounts.lookup(args.name) is not None:  # before asking for a password
            raise AccountError(f"user {args.name!r} exists; change the password with `qa users passwd {args.name}`")
        user = accounts.add(args.name, read_password(args.name, args.password_stdin), args.groups, args.admin)
        print(f"added {describe(user)} to {accounts.where}")
    elif args.action == "passwd":
        accounts.require(args.name)  # before asking for a password
        accounts.set_password(args.name, read_password(args.name, args.password_stdin))
        print(f"password of {args.name.strip().lower()} changed")
    elif args.action == "groups":
        print(f"set {describe(accounts.set_groups(args.name, args.groups))}")
    elif args.action == "admin":
        print(f"set {describe(accounts.set_admin(args.name, args.state == 'on'))}")
    elif args.action == "remove":
        accounts.remove(args.name)
        print(f"removed {args.name.strip().lower()}")
        if not accounts.users():
            print(f"no users left: nobody can log in; {accounts.turn_off} to turn login off", file=sys.stderr)
    return 0


def _list(accounts: Accounts) -> int:
    if not accounts.exists():
        print(f"no accounts ({accounts.where} does not exist): login is off; `qa users add NAME` turns it on")
        return 0
    users = accounts.users()
    if not users:
        print(f"no users in {accounts.where}: nobody can log in")
    width = max((len(user.name) for user in users), default=0)
    for user in users:
        print(f"{user.name:<{width}}  {'admin' if user.admin else '     '}  groups: {_groups(user) or '-'}")
    return 0


def describe(user: User) -> str:
    """'alice (admin; groups: finance, hr)'."""
    return f"{user.name} ({'admin; ' if user.admin else ''}groups: {_groups(user) or 'none'})"


def _groups(user: User) -> str:
    return ", ".join(sorted(user.groups))


def read_password(name: str, from_stdin: bool) -> str:
    """A new password: one line of standard input, or typed twice at a prompt.

    Raises:
        AccountError: no terminal to prompt on, the two differ, or the password is too short or too long.
    """
    if from_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        if not sys.stdin.isatty():
            raise AccountError("no terminal to ask for the password on: pipe it in with --password-stdin")
        password = getpass.getpass(f"new password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise AccountError("the two passwords differ; nothing changed")
    check_new_password(password)
    return password
