"""Data safety, third pass (issue 19), at the command line: no command writes its output over
the registry or its own files, onto a folder, a device or through a symbolic link."""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from desktop import cli

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"
NOW = datetime(2026, 11, 22, 9, 0)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"


@pytest.fixture
def desk(tmp_path, monkeypatch) -> Path:
    from desktop.store import open_registry

    db = tmp_path / "data" / "registry.sqlite"
    with open_registry(db, now=NOW) as reg:
        reg.create_user("boss", "admin-pass-1", full_name="Главный", role="admin", now=NOW)
    monkeypatch.setenv("POLYCLINIC_PASSWORD", "admin-pass-1")
    monkeypatch.setenv("POLYCLINIC_BACKUP_PASSPHRASE", "long usb passphrase")
    monkeypatch.setenv("POLYCLINIC_DB", str(db))
    return db


def case_file(tmp_path) -> Path:
    p = tmp_path / "p06.json"
    p.write_text(json.dumps(json.loads((CASES / "p06.json").read_text(encoding="utf-8"))["case"],
                            ensure_ascii=False), encoding="utf-8")
    return p


def _commands(case: Path, ok: Path):
    """(option named in the error, argv with {t} for the target) for every file-writing command."""
    return [
        ("--output", ["print", "refusal", str(case), "-o", "{t}", "--user", "boss"]),
        ("--csv", ["export", "--csv", "{t}", "--json", str(ok / "e.json"), "--user", "boss"]),
        ("--json", ["export", "--csv", str(ok / "e.csv"), "--json", "{t}", "--user", "boss"]),
        ("--csv", ["audit", "--csv", "{t}", "--user", "boss"]),
        ("OUT", ["backup", "{t}", "--user", "boss"]),
        ("OUT", ["backup", "{t}", "--encrypt", "--user", "boss"]),
    ]


def test_every_output_path_that_is_the_registry_or_not_a_plain_file_is_refused(
        tmp_path, desk, capsys):
    """The registry, its WAL, a file of its reference-data folder, a backup in backups/, a
    folder, a device, a symbolic link and a folder that does not exist: each command exits 2
    naming its option; the registry and the target are untouched and no number is taken."""
    from desktop.store import open_registry

    case = case_file(tmp_path)
    ok = tmp_path / "ok"
    ok.mkdir()
    assert cli.main(["prices"]) == 0          # the reference data installed beside the registry
    refdata = Path(str(desk) + ".refdata")
    ref_file = next(p for p in refdata.iterdir() if p.suffix == ".sqlite")
    backups = desk.parent / "backups"
    backups.mkdir(exist_ok=True)
    (backups / "registry-20261101-090000.sqlite").write_bytes(b"an older backup")
    link = tmp_path / "link.pdf"
    link.symlink_to(tmp_path / "elsewhere.pdf")
    targets = {"registry": desk, "wal": Path(str(desk) + "-wal"), "refdata": ref_file,
               "refdata folder": refdata, "backup": backups / "registry-20261101-090000.sqlite",
               "new file in backups": backups / "mine.sqlite", "folder": tmp_path,
               "symlink": link, "missing folder": tmp_path / "usb" / "out.file"}
    if os.path.exists("/dev/null"):
        targets["device"] = Path("/dev/null")
    capsys.readouterr()
    before = {name: _sha(t) for name, t in targets.items()}
    registry_before = _sha(desk)
    for name, target in targets.items():
        for option, argv in _commands(case, ok):
            args = [a.format(t=target) for a in argv]
            code = cli.main(args)
            err = capsys.readouterr().err
            assert code == 2, (name, args, err)
            errors = json.loads(err)["errors"]
            assert errors[0]["field"] == option, (name, args, err)
            assert "refusing to write" in errors[0]["message"] and "нельзя" in errors[0]["message"]
            assert _sha(target) == before[name], (name, args)
    assert _sha(desk) == registry_before
    assert not (tmp_path / "usb").exists() and not (tmp_path / "elsewhere.pdf").exists()
    with open_registry(desk, now=NOW) as reg:
        assert reg.document_numbers() == []


