"""Accounts and the audit log: `users add|list`, `audit [verify] [--csv OUT]`,
`audit key export|import FILE` (an SQLite registry's audit key, to move it with a restored copy)."""
from __future__ import annotations

import json
from pathlib import Path

from . import common
from .common import EXIT_FAILED, EXIT_OK, NEW_PASSWORD_ENV, print_json


COMMANDS = ("users", "audit")


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS  # the commands add_commands adds


def add_commands(sub) -> None:
    p = sub.add_parser("users", help="accounts (admin)")
    users = p.add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="create an account; the first admin needs no credentials")
    add.add_argument("login")
    add.add_argument("--full-name", required=True)
    add.add_argument("--role", choices=("registrar", "admin"), default="registrar")
    add.add_argument("--new-password-file", type=Path,
                     help=f"the new account's password (or {NEW_PASSWORD_ENV})")
    common.credentials(add)
    add.set_defaults(func=cmd_users_add)
    listing = users.add_parser("list", help="list accounts as JSON")
    common.credentials(listing)
    listing.set_defaults(func=cmd_users_list)

    p = sub.add_parser("audit", help="browse or export the audit log; `audit verify` checks "
                                     "its hash chain (admin)")
    p.add_argument("action", nargs="?", choices=("verify", "key"),
                   help="verify: report every broken link of the audit chain and every printout "
                        "missing from the number ledger or its print entry (exit 1 if any); "
                        "key export FILE / key import FILE: move a single desk's audit key with "
                        "a registry restored on another PC")
    p.add_argument("key_action", nargs="?", choices=("export", "import"), help=argparse_suppress())
    p.add_argument("key_file", nargs="?", type=Path, help=argparse_suppress())
    p.add_argument("--csv", type=Path, dest="csv_out", metavar="OUT")
    p.add_argument("--limit", type=int, default=100)
    common.credentials(p)
    p.set_defaults(func=cmd_audit)


@common.guarded
def cmd_users_add(args) -> int:
    """users add LOGIN --full-name NAME [--role R]: the first administrator needs no sign-in."""
    from desktop.store.errors import PermissionDenied

    moment = common.now()
    with common.open_registry(args) as registry:
        actor = None
        if registry.admin_ever_existed() or args.role != "admin":
            actor = common.authenticate(registry, args, moment, admin=True)
        new_password = common.read_secret(args.new_password_file, NEW_PASSWORD_ENV)
        if not new_password:
            raise common.InvalidOption("--new-password-file", "the new account needs a password: "
                                       f"--new-password-file or {NEW_PASSWORD_ENV}")
        try:
            user_id = registry.create_user(args.login, new_password, full_name=args.full_name,
                                           role=args.role, now=moment, actor=actor)
        except PermissionDenied:
            if actor is not None or not registry.admin_ever_existed():
                raise
            # another program made the first administrator meanwhile: this one is no longer
            # the first, and signs in as any later account's maker does
            actor = common.authenticate(registry, args, moment, admin=True)
            user_id = registry.create_user(args.login, new_password, full_name=args.full_name,
                                           role=args.role, now=moment, actor=actor)
    print_json({"id": user_id, "login": args.login, "role": args.role})
    return EXIT_OK


@common.guarded
def cmd_users_list(args) -> int:
    """users list."""
    with common.open_registry(args) as registry:
        common.authenticate(registry, args, common.now(), admin=True)
        users = registry.users()
    print_json([{"login": u.login, "full_name": u.full_name, "role": u.role,
                 "active": u.active, "created_at": u.created_at.isoformat()} for u in users])
    return EXIT_OK


@common.guarded
def cmd_audit(args) -> int:
    """audit [--csv OUT] [--limit N]: the newest entries as JSON, or the whole log as CSV;
    audit verify: the hash chain checked."""
    if args.csv_out is not None and args.action != "verify":
        common.check_output(args, "--csv", args.csv_out)
    moment = common.now()
    with common.open_registry(args) as registry:
        user = common.authenticate(registry, args, moment, admin=True)
        if args.action == "key":
            if args.key_action is None or args.key_file is None:
                raise common.InvalidOption("key", "audit key export FILE | audit key import FILE")
            if args.key_action == "export":
                common.check_output(args, "key", args.key_file)
                parts = registry.export_audit_key(args.key_file, actor=user, now=moment)
                print_json({"key": str(args.key_file), "exported_parts": parts})
            else:
                result = registry.import_audit_key(args.key_file, actor=user, now=moment)
                print_json({"key": str(args.key_file), "imported_parts": result["parts"],
                            "registry": result["registry"],
                            "this_registry": result["this_registry"]})
            return EXIT_OK
        if args.action == "verify":
            result = registry.verify_audit()
            print_json(result)
            return EXIT_OK if result["ok"] else EXIT_FAILED
        if args.csv_out is not None:
            count = registry.export_audit(args.csv_out, actor=user, now=moment)
            print_json({"csv": str(args.csv_out), "entries": count})
            return EXIT_OK
        entries = registry.audit_entries(limit=args.limit)
    print_json([{"id": e.id, "at": e.at.isoformat(), "user": e.user, "action": e.action,
                 "object": e.object, "details": json.loads(e.details)} for e in entries])
    return EXIT_OK
