"""Releases for tests: a copy of db/sources whose release is issued on another day (a newer or
a future release), and that release compiled. One place that knows how meta.yaml says when
a release was issued; importable from every test folder (`from release_helpers import …`, as
`pgserver`)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "db" / "sources"
NEWER = "2026-12-15"  # after the bundled release's issued date


def newer_sources(folder, issued: str = NEWER) -> Path:
    """A copy of db/sources in `folder` whose release is issued on `issued` (whatever date the
    bundled meta.yaml has)."""
    src = Path(folder)
    shutil.copytree(SOURCES, src)
    meta = src / "meta.yaml"
    text, found = re.subn(r"issued: \d{4}-\d{2}-\d{2}", f"issued: {issued}",
                          meta.read_text(encoding="utf-8"), count=1)
    assert found == 1, "db/sources/meta.yaml has no `issued: YYYY-MM-DD` line"
    meta.write_text(text, encoding="utf-8")
    return src


def newer_release(folder, issued: str = NEWER, name: str | None = None) -> Path:
    """The release compiled from `newer_sources` (in `folder`/src-NAME), as `folder`/NAME.sqlite;
    NAME defaults to the date."""
    from desktop.core.refbuild import build_reference

    name = name or issued
    out = Path(folder) / f"{name}.sqlite"
    build_reference(newer_sources(Path(folder) / f"src-{name}", issued), out)
    return out
