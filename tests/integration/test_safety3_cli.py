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
