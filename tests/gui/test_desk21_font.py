"""Issue 21, item 17: the size of the desk's text — Ctrl+= (Ctrl++) larger, Ctrl+− smaller,
Ctrl+0 normal, in steps from 85 % to 150 %, remembered on this workstation; at 150 % on a
1366×768 screen every input of the card is whole and no label of the card is cut."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from desktop.gui.style import STYLE, SCALES, style
from tests.gui.conftest import case_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sheet(qapp):
    """The application's style sheet is this test's: put back as it was afterwards."""
    before = qapp.styleSheet()
    yield qapp
    qapp.setStyleSheet(before)


def active(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def base_size(sheet_text: str) -> str:
    """The general text size of a style sheet: the first rule's font-size."""
    return sheet_text.split("font-size:", 1)[1].split(";", 1)[0].strip()


def test_style_scales_the_text_and_the_heights():
    assert STYLE == style(1.0)
    assert base_size(style(1.5)) == "15pt" and base_size(style(0.85)) == "8.5pt"
    assert "min-height: 22px" in style(1.0) and "min-height: 33px" in style(1.5)
    assert "#statusIcon { font-size: 30pt" in style(1.5) and "min-width: 60px" in style(1.5)
    assert min(SCALES) == 0.85 and max(SCALES) == 1.5


def test_the_keys_change_the_size_in_steps_and_it_is_remembered(qtbot, make_window, settings, sheet):
    window = make_window("reg")
    active(qtbot, window)
    seen = []
    for key, modifiers in ((Qt.Key_Equal, Qt.ControlModifier), (Qt.Key_Plus, Qt.ControlModifier | Qt.ShiftModifier),
                           (Qt.Key_Equal, Qt.ControlModifier), (Qt.Key_Equal, Qt.ControlModifier),
                           (Qt.Key_Minus, Qt.ControlModifier), (Qt.Key_0, Qt.ControlModifier),
                           (Qt.Key_Minus, Qt.ControlModifier), (Qt.Key_Minus, Qt.ControlModifier | Qt.KeypadModifier)):
        QTest.keyClick(QApplication.focusWidget() or window, key, modifiers)
        seen.append((base_size(sheet.styleSheet()), settings.font_scale))
    assert seen == [("11.5pt", 1.15), ("13pt", 1.3), ("15pt", 1.5), ("15pt", 1.5), ("13pt", 1.3),
                    ("10pt", 1.0), ("8.5pt", 0.85), ("8.5pt", 0.85)]
    assert window.statusBar().currentMessage() == "Размер шрифта: 85 %"
    QTest.keyClick(window, Qt.Key_Plus, Qt.ControlModifier | Qt.KeypadModifier)   # the keypad's +
    QTest.keyClick(window, Qt.Key_Plus, Qt.ControlModifier)
    assert settings.font_scale == 1.15 and window.font().pointSizeF() == pytest.approx(11.5)


def test_a_new_window_starts_at_the_remembered_size(qtbot, make_window, settings, sheet, tmp_path):
    from desktop.gui.settings import AppSettings

    settings.font_scale = 1.3
    settings.sync()
    assert AppSettings(tmp_path / "workstation.ini").font_scale == 1.3    # kept in the file
    sheet.setStyleSheet("")
    window = make_window("admin")
    window.apply_font_scale()            # what app.py does once the first window exists
    assert base_size(sheet.styleSheet()) == "13pt"
    source = (ROOT / "desktop" / "gui" / "app.py").read_text(encoding="utf-8")
    assert "window.apply_font_scale()" in source and "setStyleSheet(STYLE)" not in source


def test_a_value_edited_by_hand_falls_on_a_step(settings):
    settings._q.setValue("font_scale", "7")
    assert settings.font_scale == 1.5
    settings._q.setValue("font_scale", "nonsense")
    assert settings.font_scale == 1.0


@pytest.mark.parametrize("lang, texts", [
    ("ru", ["&Увеличить шрифт", "У&меньшить шрифт", "&Обычный размер шрифта"]),
    ("kk", ["Қаріпті &үлкейту", "Қаріпті &кішірейту", "Қаріптің қалыпты &өлшемі"])])
def test_the_service_menu_has_the_three_sizes_with_their_keys(qtbot, window, lang, texts):
    window.switch_language(lang)
    actions = [window.action_font_larger, window.action_font_smaller, window.action_font_normal]
    assert [a.text() for a in actions] == texts
    assert all(a in window.menu_service.actions() for a in actions)
    assert [a.shortcut().toString() for a in actions] == ["Ctrl+=", "Ctrl+-", "Ctrl+0"]
    assert "Ctrl++" in [s.toString() for s in window.action_font_larger.shortcuts()]


