"""The head registrar's reports: `report list` and `report NAME`.

    polyclinic report list
    polyclinic report journal --on DATE --user LOGIN [--format json|csv|xlsx|pdf] [-o OUT] [--lang ru|kk]
    polyclinic report summary|paid-services|lapsing|registrars --from DATE --to DATE --user LOGIN ...

JSON (the default, on standard output unless -o): {"report", "params", "columns", "rows",
"totals", "sections": [...], "made_at", "made_by", "reference_versions"}; csv, xlsx and pdf
have the same columns and totals (xlsx and pdf need -o). Registrars may run `journal` and
`lapsing`, the rest is for administrators (exit 3 otherwise). Every run is in the audit log.
"""
from __future__ import annotations

import sys
from pathlib import Path

from . import common
from .common import EXIT_OK, print_json

# the names of desktop/store/reports/definitions.py (a test keeps them the same)
NAMES = ("journal", "summary", "paid-services", "lapsing", "registrars")


COMMANDS = ("report",)  # the commands add_commands adds


def add_commands(sub) -> None:
    p = sub.add_parser("report", help="the head registrar's reports: list, or NAME with its period")
    p.add_argument("name", metavar="NAME", help="list, or one of: " + ", ".join(NAMES))
    p.add_argument("--on", type=common.iso_date, metavar="YYYY-MM-DD", help="the day (journal)")
    p.add_argument("--from", dest="start", type=common.iso_date, metavar="YYYY-MM-DD",
                   help="first day of the period")
    p.add_argument("--to", dest="end", type=common.iso_date, metavar="YYYY-MM-DD",
                   help="last day of the period (inclusive)")
    p.add_argument("--format", choices=("json", "csv", "xlsx", "pdf"), default="json")
    p.add_argument("-o", "--output", type=Path, metavar="OUT", help="file to write")
    common.lang_option(p)
    common.credentials(p)
    p.set_defaults(func=cmd_report)


@common.guarded
def cmd_report(args) -> int:
    if args.name == "list":
        from desktop.store.reports import REPORTS

        print_json([{"name": r.name, "ru": r.ru, "kk": r.kk,
                     "params": [p.key for p in r.params],
                     "role": "registrar" if r.role == "registrar" else "admin"}
                    for r in REPORTS.values()])
        return EXIT_OK
    if args.name not in NAMES:
        raise common.InvalidOption("NAME", f"нет такого отчёта — no report {args.name!r}; "
                                   f"есть — known: list, {', '.join(NAMES)}")
    if args.format in ("xlsx", "pdf") and args.output is None:
        raise common.InvalidOption("-o", f"для {args.format} нужен -o ФАЙЛ — {args.format} needs -o OUT")
    if args.name == "journal":
        if args.start or args.end:
            raise common.InvalidOption("--on", "журнал берёт --on ДАТА, не --from/--to — "
                                       "the journal takes --on DATE, not --from/--to")
        params = {"on": args.on}
    else:
        if args.on:
            raise common.InvalidOption("--from", "этот отчёт берёт --from и --to — "
                                       "this report takes --from DATE --to DATE")
        params = {"from": args.start, "to": args.end}
    from desktop.services import render_report, run_report
    from desktop.store.reports import ReportParamsError

    moment = common.now()
    ref = common.load_ref(args) if args.format != "json" else None
    with common.open_registry(args) as registry:
        user = common.authenticate(registry, args, moment, admin=False)
        try:
            result = run_report(registry, args.name, params, user=user, now=moment, fmt=args.format)
        except ReportParamsError as e:
            raise common.InvalidOption(e.field, str(e)) from None
        data = render_report(registry, ref, result, args.format, args.lang)
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        from desktop.fileutil import write_private

        write_private(args.output, data)
    return EXIT_OK
