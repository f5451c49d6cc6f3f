"""`polyclinic decide` (one case, or a batch of JSON lines) and `polyclinic recheck`.

The decide path imports the core and nothing of the registry, the documents or Qt."""
from __future__ import annotations

import json
import sys

from . import common
from .common import EXIT_INVALID, EXIT_OK, emit_errors

# characters some readers take as line breaks: kept escaped inside a batch's output strings
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


COMMANDS = ("decide", "recheck")  # the commands add_commands adds


def add_commands(sub) -> None:
    d = sub.add_parser("decide", help="print the decision for a case as JSON")
    d.add_argument("case", help="CASE.json, or CASES.jsonl with --batch; - reads standard input")
    d.add_argument("--on", help="decide as of this date YYYY-MM-DD (overrides the case's as_of)")
    common.lang_option(d)
    d.add_argument("--batch", action="store_true", help="JSON Lines in, JSON Lines out")
    d.set_defaults(func=cmd_decide)

    rc = sub.add_parser("recheck", help="re-decide every stored patient; list those whose "
                                        "decision changed")
    rc.add_argument("--on", help="as of this date (default today)")
    common.lang_option(rc)
    rc.set_defaults(func=cmd_recheck)


def cmd_decide(args) -> int:
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError
    from desktop.core.refdata import RefDataError

    try:
        # a batch is read as bytes and decoded line by line: one bad byte spoils one line only
        text = common.read_bytes(args.case) if args.batch else common.read_text(args.case)
    except (OSError, UnicodeDecodeError) as e:
        emit_errors([{"field": "CASE", "message": f"cannot read {args.case}: {e}"}])
        return EXIT_INVALID
    try:
        ref = common.load_ref(args)
    except RefDataError as e:
        return common.fail(str(e))
    today = common.today()
    if not args.batch:
        try:
            data = common.load_json(text)
        except ValueError as e:
            emit_errors([{"field": "CASE", "message": f"not valid JSON: {e}"}])
            return EXIT_INVALID
        try:
            d = decide_data(data, ref, on=args.on, default_date=today, lang=args.lang)
        except CaseError as e:
            emit_errors(e.errors)
            return EXIT_INVALID
        sys.stdout.write(json.dumps(d.to_dict(), ensure_ascii=False, indent=1) + "\n")
        return EXIT_OK
    return _batch(text, ref, args, today)


def _batch(data: bytes, ref, args, today) -> int:
    """--batch: one case a line; an invalid line gives an error object in its place, so that
    output lines stay in step with input lines, and the exit code is 2. stderr then carries
    one JSON object {"errors": [...]} listing every bad field of every line, each error with
    its line number."""
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError

    out = sys.stdout
    all_errors: list[dict] = []
    encode = json.JSONEncoder(ensure_ascii=False).encode

    def dumps(obj) -> str:
        text = encode(obj)
        if text.isascii() or not any(ch in text for ch in _LINE_BREAKS):
            return text
        for ch, esc in _LINE_BREAKS.items():
            text = text.replace(ch, esc)
        return text

    for n, raw in enumerate(common.batch_lines(data), 1):
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise CaseError([{"field": "CASE", "message": f"not valid UTF-8 text (byte "
                                                              f"{e.start + 1} of the line)"}]) from None
            if not line.strip():
                raise CaseError([{"field": "CASE", "message": "empty line: one case a line"}])
            case = common.load_json(line)
            out.write(dumps(decide_data(case, ref, on=args.on, default_date=today,
                                        lang=args.lang).to_dict()) + "\n")
        except ValueError as e:
            errors = e.errors if isinstance(e, CaseError) else [
                {"field": "CASE", "message": f"not valid JSON: {e}"}]
            errors = [{**err, "line": n} for err in errors]
            out.write(dumps({"errors": errors}) + "\n")
            all_errors.extend(errors)
    if all_errors:
        emit_errors(all_errors)
        return EXIT_INVALID
    return EXIT_OK


@common.guarded
def cmd_recheck(args) -> int:
    """Batch re-check: every patient's latest decision against the reference data in force."""
    from desktop.services import recheck

    on = common.date_option(args) or common.today()
    ref = common.load_ref(args)
    with common.open_registry(args, ref) as registry:
        changed = recheck(registry, ref, on, lang=args.lang)
    sys.stdout.write(json.dumps({"as_of": on.isoformat(), "reference": ref.version,
                                 "changed": changed}, ensure_ascii=False, indent=1) + "\n")
    return EXIT_OK

