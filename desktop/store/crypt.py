"""Encrypted backups for copies that leave the PC (USB stick, e-mail).

Format: MAGIC, a JSON header line (KDF parameters, salt, nonce prefix, chunk size), then the
SQLite file in chunks, each sealed with AES-256-GCM. The key comes from the passphrase by
scrypt. Each chunk's nonce is the 8-byte prefix and its 4-byte index; its associated data is
the header, its index and whether it is the last chunk, so chunks cannot be reordered,
dropped or the file cut short without the decryption failing.
"""
from __future__ import annotations

import json
import os
import secrets
import struct
from pathlib import Path

from desktop.fileutil import FILE_MODE, temp_name

from .errors import StoreError

MAGIC = b"POLYCLINIC-BACKUP-AESGCM\n"
CHUNK = 1 << 20
SCRYPT = {"n": 2 ** 17, "r": 8, "p": 1}
MAX_HEADER = 4096


class BackupCryptError(StoreError):
    """Wrong passphrase, or the encrypted copy is damaged or not one of ours."""


def is_encrypted(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _key(passphrase: str, salt: bytes, params: dict) -> bytes:
    import hashlib

    n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
    if not (2 ** 14 <= n <= 2 ** 20 and n & (n - 1) == 0 and 1 <= r <= 16 and 1 <= p <= 4):
        raise BackupCryptError("неизвестные параметры шифрования — unsupported key parameters")
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * 1024 * 1024, dklen=32)


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">I?", index, last)


def encrypt_file(src: Path, dest: Path, passphrase: str) -> None:
    """Encrypt `src` into `dest` (written beside under a unique name, 0600, then renamed)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not passphrase:
        raise ValueError("an encrypted backup needs a non-empty passphrase")
    salt, prefix = secrets.token_bytes(16), secrets.token_bytes(8)
    header = json.dumps({"kdf": "scrypt", **SCRYPT, "salt": salt.hex(), "nonce": prefix.hex(),
                         "chunk": CHUNK, "cipher": "AES-256-GCM"}, sort_keys=True).encode() + b"\n"
    aes = AESGCM(_key(passphrase, salt, SCRYPT))
    tmp = temp_name(dest)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as fh:
            out.write(MAGIC + header)
            index, chunk = 0, fh.read(CHUNK)
            while True:
                following = fh.read(CHUNK)
                last = not following
                out.write(aes.encrypt(prefix + struct.pack(">I", index), chunk,
                                      _aad(header, index, last)))
                if last:
                    break
                index, chunk = index + 1, following
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def decrypt_file(src: Path, dest: Path, passphrase: str) -> None:
    """Decrypt `src` into `dest` (0600); BackupCryptError for a wrong passphrase or a damaged
    copy (then `dest` is not left behind)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    dest = Path(dest)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as fh:
            if fh.read(len(MAGIC)) != MAGIC:
                raise BackupCryptError("это не зашифрованная копия — not an encrypted backup")
            header = fh.readline(MAX_HEADER)
            try:
                params = json.loads(header)
                salt, prefix = bytes.fromhex(params["salt"]), bytes.fromhex(params["nonce"])
                chunk = int(params["chunk"])
                if params.get("kdf") != "scrypt" or len(prefix) != 8 or not 1024 <= chunk <= 1 << 26:
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                raise BackupCryptError("заголовок копии повреждён — the backup header is damaged") from None
            aes = AESGCM(_key(passphrase, salt, params))
            index, sealed = 0, fh.read(chunk + 16)
            while True:
                following = fh.read(chunk + 16)
                last = not following
                try:
                    out.write(aes.decrypt(prefix + struct.pack(">I", index), sealed,
                                          _aad(header, index, last)))
                except InvalidTag:
                    raise BackupCryptError(
                        "неверная парольная фраза или копия повреждена — wrong passphrase, or the "
                        "encrypted backup is damaged") from None
                if last:
                    break
                index, sealed = index + 1, following
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