def test_plain_new_files_in_existing_folders_are_written(tmp_path, desk, capsys):
    """The check refuses only what it must: every command writes a new file in a folder that
    exists (beside the registry too)."""
    case = case_file(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    assert cli.main(["print", "refusal", str(case), "-o", str(out / "r.pdf"), "--user", "boss"]) == 0
    assert cli.main(["export", "--csv", str(desk.parent / "e.csv"), "--json", str(out / "e.json"),
                     "--user", "boss"]) == 0
    assert cli.main(["audit", "--csv", str(out / "a.csv"), "--user", "boss"]) == 0
    assert cli.main(["backup", str(out / "b.sqlite"), "--user", "boss"]) == 0
    assert cli.main(["backup", str(out / "b.enc"), "--encrypt", "--user", "boss"]) == 0
    for name in ("r.pdf", "a.csv", "b.sqlite", "b.enc"):   # nothing to export yet
        assert (out / name).stat().st_size > 0, name


def test_restore_of_a_broken_audit_chain_needs_the_option_and_is_recorded(tmp_path, desk, capsys):
    """`restore` of a backup whose audit chain was edited: refused (exit 1, the option named),
    the registry unchanged; with --accept-broken-audit restored, and the acceptance is in the
    audit log of the restored registry."""
    import sqlite3

    from desktop.store import open_registry

    copy = tmp_path / "copy.sqlite"
    assert cli.main(["backup", str(copy), "--user", "boss"]) == 0
    con = sqlite3.connect(copy)
    con.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    con.execute("UPDATE audit_log SET user = 'someone else' WHERE id = 1")
    con.commit()
    con.close()
    capsys.readouterr()
    assert cli.main(["restore", str(copy), "--user", "boss"]) == 1
    err = capsys.readouterr().err
    assert "--accept-broken-audit" in err and "Журнал аудита" in err and "Traceback" not in err
    with open_registry(desk, now=NOW) as reg:   # not replaced: the backup's own entry is there
        assert reg.audit_entries(action="backup") and not reg.audit_entries(action="restore")
    assert cli.main(["restore", str(copy), "--user", "boss", "--accept-broken-audit"]) == 0
    with open_registry(desk, now=NOW) as reg:
        entry = reg.audit_entries(action="restore")[0]
    assert json.loads(entry.details)["accepted_broken_audit"]["first_broken"] == 1


# --- small items (10) -------------------------------------------------------------------------
def test_print_with_a_locked_account_is_refused_with_a_message(tmp_path, desk, capsys):
    """Too many wrong passwords lock the account: `print` then exits 3 with the bilingual
    message, no traceback, no number taken."""
    from desktop.store import open_registry

    case = case_file(tmp_path)
    with open_registry(desk, now=NOW) as reg:
        reg.create_user("desk", "desk-pass-1", full_name="Р", role="registrar", now=NOW, actor="boss")
    wrong = tmp_path / "wrong"
    wrong.write_text("wrong\n")
    for _ in range(12):
        cli.main(["print", "refusal", str(case), "-o", str(tmp_path / "r.pdf"), "--user", "desk",
                  "--password-file", str(wrong)])
    capsys.readouterr()
    right = tmp_path / "right"
    right.write_text("desk-pass-1\n")
    code = cli.main(["print", "refusal", str(case), "-o", str(tmp_path / "r.pdf"), "--user", "desk",
                     "--password-file", str(right)])
    err = capsys.readouterr().err
    assert code == 3 and "заблокирована" in err and "locked" in err and "Traceback" not in err
    with open_registry(desk, now=NOW) as reg:
        assert reg.document_numbers() == []


def test_print_after_a_rewound_counter_repairs_it_from_the_ledger(tmp_path, desk, capsys):
    """The year's counter set back (an old copy, a hand edit): the next `print` takes the next
    number after the ledger's highest, exit 0, and the repair is in the audit log."""
    import sqlite3

    from desktop.store import open_registry

    case = case_file(tmp_path)
    for i in range(2):
        assert cli.main(["print", "refusal", str(case), "-o", str(tmp_path / f"r{i}.pdf"),
                         "--user", "boss"]) == 0
    con = sqlite3.connect(desk)
    con.execute("UPDATE document_sequence SET last_number = 0")
    con.commit()
    con.close()
    capsys.readouterr()
    assert cli.main(["print", "refusal", str(case), "-o", str(tmp_path / "r2.pdf"), "--user", "boss"]) == 0
    assert json.loads(capsys.readouterr().out)["number"].endswith("-000003")
    with open_registry(desk, now=NOW) as reg:
        assert reg.audit_entries(action="repair_numbering")
        assert len({r.number for r in reg.document_numbers()}) == 3


MISSING_USER = [
    ["users", "list"], ["audit"], ["audit", "verify"], ["worklist"], ["numbers", "void-list"],
    ["clinic", "set", "--name-ru", "Поликлиника"], ["export", "--csv", "{d}/e.csv", "--json", "{d}/e.json"],
    ["backup", "{d}/b.sqlite"], ["restore", "{d}/b0.sqlite"], ["patients", "import", "{d}/p.jsonl"],
    ["print", "refusal", "{case}", "-o", "{d}/r.pdf"], ["refdata", "rollback"],
    ["refdata", "import", "{d}/package.bin"],
]


def test_a_missing_user_is_refused_with_exit_3_by_every_command(tmp_path, desk, capsys):
    """Every command that needs a signed-in user, run without --user (the password given):
    exit 3 and the message naming --user, as the README promises; nothing written."""
    case = case_file(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    assert cli.main(["backup", str(out / "b0.sqlite"), "--user", "boss"]) == 0
    (out / "p.jsonl").write_text('{"person": {"surname": "Иванов", "citizenship": "KZ"}}\n',
                                 encoding="utf-8")
    (out / "package.bin").write_bytes(b"not a package")
    capsys.readouterr()
    before = sorted(p.name for p in out.iterdir())
    for command in MISSING_USER:
        args = [a.format(d=out, case=case) for a in command]
        code = cli.main(args)
        err = capsys.readouterr().err
        assert code == 3, (args, err)
        assert "--user" in err and "Traceback" not in err, (args, err)
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_lone_surrogate_in_patients_import_is_an_error_of_its_line(tmp_path, desk, capsys):
    """A line carrying "\\ud800" (valid JSON, no text): an error naming its line, exit 2, the
    other lines imported, no traceback."""
    from desktop.store import open_registry

    batch = tmp_path / "p.jsonl"
    batch.write_text('{"person": {"surname": "Ива\\ud800нов", "citizenship": "KZ"}}\n'
                     '{"person": {"surname": "Петров", "given_name": "Пётр", "citizenship": "KZ"}}\n',
                     encoding="utf-8")
    code = cli.main(["patients", "import", str(batch), "--user", "boss"])
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err
    results = [json.loads(line) for line in captured.out.splitlines()]
    assert results[0]["errors"][0]["line"] == 1 and "surrogate" in results[0]["errors"][0]["message"]
    assert results[1]["status"] == "created"
    with open_registry(desk, now=NOW) as reg:
        assert [p.surname for p in reg.search("Петров")] == ["Петров"]


@pytest.mark.parametrize("content", [
    "admin-pass-1\n".encode("utf-16"), "admin-pass-1".encode("utf-16-le"), b"\xff\xfe\xfa bad"])
def test_a_utf16_or_invalid_password_file_is_a_message(tmp_path, desk, capsys, content):
    """A password file saved as UTF-16 (with or without its mark) or not text at all: exit 2
    naming --password-file, no traceback."""
    pw = tmp_path / "pw.txt"
    pw.write_bytes(content)
    code = cli.main(["users", "list", "--user", "boss", "--password-file", str(pw)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert json.loads(err)["errors"][0]["field"] == "--password-file"


def test_notepad_password_and_passphrase_files_read_as_typed(tmp_path, desk, capsys, monkeypatch):
    """Files saved by Notepad (UTF-8 with a byte-order mark, CRLF): the password signs in and
    the passphrase is the typed one (the copy opens with the typed text)."""
    monkeypatch.delenv("POLYCLINIC_PASSWORD")
    monkeypatch.delenv("POLYCLINIC_BACKUP_PASSPHRASE")
    pw = tmp_path / "pw.txt"
    pw.write_bytes("\ufeffadmin-pass-1\r\n".encode("utf-8"))
    phrase = tmp_path / "phrase.txt"
    phrase.write_bytes("\ufeffдлинная фраза для флешки\r\n".encode("utf-8"))
    assert cli.main(["users", "list", "--user", "boss", "--password-file", str(pw)]) == 0
    copy = tmp_path / "copy.enc"
    assert cli.main(["backup", str(copy), "--encrypt", "--passphrase-file", str(phrase),
                     "--user", "boss", "--password-file", str(pw)]) == 0
    from desktop.store.crypt import decrypt_file

    decrypt_file(copy, tmp_path / "plain.sqlite", "длинная фраза для флешки")
    assert (tmp_path / "plain.sqlite").read_bytes().startswith(b"SQLite format 3")


def test_refdata_import_on_a_nearly_full_disk_says_so_and_changes_nothing(tmp_path, capsys,
                                                                         monkeypatch):
    """The registry on a small disk with too little room to unpack the package: `refdata
    import` exits 1 with «нет места на диске», never calls the package damaged, no traceback;
    the release in force is unchanged (a real tmpfs; skipped where it cannot be mounted)."""
    import subprocess

    from release_helpers import newer_sources

    from desktop.core.refbuild import build_reference
    from desktop.core.refpackage import build_package
    from desktop.store import open_registry

    newer_sources(tmp_path / "src", "2026-12-15")
    build_reference(tmp_path / "src", tmp_path / "newer.sqlite")
    package = tmp_path / "update.zip"
    build_package(tmp_path / "newer.sqlite", package,
                  (ROOT / "db" / "keys" / "dev-publisher.pem").read_bytes())
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small filesystem here")
    try:
        db = disk / "registry.sqlite"
        with open_registry(db, now=NOW) as reg:
            reg.create_user("boss", "admin-pass-1", full_name="Главный", role="admin", now=NOW)
        monkeypatch.setenv("POLYCLINIC_DB", str(db))
        monkeypatch.setenv("POLYCLINIC_PASSWORD", "admin-pass-1")
        assert cli.main(["refdata", "list"]) == 0
        before = json.loads(capsys.readouterr().out)
        with open(disk / "filler", "wb") as f:   # room to sign in, not to unpack the release
            free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
            f.write(b"\0" * max(0, free - 160_000))
        code = cli.main(["refdata", "import", str(package), "--user", "boss"])
        err = capsys.readouterr().err
        assert code == 1, err
        assert "нет места на диске" in err.lower() and "no space left" in err.lower()
        assert "пакет повреждён" not in err and "package is damaged" not in err
        assert "Traceback" not in err
        os.unlink(disk / "filler")
        assert cli.main(["refdata", "list"]) == 0
        assert json.loads(capsys.readouterr().out) == before
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
