"""The command line on the clinic's server: `--db postgresql://…` for every command,
`patients import`, `registry copy` (real processes, real PostgreSQL server)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"
IVANOV = {"as_of": "2026-11-22", "person": {"iin": "791028302728", "surname": "Иванов",
                                            "given_name": "Иван", "birth_date": "1979-10-28",
                                            "sex": "male", "citizenship": "KZ"},
          "documents": [{"kind": "id_card_kz", "number": "041234567"}], "needs": "attachment"}


def run(args, db, tmp_path, stdin=None):
    env = dict(os.environ, POLYCLINIC_DB=str(db), XDG_DATA_HOME=str(tmp_path / "data"),
               POLYCLINIC_PASSWORD="pw-admin-secret", POLYCLINIC_NEW_PASSWORD="pw-admin-secret")
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db(request, tmp_path):
    """A registry with its administrator: an SQLite file, or a database on the test server."""
    location = tmp_path / "registry.sqlite" if request.param == "sqlite" \
        else request.getfixturevalue("pg_url")
    p = run(["users", "add", "admin", "--full-name", "Админ", "--role", "admin"], location, tmp_path)
    assert p.returncode == 0, p.stderr
    return location


@pytest.mark.postgresql
def test_a_url_makes_no_folder_named_postgresql_in_the_working_directory(pg_url, tmp_path):
    """`--db postgresql://…` reaches the server: the prices come back and no 'postgresql:'
    folder appears where the command ran."""
    p = run(["prices"], pg_url, tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) and not (tmp_path / "postgresql:").exists()


def test_patients_import_registers_with_decisions_and_reports_each_line(db, tmp_path):
    """Valid lines are saved with their decision; a bad line is an error naming its line;
    a person already registered is reported and not doubled (exit 2 for the bad line)."""
    lines = [json.dumps(IVANOV, ensure_ascii=False), "{not json",
             json.dumps({"person": {"citizenship": "KZ", "iin": "12"}}),
             json.dumps(IVANOV, ensure_ascii=False)]
    file = tmp_path / "population.jsonl"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = run(["patients", "import", str(file), "--user", "admin"], db, tmp_path)
    results = [json.loads(line) for line in p.stdout.splitlines()]
    assert p.returncode == 2
    assert results[0]["status"] == "created" and results[0]["category"] == "citizen"
    assert results[1]["errors"][0]["line"] == 2 and results[2]["errors"][0]["field"] == "person.iin"
    assert results[3]["status"] == "exists" and results[3]["iin"] == "791028302728"
    assert results[3]["patient_id"] == results[0]["patient_id"]
    assert [e["line"] for e in json.loads(p.stderr)["errors"]] == [2, 3]


def test_patients_import_keeps_every_line_around_a_bad_byte(db, tmp_path):
    """An invalid UTF-8 byte spoils only its own line, and U+2028 inside a string does not
    split a line: one result per input line, the others imported."""
    petrov = dict(IVANOV, person=dict(IVANOV["person"], iin="", surname="Петров\u2028Пётр"))
    lines = [json.dumps(IVANOV, ensure_ascii=False).encode(), b'{"person": "\xff"}',
             json.dumps(petrov, ensure_ascii=False).encode()]
    file = tmp_path / "population.jsonl"
    file.write_bytes(b"\n".join(lines) + b"\n")
    p = run(["patients", "import", str(file), "--user", "admin"], db, tmp_path)
    results = [json.loads(line) for line in p.stdout.splitlines()]
    assert p.returncode == 2 and [r["line"] for r in results] == [1, 2, 3]
    assert results[0]["status"] == "created" and "UTF-8" in results[1]["errors"][0]["message"]
    assert results[2]["status"] == "created"


def test_patients_import_twice_doubles_no_one(db, tmp_path):
    """Running the same file again reports everyone as already registered (exit 0)."""
    file = tmp_path / "population.jsonl"
    file.write_text(json.dumps(IVANOV, ensure_ascii=False) + "\n", encoding="utf-8")
    assert run(["patients", "import", str(file), "--user", "admin"], db, tmp_path).returncode == 0
    again = run(["patients", "import", str(file), "--user", "admin"], db, tmp_path)
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "exists"


def test_patients_import_never_overwrites_the_holder_of_an_iin(db, tmp_path, monkeypatch):
    """A line whose ИИН a stored patient holds under another name is not saved and does not
    change him: it is reported naming the holder (exit 0, nothing invalid)."""
    from datetime import datetime, timezone

    from desktop.store import open_registry

    file = tmp_path / "population.jsonl"
    other = dict(IVANOV, person=dict(IVANOV["person"], surname="Сидорова", given_name="Анна",
                                     birth_date="1985-01-01", sex="female"))
    file.write_text(json.dumps(IVANOV, ensure_ascii=False) + "\n"
                    + json.dumps(other, ensure_ascii=False) + "\n", encoding="utf-8")
    p = run(["patients", "import", str(file), "--user", "admin"], db, tmp_path)
    assert p.returncode == 0, p.stderr
    first, second = [json.loads(line) for line in p.stdout.splitlines()]
    assert second["status"] == "exists" and second["patient_id"] == first["patient_id"]
    assert "Иванов Иван" in second["message"] and "791028302728" in second["message"]
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    registry = open_registry(db, now=datetime.now(timezone.utc))
    try:
        stored = registry.get_patient(first["patient_id"])
        assert (stored.surname, stored.version) == ("Иванов", 1)
        assert registry.search("Сидорова") == []
    finally:
        registry.close()


def test_patients_import_needs_an_administrator(db, tmp_path):
    """A wrong password is refused with exit 3 and nothing is imported."""
    file = tmp_path / "population.jsonl"
    file.write_text(json.dumps(IVANOV, ensure_ascii=False) + "\n", encoding="utf-8")
    env_file = tmp_path / "wrong.pw"
    env_file.write_text("wrong\n")
    p = run(["patients", "import", str(file), "--user", "admin", "--password-file", str(env_file)],
            db, tmp_path)
    assert p.returncode == 3 and p.stdout == ""


@pytest.mark.postgresql
def test_registry_copy_moves_a_desk_to_the_server_and_refuses_a_second_time(pg_url, tmp_path):
    """`registry copy FILE URL` copies and verifies (exit 0); into the now non-empty server
    it is refused (exit 2, JSON error)."""
    desk = tmp_path / "desk.sqlite"
    file = tmp_path / "population.jsonl"
    file.write_text(json.dumps(IVANOV, ensure_ascii=False) + "\n", encoding="utf-8")
    assert run(["users", "add", "admin", "--full-name", "A", "--role", "admin"], desk,
               tmp_path).returncode == 0
    assert run(["patients", "import", str(file), "--user", "admin"], desk, tmp_path).returncode == 0
    p = run(["registry", "copy", str(desk), pg_url], desk, tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["tables"]["patient"]["rows"] == 1
    found = run(["worklist", "--user", "admin", "--days", "1"], pg_url, tmp_path)
    assert found.returncode == 0, found.stderr
    again = run(["registry", "copy", str(desk), pg_url], desk, tmp_path)
    assert again.returncode == 2 and "not empty" in json.loads(again.stderr)["errors"][0]["message"]


@pytest.mark.postgresql
def test_backup_from_the_server_is_a_file_a_desk_can_open(pg_url, tmp_path):
    """`backup OUT` on the server writes the verified portable file; `restore` loads it back."""
    assert run(["users", "add", "admin", "--full-name", "A", "--role", "admin"], pg_url,
               tmp_path).returncode == 0
    out = tmp_path / "server-backup.sqlite"
    p = run(["backup", str(out), "--user", "admin"], pg_url, tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["rows"]["app_user"] == 1
    listed = run(["users", "list", "--user", "admin"], out, tmp_path)
    assert [u["login"] for u in json.loads(listed.stdout)] == ["admin"]
    restored = run(["restore", str(out), "--user", "admin"], pg_url, tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["previous_kept_as"].endswith(".sqlite")


def test_audit_verify_and_the_void_list_work_on_either_backend(db, tmp_path):
    """`audit verify` walks the chain (exit 0, entries counted) and `numbers void-list` answers
    JSON, on a file and on the server; an encrypted backup is written from either."""
    verify = run(["audit", "verify", "--user", "admin"], db, tmp_path)
    assert verify.returncode == 0, verify.stderr
    assert json.loads(verify.stdout)["ok"] and json.loads(verify.stdout)["entries"] >= 1
    void = run(["numbers", "void-list", "--user", "admin"], db, tmp_path)
    assert void.returncode == 0 and json.loads(void.stdout) == []
    secret = tmp_path / "passphrase"
    secret.write_text("a long passphrase\n", encoding="utf-8")
    backup = run(["backup", str(tmp_path / "b.enc"), "--encrypt", "--passphrase-file", str(secret),
                  "--user", "admin"], db, tmp_path)
    assert backup.returncode == 0, backup.stderr
    assert json.loads(backup.stdout)["encrypted"] and (tmp_path / "b.enc").stat().st_size > 0


def test_an_unreachable_server_is_one_line_naming_it(tmp_path):
    """A desk pointed at a server that does not answer: exit 1 and one message naming the
    server (password hidden), no traceback."""
    p = run(["worklist", "--user", "admin"], "postgresql://desk:secret@127.0.0.1:1/polyclinic",
            tmp_path)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "127.0.0.1:1/polyclinic" in p.stderr and "secret" not in p.stderr
