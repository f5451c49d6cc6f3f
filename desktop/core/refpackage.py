"""Reference-data update packages: built from db/sources, carried on a USB stick, verified
and installed at the clinic.

A package is a zip holding `reference.sqlite`, `manifest.json` (format, version, issue date,
period, size and SHA-256 of the database) and `manifest.sig` (an Ed25519 signature of the
manifest by the publisher). The app trusts the public keys named when it was built
(resources/refdata-keys/), and the development key only in a development run.
Import refuses, with a reason and no change: a file that is not a package (corrupt, truncated,
foreign, too large, a zip bomb), a manifest signed by an unknown key or altered, a version that
is not a plain release name, a database whose size or hash differs from the manifest, a
database that does not load or fails its self-check (integrity, references, sample cases), a
release dated more than a month ahead, and a release older than the one in force.
Nothing from a package becomes a path: the installed file's name is derived from its hash.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from desktop.core.refdata import RefData, RefDataError, load_reference
from desktop.core.refinstall import active_path, install
from desktop.fileutil import sha256_of

FORMAT = "polyclinic-refdata"
FORMAT_VERSION = 1
MAX_DB_SIZE = 200 * 1024 * 1024
MAX_MANIFEST = 64 * 1024
MAX_SIGNATURE = 1024
MAX_MEMBERS = 8
MAX_AHEAD = timedelta(days=31)
MEMBERS = ("manifest.json", "manifest.sig", "reference.sqlite")
# A release name: letters, digits, dot, dash, underscore, plus; never a path.
VERSION_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._+-]{0,79}")

# Built-in sample cases: a signed release must decide each of them without an error before it
# may become the one in force (as of its own issue date).
SAMPLE_CASES = (
    {"person": {"surname": "Тестов", "given_name": "Тест", "birth_date": "1990-05-05", "sex": "female",
                "citizenship": "KZ"},
     "documents": [{"kind": "id_card_kz", "number": "040000001", "valid_until": "2040-01-01"}],
     "needs": "attachment", "osms": {"status": "unknown"}},
    {"person": {"surname": "Тестов", "given_name": "Тест", "birth_date": "1990-05-05", "sex": "male",
                "citizenship": "AM"},
     "documents": [{"kind": "passport", "number": "N123", "country": "AM", "valid_until": "2040-01-01"}],
     "needs": "attachment", "purpose_of_stay": "work"},
    {"person": {"surname": "Тестов", "given_name": "Тест", "birth_date": "1990-05-05", "sex": "male",
                "citizenship": "BY"},
     "documents": [{"kind": "passport", "number": "N123", "country": "BY", "valid_until": "2040-01-01"}],
     "needs": "attachment", "purpose_of_stay": "tourism"},
)


class PackageError(Exception):
    """The package is refused; `reason` is a short code, the message says why in plain words."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ImportResult:
    version: str
    previous: str | None


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
        "database": {"name": "reference.sqlite", "size": reference.stat().st_size, "sha256": sha256_of(reference)},
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
    # The whole file is signed too (the zip comment carries that signature), so any changed
    # byte anywhere — headers included — refuses the package.
    file_signature = key.sign(_file_digest(tmp, tmp.stat().st_size - 2))
    with open(tmp, "r+b") as fh:
        fh.seek(-2, os.SEEK_END)
        fh.write(len(file_signature.hex()).to_bytes(2, "little") + file_signature.hex().encode("ascii"))
    os.replace(tmp, out)
    return manifest


FILE_SIG_HEX = 128          # an Ed25519 signature, hex


def _file_digest(path: Path, length: int) -> bytes:
    """What the whole-file signature covers: the package up to the zip comment length field,
    then an empty comment's length."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        left = length
        while left > 0:
            chunk = fh.read(min(1 << 20, left))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
    h.update(b"\x00\x00")
    return b"polyclinic-package-file\x00" + h.digest()


def _check_file_signature(package: Path, keys) -> None:
    from cryptography.exceptions import InvalidSignature

    size = package.stat().st_size
    with open(package, "rb") as fh:
        fh.seek(max(0, size - FILE_SIG_HEX - 2))
        tail = fh.read()
    try:
        if len(tail) != FILE_SIG_HEX + 2 or int.from_bytes(tail[:2], "little") != FILE_SIG_HEX:
            raise ValueError
        signature = bytes.fromhex(tail[2:].decode("ascii"))
    except ValueError:
        raise PackageError("signature", f"{package.name}: нет подписи файла — the package file is not "
                                        "signed as a whole (altered or not from a publisher)") from None
    digest = _file_digest(package, size - FILE_SIG_HEX - 2)
    for _name, key in keys:
        try:
            key.verify(signature, digest)
            return
        except InvalidSignature:
            continue
    raise PackageError("signature", f"{package.name}: файл пакета изменён — the package file was altered "
                                    "(its signature does not match)")


def valid_version(version) -> bool:
    """A release name that can never be read as a path ("../reg", "a/b", "" are not)."""
    return isinstance(version, str) and VERSION_PATTERN.fullmatch(version) is not None \
        and ".." not in version


def _trusted_keys(keys_dir):
    """(name, public key) for each *.pub in `keys_dir` (a folder or a list of folders)."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    dirs = [keys_dir] if isinstance(keys_dir, (str, Path)) else list(keys_dir)
    keys = []
    for d in dirs:
        for f in sorted(Path(d).glob("*.pub")):
            try:
                if f.stat().st_size > 16 * 1024:
                    continue
                keys.append((f.stem, load_pem_public_key(f.read_bytes())))
            except (ValueError, OSError, TypeError):
                continue
    return keys


