"""The `polyclinic` command: the GUI by default, and the headless commands of interface.md.

Heavy modules (Qt, SQLAlchemy, reportlab) are imported inside the command that needs them,
so that `polyclinic decide` starts fast.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_INVALID, EXIT_DENIED = 0, 1, 2, 3
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _today() -> date:
    """The only place the command line reads the clock; the core is always given the date."""
    return date.today()


def _emit_errors(errors: list[dict]):
    sys.stderr.write(json.dumps({"errors": errors}, ensure_ascii=False) + "\n")


def _db_target(args) -> Path | str:
    """The registry selected by --db / POLYCLINIC_DB: a file Path or a `postgresql://` URL."""
    from desktop.paths import db_location, default_db

    return db_location(args.db) if getattr(args, "db", None) else default_db()


def _db_path(args) -> Path:
    """The registry file, or for a server the desk's local anchor (reference data beside it)."""
    from desktop.paths import local_path

    return local_path(_db_target(args))


def _bundled_reference() -> Path:
    """The reference file shipped with the app; in a source checkout, built from db/sources
    when missing or older than the sources."""
    from desktop.paths import bundled_reference, sources_dir

    ref = bundled_reference()
    src = sources_dir()
    if src.is_dir():
        newest = max((p.stat().st_mtime for p in src.glob("*.yaml")), default=0)
        if not ref.is_file() or ref.stat().st_mtime < newest:
            from desktop.core.refbuild import build_reference

            build_reference(src, ref)
    return ref


def load_ref(args):
    """The reference data in force for the selected database (installed on first use)."""
    from desktop.core.refinstall import ensure_reference

    db = _db_path(args)
    db.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(_db_target(args), str):  # the clinic's server: its release in force
        from desktop.store.releases import server_reference

        with _server_engine(args) as engine:
            return server_reference(engine, db, _bundled_reference(), now=_now())[0]
    return ensure_reference(db, _bundled_reference())


def _server_engine(args):
    """A checked, migrated engine on the server registry (closed on leaving the block)."""
    from contextlib import contextmanager

    from desktop.store import RegistryError
    from desktop.store.backend import parse_location, prepare

    @contextmanager
    def opened():
        try:
            engine, _ = prepare(parse_location(_db_target(args)))
        except RegistryError as e:
            sys.stderr.write(f"polyclinic: {e}\n")
            raise _RegistryUnusable() from None
        try:
            yield engine
        finally:
            engine.dispose()
    return opened()


def _read_input(name: str) -> str:
    """The text of a case file or of standard input; a UTF-8 byte-order mark is dropped."""
    if name == "-":
        return sys.stdin.read().removeprefix("\ufeff")
    return Path(name).read_text(encoding="utf-8-sig")


def _read_bytes(name: str) -> bytes:
    """The bytes of a batch file or of standard input."""
    if name == "-":
        return sys.stdin.buffer.read()
    return Path(name).read_bytes()


def _batch_lines(data: bytes) -> list[bytes]:
    """A batch's lines: split on b"\n" only (U+2028, U+0085 or a form feed inside a case never
    split one), a final newline ends the last line, a CR before it is dropped, and a UTF-8
    byte-order mark at the start is ignored."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]


def _load_json(text: str):
    """json.loads, with input nested too deeply for the parser reported as invalid JSON
    (ValueError) rather than a RecursionError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


