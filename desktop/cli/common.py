"""What every command of the `polyclinic` command line shares: the exit codes, the `--db`
option and the registry it selects, credentials, reading cases, JSON output and the messages
for the store's errors.

Only the standard library is imported at module level (the core, SQLAlchemy, reportlab load
inside the handlers), so that `polyclinic decide` pays for nothing it does not use.

Exit codes: 0 done; 1 the registry (or a file) cannot be used, message on stderr; 2 invalid
input, `{"errors": [...]}` on stderr; 3 refused: wrong login or password, not an administrator.
Credentials: `--user LOGIN` with `--password-file F` (its first line) or POLYCLINIC_PASSWORD.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_REFUSED = 0, 1, 2, 3
PASSWORD_ENV = "POLYCLINIC_PASSWORD"
PASSPHRASE_ENV = "POLYCLINIC_BACKUP_PASSPHRASE"
NEW_PASSWORD_ENV = "POLYCLINIC_NEW_PASSWORD"

Handler = "Callable[[argparse.Namespace], int]"   # a name for annotations (typing not loaded)


class RegistryUnusable(Exception):
    """The registry could not be opened; the reason is already on stderr (exit 1)."""


# --- the clock --------------------------------------------------------------------------------
def today() -> date:
    """The only places the command line reads the clock; the core is always given the date."""
    return date.today()


def now() -> datetime:
    return datetime.now().astimezone().replace(microsecond=0)


# --- output -----------------------------------------------------------------------------------
def emit_errors(errors: list[dict]) -> None:
    """Invalid input: one JSON object {"errors": [...]} on stderr."""
    sys.stderr.write(json.dumps({"errors": errors}, ensure_ascii=False) + "\n")


def print_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=1, default=str) + "\n")


def fail(message: str, code: int = EXIT_FAILED) -> int:
    """A message on stderr, prefixed with the program's name; returns `code`."""
    message = message.rstrip()
    if not message.startswith("polyclinic"):
        message = f"polyclinic: {message}"
    sys.stderr.write(message + "\n")
    return code


def refused(reason) -> int:
    return fail(f"отказано — refused: {reason}", EXIT_REFUSED)


# --- options ----------------------------------------------------------------------------------
def add_db_option(parser: argparse.ArgumentParser) -> None:
    """--db after the subcommand too (and after each of its own subcommands)."""
    try:
        parser.add_argument("--db", default=argparse.SUPPRESS,
                            help="registry database file or postgresql:// URL")
    except argparse.ArgumentError:
        pass
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                add_db_option(child)


def credentials(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """--user and --password-file. A missing --user is refused by `authenticate` (exit 3, as
    the README says), not by argparse (exit 2), unless `required`."""
    parser.add_argument("--user", required=required, metavar="LOGIN",
                        help="who runs the command (recorded in the audit log)")
    parser.add_argument("--password-file", type=Path, metavar="F",
                        help=f"file whose first line is the password (or set {PASSWORD_ENV})")


def passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--passphrase-file", type=Path, metavar="F",
                        help=f"first line is the backup passphrase (or set {PASSPHRASE_ENV})")


def lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=("ru", "kk"), default="ru")


def iso_date(text: str) -> date:
    """argparse type: a date YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def date_option(args, name: str = "on") -> date | None:
    """`--on` as a date (None when not given); ValueError naming the option and the value."""
    from desktop.core.dates import parse_date

    value = getattr(args, name, None)
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError as e:
        raise InvalidOption(f"--{name}", f"{e}: {value!r}") from None


class InvalidOption(ValueError):
    """A bad option value: exit 2 with {"errors": [{"field": option, "message": ...}]}."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def check_output(args, option: str, path) -> Path:
    """The one check of every file a command writes (print -o, export, audit --csv, backup):
    InvalidOption (exit 2, naming `option`) when it is the registry or one of its own files,
    a folder, a device, a symbolic link, or in a folder that does not exist."""
    from desktop.fileutil import output_problem

    try:
        registry = db_path(args)
    except Exception:  # noqa: BLE001 - a bad --db is reported when the registry is opened
        registry = None
    problem = output_problem(path, registry)
    if problem is not None:
        ru, en = problem
        raise InvalidOption(option, f"{option} {path}: нельзя записать сюда — {ru} — "
                                    f"refusing to write there: {en}")
    return Path(path)


