"""Duplicates from the command line, in real processes on SQLite and on the PostgreSQL server:
`patients duplicates|merge|unmerge`, two administrators merging the same pair at once, and a
merge killed with SIGKILL half way (nothing half moved)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from desktop.store import open_registry

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=5)))


def _env(db, tmp_path, **extra):
    return dict(os.environ, POLYCLINIC_DB=str(db), XDG_DATA_HOME=str(tmp_path / "data"),
                POLYCLINIC_PASSWORD="pw-admin-secret", PYTHONPATH=str(ROOT), **extra)


def run(args, db, tmp_path, **extra):
    return subprocess.run([sys.executable, "-m", "desktop", *map(str, args)], capture_output=True,
                          text=True, env=_env(db, tmp_path, **extra), cwd=tmp_path, timeout=300)


def _case(surname, given, iin=None, docs=(), **person):
    return {"as_of": "2026-11-22", "needs": "attachment",
            "person": {"surname": surname, "given_name": given, "iin": iin,
                       "birth_date": "1979-10-28", "citizenship": "RU", **person},
            "documents": [{"kind": k, "number": n, "country": c} for k, n, c in docs]}


def _decision():
    return {"as_of": "2026-11-22", "category": "eaeu_worker",
            "attachment": {"status": "allowed", "channels": ["clinic"], "until": "2027-02-28"},
            "osms": {"insured": True}, "reference": {"version": "test-1"}}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db(request, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    location = tmp_path / "registry.sqlite" if request.param == "sqlite" \
        else request.getfixturevalue("pg_url")
    with open_registry(location, now=NOW) as registry:
        registry.create_user("admin", "pw-admin-secret", full_name="Админ Главная", role="admin", now=NOW)
        registry.create_user("admin2", "pw-admin-secret", full_name="Админ Вторая", role="admin",
                             now=NOW, actor="admin")
        registry.create_user("reg", "pw-admin-secret", full_name="Регистратор", role="registrar",
                             now=NOW, actor="admin")
        a = registry.save_patient(_case("Yakovlev", "Ivan", docs=[("passport", "75 1234567", "RU")]),
                                  user="reg", now=NOW)
        b = registry.save_patient(_case("Яковлев", "Иван", "791028302728", patronymic="Петрович",
                                        docs=[("passport", "751234567", "RU"),
                                              ("residence_permit", "RP 42", "KZ")]),
                                  user="reg", now=NOW)
        registry.record_decision(b, _decision(), user="reg", now=NOW)
        registry.store_printed("2026-000001", "slip", b"%PDF-1.4 slip", lang="ru", user="reg",
                               now=NOW, patient_id=b)
    return location, a, b


def _state(location):
    with open_registry(location, now=NOW) as registry, registry.engine.connect() as c:
        q = lambda sql: [tuple(r) for r in c.exec_driver_sql(sql)]  # noqa: E731
        return {"patients": q("SELECT * FROM patient ORDER BY id"),
                "documents": q("SELECT * FROM patient_document ORDER BY id"),
                "decisions": q("SELECT id, patient_id FROM decision ORDER BY id"),
                "printed": q("SELECT id, number, patient_id, sha256 FROM printed_document ORDER BY id"),
                "merges": q("SELECT id, status FROM patient_merge ORDER BY id"),
                "aliases": q("SELECT * FROM patient_alias ORDER BY id")}


def test_duplicates_merge_and_unmerge(db, tmp_path):
    location, a, b = db
    p = run(["patients", "duplicates", "--user", "admin"], location, tmp_path)
    assert p.returncode == 0, p.stderr
    [pair] = json.loads(p.stdout)
    assert (pair["keep"], pair["other"], pair["score"]) == (a, b, 100)
    assert pair["matched"] == ["document", "birth_date", "surname", "given_name"]
    assert json.loads(run(["patients", "duplicates", "--user", "admin", "--min-score", "100"],
                          location, tmp_path).stdout) == [pair]
    before = _state(location)
    p = run(["patients", "merge", a, b, "--user", "admin", "--take", "surname=other", "--dry-run"],
            location, tmp_path)
    assert p.returncode == 0, p.stderr
    preview = json.loads(p.stdout)
    assert {f["field"]: f["result"] for f in preview["fields"]}["surname"] == "Яковлев"
    assert preview["moved"]["decisions"] == 1 and _state(location) == before
    p = run(["patients", "merge", a, b, "--user", "reg"], location, tmp_path)
    assert p.returncode == 3 and "администратор" in p.stderr
    p = run(["patients", "merge", a, b, "--user", "admin", "--take", "surname"], location, tmp_path)
    assert p.returncode == 2 and "--take" in p.stderr
    p = run(["patients", "merge", a, b, "--user", "admin", "--take", "surname=other"], location, tmp_path)
    assert p.returncode == 0, p.stderr
    result = json.loads(p.stdout)
    assert (result["kept"], result["merged"]) == (a, b)
    assert result["moved"] == {"decisions": 1, "printed_documents": 1, "document_rows": 1,
                               "document_rows_same": 1, "export_outbox": 0, "flags": 0}
    assert json.loads(run(["patients", "duplicates", "--user", "admin"], location, tmp_path).stdout) == []
    p = run(["patients", "unmerge", result["merge_id"], "--user", "admin"], location, tmp_path)
    assert p.returncode == 0, p.stderr
    after = _state(location)
    assert after["merges"] == [(result["merge_id"], "undone")]
    assert {k: v for k, v in after.items() if k != "merges"} == \
        {k: v for k, v in before.items() if k != "merges"}
    p = run(["patients", "unmerge", result["merge_id"], "--user", "admin"], location, tmp_path)
    assert p.returncode == 3 and "already undone" in p.stderr


def test_unmerge_refused_says_what_blocks_it(db, tmp_path):
    location, a, b = db
    merge = json.loads(run(["patients", "merge", a, b, "--user", "admin"], location, tmp_path).stdout)
    with open_registry(location, now=NOW) as registry:
        registry.record_decision(a, _decision(), user="reg", now=NOW + timedelta(hours=1))
    p = run(["patients", "unmerge", merge["merge_id"], "--user", "admin"], location, tmp_path)
    assert p.returncode == 3 and "decision" in p.stderr and "после объединения" in p.stderr


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_sigkill_during_a_merge_leaves_nothing_half_moved(db, tmp_path):
    """The merge process is killed (SIGKILL) after every row has moved, before the commit:
    nothing of it is stored; the same merge then runs whole."""
    location, a, b = db
    before = _state(location)
    p = run(["patients", "merge", a, b, "--user", "admin"], location, tmp_path,
            POLYCLINIC_CRASH_AT="merge-moved")
    assert p.returncode == -signal.SIGKILL
    assert _state(location) == before
    p = run(["patients", "merge", a, b, "--user", "admin"], location, tmp_path)
    assert p.returncode == 0, p.stderr
    state = _state(location)
    assert [r[1] for r in state["decisions"]] == [a]
    assert [r[2] for r in state["printed"]] == [a]


@pytest.mark.postgresql
def test_two_administrators_merging_the_same_pair_at_once(db, tmp_path):
    """Two desks (processes) merge the same pair while a third holds the kept record's row:
    both wait, then one merges and the other is told who did; nothing points at the merged
    record."""
    location, a, b = db
    if not str(location).startswith("postgresql"):
        pytest.skip("two desks share one server")
    engine = sa.create_engine(str(location).replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as holder:
            holder.exec_driver_sql(f"SELECT id FROM patient WHERE id = {min(a, b)} FOR UPDATE")
            procs = [subprocess.Popen([sys.executable, "-m", "desktop", "patients", "merge", str(a),
                                       str(b), "--user", user], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                                      env=_env(location, tmp_path))
                     for user in ("admin", "admin2")]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # both desks are waiting on the held row
                holder.exec_driver_sql("SELECT pg_stat_clear_snapshot()")  # fresh view
                waiting = holder.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()").scalar()
                if waiting >= 2 or any(p.poll() is not None for p in procs):
                    break
                time.sleep(0.2)
            assert waiting >= 2, [p.communicate() for p in procs if p.poll() is not None]
            holder.rollback()
        results = [(p.wait(timeout=120),) + p.communicate() for p in procs]
    finally:
        engine.dispose()
    codes = sorted(r[0] for r in results)
    assert codes == [0, 3], results
    loser = next(r for r in results if r[0] == 3)
    assert "уже объединена" in loser[2] and "already merged" in loser[2]
    state = _state(location)
    assert [m[1] for m in state["merges"]] == ["merged"]
    assert [r[1] for r in state["decisions"]] == [a] and [r[2] for r in state["printed"]] == [a]