# --- decide ---------------------------------------------------------------------------------
def cmd_decide(args) -> int:
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError
    from desktop.core.refdata import RefDataError

    try:
        # a batch is read as bytes and decoded line by line: one bad byte spoils one line only
        text = _read_bytes(args.case) if args.batch else _read_input(args.case)
    except (OSError, UnicodeDecodeError) as e:
        _emit_errors([{"field": "CASE", "message": f"cannot read {args.case}: {e}"}])
        return EXIT_INVALID
    try:
        ref = load_ref(args)
    except RefDataError as e:
        sys.stderr.write(f"polyclinic: {e}\n")
        return EXIT_FAIL
    today = _today()
    if not args.batch:
        try:
            data = _load_json(text)
        except ValueError as e:
            _emit_errors([{"field": "CASE", "message": f"not valid JSON: {e}"}])
            return EXIT_INVALID
        try:
            d = decide_data(data, ref, on=args.on, default_date=today, lang=args.lang)
        except CaseError as e:
            _emit_errors(e.errors)
            return EXIT_INVALID
        sys.stdout.write(json.dumps(d.to_dict(), ensure_ascii=False, indent=1) + "\n")
        return EXIT_OK
    # --batch: one case a line; an invalid line gives an error object in its place, so that
    # output lines stay in step with input lines, and the exit code is 2. stderr then carries
    # one JSON object {"errors": [...]} listing every bad field of every line, each error
    # with its line number.
    out = sys.stdout
    all_errors: list[dict] = []
    encode = json.JSONEncoder(ensure_ascii=False).encode

    def dumps(obj) -> str:
        # characters that some readers take as line breaks stay escaped inside strings, so
        # that output lines stay one a case whoever reads them
        text = encode(obj)
        if text.isascii() or not any(ch in text for ch in _LINE_BREAKS):
            return text
        for ch, esc in _LINE_BREAKS.items():
            text = text.replace(ch, esc)
        return text

    for n, raw in enumerate(_batch_lines(text), 1):
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise CaseError([{"field": "CASE", "message": f"not valid UTF-8 text (byte {e.start + 1} "
                                                              f"of the line)"}]) from None
            if not line.strip():
                raise CaseError([{"field": "CASE", "message": "empty line: one case a line"}])
            data = _load_json(line)
            out.write(dumps(decide_data(data, ref, on=args.on, default_date=today,
                                        lang=args.lang).to_dict()) + "\n")
        except ValueError as e:
            errors = e.errors if isinstance(e, CaseError) else [{"field": "CASE", "message": f"not valid JSON: {e}"}]
            errors = [{**err, "line": n} for err in errors]
            out.write(dumps({"errors": errors}) + "\n")
            all_errors.extend(errors)
    if all_errors:
        _emit_errors(all_errors)
        return EXIT_INVALID
    return EXIT_OK


# --- prices ---------------------------------------------------------------------------------
def cmd_prices(args) -> int:
    from desktop.core.dates import parse_date

    try:
        on = parse_date(args.on) if args.on else _today()
    except ValueError as e:
        _emit_errors([{"field": "--on", "message": f"{e}: {args.on!r}"}])
        return EXIT_INVALID
    from desktop.services import clinic_prices

    ref = load_ref(args)
    with _open_registry(args, ref) as registry:
        prices = clinic_prices(registry, ref, on)
    items = [{"code": p.code, "name_ru": p.name_ru, "name_kk": p.name_kk, "price": str(p.price),
              "unit": p.unit_ru, "unit_kk": p.unit_kk,
              "valid_from": p.valid_from and p.valid_from.isoformat(),
              "valid_until": p.valid_until and p.valid_until.isoformat()} for p in prices]
    sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=1) + "\n")
    return EXIT_OK


class _RegistryUnusable(Exception):
    pass


def _open_registry(args, ref):
    """Open (or create) the registry; on first start seed the price list from the reference data."""
    from desktop.services import seed_prices_from_reference
    from desktop.store import RegistryError, open_registry

    now = _now()
    try:
        registry = open_registry(_db_target(args), now=now)
    except RegistryError as e:
        hint = f"\nПоследняя резервная копия — latest backup: {e.backup}" if getattr(e, "backup", None) else ""
        sys.stderr.write(f"polyclinic: {e}{hint}\n")
        raise _RegistryUnusable() from None
    seed_prices_from_reference(registry, ref, now)
    return registry


def _now():
    from datetime import datetime

    return datetime.now().astimezone().replace(microsecond=0)


# --- print ----------------------------------------------------------------------------------
def cmd_print(args) -> int:
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError
    from desktop.services import ServiceError, parse_services, print_document, write_atomically

    try:
        data = _load_json(_read_input(args.case))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        _emit_errors([{"field": "CASE", "message": f"cannot read a JSON case from {args.case}: {e}"}])
        return EXIT_INVALID
    try:
        services = parse_services(args.service)
    except ServiceError as e:
        _emit_errors([{"field": "--service", "message": str(e)}])
        return EXIT_INVALID
    ref = load_ref(args)
    try:
        decision = decide_data(data, ref, on=args.on, default_date=_today(), lang=args.lang)
    except CaseError as e:
        _emit_errors(e.errors)
        return EXIT_INVALID
    on = date.fromisoformat(decision.data["as_of"])
    with _open_registry(args, ref) as registry:
        user = _signed_in(registry, args)
        if user is None:
            return EXIT_DENIED
        clinic_unset = not registry.clinic_details().get("name")
        try:
            printed = print_document(registry, ref, kind=args.kind, case=data, decision=decision.to_dict(),
                                     lang=args.lang, on=on, now=_now(), user=user,
                                     services=services)
        except ServiceError as e:
            _emit_errors([{"field": "--service", "message": str(e)}])
            return EXIT_INVALID
        except ValueError as e:
            _emit_errors([{"field": "KIND", "message": str(e)}])
            return EXIT_INVALID
    try:
        write_atomically(Path(args.output), printed.pdf)
    except OSError as e:
        sys.stderr.write(f"polyclinic: cannot write {args.output}: {e} (document {printed.number} is kept "
                         f"in the registry and can be re-printed)\n")
        return EXIT_FAIL
    if clinic_unset:
        sys.stderr.write("polyclinic: реквизиты поликлиники не заданы (Настройки) — the clinic's details "
                         "are not set yet; the document is printed without them\n")
    sys.stdout.write(json.dumps({"number": printed.number, "kind": printed.kind, "file": str(args.output),
                                 "reference": ref.version}, ensure_ascii=False) + "\n")
    return EXIT_OK


