"""Администрирование → «Возможные дубли» over a real registry file: pairs best first with
what matched, the merge preview field by field by keyboard, merge, the history with Undo,
refusals shown in words, Kazakh; the registrar's «Возможный дубль» banner on a stored card."""
from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.gui.admin.audit_words import AuditWords
from desktop.gui.admin.menu import AdminMenu, DuplicatesDialog
from desktop.gui.i18n import Tr

try:
    from .conftest_extra import NOW, TODAY, clock, db_path, registry, tr  # noqa: F401
except ImportError:
    from conftest_extra import NOW, TODAY, clock, db_path, registry, tr  # noqa: F401


def _case(surname, given, iin=None, docs=(), **person):
    return {"as_of": "2026-11-22", "needs": "attachment",
            "person": {"surname": surname, "given_name": given, "iin": iin,
                       "birth_date": "1979-10-28", "citizenship": "RU", **person},
            "documents": [{"kind": k, "number": n, "country": c} for k, n, c in docs]}


@pytest.fixture
def pair(registry):
    a = registry.save_patient(_case("Yakovlev", "Ivan", docs=[("passport", "75 1234567", "RU")]),
                              user="reg", now=NOW)
    b = registry.save_patient(_case("Яковлев", "Иван", "791028302728", patronymic="Петрович",
                                    docs=[("passport", "751234567", "RU")]), user="reg", now=NOW)
    registry.save_patient(_case("Хасанов", "Рустам", birth_date="1990-01-01"), user="reg", now=NOW)
    registry.save_patient(_case("Хассанов", "Рустам", birth_date="1990-01-01"), user="reg", now=NOW)
    return a, b


def settled(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.worker.busy() and dialog.status_kind() != "busy", timeout=20000)


@pytest.fixture
def dialog(qtbot, registry, ref, tr, clock, pair):
    d = DuplicatesDialog(registry, ref, tr, clock, "admin", TODAY)
    qtbot.addWidget(d)
    d.show()
    settled(qtbot, d)
    return d


def _column(d, col):
    return [d.compare.item(r, col).text() for r in range(d.compare.rowCount())]


def test_pairs_best_first_side_by_side_with_what_matched(dialog, pair):
    a, b = pair
    assert [(p["keep"], p["other"]) for p in dialog.pairs][0] == (a, b)
    assert dialog.model.rows[0][0][0] == "100"
    assert dialog.model.rows[0][0][3] == "номер документа, дата рождения, фамилия, имя"
    assert "Петрович" in dialog.model.rows[0][0][2] and "791028302728" in dialog.model.rows[0][0][2]
    # the first pair's preview is shown: the two records' values side by side
    fields = _column(dialog, 0)
    assert fields[:3] == ["ИИН", "Фамилия", "Имя"]
    assert _column(dialog, 1)[1] == "Yakovlev" and _column(dialog, 2)[1] == "Яковлев"
    assert _column(dialog, 4)[0] == "791028302728"   # the kept record has none: it takes the other's
    assert "решений" not in dialog.moves.text() and "№" in dialog.moves.text()


def test_merge_by_keyboard_taking_the_cyrillic_surname(qtbot, dialog, registry, pair, monkeypatch):
    a, b = pair
    monkeypatch.setattr("desktop.gui.admin.duplicates.confirm", lambda *args: True)
    dialog.compare.setFocus()
    dialog.compare.setCurrentCell(1, 3)          # Фамилия, «взять из второй»
    QTest.keyClick(dialog.compare, Qt.Key_Space)
    assert _column(dialog, 4)[1] == "Яковлев"
    QTest.keyClick(dialog, Qt.Key_Return, Qt.ControlModifier)
    settled(qtbot, dialog)
    assert dialog.status_kind() == "ok" and "присоединена" in dialog.status.text()
    kept = registry.get_patient(a)
    assert (kept.surname, kept.iin) == ("Яковлев", "791028302728")
    assert registry.get_patient(b).merged_into == a
    assert all(a not in (p["keep"], p["other"]) for p in dialog.pairs)
    assert [m.kept_id for m in dialog.history] == [a]
    words = AuditWords(registry, Tr("ru"))
    entry = next(e for e in registry.audit_entries() if e.action == "merge")
    words.prepare([entry])
    sentence = words.sentence(entry)
    assert "объединил" in sentence and "Яковлев И. П." in sentence and "Яковлев И." in sentence


def test_undo_from_the_history_and_a_refusal_in_words(qtbot, dialog, registry, pair, monkeypatch):
    a, b = pair
    monkeypatch.setattr("desktop.gui.admin.duplicates.confirm", lambda *args: True)
    assert dialog.merge()
    settled(qtbot, dialog)
    dialog.tabs.setCurrentIndex(1)
    dialog.history_view.setFocus()
    dialog.history_view.setCurrentIndex(dialog.history_model.index(0, 0))
    registry.record_decision(a, {"as_of": "2026-11-22", "attachment": {"status": "allowed"}},
                             user="reg", now=NOW + timedelta(hours=1))
    QTest.keyClick(dialog, Qt.Key_Z, Qt.ControlModifier)
    assert dialog.status_kind() == "error" and "после объединения" in dialog.status.text()
    assert registry.get_patient(b).merged_into == a


def test_undo_restores_and_lists_the_pair_again(qtbot, dialog, registry, pair, monkeypatch):
    a, b = pair
    monkeypatch.setattr("desktop.gui.admin.duplicates.confirm", lambda *args: True)
    dialog.merge()
    settled(qtbot, dialog)
    dialog.history_view.setCurrentIndex(dialog.history_model.index(0, 0))
    assert dialog.undo()
    settled(qtbot, dialog)
    assert "отменено" in dialog.status.text()
    assert registry.get_patient(b).merged_into is None and registry.get_patient(b).iin == "791028302728"
    assert (a, b) in [(p["keep"], p["other"]) for p in dialog.pairs]


def test_kazakh(qtbot, dialog):
    dialog.retranslate(Tr("kk"))
    assert dialog.windowTitle() == "Ықтимал қайталанулар"
    assert dialog.tabs.tabText(1) == "Біріктіру тарихы"
    assert "құжат нөмірі" in dialog.model.rows[0][0][3]


def test_registrar_sees_the_dialog_disabled_and_the_store_refuses(qtbot, registry, ref, tr, clock, pair):
    d = DuplicatesDialog(registry, ref, tr, clock, "reg", TODAY)
    qtbot.addWidget(d)
    assert not d.body.isEnabled() and d.denied.isVisibleTo(d)
    menu = AdminMenu(None, registry, ref, registry.path, "reg", tr, clock, TODAY)
    assert not menu.actions["duplicates"].isVisible()
