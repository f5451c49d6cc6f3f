"""Several desks (processes) on one registry: starting together on a new registry, and the
export crash window, with real processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 20
DESKS = 3

# The driver imports everything once, then per round forks DESKS children that wait on one
# pipe and start together: the reference install, opening (creating) the registry, seeding the
# price list and the automatic backup, as the GUI does at start. Each child reports "ok" or
# its error; the driver prints one JSON line per round.
DRIVER = r"""
import json, os, sys, traceback
from datetime import datetime, timezone
from pathlib import Path
from desktop.core.refinstall import ensure_reference
from desktop.core.refdata import load_reference
from desktop.services import seed_prices_from_reference
from desktop.store.registry import auto_backup, open_registry
from desktop.store import db
db.head_revision()
import alembic.config, alembic.runtime.environment, alembic.operations
bundled, work, rounds, desks = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
now = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)
for r in range(rounds):
    path = work / f"round{r}" / "registry.sqlite"
    read_go, write_go = os.pipe()
    read_out, write_out = os.pipe()
    children = []
    for d in range(desks):
        pid = os.fork()
        if pid == 0:
            os.close(write_go)
            os.read(read_go, 1)
            try:
                ref = ensure_reference(path, bundled)
                registry = open_registry(path, now=now)
                seed_prices_from_reference(registry, ref, now)
                auto_backup(path, path.parent / "backups", now, keep=10)
                registry.close()
                msg = "ok"
            except BaseException:
                msg = traceback.format_exc().replace("\n", " | ")
            os.write(write_out, (msg + "\n").encode())
            os._exit(0)
        children.append(pid)
    os.close(read_go)
    os.write(write_go, b"g" * desks)
    os.close(write_go)
    for pid in children:
        os.waitpid(pid, 0)
    os.close(write_out)
    with os.fdopen(read_out) as fh:
        results = fh.read().splitlines()
    backups = sorted(p.name for p in (path.parent / "backups").glob("*.sqlite"))
    print(json.dumps({"round": r, "results": results, "backups": backups}), flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_three_desks_start_together_on_a_new_registry(tmp_path, reference_file):
    """3 desks starting at the same moment on a new registry, 20 times: no failure, one
    registry, and each desk's automatic backup under its own name."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-c", DRIVER, str(reference_file), str(tmp_path), str(ROUNDS),
                        str(DESKS)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert p.returncode == 0, p.stderr
    rounds = [json.loads(line) for line in p.stdout.splitlines()]
    failures = [r for rnd in rounds for r in rnd["results"] if r != "ok"]
    assert len(rounds) == ROUNDS and failures == []
    assert all(len(rnd["backups"]) == DESKS for rnd in rounds)


def _run(args, db, env_extra=None):
    env = dict(os.environ, POLYCLINIC_DB=str(db), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def exportable(tmp_path, request, monkeypatch):
    """A registry (a file, and a database on the server) with an administrator and 5 patients
    whose attachment is allowed."""
    from desktop.store import open_registry

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    db = tmp_path / "registry.sqlite" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    now = datetime(2026, 11, 22, 9, 0)
    with open_registry(db, now=now) as reg:
        reg.create_user("boss", "admin-pass-1", full_name="Главный", role="admin", now=now)
        for n in range(5):
            pid = reg.save_patient({"person": {"surname": f"Экспорт{n}", "citizenship": "KZ"}, "documents": []},
                                   user="boss", now=now)
            reg.record_decision(pid, {"as_of": "2026-11-22", "category": "citizen",
                                      "attachment": {"status": "allowed"}}, user="boss", now=now)
    return db


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("point", ["export-staged", "export-csv-written", "export-files-written"])
def test_export_killed_between_steps_is_finished_once(tmp_path, exportable, point):
    """Killed after staging or between the files (on a file and on the server): the next run
    writes the same batch (same content) to the files it names and a third run finds nothing
    new; each decision is exported once."""
    from desktop.store import open_registry

    cred = ["--user", "boss"]
    env = {"POLYCLINIC_PASSWORD": "admin-pass-1"}
    out = ["--csv", str(tmp_path / "a.csv"), "--json", str(tmp_path / "a.json")]
    killed = _run(["export", *out, *cred], exportable, {**env, "POLYCLINIC_CRASH_AT": point})
    assert killed.returncode == -9
    again = _run(["export", "--csv", str(tmp_path / "b.csv"), "--json", str(tmp_path / "b.json"), *cred],
                 exportable, env)
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    assert result["resumed"] and result["count"] == 5 and result["csv"] == str(tmp_path / "b.csv")
    lines = (tmp_path / "b.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 6 and len(json.loads((tmp_path / "b.json").read_text())["attachments"]) == 5
    third = _run(["export", "--csv", str(tmp_path / "c.csv"), "--json", str(tmp_path / "c.json"), *cred],
                 exportable, env)
    assert json.loads(third.stdout)["count"] == 0 and not (tmp_path / "c.csv").exists()
    with open_registry(exportable, now=datetime(2026, 11, 22, 10, 0)) as reg:
        ids = [o.decision_id for o in reg.exported()]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 5
    assert not list(tmp_path.glob("*.tmp-*"))