def _signed_in(registry, args) -> str | None:
    """The login of `--user` once its password (--password-file or POLYCLINIC_PASSWORD) is
    checked against the registry (the attempt is audited); None, with the reason on stderr."""
    import os

    password = None
    if getattr(args, "password_file", None):
        try:
            text = Path(args.password_file).read_text(encoding="utf-8")
            password = text.splitlines()[0] if text else ""
        except (OSError, UnicodeDecodeError) as e:
            sys.stderr.write(f"polyclinic: отказано — refused: cannot read the password file: {e}\n")
            return None
    if password is None:
        password = os.environ.get("POLYCLINIC_PASSWORD")
    if not args.user or password is None:
        sys.stderr.write("polyclinic: отказано — refused: нужны --user и --password-file (или "
                         "POLYCLINIC_PASSWORD) — --user and --password-file (or POLYCLINIC_PASSWORD) "
                         "are required\n")
        return None
    if registry.login(args.user, password, now=_now()) is None:
        sys.stderr.write("polyclinic: отказано — refused: неверный логин или пароль — wrong login or password\n")
        return None
    return args.user


# --- refdata --------------------------------------------------------------------------------
def cmd_refdata(args) -> int:
    from desktop.core.refbuild import SourceError, build_reference
    from desktop.paths import bundled_reference, sources_dir

    if args.action == "build":
        src = Path(args.sources) if args.sources else sources_dir()
        out = Path(args.out) if args.out else bundled_reference()
        try:
            version = build_reference(src, out)
        except SourceError as e:
            sys.stderr.write(f"polyclinic refdata build: {e}\n")
            return EXIT_INVALID
        result = {"version": version, "file": str(out)}
        if args.package:
            from desktop.core.refpackage import build_package

            key = Path(args.key) if args.key else Path(__file__).resolve().parent.parent / "db" / "keys" / "dev-publisher.pem"
            try:
                pem = key.read_bytes()
            except OSError as e:
                sys.stderr.write(f"polyclinic refdata build: cannot read the signing key {key}: {e}\n")
                return EXIT_INVALID
            manifest = build_package(out, Path(args.package), pem)
            result.update(package=str(args.package), sha256=manifest["database"]["sha256"])
        if not args.quiet:
            print(json.dumps(result, ensure_ascii=False))
        return EXIT_OK
    if args.action == "keygen":
        from cryptography.hazmat.primitives import serialization as ser
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if not args.out:
            _emit_errors([{"field": "--out", "message": "name the key files: --out NAME writes NAME.pem and NAME.pub"}])
            return EXIT_INVALID
        import os

        k = Ed25519PrivateKey.generate()
        private = k.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
        try:  # the private key: created 0600, never over an existing file
            fd = os.open(args.out + ".pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            _emit_errors([{"field": "--out", "message": f"{args.out}.pem exists: a key is never overwritten"}])
            return EXIT_INVALID
        with os.fdopen(fd, "wb") as fh:
            fh.write(private)
        Path(args.out + ".pub").write_bytes(k.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo))
        print(json.dumps({"private": args.out + ".pem", "public": args.out + ".pub"}))
        return EXIT_OK
    if args.action in ("import", "rollback"):
        return _refdata_change(args)
    if args.action == "list":
        from desktop.core.refinstall import installed

        load_ref(args)
        if isinstance(_db_target(args), str):
            from desktop.store.releases import listing

            with _server_engine(args) as engine:
                releases = [{k: r[k] for k in ("version", "issued", "file", "active")}
                            for r in listing(engine)]
            print(json.dumps(releases, ensure_ascii=False, indent=1))
            return EXIT_OK
        print(json.dumps(installed(_db_path(args)), ensure_ascii=False, indent=1))
        return EXIT_OK
    sys.stderr.write(f"polyclinic refdata: unknown action {args.action}\n")
    return EXIT_INVALID


