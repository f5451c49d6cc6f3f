"""Encrypted backups from the administrator's Backups dialog, typed with real key presses: the
passphrase twice (refused when weak or different), the copy restored from the dialog with its
passphrase; a wrong passphrase or a cancel replaces nothing; the passphrase is never kept."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from desktop.gui.admin.data import PASSPHRASE_MIN, BackupDialog
from desktop.gui.i18n import Tr
from desktop.store.crypt import is_encrypted
from tests.gui.helpers import key_text

try:
    from .conftest_extra import NOW, clock, db_path, load_case, registry, tr  # noqa: F401
except ImportError:
    from conftest_extra import NOW, clock, db_path, load_case, registry, tr  # noqa: F401

GOOD = "зимний-вокзал-47"
WRONG = "летний-вокзал-47"


def settled(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.worker.busy(), timeout=30000)


def patient(registry, name="p04", surname=None):
    """Save the example case `name` (under `surname` if given); its surname."""
    case = load_case(name)
    if surname:
        case["person"]["surname"] = surname
    registry.save_patient(case, user="admin", now=NOW)
    return case["person"]["surname"]


def open_dialog(qtbot, registry, db_path, tr, clock, *, save=None, open_=None, answers=None):
    asked, opened = [], []

    def ask(_parent, _title, text):
        asked.append(text)
        return answers.pop(0) if answers else True

    dialog = BackupDialog(registry, tr, clock, "admin", db_path,
                          choose_save=lambda _p, suggested: save and save(suggested),
                          choose_open=lambda _p: opened.append(1) or (open_ and str(open_)), ask=ask)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    dialog.asked, dialog.opened = asked, opened
    return dialog


def type_backup_passphrases(qtbot, dialog, first, second):
    """Keyboard only: Space on the choice, type, Tab, type, Enter."""
    dialog.encrypt.setFocus()
    qtbot.keyClick(dialog.encrypt, Qt.Key_Space)
    assert dialog.encrypt.isChecked() and dialog.encrypt_panel.isVisible()
    key_text(qtbot, dialog.passphrase, first)
    qtbot.keyClick(dialog.passphrase, Qt.Key_Tab)
    key_text(qtbot, dialog.passphrase2, second)
    qtbot.keyClick(dialog.passphrase2, Qt.Key_Return)


def type_restore_passphrase(qtbot, dialog, text):
    assert dialog.restore_panel.isVisible()
    key_text(qtbot, dialog.restore_passphrase, text)
    qtbot.keyClick(dialog.restore_passphrase, Qt.Key_Return)


@pytest.fixture
def encrypted_copy(qtbot, registry, db_path, tr, clock, tmp_path):
    """An encrypted copy made from the dialog of a registry with one patient."""
    surname = patient(registry)
    out = tmp_path / "out" / "copy.enc"
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, save=lambda suggested: str(out))
    type_backup_passphrases(qtbot, dialog, GOOD, GOOD)
    settled(qtbot, dialog)
    assert dialog.status_kind() == "ok", dialog.status.text()
    return {"file": out, "surname": surname, "dialog": dialog}


def test_encrypted_backup_is_written_and_status_says_so(encrypted_copy):
    """Encrypt + the passphrase twice + Enter writes an encrypted copy; the status names the file,
    says it is encrypted and that the passphrase is needed to restore; the fields are emptied."""
    dialog, out = encrypted_copy["dialog"], encrypted_copy["file"]
    assert is_encrypted(out)
    text = dialog.status.text()
    assert str(out) in text and "Зашифрованная копия" in text and "парольная фраза" in text
    assert dialog.passphrase.text() == "" and dialog.passphrase2.text() == ""


def test_encrypted_backup_suggests_enc_name(qtbot, registry, db_path, tr, clock):
    """The file dialog is offered a name ending in .enc for an encrypted copy."""
    offered = []
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, save=lambda s: offered.append(s))
    type_backup_passphrases(qtbot, dialog, GOOD, GOOD)
    assert offered == [f"{db_path.stem}-{NOW:%Y%m%d-%H%M}.enc"]
    assert dialog.opened == []   # Enter in the field pressed no other button


def test_audit_says_encrypted_and_holds_no_passphrase(encrypted_copy, registry, db_path):
    """The backup's audit entry says "encrypted": true, and the passphrase is nowhere in the registry."""
    entry = registry.audit_entries(action="backup", limit=1)[0]
    assert json.loads(entry.details) == {"patient": 1, "encrypted": True}
    registry.close()
    for f in db_path.parent.glob(db_path.name + "*"):
        assert GOOD.encode("utf-8") not in f.read_bytes()


