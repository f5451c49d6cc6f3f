"""The machine-readable zone of an identity document (ICAO Doc 9303, parts 3-5).

Two layouts occur at the desk: TD1 (three lines of 30 characters: the back of the Kazakh
identity card, whose optional data field carries the ИИН) and TD3 (two lines of 44: passports).
`parse(text, today)` checks every check digit and returns an `Mrz`; anything wrong raises
`MrzError` naming the line (1-based) and the reason, so a bad read fills nothing.

No Qt, no clock: `today` (for the century of the birth year) is an argument.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from desktop.core import iin as iin_mod

_ALLOWED = re.compile(r"^[A-Z0-9<]+$")
_WEIGHTS = (7, 3, 1)


def check_digit(data: str) -> str:
    """The ICAO 9303 part 3 check digit of `data` (0-9, A-Z = 10-35, '<' = 0; weights 7, 3, 1)."""
    total = 0
    for i, ch in enumerate(data):
        if ch.isdigit():
            v = int(ch)
        elif "A" <= ch <= "Z":
            v = ord(ch) - ord("A") + 10
        elif ch == "<":
            v = 0
        else:
            raise ValueError(f"not an MRZ character: {ch!r}")
        total += v * _WEIGHTS[i % 3]
    return str(total % 10)


class MrzError(ValueError):
    """A zone that cannot be trusted. `line` is 1-based (0: the zone as a whole); `reason` is
    one of: empty, layout, length, charset, check_number, check_birth, check_expiry,
    check_optional, check_composite, date, iin."""

    def __init__(self, line: int, reason: str, detail: str = ""):
        super().__init__(f"MRZ line {line}: {reason}{': ' + detail if detail else ''}")
        self.line, self.reason, self.detail = line, reason, detail


@dataclass
class Mrz:
    """What the zone says. Country codes are ICAO alpha-3 as written ('D' for Germany is kept
    as 'D'); `iin` only when the optional data holds a valid ИИН (Kazakh documents)."""

    layout: str                      # "TD1" or "TD3"
    document_code: str               # "I", "ID", "P", "PN"…
    issuing_state: str
    number: str
    surname: str
    given_names: str
    nationality: str
    birth_date: date | None
    sex: str | None                  # "male", "female" or None
    valid_until: date | None
    optional: str = ""
    iin: str | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def latin_name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_names) if p)


def split_lines(text: str) -> list[str]:
    """The zone's lines from what a reader typed or the registrar pasted: blank lines and spaces
    dropped, letters upper-cased; one run of 90 or 88 characters is cut into its lines."""
    lines = [re.sub(r"\s+", "", ln).upper() for ln in text.replace("\r", "\n").split("\n")]
    lines = [ln for ln in lines if ln]
    if len(lines) == 1 and len(lines[0]) in (90, 88):
        n = 30 if len(lines[0]) == 90 else 44
        lines = [lines[0][i:i + n] for i in range(0, len(lines[0]), n)]
    return lines


def expected_layout(lines: list[str]) -> str | None:
    """"TD1", "TD3" or None from the number of lines and the first line's length."""
    if not lines:
        return None
    if len(lines[0]) == 30 or len(lines) == 3:
        return "TD1"
    if len(lines[0]) == 44 or len(lines) == 2:
        return "TD3"
    return None


def is_complete(text: str) -> bool:
    """True when the text holds every line of a zone at its full length (time to parse)."""
    lines = split_lines(text)
    return (len(lines) == 3 and all(len(ln) == 30 for ln in lines)) or \
        (len(lines) == 2 and all(len(ln) == 44 for ln in lines))


def _date(text: str, line: int, today: date, *, birth: bool) -> date | None:
    if text == "<<<<<<":
        return None
    if not text.isdigit():
        raise MrzError(line, "date", text)
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:6])
    if birth:
        year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    else:
        year = 2000 + yy
        if year > today.year + 60:
            year -= 100
    try:
        d = date(year, mm, dd)
    except ValueError:
        raise MrzError(line, "date", text) from None
    if birth and d > today:
        d = date(year - 100, mm, dd)
    return d


def _check(data: str, digit: str, line: int, reason: str) -> None:
    if digit == "<" and set(data) <= {"<"}:
        return
    if check_digit(data) != digit:
        raise MrzError(line, reason)


def _names(text: str) -> tuple[str, str]:
    surname, _, given = text.partition("<<")
    clean = lambda s: " ".join(p for p in s.split("<") if p)  # noqa: E731
    return clean(surname), clean(given)


def _sex(ch: str) -> str | None:
    return {"M": "male", "F": "female"}.get(ch)


