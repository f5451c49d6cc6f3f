"""`polyclinic server init`: the clinic's PostgreSQL server for several desks.

On the server PC, with the PostgreSQL server installed (the distribution's `postgresql`
package, or the Windows installer):

- `--data DIR`: a new cluster in DIR (initdb: UTF-8, scram-sha-256 passwords, listening on the
  LAN for the registry's two roles from the server's own subnets), started with pg_ctl; when
  run as root, the cluster belongs to the `postgres` user;
- or `--superuser-url URL`: an existing server (e.g. the Windows installer's), reached as its
  superuser.

Then it creates the database (UTF-8), an owner role that owns the tables and runs the
migrations, and a desk role the desks connect as: it reads, adds and changes the registry's
rows but deletes none, reads no password hash, changes accounts and appends to the (keyed)
audit chain only through the owner's functions, which check the signed-in user on the server
(see `grant_desk`). It returns the URLs;
the desk URL goes into each desk's `--db` / POLYCLINIC_DB.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

from .errors import StoreError

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ServerSetupError(StoreError):
    """The server could not be set up; the message says which step and why."""


def pg_bin(name: str) -> str | None:
    """A PostgreSQL program: PATH first, then /usr/lib/postgresql/<newest>/bin."""
    found = shutil.which(name)
    if found:
        return found
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                     key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    for folder in reversed(folders):
        if os.access(Path(folder) / name, os.X_OK):
            return str(Path(folder) / name)
    return None


def _as_postgres(argv: list[str]) -> list[str]:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _run(argv: list[str], step: str) -> None:
    try:
        subprocess.run(_as_postgres(argv), check=True, capture_output=True, text=True, timeout=180)
    except FileNotFoundError as exc:
        raise ServerSetupError(f"{step}: {exc.filename} не найден — not found") from None
    except subprocess.CalledProcessError as exc:
        raise ServerSetupError(f"{step}: {(exc.stderr or exc.stdout or '').strip()}") from None
    except subprocess.TimeoutExpired:
        raise ServerSetupError(f"{step}: timed out") from None


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def init_cluster(data: Path, *, port: int, listen: str, allow: str, roles: tuple[str, str],
                 database: str) -> None:
    """initdb a UTF-8 cluster in `data` with scram-sha-256, listening on `listen`, allowing
    the registry's roles to connect from `allow` (pg_hba address: samenet, a CIDR…); start it."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise ServerSetupError("PostgreSQL не установлен (initdb, pg_ctl) — PostgreSQL server is "
                               "not installed: Debian/Ubuntu `apt install postgresql`, Windows: "
                               "the PostgreSQL installer")
    data = Path(data).resolve()
    if data.exists() and any(data.iterdir()):
        raise ServerSetupError(f"{data} не пуста — is not empty")
    data.mkdir(parents=True, exist_ok=True)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam("postgres")
        os.chown(data, entry.pw_uid, entry.pw_gid)
    data.chmod(0o700)
    _run([initdb, "-D", str(data), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
          "--auth-local=peer", "--auth-host=scram-sha-256"], "initdb")
    conf = data / "postgresql.conf"
    with conf.open("a", encoding="utf-8") as f:
        f.write(f"\n# polyclinic server init\nlisten_addresses = {_quote_literal(listen)}\n"
                f"port = {int(port)}\npassword_encryption = 'scram-sha-256'\n"
                f"unix_socket_directories = {_quote_literal(str(data))}\n")
    with (data / "pg_hba.conf").open("a", encoding="utf-8") as f:
        f.write(f"\n# polyclinic server init: the desks on the clinic's network\n"
                f"host    {database}    {','.join(roles)}    {allow}    scram-sha-256\n")
    _run([pg_ctl, "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60", "start"],
         "pg_ctl start")


def _superuser_connect(superuser_url: str | None, data: Path | None, port: int):
    import psycopg

    try:
        if superuser_url:
            return psycopg.connect(superuser_url.replace("postgresql+psycopg://", "postgresql://"),
                                   autocommit=True, connect_timeout=10)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # peer authentication over the cluster's socket: become `postgres` for this session
            return _peer_as_postgres(data, port)
        return psycopg.connect(host=str(data), port=port, user="postgres", dbname="postgres",
                               autocommit=True)
    except psycopg.Error as exc:
        raise ServerSetupError(f"connect as superuser: {exc}") from None


