"""The clinic's details printed on documents: `clinic show`, `clinic set` (administrator)."""
from __future__ import annotations

from . import common
from .common import EXIT_INVALID, EXIT_OK, print_json

# `clinic set` options and the clinic fields they set
CLINIC_OPTIONS = {"--name-ru": "name_ru", "--name-kk": "name_kk", "--bin": "bin",
                  "--address-ru": "address_ru", "--address-kk": "address_kk", "--head": "head"}


COMMANDS = ("clinic",)  # the commands add_commands adds


def add_commands(sub) -> None:
    p = sub.add_parser("clinic", help="the clinic's details printed on documents")
    clinic = p.add_subparsers(dest="clinic_command", required=True)
    show = clinic.add_parser("show", help="the clinic's details as JSON")
    show.set_defaults(func=cmd_clinic_show)
    cset = clinic.add_parser("set", help="set the clinic's details (admin)")
    for option in CLINIC_OPTIONS:
        cset.add_argument(option, metavar="TEXT")
    common.credentials(cset)
    cset.set_defaults(func=cmd_clinic_set)


@common.guarded
def cmd_clinic_show(args) -> int:
    """clinic show: the details printed on documents (no sign-in: they are on every paper)."""
    from desktop.store.clinic import FIELDS, complete

    with common.open_registry(args) as registry:
        details = registry.clinic_details()
    print_json({**{f: details[f] for f in FIELDS}, "complete": complete(details)})
    return EXIT_OK


@common.guarded
def cmd_clinic_set(args) -> int:
    """clinic set --name-ru … --bin … (administrator): only the options given change."""
    from desktop.store.clinic import FIELDS

    values = {field: getattr(args, option[2:].replace("-", "_"))
              for option, field in CLINIC_OPTIONS.items()
              if getattr(args, option[2:].replace("-", "_")) is not None}
    if not values:
        raise ValueError("nothing to set: give --name-ru, --name-kk, --bin, --address-ru, "
                         "--address-kk or --head")
    from desktop.store.errors import ClinicDetailsInvalid

    moment = common.now()
    with common.open_registry(args) as registry:
        user = common.authenticate(registry, args, moment, admin=True)
        try:
            registry.set_clinic_details(values, actor=user, now=moment)
        except ClinicDetailsInvalid as exc:  # named by the option that set the field
            options = {v: k for k, v in CLINIC_OPTIONS.items()}
            common.emit_errors([{**p, "field": options.get(p["field"], p["field"])}
                                for p in exc.problems])
            return EXIT_INVALID
        details = registry.clinic_details()
    print_json({f: details[f] for f in FIELDS})
    return EXIT_OK
