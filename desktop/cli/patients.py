"""Patients in bulk and the call list: `patients import FILE.jsonl` (administrator), duplicate
records (`patients duplicates|merge|unmerge`, administrator) and `worklist` (any signed-in user).

`patients duplicates [--min-score N]`: [{"keep", "other", "score", "matched", "flagged"}], pairs
a registrar flagged first, then best first. `patients merge KEEP OTHER [--take FIELD=other ...]
[--dry-run]`: {"merge_id", "kept", "merged", "moved"} (the dry run prints the preview and
writes nothing). `patients unmerge MERGE_ID`: exit 3 with every reason when later writes
depend on the merge.

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


COMMANDS = ("patients", "worklist")  # the commands add_commands adds


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

    dup = patients.add_parser("duplicates", help="likely duplicate records as JSON, best first "
                                                 "(flagged by registrars first)")
    dup.add_argument("--min-score", type=int, default=None, metavar="N",
                     help="show pairs scoring at least N of 100 (default: the reference data's)")
    common.credentials(dup)
    dup.set_defaults(func=cmd_patients_duplicates)

    merge = patients.add_parser("merge", help="merge record OTHER into KEEP (administrator)")
    merge.add_argument("keep", type=int, metavar="KEEP")
    merge.add_argument("other", type=int, metavar="OTHER")
    merge.add_argument("--take", action="append", default=[], metavar="FIELD=other",
                       help="take this field's value from OTHER (repeatable)")
    merge.add_argument("--dry-run", action="store_true", help="print the preview, change nothing")
    common.credentials(merge)
    merge.set_defaults(func=cmd_patients_merge)

    unmerge = patients.add_parser("unmerge", help="undo a merge, restoring both records (administrator)")
    unmerge.add_argument("merge_id", type=int, metavar="MERGE_ID")
    common.credentials(unmerge)
    unmerge.set_defaults(func=cmd_patients_unmerge)

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
def cmd_patients_duplicates(args) -> int:
    from desktop.core.duplicates import weights_on

    if args.min_score is not None and not 0 <= args.min_score <= 100:
        raise common.InvalidOption("--min-score", "--min-score: от 0 до 100 — from 0 to 100")
    ref = common.load_ref(args)
    moment = common.now()
    with common.open_registry(args) as registry:
        common.authenticate(registry, args, moment, admin=True)
        pairs = registry.duplicate_pairs(weights_on(ref, common.today()), min_score=args.min_score)
    print_json(pairs)
    return EXIT_OK


def _takes(values: list[str]) -> dict:
    take = {}
    for value in values:
        name, sep, side = value.partition("=")
        if not sep or not name or side not in ("other", "keep"):
            raise common.InvalidOption("--take", f"--take {value!r}: нужно ПОЛЕ=other — "
                                                 "expected FIELD=other")
        take[name] = side
    return take


@common.guarded
def cmd_patients_merge(args) -> int:
    from desktop.store.registry import AlreadyMerged

    take = _takes(args.take)
    moment = common.now()
    with common.open_registry(args) as registry:
        user = common.authenticate(registry, args, moment, admin=True)
        if args.dry_run:
            print_json(registry.merge_preview(args.keep, args.other, take=take))
            return EXIT_OK
        try:
            result = registry.merge_patients(args.keep, args.other, user=user, now=moment, take=take)
        except AlreadyMerged as e:
            return common.refused(e)
    print_json(result)
    return EXIT_OK


@common.guarded
def cmd_patients_unmerge(args) -> int:
    from desktop.store.registry import UnmergeRefused

    moment = common.now()
    with common.open_registry(args) as registry:
        user = common.authenticate(registry, args, moment, admin=True)
        try:
            result = registry.unmerge(args.merge_id, user=user, now=moment)
        except UnmergeRefused as e:
            return common.refused(e)
    print_json(result)
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
