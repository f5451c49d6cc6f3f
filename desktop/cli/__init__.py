"""The `polyclinic` command: the GUI by default, and the headless commands of interface.md.

One module a command group, each adding its subcommands to the parser (`add_commands`):

    decide      decide (one case or a batch), recheck
    printing    print, prices
    refdata     refdata build|import|rollback|list|keygen
    registry    backup, restore, registry copy, export, numbers
    accounts    users, audit
    clinic      clinic show|set
    patients    patients import|duplicates|merge|unmerge, worklist
    server      server init
    gui         the desk, when no command is given

and `common` with what they share (the --db option, credentials, exit codes, JSON output, the
store's errors as messages). Every module imports only the standard library at its top; the
core, the store, the documents and Qt load inside the handler that needs them, so that
`polyclinic decide` starts fast. The command line calls the same core and services functions
as the GUI.
"""
from __future__ import annotations

import argparse
import sys

from . import accounts, clinic, common, decide, gui, patients, printing, refdata, registry, server

GROUPS = (decide, printing, refdata, registry, accounts, clinic, patients, server)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="polyclinic",
                                description="Polyclinic front desk: attachment and coverage decisions.")
    p.add_argument("--db", help="registry database file or postgresql:// URL "
                   "(default: $POLYCLINIC_DB or the user data folder)")
    p.add_argument("--exit-after-start", action="store_true",
                   help="open the GUI, wait until the main window is shown and idle, exit 0")
    sub = p.add_subparsers(dest="command")
    for group in GROUPS:
        group.add_commands(sub)
    for child in sub.choices.values():
        common.add_db_option(child)
    return p


def main(argv=None) -> int:
    from desktop.fileutil import private_umask

    private_umask()  # every file with patient data: 0600, folders 0700
    args = build_parser().parse_args(argv)
    func = getattr(args, "func", None) or gui.cmd_gui
    try:
        return func(args)
    except BrokenPipeError:
        return common.EXIT_OK
    except KeyboardInterrupt:
        return common.EXIT_FAILED
    except common.RegistryUnusable:
        return common.EXIT_FAILED
    except Exception as e:  # a damaged registry found mid-command: the message, never a traceback
        from desktop.store.errors import RegistryError

        if isinstance(e, RegistryError):
            return common.fail(str(e))
        message = common.database_error(args, e)
        if message is None:
            raise
        return common.fail(message)


if __name__ == "__main__":
    sys.exit(main())