def test_encrypted_copy_restores_from_the_dialog(qtbot, encrypted_copy, registry, db_path, tr, clock):
    """The right passphrase, then Yes, brings the copy back: a patient added later is gone,
    the copy's patient is there; the audit entry of the restore says encrypted."""
    later = patient(registry, "p05", "Поздняков")
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, open_=encrypted_copy["file"])
    dialog.restore_button.click()
    assert dialog.focusWidget() is dialog.restore_passphrase
    with qtbot.waitSignal(dialog.restored, timeout=30000):
        type_restore_passphrase(qtbot, dialog, GOOD)
    assert len(dialog.asked) == 1 and str(encrypted_copy["file"]) in dialog.asked[0]
    assert dialog.opened == [1]   # Enter in the field pressed no other button
    assert registry.search(encrypted_copy["surname"]) and not registry.search(later)
    assert not dialog.restore_panel.isVisible() and dialog.restore_passphrase.text() == ""
    entry = registry.audit_entries(action="restore", limit=1)[0]
    assert json.loads(entry.details)["encrypted"] is True
    assert GOOD not in entry.details


def test_wrong_passphrase_refuses_and_changes_nothing(qtbot, encrypted_copy, registry, db_path, tr, clock):
    """A wrong passphrase: a clear message beside the field, the registry file byte for byte the
    same, no decrypted or set-aside file left, and the field ready for another try."""
    patient(registry, "p05", "Поздняков")
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, open_=encrypted_copy["file"])
    registry.close()
    before = {f.name: f.read_bytes() for f in db_path.parent.iterdir() if f.is_file()}
    dialog.restore_button.click()
    type_restore_passphrase(qtbot, dialog, WRONG)
    settled(qtbot, dialog)
    after = {f.name: f.read_bytes() for f in db_path.parent.iterdir() if f.is_file()}
    assert after == before
    assert dialog.status_kind() == "error"
    assert dialog.restore_error.text() == Tr("ru")("backup.wrong_passphrase")
    assert "Traceback" not in dialog.status.text()
    assert dialog.restore_panel.isVisible() and dialog.restore_passphrase.text() == ""
    assert dialog.focusWidget() is dialog.restore_passphrase


def test_after_a_wrong_passphrase_the_right_one_restores(qtbot, encrypted_copy, registry, db_path, tr, clock):
    """The user may try again: wrong, then right, restores."""
    later = patient(registry, "p05", "Поздняков")
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, open_=encrypted_copy["file"])
    dialog.restore_button.click()
    type_restore_passphrase(qtbot, dialog, WRONG)
    settled(qtbot, dialog)
    with qtbot.waitSignal(dialog.restored, timeout=30000):
        type_restore_passphrase(qtbot, dialog, GOOD)
    assert not registry.search(later)


def test_wrong_passphrase_message_in_kazakh(qtbot, encrypted_copy, registry, db_path, clock):
    """In Kazakh the refusal is in Kazakh, and follows a language switch."""
    dialog = open_dialog(qtbot, registry, db_path, Tr("kk"), clock, open_=encrypted_copy["file"])
    dialog.restore_button.click()
    type_restore_passphrase(qtbot, dialog, WRONG)
    settled(qtbot, dialog)
    assert dialog.restore_error.text() == Tr("kk")("backup.wrong_passphrase")
    assert "Құпия фраза" in dialog.restore_error.text()
    dialog.retranslate(Tr("ru"))
    assert dialog.restore_error.text() == Tr("ru")("backup.wrong_passphrase")


def test_escape_cancels_and_nothing_changes(qtbot, encrypted_copy, registry, db_path, tr, clock):
    """Esc in the passphrase field closes the question: no confirmation, no restore, field emptied."""
    later = patient(registry, "p05", "Поздняков")
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, open_=encrypted_copy["file"])
    dialog.restore_button.click()
    key_text(qtbot, dialog.restore_passphrase, GOOD)
    qtbot.keyClick(dialog.restore_passphrase, Qt.Key_Escape)
    assert not dialog.restore_panel.isVisible() and dialog.restore_passphrase.text() == ""
    assert dialog.asked == [] and dialog.isVisible()
    assert not dialog.worker.busy() and registry.search(later)


def test_no_at_the_confirmation_changes_nothing(qtbot, encrypted_copy, registry, db_path, tr, clock):
    """The right passphrase but No at the confirmation: nothing is restored, the field is emptied."""
    later = patient(registry, "p05", "Поздняков")
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, open_=encrypted_copy["file"], answers=[False])
    dialog.restore_button.click()
    type_restore_passphrase(qtbot, dialog, GOOD)
    assert len(dialog.asked) == 1
    assert not dialog.worker.busy() and registry.search(later)
    assert not dialog.restore_panel.isVisible() and dialog.restore_passphrase.text() == ""


def test_mismatched_passphrases_are_refused(qtbot, registry, db_path, tr, clock, tmp_path):
    """Two different entries: the message beside the fields, no file dialog, no file, fields emptied."""
    offered = []
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, save=lambda s: offered.append(s))
    type_backup_passphrases(qtbot, dialog, GOOD, GOOD + "x")
    assert dialog.pass_error.text() == "Парольные фразы не совпадают — введите обе ещё раз"
    assert offered == [] and dialog.opened == [] and not dialog.worker.busy()
    assert dialog.passphrase.text() == "" and dialog.passphrase2.text() == ""


