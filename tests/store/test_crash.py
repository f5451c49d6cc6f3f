"""Killed mid-work: acknowledged saves survive, the file stays sound, no number is reused.

A child process saves in a loop and prints each committed result; the test kills it with
SIGKILL at a random moment, many times over, then checks the file.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")

ROOT = Path(__file__).resolve().parents[2]
KILLS = 40  # per test; three tests: 120 SIGKILLs at random points

# The driver (python -c) imports the store once, then forks one worker per "go" line: the
# worker opens the registry and loops, writing "ack <result>" after each commit; the driver
# reports "pid <n>", waits for the worker's death and says "done". The test kills the worker.
DRIVER = """
import os, sys
from datetime import datetime, timezone
from desktop.store.registry import open_registry
from desktop.store import db
db.head_revision()  # preload Alembic and the scripts, so a worker starts in milliseconds
import alembic.config, alembic.runtime.environment, alembic.operations
now = datetime(2026, 11, 22, tzinfo=timezone.utc)
path, what = sys.argv[1], sys.argv[2]
for _ in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            registry = open_registry(path, now=now)
            n = 0
            while True:
                n += 1
                if what == "save":
                    case = {"person": {"surname": "Убитый", "given_name": f"N{n}",
                                       "citizenship": "KZ"},
                            "documents": [{"kind": "passport", "number": f"N {n:07d}"}]}
                    result = registry.save_patient(case, user="crash", now=now)
                elif what == "print":
                    number = registry.reserve_document_number(2026, now, kind="slip", user="crash")
                    registry.store_printed(number, "slip", b"%PDF " + number.encode(), lang="ru",
                                           user="crash", now=now)
                    result = number
                else:
                    result = registry.next_document_number(2026, now)
                os.write(1, f"ack {result}\\n".encode())
        finally:
            os._exit(1)
    os.write(1, f"pid {pid}\\n".encode())
    os.waitpid(pid, 0)
    os.write(1, b"done\\n")
"""


def _kill_repeatedly(what: str, db_path, seed: int, kills: int = KILLS) -> list[str]:
    """Start a worker KILLS times, SIGKILL it after a random delay; return every acknowledged result."""
    rng = random.Random(seed)
    acknowledged: list[str] = []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(db_path), what], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def read_until(marker: str) -> str:
        while True:
            line = driver.stdout.readline().decode()
            assert line, "the driver died"
            word, _, value = line.strip().partition(" ")
            if word == "ack":
                acknowledged.append(value)
            if word == marker:
                return value

    try:
        for round_ in range(kills):
            driver.stdin.write(b"go\n")
            driver.stdin.flush()
            worker = int(read_until("pid"))
            # The first worker creates the file. Then one round in four kills at any moment of
            # the start (opening, checking, the first transaction); the others wait for the
            # first commit, so that the kill lands among the writes.
            if round_ == 0 or round_ % 4:
                read_until("ack")
                time.sleep(rng.uniform(0.0, 0.05))
            else:
                time.sleep(rng.uniform(0.0, 0.15))
            os.kill(worker, signal.SIGKILL)
            read_until("done")
    finally:
        driver.stdin.close()
        driver.wait(timeout=30)
    return acknowledged


def _integrity(db_path: Path) -> str:
    con = sqlite3.connect(db_path)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def test_killed_saves_leave_a_sound_file_with_every_acknowledged_patient(tmp_path):
    """After SIGKILL during saves, integrity_check is ok and every acknowledged save is there."""
    db_path = tmp_path / "registry.sqlite"
    acknowledged = _kill_repeatedly("save", db_path, seed=5)
    assert acknowledged
    assert _integrity(db_path) == "ok"
    con = sqlite3.connect(db_path)
    stored = {str(r[0]) for r in con.execute("SELECT id FROM patient")}
    documents = {r[0] for r in con.execute("SELECT patient_id FROM patient_document")}
    con.close()
    assert set(acknowledged) <= stored
    assert {int(a) for a in acknowledged} <= documents


def test_killed_numbering_never_hands_out_a_number_twice(tmp_path):
    """After SIGKILL during numbering, no document number was ever returned twice."""
    db_path = tmp_path / "registry.sqlite"
    acknowledged = _kill_repeatedly("number", db_path, seed=7)
    assert len(acknowledged) == len(set(acknowledged))
    assert _integrity(db_path) == "ok"
    con = sqlite3.connect(db_path)
    last = con.execute("SELECT last_number FROM document_sequence WHERE year = 2026").fetchone()[0]
    con.close()
    assert max(int(a.split("-")[1]) for a in acknowledged) <= last


def test_killed_printing_loses_no_document_and_leaves_no_silent_gap(tmp_path):
    """SIGKILL while printing: every acknowledged document is stored once, every number taken
    is in the ledger, and those never stored become void with a reason (no silent gaps)."""
    from datetime import datetime, timedelta, timezone

    from desktop.store import open_registry

    db_path = tmp_path / "registry.sqlite"
    acknowledged = _kill_repeatedly("print", db_path, seed=11)
    assert acknowledged and len(acknowledged) == len(set(acknowledged))
    assert _integrity(db_path) == "ok"
    later = datetime(2026, 11, 22, tzinfo=timezone.utc) + timedelta(hours=1)
    with open_registry(db_path, now=later) as registry:
        ledger = {r.number: r for r in registry.document_numbers()}
        printed = {n for n in ledger if registry.get_printed(n) is not None}
    con = sqlite3.connect(db_path)
    last = con.execute("SELECT last_number FROM document_sequence WHERE year = 2026").fetchone()[0]
    con.close()
    assert set(acknowledged) <= printed
    assert sorted(ledger) == [f"2026-{n:06d}" for n in range(1, last + 1)]
    assert {n for n, r in ledger.items() if r.status == "stored"} == printed
    assert all(r.status == "void" and r.reason for n, r in ledger.items() if n not in printed)


@pytest.mark.postgresql
def test_killed_printing_on_the_server_loses_nothing_and_reuses_no_number(pg_url, tmp_path,
                                                                         monkeypatch):
    """SIGKILL while printing against the server (30 kills): every acknowledged document is
    stored once, the ledger has every number up to the counter, the unstored ones void once
    a day has passed (another desk's clock may differ from this one's)."""
    from datetime import datetime, timedelta, timezone

    from desktop.store import open_registry

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    acknowledged = _kill_repeatedly("print", pg_url, seed=13, kills=30)
    assert acknowledged and len(acknowledged) == len(set(acknowledged))
    later = datetime(2026, 11, 22, tzinfo=timezone.utc) + timedelta(days=1, minutes=1)
    with open_registry(pg_url, now=later) as registry:
        ledger = {r.number: r for r in registry.document_numbers()}
        printed = {n for n in ledger if registry.get_printed(n) is not None}
        with registry.engine.connect() as connection:
            last = connection.exec_driver_sql(
                "SELECT last_number FROM document_sequence WHERE year = 2026").scalar()
        assert registry.verify_audit()["ok"]
    assert set(acknowledged) <= printed
    assert sorted(ledger) == [f"2026-{n:06d}" for n in range(1, last + 1)]
    assert {n for n, r in ledger.items() if r.status == "stored"} == printed
    assert all(r.status == "void" and r.reason for n, r in ledger.items() if n not in printed)