def _refdata_change(args) -> int:
    """Import a package or roll back: administrators only, audited, atomic."""
    import os

    from desktop.core.refpackage import PackageError, import_package, rollback
    from desktop.paths import trusted_key_dirs

    ref = load_ref(args)
    password = None
    if args.password_file:
        try:
            password = Path(args.password_file).read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError) as e:
            sys.stderr.write(f"polyclinic: cannot read the password file: {e}\n")
            return EXIT_DENIED
    password = password if password is not None else os.environ.get("POLYCLINIC_PASSWORD")
    now = _now()
    with _open_registry(args, ref) as registry:
        from desktop.store import PermissionDenied

        try:
            if not args.user or password is None or registry.login(args.user, password, now=now) is None:
                raise PermissionDenied("неверный логин или пароль — wrong or missing --user / password")
            registry.require_admin(args.user)
        except PermissionDenied as e:
            sys.stderr.write(f"polyclinic: отказано — refused: {e}\n")
            return EXIT_DENIED
        try:
            if args.action == "import":
                if not args.file:
                    _emit_errors([{"field": "FILE", "message": "name the package file to import"}])
                    return EXIT_INVALID
                if registry.location.is_server:  # the clinic's release, on the server
                    from desktop.store.releases import import_to_server

                    res = import_to_server(registry.engine, _db_path(args), Path(args.file),
                                           trusted_key_dirs(), user=args.user, now=now,
                                           today=_today(), allow_older=args.allow_older)
                else:
                    res = import_package(_db_path(args), Path(args.file), trusted_key_dirs(),
                                         allow_older=args.allow_older, today=_today())
                registry.log(user=args.user, action="refdata_import", obj=f"refdata:{res.version}", now=now,
                             details={"previous": res.previous, "file": str(args.file)})
                print(json.dumps({"version": res.version, "previous": res.previous}, ensure_ascii=False))
            else:
                if registry.location.is_server:
                    from desktop.store.releases import rollback_on_server

                    version = rollback_on_server(registry.engine, user=args.user, now=now).version
                else:
                    version = rollback(_db_path(args))
                registry.log(user=args.user, action="refdata_rollback", obj=f"refdata:{version}", now=now,
                             details={"from": ref.version})
                print(json.dumps({"version": version, "previous": ref.version}, ensure_ascii=False))
        except PackageError as e:
            _emit_errors([{"field": "FILE", "reason": e.reason, "message": str(e)}])
            return EXIT_INVALID
        except PermissionDenied as e:  # the desk role may not switch the clinic's release
            sys.stderr.write(f"polyclinic: отказано — refused: {e}\n")
            return EXIT_DENIED
    return EXIT_OK


def cmd_recheck(args) -> int:
    """Batch re-check: every patient's latest decision against the reference data in force."""
    from desktop.core.dates import parse_date
    from desktop.services import recheck

    try:
        on = parse_date(args.on) if args.on else _today()
    except ValueError as e:
        _emit_errors([{"field": "--on", "message": f"{e}: {args.on!r}"}])
        return EXIT_INVALID
    ref = load_ref(args)
    with _open_registry(args, ref) as registry:
        changed = recheck(registry, ref, on, lang=args.lang)
    sys.stdout.write(json.dumps({"as_of": on.isoformat(), "reference": ref.version, "changed": changed},
                                ensure_ascii=False, indent=1) + "\n")
    return EXIT_OK


