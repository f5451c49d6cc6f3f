"""`polyclinic` with no command: the desk (the Qt GUI)."""
from __future__ import annotations

import os

from . import common


def cmd_gui(args) -> int:
    from desktop.gui.app import run

    explicit = getattr(args, "db", None) or os.environ.get("POLYCLINIC_DB")
    return run(db_path=common.db_target(args) if explicit else None,
               bundled_reference=common.bundled_reference(),
               exit_after_start=args.exit_after_start, today=common.today())
