"""Reference-data updates from a file: verified, refused with a reason and no change, switched atomically."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from release_helpers import newer_release, trusted_keys

from desktop.core.refdata import load_reference
from desktop.core.refinstall import active_path, ensure_reference, installed
from desktop.core.refpackage import PackageError, build_package, import_package, rollback


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    trusted, pem = trusted_keys(tmp_path_factory.mktemp("keys"))
    other = Ed25519PrivateKey.generate().private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    return {"dir": trusted, "pem": pem, "foreign_pem": other}


@pytest.fixture
def setup(tmp_path, keys, reference_file):
    db = tmp_path / "registry.sqlite"
    ensure_reference(db, reference_file)  # first start: the bundled release (issued 2026-11-23)
    newer = newer_release(tmp_path, "2026-12-15", "newer")
    pkg = tmp_path / "update.zip"
    build_package(newer, pkg, keys["pem"])
    return db, pkg, newer


def state(db: Path):
    return active_path(db).name, sorted(p.name for p in Path(str(db) + ".refdata").iterdir())


def test_good_package_switches_and_keeps_previous(setup, keys, ref):
    """A good package becomes the release in force; the previous one stays for rollback."""
    db, pkg, newer = setup
    res = import_package(db, pkg, keys["dir"])
    assert res.previous == ref.version and res.version == load_reference(newer).version
    assert load_reference(active_path(db)).version == res.version
    assert [r["version"] for r in installed(db)] == [ref.version, res.version]


def test_rollback_returns_to_previous(setup, keys, ref):
    """Rollback makes the previous release active again."""
    db, pkg, _ = setup
    import_package(db, pkg, keys["dir"])
    assert rollback(db) == ref.version
    assert load_reference(active_path(db)).version == ref.version


def refused(db, pkg, keys, reason, **kw):
    before = state(db)
    with pytest.raises(PackageError) as e:
        import_package(db, pkg, keys["dir"], **kw)
    assert e.value.reason == reason, str(e.value)
    assert state(db) == before
    return e.value


def test_truncated_package_is_refused(setup, keys, tmp_path):
    """A truncated file is refused with no change."""
    db, pkg, _ = setup
    cut = tmp_path / "cut.zip"
    cut.write_bytes(pkg.read_bytes()[: pkg.stat().st_size // 2])
    refused(db, cut, keys, "corrupt")


def test_random_bytes_are_refused(setup, keys, tmp_path):
    """A file of random bytes is not a package."""
    db, _, _ = setup
    junk = tmp_path / "junk.zip"
    junk.write_bytes(bytes(range(256)) * 50)
    refused(db, junk, keys, "corrupt")


def test_foreign_zip_is_refused(setup, keys, tmp_path):
    """A zip that is not a reference package is refused as foreign."""
    db, _, _ = setup
    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("holiday.jpg", b"\xff\xd8")
    refused(db, other, keys, "foreign")


def test_unknown_signer_is_refused(setup, keys, tmp_path):
    """A package signed by a key the app does not trust is refused."""
    db, _, newer = setup
    pkg = tmp_path / "unsigned.zip"
    build_package(newer, pkg, keys["foreign_pem"])
    refused(db, pkg, keys, "signature")


def rewrite(pkg: Path, out: Path, **changes):
    with zipfile.ZipFile(pkg) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files.update(changes)
    with zipfile.ZipFile(out, "w") as z:
        for n, b in files.items():
            z.writestr(n, b)
    return out


def test_altered_manifest_is_refused(setup, keys, tmp_path):
    """Changing the manifest breaks the signature."""
    db, pkg, _ = setup
    with zipfile.ZipFile(pkg) as z:
        m = json.loads(z.read("manifest.json"))
    m["valid_until"] = "2099-12-31"
    bad = rewrite(pkg, tmp_path / "m.zip", **{"manifest.json": json.dumps(m).encode()})
    refused(db, bad, keys, "signature")


def test_replaced_database_is_refused(setup, keys, tmp_path):
    """A database that differs from the signed hash is refused."""
    db, pkg, _ = setup
    other = newer_release(tmp_path, "2026-12-20", "other")
    with zipfile.ZipFile(pkg) as z:
        size = z.getinfo("reference.sqlite").file_size
    data = other.read_bytes()
    data = (data + b"\0" * size)[:size]  # same size, other content
    bad = rewrite(pkg, tmp_path / "d.zip", **{"reference.sqlite": data})
    refused(db, bad, keys, "hash")


def test_older_package_is_refused(setup, keys, tmp_path):
    """A release older than the one in force is refused unless explicitly allowed."""
    db, _, _ = setup
    old = newer_release(tmp_path, "2026-06-01", "old")
    pkg = tmp_path / "old.zip"
    build_package(old, pkg, keys["pem"])
    refused(db, pkg, keys, "older")
    assert import_package(db, pkg, keys["dir"], allow_older=True).version == load_reference(old).version


def test_same_release_is_refused(setup, keys):
    """Importing the release already in force changes nothing."""
    db, pkg, _ = setup
    import_package(db, pkg, keys["dir"])
    refused(db, pkg, keys, "same")


def test_upgraded_app_installs_newer_bundled_release(tmp_path, reference_file):
    """When the app ships a newer release than the one in force, start-up switches to it."""
    db = tmp_path / "registry.sqlite"
    ensure_reference(db, reference_file)
    newer = newer_release(tmp_path, "2027-01-10", "bundled")
    assert ensure_reference(db, newer).version == load_reference(newer).version


def test_damaged_active_release_falls_back_to_bundled(tmp_path, reference_file):
    """A damaged installed release is replaced by the bundled one instead of failing."""
    db = tmp_path / "registry.sqlite"
    ensure_reference(db, reference_file)
    active_path(db).write_bytes(b"garbage" * 1000)
    assert ensure_reference(db, reference_file).version == load_reference(reference_file).version
