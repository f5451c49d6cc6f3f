"""Store subcommands for the `polyclinic` command line: backup, restore, worklist, export,
users, audit, clinic.

Only the standard library is imported here at module level (SQLAlchemy and Alembic load
inside the handlers), so `polyclinic decide` does not pay for them.

    add_commands(subparsers)        # adds the subcommands to an argparse subparsers object
    args.store_command(args, registry_path=..., now=...) -> exit code

Exit codes: 0 done; 1 the registry cannot be used (message on stderr); 2 invalid input;
3 refused: wrong login/password or not an administrator.
Credentials: `--user LOGIN` with `--password-file F` (first line) or POLYCLINIC_PASSWORD.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from .errors import PermissionDenied, StoreError

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_REFUSED = 0, 1, 2, 3
PASSWORD_ENV = "POLYCLINIC_PASSWORD"
PASSPHRASE_ENV = "POLYCLINIC_BACKUP_PASSPHRASE"
NEW_PASSWORD_ENV = "POLYCLINIC_NEW_PASSWORD"

# `clinic set` options and the clinic fields they set
CLINIC_OPTIONS = {"--name-ru": "name_ru", "--name-kk": "name_kk", "--bin": "bin",
                  "--address-ru": "address_ru", "--address-kk": "address_kk", "--head": "head"}

Handler = Callable[[argparse.Namespace, Path, datetime], int]


def add_commands(subparsers) -> None:
    """Add backup, restore, worklist, export, users and audit to `subparsers`."""
    p = subparsers.add_parser("backup", help="copy the registry to OUT and verify the copy (admin)")
    p.add_argument("out", type=Path, metavar="OUT")
    p.add_argument("--encrypt", action="store_true",
                   help="encrypt the copy (AES-256-GCM) for a USB stick or another PC")
    _passphrase(p)
    _credentials(p)
    p.set_defaults(store_command=cmd_backup)

    p = subparsers.add_parser("restore", help="replace the registry by a verified backup (admin)")
    p.add_argument("file", type=Path, metavar="FILE")
    _passphrase(p)
    _credentials(p)
    p.set_defaults(store_command=cmd_restore)

    p = subparsers.add_parser("worklist", help="attachments whose basis ends soon, as JSON")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--on", type=_iso_date, default=None, metavar="YYYY-MM-DD")
    _credentials(p)
    p.set_defaults(store_command=cmd_worklist)

    p = subparsers.add_parser("export", help="allowed attachments for the national register (admin)")
    p.add_argument("--csv", type=Path, required=True, dest="csv_out", metavar="F")
    p.add_argument("--json", type=Path, required=True, dest="json_out", metavar="F")
    p.add_argument("--again", action="store_true", help="also those already exported")
    _credentials(p)
    p.set_defaults(store_command=cmd_export)

    p = subparsers.add_parser("users", help="accounts (admin)")
    users = p.add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="create an account; the first admin needs no credentials")
    add.add_argument("login")
    add.add_argument("--full-name", required=True)
    add.add_argument("--role", choices=("registrar", "admin"), default="registrar")
    add.add_argument("--new-password-file", type=Path,
                     help=f"the new account's password (or {NEW_PASSWORD_ENV})")
    _credentials(add, required=False)
    add.set_defaults(store_command=cmd_users_add)
    listing = users.add_parser("list", help="list accounts as JSON")
    _credentials(listing)
    listing.set_defaults(store_command=cmd_users_list)

    p = subparsers.add_parser("clinic", help="the clinic's details printed on documents")
    clinic = p.add_subparsers(dest="clinic_command", required=True)
    show = clinic.add_parser("show", help="the clinic's details as JSON")
    show.set_defaults(store_command=cmd_clinic_show)
    cset = clinic.add_parser("set", help="set the clinic's details (admin)")
    for option in CLINIC_OPTIONS:
        cset.add_argument(option, metavar="TEXT")
    _credentials(cset)
    cset.set_defaults(store_command=cmd_clinic_set)

    p = subparsers.add_parser("registry", help="the whole registry: copy between a file and a server")
    registry = p.add_subparsers(dest="registry_command", required=True)
    copy = registry.add_parser("copy", help="copy a whole registry SRC into an empty DST (a file "
                                            "or a postgresql:// URL, either way), verified")
    copy.add_argument("src", metavar="SRC")
    copy.add_argument("dst", metavar="DST")
    copy.set_defaults(store_command=cmd_registry_copy)

    p = subparsers.add_parser("server", help="the clinic's PostgreSQL server for several desks")
    server = p.add_subparsers(dest="server_command", required=True)
    init = server.add_parser("init", help="set up the server: cluster (UTF-8, scram-sha-256, LAN), "
                                          "database, owner and desk roles; prints the desks' URL")
    init.add_argument("--data", type=Path, metavar="DIR", help="create a new cluster in DIR")
    init.add_argument("--superuser-url", metavar="URL",
                      help="or use an existing server, reached as its superuser")
    init.add_argument("--port", type=int, default=5432)
    init.add_argument("--listen", default="*", help="addresses to listen on (default: all)")
    init.add_argument("--allow", default="samenet",
                      help="pg_hba address the desks connect from (default: the server's subnets)")
    init.add_argument("--database", default="polyclinic")
    init.add_argument("--owner", default="polyclinic_owner", help="role owning the tables")
    init.add_argument("--desk", default="polyclinic_desk", help="role the desks connect as")
    init.add_argument("--host", help="the server's name or address in the printed URLs")
    init.set_defaults(store_command=cmd_server_init)

    p = subparsers.add_parser("audit", help="browse or export the audit log; `audit verify` checks "
                                            "its hash chain (admin)")
    p.add_argument("action", nargs="?", choices=("verify",),
                   help="verify: report the first broken link of the audit chain (exit 1 if any)")
    p.add_argument("--csv", type=Path, dest="csv_out", metavar="OUT")
    p.add_argument("--limit", type=int, default=100)
    _credentials(p)
    p.set_defaults(store_command=cmd_audit)

    p = subparsers.add_parser("numbers", help="document numbers (admin): void-list lists numbers "
                                              "taken whose document was never stored, with the reason")
    p.add_argument("action", choices=("void-list",))
    _credentials(p)
    p.set_defaults(store_command=cmd_numbers)


def run(args: argparse.Namespace, registry_path: Path, now: datetime) -> int:
    """Call the handler the parsed arguments selected."""
    return args.store_command(args, registry_path, now)


# --- plumbing ---------------------------------------------------------------------------------

def _credentials(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--user", required=required, metavar="LOGIN")
    parser.add_argument("--password-file", type=Path, metavar="F",
                        help=f"first line is the password (or set {PASSWORD_ENV})")


def _passphrase(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--passphrase-file", type=Path, metavar="F",
                        help=f"first line is the backup passphrase (or set {PASSPHRASE_ENV})")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _print_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=1, default=str) + "\n")


def _fail(message: str, code: int) -> int:
    sys.stderr.write(message.rstrip() + "\n")
    return code


def _read_secret(path: Path | None, env: str) -> str | None:
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read password file {path}: {exc.strerror}") from None
        return text.splitlines()[0] if text else ""
    return os.environ.get(env)


def _guarded(handler: Callable[..., int]) -> Handler:
    """Turn the store's exceptions into messages and exit codes."""

    def wrapper(args: argparse.Namespace, registry_path: Path, now: datetime) -> int:
        from .errors import ClinicDetailsInvalid, Conflict, NotFound, PasswordRejected, RegistryError

        from .backend import is_url

        try:
            return handler(args, registry_path if is_url(registry_path) else Path(registry_path),
                           now)
        except (PasswordRejected, ClinicDetailsInvalid) as exc:
            sys.stderr.write(json.dumps({"errors": _input_errors(exc)}, ensure_ascii=False) + "\n")
            return EXIT_INVALID
        except PermissionDenied as exc:
            return _fail(f"Отказано — refused: {exc}", EXIT_REFUSED)
        except RegistryError as exc:
            hint = f"\nПоследняя копия — latest backup: {exc.backup}" if exc.backup else ""
            return _fail(f"{exc}{hint}", EXIT_FAILED)
        except (ValueError, NotFound, Conflict) as exc:
            sys.stderr.write(json.dumps({"errors": [{"field": "", "message": str(exc)}]},
                                        ensure_ascii=False) + "\n")
            return EXIT_INVALID
        except StoreError as exc:
            return _fail(str(exc), EXIT_FAILED)
        except OSError as exc:
            return _fail(f"Ошибка файла — file error: {exc}", EXIT_FAILED)
        except Exception as exc:  # SQLite found damage mid-command: the message, no traceback
            if type(exc).__module__.startswith(("sqlite3", "sqlalchemy", "psycopg")):
                from . import backend, db

                if is_url(registry_path):  # a server's error is not a damaged file
                    location = backend.parse_location(registry_path)
                    return _fail(str(backend.server_error(location, exc)), EXIT_FAILED)
                return _fail(str(db.wrap_db_error(Path(registry_path), exc)), EXIT_FAILED)
            raise

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


