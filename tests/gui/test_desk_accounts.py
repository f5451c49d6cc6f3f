"""The desk around the card: first-run clinic step, the password rule and lockout as shown,
one's own password, the lock's reason and the hand-over to another user, printing refused
without the clinic's details, Qt's own translations."""
from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit

from tests.gui.conftest import NOW, case_of
from tests.gui.helpers import CLINIC, type_into


def _create_admin(qtbot, page, password="s3cret-pass"):
    for field, text in ((page.full_name, "Әлия Админова"), (page.login, "admin"),
                        (page.password, password), (page.repeat, password)):
        type_into(qtbot, field, text)
    qtbot.mouseClick(page.button, Qt.LeftButton)


def test_first_run_and_login_inputs_carry_field_names(make_window):
    """Every input of the setup and login pages has its `field` property."""
    window = make_window(logged_in=None)
    fields = {w.property("field") for page in (window.setup_page, window.login_page)
              for w in page.findChildren(QLineEdit) if w.property("field")}
    assert {"setup.admin.full_name", "setup.admin.login", "setup.admin.password",
            "setup.admin.repeat", "setup.clinic.name_ru", "setup.clinic.name_kk",
            "setup.clinic.bin", "setup.clinic.address_ru", "setup.clinic.address_kk",
            "setup.clinic.head", "login.login", "login.password"} <= fields


def test_setup_refuses_a_digits_only_password(qtbot, make_window, registry):
    """The store's password rule is shown on the setup page, and nothing is created."""
    window = make_window(logged_in=None)
    _create_admin(qtbot, window.setup_page, "1234567890")
    qtbot.waitUntil(lambda: "только из цифр" in window.setup_page.error.text(), timeout=5000)
    assert registry.needs_admin_setup()


def test_setup_refuses_a_bad_bin_naming_the_field(qtbot, make_window, registry):
    """БИН 123456789012 is refused under the БИН field; the step stays open, nothing saved."""
    window = make_window(logged_in=None)
    page = window.setup_page
    _create_admin(qtbot, page)
    qtbot.waitUntil(lambda: page.clinic.isVisible(), timeout=5000)
    for name, value in {**CLINIC, "bin": "123456789012"}.items():
        type_into(qtbot, page.clinic.inputs[name], value)
    qtbot.mouseClick(page.button, Qt.LeftButton)
    assert "контрольной цифрой" in page.clinic.errors["bin"].text()
    assert window.stack.currentWidget() is page and registry.clinic_details()["bin"] == ""


def test_setup_clinic_step_can_wait(qtbot, make_window, registry):
    """"Later" leaves the clinic's details for the settings and goes to the login page."""
    window = make_window(logged_in=None)
    page = window.setup_page
    _create_admin(qtbot, page)
    qtbot.waitUntil(lambda: page.later.isVisible(), timeout=5000)
    qtbot.mouseClick(page.later, Qt.LeftButton)
    assert window.stack.currentWidget() is window.login_page
    assert registry.clinic_details()["name_ru"] == ""


def test_lockout_is_shown_with_the_time_left(qtbot, make_window, registry, clock):
    """After 5 failed sign-ins the login page says the account waits, with minutes left."""
    registry.create_user("admin", "secret-pass-1", full_name="A", role="admin", now=NOW)
    window = make_window(logged_in=None)
    for _ in range(5):
        registry.login("admin", "wrong-one-1", now=NOW - timedelta(minutes=1))
    page = window.login_page
    type_into(qtbot, page.login, "admin")
    type_into(qtbot, page.password, "secret-pass-1")
    qtbot.keyClick(page.password, Qt.Key_Return)
    qtbot.waitUntil(lambda: "4:00" in page.error.text(), timeout=5000)
    assert "заблокирована" in page.error.text()
    assert window.stack.currentWidget() is page


def test_lock_by_hand_says_so(qtbot, window):
    """Сервис → Заблокировать names the reason on the lock screen."""
    window.action_lock.trigger()
    assert window.stack.currentWidget() is window.login_page
    assert "заблокировано пользователем" in window.login_page.hint.text()


def test_lock_after_inactivity_says_so(qtbot, window):
    """The inactivity lock names inactivity as the reason."""
    window.lock_timer.timeout.emit()
    assert "после простоя" in window.login_page.hint.text()


def _sign_in(qtbot, window, login, password="secret-pass-1"):
    page = window.login_page
    page.login.clear()
    type_into(qtbot, page.login, login)
    type_into(qtbot, page.password, password)
    qtbot.keyClick(page.password, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == window.PAGE_DESK, timeout=5000)


