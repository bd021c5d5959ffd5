"""`qa collections`: who may read the documents of each collection (the CLI acts as an admin).

    qa collections list
    qa collections create hr --owner alice --visibility groups --groups hr,legal
    qa ingest ~/hr-docs --collection hr

A collection is "private" (its owner alone), shared with "groups", or "public". Its owner (or an
admin) may ingest into it and remove its documents; see `access.permissions`.
"""

from __future__ import annotations

import argparse

from access.permissions import ADMIN
from index.manifest import VISIBILITIES
from qa.service import QA


def add_collections_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `qa collections ...` to the subcommands in `sub`."""
    collections = sub.add_parser("collections", help="collections of documents and who may read them")
    actions = collections.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="collections with owner, visibility, groups and document count")
    create = actions.add_parser("create", help="create a collection, or change its owner, visibility or groups")
    create.add_argument("name")
    create.add_argument("--owner", default="", help="the user who may change it (default: none, admins only)")
    create.add_argument("--visibility", choices=VISIBILITIES, default="private", help="who may read it")
    create.add_argument("--groups", default="", help="comma-separated groups that may read it (--visibility groups)")


def run_collections(qa: QA, args: argparse.Namespace) -> int:
    """`qa collections list|create`."""
    if args.action == "create":
        groups = [g.strip() for g in args.groups.split(",") if g.strip()]
        made = qa.library.create(args.name, ADMIN, owner=args.owner, visibility=args.visibility, groups=groups)
        print(f"collection {made.name}: {_describe(made.owner, made.visibility, made.groups)}")
        return 0
    homes = qa.store.source_collections() if qa.sources() else {}
    for c in qa.library.collections(ADMIN):
        count = sum(1 for home in homes.values() if home == c.name)
        print(f"{c.name}: {_describe(c.owner, c.visibility, c.groups)}, {count} documents")
    return 0


def _describe(owner: str, visibility: str, groups: frozenset[str]) -> str:
    shared = f" ({', '.join(sorted(groups))})" if visibility == "groups" else ""
    return f"{visibility}{shared}, owner {owner or '(none: admins only)'}"