# --- GUI ------------------------------------------------------------------------------------
def cmd_gui(args) -> int:
    from desktop.gui.app import run

    import os

    explicit = getattr(args, "db", None) or os.environ.get("POLYCLINIC_DB")
    return run(db_path=_db_target(args) if explicit else None, bundled_reference=_bundled_reference(),
               exit_after_start=args.exit_after_start, today=_today())


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="polyclinic", description="Polyclinic front desk: attachment and coverage decisions.")
    p.add_argument("--db", help="registry database file or postgresql:// URL "
                   "(default: $POLYCLINIC_DB or the user data folder)")
    p.add_argument("--exit-after-start", action="store_true",
                   help="open the GUI, wait until the main window is shown and idle, exit 0")
    sub = p.add_subparsers(dest="command")

    def common(sp):
        sp.add_argument("--db", default=argparse.SUPPRESS, help="registry database file")

    d = sub.add_parser("decide", help="print the decision for a case as JSON")
    d.add_argument("case", help="CASE.json, or CASES.jsonl with --batch; - reads standard input")
    d.add_argument("--on", help="decide as of this date YYYY-MM-DD (overrides the case's as_of)")
    d.add_argument("--lang", choices=("ru", "kk"), default="ru")
    d.add_argument("--batch", action="store_true", help="JSON Lines in, JSON Lines out")
    common(d)
    d.set_defaults(func=cmd_decide)

    pr = sub.add_parser("prices", help="the price list in force as JSON")
    pr.add_argument("--on", help="date YYYY-MM-DD (default today)")
    common(pr)
    pr.set_defaults(func=cmd_prices)

    r = sub.add_parser("refdata", help="reference data: build, import, rollback, list, keygen")
    r.add_argument("action", choices=("build", "import", "rollback", "list", "keygen"))
    r.add_argument("file", nargs="?", help="import: the package file (e.g. from a USB stick)")
    r.add_argument("--sources", help="build: source folder (default db/sources)")
    r.add_argument("--out", help="build: output file (default resources/reference.sqlite); keygen: file name stem")
    r.add_argument("--package", help="build: also write a signed update package to this file")
    r.add_argument("--key", help="build: the publisher's private key (default: the development key)")
    r.add_argument("--allow-older", action="store_true", help="import: accept a release older than the one in force")
    r.add_argument("--user", metavar="LOGIN", help="import/rollback: administrator login")
    r.add_argument("--password-file", help="import/rollback: file whose first line is the password (or POLYCLINIC_PASSWORD)")
    r.add_argument("--quiet", action="store_true")
    common(r)
    r.set_defaults(func=cmd_refdata)
    pp = sub.add_parser("print", help="print a document for a case to a PDF")
    pp.add_argument("kind", choices=("slip", "refusal", "referral", "estimate"))
    pp.add_argument("case", help="CASE.json, or - for standard input")
    pp.add_argument("-o", "--output", required=True, help="the PDF file to write")
    pp.add_argument("--lang", choices=("ru", "kk"), default="ru")
    pp.add_argument("--on", help="document and decision date YYYY-MM-DD (default: the case's as_of, else today)")
    pp.add_argument("--service", action="append", default=[], metavar="CODE=QTY",
                    help="estimate: a service and its quantity; repeat for more")
    pp.add_argument("--user", metavar="LOGIN", help="who prints: a signed-in user (recorded in the audit log)")
    pp.add_argument("--password-file", help="file whose first line is the password (or POLYCLINIC_PASSWORD)")
    common(pp)
    pp.set_defaults(func=cmd_print)

    rc = sub.add_parser("recheck", help="re-decide every stored patient; list those whose decision changed")
    rc.add_argument("--on", help="as of this date (default today)")
    rc.add_argument("--lang", choices=("ru", "kk"), default="ru")
    common(rc)
    rc.set_defaults(func=cmd_recheck)

    from desktop.store import commands as store_commands

    store_commands.add_commands(sub)
    from desktop import patients_import

    patients_import.add_commands(sub)
    for name, sp in sub.choices.items():
        if name in ("backup", "restore", "worklist", "export", "users", "audit", "numbers", "clinic",
                    "patients"):
            _add_db_option(sp)
    return p


def _add_db_option(sp):
    """--db after the subcommand too, for every store command and its own subcommands."""
    try:
        sp.add_argument("--db", default=argparse.SUPPRESS, help="registry database file")
    except argparse.ArgumentError:
        pass
    for action in sp._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_db_option(child)


def cmd_store(args) -> int:
    from desktop.store import commands as store_commands

    return store_commands.run(args, _db_target(args), _now())


def main(argv=None) -> int:
    from desktop.fileutil import private_umask

    private_umask()  # every file with patient data: 0600, folders 0700
    args = build_parser().parse_args(argv)
    func = getattr(args, "func", None)
    if func is None and getattr(args, "store_command", None) is not None:
        func = cmd_store
    try:
        if func is None:
            return cmd_gui(args)
        return func(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_FAIL
    except _RegistryUnusable:
        return EXIT_FAIL
    except Exception as e:  # a damaged registry found mid-command: the message, never a traceback
        from desktop.store.errors import RegistryError

        if isinstance(e, RegistryError):
            sys.stderr.write(f"polyclinic: {e}\n")
            return EXIT_FAIL
        if type(e).__module__.startswith(("sqlite3", "sqlalchemy", "psycopg")):
            from desktop.store import backend

            location = backend.parse_location(_db_target(args))
            if location.is_server:  # the server refused or went away: nothing is damaged
                sys.stderr.write(f"polyclinic: {backend.server_error(location, e)}\n")
                return EXIT_FAIL
            sys.stderr.write(f"polyclinic: База данных повреждена или недоступна — the database is "
                             f"damaged or unavailable: {e}\n")
            return EXIT_FAIL
        raise


if __name__ == "__main__":
    sys.exit(main())
