"""The `polyclinic` command: the GUI by default, and the headless commands of interface.md.

One module a command group, each adding its subcommands to the parser (`add_commands`):

    decide      decide (one case or a batch), recheck
    printing    print, prices
    refdata     refdata build|import|rollback|list|keygen
    registry    backup, restore, registry copy, export, numbers
    accounts    users, audit
    clinic      clinic show|set
    patients    patients import|duplicates|merge|unmerge, worklist
    reports     report list, report NAME (the head registrar's reports)
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

from . import (accounts, clinic, common, decide, gui, patients, printing, refdata, registry,
               reports, server)

GROUPS = (decide, printing, refdata, registry, accounts, clinic, patients, server, reports)


def command_of(argv) -> str | None:
    """The command named in `argv` (after the top-level options), or None (no command, or an
    option such as --help first: then every command is built)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--db":
            i += 2
        elif arg.startswith("--db=") or arg == "--exit-after-start":
            i += 1
        elif arg.startswith("-"):
            return None
        else:
            return arg
    return None


def _columns() -> int:
    """shutil.get_terminal_size().columns, without importing shutil (with bz2 and lzma, a tenth
    of one decision's start; argparse imports it for every formatter it makes)."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, its width found as argparse finds it (the terminal's, less 2)."""

    def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help formatter does not import shutil; its subcommands' parsers
    are of this class too (argparse makes them of the parent's class)."""

    def __init__(self, *args, formatter_class=_Formatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or, given `command`, of its group alone (argparse's
    parsers cost more than all the rest of a decision; an unknown name: every command, so
    that argparse lists them in its message)."""
    p = _Parser(prog="polyclinic",
                description="Polyclinic front desk: attachment and coverage decisions.")
    p.add_argument("--db", help="registry database file or postgresql:// URL "
                   "(default: $POLYCLINIC_DB or the user data folder)")
    p.add_argument("--exit-after-start", action="store_true",
                   help="open the GUI, wait until the main window is shown and idle, exit 0")
    sub = p.add_subparsers(dest="command")
    groups = [g for g in GROUPS if command in g.COMMANDS] or GROUPS
    for group in groups:
        group.add_commands(sub)
    for child in sub.choices.values():
        common.add_db_option(child)
    return p


def main(argv=None) -> int:
    from desktop.console import setup_console
    from desktop.fileutil import private_umask

    setup_console()  # Windows: output never fails on a Kazakh letter (a no-op elsewhere)
    private_umask()  # every file with patient data: 0600, folders 0700
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(command_of(argv)).parse_args(argv)
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