def test_another_user_gets_a_blank_desk(qtbot, window):
    """After the lock, a different user sees no patient, no search text and no results."""
    window.form.set_case(case_of("p04"))
    window.dirty = True
    window.search.query.setText("Иванов")
    window.search.search()
    window.lock("manual")
    _sign_in(qtbot, window, "reg")
    assert window.form.case()["person"].get("surname") in (None, "")
    assert window.search.query.text() == "" and window.search.model.rowCount() == 0
    assert window.patient_id is None and not window.dirty


def test_unsaved_card_is_offered_back_to_its_user(qtbot, window):
    """The previous user's unsaved card is kept as their draft and offered back at sign-in."""
    case = case_of("p04")
    window.form.set_case(case)
    window.dirty = True
    window.lock("idle")
    _sign_in(qtbot, window, "reg")
    window.lock("manual")
    window.answer = 0                      # "Вернуть карту"
    _sign_in(qtbot, window, "admin")
    assert any("несохранённая" in q for q in window.questions)
    assert window.form.case()["person"]["surname"] == case["person"]["surname"] and window.dirty


def test_same_user_after_lock_keeps_the_card(qtbot, window):
    """The same user signing in again finds the card as they left it."""
    window.form.set_case(case_of("p04"))
    window.lock("manual")
    _sign_in(qtbot, window, "admin")
    assert window.form.case()["person"]["surname"] == case_of("p04")["person"]["surname"]


def test_user_changes_own_password(qtbot, make_window, registry):
    """Сервис → Сменить пароль: a registrar sets a new password that then signs in."""
    window = make_window("reg")
    dialog = window.change_password()
    type_into(qtbot, dialog.current, "secret-pass-1")
    type_into(qtbot, dialog.new, "new-pass-2026")
    type_into(qtbot, dialog.repeat, "new-pass-2026")
    dialog.accept()
    assert not dialog.isVisible()
    assert registry.verify_password("reg", "new-pass-2026")


def test_own_password_change_shows_the_rule(qtbot, make_window, registry):
    """A new password equal to the login is refused with the reason; the old one stays."""
    window = make_window("reg")
    dialog = window.change_password()
    type_into(qtbot, dialog.current, "secret-pass-1")
    type_into(qtbot, dialog.new, "reg")
    type_into(qtbot, dialog.repeat, "reg")
    dialog.accept()
    assert "короче 10" in dialog.error.text()
    assert registry.verify_password("reg", "secret-pass-1")
    dialog.reject()


def test_printing_without_clinic_details_is_refused_with_a_way_to_them(qtbot, make_window):
    """No clinic details: printing is refused, and the button opens the details dialog."""
    window = make_window("admin", clinic=False)
    window.form.set_case(case_of("p04"))
    window.recompute()
    window.print_panel.open_kind("slip")
    box = window.print_panel.clinic_box
    assert box is not None and box.isVisible() and window.print_panel.dialog is None
    opened = []
    window.print_panel.clinic_needed.connect(lambda: opened.append(True))
    box.findChild(type(box.buttons()[0]), "clinicOpen").click()
    assert opened
    dialogs = [w for w in QApplication.topLevelWidgets() if w.objectName() == "clinicDialog" and w.isVisible()]
    assert dialogs
    for d in dialogs:
        d.reject()


def test_qt_standard_buttons_follow_the_language(qtbot, window):
    """Qt's own buttons speak Russian, then Kazakh after the switch (qtbase_ru / qtbase_kk)."""
    def cancel_text():
        box = QDialogButtonBox(QDialogButtonBox.Cancel | QDialogButtonBox.Yes)
        return box.button(QDialogButtonBox.Cancel).text(), box.button(QDialogButtonBox.Yes).text()

    assert cancel_text() == ("Отмена", "&Да")
    window.switch_language("kk")
    assert cancel_text() == ("Бас тарту", "&Иә")
    window.switch_language("ru")
    assert cancel_text() == ("Отмена", "&Да")


def test_audit_log_in_words(qtbot, window, registry, clock):
    """The audit dialog says who did what to whom: «… открыла карту: Петров П. П. (ИИН …)»."""
    from desktop.gui.admin.people import AuditDialog

    registry.create_user("ivanova", "ivanova-pass-1", full_name="Иванова Анна Сергеевна",
                         role="registrar", now=NOW, actor="admin")
    case = case_of("p04")
    pid = registry.save_patient(case, user="ivanova", now=NOW)
    registry.open_patient(pid, user="ivanova", now=NOW)
    dialog = AuditDialog(registry, window.tr, clock, "admin", window.today)
    qtbot.addWidget(dialog)
    dialog.set_filters(user="ivanova", action="view")
    dialog.refresh()
    p = case["person"]
    sentences = dialog.model.column(2)
    assert sentences == [f"Иванова А. С. (ivanova) открыла карту: {p['surname']} "
                         f"{p['given_name'][0]}." + (f" {p['patronymic'][0]}." if p.get('patronymic') else "")
                         + (f" (ИИН {p['iin']})" if p.get("iin") else "")]


