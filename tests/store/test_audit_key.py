"""A single desk's audit chain is keyed (issue 19, item 8): the key lives outside the registry's
folder in an owner-only file; an entry chained without it is found; a registry restored on
another PC verifies once its key is imported."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import sys

from desktop.store import auditkey, open_registry

from .support import NOW


def _last(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        con.close()


def _append_plain(path, at="2026-11-22T10:00:00+05:00"):
    """Whoever can write the file appends an entry chained as before (plain sha256) and moves
    the head: the append-only triggers do not stop an INSERT."""
    last_id, last_hash = _last(path)
    forged = hashlib.sha256("\x1f".join((last_hash, at, "admin", "view", "patient:1",
                                         "{}")).encode()).hexdigest()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO audit_log (at, \"user\", action, object, details, hash) VALUES "
                "(?, 'admin', 'view', 'patient:1', '{}', ?)", (at, forged))
    con.execute("UPDATE setting SET value = ? WHERE key = 'audit.head'",
                (f"{last_id + 1}:{forged}",))
    con.commit()
    con.close()
    return last_id + 1


def test_an_entry_chained_without_the_key_is_found(tmp_path):
    """On today's code a correctly chained entry passes; keyed, it is a break."""
    path = tmp_path / "registry.sqlite"
    with open_registry(path, now=NOW) as registry:
        registry.log(user="reg", action="view", obj="patient:1", now=NOW)
        assert registry.verify_audit()["ok"]
    forged = _append_plain(path)
    with open_registry(path, now=NOW) as registry:
        result = registry.verify_audit()
    assert not result["ok"] and [b["at"] for b in result["breaks"]] == [forged]


def test_moving_the_keyed_start_does_not_hide_a_rechained_log(tmp_path):
    """Re-chaining the whole log with plain sha256 and removing `audit.keyed_from`: the key
    file still says where the keyed part begins, every rewritten row is a break."""
    from desktop.store.unit import AUDIT_GENESIS, audit_hash

    path = tmp_path / "registry.sqlite"
    with open_registry(path, now=NOW) as registry:
        for n in range(3):
            registry.log(user="reg", action="view", obj=f"patient:{n}", now=NOW)
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    previous = AUDIT_GENESIS
    for row in con.execute("SELECT id, at, \"user\", action, object, details FROM audit_log "
                           "ORDER BY id").fetchall():
        previous = audit_hash(previous, *row[1:])
        con.execute("UPDATE audit_log SET hash = ? WHERE id = ?", (previous, row[0]))
        last = row[0]
    con.execute("UPDATE setting SET value = ? WHERE key = 'audit.head'", (f"{last}:{previous}",))
    con.execute("DELETE FROM setting WHERE key = 'audit.keyed_from'")
    con.commit()
    con.close()
    with open_registry(path, now=NOW) as registry:
        result = registry.verify_audit()
    assert not result["ok"] and len([b for b in result["breaks"] if b["reason"] == "hash"]) >= 3


def test_the_key_is_outside_the_registrys_folder_and_private(tmp_path):
    """The key file is in the key folder (not beside the registry), owner-only."""
    path = tmp_path / "registry.sqlite"
    with open_registry(path, now=NOW) as registry:
        registry.log(user="reg", action="view", obj="patient:1", now=NOW)
    con = sqlite3.connect(path)
    registry_id = con.execute("SELECT value FROM setting WHERE key = 'registry.id'").fetchone()[0]
    con.close()
    key_file = auditkey.key_dir() / f"{registry_id}.key"
    assert key_file.exists() and tmp_path not in key_file.parents
    assert not any(p.suffix == ".key" for p in tmp_path.rglob("*"))
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(key_file.parent).st_mode) == 0o700


def test_a_registry_restored_on_another_pc_verifies_once_its_key_is_imported(tmp_path,
                                                                             monkeypatch):
    """Another PC (another key folder) opens a copy: work goes on (a new keyed part), `audit
    verify` names the part it cannot check; after `import_audit_key` of the first PC's export
    the whole chain verifies. A key of another registry is refused."""
    first = tmp_path / "first" / "registry.sqlite"
    first.parent.mkdir()
    with open_registry(first, now=NOW) as registry:
        registry.create_user("admin", "admin-secret-1", full_name="А", role="admin", now=NOW)
        registry.log(user="admin", action="view", obj="patient:1", now=NOW)
        registry.export_audit_key(tmp_path / "key.json", actor="admin", now=NOW)
    with open_registry(tmp_path / "other.sqlite", now=NOW) as other:
        other.create_user("admin", "admin-secret-1", full_name="А", role="admin", now=NOW)
        other.export_audit_key(tmp_path / "other-key.json", actor="admin", now=NOW)
    second = tmp_path / "second" / "registry.sqlite"
    second.parent.mkdir()
    shutil.copy(first, second)
    monkeypatch.setenv("POLYCLINIC_AUDIT_KEYS", str(tmp_path / "second-pc-keys"))
    with open_registry(second, now=NOW) as registry:
        assert registry.login("admin", "admin-secret-1", now=NOW) is not None
        result = registry.verify_audit()
        assert not result["ok"]
        assert [b["reason"] for b in result["breaks"]][0].startswith("audit key missing")
        other = registry.import_audit_key(tmp_path / "other-key.json", actor="admin", now=NOW)
        assert not other["this_registry"] and not registry.verify_audit()["ok"]
        mine = registry.import_audit_key(tmp_path / "key.json", actor="admin", now=NOW)
        assert mine["this_registry"] and mine["parts"] == 1
        result = registry.verify_audit()
        assert result["ok"], result["breaks"]