# --- the registry -----------------------------------------------------------------------------
def db_target(args) -> Path | str:
    """The registry selected by --db / POLYCLINIC_DB: a file Path or a `postgresql://` URL."""
    from desktop.paths import db_location, default_db

    return db_location(args.db) if getattr(args, "db", None) else default_db()


def db_path(args) -> Path:
    """The registry file, or for a server the desk's local anchor (reference data beside it)."""
    from desktop.paths import local_path

    return local_path(db_target(args))


def is_server(args) -> bool:
    return isinstance(db_target(args), str)


def bundled_reference() -> Path:
    """The reference file shipped with the app; in a source checkout, built from db/sources
    when missing or older than the sources."""
    from desktop.paths import bundled_reference as shipped, sources_dir

    ref = shipped()
    src = sources_dir()
    if src.is_dir():
        newest = max((p.stat().st_mtime for p in src.glob("*.yaml")), default=0)
        if not ref.is_file() or ref.stat().st_mtime < newest:
            from desktop.core.refbuild import build_reference

            build_reference(src, ref)
    return ref


def load_ref(args):
    """The reference data in force for the selected registry (installed on first use); on the
    clinic's server, the release in force there."""
    from desktop.core.refinstall import ensure_reference

    from desktop.fileutil import private_dir

    db = db_path(args)
    private_dir(db.parent)   # the user's data folder: 0700, on Windows owner and SYSTEM only
    if is_server(args):
        from desktop.store.releases import server_reference

        with server_engine(args) as engine:
            return server_reference(engine, db, bundled_reference(), now=now())[0]
    return ensure_reference(db, bundled_reference())


@contextmanager
def server_engine(args):
    """A checked, migrated engine on the server registry (disposed on leaving the block)."""
    from desktop.store import RegistryError
    from desktop.store.backend import parse_location, prepare

    try:
        engine, _ = prepare(parse_location(db_target(args)))
    except RegistryError as e:
        sys.stderr.write(f"polyclinic: {e}\n")
        raise RegistryUnusable() from None
    try:
        yield engine
    finally:
        engine.dispose()


def open_registry(args, ref=None):
    """Open (or create) the selected registry; given the reference data, a first start seeds
    the clinic's price list from it. RegistryUnusable (message on stderr) when it cannot be."""
    from desktop.store import RegistryError, open_registry as open_

    moment = now()
    try:
        registry = open_(db_target(args), now=moment)
    except RegistryError as e:
        hint = f"\nПоследняя резервная копия — latest backup: {e.backup}" if e.backup else ""
        sys.stderr.write(f"polyclinic: {e}{hint}\n")
        raise RegistryUnusable() from None
    if ref is not None:
        from desktop.services import seed_prices_from_reference

        seed_prices_from_reference(registry, ref, moment)
    return registry


# --- input ------------------------------------------------------------------------------------
def read_text(name: str) -> str:
    """The text of a case file or of standard input ("-"); a UTF-8 byte-order mark is dropped."""
    if name == "-":
        return sys.stdin.read().removeprefix("\ufeff")
    return Path(name).read_text(encoding="utf-8-sig")


def read_bytes(name: str) -> bytes:
    """The bytes of a batch file or of standard input ("-")."""
    if name == "-":
        return sys.stdin.buffer.read()
    return Path(name).read_bytes()


def batch_lines(data: bytes) -> list[bytes]:
    """A batch's lines: split on b"\\n" only (U+2028, U+0085 or a form feed inside a case never
    split one), a final newline ends the last line, a CR before it is dropped, and a UTF-8
    byte-order mark at the start is ignored."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]


def load_json(text: str):
    """A case's JSON (desktop.core.case.load_json: too deep a nesting is invalid JSON)."""
    from desktop.core.case import load_json as load

    return load(text)


