"""`polyclinic patients import FILE.jsonl --user ADMIN`: a clinic loading its attached
population, one case (interface.md) a line.

Each valid line is decided by the same core as `polyclinic decide` and saved with its decision,
as the desk saves a patient. A person already in the registry (the same ИИН, or the same
surname, given name and birth date) is reported and not saved again, so running the same file
twice doubles no one. One JSON line out per case line:

    {"line": 1, "status": "created", "patient_id": 7, "decision_id": 9, "category": "..."}
    {"line": 2, "status": "exists", "patient_id": 3}
    {"line": 3, "errors": [{"field": "person.iin", "message": "...", "line": 3}]}

Exit 0 when every line was imported or already present; 2 when a line was invalid (stderr then
carries one {"errors": [...]} with every bad line's errors); 3 refused; 1 registry unusable.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("patients", help="patients in bulk (admin)")
    sub = p.add_subparsers(dest="patients_command", required=True)
    imp = sub.add_parser("import", help="register patients with their decisions from case lines "
                                        "(JSON Lines), skipping those already registered")
    imp.add_argument("file", metavar="FILE.jsonl", help="one case a line; - reads standard input")
    imp.add_argument("--on", help="decide as of this date YYYY-MM-DD (default: each case's as_of, "
                                  "else today)")
    imp.add_argument("--lang", choices=("ru", "kk"), default="ru")
    imp.add_argument("--user", required=True, metavar="LOGIN")
    imp.add_argument("--password-file", type=Path, metavar="F",
                     help="first line is the password (or set POLYCLINIC_PASSWORD)")
    imp.set_defaults(func=cmd_patients_import)


def import_lines(registry, ref, lines, *, user: str, now: datetime, today: date,
                 on: str | None = None, lang: str = "ru"):
    """Yield one result dict per non-blank line (see the module's text)."""
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError
    from desktop.store import Conflict

    for n, line in enumerate(lines, 1):
        if isinstance(line, bytes):  # decoded line by line: one bad byte spoils only its line
            try:
                line = line.decode("utf-8").removesuffix("\r")
            except UnicodeDecodeError as e:
                yield {"line": n, "errors": [{"field": "CASE", "message": f"not UTF-8: {e}",
                                              "line": n}]}
                continue
        if not line.strip():
            continue
        try:
            try:
                data = json.loads(line.removeprefix("\ufeff") if n == 1 else line)
            except RecursionError:
                raise ValueError("nested too deeply") from None
            decision = decide_data(data, ref, on=on, default_date=today, lang=lang).to_dict()
        except CaseError as e:
            yield {"line": n, "errors": [{**err, "line": n} for err in e.errors]}
            continue
        except ValueError as e:
            yield {"line": n, "errors": [{"field": "CASE", "message": f"not valid JSON: {e}",
                                          "line": n}]}
            continue
        existing = registry.likely_duplicates(data)
        if existing:
            yield {"line": n, "status": "exists", "patient_id": existing[0].id,
                   "iin": existing[0].iin}
            continue
        try:
            with registry.unit():  # the patient with its decision, or neither
                patient_id = registry.save_patient(data, user=user, now=now)
                decision_id = registry.record_decision(patient_id, decision, user=user, now=now)
        except Conflict as e:  # another desk saved the same ИИН at this moment
            again = registry.likely_duplicates(data)
            yield {"line": n, "status": "exists", "patient_id": again[0].id if again else None,
                   "message": str(e)}
            continue
        yield {"line": n, "status": "created", "patient_id": patient_id,
               "decision_id": decision_id, "category": decision.get("category"),
               "attachment": (decision.get("attachment") or {}).get("status")}


def cmd_patients_import(args) -> int:
    from desktop.cli import _emit_errors, _now, _open_registry, _today, load_ref
    from desktop.store import PermissionDenied, StoreError
    from desktop.store.commands import EXIT_REFUSED, _authenticate

    try:
        # split on "\n" only (U+2028 inside a string is not a line end), decoded per line
        if args.file == "-":
            lines = sys.stdin.buffer.read().split(b"\n")
        else:
            lines = Path(args.file).read_bytes().split(b"\n")
    except OSError as e:
        _emit_errors([{"field": "FILE", "message": f"cannot read {args.file}: {e}"}])
        return EXIT_INVALID
    ref = load_ref(args)
    now = _now()
    counts = {"created": 0, "exists": 0, "invalid": 0}
    all_errors: list[dict] = []
    with _open_registry(args, ref) as registry:
        try:
            user = _authenticate(registry, args, now, admin=True)
        except PermissionDenied as e:
            sys.stderr.write(f"polyclinic: отказано — refused: {e}\n")
            return EXIT_REFUSED
        except ValueError as e:  # an unreadable password file
            _emit_errors([{"field": "--password-file", "message": str(e)}])
            return EXIT_INVALID
        out = sys.stdout
        try:
            for result in import_lines(registry, ref, lines, user=user, now=now,
                                       today=_today(), on=args.on, lang=args.lang):
                if "errors" in result:
                    counts["invalid"] += 1
                    all_errors.extend(result["errors"])
                else:
                    counts[result["status"]] += 1
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
        except StoreError as e:
            sys.stderr.write(f"polyclinic: {e}\n")
            return EXIT_FAILED
        finally:
            registry.log(user=user, action="import", obj=f"patients:{Path(args.file).name}",
                         now=now, details=counts)
    if all_errors:
        _emit_errors(all_errors)
        return EXIT_INVALID
    return EXIT_OK
