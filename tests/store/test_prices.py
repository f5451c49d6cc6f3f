"""The price list: decimal prices, history by date, seeding once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from desktop.store import Conflict

from .support import NOW

DEMO = [
    {"code": "RAD-FLG", "name": {"ru": "Флюорография", "kk": "Флюорография"},
     "unit": {"ru": "исследование", "kk": "зерттеу"}, "price": "2500", "valid_from": "2026-01-01"},
    {"code": "RAD-FLG", "name": {"ru": "Флюорография", "kk": "Флюорография"},
     "unit": {"ru": "исследование", "kk": "зерттеу"}, "price": "2200",
     "valid_from": "2025-01-01", "valid_until": "2025-12-31"},
    {"code": "ECG", "name_ru": "ЭКГ", "name_kk": "ЭКГ", "unit": "исследование",
     "price": "3000.50", "valid_from": "2026-01-01"},
]


@pytest.fixture
def priced(registry, admin):
    registry.seed_prices(DEMO, now=NOW)
    registry.set_price("ECG", price="3500.50", valid_from=date(2026, 12, 1), actor=admin, now=NOW)
    return registry


def _price(registry, code, on):
    return {p.code: p.price for p in registry.prices_on(on)}.get(code)


def test_prices_are_exact_decimals(priced):
    """A price comes back as the Decimal written, not a float."""
    assert _price(priced, "ECG", date(2026, 6, 1)) == Decimal("3000.50")


@pytest.mark.parametrize("on, expected", [
    (date(2026, 11, 30), Decimal("3000.50")),   # the day before the new price
    (date(2026, 12, 1), Decimal("3500.50")),    # the day it takes effect
    (date(2026, 12, 2), Decimal("3500.50")),    # the day after
])
def test_new_price_applies_from_its_date(priced, on, expected):
    """An edited price applies from its date; the old price stays for earlier dates."""
    assert _price(priced, "ECG", on) == expected


def test_seeded_history_is_kept(priced):
    """The seeded 2025 price is the price on a 2025 date."""
    assert _price(priced, "RAD-FLG", date(2025, 6, 1)) == Decimal("2200")


def test_seeding_happens_once(priced):
    """A second seed on a non-empty price list adds nothing."""
    assert priced.seed_prices(DEMO, now=NOW) == 0


def test_price_before_the_current_one_is_refused(priced, admin):
    """A new price cannot start on or before the start of the price in force."""
    with pytest.raises(Conflict):
        priced.set_price("ECG", price="1", valid_from=date(2026, 1, 1), actor=admin, now=NOW)


def test_price_change_is_audited(priced, admin):
    """Changing a price leaves an audit entry naming the item."""
    assert priced.audit_entries(obj="price:ECG")[0].user == admin