def _ids(value) -> list[str]:
    if value in (None, ""):
        return []
    try:
        parsed = json.loads(value) if isinstance(value, str) and value[:1] in "[\"" else value
    except ValueError:
        parsed = value
    if isinstance(parsed, list):
        return [str(v) for v in parsed]
    return [str(parsed)]


def _unresolved(con: sqlite3.Connection) -> str | None:
    """The first reference inside a release that does not resolve, or an empty table; None if
    all is well. Checks: no table is empty; every `basis` names an act; every category has an
    attachment rule and every rule a category; union members name a union and a country."""
    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    for t in tables:
        if con.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() is None:
            return f"table {t} is empty"
    acts = {r[0] for r in con.execute("SELECT id FROM acts")}
    for t in tables:
        columns = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')]
        if "basis" in columns and t != "purpose_basis":
            for (value,) in con.execute(f'SELECT basis FROM "{t}"'):
                missing = [a for a in _ids(value) if a not in acts]
                if missing:
                    return f"{t}.basis names unknown act {missing[0]!r}"
    categories = {r[0] for r in con.execute("SELECT id FROM categories")}
    ruled = {r[0] for r in con.execute("SELECT category FROM attachment_rules")}
    if categories - ruled:
        return f"category {sorted(categories - ruled)[0]!r} has no attachment rule"
    if ruled - categories:
        return f"attachment rule for unknown category {sorted(ruled - categories)[0]!r}"
    unions = {r[0] for r in con.execute("SELECT id FROM unions")}
    countries = {r[0] for r in con.execute("SELECT code FROM countries")}
    for union, country in con.execute("SELECT union_id, country FROM union_members"):
        if union not in unions or country not in countries:
            return f"union member {union}/{country} does not resolve"
    return None


def self_check(path: Path) -> RefData:
    """Load a release and prove it usable before it may be switched to: SQLite integrity and
    foreign keys, every table the loader needs, and each built-in sample case decided without
    an error. PackageError("selfcheck") otherwise."""
    from desktop.core.api import decide_data

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if [r[0] for r in con.execute("PRAGMA integrity_check")] != ["ok"]:
                raise PackageError("selfcheck", "база справочных данных повреждена — the reference database "
                                                "fails its integrity check")
            if con.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise PackageError("selfcheck", "в справочных данных есть ссылки в никуда — the reference "
                                                "data has references that do not resolve")
            problem = _unresolved(con)
            if problem:
                raise PackageError("selfcheck", f"справочные данные неполны: {problem} — the reference data "
                                                f"is incomplete: {problem}")
        finally:
            con.close()
        ref = load_reference(path)
    except sqlite3.Error as e:
        if disk_full(e):
            raise PackageError("disk_full", DISK_FULL_MESSAGE) from None
        raise PackageError("selfcheck", f"база справочных данных не читается — unreadable: {e}") from None
    except RefDataError as e:
        raise PackageError("selfcheck", f"справочные данные не загружаются — do not load: {e}") from None
    on = ref.issued
    for n, case in enumerate(SAMPLE_CASES, 1):
        try:
            decision = decide_data({**case, "as_of": on.isoformat()}, ref, on=None, default_date=on)
            decision.to_dict()
        except Exception as e:  # any failure of a sample case refuses the release
            raise PackageError("selfcheck", f"контрольный случай {n} не решается на этих данных — sample "
                                            f"case {n} fails with this release: {type(e).__name__}: {e}") from None
    return ref


DISK_FULL_MESSAGE = ("нет места на диске: пакет не распакован, ничего не изменено; освободите "
                     "место и повторите — no space left on the disk: the package was not "
                     "unpacked and nothing changed; free some space and import again")


