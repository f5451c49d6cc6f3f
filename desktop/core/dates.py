"""Calendar helpers. Pure functions: the decision date is always passed in, never read."""
from __future__ import annotations

import calendar
import re
from datetime import date

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_date(text: str) -> date:
    """Parse an ISO date YYYY-MM-DD; raises ValueError with a plain message."""
    if not isinstance(text, str) or not _DATE.match(text):
        raise ValueError("expected a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("no such calendar date") from None


def parse_month(text: str) -> tuple[int, int]:
    """Parse a month YYYY-MM into (year, month)."""
    m = _MONTH.match(text) if isinstance(text, str) else None
    if not m:
        raise ValueError("expected a month YYYY-MM")
    y, mo = int(m.group(1)), int(m.group(2))
    if not 1 <= mo <= 12:
        raise ValueError("month must be 01..12")
    return y, mo


def month_index(year: int, month: int) -> int:
    return year * 12 + (month - 1)


def month_from_index(i: int) -> tuple[int, int]:
    return i // 12, i % 12 + 1


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def in_force(valid_from: date | None, valid_until: date | None, on: date) -> bool:
    """True when `on` lies within [valid_from, valid_until]; an open end is unbounded."""
    return (valid_from is None or valid_from <= on) and (valid_until is None or on <= valid_until)


def opt_date(text: str | None) -> date | None:
    return None if text in (None, "") else date.fromisoformat(text)


def iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()
