"""Calendar helpers. Pure functions: the decision date is always passed in, never read."""
from __future__ import annotations

import calendar
import re
from datetime import date

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, used with fullmatch
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
# Input sanity bounds, not law: a front-desk case has no date outside these years, and the
# bound keeps month arithmetic (M + grace months) far from date.max.
MIN_YEAR, MAX_YEAR = 1900, 2100
_RANGE = f"the year must be between {MIN_YEAR} and {MAX_YEAR}"


def parse_date(text: str) -> date:
    """Parse an ISO date YYYY-MM-DD; raises ValueError with a plain message."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        raise ValueError("expected a date YYYY-MM-DD")
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise ValueError("no such calendar date") from None
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise ValueError(_RANGE)
    return d


def parse_month(text: str) -> tuple[int, int]:
    """Parse a month YYYY-MM into (year, month)."""
    m = _MONTH.fullmatch(text) if isinstance(text, str) else None
    if not m:
        raise ValueError("expected a month YYYY-MM")
    y, mo = int(m.group(1)), int(m.group(2))
    if not 1 <= mo <= 12:
        raise ValueError("month must be 01..12")
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise ValueError(_RANGE)
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
