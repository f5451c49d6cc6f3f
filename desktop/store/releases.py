"""One reference-data release for the whole clinic: on a PostgreSQL registry the release in
force lives on the server.

The server keeps every verified release file (`refdata_release`: bytes, version, SHA-256,
issued, who added it and when) and which one is in force (`refdata_active`, one row). Only
the owner role writes them (migration 0004, `server.grant_desk`): an administrator's
`refdata import` / `rollback`, run with the owner's URL. The desk role only reads.

Each desk caches the release in force in its local folder (`refinstall.refdata_dir`) by hash
and never uses a cached file whose SHA-256 differs from the server's: it fetches it again.
`ReleaseWatch.check()` is the cheap per-decision question "is the release in force still the
one I decide with?" (one primary-key read); on a switch it returns the new release.

An SQLite registry keeps its releases beside the file exactly as before (refinstall,
refpackage). Nothing here reads the clock or imports Qt.
"""

from __future__ import annotations

import hashlib
import tempfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from desktop.core.refdata import RefData, RefDataError, load_reference, read_meta
from desktop.fileutil import file_lock, private_dir, write_private

from .errors import PermissionDenied

RELEASE_LOCK = zlib.crc32(b"polyclinic-refdata")
DENIED = ("Справочные данные поликлиники на сервере меняет только администратор с URL владельца "
          "базы (polyclinic --db postgresql://<владелец>@… refdata import) — the desk role cannot "
          "change the clinic's reference release; run the import or rollback with the owner's URL")
DENIED_KK = ("Сервердегі емхананың анықтамалық деректерін тек дерекқор иесінің URL-імен әкімші "
             "өзгертеді (polyclinic --db postgresql://<иесі>@… refdata import)")