def _input_errors(exc: StoreError) -> list[dict]:
    """The JSON error list for a store error that means bad input (exit 2)."""
    from .errors import PasswordRejected

    if isinstance(exc, PasswordRejected):
        return [{"field": "password", "reason": exc.reason, "message": str(exc)}]
    options = {v: k for k, v in CLINIC_OPTIONS.items()}
    return [{"field": options.get(p["field"], p["field"]), "reason": p["reason"],
             "message": p["message"]} for p in exc.problems]


def _authenticate(registry, args: argparse.Namespace, now: datetime, *, admin: bool) -> str:
    """Check --user and its password against the registry; raise PermissionDenied."""
    password = _read_secret(getattr(args, "password_file", None), PASSWORD_ENV)
    if not args.user or password is None:
        raise PermissionDenied(f"нужны --user и --password-file (или {PASSWORD_ENV}) — "
                               f"--user and --password-file (or {PASSWORD_ENV}) are required")
    if registry.login(args.user, password, now=now) is None:
        raise PermissionDenied("неверный логин или пароль — wrong login or password")
    if admin:
        registry.require_admin(args.user)
    return args.user


# --- handlers -----------------------------------------------------------------------------------

@_guarded
def cmd_backup(args, registry_path: Path, now: datetime) -> int:
    """backup OUT: an online copy, verified (integrity check and row counts)."""
    from .registry import open_registry

    passphrase = None
    if args.encrypt:
        passphrase = _read_secret(args.passphrase_file, PASSPHRASE_ENV)
        if not passphrase:
            raise ValueError(f"--encrypt needs a passphrase: --passphrase-file or {PASSPHRASE_ENV}")
    with open_registry(registry_path, now=now) as registry:
        user = _authenticate(registry, args, now, admin=True)
        if passphrase is None:
            counts = registry.backup(args.out, actor=user, now=now)
        else:
            counts = registry.backup_encrypted(args.out, passphrase, actor=user, now=now)
    _print_json({"backup": str(args.out), "rows": counts, "encrypted": passphrase is not None})
    return EXIT_OK