def _kz_iin(optional: str, issuing: str, nationality: str) -> str | None:
    if "KAZ" not in (issuing, nationality):
        return None
    digits = optional.strip("<")
    if len(digits) == 12 and digits.isdigit() and iin_mod.checksum_error(digits) is None:
        return digits
    return None


def parse(text: str, today: date) -> Mrz:
    """Parse a TD1 or TD3 zone; every check digit is verified. Raises MrzError."""
    lines = split_lines(text)
    if not lines:
        raise MrzError(0, "empty")
    layout = expected_layout(lines)
    if layout is None:
        raise MrzError(1, "length", str(len(lines[0])))
    want_lines, width = (3, 30) if layout == "TD1" else (2, 44)
    for i, ln in enumerate(lines[:want_lines], 1):
        if len(ln) != width:
            raise MrzError(i, "length", f"{len(ln)} ≠ {width}")
        if not _ALLOWED.match(ln):
            raise MrzError(i, "charset")
    if len(lines) != want_lines:
        raise MrzError(min(len(lines), want_lines) + (1 if len(lines) < want_lines else 0), "layout",
                       f"{len(lines)} lines")
    return _td1(lines, today) if layout == "TD1" else _td3(lines, today)


def _td1(lines: list[str], today: date) -> Mrz:
    l1, l2, l3 = lines
    code, issuing = l1[0:2].rstrip("<"), l1[2:5].rstrip("<")
    number, number_cd, opt1 = l1[5:14], l1[14], l1[15:30]
    if number_cd == "<" and opt1.strip("<"):
        # a number longer than 9 characters continues in the optional data, then its digit
        rest = opt1.split("<", 1)[0]
        number, number_cd = number + rest[:-1], rest[-1:]
        opt1 = opt1[len(rest):]
    _check(number if len(number) > 9 else l1[5:14], number_cd, 1, "check_number")
    birth, birth_cd, sex, expiry, expiry_cd = l2[0:6], l2[6], l2[7], l2[8:14], l2[14]
    nationality, opt2, composite = l2[15:18].rstrip("<"), l2[18:29], l2[29]
    _check(birth, birth_cd, 2, "check_birth")
    _check(expiry, expiry_cd, 2, "check_expiry")
    _check(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], composite, 2, "check_composite")
    if sex not in "MFX<":
        raise MrzError(2, "charset", "sex")
    surname, given = _names(l3)
    if not surname:
        raise MrzError(3, "layout", "no surname")
    optional = (opt1.strip("<") + " " + opt2.strip("<")).strip()
    return Mrz("TD1", code, issuing, number.replace("<", ""), surname, given, nationality,
               _date(birth, 2, today, birth=True), _sex(sex), _date(expiry, 2, today, birth=False),
               optional, _kz_iin(opt1, issuing, nationality), list(lines))


def _td3(lines: list[str], today: date) -> Mrz:
    l1, l2 = lines
    if l1[0] != "P":
        raise MrzError(1, "layout", "not a passport")
    code, issuing = l1[0:2].rstrip("<"), l1[2:5].rstrip("<")
    surname, given = _names(l1[5:44])
    if not surname:
        raise MrzError(1, "layout", "no surname")
    number, number_cd, nationality = l2[0:9], l2[9], l2[10:13].rstrip("<")
    birth, birth_cd, sex, expiry, expiry_cd = l2[13:19], l2[19], l2[20], l2[21:27], l2[27]
    personal, personal_cd, composite = l2[28:42], l2[42], l2[43]
    _check(number, number_cd, 2, "check_number")
    _check(birth, birth_cd, 2, "check_birth")
    _check(expiry, expiry_cd, 2, "check_expiry")
    _check(personal, personal_cd, 2, "check_optional")
    _check(l2[0:10] + l2[13:20] + l2[21:43], composite, 2, "check_composite")
    if sex not in "MFX<":
        raise MrzError(2, "charset", "sex")
    return Mrz("TD3", code, issuing, number.replace("<", ""), surname, given, nationality,
               _date(birth, 2, today, birth=True), _sex(sex), _date(expiry, 2, today, birth=False),
               personal.strip("<"), _kz_iin(personal, issuing, nationality), list(lines))


def document_kind(m: Mrz) -> str:
    """The case's document kind for the zone read (interface.md `documents[].kind`)."""
    if m.layout == "TD1" and m.issuing_state == "KAZ" and m.document_code.startswith("I"):
        return "id_card_kz"
    if m.layout == "TD3" and m.issuing_state == "KAZ":
        return "passport_kz"
    return "passport"
