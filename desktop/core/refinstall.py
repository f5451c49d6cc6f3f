"""Reference-data releases installed beside a registry database, and the one in force.

Layout: for the database `registry.sqlite`, releases live in `registry.sqlite.refdata/` as
`release-<sha256 prefix>.sqlite` (a name the program derives, never one from a package; older
installs may have `<version>.sqlite`), and the file `active` names the one in force. Installs
run under a lock with unique temporary names, so desks may start together. Switching writes a new
`active` file and renames it over the old one, so a reader sees either the old release or the
new one, never a mixture; older releases stay for rollback.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from desktop.fileutil import file_lock, fsync_file, private_dir, sha256_of, temp_name, write_private

from desktop.core.refdata import RefData, RefDataError, load_reference, read_meta


def refdata_dir(db_path: Path) -> Path:
    return Path(str(db_path) + ".refdata")


def _write_atomic(path: Path, text: str):
    write_private(path, text.encode("utf-8"))


def active_path(db_path: Path) -> Path | None:
    d = refdata_dir(db_path)
    try:
        name = json.loads((d / "active").read_text(encoding="utf-8"))["file"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(name, str) or Path(name).name != name or name in ("", ".", "..") \
            or not name.endswith(".sqlite"):
        return None
    p = d / name
    return p if p.is_file() else None


def installed(db_path: Path) -> list[dict]:
    """Every installed release: version, issued, file, active."""
    d = refdata_dir(db_path)
    act = active_path(db_path)
    out = []
    for f in sorted(d.glob("*.sqlite")) if d.is_dir() else []:
        try:
            ref = load_reference(f)
        except RefDataError:
            continue
        out.append({"version": ref.version, "issued": ref.issued.isoformat(), "file": f.name,
                    "active": act is not None and f.resolve() == act.resolve()})
    return sorted(out, key=lambda x: (x["issued"], x["version"]))


def install(db_path: Path, release: Path, *, activate: bool = True) -> RefData:
    """Copy a verified release file into the folder and (by default) make it the one in force."""
    ref = load_reference(release)
    d = private_dir(refdata_dir(db_path))
    digest = sha256_of(release)
    target = d / f"release-{digest[:20]}.sqlite"
    with file_lock(d / ".lock"):
        intact = target.is_file() and sha256_of(target) == digest
        if not intact:
            tmp = temp_name(target)
            try:
                import shutil

                shutil.copyfile(release, tmp)
                fsync_file(tmp)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        if activate:
            activate_file(db_path, target)
    return load_reference(target)


def activate_file(db_path: Path, target: Path):
    _write_atomic(refdata_dir(db_path) / "active", json.dumps({"file": target.name}))


def ensure_reference(db_path: Path, bundled: Path) -> RefData:
    """The release in force for `db_path`; installs the bundled one on first start, and when
    the bundled release is newer than the one in force (an upgraded app)."""
    current = active_path(db_path)
    if current is not None:
        try:
            ref = load_reference(current)
        except RefDataError:
            ref = None
        if ref is not None:
            try:
                if bundled.is_file() and read_meta(bundled).get("issued", "") > ref.issued.isoformat():
                    return install(db_path, bundled)
            except RefDataError:
                pass
            return ref
    return install(db_path, bundled)