def read_secret(path: Path | None, env: str) -> str | None:
    """The first line of `path`, else the environment variable `env`, else None.

    The file reads as the typed text: a UTF-8 byte-order mark and the line end (CRLF from
    Notepad too) are not part of it. A UTF-16 file or one that is not UTF-8 text is InvalidOption
    (exit 2) naming the option, never a traceback."""
    if path is not None:
        option = {PASSWORD_ENV: "--password-file", PASSPHRASE_ENV: "--passphrase-file",
                  NEW_PASSWORD_ENV: "--new-password-file"}.get(env, str(path))
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidOption(option, f"cannot read {path}: {exc.strerror}") from None
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
            raise InvalidOption(option, f"{path}: файл в кодировке UTF-16, сохраните его как UTF-8 — "
                                        "the file is UTF-16 text; save it as UTF-8")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidOption(option, f"{path}: это не текст UTF-8 — {path} is not UTF-8 "
                                        "text") from None
        return text.splitlines()[0] if text else ""
    return os.environ.get(env)


def authenticate(registry, args, moment: datetime, *, admin: bool) -> str:
    """Check --user and its password against the registry (the attempt is audited); return the
    login. Raises PermissionDenied (exit 3) when either is missing or wrong, or when `admin` and
    the user is not an administrator."""
    from desktop.store import PermissionDenied

    password = read_secret(getattr(args, "password_file", None), PASSWORD_ENV)
    if not getattr(args, "user", None) or password is None:
        raise PermissionDenied(f"нужны --user и --password-file (или {PASSWORD_ENV}) — "
                               f"--user and --password-file (or {PASSWORD_ENV}) are required")
    if registry.login(args.user, password, now=moment) is None:
        raise PermissionDenied("неверный логин или пароль — wrong login or password")
    if admin:
        registry.require_admin(args.user)
    return args.user


# --- errors -----------------------------------------------------------------------------------
def input_errors(exc) -> list[dict]:
    """The JSON error list for an exception that means bad input (exit 2)."""
    from desktop.store.errors import ClinicDetailsInvalid, PasswordRejected

    if isinstance(exc, InvalidOption):
        return [{"field": exc.field, "message": str(exc)}]
    if isinstance(exc, PasswordRejected):
        return [{"field": "password", "reason": exc.reason, "message": str(exc)}]
    if isinstance(exc, ClinicDetailsInvalid):
        return [{"field": p["field"], "reason": p["reason"], "message": p["message"]}
                for p in exc.problems]
    return [{"field": "", "message": str(exc)}]


def guarded(handler: Handler) -> Handler:
    """Turn the store's exceptions into messages and exit codes (never a traceback)."""

    @functools.wraps(handler)
    def wrapper(args) -> int:
        from desktop.store.errors import (ClinicDetailsInvalid, Conflict, NotFound,
                                          PasswordRejected, PermissionDenied, RegistryError,
                                          StoreError)

        try:
            return handler(args)
        except RegistryUnusable:
            return EXIT_FAILED
        except (PasswordRejected, ClinicDetailsInvalid, InvalidOption) as exc:
            emit_errors(input_errors(exc))
            return EXIT_INVALID
        except PermissionDenied as exc:
            return refused(exc)
        except RegistryError as exc:
            hint = f"\nПоследняя копия — latest backup: {exc.backup}" if exc.backup else ""
            return fail(f"{exc}{hint}")
        except (ValueError, NotFound, Conflict) as exc:
            emit_errors(input_errors(exc))
            return EXIT_INVALID
        except StoreError as exc:
            return fail(str(exc))
        except OSError as exc:
            import errno

            if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
                return fail(f"нет места на диске, ничего не повреждено — no space left on the "
                            f"disk, nothing is damaged: {exc.filename or exc}")
            return fail(f"Ошибка файла — file error: {exc}")
        except Exception as exc:  # damage found mid-command, or the server went away
            message = database_error(args, exc)
            if message is None:
                raise
            return fail(message)

    return wrapper


def database_error(args, exc: Exception) -> str | None:
    """The message for an error of SQLite, SQLAlchemy or the server's driver; None for others.
    A server's refusal or a lost connection is never called damage."""
    if not type(exc).__module__.startswith(("sqlite3", "sqlalchemy", "psycopg")):
        return None
    from desktop.store import backend, db

    try:
        target = db_target(args)
    except Exception:  # noqa: BLE001 - the --db value itself is what is wrong
        return f"База данных недоступна — the database is unavailable: {exc}"
    location = backend.parse_location(target)
    if location.is_server:
        return str(backend.server_error(location, exc))
    return str(db.wrap_db_error(Path(location.path), exc))
