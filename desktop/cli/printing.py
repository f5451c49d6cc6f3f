"""`polyclinic print` (a document for a case, to a PDF, numbered in the registry) and
`polyclinic prices` (the clinic's price list in force)."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from . import common
from .common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, emit_errors


COMMANDS = ("print", "prices")  # the commands add_commands adds


def add_commands(sub) -> None:
    pp = sub.add_parser("print", help="print a document for a case to a PDF")
    pp.add_argument("kind", choices=("slip", "refusal", "referral", "estimate"))
    pp.add_argument("case", help="CASE.json, or - for standard input")
    pp.add_argument("-o", "--output", required=True, help="the PDF file to write")
    common.lang_option(pp)
    pp.add_argument("--on", help="document and decision date YYYY-MM-DD (default: the case's "
                                 "as_of, else today)")
    pp.add_argument("--service", action="append", default=[], metavar="CODE=QTY",
                    help="estimate: a service and its quantity; repeat for more")
    common.credentials(pp)
    pp.set_defaults(func=cmd_print)

    pr = sub.add_parser("prices", help="the price list in force as JSON")
    pr.add_argument("--on", help="date YYYY-MM-DD (default today)")
    pr.set_defaults(func=cmd_prices)


@common.guarded
def cmd_prices(args) -> int:
    from desktop.services import clinic_prices

    on = common.date_option(args) or common.today()
    ref = common.load_ref(args)
    with common.open_registry(args, ref) as registry:
        prices = clinic_prices(registry, ref, on)
    items = [{"code": p.code, "name_ru": p.name_ru, "name_kk": p.name_kk, "price": str(p.price),
              "unit": p.unit_ru, "unit_kk": p.unit_kk,
              "valid_from": p.valid_from and p.valid_from.isoformat(),
              "valid_until": p.valid_until and p.valid_until.isoformat()} for p in prices]
    sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=1) + "\n")
    return EXIT_OK


@common.guarded
def cmd_print(args) -> int:
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError
    from desktop.services import ServiceError, parse_services, print_document, write_atomically

    common.check_output(args, "--output", args.output)   # before a number is spent
    try:
        data = common.load_json(common.read_text(args.case))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        emit_errors([{"field": "CASE", "message": f"cannot read a JSON case from {args.case}: {e}"}])
        return EXIT_INVALID
    try:
        services = parse_services(args.service)
    except ServiceError as e:
        emit_errors([{"field": "--service", "message": str(e)}])
        return EXIT_INVALID
    ref = common.load_ref(args)
    try:
        decision = decide_data(data, ref, on=args.on, default_date=common.today(), lang=args.lang)
    except CaseError as e:
        emit_errors(e.errors)
        return EXIT_INVALID
    on = date.fromisoformat(decision.data["as_of"])
    with common.open_registry(args, ref) as registry:
        user = common.authenticate(registry, args, common.now(), admin=False)
        clinic_unset = not registry.clinic_details().get("name")
        try:
            printed = print_document(registry, ref, kind=args.kind, case=data,
                                     decision=decision.to_dict(), lang=args.lang, on=on,
                                     now=common.now(), user=user, services=services)
        except ServiceError as e:
            emit_errors([{"field": "--service", "message": str(e)}])
            return EXIT_INVALID
        except ValueError as e:
            emit_errors([{"field": "KIND", "message": str(e)}])
            return EXIT_INVALID
    try:
        write_atomically(Path(args.output), printed.pdf)
    except OSError as e:
        return common.fail(f"cannot write {args.output}: {e} (document {printed.number} is kept "
                           f"in the registry and can be re-printed)", EXIT_FAILED)
    if clinic_unset:
        sys.stderr.write("polyclinic: реквизиты поликлиники не заданы (Настройки) — the clinic's "
                         "details are not set yet; the document is printed without them\n")
    sys.stdout.write(json.dumps({"number": printed.number, "kind": printed.kind,
                                 "file": str(args.output), "reference": ref.version},
                                ensure_ascii=False) + "\n")
    return EXIT_OK
