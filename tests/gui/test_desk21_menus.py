"""Issue 21, item 10: the menus by keyboard — F10 and Alt open the menu bar, Alt+letter opens
the menu of that underlined letter (unique in its menu, in Russian and in Kazakh), and every
entry of the administration has its own keys, listed in the F1 help."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop.gui.admin.menu import ENTRIES, SHORTCUTS


def mnemonic(text: str) -> str:
    """The letter after the one «&» of a menu text (a test failure if there is none or more)."""
    marks = re.findall(r"&(?!&)(.)", text)
    assert len(marks) == 1, f"{text!r} has {len(marks)} Alt letters"
    return marks[0].upper()


def menus(window):
    return [a for a in window.menuBar().actions() if a.menu() is not None and a.isVisible()]


def active(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def close_popups():
    while QApplication.activePopupWidget() is not None:
        QApplication.activePopupWidget().close()


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_menu_and_entry_has_its_own_alt_letter(qtbot, window, lang):
    window.switch_language(lang)
    titles = [mnemonic(a.text()) for a in menus(window)]
    assert len(titles) == 3 and len(set(titles)) == len(titles), titles
    for menu_action in menus(window):
        entries = [a for a in menu_action.menu().actions() if not a.isSeparator() and a.isVisible()]
        letters = [mnemonic(a.text()) for a in entries]
        assert len(set(letters)) == len(letters), (menu_action.text(), letters)
        for a in entries:                      # the letter is one of the shown words' letters
            assert mnemonic(a.text()) in a.text().replace("&", "").upper()


def test_f10_opens_the_first_menu_with_its_first_entry_chosen(qtbot, window):
    active(qtbot, window)
    QTest.keyClick(window, Qt.Key_F10)
    assert QApplication.activePopupWidget() is window.menu_patient
    assert window.menu_patient.activeAction() is window.action_new
    QTest.keyClick(window.menu_patient, Qt.Key_Return)     # Enter: «Новый пациент»
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is None)
    assert QApplication.focusWidget() is window.form.surname


def test_alt_alone_takes_the_keyboard_to_the_menu_bar_and_alt_shift_does_not(qtbot, window):
    """Alt pressed and released alone lights the first menu's title (Windows' way, Qt's menu
    bar); ↓ opens it. Alt+Shift (the keyboard layout's switch) leaves the typing where it is."""
    active(qtbot, window)
    typing = QApplication.focusWidget()
    QTest.keyPress(typing, Qt.Key_Alt, Qt.AltModifier)
    QTest.keyPress(typing, Qt.Key_Shift, Qt.AltModifier | Qt.ShiftModifier)
    QTest.keyRelease(typing, Qt.Key_Shift, Qt.AltModifier)
    QTest.keyRelease(typing, Qt.Key_Alt, Qt.NoModifier)
    assert QApplication.focusWidget() is typing and window.menuBar().activeAction() is None
    QTest.keyPress(typing, Qt.Key_Alt, Qt.AltModifier)
    QTest.keyRelease(typing, Qt.Key_Alt, Qt.NoModifier)
    assert window.menuBar().hasFocus()
    assert window.menuBar().activeAction() is window.menu_patient.menuAction()
    QTest.keyClick(window.menuBar(), Qt.Key_Down)
    assert QApplication.activePopupWidget() is window.menu_patient
    close_popups()


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_alt_and_the_letter_opens_that_menu(qtbot, window, lang):
    window.switch_language(lang)
    for menu_action in menus(window):
        letter = mnemonic(menu_action.text())
        QTest.keyClick(window, Qt.Key(ord(letter)), Qt.AltModifier)
        assert QApplication.activePopupWidget() is menu_action.menu(), menu_action.text()
        close_popups()


def test_the_admin_keys_are_new_and_unique():
    ours = [QKeySequence(k) for k in SHORTCUTS.values()]
    assert set(SHORTCUTS) == {name for name, _k, _a in ENTRIES}
    assert len({k.toString() for k in ours}) == len(ours)


def test_each_admin_key_opens_its_dialog(qtbot, window):
    active(qtbot, window)
    desk_keys = {s.toString() for a in window.actions() if a not in window.admin_menu.actions.values()
                 for s in a.shortcuts()}
    for name, keys in SHORTCUTS.items():
        assert QKeySequence(keys).toString() not in desk_keys
        combo = QKeySequence(keys)[0]
        QTest.keyClick(window, combo.key(), combo.keyboardModifiers())
        dialog = window.admin_menu.dialogs.get(name)
        assert dialog is not None and dialog.isVisible(), name
        dialog.close()
        qtbot.waitUntil(lambda: not dialog.isVisible())
        active(qtbot, window)


def test_a_registrar_has_only_her_keys_and_a_locked_desk_none(qtbot, make_window):
    window = make_window("reg")
    active(qtbot, window)
    QTest.keyClick(window, Qt.Key_U, Qt.ControlModifier | Qt.ShiftModifier)
    assert "users" not in window.admin_menu.dialogs
    QTest.keyClick(window, Qt.Key_W, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.admin_menu.dialogs["worklist"].isVisible()
    window.admin_menu.dialogs["worklist"].close()
    window.lock("manual")
    active(qtbot, window)
    QTest.keyClick(window, Qt.Key_W, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.admin_menu.dialogs == {}


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_f1_lists_the_menu_and_admin_keys(qtbot, window, lang):
    window.switch_language(lang)
    QTest.keyClick(window, Qt.Key_F1)
    text = window.keys_box.text()
    assert "F10" in text and "Ctrl+0" in text
    for name, key, _admin in ENTRIES:
        keys = QKeySequence(SHORTCUTS[name]).toString(QKeySequence.NativeText)
        assert f"{keys} — {window.tr(key)}" in text
    window.keys_box.close()