@_guarded
def cmd_restore(args, registry_path: Path, now: datetime) -> int:
    """restore FILE: verify the backup, keep the current registry aside, replace it.

    The administrator is checked against the current registry; when that is missing or
    damaged (the usual reason to restore), against the accounts in the backup itself.
    """
    from .backend import is_url
    from .errors import RegistryError
    from .registry import open_registry, restore, verify_admin_in_file

    from .crypt import decrypt_file, is_encrypted
    from desktop.fileutil import temp_name

    passphrase = _read_secret(args.passphrase_file, PASSPHRASE_ENV) if is_encrypted(args.file) else None
    if is_encrypted(args.file) and not passphrase:
        raise ValueError(f"the backup is encrypted: give --passphrase-file or {PASSPHRASE_ENV}")
    if is_url(registry_path):
        return _restore_server(args, registry_path, now, passphrase)
    try:
        registry = open_registry(registry_path, now=now) if registry_path.exists() else None
    except RegistryError:
        registry = None
    if registry is not None:
        with registry:
            user = _authenticate(registry, args, now, admin=True)
    else:
        password = _read_secret(args.password_file, PASSWORD_ENV)
        accounts = args.file
        plain = None
        try:
            if passphrase is not None:
                plain = temp_name(registry_path.with_name(registry_path.name + ".accounts"))
                decrypt_file(args.file, plain, passphrase)
                accounts = plain
            allowed = password is not None and verify_admin_in_file(accounts, args.user, password)
        finally:
            if plain is not None:
                plain.unlink(missing_ok=True)
        if not allowed:
            raise PermissionDenied("нужен администратор из этой копии — "
                                   "an administrator of the backup is required")
        user = args.user
    aside = restore(args.file, registry_path, now=now, passphrase=passphrase)
    with open_registry(registry_path, now=now) as registry:
        registry.log(user=user, action="restore", obj=f"backup:{Path(args.file).name}", now=now,
                     details={"previous_kept_as": str(aside) if aside else None})
    _print_json({"restored": str(registry_path), "from": str(args.file),
                 "previous_kept_as": str(aside) if aside else None})
    return EXIT_OK


