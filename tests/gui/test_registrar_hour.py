"""The registrar's hour: the example cases p01-p16 (../shared/cases) entered into the desk by
keyboard alone, saved, found again and reopened; the card's case equals the case file and the
panel shows the core's decision for it."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.core.api import decide_data
from tests.gui.registrar import Keys, enter_case, normalized, search_and_open

SHARED = Path(__file__).resolve().parents[3] / "shared" / "cases"
LOCAL = Path(__file__).resolve().parents[1] / "cases"
NAMES = [f"p{i:02d}" for i in range(1, 17)]


def load(name: str) -> dict:
    for folder in (SHARED, LOCAL):
        if (folder / f"{name}.json").is_file():
            return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    pytest.skip(f"{name}.json is in neither ../shared/cases nor tests/cases")


def meets(decision: dict, expect: dict) -> list[str]:
    """The expectations of a case file the decision does not meet (the keys the GUI shows)."""
    att = decision["attachment"]
    wrong = []
    checks = {"category": decision["category"], "attachment_status": att["status"],
              "attachment_until": att.get("until"), "osms_insured": (decision.get("osms") or {}).get("insured")}
    for key, got in checks.items():
        if key in expect and expect[key] != got:
            wrong.append(f"{key}: {got!r} != {expect[key]!r}")
    for w in expect.get("warnings_include") or []:
        if w not in [x["code"] for x in decision["warnings"]]:
            wrong.append(f"warning {w} missing")
    for m in expect.get("missing_includes") or []:
        if m not in att["missing_documents"]:
            wrong.append(f"missing {m} not listed")
    return wrong


@pytest.mark.parametrize("name", NAMES)
def test_registrar_enters_the_case_by_keyboard(qtbot, window, ref, name):
    """Typed, saved, searched and reopened: the same case, and the panel shows the core's decision."""
    data = load(name)
    case, expect = data["case"], data["expect"]
    k = Keys(window)
    enter_case(k, window, case)
    entered = normalized(window.form.case())
    assert entered["person"] == normalized(case)["person"]
    assert entered == normalized(case)
    assert window.form.as_of.value() == case.get("as_of")
    if "exit" in expect:                    # invalid input: named beside the field, never saved
        assert window.decision is None
        for field in expect.get("error_fields") or []:
            assert window.form.error_label(field).text()
        k.key(Qt.Key_S, Qt.ControlModifier, widget=window)
        assert window.patient_id is None
        return
    core = decide_data(case, ref, default_date=date(2026, 11, 22), lang="ru").to_dict()
    assert window.decision == core
    assert window.panel.category.text() == ref.category_name(core["category"], "ru")
    wrong = meets(core, expect)
    k.key(Qt.Key_S, Qt.ControlModifier, widget=window)
    saved = window.patient_id
    assert saved is not None and not window.dirty
    search_and_open(k, window, case["person"].get("iin") or case["person"]["surname"], saved)
    assert window.patient_id == saved
    assert normalized(window.form.case()) == normalized(case)
    reopened = decide_data(dict(case, as_of="2026-11-22"), ref, default_date=date(2026, 11, 22), lang="ru").to_dict()
    assert window.decision == reopened
    assert wrong == []


def test_p11_invalid_iin_is_refused_at_the_desk(qtbot, window):
    """p11's ИИН «12345» is named beside the field, nothing is decided, Ctrl+S saves nothing."""
    k = Keys(window)
    enter_case(k, window, load("p11")["case"])
    assert window.decision is None
    assert "12 цифр" in window.form.error_label("person.iin").text()
    k.key(Qt.Key_S, Qt.ControlModifier, widget=window)
    assert window.patient_id is None and window.registry.search("Тестов") == []