_md = sa.MetaData()
release_table = sa.Table(
    "refdata_release", _md,
    sa.Column("sha256", sa.Text, primary_key=True),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("issued", sa.Text, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("added_by", sa.Text, nullable=False),
    sa.Column("added_at", sa.Text, nullable=False),
)
active_table = sa.Table(
    "refdata_active", _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("switched_by", sa.Text, nullable=False),
    sa.Column("switched_at", sa.Text, nullable=False),
)


def on_server(registry) -> bool:
    return registry.location.is_server


def _denied(exc: Exception) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "permission denied" in text or "insufficient" in text


def _lock(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": RELEASE_LOCK})


# --- the server's tables ----------------------------------------------------------------------

def active(engine) -> tuple[str, str] | None:
    """(sha256, version) of the release in force on the server, or None: the cheap check."""
    with engine.connect() as c:
        row = c.execute(sa.select(active_table.c.sha256, active_table.c.version)
                        .where(active_table.c.id == 1)).first()
    return (row[0], row[1]) if row else None


def listing(engine) -> list[dict]:
    """Every release on the server: version, issued, file (its SHA-256), active; oldest first."""
    act = active(engine)
    with engine.connect() as c:
        rows = c.execute(sa.select(release_table.c.version, release_table.c.issued,
                                   release_table.c.sha256, release_table.c.added_by,
                                   release_table.c.added_at)).all()
    out = [{"version": v, "issued": i, "file": s, "added_by": by, "added_at": at,
            "active": act is not None and s == act[0]} for v, i, s, by, at in rows]
    return sorted(out, key=lambda x: (x["issued"], x["version"]))


def fetch(engine, sha256: str) -> bytes:
    with engine.connect() as c:
        content = c.execute(sa.select(release_table.c.content)
                            .where(release_table.c.sha256 == sha256)).scalar()
    if content is None:
        raise RefDataError(f"release {sha256[:20]} is not on the server")
    return bytes(content)


def publish(engine, release: Path, *, user: str, now: datetime, activate: bool = True,
            expect: str | None = "any") -> RefData:
    """Store a verified release file on the server and (by default) make it the one in force.
    `expect`: the SHA-256 the caller saw in force ("any": don't care), so that two desks
    publishing the bundled release at once switch once. PermissionDenied for the desk role."""
    ref = load_reference(release)
    content = Path(release).read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    try:
        with engine.begin() as c:
            _lock(c)
            current = c.execute(sa.select(active_table.c.sha256).where(active_table.c.id == 1)).scalar()
            if expect != "any" and current != expect:
                return ref  # another desk switched meanwhile: theirs stands
            if c.execute(sa.select(release_table.c.sha256)
                         .where(release_table.c.sha256 == digest)).first() is None:
                c.execute(release_table.insert().values(
                    sha256=digest, version=ref.version, issued=ref.issued.isoformat(),
                    size=len(content), content=content, added_by=user, added_at=now.isoformat()))
            if activate:
                _set_active(c, digest, ref.version, user, now, current)
    except sa.exc.ProgrammingError as exc:
        if _denied(exc):
            raise PermissionDenied(DENIED, kk=DENIED_KK) from None
        raise
    return ref


def _set_active(c, digest: str, version: str, user: str, now: datetime, current) -> None:
    values = dict(sha256=digest, version=version, switched_by=user, switched_at=now.isoformat())
    if current is None:
        c.execute(active_table.insert().values(id=1, **values))
    else:
        c.execute(active_table.update().where(active_table.c.id == 1).values(**values))


def activate(engine, sha256: str, *, user: str, now: datetime) -> str:
    """Make a release already on the server the one in force; returns its version."""
    try:
        with engine.begin() as c:
            _lock(c)
            version = c.execute(sa.select(release_table.c.version)
                                .where(release_table.c.sha256 == sha256)).scalar()
            if version is None:
                raise RefDataError(f"release {sha256[:20]} is not on the server")
            current = c.execute(sa.select(active_table.c.sha256).where(active_table.c.id == 1)).scalar()
            _set_active(c, sha256, version, user, now, current)
    except sa.exc.ProgrammingError as exc:
        if _denied(exc):
            raise PermissionDenied(DENIED, kk=DENIED_KK) from None
        raise
    return version


# --- the desk's cache -------------------------------------------------------------------------

def cached(local: Path, sha256: str) -> Path:
    """Where the desk caches the server's release `sha256` (named by its hash)."""
    from desktop.core.refinstall import refdata_dir

    return refdata_dir(local) / f"release-{sha256[:20]}.sqlite"


def _intact(path: Path, sha256: str) -> bool:
    if not path.is_file():
        return False
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest() == sha256


def materialise(engine, local: Path, sha256: str) -> Path:
    """The verified local copy of the server's release `sha256` (fetched when missing or not
    matching its hash)."""
    from desktop.core.refinstall import refdata_dir

    target = cached(local, sha256)
    if _intact(target, sha256):
        return target
    folder = private_dir(refdata_dir(local))
    content = fetch(engine, sha256)
    if hashlib.sha256(content).hexdigest() != sha256:
        raise RefDataError(f"release {sha256[:20]} on the server does not match its SHA-256")
    with file_lock(folder / ".lock"):
        if not _intact(target, sha256):
            write_private(target, content)
    return target


def load_active(engine, local: Path) -> tuple[RefData, str] | None:
    """The release in force on the server (from the verified cache) and its SHA-256; None
    when the server has none yet."""
    act = active(engine)
    if act is None:
        return None
    return load_reference(materialise(engine, local, act[0])), act[0]


def server_reference(engine, local: Path, bundled: Path, *, now: datetime,
                     user: str = "system") -> tuple[RefData, str | None]:
    """The release the desk decides with on a server registry, and its SHA-256.

    The server's release in force; when it has none yet, or the bundled release is newer
    (an upgraded app), the bundled one is published and switched to — by the owner role only.
    A desk role that may not publish uses the server's release, or, on a server that has none
    yet, its bundled one (as a single desk does) until an administrator imports a release."""
    from desktop.core.refinstall import ensure_reference

    current = load_active(engine, local)
    newer = False
    if current is not None and bundled.is_file():
        try:
            newer = read_meta(bundled).get("issued", "") > current[0].issued.isoformat()
        except RefDataError:
            newer = False
    if current is None or newer:
        try:
            publish(engine, bundled, user=user, now=now,
                    expect=current[1] if current is not None else None)
            current = load_active(engine, local) or current
        except PermissionDenied:
            pass
    if current is None:
        return ensure_reference(local, bundled), None
    return current


# --- an administrator's import and rollback ---------------------------------------------------

@dataclass
class Switch:
    version: str
    previous: str | None


def import_to_server(engine, local: Path, package: Path, keys_dir, *, user: str, now: datetime,
                     today: date | None, allow_older: bool = False) -> Switch:
    """Verify `package` (signature, hashes, self-check) exactly as on one desk, store it on
    the server and make it the release in force for every desk. Nothing changes on a refusal."""
    from desktop.core.refinstall import refdata_dir
    from desktop.core.refpackage import check_switch, verify_package

    current = load_active(engine, local)
    previous = current[0] if current else None
    with tempfile.TemporaryDirectory(dir=private_dir(refdata_dir(local))) as work:
        _, db_file, _ = verify_package(package, keys_dir, Path(work))
        new = load_reference(db_file)
        check_switch(new, previous, today=today, allow_older=allow_older)
        publish(engine, db_file, user=user, now=now, expect=current[1] if current else None)
        if active(engine) != (hashlib.sha256(db_file.read_bytes()).hexdigest(), new.version):
            from desktop.core.refpackage import PackageError

            raise PackageError("changed", "справочные данные только что сменили в другом окне — "
                                       "another desk switched the release meanwhile; look again")
    return Switch(new.version, previous.version if previous else None)


def rollback_on_server(engine, *, user: str, now: datetime) -> Switch:
    """Make the newest release older than the one in force the clinic's release again."""
    from desktop.core.refpackage import PackageError

    releases = listing(engine)
    idx = next((i for i, r in enumerate(releases) if r["active"]), None)
    if idx is None or idx == 0:
        raise PackageError("no_previous", "нет предыдущей версии справочных данных — no earlier release is installed")
    prev = releases[idx - 1]
    activate(engine, prev["file"], user=user, now=now)
    return Switch(prev["version"], releases[idx]["version"])


# --- the per-decision check -------------------------------------------------------------------

class ReleaseWatch:
    """What a desk on a server registry decides with: `check()` before each decision reads the
    release in force (one primary-key read) and returns the new RefData after a switch (else
    None); errors of the check are left to the caller (the desk keeps its release)."""

    def __init__(self, engine, local: Path, sha256: str | None):
        self.engine, self.local, self.sha256 = engine, Path(local), sha256

    def check(self) -> RefData | None:
        act = active(self.engine)
        if act is None or act[0] == self.sha256:
            return None
        ref = load_reference(materialise(self.engine, self.local, act[0]))
        self.sha256 = act[0]
        return ref


class FileWatch:
    """The same check for an SQLite registry: the `active` file beside it (another window on
    this PC may have switched); the layout and the switch itself stay as they always were."""

    def __init__(self, local: Path, ref: RefData | None = None):
        from desktop.core.refinstall import active_path

        self.local = Path(local)
        current = active_path(self.local)
        self.name = current.name if current is not None else None

    def check(self) -> RefData | None:
        from desktop.core.refinstall import active_path

        current = active_path(self.local)
        if current is None or current.name == self.name:
            return None
        ref = load_reference(current)
        self.name = current.name
        return ref


class DeskReleases:
    """The reference releases as one desk sees them, whichever the registry: on a server the
    clinic's (this module), on an SQLite file the folder beside it (refinstall, refpackage).
    The CLI and the GUI call these; `check()` is the per-decision question."""

    def __init__(self, registry, local: Path):
        self.registry, self.local = registry, Path(local)
        self.server = registry.location.is_server
        self.watch: ReleaseWatch | FileWatch | None = None

    def start(self, bundled: Path, *, now: datetime) -> RefData:
        """The release in force (installing or publishing the bundled one when needed)."""
        if self.server:
            with self.registry._guard():
                ref, sha = server_reference(self.registry.engine, self.local, bundled, now=now)
            self.watch = ReleaseWatch(self.registry.engine, self.local, sha)
            return ref
        from desktop.core.refinstall import ensure_reference

        ref = ensure_reference(self.local, bundled)
        self.watch = FileWatch(self.local)
        return ref

    def check(self) -> RefData | None:
        """The new release after a switch made anywhere, else None."""
        if self.watch is None:
            self.watch = ReleaseWatch(self.registry.engine, self.local, None) if self.server \
                else FileWatch(self.local)
        if self.server:
            with self.registry._guard():
                return self.watch.check()
        return self.watch.check()

    def listing(self) -> list[dict]:
        if self.server:
            with self.registry._guard():
                return listing(self.registry.engine)
        from desktop.core.refinstall import installed

        return installed(self.local)

    def import_package(self, package: Path, keys_dir, *, user: str, now: datetime,
                       today: date | None, allow_older: bool = False) -> Switch:
        if self.server:
            with self.registry._guard():
                result = import_to_server(self.registry.engine, self.local, package, keys_dir,
                                          user=user, now=now, today=today, allow_older=allow_older)
        else:
            from desktop.core.refpackage import import_package

            res = import_package(self.local, package, keys_dir, allow_older=allow_older, today=today)
            result = Switch(res.version, res.previous)
        return result  # the next check() returns the new release

    def rollback(self, *, user: str, now: datetime) -> Switch:
        if self.server:
            with self.registry._guard():
                result = rollback_on_server(self.registry.engine, user=user, now=now)
        else:
            from desktop.core.refinstall import active_path
            from desktop.core.refpackage import rollback

            before = active_path(self.local)
            version = rollback(self.local)
            result = Switch(version, load_reference(before).version if before else None)
        return result


# --- carrying the releases with the registry (backup, restore, registry copy) ----------------
#
# A registry's releases as rows of the two tables: on a server (and in a portable backup file
# written from one) they are the tables' rows; an SQLite desk keeps them in the folder beside
# its file (refinstall), with `releases.json` there keeping who added and switched them when
# they came from a server. `registry copy` carries them either way; backup and restore carry
# the tables. Every release's bytes are checked against its SHA-256 before it goes anywhere.

TRANSFER_DENIED = (
    "Перенос и восстановление реестра на сервере — только с URL владельца базы (owner_url из "
    "polyclinic server init): роль окна не может записать справочные данные поликлиники — the "
    "desk role cannot write the clinic's reference releases; run registry copy or restore with "
    "the owner's URL")
TRANSFER_DENIED_KK = (
    "Сервердегі тіркелімді тасымалдау және қалпына келтіру — тек дерекқор иесінің URL-імен "
    "(polyclinic server init берген owner_url): терезе рөлі емхананың анықтамалық деректерін "
    "жаза алмайды")
FOLDER_META = "releases.json"
FOLDER_USER = "desk"  # who added a release found only in a desk's folder


@dataclass
class ReleaseSet:
    """A registry's releases: rows of `refdata_release` by SHA-256 and the `refdata_active` row
    (None when no release is in force)."""

    releases: dict[str, dict]
    active: dict | None = None

    def __bool__(self) -> bool:
        return bool(self.releases)

    def table_rows(self) -> dict[str, list[dict]]:
        """The rows of each table, in primary-key order (as a fingerprint reads them)."""
        return {release_table.name: [self.releases[k] for k in sorted(self.releases)],
                active_table.name: [self.active] if self.active is not None else []}


def release_tables() -> list[sa.Table]:
    """The two tables, parent first (refdata_active refers to refdata_release)."""
    return [release_table, active_table]


def read_rows(connection) -> ReleaseSet:
    """The releases in the tables of the registry on `connection`."""
    releases = {}
    for row in connection.execute(sa.select(*release_table.columns)):
        values = dict(row._mapping)
        values["content"] = bytes(values["content"])
        releases[values["sha256"]] = values
    row = connection.execute(sa.select(*active_table.columns)).first()
    return ReleaseSet(releases, dict(row._mapping) if row is not None else None)


def _stamp(path: Path) -> str:
    """When a file in a desk's folder was written (its modification time, local time with its
    offset): the release's `added_at` or `switched_at` when the folder keeps no record."""
    stamp = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    return stamp.replace(microsecond=0).isoformat()


def _folder_meta(folder: Path) -> dict:
    import json

    try:
        meta = json.loads((folder / FOLDER_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _refused(where, version: str, sha256: str, why_ru: str, why_en: str, *,
             unchanged: bool = True):
    from .errors import RegistryError

    ru = f"Справочный выпуск {version} ({sha256[:20]}) {why_ru}"
    en = f"The reference release {version} ({sha256[:20]}) {why_en}"
    if unchanged:
        ru, en = ru + "; ничего не изменено", en + "; nothing was changed"
    return RegistryError(where, ru, en)


def read_folder(db_path: Path) -> ReleaseSet:
    """The releases a single desk keeps beside its registry file `db_path` and the one in force
    there. A file named by its hash whose bytes do not match it is refused (RegistryError
    naming it); files that are not a reference release are left out, as `refdata list` does."""
    from desktop.core.refinstall import active_path, refdata_dir

    folder = refdata_dir(db_path)
    if not folder.is_dir():
        return ReleaseSet({})
    meta = _folder_meta(folder)
    added = meta.get("releases") if isinstance(meta.get("releases"), dict) else {}
    current = active_path(db_path)
    releases, active_sha = {}, None
    for path in sorted(folder.glob("*.sqlite")):
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if path.name.startswith("release-") and path.name != f"release-{digest[:20]}.sqlite":
            raise _refused(path, path.stem, path.stem.removeprefix("release-"),
                           "не совпадает со своим SHA-256 (файл изменён)",
                           "does not match its SHA-256 (the file was altered)")
        try:
            ref = load_reference(path)
        except RefDataError:
            continue
        who = added.get(digest) if isinstance(added.get(digest), dict) else {}
        releases[digest] = {"sha256": digest, "version": ref.version,
                            "issued": ref.issued.isoformat(), "size": len(content),
                            "content": content, "added_by": str(who.get("added_by") or FOLDER_USER),
                            "added_at": str(who.get("added_at") or _stamp(path))}
        if current is not None and path.resolve() == current.resolve():
            active_sha = digest
    active_row = None
    if active_sha is not None:
        record = meta.get("active") if isinstance(meta.get("active"), dict) else {}
        same = record.get("sha256") == active_sha
        active_row = {"id": 1, "sha256": active_sha, "version": releases[active_sha]["version"],
                      "switched_by": str(record.get("switched_by") if same else FOLDER_USER),
                      "switched_at": str(record.get("switched_at") if same
                                         else _stamp(folder / "active"))}
    return ReleaseSet(releases, active_row)


def desk_releases(connection, db_path: Path | None) -> ReleaseSet:
    """What a registry carries when it is copied: the rows of its tables, and for an SQLite
    desk (`db_path`) the releases in its folder as well — the folder's release in force wins,
    as it is the one the desk decides with."""
    rows = read_rows(connection)
    if db_path is None:
        return rows
    folder = read_folder(db_path)
    releases = {**folder.releases, **rows.releases}  # the tables' record of who and when stays
    return ReleaseSet(releases, folder.active if folder.active is not None else rows.active)


def check(found: ReleaseSet, where) -> None:
    """Refuse (RegistryError naming it) a release whose bytes do not match its SHA-256 or size,
    or a release in force that is not among the releases."""
    for sha, row in sorted(found.releases.items()):
        content = row["content"]
        if hashlib.sha256(content).hexdigest() != sha or row["size"] != len(content):
            raise _refused(where, row["version"], sha, "не совпадает со своим SHA-256",
                           "does not match its SHA-256")
    act = found.active
    if act is not None:
        row = found.releases.get(act["sha256"])
        if row is None or row["version"] != act["version"]:
            raise _refused(where, act["version"], act["sha256"],
                           "назначен действующим, но его нет среди выпусков",
                           "is marked in force but is not among the releases")


def may_write(connection) -> bool:
    """Whether the role on `connection` may replace the releases (on PostgreSQL only the
    owner; an SQLite file always)."""
    if connection.dialect.name != "postgresql":
        return True
    checks = " AND ".join(f"has_table_privilege('{t.name}', '{p}')"
                          for t in release_tables() for p in ("INSERT", "DELETE", "TRUNCATE"))
    return bool(connection.exec_driver_sql(f"SELECT {checks}").scalar())


def require_writer(connection) -> None:
    if not may_write(connection):
        raise PermissionDenied(TRANSFER_DENIED, kk=TRANSFER_DENIED_KK)


def write_rows(connection, found: ReleaseSet) -> None:
    """Replace the releases in the tables on `connection` by `found` (within its transaction)."""
    connection.execute(active_table.delete())
    connection.execute(release_table.delete())
    for sha in sorted(found.releases):
        connection.execute(release_table.insert().values(**found.releases[sha]))
    if found.active is not None:
        connection.execute(active_table.insert().values(**found.active))


def write_folder(db_path: Path, found: ReleaseSet) -> None:
    """Materialise `found` beside the SQLite registry `db_path` the way a single desk keeps its
    releases (refinstall: `release-<hash>.sqlite`, the `active` file), with who added and
    switched them in `releases.json`; each file is checked by its hash after writing."""
    import json

    from desktop.core.refinstall import activate_file, refdata_dir

    folder = private_dir(refdata_dir(db_path))
    with file_lock(folder / ".lock"):
        meta = _folder_meta(folder)
        added = meta.get("releases") if isinstance(meta.get("releases"), dict) else {}
        for sha in sorted(found.releases):
            row = found.releases[sha]
            target = folder / f"release-{sha[:20]}.sqlite"
            if not _intact(target, sha):
                write_private(target, row["content"])
            if not _intact(target, sha):
                raise _refused(target, row["version"], sha, "не записался без искажений",
                               "could not be written intact", unchanged=False)
            try:
                load_reference(target)  # a reference release, as a desk would use it
            except RefDataError:
                raise _refused(target, row["version"], sha, "не открывается как справочные данные",
                               "does not open as reference data", unchanged=False) from None
            added[sha] = {"added_by": row["added_by"], "added_at": row["added_at"]}
        meta["releases"] = added
        if found.active is not None:
            act = found.active
            meta["active"] = {k: act[k] for k in ("sha256", "switched_by", "switched_at")}
        write_private(folder / FOLDER_META, json.dumps(meta, ensure_ascii=False, indent=1)
                      .encode("utf-8"))
        if found.active is not None:
            activate_file(db_path, folder / f"release-{found.active['sha256'][:20]}.sqlite")