def test_audit_details_are_words_not_json(qtbot, window, registry, clock):
    """An account created by the administrator is described with its role in words."""
    from desktop.gui.admin.people import AuditDialog

    dialog = AuditDialog(registry, window.tr, clock, "admin", window.today)
    qtbot.addWidget(dialog)
    dialog.set_filters(action="create")
    dialog.refresh()
    assert any(d.startswith("роль: ") for d in dialog.model.column(3))
    assert not any("{" in d for d in dialog.model.column(3))


def _lapsing_patient(registry, ref, phone="+7 701 000 11 22"):
    from tests.gui.conftest_extra import decision_for

    case = case_of("p04")
    case["person"]["phone"] = phone
    for doc in case["documents"]:
        if doc["kind"] == "dms_contract":
            doc["valid_until"] = "2026-12-10"
    pid = registry.save_patient(case, user="reg", now=NOW)
    registry.record_decision(pid, decision_for(case, ref), user="reg", now=NOW)
    return pid, case


def _worklist(qtbot, window):
    dialog = window.admin_menu.open("worklist")
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=5000)
    return dialog


def test_worklist_shows_the_phone(qtbot, window, registry, ref):
    """The call list shows the patient's phone number from the card."""
    _lapsing_patient(registry, ref)
    dialog = _worklist(qtbot, window)
    assert "+7 701 000 11 22" in dialog.model.column(2)


def test_worklist_double_click_opens_the_patient(qtbot, window, registry, ref):
    """Double-clicking a row of the worklist opens that patient's card."""
    pid, case = _lapsing_patient(registry, ref)
    dialog = _worklist(qtbot, window)
    view = dialog.view
    rect = view.visualRect(view.model().index(0, 0))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.patient_id == pid
    assert window.form.case()["person"]["surname"] == case["person"]["surname"]


def test_worklist_prints_to_pdf_and_exports_csv(qtbot, window, registry, ref, tmp_path):
    """The list is written as a PDF with the rows' text, and as a CSV a spreadsheet opens."""
    from pypdf import PdfReader

    _lapsing_patient(registry, ref, phone="=1+2")
    dialog = _worklist(qtbot, window)
    dialog.write_pdf(tmp_path / "list.pdf")
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "list.pdf").pages)
    surname = case_of("p04")["person"]["surname"]
    assert surname in text and "Телефон" in text
    # the clinic's header on every page, as on its other printouts (issue 21, item 15)
    from tests.gui.helpers import CLINIC

    for page in PdfReader(tmp_path / "list.pdf").pages:
        page_text = page.extract_text()
        assert CLINIC["name_ru"] in page_text and CLINIC["bin"] in page_text and "стр. " in page_text
    dialog.write_csv(tmp_path / "list.csv")
    csv_text = (tmp_path / "list.csv").read_text(encoding="utf-8-sig")
    assert surname in csv_text and "'=1+2" in csv_text


def test_login_message_follows_the_language(qtbot, make_window, registry):
    """A refusal on the login page is shown again in Kazakh after the language switch."""
    registry.create_user("admin", "secret-pass-1", full_name="A", role="admin", now=NOW)
    window = make_window(logged_in=None)
    page = window.login_page
    type_into(qtbot, page.login, "admin")
    type_into(qtbot, page.password, "wrong-pass-1")
    qtbot.keyClick(page.password, Qt.Key_Return)
    qtbot.waitUntil(lambda: "Неверный" in page.error.text(), timeout=5000)
    window.switch_language("kk")
    assert page.error.text() == "Логин немесе құпиясөз қате"


def test_attachment_channel_is_on_the_card_and_in_the_case(qtbot, window):
    """The card's channel choice goes into the case (and back); unset until chosen (the notice
    then names the clinic, where it is printed)."""
    from tests.gui.helpers import pick

    window.form.set_case(case_of("p04"))
    assert "attachment_channel" not in window.form.case()
    pick(qtbot, window.form.attachment_channel, "eGov")
    case = window.form.case()
    assert case["attachment_channel"] == "egov"
    window.form.set_case(case)
    assert window.form.attachment_channel.code() == "egov"
