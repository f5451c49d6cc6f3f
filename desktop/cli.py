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


def _today() -> date:
    """The only place the command line reads the clock; the core is always given the date."""
    return date.today()


def _emit_errors(errors: list[dict]):
    sys.stderr.write(json.dumps({"errors": errors}, ensure_ascii=False) + "\n")


def _db_path(args) -> Path:
    from desktop.paths import default_db

    return Path(args.db) if getattr(args, "db", None) else default_db()


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
    return ensure_reference(db, _bundled_reference())


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    return Path(name).read_text(encoding="utf-8")


# --- decide ---------------------------------------------------------------------------------
def cmd_decide(args) -> int:
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError
    from desktop.core.refdata import RefDataError

    try:
        text = _read_input(args.case)
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
            data = json.loads(text)
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
    # output lines stay in step with input lines, and the exit code is 2.
    out = sys.stdout
    bad = 0
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            out.write(dumps(decide_data(data, ref, on=args.on, default_date=today,
                                        lang=args.lang).to_dict()) + "\n")
        except ValueError as e:
            errors = e.errors if isinstance(e, CaseError) else [{"field": "CASE", "message": f"not valid JSON: {e}"}]
            for err in errors:
                err["line"] = n
            out.write(dumps({"errors": errors}) + "\n")
            _emit_errors(errors)
            bad += 1
    return EXIT_INVALID if bad else EXIT_OK


# --- prices ---------------------------------------------------------------------------------
def cmd_prices(args) -> int:
    from desktop.core.dates import parse_date

    try:
        on = parse_date(args.on) if args.on else _today()
    except ValueError as e:
        _emit_errors([{"field": "--on", "message": f"{e}: {args.on!r}"}])
        return EXIT_INVALID
    ref = load_ref(args)
    items = [{"code": p.code, "name_ru": p.name_ru, "name_kk": p.name_kk, "price": str(p.price),
              "unit": p.unit_ru, "unit_kk": p.unit_kk,
              "valid_from": p.valid_from and p.valid_from.isoformat(),
              "valid_until": p.valid_until and p.valid_until.isoformat()} for p in ref.prices_on(on)]
    sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=1) + "\n")
    return EXIT_OK


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
        if not args.quiet:
            print(json.dumps({"version": version, "file": str(out)}, ensure_ascii=False))
        return EXIT_OK
    if args.action == "list":
        from desktop.core.refinstall import installed

        load_ref(args)
        print(json.dumps(installed(_db_path(args)), ensure_ascii=False, indent=1))
        return EXIT_OK
    sys.stderr.write(f"polyclinic refdata: unknown action {args.action}\n")
    return EXIT_INVALID


# --- GUI ------------------------------------------------------------------------------------
def cmd_gui(args) -> int:
    from desktop.gui.app import run

    return run(db_path=_db_path(args), bundled_reference=_bundled_reference(),
               exit_after_start=args.exit_after_start, today=_today())


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="polyclinic", description="Polyclinic front desk: attachment and coverage decisions.")
    p.add_argument("--db", help="registry database file (default: $POLYCLINIC_DB or the user data folder)")
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

    r = sub.add_parser("refdata", help="reference data: build, list")
    r.add_argument("action", choices=("build", "list"))
    r.add_argument("--sources", help="source folder (default db/sources)")
    r.add_argument("--out", help="output file (default resources/reference.sqlite)")
    r.add_argument("--quiet", action="store_true")
    common(r)
    r.set_defaults(func=cmd_refdata)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    func = getattr(args, "func", None)
    try:
        if func is None:
            return cmd_gui(args)
        return func(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
