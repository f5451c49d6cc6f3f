"""Fixtures of the printing and administration tests: a real registry file in tmp_path with an
administrator, a registrar and the clinic's price list; decisions from the example cases.

Imported by tests/gui/test_printing.py and test_admin.py (not a conftest, so that it does
not clash with the GUI's own tests/gui/conftest.py)."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from desktop.gui.clock import fixed_clock
from desktop.gui.i18n import Tr

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"
NOW = datetime(2026, 11, 22, 10, 30)
TODAY = date(2026, 11, 22)


def load_case(name: str) -> dict:
    return json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))["case"]


def decision_for(case: dict, ref, lang: str = "ru") -> dict:
    from desktop.core.api import decide_data

    return decide_data(case, ref, default_date=TODAY, lang=lang).to_dict()


@pytest.fixture
def clock():
    return fixed_clock(NOW)


@pytest.fixture
def tr():
    return Tr("ru")


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "registry.sqlite"


@pytest.fixture
def registry(db_path, ref):
    from desktop.services import seed_prices_from_reference
    from desktop.store import open_registry

    reg = open_registry(db_path, now=NOW)
    reg.create_user("admin", "admin-secret-1", full_name="Старший регистратор", role="admin", now=NOW)
    reg.create_user("reg", "reg-secret-1", full_name="Регистратор", role="registrar", now=NOW, actor="admin")
    seed_prices_from_reference(reg, ref, NOW)
    from tests.gui.helpers import CLINIC

    reg.set_clinic_details(CLINIC, actor="admin", now=NOW)
    yield reg
    reg.close()
