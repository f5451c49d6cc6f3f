"""Patients in bulk and the call list: `patients import FILE.jsonl` (administrator) and
`worklist` (any signed-in user).

`patients import`: a clinic loading its attached population, one case (interface.md) a line;
each valid line decided by the same core as `decide` and saved with its decision
(services.import_lines). One JSON line out per case line; exit 0 when every line was imported
or already present, 2 when a line was invalid (stderr then carries one {"errors": [...]} with
every bad line's errors), 3 refused, 1 registry unusable."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from . import common
from .common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, emit_errors, print_json


def add_commands(sub) -> None:
    p = sub.add_parser("patients", help="patients in bulk (admin)")
    patients = p.add_subparsers(dest="patients_command", required=True)
    imp = patients.add_parser("import", help="register patients with their decisions from case "
                                             "lines (JSON Lines), skipping those already registered")
    imp.add_argument("file", metavar="FILE.jsonl", help="one case a line; - reads standard input")
    imp.add_argument("--on", help="decide as of this date YYYY-MM-DD (default: each case's as_of, "
                                  "else today)")
    common.lang_option(imp)
    common.credentials(imp)
    imp.set_defaults(func=cmd_patients_import)

    p = sub.add_parser("worklist", help="attachments whose basis ends soon, as JSON")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--on", type=common.iso_date, default=None, metavar="YYYY-MM-DD")
    common.credentials(p)
    p.set_defaults(func=cmd_worklist)


@common.guarded
def cmd_patients_import(args) -> int:
    from desktop.services import import_lines
    from desktop.store import StoreError

    try:
        # split on "\n" only (U+2028 inside a string is not a line end), decoded per line
        lines = common.read_bytes(args.file).split(b"\n")
    except OSError as e:
        emit_errors([{"field": "FILE", "message": f"cannot read {args.file}: {e}"}])
        return EXIT_INVALID
    ref = common.load_ref(args)
    moment = common.now()
    counts = {"created": 0, "exists": 0, "invalid": 0}
    all_errors: list[dict] = []
    with common.open_registry(args, ref) as registry:
        user = common.authenticate(registry, args, moment, admin=True)
        out = sys.stdout
        try:
            for result in import_lines(registry, ref, lines, user=user, now=moment,
                                       today=common.today(), on=args.on, lang=args.lang):
                if "errors" in result:
                    counts["invalid"] += 1
                    all_errors.extend(result["errors"])
                else:
                    counts[result["status"]] += 1
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
        except StoreError as e:
            return common.fail(str(e), EXIT_FAILED)
        finally:
            registry.log(user=user, action="import", obj=f"patients:{Path(args.file).name}",
                         now=moment, details=counts)
    if all_errors:
        emit_errors(all_errors)
        return EXIT_INVALID
    return EXIT_OK


@common.guarded
def cmd_worklist(args) -> int:
    """worklist [--days N] [--on DATE]: any signed-in user."""
    if args.days < 0:
        raise common.InvalidOption("--days", "--days must not be negative")
    moment = common.now()
    with common.open_registry(args) as registry:
        common.authenticate(registry, args, moment, admin=False)
        items = registry.worklist(args.on or moment.date(), args.days)
    print_json([{"patient_id": i.patient_id, "name": i.name, "iin": i.iin, "phone": i.phone,
                 "ends": i.ends, "until": i.until.isoformat()} for i in items])
    return EXIT_OK
