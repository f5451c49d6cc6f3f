"""The command line's output on Windows (stdlib only).

On a Russian Windows the console's code page is cp866/cp1251, neither of which has the Kazakh
letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і): Python writes to a real console through WriteConsoleW
(any character), but a legacy console stream (PYTHONLEGACYWINDOWSSTDIO) or output redirected
to a file or pipe without UTF-8 mode would use the code page and crash on the first ә.
The frozen app runs in UTF-8 mode (build.spec); this is the safety net for the other ways in:
redirected output becomes UTF-8 (JSON stays UTF-8), a legacy console replaces what it cannot
show instead of failing.
"""
from __future__ import annotations

import sys


def _is_utf8(stream) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return encoding in ("utf8", "utf8sig", "cp65001")


def fix_stream(stream) -> None:
    """Make `stream` safe for any text (see the module's docstring)."""
    if stream is None or _is_utf8(stream) or not hasattr(stream, "reconfigure"):
        return
    try:
        interactive = stream.isatty()
    except (OSError, ValueError):
        interactive = False
    try:
        if interactive:
            stream.reconfigure(errors="replace")
        else:
            stream.reconfigure(encoding="utf-8", errors="strict")
    except (OSError, ValueError):
        pass


def setup_console(platform: str = sys.platform) -> None:
    """Called once by the program's entry point: on Windows, fix standard output and error
    (absent in the windowed polyclinic-gui.exe); elsewhere nothing changes."""
    if platform != "win32":
        return
    for stream in (sys.stdout, sys.stderr):
        fix_stream(stream)
