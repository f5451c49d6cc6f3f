"""The desk as one window: print buttons under the decision, printouts kept with the patient,
re-print from the history, the referral fields, the administration menu, a new reference
release taken up at once, and the automatic backup at start."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import NOW, case_of
from release_helpers import newer_sources
from tests.gui.helpers import pdf_printer, pick

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def desk(make_window, tmp_path):
    return make_window("reg", choose_printer=pdf_printer(tmp_path / "printer.pdf"),
                       choose_path=lambda _parent, _suggested: str(tmp_path / "saved.pdf"))


def show_case(window, name: str) -> None:
    window.form.set_case(case_of(name))
    window.dirty = True
    window.recompute()


def visible_kinds(window) -> set[str]:
    return {k for k, b in window.print_panel.buttons.items() if b.isVisibleTo(window.panel)}


def print_now(qtbot, window, kind: str):
    """Click the kind's button under the decision, wait for the preview, press Print."""
    qtbot.mouseClick(window.print_panel.buttons[kind], Qt.LeftButton)
    dialog = window.print_panel.dialog
    qtbot.waitUntil(lambda: dialog.pdf is not None and dialog.print_button.isEnabled(), timeout=20000)
    with qtbot.waitSignal(dialog.done, timeout=20000):
        qtbot.mouseClick(dialog.print_button, Qt.LeftButton)
    return dialog


def test_print_buttons_sit_under_the_decision(qtbot, desk):
    """An allowed attachment offers the application and the estimate; a refusal case the refusal."""
    show_case(desk, "p04")
    assert window_has_panel(desk)
    assert visible_kinds(desk) >= {"slip", "estimate"} and "refusal" not in visible_kinds(desk)
    show_case(desk, "p06")
    assert "refusal" in visible_kinds(desk) and "slip" not in visible_kinds(desk)


def window_has_panel(window) -> bool:
    parent = window.print_panel.parentWidget()
    return parent is window.panel


def test_document_printed_before_the_first_save_is_kept_with_the_patient(qtbot, desk, registry):
    """Print, then Save: the numbered document belongs to the new patient and shows in the history."""
    show_case(desk, "p04")
    dialog = print_now(qtbot, desk, "slip")
    number = dialog.stored.number
    assert registry.get_printed(number).patient_id is None
    assert desk.save()
    assert registry.get_printed(number).patient_id == desk.patient_id
    printed = [i for i in registry.history(desk.patient_id) if i.kind == "printed"]
    assert [i.summary["number"] for i in printed] == [number]
    dialog.close()


def test_reprint_from_history_gives_the_stored_bytes(qtbot, desk, registry):
    """A printed document chosen in the history opens with its exact stored bytes."""
    show_case(desk, "p04")
    assert desk.save()
    first = print_now(qtbot, desk, "slip")
    number = first.stored.number
    first.close()
    model = desk.history.model
    row = next(r for r, item in enumerate(model.items) if item.kind == "printed")
    desk.tabs.setCurrentIndex(1)
    desk.history.view.selectRow(row)
    assert desk.history.reprint_button.isEnabled()
    qtbot.mouseClick(desk.history.reprint_button, Qt.LeftButton)
    again = desk.print_panel.dialog
    assert again is not first and again.number == number
    assert again.pdf == bytes(registry.get_printed(number).pdf)
    again.close()


def test_referral_fields_make_the_referral_printable(qtbot, desk):
    """Choosing a referral purpose puts it in the case and enables the referral button."""
    # needs attachment: a need other than attachment offers the referral by itself (rev. 2)
    desk.form.set_case(dict(case_of("p09"), needs="attachment"))
    desk.recompute()
    assert not desk.print_panel.buttons["referral"].isEnabled()
    pick(qtbot, desk.form.ref_purpose, "консультация")
    desk.form.ref_services.setText("консультация инфекциониста; ОАК")
    desk.recompute()
    assert desk.form.case()["referral"] == {"purpose": "consultation", "urgency": "routine",
                                            "services": ["консультация инфекциониста", "ОАК"]}
    assert desk.print_panel.buttons["referral"].isEnabled()


def test_referral_survives_save_and_open(qtbot, window):
    """The referral entered is stored with the patient and shown again when the record is opened."""
    show_case(window, "p09")
    window.form.set_case(dict(case_of("p09"), referral={"purpose": "diagnostics", "urgency": "urgent",
                                                        "diagnosis_text": "корь"}))
    window.dirty = True
    assert window.save()
    patient_id = window.patient_id
    window.new_patient()
    window.open_patient(patient_id)
    assert window.form.case()["referral"] == {"purpose": "diagnostics", "urgency": "urgent",
                                              "diagnosis_text": "корь"}


def test_administration_menu_by_role(qtbot, make_window):
    """The administrator sees every administration entry; a registrar only the worklist."""
    admin = make_window("admin")
    assert admin.admin_menu.menu.menuAction().isVisible()
    assert admin.admin_menu.actions["prices"].isVisible() and admin.admin_menu.actions["refdata"].isVisible()
    admin.enter_desk(admin.registry.get_user("reg"))
    assert admin.admin_menu.actions["worklist"].isVisible()
    assert not any(admin.admin_menu.actions[n].isVisible() for n in ("prices", "refdata", "backup", "users"))


def test_lock_closes_administration_dialogs(qtbot, make_window):
    """An administrator's open dialog does not survive the lock for whoever logs in next."""
    window = make_window("admin")
    dialog = window.admin_menu.open("users")
    assert dialog.isVisible()
    window.lock()
    assert not dialog.isVisible() and window.admin_menu.dialogs == {}


def test_admin_menu_hidden_before_login(qtbot, make_window):
    """Nothing of the administration is offered on the login page."""
    window = make_window("admin")
    window.lock()
    assert not window.admin_menu.menu.menuAction().isVisible()


def test_new_reference_release_is_used_at_once(qtbot, window, registry, reference_file, tmp_path):
    """After an import the status bar and the next decision name the new release."""
    from desktop.core.refbuild import build_reference
    from desktop.core.refinstall import ensure_reference, install

    ensure_reference(registry.path, reference_file)
    build_reference(newer_sources(tmp_path / "src"), tmp_path / "newer.sqlite")
    newer = install(registry.path, tmp_path / "newer.sqlite")
    assert newer.version != window.ref.version
    show_case(window, "p04")
    window.admin_menu.reference_changed.emit(newer.version)
    assert window.ref.version == newer.version
    assert newer.version in window.status_ref.text()
    assert window.decision["reference"]["version"] == newer.version


def test_backup_at_start_is_written_and_verified(qtbot, window, registry, clock):
    """The start-up backup lands in the backups folder beside the registry."""
    from desktop.gui.app import start_backup

    show_case(window, "p04")
    assert window.save()
    worker = start_backup(window, clock)
    qtbot.waitUntil(lambda: not worker.busy(), timeout=20000)
    copies = list(window.backups_dir.glob("*.sqlite"))
    assert len(copies) == 1 and copies[0].name == f"{registry.path.stem}-{NOW:%Y%m%d-%H%M%S}.sqlite"
    from desktop.store import open_registry

    copy = open_registry(copies[0], now=NOW)
    try:
        assert copy.get_patient(window.patient_id) is not None
    finally:
        copy.close()