def _restore_server(args, url: str, now: datetime, passphrase: str | None = None) -> int:
    """restore FILE into the clinic's server: an administrator of the server's registry; the
    current contents are first kept as a portable backup in the desk's backups folder."""
    from .registry import open_registry, restore

    with open_registry(url, now=now) as registry:
        user = _authenticate(registry, args, now, admin=True)
        aside = restore(args.file, registry.location, now=now, passphrase=passphrase)
        registry.log(user=user, action="restore", obj=f"backup:{Path(args.file).name}", now=now,
                     details={"previous_kept_as": str(aside)})
        shown = registry.location.display
    _print_json({"restored": shown, "from": str(args.file), "previous_kept_as": str(aside)})
    return EXIT_OK


@_guarded
def cmd_worklist(args, registry_path: Path, now: datetime) -> int:
    """worklist [--days N] [--on DATE]: any signed-in user."""
    from .registry import open_registry

    if args.days < 0:
        raise ValueError("--days must not be negative")
    with open_registry(registry_path, now=now) as registry:
        _authenticate(registry, args, now, admin=False)
        items = registry.worklist(args.on or now.date(), args.days)
    _print_json([{"patient_id": i.patient_id, "name": i.name, "iin": i.iin, "phone": i.phone,
                  "ends": i.ends, "until": i.until.isoformat()} for i in items])
    return EXIT_OK


@_guarded
def cmd_export(args, registry_path: Path, now: datetime) -> int:
    """export --csv F --json F [--again]."""
    from .registry import open_registry

    with open_registry(registry_path, now=now) as registry:
        user = _authenticate(registry, args, now, admin=True)
        result = registry.export_attachments(args.csv_out, args.json_out, now=now, user=user,
                                             again=args.again)
    _print_json(result)
    return EXIT_OK


@_guarded
def cmd_users_add(args, registry_path: Path, now: datetime) -> int:
    """users add LOGIN --full-name NAME [--role R]: the first administrator needs no sign-in."""
    from .registry import open_registry

    with open_registry(registry_path, now=now) as registry:
        actor = None
        if registry.admin_ever_existed() or args.role != "admin":
            actor = _authenticate(registry, args, now, admin=True)
        new_password = _read_secret(args.new_password_file, NEW_PASSWORD_ENV)
        if not new_password:
            raise ValueError("the new account needs a password: --new-password-file or "
                             f"{NEW_PASSWORD_ENV}")
        user_id = registry.create_user(args.login, new_password, full_name=args.full_name,
                                       role=args.role, now=now, actor=actor)
    _print_json({"id": user_id, "login": args.login, "role": args.role})
    return EXIT_OK


@_guarded
def cmd_users_list(args, registry_path: Path, now: datetime) -> int:
    """users list."""
    from .registry import open_registry

    with open_registry(registry_path, now=now) as registry:
        _authenticate(registry, args, now, admin=True)
        users = registry.users()
    _print_json([{"login": u.login, "full_name": u.full_name, "role": u.role,
                  "active": u.active, "created_at": u.created_at.isoformat()} for u in users])
    return EXIT_OK


