"""Passwords: the rule a new password must meet, scrypt hashing, and the sign-in lockout.

Stdlib only, no clock: the caller passes `now`. Hashes written now carry their cost
("scrypt$17$8$1$<hex>"); a bare hex hash is the older N=2^14 one, still accepted and
replaced by the caller at the next successful sign-in (`needs_upgrade`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from .errors import PasswordRejected

MIN_LENGTH = 10
MAX_FAILURES = 5                       # failed sign-ins in a row before the account waits
LOCKOUT = timedelta(minutes=5)
LOG2_N, R, P, DKLEN = 17, 8, 1, 32
_OLD = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}
_MAXMEM = 256 * 1024 * 1024            # scrypt needs 128·r·N bytes = 128 MiB at N=2^17


def check_password(password: str, login: str) -> None:
    """Raise PasswordRejected naming the reason when `password` may not be used for `login`."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected("too_short", f"пароль короче {MIN_LENGTH} символов — "
                                            f"the password is shorter than {MIN_LENGTH} characters")
    if password.strip().casefold() == (login or "").strip().casefold():
        raise PasswordRejected("same_as_login", "пароль совпадает с логином — "
                                                "the password is the same as the login")
    if password.isdigit():
        raise PasswordRejected("digits_only", "пароль состоит только из цифр — "
                                              "the password is digits only")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> str:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen,
                          maxmem=_MAXMEM).hex()


def hash_password(password: str, log2n: int = LOG2_N) -> tuple[str, str]:
    """A new (hash, salt hex) pair at cost 2^log2n."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, 2 ** log2n, R, P, DKLEN)
    return f"scrypt${log2n}${R}${P}${digest}", salt.hex()


def verify(password: str, stored: str, salt_hex: str) -> bool:
    """True when `password` matches the stored hash (current or older format)."""
    salt = bytes.fromhex(salt_hex)
    if stored.startswith("scrypt$"):
        try:
            _, log2n, r, p, digest = stored.split("$")
            candidate = _scrypt(password, salt, 2 ** int(log2n), int(r), int(p), len(digest) // 2)
        except ValueError:
            return False
        return hmac.compare_digest(candidate, digest)
    candidate = _scrypt(password, salt, _OLD["n"], _OLD["r"], _OLD["p"], _OLD["dklen"])
    return hmac.compare_digest(candidate, stored)


def needs_upgrade(stored: str, log2n: int = LOG2_N) -> bool:
    """True for a hash made at a lower cost than 2^log2n (or in the older format)."""
    if not stored.startswith("scrypt$"):
        return True
    try:
        return int(stored.split("$")[1]) < log2n
    except (IndexError, ValueError):
        return True


def dummy_verify(password: str) -> None:
    """Spend the same time as a real check (for unknown or locked-out logins)."""
    _scrypt(password, b"\0" * 16, 2 ** LOG2_N, R, P, DKLEN)


# --- sign-in lockout: decided from the audit log's sign-in entries of one account ------------
SIGN_IN_ACTIONS = ("login", "login_failed", "account_locked")


def locked_until(entries, now):
    """`entries`: (action, at, details JSON) of one account, newest first. The end of the
    lockout in force at `now`, or None."""
    import json
    from datetime import datetime

    if not entries or entries[0][0] != "account_locked":
        return None
    try:
        until = datetime.fromisoformat(json.loads(entries[0][2] or "{}")["until"])
    except (KeyError, ValueError, TypeError):
        until = entries[0][1] + LOCKOUT
    return until if until > now else None


def failures_reached(entries) -> bool:
    """True when the newest MAX_FAILURES entries are all failed sign-ins."""
    run = 0
    for action, _at, _details in entries:
        if action != "login_failed":
            break
        run += 1
    return run >= MAX_FAILURES


# --- on the clinic's server the hashes are not readable by the desks: a desk computes the
# scrypt digest of a typed password with the account's salt and cost ("params", the stored
# hash without its digest) and the server compares it with the stored one ----------------------

def params_of(stored: str) -> str:
    """The cost part of a stored hash ("scrypt$17$8$1"), or "" for the older bare-hex format."""
    return stored.rsplit("$", 1)[0] if stored.startswith("scrypt$") else ""


def digest_of(stored: str) -> str:
    """The digest part of a stored hash."""
    return stored.rsplit("$", 1)[1] if stored.startswith("scrypt$") else stored


def digest(password: str, params: str | None, salt_hex: str | None) -> str:
    """The digest `password` gives under an account's params and salt (for an unknown account,
    None: the same cost is spent and a digest that matches nothing is returned)."""
    if params is None or salt_hex is None:
        dummy_verify(password)
        return "-"
    salt = bytes.fromhex(salt_hex)
    if params.startswith("scrypt$"):
        try:
            _, log2n, r, p = params.split("$")
            return _scrypt(password, salt, 2 ** int(log2n), int(r), int(p), DKLEN)
        except ValueError:
            return "-"
    return _scrypt(password, salt, _OLD["n"], _OLD["r"], _OLD["p"], _OLD["dklen"])
