"""The language of the interface: `Tr` looks strings up in the one catalogue (strings.py).

`Tr` is a small object passed to every widget (no global state); `tr("key", **fields)`.
"""
from __future__ import annotations

import re

LANGS = ("ru", "kk")

from desktop.gui.strings import STRINGS  # noqa: E402  (the one catalogue)


class Tr:
    """The language in force and the lookup of interface strings; passed to widgets."""

    def __init__(self, lang: str = "ru"):
        self.lang = lang if lang in LANGS else "ru"

    def __call__(self, key: str, **fields) -> str:
        text = STRINGS[key][self.lang]
        return text.format(**fields) if fields else text

    def other(self) -> str:
        return "kk" if self.lang == "ru" else "ru"


_CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


def store_text(error: BaseException, lang: str) -> str:
    """A refusal of the store in the interface's language: its Kazakh text at a Kazakh desk
    (`error.kk`), else its Russian half — the store writes "по-русски — in English" and the
    English half never reaches the desk."""
    kk = getattr(error, "kk", None)
    if lang == "kk" and kk:
        return kk
    ru = getattr(error, "ru", None)
    if isinstance(ru, str) and ru:
        return ru
    text = str(error)
    head, sep, tail = text.partition(" — ")
    if sep and not _CYRILLIC.search(tail):
        return head
    return text


_PATTERNS = [
    (re.compile(r"^required \(null for a stateless"), "err.citizenship"),
    (re.compile(r"^ИИН must be exactly 12 digits"), "err.iin_format"),
    (re.compile(r"no check digit is possible"), "err.iin_no_digit"),
    (re.compile(r"check digit \(12th\) is wrong"), "err.iin_digit"),
    (re.compile(r"ИИН of a citizen of Kazakhstan"), "err.iin_citizen_layout"),
    (re.compile(r"the year must be between"), "err.year_range"),
    (re.compile(r"^valid until .* is before valid from"), "err.until_before_from"),
    (re.compile(r"^valid until .* is before the issue date"), "err.until_before_issued"),
    (re.compile(r"^issued before the person was born"), "err.issued_before_birth"),
    (re.compile(r"^birth date .* is after the decision date"), "err.birth_after"),
    (re.compile(r"is not an ICD-10 code"), "err.icd"),
    (re.compile(r"^required: spouse or child"), "err.relation"),
    (re.compile(r"is longer than (?P<n>\d+) characters"), "err.too_long"),
]


def error_text(error: dict, tr: Tr) -> str:
    """A validation error of the core in the interface's language (the core's words if unknown)."""
    message = error.get("message", "")
    if error.get("field", "").startswith("osms.paid_months"):
        return tr("err.month")
    for pattern, key in _PATTERNS:
        found = pattern.search(message)
        if found:
            return tr(key, **found.groupdict())
    return message


def note_text(note: dict, tr: Tr) -> str:
    """An input note of the decision (non-blocking) in the interface's language."""
    code = note.get("code")
    if code == "iin_birth_date_mismatch":
        found = re.search(r"\d{4}-\d{2}-\d{2}", note.get("message", ""))
        return tr("note.iin_birth", date=dmy(found.group(0)) if found else "?")
    if code == "iin_sex_mismatch":
        return tr("note.iin_sex")
    if code == "iin_layout":
        return tr("note.iin_layout")
    if code == "number_missing":
        return tr("err.number_required")
    return note.get("message", "")


def dmy(iso: str | None) -> str:
    """'2027-03-31' -> '31.03.2027' (the way dates are read at the desk)."""
    if not iso:
        return "—"
    y, m, d = str(iso)[:10].split("-")
    return f"{d}.{m}.{y}"
