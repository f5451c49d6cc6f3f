"""Reference-data update packages: built from db/sources, carried on a USB stick, verified
and installed at the clinic.

A package is a zip holding `reference.sqlite`, `manifest.json` (format, version, issue date,
period, size and SHA-256 of the database) and `manifest.sig` (an Ed25519 signature of the
manifest by the publisher). The app trusts the public keys in resources/refdata-keys/.
Import refuses, with a reason and no change: a file that is not a package (corrupt, truncated,
foreign), a manifest signed by an unknown key or altered, a database whose size or hash differs
from the manifest, a database that does not load, and a release older than the one in force.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from desktop.core.refdata import RefData, RefDataError, load_reference
from desktop.core.refinstall import active_path, install

FORMAT = "polyclinic-refdata"
FORMAT_VERSION = 1
MAX_DB_SIZE = 200 * 1024 * 1024


class PackageError(Exception):
    """The package is refused; `reason` is a short code, the message says why in plain words."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ImportResult:
    version: str
    previous: str | None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_package(reference: Path, out: Path, private_key_pem: bytes) -> dict:
    """Write a signed package for a compiled reference file; returns the manifest."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    ref = load_reference(reference)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "version": ref.version,
        "issued": ref.issued.isoformat(),
        "valid_from": ref.valid_from and ref.valid_from.isoformat(),
        "valid_until": ref.valid_until and ref.valid_until.isoformat(),
        "publisher": ref.meta.get("publisher", ""),
        "database": {"name": "reference.sqlite", "size": reference.stat().st_size, "sha256": _sha256(reference)},
    }
    body = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    key = load_pem_private_key(private_key_pem, password=None)
    signature = key.sign(body)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", body)
        z.writestr("manifest.sig", signature.hex())
        z.write(reference, "reference.sqlite")
    os.replace(tmp, out)
    return manifest


def _trusted_keys(keys_dir: Path):
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    keys = []
    for f in sorted(Path(keys_dir).glob("*.pub")):
        try:
            keys.append((f.stem, load_pem_public_key(f.read_bytes())))
        except ValueError:
            continue
    return keys


def verify_package(package: Path, keys_dir: Path, workdir: Path) -> tuple[dict, Path, str]:
    """Check a package; extract its database into `workdir`. Returns (manifest, db file, key name)."""
    from cryptography.exceptions import InvalidSignature

    package = Path(package)
    if not package.is_file():
        raise PackageError("missing", f"файл не найден — file not found: {package}")
    try:
        z = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError):
        raise PackageError("corrupt", f"{package.name}: это не пакет справочных данных или файл поврежден/обрезан "
                                      "— not a reference-data package, or the file is corrupt or truncated") from None
    with z:
        names = set(z.namelist())
        if not {"manifest.json", "manifest.sig", "reference.sqlite"} <= names:
            raise PackageError("foreign", f"{package.name}: в архиве нет манифеста и базы справочных данных "
                                          "— the archive is not a reference-data package")
        try:
            body = z.read("manifest.json")
            sig = bytes.fromhex(z.read("manifest.sig").decode("ascii").strip())
            manifest = json.loads(body)
        except (zipfile.BadZipFile, ValueError, UnicodeDecodeError, OSError, EOFError):
            raise PackageError("corrupt", f"{package.name}: манифест поврежден — the manifest is damaged") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise PackageError("foreign", f"{package.name}: чужой формат файла — not a {FORMAT} package")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise PackageError("foreign", f"{package.name}: версия формата {manifest.get('format_version')!r} "
                                          f"не поддерживается — unsupported format version")
        signer = None
        for name, key in _trusted_keys(keys_dir):
            try:
                key.verify(sig, body)
                signer = name
                break
            except InvalidSignature:
                continue
        if signer is None:
            raise PackageError("signature", f"{package.name}: подпись не подтверждена доверенным ключом — "
                                            "the signature does not match a trusted publisher key "
                                            "(altered manifest or unknown publisher)")
        db = manifest.get("database") or {}
        info = z.getinfo("reference.sqlite")
        if info.file_size != db.get("size") or info.file_size > MAX_DB_SIZE:
            raise PackageError("hash", f"{package.name}: размер базы не совпадает с манифестом — "
                                       "the database size differs from the manifest")
        target = Path(workdir) / "incoming.sqlite"
        h = hashlib.sha256()
        try:
            with z.open(info) as src, open(target, "wb") as dst:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    h.update(chunk)
                    dst.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise PackageError("corrupt", f"{package.name}: база в архиве повреждена — "
                                          f"the database inside is damaged ({e})") from None
        if h.hexdigest() != db.get("sha256"):
            raise PackageError("hash", f"{package.name}: контрольная сумма базы не совпадает с манифестом — "
                                       "the database's SHA-256 differs from the manifest")
    try:
        ref = load_reference(target)
    except RefDataError as e:
        raise PackageError("corrupt", f"{package.name}: {e}") from None
    if ref.version != manifest.get("version"):
        raise PackageError("hash", f"{package.name}: версия базы {ref.version} не совпадает с манифестом — "
                                   "the database version differs from the manifest")
    return manifest, target, signer


def import_package(db_path: Path, package: Path, keys_dir: Path, *, allow_older: bool = False) -> ImportResult:
    """Verify `package` and make its release the one in force for `db_path`, atomically.

    Nothing changes when the package is refused. The previous release stays installed for rollback."""
    current = active_path(db_path)
    previous: RefData | None = None
    if current is not None:
        try:
            previous = load_reference(current)
        except RefDataError:
            previous = None
    folder = Path(str(db_path) + ".refdata")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as work:
        manifest, db_file, _ = verify_package(package, keys_dir, Path(work))
        new = load_reference(db_file)
        if previous is not None:
            if new.version == previous.version:
                raise PackageError("same", f"версия {new.version} уже действует — release {new.version} is already in force")
            if new.issued < previous.issued and not allow_older:
                raise PackageError("older", f"пакет {new.version} старше действующей версии {previous.version} — "
                                            "the package is older than the release in force (use rollback to go back)")
        install(db_path, db_file)
    return ImportResult(version=new.version, previous=previous.version if previous else None)


def rollback(db_path: Path) -> str:
    """Make the newest release older than the one in force active again; returns its version."""
    from desktop.core.refinstall import activate_file, installed

    releases = installed(db_path)
    idx = next((i for i, r in enumerate(releases) if r["active"]), None)
    if idx is None or idx == 0:
        raise PackageError("no_previous", "нет предыдущей версии справочных данных — no earlier release is installed")
    prev = releases[idx - 1]
    activate_file(db_path, Path(str(db_path) + ".refdata") / prev["file"])
    return prev["version"]
