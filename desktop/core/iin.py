"""ИИН (individual identification number): check digit and layout (rules.md section 7)."""
from __future__ import annotations

import re
from datetime import date

from desktop.core.records import record

_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# century/sex digit -> (century base, sex)
_CENTURY = {1: (1800, "male"), 2: (1800, "female"), 3: (1900, "male"),
            4: (1900, "female"), 5: (2000, "male"), 6: (2000, "female")}
# ASCII digits only: str.isdigit() and \d also accept superscripts, Arabic-Indic and
# full-width digits, which are not an ИИН (and some of which int() cannot read).
_TWELVE_DIGITS = re.compile(r"[0-9]{12}")


def check_digit(first11: str) -> int | None:
    """The 12th digit for the first 11, or None when no digit is possible."""
    d = [int(c) for c in first11]
    s = sum(a * b for a, b in zip(d, _W1)) % 11
    if s == 10:
        s = sum(a * b for a, b in zip(d, _W2)) % 11
        if s == 10:
            return None
    return s


def checksum_error(iin: str) -> str | None:
    """None when the number is 12 digits with a correct check digit, else what is wrong."""
    if not isinstance(iin, str) or not _TWELVE_DIGITS.fullmatch(iin):
        return "format"
    cd = check_digit(iin[:11])
    if cd is None:
        return "no_check_digit"
    if cd != int(iin[11]):
        return "check_digit"
    return None


@record(frozen=True)
class IinLayout:
    birth_date: date | None
    sex: str | None


def layout(iin: str) -> IinLayout:
    """Birth date and sex encoded in a (checksum-valid) ИИН; None parts when they do not parse."""
    c = int(iin[6])
    century, sex = _CENTURY.get(c, (None, None))
    born = None
    if century is not None:
        try:
            born = date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
        except ValueError:
            born = None
    return IinLayout(born, sex)
