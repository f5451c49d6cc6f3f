"""Issue 21 item 13: no stale or wrong message on the desk — the status bar, the search count,
the login page and the panel's invitation say what is true now, in the language on screen."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.gui.i18n import Tr
from tests.gui.conftest import NOW, case_of
from tests.gui.helpers import CLINIC, key_text, type_into

RU, KK = Tr("ru"), Tr("kk")


def _settle(qtbot, n: int = 4) -> None:
    for _ in range(n):
        QApplication.processEvents()
    qtbot.wait(10)


def test_the_login_page_shows_the_clinic_set_at_the_first_start(qtbot, make_window, registry):
    """After the first start's two steps the status bar under the login page names the
    clinic, not «реквизиты не заданы»."""
    window = make_window(logged_in=None)
    page = window.setup_page
    for field, text in ((page.full_name, "Әлия Админова"), (page.login, "admin"),
                        (page.password, "secret-pass-1"), (page.repeat, "secret-pass-1")):
        type_into(qtbot, field, text)
    qtbot.keyClick(page.repeat, Qt.Key_Return)
    qtbot.waitUntil(lambda: page.step == page.STEP_CLINIC, timeout=10000)
    assert RU("status.clinic_unset") in window.status_clinic.text()
    for name, value in CLINIC.items():
        type_into(qtbot, page.clinic.inputs[name], value)
    qtbot.keyClick(page.clinic.inputs["head"], Qt.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.login_page)
    assert CLINIC["name_ru"] in window.status_clinic.text()
    assert RU("status.clinic_unset") not in window.status_clinic.text()


def _saved_p04(qtbot, window, registry):
    case = case_of("p04")
    case["person"]["iin"] = "900505300013"
    registry.save_patient(case, user="admin", now=NOW)
    return case


def test_the_search_list_shows_the_new_iin_after_a_save(qtbot, window, registry):
    case = _saved_p04(qtbot, window, registry)
    window.focus_search()
    key_text(qtbot, window.search.query, case["person"]["surname"])
    qtbot.keyClick(window.search.query, Qt.Key_Return)       # one match: it opens
    assert window.patient_id is not None
    assert window.search.model.rows[0].iin == "900505300013"
    type_into(qtbot, window.form.iin, "900505300023")
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    assert not window.dirty
    assert [p.iin for p in window.search.model.rows] == ["900505300023"]
    assert window.search.view.selectionModel().selectedRows()[0].row() == 0
    index = window.search.model.index(0, window.search.model.COLUMNS.index("col.iin"))
    assert window.search.model.data(index, Qt.DisplayRole) == "900505300023"


def test_no_count_over_an_empty_list_after_a_restore(qtbot, window, registry, tmp_path):
    """A restore empties the list: «Найдено: 1» goes with it; the login page says why the desk
    was left."""
    case = _saved_p04(qtbot, window, registry)
    window.focus_search()
    key_text(qtbot, window.search.query, case["person"]["surname"])
    window.search.search()
    assert window.search.count.text() == RU("search.count", n=1)
    backup = tmp_path / "copy.sqlite"
    window.admin_menu.restored.emit(str(backup))       # as the backups dialog does after a restore
    assert window.stack.currentWidget() is window.login_page
    assert window.search.model.rows == [] and window.search.count.text() == ""
    assert window.search.query.text() == ""
    said = window.login_page.error.text()
    assert said == RU("login.restored", path=str(backup)) and window.login_page.error.isVisible()
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)
    assert window.login_page.error.text() == KK("login.restored", path=str(backup))


def test_no_count_left_when_another_user_takes_the_desk(qtbot, window, registry):
    case = _saved_p04(qtbot, window, registry)
    window.focus_search()
    key_text(qtbot, window.search.query, case["person"]["surname"])
    window.search.search()
    assert window.search.count.text() == RU("search.count", n=1)
    window.lock()
    window.enter_desk(registry.get_user("reg"))
    assert window.search.model.rows == [] and window.search.count.text() == ""


def test_the_start_up_backup_message_follows_ctrl_l(qtbot, window, clock):
    from desktop.gui.app import start_backup

    worker = start_backup(window, clock)
    qtbot.waitUntil(lambda: bool(window.statusBar().currentMessage()), timeout=20000)
    worker.wait()
    ru = window.statusBar().currentMessage()
    assert ru.startswith(RU("backup.auto_done", path="")), ru
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)
    kk = window.statusBar().currentMessage()
    assert kk.startswith(KK("backup.auto_done", path="")) and kk != ru


def test_a_message_not_known_by_its_key_is_cleared_by_ctrl_l(qtbot, window):
    window.statusBar().showMessage("Сообщение без ключа", 8000)
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)
    assert window.statusBar().currentMessage() == ""


def test_the_invitation_says_where_the_search_is(qtbot, window):
    """«Найдите пациента слева» beside the search column; «на вкладке «Поиск»» when the search
    is folded into a tab (1024 px), in ru and kk."""
    window.new_patient()
    assert window.panel.message.text() == RU("panel.invite")
    assert "слева" in window.panel.message.text()
    window.resize(1024, 768)
    _settle(qtbot)
    assert window.tabs.indexOf(window.search) >= 0
    text = window.panel.message.text()
    assert "слева" not in text and "«Поиск»" in text and window.tabs.tabText(0) == "Поиск"
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)
    text = window.panel.message.text()
    assert "«Іздеу»" in text and "сол жақтан" not in text and window.tabs.tabText(0) == "Іздеу"
    window.resize(1500, 920)
    _settle(qtbot)
    assert window.panel.message.text() == KK("panel.invite")


def _message_room(window) -> int:
    bar = window.statusBar()
    taken = sum(w.width() + 6 for w in (window.status_clinic, window.status_user, window.status_ref)
                if w.isVisible())
    return bar.width() - taken


def test_the_saved_message_is_read_whole_at_1024(qtbot, window, tmp_path):
    window.resize(1024, 768)
    _settle(qtbot)
    window.new_patient()
    case = case_of("p04")       # a long name: beside the clinic, user and release it was cut
    case["person"].update({"surname": "Абдрахманова-Сейткалиева", "given_name": "Айгерим", "sex": "female"})
    window.form.set_case(case)
    window.recompute()
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    _settle(qtbot)
    message = window.statusBar().currentMessage()
    assert message.startswith("Сохранено: ") and case["person"]["surname"] in message
    need = window.statusBar().fontMetrics().horizontalAdvance(message)
    assert need <= _message_room(window), (need, _message_room(window))
    window.statusBar().grab().save(str(tmp_path / "status-1024.png"))
    window.statusBar().clearMessage()
    _settle(qtbot)
    assert window.status_clinic.isVisible() and window.status_user.isVisible() and window.status_ref.isVisible()