class _PsqlSession:
    """Runs SQL through psql as the `postgres` OS user (peer authentication, when root)."""

    def __init__(self, data: Path, port: int):
        self.argv = [pg_bin("psql") or "psql", "-h", str(data), "-p", str(port), "-U",
                     "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAt"]

    def execute(self, sql: str, database: str | None = None):
        argv = list(self.argv)
        if database:
            argv[argv.index("-d") + 1] = database
        try:
            out = subprocess.run(_as_postgres(argv + ["-c", sql]), check=True, capture_output=True,
                                 text=True, timeout=120)
        except subprocess.CalledProcessError as exc:
            raise ServerSetupError(f"SQL: {exc.stderr.strip()}") from None
        return out.stdout

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _peer_as_postgres(data: Path, port: int):
    return _PsqlSession(data, port)


def _execute(session, sql: str, database: str | None = None) -> None:
    import psycopg

    try:
        _execute_raw(session, sql, database)
    except psycopg.Error as exc:
        raise ServerSetupError(f"SQL: {str(exc).strip()}") from None


def _execute_raw(session, sql: str, database: str | None = None) -> None:
    if isinstance(session, _PsqlSession):
        session.execute(sql, database)
        return
    if database is None:
        session.execute(sql)
        return
    import psycopg

    info = session.info
    with psycopg.connect(host=info.host, port=info.port, user=info.user, dbname=database,
                         password=info.password or None, autocommit=True) as other:
        other.execute(sql)