def _settle(qtbot):
    for _ in range(4):
        QApplication.processEvents()
    qtbot.wait(10)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_at_150_percent_on_1366_by_768_nothing_of_the_card_is_cut(qtbot, window, sheet, lang):
    window.switch_language(lang)
    window.settings.font_scale = 1.5
    window.apply_font_scale()
    window.new_patient()
    case = case_of("p04")
    case["person"].update({"iin": "900505300013", "latin_name": "TESTOV TEST", "phone": "+7 701 000 00 00"})
    window.form.set_case(case)
    window.recompute()
    window.resize(1366, 768)
    _settle(qtbot)
    scroll = window.form_scroll
    assert scroll.horizontalScrollBar().maximum() == 0, "the card needs horizontal scrolling"
    inputs = [w for w in window.form.findChildren(QWidget) if w.property("field") and w.isVisibleTo(window.form)]
    assert len(inputs) > 15
    window_rect = QRect(QPoint(0, 0), window.size())
    problems = []
    for w in inputs:
        # scrolled so the whole box shows (ensureWidgetVisible of a line edit shows its cursor only)
        top = w.mapTo(window.form, QPoint(0, 0)).y()
        bar = scroll.verticalScrollBar()
        if top < bar.value() or top + w.height() > bar.value() + scroll.viewport().height():
            bar.setValue(top + w.height() - scroll.viewport().height() + 4)
        _settle(qtbot)
        where = f"{w.property('field')} ({type(w).__name__})"
        rect = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
        shown = w.visibleRegion().boundingRect()
        if not w.isVisible() or not window_rect.contains(rect) or shown.height() < w.height() - 8:
            problems.append(f"{where}: not whole on screen at {rect.getRect()}, {shown.getRect()} shown")
            if os.environ.get("DESK21_SHOTS"):
                window.grab().save(f"/tmp/d21c/cut-{w.property('field')}.png")
        if w.height() < w.fontMetrics().height():
            problems.append(f"{where}: {w.height()} px, lower than its text {w.fontMetrics().height()}")
    for label in window.form.findChildren(QLabel):
        if not label.isVisibleTo(window.form) or not label.text() or label.wordWrap():
            continue
        if label.width() < label.sizeHint().width() or label.height() < label.fontMetrics().height():
            problems.append(f"label {label.text()!r}: {label.width()}×{label.height()}, needs "
                            f"{label.sizeHint().width()}×{label.fontMetrics().height()}")
    assert not problems, "\n".join(problems)
    assert window.form.surname.font().pointSizeF() == pytest.approx(15)
    if lang == "ru" and os.environ.get("DESK21_SHOTS"):
        scroll.verticalScrollBar().setValue(0)
        _settle(qtbot)
        window.grab().save(str(ROOT / "docs" / "img" / "desk21-font-150-ru.png"))


def test_reserved_messages_the_arrows_and_the_mrz_box_follow_a_change_of_size(qtbot, make_window, sheet):
    """Changed while the desk is open (not only at start): a field's reserved two message
    lines, the drop-down arrows and the MRZ zone's box grow with the text and shrink back."""
    from datetime import date

    from desktop.gui.desk.mrz_dialog import MrzDialog
    from desktop.gui.widgets import ErrorLabel

    assert "QSpinBox::up-arrow { image: url(" in style(1.0)
    assert "width: 10px; height: 6px" in style(1.0) and "width: 15px; height: 9px" in style(1.5)
    window = make_window("reg")
    window.new_patient()
    reserved = [w for w in window.form.findChildren(ErrorLabel) if w.reserve]
    assert reserved
    dialog = MrzDialog(window.tr, date(2026, 11, 22), window)
    qtbot.addWidget(dialog)
    dialog.show()

    def sizes():
        QApplication.processEvents()
        label = reserved[0]
        return (label.height(), label.fontMetrics().lineSpacing(), dialog.text.height(),
                dialog.text.minimumWidth(), dialog.text.fontMetrics().lineSpacing())

    window.settings.font_scale = 1.0
    window.apply_font_scale()
    small = sizes()
    assert small[0] >= 2 * small[1]
    window.settings.font_scale = 1.5
    window.apply_font_scale()
    large = sizes()
    assert large[1] > small[1] and large[0] >= 2 * large[1], (small, large)
    assert large[4] > small[4] and large[2] >= 4 * large[4] and large[3] > small[3], (small, large)
    assert dialog.text.fontMetrics().horizontalAdvance("M" * 44) < dialog.text.width()
    window.settings.font_scale = 1.0
    window.apply_font_scale()
    assert sizes() == small
    dialog.close()
    window.dirty = False
