"""A day at the desk in one process: hundreds of edits must not wear the interpreter down.

PySide6 6.12.0 released `None` once more than it took it on every call that returns nothing;
on Python 3.11 (where None is counted) the process aborts when the count reaches zero —
after a few hundred decisions at the desk. pyproject.toml keeps that release out; this test
catches any Qt binding that does the same."""
from __future__ import annotations

import sys

from tests.gui.conftest import case_of


def test_recomputing_keeps_none_alive(qtbot, window):
    """Three hundred edits and decisions leave the reference count of None where it was."""
    window.form.set_case(case_of("p04"))
    window.recompute()
    qtbot.wait(1)
    before = sys.getrefcount(None)
    for i in range(300):
        window.form.phone.setText(f"+7 701 {i:07d}")
        window.recompute()
    qtbot.wait(1)
    assert window.decision["category"] == "eaeu_worker"
    # a few references come and go with caches; a binding bug loses >100 per decision
    assert sys.getrefcount(None) >= before - 300
