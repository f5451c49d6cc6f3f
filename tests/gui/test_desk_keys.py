"""The desk under a fast typist's hands (issue 21): sign-in by keyboard, Enter in the
administration dialogs. Keys go where a registrar's keys go: to the widget in focus."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPushButton

from tests.gui.conftest import NOW


def typist(text: str) -> None:
    """Type `text` into whatever has the focus, key by key, without waiting for anything
    ("\\n" is Enter): the desk gets the keys as fast as they come."""
    for ch in text:
        key, t = (Qt.Key_Return, "\r") if ch == "\n" else (0, ch)
        widget = QApplication.focusWidget()
        assert widget is not None, f"no widget in focus for {ch!r}"
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.NoModifier, t))


def failures(registry, login="admin") -> int:
    return len(registry.audit_entries(user=login, action="login_failed"))


# --- 1. fast sign-in ------------------------------------------------------------------------------
def login_page(qtbot, make_window, registry, page_focus: str):
    """The login page of a desk with one administrator, «Логин» empty, the cursor in `page_focus`."""
    window = make_window(logged_in=None)
    registry.create_user("admin", "secret-pass-1", full_name="А", role="admin", now=NOW)
    window.show_login()
    page = window.login_page
    page.login.clear()
    getattr(page, page_focus).setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is getattr(page, page_focus))
    return window, page


def test_login_enter_password_enter_signs_in_and_keeps_what_is_typed_meanwhile(qtbot, make_window, registry):
    """Login, Enter, password, Enter, and the search typed at once: signed in, nothing counted
    as a failure, the password never in «Логин», the typed-ahead search lands in the search box."""
    window, page = login_page(qtbot, make_window, registry, page_focus="login")
    typist("admin\n")
    assert QApplication.focusWidget() is page.password          # Enter moved on, sent nothing
    assert not page.worker.busy() and failures(registry) == 0
    typist("secret-pass-1\nИванов")                              # the check runs while «Иванов» is typed
    assert page.login.text() == "admin" and page.password.text() == ""
    qtbot.waitUntil(lambda: window.stack.currentIndex() == window.PAGE_DESK, timeout=5000)
    assert window.search.query.text() == "Иванов"
    assert failures(registry) == 0


def test_a_wrong_password_counts_once_and_the_retyped_one_is_kept(qtbot, make_window, registry):
    """A wrong password is one failure (not two); what is typed while it is checked goes into
    the password field again, not into «Логин» and not lost."""
    window, page = login_page(qtbot, make_window, registry, page_focus="login")
    typist("admin\nwrong\nsecret")
    qtbot.waitUntil(lambda: "Неверный" in page.error.text(), timeout=5000)
    assert failures(registry) == 1
    assert page.login.text() == "admin" and page.password.text() == "secret"
    assert QApplication.focusWidget() is page.password
    typist("-pass-1\n")
    qtbot.waitUntil(lambda: window.stack.currentIndex() == window.PAGE_DESK, timeout=5000)
    assert failures(registry) == 1


def test_an_empty_password_or_login_is_never_sent(qtbot, make_window, registry):
    """Enter with an empty password (or login) says what is missing and asks nothing of the store."""
    window, page = login_page(qtbot, make_window, registry, page_focus="password")
    typist("\n")
    assert "Введите логин" in page.error.text() and QApplication.focusWidget() is page.login
    typist("admin\n\n")                    # Enter in «Логин», then Enter on an empty password
    assert "Введите пароль" in page.error.text()
    assert not page.worker.busy() and failures(registry) == 0 and failures(registry, "?") == 0


def test_a_prefilled_login_puts_the_cursor_in_the_password_and_says_so(qtbot, make_window, registry):
    window = make_window(logged_in=None)
    registry.create_user("admin", "secret-pass-1", full_name="А", role="admin", now=NOW)
    window.show_login("admin")
    page = window.login_page
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.password)
    assert "«admin»" in page.error.text() and "пароль" in page.error.text()
    window.switch_language("kk")
    assert "«admin»" in page.error.text() and "құпиясөз" in page.error.text()
    window.switch_language("ru")
    typist("secret-pass-1\n")
    qtbot.waitUntil(lambda: window.stack.currentIndex() == window.PAGE_DESK, timeout=5000)


# --- 3. Enter in the administration dialogs -------------------------------------------------------
def _press_enter(qtbot, widget) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key_Return)


def _buttons(dialog):
    return [b for b in dialog.findChildren(QPushButton) if b.isVisible()]


def test_enter_in_users_never_locks_and_locking_asks(qtbot, registry, tr, clock):
    """Enter in Пользователи with an account selected locks nothing (the safe default is
    «Добавить…»); locking asks first, and a «Нет» keeps the account active."""
    from desktop.gui.admin.people import UserDialog, UsersDialog

    registry.create_user("admin", "secret-pass-1", full_name="А", role="admin", now=NOW)
    registry.create_user("reg", "secret-pass-1", full_name="Р", role="registrar", now=NOW, actor="admin")
    asked = []
    answer = [False]
    dialog = UsersDialog(registry, tr, clock, "admin", ask=lambda *a: (asked.append(a), answer[0])[1])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    row = next(i for i in range(dialog.view.model().rowCount()) if dialog.view.model().index(i, 0).data() == "reg")
    dialog.view.selectRow(row)
    defaults = [b for b in _buttons(dialog) if b.isDefault()]
    assert defaults == [dialog.add_button]
    assert not dialog.toggle_button.autoDefault() and not dialog.reset_button.autoDefault()
    _press_enter(qtbot, dialog.view)
    forms = [d for d in dialog.findChildren(UserDialog) if d.isVisible()]
    assert len(forms) == 1 and not forms[0].reset          # the add form opened, nothing else
    forms[0].reject()
    assert registry.get_user("reg").active and not asked
    qtbot.mouseClick(dialog.toggle_button, Qt.LeftButton)
    assert asked and registry.get_user("reg").active
    answer[0] = True
    qtbot.mouseClick(dialog.toggle_button, Qt.LeftButton)
    assert not registry.get_user("reg").active


def test_enter_in_reference_data_and_export_does_nothing_destructive(qtbot, registry, tr, clock, tmp_path):
    """Справочные данные: Enter asks no rollback; Выгрузка: Enter opens no folder chooser."""
    from desktop.gui.admin.data import ExportDialog, ReferenceDataDialog

    registry.create_user("admin", "secret-pass-1", full_name="А", role="admin", now=NOW)
    asked, chosen = [], []
    ref_dialog = ReferenceDataDialog(registry, tr, clock, "admin", tmp_path / "registry.sqlite",
                                     choose_file=lambda parent: chosen.append("file"),
                                     ask=lambda *a: asked.append(a) or False)
    qtbot.addWidget(ref_dialog)
    ref_dialog.show()
    qtbot.waitExposed(ref_dialog)
    assert not ref_dialog.rollback_button.isDefault() and not ref_dialog.rollback_button.autoDefault()
    _press_enter(qtbot, ref_dialog.view)
    assert not asked
    export = ExportDialog(registry, tr, clock, "admin", folder=tmp_path,
                          choose_folder=lambda parent: chosen.append("folder"))
    qtbot.addWidget(export)
    export.show()
    qtbot.waitExposed(export)
    _press_enter(qtbot, export.folder)
    assert "folder" not in chosen
    assert [b for b in _buttons(export) if b.isDefault()] == [export.export_button]


# --- 5. search by the passport's spelling ---------------------------------------------------------
def test_the_passport_spelling_typed_in_the_search_box_finds_the_card(qtbot, window, registry):
    """«SEITKALIYEV NURLAN» as in the passport: `seitkaliyev`, Enter, opens that card."""
    from tests.gui.conftest import case_of

    case = case_of("p04")
    case["person"].update({"surname": "Сейткалиев", "given_name": "Нурлан", "latin_name": "SEITKALIYEV NURLAN",
                           "iin": None})
    pid = registry.save_patient(case, user="admin", now=NOW)
    window.focus_search()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search.query)
    typist("seitkaliyev")
    typist("\n")
    qtbot.waitUntil(lambda: window.patient_id == pid, timeout=5000)
    assert window.form.surname.text() == "Сейткалиев"


# --- minors ---------------------------------------------------------------------------------------
def test_tab_to_add_document_then_enter_opens_the_dialog(qtbot, window):
    """10: a button reached by Tab is pressed by Enter (not only by Space)."""
    window.new_patient()
    window.form.doc_add.setFocus(Qt.TabFocusReason)
    qtbot.keyClick(window.form.doc_add, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.form.dialog is not None, timeout=3000)
    assert window.form.dialog.isVisible()
    window.form.dialog.reject()
    window.dirty = False


def test_the_service_picker_folds_yo(qtbot, registry, ref, tr):
    """11: «прием» typed finds «приём» and the other way round."""
    from desktop import services
    from desktop.gui.printing.picker import ServicePicker
    from tests.gui.conftest import TODAY
    from tests.gui.helpers import key_text

    registry.create_user("admin", "secret-pass-1", full_name="А", role="admin", now=NOW)
    services.seed_prices_from_reference(registry, ref, NOW)
    prices = services.clinic_prices(registry, ref, TODAY)
    named = [p for p in prices if "прием" in p.name_ru.casefold().replace("ё", "е")]
    assert named, "the reference has a «приём» service"
    word = "приём"
    picker = ServicePicker(prices, ref, tr, TODAY)
    qtbot.addWidget(picker)
    picker.show()
    counts = []
    for typed in (word, word.replace("ё", "е")):
        picker.search.clear()
        picker.search.setFocus()
        key_text(qtbot, picker.search, typed)
        counts.append(picker.proxy.rowCount())
    assert counts[0] == counts[1] >= 1


@pytest.mark.parametrize("pasted, words", [("Иван\tов", "символ табуляции"), ("Иван😀", "«😀»"),
                                           ("Ив\u00a0ан", "неразрывный пробел")])
def test_a_pasted_bad_character_is_named_in_words(qtbot, window, pasted, words):
    """12: a tab or an emoji pasted into «Фамилия»: the message names it, no «U+0009»."""
    window.new_patient()
    window.form.surname.setFocus()
    window.form.surname.insert(pasted)            # what a paste does
    window.recompute()
    text = window.form.error_label("person.surname").text()
    assert words in text and "U+" not in text
    window.dirty = False


def test_an_empty_current_password_says_so(qtbot, window):
    """13: «Сменить пароль» with the current password left empty asks for it."""
    from tests.gui.helpers import type_into

    dialog = window.change_password()
    type_into(qtbot, dialog.new, "new-secret-pass-2")
    type_into(qtbot, dialog.repeat, "new-secret-pass-2")
    qtbot.keyClick(dialog.repeat, Qt.Key_Return)
    assert dialog.error.text() == "Введите текущий пароль" and dialog.isVisible()
    assert dialog.focusWidget() is dialog.current
    dialog.reject()


def test_the_duplicate_question_has_its_own_title(qtbot, window, registry):
    """13: the question about a likely duplicate is not titled «Несохранённые изменения»."""
    from tests.gui.conftest import case_of

    case = case_of("p04")
    registry.save_patient(case, user="admin", now=NOW)
    titles = []
    window._ask = lambda title, text, buttons: (titles.append(title), 2)[1]
    window.new_patient()
    case2 = dict(case, person=dict(case["person"], iin=None))
    window.form.set_case(case2)
    window.recompute()
    window.save()
    assert titles and titles[0] == "Похожий пациент"
    window.dirty = False


def test_the_saved_message_follows_ctrl_l(qtbot, window):
    """13: «Сохранено …» in the status bar is said again in Kazakh after Ctrl+L."""
    from desktop.gui.i18n import Tr
    from tests.gui.conftest import case_of

    window.new_patient()
    window.form.set_case(case_of("p04"))
    window.recompute()
    assert window.save()
    name = window.statusBar().currentMessage()
    assert name.startswith(Tr("ru")("status.saved", name="")[:5])
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)
    assert window.tr.lang == "kk"
    message = window.statusBar().currentMessage()
    assert message and message != name and message.startswith(Tr("kk")("status.saved", name="")[:5])
    window.dirty = False


def test_first_start_types_into_the_name_and_the_fill_message_goes(qtbot, make_window, registry):
    """6: on the first start the cursor is in «ФИО» (a typed space presses nothing); «Заполните
    все поля» goes once every field is filled."""
    window = make_window(logged_in=None)
    page = window.setup_page
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.full_name)
    typist("Әлия Админова")
    assert page.full_name.text() == "Әлия Админова" and registry.needs_admin_setup()
    typist("\n")
    assert page.error.isVisible() and page.error.text()
    for field, text in ((page.login, "admin"), (page.password, "s3cret-pass")):
        field.setFocus()
        typist(text)
    assert page.error.text()                      # «Повторите пароль» still empty: the message stays
    page.repeat.setFocus()
    typist("s")
    assert page.error.text() == "" and registry.needs_admin_setup()
