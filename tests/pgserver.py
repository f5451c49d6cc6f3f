"""A real PostgreSQL server for the tests: initdb and pg_ctl in a temporary folder on a free
port of 127.0.0.1 (as the `postgres` user when running as root), one fresh database per test.

    server = PgServer.start_new()      # raises PgUnavailable with the reason
    url = server.new_database()        # postgresql://postgres@127.0.0.1:PORT/t_...
    server.stop()
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path


class PgUnavailable(Exception):
    """The server binaries are missing or the server would not start."""


def pg_bin(name: str) -> str | None:
    """`initdb`, `pg_ctl`…: from /usr/lib/postgresql/<newest>/bin, else on PATH."""
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    for folder in reversed(versions):
        if os.access(Path(folder) / name, os.X_OK):
            return str(Path(folder) / name)
    return shutil.which(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_server_user(argv: list[str]) -> list[str]:
    """Run as `postgres` when we are root (the server refuses to run as root)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def chown_to_server_user(path: Path) -> None:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


class PgServer:
    def __init__(self, root: Path, port: int):
        self.root, self.port = root, port
        self.data = root / "data"
        self.log = root / "server.log"

    @classmethod
    def start_new(cls, extra: tuple[str, ...] = ()) -> "PgServer":
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise PgUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found: "
                                "install the `postgresql` package (scripts/setup.sh does as root)")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            try:
                import pwd

                pwd.getpwnam("postgres")
            except KeyError:
                raise PgUnavailable("running as root but there is no `postgres` user") from None
        root = Path(tempfile.mkdtemp(prefix="polyclinic-pg-"))  # not under a 0700 pytest folder
        chown_to_server_user(root)
        server = cls(root, free_port())
        server._run([initdb, "-D", str(server.data), "-U", "postgres", "--auth=trust",
                     "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        options = (f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100 "
                   + " ".join(extra))
        server._run([pg_ctl, "-D", str(server.data), "-l", str(server.log), "-o", options,
                     "-w", "-t", "60", "start"])
        return server

    def _run(self, argv: list[str]) -> None:
        try:
            subprocess.run(as_server_user(argv), check=True, capture_output=True, text=True,
                           timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or ""
            if self.log.exists():
                detail += self.log.read_text(errors="replace")[-2000:]
            raise PgUnavailable(f"{Path(argv[0]).name if 'runuser' not in argv[0] else argv[4]} "
                                f"failed: {exc} {detail.strip()}") from None

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def admin(self):
        import psycopg

        return psycopg.connect(self.url(), autocommit=True)

    def new_database(self, prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self.admin() as con:
            con.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self.admin() as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        pg_ctl = pg_bin("pg_ctl")
        try:
            subprocess.run(as_server_user([pg_ctl, "-D", str(self.data), "-m", "immediate",
                                           "-w", "stop"]), capture_output=True, timeout=60)
        finally:
            deadline = time.monotonic() + 10
            while (self.data / "postmaster.pid").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            shutil.rmtree(self.root, ignore_errors=True)


def start_or_skip() -> PgServer:
    """A new server, or the test skipped saying why it cannot start (except in CI, where the
    PostgreSQL tests must run)."""
    import pytest

    try:
        return PgServer.start_new()
    except PgUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL server unavailable: {exc}")