@_guarded
def cmd_audit(args, registry_path: Path, now: datetime) -> int:
    """audit [--csv OUT] [--limit N]: the newest entries as JSON, or the whole log as CSV."""
    from .registry import open_registry

    with open_registry(registry_path, now=now) as registry:
        user = _authenticate(registry, args, now, admin=True)
        if args.action == "verify":
            result = registry.verify_audit()
            _print_json(result)
            return EXIT_OK if result["ok"] else EXIT_FAILED
        if args.csv_out is not None:
            count = registry.export_audit(args.csv_out, actor=user, now=now)
            _print_json({"csv": str(args.csv_out), "entries": count})
            return EXIT_OK
        entries = registry.audit_entries(limit=args.limit)
    _print_json([{"id": e.id, "at": e.at.isoformat(), "user": e.user, "action": e.action,
                  "object": e.object, "details": json.loads(e.details)} for e in entries])
    return EXIT_OK


@_guarded
def cmd_numbers(args, registry_path: Path, now: datetime) -> int:
    """numbers void-list: numbers taken whose document was never stored, with the reason."""
    from .registry import open_registry

    with open_registry(registry_path, now=now) as registry:
        _authenticate(registry, args, now, admin=True)
        rows = registry.document_numbers(status="void")
    _print_json([{"number": r.number, "kind": r.kind, "user": r.user,
                  "reserved_at": r.reserved_at.isoformat(), "reason": r.reason,
                  "voided_at": r.closed_at.isoformat() if r.closed_at else None} for r in rows])
    return EXIT_OK


@_guarded
def cmd_clinic_show(args, registry_path: Path, now: datetime) -> int:
    """clinic show: the details printed on documents (no sign-in: they are on every paper)."""
    from .clinic import FIELDS, complete
    from .registry import open_registry

    with open_registry(registry_path, now=now) as registry:
        details = registry.clinic_details()
    _print_json({**{f: details[f] for f in FIELDS}, "complete": complete(details)})
    return EXIT_OK


@_guarded
def cmd_clinic_set(args, registry_path: Path, now: datetime) -> int:
    """clinic set --name-ru … --bin … (administrator): only the options given change."""
    from .clinic import FIELDS
    from .registry import open_registry

    values = {field: getattr(args, option[2:].replace("-", "_"))
              for option, field in CLINIC_OPTIONS.items()
              if getattr(args, option[2:].replace("-", "_")) is not None}
    if not values:
        raise ValueError("nothing to set: give --name-ru, --name-kk, --bin, --address-ru, "
                         "--address-kk or --head")
    with open_registry(registry_path, now=now) as registry:
        user = _authenticate(registry, args, now, admin=True)
        registry.set_clinic_details(values, actor=user, now=now)
        details = registry.clinic_details()
    _print_json({f: details[f] for f in FIELDS})
    return EXIT_OK


def cmd_registry_copy(args, registry_path, now: datetime) -> int:
    """registry copy SRC DST: every table, verified by row counts and hashes; DST must be empty
    (a new file, or an empty database)."""
    from .backend import is_url
    from .transfer import copy_registry

    def location(value: str):
        return value if is_url(value) else Path(value)

    @_guarded
    def run_copy(args, _path, now):
        result = copy_registry(location(args.src), location(args.dst))
        _print_json({"copied": True, "src": _shown(args.src), "dst": _shown(args.dst),
                     "tables": result})
        return EXIT_OK

    return run_copy(args, registry_path, now)


def _shown(value: str) -> str:
    from .backend import parse_location

    return parse_location(value if "://" in value else Path(value)).display


def cmd_server_init(args, registry_path, now: datetime) -> int:
    """server init: see desktop/store/server.py."""
    from .server import ServerSetupError, server_init
    from desktop.cli import _bundled_reference

    try:
        result = server_init(data=args.data, superuser_url=args.superuser_url, port=args.port,
                             listen=args.listen, allow=args.allow, database=args.database,
                             owner=args.owner, desk=args.desk, host=args.host,
                             reference=_bundled_reference(), now=now)
    except ValueError as exc:
        sys.stderr.write(json.dumps({"errors": [{"field": "", "message": str(exc)}]},
                                    ensure_ascii=False) + "\n")
        return EXIT_INVALID
    except StoreError as exc:
        return _fail(f"polyclinic server init: {exc}", EXIT_FAILED)
    _print_json(result)
    sys.stderr.write("Укажите на каждом окне — at each desk: --db (или POLYCLINIC_DB) "
                     f"{result['desk_url']}\n")
    return EXIT_OK