def disk_full(exc: BaseException) -> bool:
    """An OSError (or SQLite's "database or disk is full") meaning the disk has no room."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return True
    return "disk is full" in str(exc).lower()


def verify_package(package: Path, keys_dir: Path, workdir: Path) -> tuple[dict, Path, str]:
    """Check a package; extract its database into `workdir`. Returns (manifest, db file, key name)."""
    from cryptography.exceptions import InvalidSignature

    package = Path(package)
    if not package.is_file():
        raise PackageError("missing", f"файл не найден — file not found: {package}")
    try:
        return _verify(package, keys_dir, Path(workdir))
    except PackageError:
        raise
    except OSError as e:
        if disk_full(e):  # the package may be sound: the disk has no room to unpack it
            raise PackageError("disk_full", DISK_FULL_MESSAGE) from None
        raise PackageError("corrupt", f"{package.name}: пакет повреждён — the package is damaged "
                                      f"({type(e).__name__}: {e})") from None
    except Exception as e:  # any decompression or format error is a refusal, never a traceback
        raise PackageError("corrupt", f"{package.name}: пакет повреждён — the package is damaged "
                                      f"({type(e).__name__}: {e})") from None


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise PackageError("size", f"{info.filename}: слишком большой — too large ({info.file_size} bytes)")
    with z.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit or len(data) != info.file_size:
        raise PackageError("size", f"{info.filename}: размер не совпадает — size differs from the archive")
    return data


def _verify(package: Path, keys_dir, workdir: Path) -> tuple[dict, Path, str]:
    from cryptography.exceptions import InvalidSignature

    if package.stat().st_size > MAX_DB_SIZE + 4 * MAX_MANIFEST:
        raise PackageError("size", f"{package.name}: файл слишком большой — the file is too large")
    try:
        z = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise PackageError("corrupt", f"{package.name}: это не пакет справочных данных или файл поврежден/обрезан "
                                      "— not a reference-data package, or the file is corrupt or truncated") from None
    with z:
        infos = z.infolist()
        if len(infos) > MAX_MEMBERS:
            raise PackageError("foreign", f"{package.name}: лишние файлы в архиве — unexpected members")
        by_name = {i.filename: i for i in infos}
        if not set(MEMBERS) <= set(by_name) or len(by_name) != len(infos):
            raise PackageError("foreign", f"{package.name}: в архиве нет манифеста и базы справочных данных "
                                          "— the archive is not a reference-data package")
        for name in MEMBERS:
            info = by_name[name]
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
                raise PackageError("corrupt", f"{package.name}: неподдерживаемое сжатие или шифрование — "
                                              "unsupported compression or encryption")
        try:
            body = _read_member(z, by_name["manifest.json"], MAX_MANIFEST)
            sig = bytes.fromhex(_read_member(z, by_name["manifest.sig"], MAX_SIGNATURE).decode("ascii").strip())
            manifest = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
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
        if not valid_version(manifest.get("version")):
            raise PackageError("version", f"{package.name}: недопустимое имя версии — the version "
                                          f"{str(manifest.get('version'))[:40]!r} is not a plain release name")
        db = manifest.get("database") if isinstance(manifest.get("database"), dict) else {}
        info = by_name["reference.sqlite"]
        size = db.get("size")
        if not isinstance(size, int) or info.file_size != size or info.file_size > MAX_DB_SIZE:
            raise PackageError("hash", f"{package.name}: размер базы не совпадает с манифестом — "
                                       "the database size differs from the manifest")
        target = Path(workdir) / "incoming.sqlite"
        h, written = hashlib.sha256(), 0
        with z.open(info) as src, open(target, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                written += len(chunk)
                if written > size:
                    raise PackageError("size", f"{package.name}: база больше заявленного — the database "
                                               "is larger than the manifest says")
                h.update(chunk)
                dst.write(chunk)
        if written != size or h.hexdigest() != db.get("sha256"):
            raise PackageError("hash", f"{package.name}: контрольная сумма базы не совпадает с манифестом — "
                                       "the database's SHA-256 differs from the manifest")
    _check_file_signature(package, _trusted_keys(keys_dir))
    ref = self_check(target)
    if ref.version != manifest.get("version"):
        raise PackageError("hash", f"{package.name}: версия базы {ref.version} не совпадает с манифестом — "
                                   "the database version differs from the manifest")
    return manifest, target, signer


def check_switch(new: RefData, previous: RefData | None, *, today: date | None,
                 allow_older: bool) -> None:
    """Whether a verified release may replace the one in force (PackageError says why not)."""
    if today is not None and new.issued > today + MAX_AHEAD:
        raise PackageError("future", f"пакет {new.version} датирован {new.issued.isoformat()}, больше месяца "
                                     f"вперёд — the release is dated more than a month ahead")
    if previous is not None:
        if new.version == previous.version:
            raise PackageError("same", f"версия {new.version} уже действует — release {new.version} is already in force")
        if new.issued < previous.issued and not allow_older:
            raise PackageError("older", f"пакет {new.version} старше действующей версии {previous.version} — "
                                        "the package is older than the release in force (use rollback to go back)")


def import_package(db_path: Path, package: Path, keys_dir, *, allow_older: bool = False,
                   today: date | None = None) -> ImportResult:
    """Verify `package` and make its release the one in force for `db_path`, atomically.
    `keys_dir`: the trusted keys' folder, or a list of folders (desktop.paths.trusted_key_dirs).
    With `today`, a release issued more than a month after it is refused.

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
        check_switch(new, previous, today=today, allow_older=allow_older)
        try:
            install(db_path, db_file)
        except OSError as e:
            if disk_full(e):
                raise PackageError("disk_full", DISK_FULL_MESSAGE) from None
            raise
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
