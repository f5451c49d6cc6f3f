"""Releases for tests: a copy of db/sources whose release is issued on another day (a newer or
a future release), and that release compiled. One place that knows how meta.yaml says when
a release was issued; a desk role on the test server. Importable from every test folder
(`from release_helpers import …`, as `pgserver`)."""
from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
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


@contextmanager
def desk_role(pg_server, url: str):
    """The migrated server registry at `url` reached as a desk role (server.grant_desk: reads
    the releases, may not write them): yields the desk's URL; the role is dropped afterwards."""
    import psycopg

    from desktop.store.server import grant_desk

    database = url.rsplit("/", 1)[1]
    role = f"desk_{database[-12:]}"
    with pg_server.admin() as con:
        con.execute(f"CREATE ROLE {role} LOGIN")
    try:
        with psycopg.connect(url, autocommit=True) as con:
            grant_desk(con, database=database, owner="postgres", desk=role)
        yield pg_server.url(database, user=role)
    finally:
        with pg_server.admin() as con:
            con.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {database} FROM {role}")
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f"DROP OWNED BY {role}")
        with pg_server.admin() as con:
            con.execute(f"DROP ROLE {role}")


def trusted_keys(folder: Path):
    """A new publisher key whose public half is trusted in FOLDER/trusted: (trusted dir, PEM of
    the private key, for `build_package`)."""
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    priv = Ed25519PrivateKey.generate()
    (folder / "trusted").mkdir()
    (folder / "trusted" / "publisher.pub").write_bytes(priv.public_key().public_bytes(
        ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo))
    return folder / "trusted", priv.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