@pytest.mark.parametrize("weak, message", [
    ("a" * (PASSPHRASE_MIN - 1), f"Парольная фраза короче {PASSPHRASE_MIN} символов"),
    ("1234567890123456", "Парольная фраза не должна состоять только из цифр"),
    ("", "Введите парольную фразу"),
])
def test_weak_passphrase_is_refused(qtbot, registry, db_path, tr, clock, weak, message):
    """A passphrase shorter than 12 characters, digits only, or empty is refused with its reason."""
    offered = []
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, save=lambda s: offered.append(s))
    type_backup_passphrases(qtbot, dialog, weak, weak)
    assert dialog.pass_error.text() == message and offered == []


def test_exactly_twelve_characters_are_enough(qtbot, registry, db_path, tr, clock):
    """The shortest passphrase accepted has 12 characters (11 is refused above)."""
    offered = []
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, save=lambda s: offered.append(s))
    type_backup_passphrases(qtbot, dialog, "b" * PASSPHRASE_MIN, "b" * PASSPHRASE_MIN)
    assert dialog.pass_error.text() == "" and len(offered) == 1


def test_plain_backup_is_unchanged_without_the_choice(qtbot, registry, db_path, tr, clock, tmp_path):
    """Without the choice the copy is plain SQLite, offered as .sqlite."""
    out = tmp_path / "plain.sqlite"
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, save=lambda s: str(out))
    dialog.backup_button.click()
    settled(qtbot, dialog)
    assert out.exists() and not is_encrypted(out) and dialog.status_kind() == "ok"


def test_fields_carry_their_names_and_tab_order(qtbot, registry, db_path, tr, clock):
    """Every new input has the `field` property; Tab runs choice → passphrase → again → Create."""
    dialog = open_dialog(qtbot, registry, db_path, tr, clock)
    names = {w.property("field") for w in dialog.findChildren(QWidget) if w.property("field")}
    assert {"backup.encrypt", "backup.passphrase", "backup.passphrase2", "restore.passphrase"} <= names
    dialog.encrypt.setFocus()
    qtbot.keyClick(dialog.encrypt, Qt.Key_Space)
    chain = []
    for _ in range(3):
        qtbot.keyClick(dialog.focusWidget(), Qt.Key_Tab)
        chain.append(dialog.focusWidget())
    assert chain == [dialog.passphrase2, dialog.backup_button, dialog.restore_button]
    assert dialog.passphrase.echoMode() == dialog.passphrase.EchoMode.Password
    assert dialog.restore_passphrase.echoMode() == dialog.passphrase.EchoMode.Password


def test_enter_in_the_first_field_goes_to_the_second(qtbot, registry, db_path, tr, clock):
    """Enter in the first passphrase field moves to the repeat field and starts nothing."""
    offered = []
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, save=lambda s: offered.append(s))
    qtbot.keyClick(dialog.encrypt, Qt.Key_Space)
    key_text(qtbot, dialog.passphrase, GOOD)
    qtbot.keyClick(dialog.passphrase, Qt.Key_Return)
    assert dialog.focusWidget() is dialog.passphrase2 and offered == []


def test_refusal_beside_the_fields_follows_the_language(qtbot, registry, db_path, tr, clock):
    """A refusal shown in Russian is shown in Kazakh after a switch, with its number."""
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, save=lambda s: None)
    type_backup_passphrases(qtbot, dialog, "short", "short")
    dialog.retranslate(Tr("kk"))
    assert dialog.pass_error.text() == f"Құпия фраза {PASSPHRASE_MIN} таңбадан қысқа"
    assert dialog.encrypt.text() == "Шифрлау (компьютерден тыс жерге шығатын көшірме үшін)"


def test_unchecking_the_choice_forgets_the_passphrases(qtbot, registry, db_path, tr, clock):
    """Unticking «Зашифровать» hides and empties both fields."""
    dialog = open_dialog(qtbot, registry, db_path, tr, clock)
    qtbot.keyClick(dialog.encrypt, Qt.Key_Space)
    key_text(qtbot, dialog.passphrase, GOOD)
    key_text(qtbot, dialog.passphrase2, GOOD)
    qtbot.keyClick(dialog.encrypt, Qt.Key_Space)
    assert not dialog.encrypt_panel.isVisible()
    assert dialog.passphrase.text() == "" and dialog.passphrase2.text() == ""


def test_enter_on_the_focused_create_button_backs_up(qtbot, registry, db_path, tr, clock, tmp_path):
    """Keyboard only: the passphrases, Tab to «Создать копию…», Enter writes the encrypted copy."""
    out = tmp_path / "kbd.enc"
    dialog = open_dialog(qtbot, registry, db_path, tr, clock, save=lambda s: str(out))
    qtbot.keyClick(dialog.encrypt, Qt.Key_Space)
    key_text(qtbot, dialog.passphrase, GOOD)
    qtbot.keyClick(dialog.passphrase, Qt.Key_Tab)
    key_text(qtbot, dialog.passphrase2, GOOD)
    qtbot.keyClick(dialog.passphrase2, Qt.Key_Tab)
    assert dialog.focusWidget() is dialog.backup_button
    qtbot.keyClick(dialog.backup_button, Qt.Key_Return)
    settled(qtbot, dialog)
    assert is_encrypted(out) and dialog.opened == []
