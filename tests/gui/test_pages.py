"""First-run administrator setup, login, lock, roles and the clinic's details."""
from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.conftest import NOW
from tests.gui.helpers import type_into


def test_first_run_setup_then_login(qtbot, make_window, registry):
    """An empty registry opens on setup: the administrator, then the clinic's details; then
    login leads to the desk."""
    from tests.gui.helpers import CLINIC

    window = make_window(logged_in=None)
    assert window.stack.currentWidget() is window.setup_page
    page = window.setup_page
    type_into(qtbot, page.full_name, "Әлия Админова")
    type_into(qtbot, page.login, "admin")
    type_into(qtbot, page.password, "s3cret-pass")
    type_into(qtbot, page.repeat, "s3cret-pass")
    qtbot.mouseClick(page.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: page.clinic.isVisible(), timeout=5000)
    assert registry.get_user("admin").role == "admin"
    for name, value in CLINIC.items():
        type_into(qtbot, page.clinic.inputs[name], value)
    qtbot.mouseClick(page.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.login_page, timeout=5000)
    assert {k: registry.clinic_details()[k] for k in CLINIC} == CLINIC
    login = window.login_page
    assert login.login.text() == "admin"
    type_into(qtbot, login.password, "s3cret-pass")
    qtbot.keyClick(login.password, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == window.PAGE_DESK, timeout=5000)
    assert "Әлия Админова" in window.status_user.text()
    assert CLINIC["name_ru"] in window.status_clinic.text()


def test_setup_refuses_different_passwords(qtbot, make_window, registry):
    """The two passwords must match; nothing is created otherwise."""
    window = make_window(logged_in=None)
    page = window.setup_page
    for field, text in ((page.full_name, "A"), (page.login, "admin"), (page.password, "a"), (page.repeat, "b")):
        type_into(qtbot, field, text)
    qtbot.mouseClick(page.button, Qt.LeftButton)
    assert "не совпадают" in page.error.text()
    assert registry.needs_admin_setup()


def test_wrong_password_stays_on_login(qtbot, make_window, registry):
    """A wrong password is refused with a message."""
    registry.create_user("admin", "secret-pass-1", full_name="A", role="admin", now=NOW)
    window = make_window(logged_in=None)
    assert window.stack.currentWidget() is window.login_page
    type_into(qtbot, window.login_page.login, "admin")
    type_into(qtbot, window.login_page.password, "wrong")
    qtbot.keyClick(window.login_page.password, Qt.Key_Return)
    qtbot.waitUntil(lambda: "Неверный" in window.login_page.error.text(), timeout=5000)
    assert window.stack.currentWidget() is window.login_page


def test_inactivity_locks_back_to_login(qtbot, window):
    """When the inactivity timer runs out the desk locks to the login page, form kept."""
    window.form.surname.setText("Иванов")
    assert window.lock_timer.isActive()
    assert window.lock_timer.interval() == window.settings.lock_minutes * 60_000
    window.lock_timer.timeout.emit()
    assert window.stack.currentWidget() is window.login_page
    assert window.login_page.hint.isVisibleTo(window.login_page)
    assert window.form.surname.text() == "Иванов"


def test_registrar_cannot_open_clinic_settings(qtbot, make_window):
    """For a registrar the settings action is disabled and opening it is refused."""
    window = make_window("reg")
    assert not window.action_settings.isEnabled()
    assert window.open_settings() is None


def test_admin_saves_clinic_details(qtbot, window, registry):
    """An administrator saves the clinic's details; the status bar shows the name."""
    dialog = window.open_settings()
    dialog.name.clear()
    type_into(qtbot, dialog.name, "ГП № 5")
    dialog.accept()
    assert registry.clinic_details()["name_ru"] == "ГП № 5"
    assert "ГП № 5" in window.status_clinic.text()


def test_clinic_bin_must_have_12_digits(qtbot, window, registry):
    """A БИН shorter than 12 digits is refused beside the field."""
    dialog = window.open_settings()
    dialog.bin.clear()
    type_into(qtbot, dialog.bin, "12345")
    dialog.accept()
    assert dialog.details.errors["bin"].isVisibleTo(dialog)
    assert "12 цифр" in dialog.details.errors["bin"].text()
    assert registry.clinic_details()["bin"] == "990340001230"
    dialog.reject()


def test_shortcuts(qtbot, window):
    """Ctrl+F focuses the search box; Ctrl+P hands the case and decision to the print hook."""
    from tests.gui.conftest import case_of

    window.activateWindow()
    window.form.set_case(case_of("p04"))
    window.recompute()
    with qtbot.waitSignal(window.print_requested) as signal:
        qtbot.keyClick(window, Qt.Key_P, Qt.ControlModifier)
    assert signal.args[0]["decision"]["category"] == "eaeu_worker"
    qtbot.keyClick(window, Qt.Key_F, Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.search.query.hasFocus(), timeout=2000)
