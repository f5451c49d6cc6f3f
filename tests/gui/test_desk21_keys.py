"""Issue 21 (the front desk under a fast typist's hands, on 1024×768), items 7-10 and 16: keys
go where the window system sends them — to an open popup (the country matches, a list) when
there is one, else to the widget in focus."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication


def target():
    """The widget a real key press goes to: the open popup, else the focus widget."""
    widget = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert widget is not None, "no widget gets the keys"
    return widget


def press(key, modifiers=Qt.NoModifier, text: str = "") -> None:
    widget = target()
    for kind in (QEvent.KeyPress, QEvent.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, modifiers, text))


def typist(text: str) -> None:
    """Type `text` key by key without waiting ("\\t" Tab, "\\n" Enter)."""
    for ch in text:
        if ch == "\t":
            press(Qt.Key_Tab, text="\t")
        elif ch == "\n":
            press(Qt.Key_Return, text="\r")
        else:
            press(0, text=ch)


def document_dialog(qtbot, window):
    window.new_patient()
    dialog = window.form.add_document()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.kind)
    dialog.country.setFocus()
    qtbot.waitUntil(dialog.country.hasFocus)
    return dialog


# --- 7. the country of issue --------------------------------------------------------------------
@pytest.mark.parametrize("typed, code", [("РФ", "RU"), ("Российская Федерация", "RU"), ("Казахстан", "KZ"),
                                         ("Республика Казахстан", "KZ"), ("рф", "RU")])
def test_tab_after_a_country_chooses_it_as_enter_does(qtbot, window, typed, code):
    """The matches are open while typing; Tab chooses the match and moves on, never leaving
    the typed text unchosen nor saying «Страна не найдена» for a full name."""
    dialog = document_dialog(qtbot, window)
    typist(typed)
    assert dialog.country.popup_completer.popup().isVisible()
    typist("\t")
    assert dialog.country.country() == code and dialog.country.problem() is None
    assert not dialog.country.popup_completer.popup().isVisible()
    assert dialog.country.lineEdit().text().endswith(f"— {code}")
    assert QApplication.focusWidget() is dialog.issued_on
    assert dialog.error.text() == "" and dialog.isVisible()


@pytest.mark.parametrize("typed, code", [("Российская Федерация", "RU"), ("Казахстан", "KZ")])
def test_the_full_name_then_enter_chooses_and_a_second_enter_submits(qtbot, window, typed, code):
    dialog = document_dialog(qtbot, window)
    dialog.number.setText("N1234567")
    typist(typed + "\n")
    assert dialog.country.country() == code and dialog.error.text() == ""
    assert dialog.isVisible() and window.form.dialog is dialog          # Enter only chose
    typist("\n")
    qtbot.waitUntil(lambda: window.form.dialog is None)
    assert window.form.documents.documents()[-1]["country"] == code


def test_down_then_enter_in_the_matches_only_chooses(qtbot, window):
    """Arrows highlight a match, Enter chooses it and the dialog stays; Enter again submits."""
    dialog = document_dialog(qtbot, window)
    dialog.number.setText("N1234567")
    typist("Каз")
    press(Qt.Key_Down)
    typist("\n")
    assert dialog.country.country() == "KZ" and dialog.isVisible()
    typist("\n")
    qtbot.waitUntil(lambda: window.form.dialog is None)


def test_an_unknown_country_then_tab_says_so(qtbot, window):
    dialog = document_dialog(qtbot, window)
    typist("Атлантида\t")
    assert dialog.country.problem() == "unknown" and dialog.country.country() is None
    assert "Страна не найдена" in dialog.error.text()


# --- 8. a document that proves identity needs its number ----------------------------------------
@pytest.mark.parametrize("lang, words", [("ru", "Введите номер документа"), ("kk", "Құжаттың нөмірін енгізіңіз")])
def test_an_identity_card_without_number_is_refused_in_the_dialog(qtbot, make_window, settings, lang, words):
    """«Удостоверение личности» with no number and no dates, Enter: the dialog says what is
    missing (in the interface's language), stays open with the cursor in «Номер»; the number
    typed, Enter adds the document."""
    settings.language = lang
    window = make_window("admin")
    window.new_patient()
    dialog = window.form.add_document()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.kind)
    dialog.kind.set_code("id_card_kz")
    assert dialog.error.text() == ""                    # nothing said while it is being filled in
    typist("\n")
    assert dialog.isVisible() and window.form.dialog is dialog
    assert words in dialog.error.text()
    assert QApplication.focusWidget() is dialog.number
    assert window.form.documents.documents() == []
    typist("012345678")
    assert dialog.error.text() == ""
    typist("\n")
    qtbot.waitUntil(lambda: window.form.dialog is None)
    assert window.form.documents.documents() == [{"kind": "id_card_kz", "number": "012345678"}]


def test_a_kandas_certificate_without_number_is_still_accepted(qtbot, window):
    window.new_patient()
    dialog = window.form.add_document()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.kind)
    dialog.kind.set_code("kandas_certificate")
    typist("\n")
    qtbot.waitUntil(lambda: window.form.dialog is None)
    assert window.form.documents.documents() == [{"kind": "kandas_certificate"}]


# --- 9. lists and the calendar shown whole --------------------------------------------------------
@pytest.fixture
def styled(qapp):
    from desktop.gui.style import STYLE

    qapp.setStyleSheet(STYLE)
    yield
    qapp.setStyleSheet("")


def test_the_calendar_shows_its_last_week(qtbot, window, styled):
    from desktop.gui.widgets import calendar_rows_shown

    window.new_patient()
    window.form.birth_date.open_calendar()
    cal = window.form.birth_date._popup
    qtbot.waitExposed(cal)
    assert calendar_rows_shown(cal)
    cal.close()


def test_a_list_opens_whole_and_as_wide_as_its_items(qtbot, window, styled):
    """«Цель пребывания» (10 items): every row shown at once, none cut mid-word; the style is a
    plain drop-down list (combobox-popup: 0), not a menu clipped at the screen's edge."""
    window.new_patient()
    combo = window.form.purpose
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    assert combo.maxVisibleItems() >= 12
    assert view.height() >= combo.count() * view.sizeHintForRow(0)
    assert view.width() >= view.sizeHintForColumn(0)
    assert combo.style().styleHint(combo.style().StyleHint.SH_ComboBox_Popup, None, combo) == 0
    combo.hidePopup()


def test_a_closed_dialog_gives_the_desk_its_keys_back(qtbot, window):
    """Where nothing gives the focus back when a dialog closes (no window manager: a bare X
    display, some remote sessions), the desk takes it again: Ctrl+F and the other shortcuts
    work at once after the MRZ scan or a document dialog is closed with Esc."""
    from PySide6.QtWidgets import QApplication

    from desktop.gui.desk.mrz_dialog import MrzDialog

    window.new_patient()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    dialog = MrzDialog(window.tr, window.today, window)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    inside = dialog.text
    dialog.reject()
    QApplication.setActiveWindow(None)           # what a display with no window manager leaves
    assert QApplication.activeWindow() is None
    window._focus_changed(inside, None)          # the signal Qt sends as the dialog's focus goes
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    # a dialog still on screen (the registrar went to another program) keeps its focus
    other = MrzDialog(window.tr, window.today, window)
    other.show()
    qtbot.waitUntil(lambda: other.isVisible())
    QApplication.setActiveWindow(None)
    window._focus_changed(other.text, None)
    for _ in range(5):
        QApplication.processEvents()
    assert QApplication.activeWindow() is not window
    # a dialog opened from that dialog (a file dialog over the print preview) gives the focus
    # back to it, not to the desk under both
    from PySide6.QtWidgets import QDialog, QLineEdit, QVBoxLayout

    inner = QDialog(other)
    QVBoxLayout(inner).addWidget(QLineEdit())
    inner.show()
    qtbot.waitUntil(inner.isVisible)
    field = inner.findChild(QLineEdit)
    window._focus_changed(field, None)            # the owner is read while the dialog is there
    inner.reject()
    QApplication.setActiveWindow(None)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is other)
    other.reject()
    window.dirty = False