def setup_database(session, *, database: str, owner: str, desk: str, owner_password: str,
                   desk_password: str) -> None:
    """The roles and the database (UTF-8, template0); only the two roles may connect. An
    existing database is refused before anything changes (its roles' passwords included)."""
    query = f"SELECT 1 FROM pg_database WHERE datname = {_quote_literal(database)}"
    if isinstance(session, _PsqlSession):
        exists = session.execute(query).strip() == "1"
    else:
        exists = session.execute(query).fetchone() is not None
    if exists:
        raise ServerSetupError(f"database \"{database}\" already exists — база уже есть; "
                               "choose another --database or use the existing one's URLs")
    for role, password in ((owner, owner_password), (desk, desk_password)):
        _execute(session, f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                          f"{_quote_literal(role)}) THEN CREATE ROLE {role} LOGIN; END IF; END $$")
        _execute(session, "SET password_encryption = 'scram-sha-256'; "
                          f"ALTER ROLE {role} LOGIN PASSWORD {_quote_literal(password)}")
    # collation C: the search keys compare by code point, as on SQLite (prefix ranges)
    _execute(session, f"CREATE DATABASE {database} OWNER {owner} ENCODING 'UTF8' "
                      "TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
    _execute(session, f"REVOKE ALL ON DATABASE {database} FROM PUBLIC; "
                      f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {desk}")
    # the desk role reaches the registry's database only: not the `postgres` maintenance
    # database (nor template1), where it could list every role and database of the server
    _execute(session, "REVOKE CONNECT ON DATABASE postgres FROM PUBLIC; "
                      "REVOKE CONNECT ON DATABASE template1 FROM PUBLIC")
    # its sessions: a lock waited for 10 s at most, a transaction left idle cut off after 60 s
    _execute(session, f"ALTER ROLE {desk} SET lock_timeout = '10s'; "
                      f"ALTER ROLE {desk} SET idle_in_transaction_session_timeout = '60s'")
    _execute(session, f"REVOKE CREATE ON SCHEMA public FROM PUBLIC; "
                      f"ALTER SCHEMA public OWNER TO {owner}", database)


def grant_desk(session, *, database: str, owner: str, desk: str) -> None:
    """The desk role: exactly what a desk does.

    - reads, adds and changes the registry's rows (patients, decisions, numbers, printouts,
      exports, settings…), never deletes one: no DELETE or TRUNCATE on any table. The two
      deletes a desk's work needs — the document mirror rows of a card rewritten on a save
      (kept whole in the card itself) and an undone merge's alias rows — go through the owner's
      functions, which delete those rows only;
    - accounts: reads their public columns (login, name, role, salt, active), not the password
      hashes; creates, locks and changes accounts and signs in only through the owner's
      SECURITY DEFINER functions, which check the acting user's password (its scrypt digest,
      computed at the desk) and role on the server and apply the sign-in lockout;
    - the audit log: reads it; appends only through `polyclinic_audit_append`, which chains
      each row with HMAC-SHA256 under a key (table `audit_key`) the desk role cannot read and
      moves the chain's head, which only the owner may write (trigger on `setting`): a desk's
      own connection can neither change, remove nor forge an entry;
    - the schema version and the clinic's reference-data releases are read-only; nothing can
      be altered. Tables a later migration adds get SELECT, INSERT, UPDATE (default privileges).
    """
    sql = f"""
        GRANT USAGE ON SCHEMA public TO {desk};
        GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {desk};
        REVOKE DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM {desk};
        GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {desk};
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {desk};
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON refdata_release, refdata_active FROM {desk};
        ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public
            GRANT SELECT, INSERT, UPDATE ON TABLES TO {desk};
        ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public
            GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {desk};
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log FROM {desk};
        REVOKE ALL ON audit_key FROM {desk};
        REVOKE ALL ON app_user FROM {desk};
        GRANT SELECT (id, login, full_name, role, salt, active, created_at) ON app_user TO {desk};
    """
    _execute(session, sql, database)


def server_init(*, data: Path | None, superuser_url: str | None, port: int, listen: str,
                allow: str, database: str, owner: str, desk: str, host: str | None,
                owner_password: str | None = None, desk_password: str | None = None,
                reference: Path | None = None, now=None) -> dict:
    """Set up the clinic's server (see the module's text); returns the URLs and the steps done.
    `reference` (with `now`): the release file published as the clinic's release in force."""
    for label, name in (("--database", database), ("--owner", owner), ("--desk", desk)):
        if not NAME.match(name):
            raise ValueError(f"{label}: lower-case letters, digits and _ only: {name!r}")
    if owner == desk:
        raise ValueError("--owner and --desk must be different roles")
    if (data is None) == (superuser_url is None):
        raise ValueError("give either --data DIR (a new cluster) or --superuser-url URL "
                         "(an existing server)")
    owner_password = owner_password or secrets.token_urlsafe(18)
    desk_password = desk_password or secrets.token_urlsafe(18)
    if data is not None:
        init_cluster(Path(data), port=port, listen=listen, allow=allow, roles=(owner, desk),
                     database=database)
        data = Path(data).resolve()
    session = _superuser_connect(superuser_url, data, port)
    try:
        setup_database(session, database=database, owner=owner, desk=desk,
                       owner_password=owner_password, desk_password=desk_password)
        if superuser_url:
            import sqlalchemy as sa

            url = sa.engine.make_url(superuser_url.replace("postgresql://", "postgresql+psycopg://"))
            local_host, port = url.host or "localhost", url.port or 5432
        else:
            local_host = "127.0.0.1"
        from urllib.parse import quote

        owner_url = (f"postgresql://{owner}:{quote(owner_password, safe='')}@{local_host}:"
                     f"{port}/{database}")
        from . import backend

        engine, _ = backend.prepare(backend.parse_location(owner_url))  # migrations, as owner
        try:
            if reference is not None:  # the clinic's first release in force: every desk's
                from .releases import publish

                publish(engine, Path(reference), user="server-init", now=now)
        finally:
            engine.dispose()
        grant_desk(session, database=database, owner=owner, desk=desk)
    finally:
        session.close()
    host = host or socket.gethostname()
    return {
        "desk_url": f"postgresql://{desk}:{quote(desk_password, safe='')}@{host}:{port}/{database}",
        "owner_url": f"postgresql://{owner}:{quote(owner_password, safe='')}@{host}:{port}/{database}",
        "database": database, "owner": owner, "desk": desk, "port": port,
        "data": str(data) if data is not None else None,
        "desk_role": "no DELETE; accounts, sign-in and the audit chain (HMAC-keyed, key readable "
                     "by the owner only) through the owner's functions; password hashes not "
                     "readable — без удаления; учётные записи, вход и журнал аудита только "
                     "через функции владельца; хэши паролей недоступны",
    }
