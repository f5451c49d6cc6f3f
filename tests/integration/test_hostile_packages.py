"""Hostile reference-data packages: path-like versions, a zip bomb, random bit flips, signed but
broken content, a release dated far ahead — each refused with a reason and no change."""
from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization as ser
from release_helpers import newer_sources, trusted_keys

from desktop.core.refbuild import build_reference
from desktop.core.refinstall import ensure_reference
from desktop.core.refpackage import MAX_DB_SIZE, PackageError, build_package, import_package

FLIPS = 200
TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    trusted, pem = trusted_keys(tmp_path_factory.mktemp("keys"))
    return {"dir": trusted, "pem": pem}


@pytest.fixture(scope="module")
def newer(tmp_path_factory) -> Path:
    """A release issued 2026-12-15 (newer than the bundled one)."""
    src = newer_sources(tmp_path_factory.mktemp("src") / "sources", "2026-12-15")
    out = src.parent / "newer.sqlite"
    build_reference(src, out)
    return out


@pytest.fixture
def registry_dir(tmp_path, reference_file):
    """A registry's folder with the bundled release installed, and a fingerprint of it all."""
    db = tmp_path / "clinic" / "registry.sqlite"
    db.parent.mkdir()
    db.write_bytes(b"registry bytes that must never change")
    ensure_reference(db, reference_file)
    return db


def fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def refused(db: Path, package: Path, keys, reason: str | None = None, **kw) -> str:
    before = fingerprint(db.parent)
    with pytest.raises(PackageError) as e:
        import_package(db, package, keys["dir"], today=TODAY, **kw)
    assert fingerprint(db.parent) == before
    if reason is not None:
        assert e.value.reason == reason, str(e.value)
    return e.value.reason


def tampered_release(newer: Path, folder: Path, sql: str) -> Path:
    out = folder / f"tampered-{hashlib.sha1(sql.encode()).hexdigest()[:8]}.sqlite"
    shutil.copy(newer, out)
    con = sqlite3.connect(out)
    con.executescript(sql)
    con.commit()
    con.close()
    return out


def test_a_good_package_is_accepted(registry_dir, keys, newer, tmp_path):
    """The genuine package (the baseline for the hostile ones) is accepted."""
    pkg = tmp_path / "good.zip"
    build_package(newer, pkg, keys["pem"])
    assert import_package(registry_dir, pkg, keys["dir"], today=TODAY).version.startswith("2026-12-15")


@pytest.mark.parametrize("version", ["../reg", "../../registry.sqlite", "a/b", "/etc/x", "..", "x\\..\\y",
                                     "", "a" * 200])
def test_signed_package_with_a_path_for_a_version_is_refused(registry_dir, keys, newer, tmp_path, version):
    """A signed package whose version looks like a path is refused; no file is written outside."""
    release = tampered_release(newer, tmp_path, f"UPDATE meta SET value = '{version}' WHERE key = 'version';")
    pkg = tmp_path / "path.zip"
    build_package(release, pkg, keys["pem"])
    refused(registry_dir, pkg, keys, "version")
    assert registry_dir.read_bytes() == b"registry bytes that must never change"


def test_zip_bomb_is_refused_before_reading(registry_dir, keys, tmp_path):
    """A member that inflates past the size limit is refused from its header, unread."""
    pkg = tmp_path / "bomb.zip"
    with zipfile.ZipFile(pkg, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", b'{"format": "polyclinic-refdata", "format_version": 1}')
        z.writestr("manifest.sig", b"00")
        with z.open("reference.sqlite", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(MAX_DB_SIZE // len(block) + 8):
                member.write(block)
    assert pkg.stat().st_size < 2 * 1024 * 1024
    assert refused(registry_dir, pkg, keys) in ("signature", "size", "corrupt")


def test_bit_flips_are_all_refused(registry_dir, keys, newer, tmp_path):
    """200 packages, each the genuine one with one random bit flipped: all refused, no change."""
    pkg = tmp_path / "good.zip"
    build_package(newer, pkg, keys["pem"])
    data = pkg.read_bytes()
    rng = random.Random(2026)
    reasons = {}
    bad = tmp_path / "flipped.zip"
    for _ in range(FLIPS):
        flipped = bytearray(data)
        bit = rng.randrange(len(data) * 8)
        flipped[bit // 8] ^= 1 << (bit % 8)
        bad.write_bytes(bytes(flipped))
        reason = refused(registry_dir, bad, keys)
        reasons[reason] = reasons.get(reason, 0) + 1
    assert sum(reasons.values()) == FLIPS


@pytest.mark.parametrize("sql", [
    "DELETE FROM categories;",
    "DELETE FROM attachment_rules;",
    "DELETE FROM parameters;",
    "DELETE FROM countries;",
    "DROP TABLE texts;",
    "UPDATE attachment_rules SET basis = '[\"no-such-act\"]';",
    "DELETE FROM acts WHERE id = 'dsm-194-attach';",
])
def test_signed_but_broken_release_is_refused(registry_dir, keys, newer, tmp_path, sql):
    """A correctly signed release whose content is broken fails its self-check: refused."""
    release = tampered_release(newer, tmp_path, sql)
    pkg = sign_raw(release, tmp_path / "broken.zip", keys["pem"])
    refused(registry_dir, pkg, keys, "selfcheck")


def sign_raw(release: Path, out: Path, pem: bytes) -> Path:
    """A package signed exactly as a publisher would, but without loading the release first
    (so content the builder would reject can be signed, as by a stolen or careless key)."""
    import json

    from desktop.core import refpackage as rp

    con = sqlite3.connect(release)
    meta = dict(con.execute("SELECT key, value FROM meta"))
    con.close()
    manifest = {"format": rp.FORMAT, "format_version": rp.FORMAT_VERSION, "version": meta["version"],
                "issued": meta["issued"], "valid_from": meta.get("valid_from"),
                "valid_until": meta.get("valid_until"), "publisher": "",
                "database": {"name": "reference.sqlite", "size": release.stat().st_size,
                             "sha256": hashlib.sha256(release.read_bytes()).hexdigest()}}
    body = json.dumps(manifest, sort_keys=True, indent=1).encode()
    key = ser.load_pem_private_key(pem, password=None)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", body)
        z.writestr("manifest.sig", key.sign(body).hex())
        z.write(release, "reference.sqlite")
    signature = key.sign(rp._file_digest(out, out.stat().st_size - 2)).hex().encode()
    with open(out, "r+b") as fh:
        fh.seek(-2, 2)
        fh.write(len(signature).to_bytes(2, "little") + signature)
    return out


def test_release_dated_more_than_a_month_ahead_is_refused(registry_dir, keys, tmp_path):
    """A release issued more than a month after today is refused."""
    src = newer_sources(tmp_path / "src", "2027-03-01")
    release = tmp_path / "future.sqlite"
    build_reference(src, release)
    pkg = tmp_path / "future.zip"
    build_package(release, pkg, keys["pem"])
    refused(registry_dir, pkg, keys, "future")


def test_development_key_is_not_trusted_by_a_bundle(monkeypatch):
    """A frozen bundle trusts only resources/refdata-keys; a source checkout adds db/keys."""
    import sys

    from desktop import paths

    assert any(d.name == "keys" for d in paths.trusted_key_dirs())
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert [d.name for d in paths.trusted_key_dirs()] == ["refdata-keys"]
    assert not list((paths.resources() / "refdata-keys").glob("*.pub"))
