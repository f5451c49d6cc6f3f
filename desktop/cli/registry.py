"""The registry as a whole: `backup`, `restore`, `registry copy`, `export` (the national
register) and `numbers void-list` — administrators only."""
from __future__ import annotations

from pathlib import Path

from . import common
from .common import EXIT_OK, PASSPHRASE_ENV, PASSWORD_ENV, print_json


COMMANDS = ("backup", "restore", "registry", "export", "numbers")  # the commands add_commands adds


def add_commands(sub) -> None:
    p = sub.add_parser("backup", help="copy the registry to OUT and verify the copy (admin)")
    p.add_argument("out", type=Path, metavar="OUT")
    p.add_argument("--encrypt", action="store_true",
                   help="encrypt the copy (AES-256-GCM) for a USB stick or another PC")
    common.passphrase_option(p)
    common.credentials(p)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the registry by a verified backup (admin)")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--accept-broken-audit", action="store_true",
                   help="restore a backup whose audit chain is broken (recorded in the audit log)")
    common.passphrase_option(p)
    common.credentials(p)
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("registry", help="the whole registry: copy between a file and a server")
    registry = p.add_subparsers(dest="registry_command", required=True)
    copy = registry.add_parser("copy", help="copy a whole registry SRC into an empty DST (a file "
                                            "or a postgresql:// URL, either way), verified")
    copy.add_argument("src", metavar="SRC")
    copy.add_argument("dst", metavar="DST")
    copy.set_defaults(func=cmd_registry_copy)

    p = sub.add_parser("export", help="allowed attachments for the national register (admin)")
    p.add_argument("--csv", type=Path, required=True, dest="csv_out", metavar="F")
    p.add_argument("--json", type=Path, required=True, dest="json_out", metavar="F")
    p.add_argument("--again", action="store_true", help="also those already exported")
    common.credentials(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("numbers", help="document numbers (admin): void-list lists numbers "
                                       "taken whose document was never stored, with the reason")
    p.add_argument("action", choices=("void-list",))
    common.credentials(p)
    p.set_defaults(func=cmd_numbers)


@common.guarded
def cmd_backup(args) -> int:
    """backup OUT: an online copy, verified (integrity check and row counts)."""
    from desktop.store import backups

    common.check_output(args, "OUT", args.out)
    passphrase = None
    if args.encrypt:
        passphrase = common.read_secret(args.passphrase_file, PASSPHRASE_ENV)
        if not passphrase:
            raise common.InvalidOption("--passphrase-file", "--encrypt needs a passphrase: "
                                       f"--passphrase-file or {PASSPHRASE_ENV}")
    moment = common.now()
    with common.open_registry(args) as registry:
        user = common.authenticate(registry, args, moment, admin=True)
        if passphrase is None:
            counts = backups.backup(registry, args.out, actor=user, now=moment)
        else:
            counts = backups.backup_encrypted(registry, args.out, passphrase, actor=user, now=moment)
    print_json({"backup": str(args.out), "rows": counts, "encrypted": passphrase is not None})
    return EXIT_OK


@common.guarded
def cmd_restore(args) -> int:
    """restore FILE: verify the backup, keep the current registry aside, replace it.

    The administrator is checked against the current registry; when that is missing or
    damaged (the usual reason to restore), against the accounts in the backup itself.
    """
    from desktop.store import PermissionDenied, RegistryError, backups, open_registry
    from desktop.store.crypt import is_encrypted

    encrypted = is_encrypted(args.file)
    passphrase = common.read_secret(args.passphrase_file, PASSPHRASE_ENV) if encrypted else None
    if encrypted and not passphrase:
        raise common.InvalidOption("--passphrase-file", "the backup is encrypted: give "
                                   f"--passphrase-file or {PASSPHRASE_ENV}")
    moment, target = common.now(), common.db_target(args)
    if common.is_server(args):
        return _restore_server(args, passphrase)
    try:
        registry = open_registry(target, now=moment) if target.exists() else None
    except RegistryError:
        registry = None
    if registry is not None:
        with registry:
            user = common.authenticate(registry, args, moment, admin=True)
    else:
        password = common.read_secret(args.password_file, PASSWORD_ENV)
        if password is None or not _admin_of_backup(args.file, target, args.user, password,
                                                    passphrase):
            raise PermissionDenied("нужен администратор из этой копии — "
                                   "an administrator of the backup is required")
        user = args.user
    checked: dict = {}
    aside = backups.restore(args.file, target, now=moment, passphrase=passphrase,
                            accept_broken_audit=args.accept_broken_audit, checked=checked)
    with open_registry(target, now=moment) as registry:
        registry.log(user=user, action="restore", obj=f"backup:{Path(args.file).name}", now=moment,
                     details={"previous_kept_as": str(aside) if aside else None,
                              **_accepted(checked)})
    print_json({"restored": str(target), "from": str(args.file),
                "previous_kept_as": str(aside) if aside else None})
    return EXIT_OK


def _accepted(checked: dict) -> dict:
    """The restore's audit details when the administrator accepted a broken audit chain."""
    audit = checked.get("audit") or {}
    if audit.get("ok", True):
        return {}
    return {"accepted_broken_audit": {"first_broken": audit.get("first_broken"),
                                      "reason": audit.get("reason")}}


def _admin_of_backup(backup: Path, target: Path, login: str | None, password: str,
                     passphrase: str | None) -> bool:
    """Whether `login`/`password` is an active administrator in the backup's own accounts (an
    encrypted backup decrypted into a private temporary file beside the registry, removed)."""
    from desktop.fileutil import temp_name
    from desktop.store.files import verify_admin_in_file
    from desktop.store.crypt import decrypt_file

    if passphrase is None:
        return verify_admin_in_file(backup, login, password)
    plain = temp_name(target.with_name(target.name + ".accounts"))
    try:
        decrypt_file(backup, plain, passphrase)
        return verify_admin_in_file(plain, login, password)
    finally:
        plain.unlink(missing_ok=True)


def _restore_server(args, passphrase: str | None) -> int:
    """restore FILE into the clinic's server: an administrator of the server's registry; the
    current contents are first kept as a portable backup in the desk's backups folder."""
    from desktop.store import backups

    moment = common.now()
    with common.open_registry(args) as registry:
        user = common.authenticate(registry, args, moment, admin=True)
        checked: dict = {}
        aside = backups.restore(args.file, registry.location, now=moment, passphrase=passphrase,
                                accept_broken_audit=args.accept_broken_audit, checked=checked)
        registry.log(user=user, action="restore", obj=f"backup:{Path(args.file).name}", now=moment,
                     details={"previous_kept_as": str(aside), **_accepted(checked)})
        shown = registry.location.display
    print_json({"restored": shown, "from": str(args.file), "previous_kept_as": str(aside)})
    return EXIT_OK


@common.guarded
def cmd_registry_copy(args) -> int:
    """registry copy SRC DST: every table, verified by row counts and hashes; DST must be empty
    (a new file, or an empty database)."""
    from desktop.store.backend import is_url, parse_location
    from desktop.store.transfer import copy_registry

    def location(value: str):
        return value if is_url(value) else Path(value)

    result = copy_registry(location(args.src), location(args.dst))
    print_json({"copied": True, "src": parse_location(location(args.src)).display,
                "dst": parse_location(location(args.dst)).display, "tables": result})
    return EXIT_OK


@common.guarded
def cmd_export(args) -> int:
    """export --csv F --json F [--again]."""
    common.check_output(args, "--csv", args.csv_out)
    common.check_output(args, "--json", args.json_out)
    if Path(args.csv_out).absolute() == Path(args.json_out).absolute():
        raise common.InvalidOption("--json", "--csv и --json — один и тот же файл — "
                                             "--csv and --json name the same file")
    moment = common.now()
    with common.open_registry(args) as registry:
        user = common.authenticate(registry, args, moment, admin=True)
        result = registry.export_attachments(args.csv_out, args.json_out, now=moment, user=user,
                                             again=args.again)
    print_json(result)
    return EXIT_OK


@common.guarded
def cmd_numbers(args) -> int:
    """numbers void-list: numbers taken whose document was never stored, with the reason."""
    with common.open_registry(args) as registry:
        common.authenticate(registry, args, common.now(), admin=True)
        rows = registry.document_numbers(status="void")
    print_json([{"number": r.number, "kind": r.kind, "user": r.user,
                 "reserved_at": r.reserved_at.isoformat(), "reason": r.reason,
                 "voided_at": r.closed_at.isoformat() if r.closed_at else None} for r in rows])
    return EXIT_OK
