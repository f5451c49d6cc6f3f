"""Administration dialogs over a real registry file: prices by date, reference-data import and
rollback, backups, users, audit, worklist, export; a registrar can change nothing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop.gui.admin.menu import (AdminMenu, AuditDialog, BackupDialog, ExportDialog, PriceEditor,
                               ReferenceDataDialog, UsersDialog, WorklistDialog)
from desktop.gui.i18n import Tr
from desktop.store import backups
from release_helpers import newer_sources

try:
    from .conftest_extra import NOW, ROOT, TODAY, clock, db_path, decision_for, load_case, registry, tr  # noqa: F401
except ImportError:
    from conftest_extra import NOW, ROOT, TODAY, clock, db_path, decision_for, load_case, registry, tr  # noqa: F401


def settled(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.worker.busy(), timeout=20000)


def open_dialog(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


# --- prices ------------------------------------------------------------------------------------

@pytest.fixture
def editor(qtbot, registry, ref, tr, clock):
    return open_dialog(qtbot, PriceEditor(registry, ref, tr, clock, "admin", TODAY))


def test_new_price_applies_from_its_date_only(editor):
    """A price set from 01.12 shows from that day; the day before still shows the old price."""
    assert editor.apply_price("RAD-FLG", "2700", date(2026, 12, 1))
    editor.set_date(date(2026, 11, 30))
    assert editor.price_of("RAD-FLG") == Decimal("2500")
    editor.set_date(date(2026, 12, 1))
    assert editor.price_of("RAD-FLG") == Decimal("2700")


def test_price_dialog_sets_price_from_typed_date(qtbot, editor, registry):
    """Change price… with a typed amount and date writes the new row through the store."""
    editor.select_code("ECG")
    dialog = editor.change_dialog()
    dialog.price.setText("3 300,50")
    dialog.valid_from.setValue(date(2027, 1, 1))
    dialog.accept()
    assert [Decimal(p.price) for p in registry.price_history("ECG")] == [Decimal("3000"), Decimal("3300.50")]


def test_history_shows_every_period_of_a_code(editor):
    """After a change the history of the code lists the closed old row and the new one."""
    editor.apply_price("LAB-UA", "1600", date(2026, 12, 1))
    editor.select_code("LAB-UA")
    assert editor.history.column(0)[-2:] == ["01.01.2026", "01.12.2026"]
    assert editor.history.column(1)[-2] == "30.11.2026"


def test_add_service_appears_in_the_list(editor):
    """A new service with its names and unit is listed from its start date."""
    editor.apply_price("MASSAGE", "4000", TODAY, name_ru="Массаж", name_kk="Массаж", unit="сеанс")
    assert editor.price_of("MASSAGE") == Decimal("4000")


def test_registrar_price_editor_is_disabled_and_store_refuses(qtbot, registry, ref, tr, clock):
    """A registrar sees the editor disabled; a direct call is refused and nothing changes."""
    dialog = open_dialog(qtbot, PriceEditor(registry, ref, tr, clock, "reg", TODAY))
    assert not dialog.body.isEnabled() and dialog.denied.isVisible()
    assert not dialog.apply_price("RAD-FLG", "1", date(2026, 12, 1))
    assert dialog.status_kind() == "error"
    assert [Decimal(p.price) for p in registry.prices_on(date(2026, 12, 1)) if p.code == "RAD-FLG"] == [Decimal("2500")]


# --- reference data -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """A signed package of a newer release and the temporary trusted keys folder."""
    from desktop.core.refbuild import build_reference
    from desktop.core.refpackage import build_package

    d = tmp_path_factory.mktemp("pkg")
    key = Ed25519PrivateKey.generate()
    keys = d / "keys"
    keys.mkdir()
    (keys / "publisher.pub").write_bytes(key.public_key().public_bytes(
        ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo))
    build_reference(newer_sources(d / "src"), d / "newer.sqlite")
    pem = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    manifest = build_package(d / "newer.sqlite", d / "update.zip", pem)
    return {"file": d / "update.zip", "keys": keys, "version": manifest["version"]}


@pytest.fixture
def refdata(qtbot, registry, db_path, reference_file, package, tr, clock):
    from desktop.core.refinstall import ensure_reference

    ensure_reference(db_path, reference_file)
    return open_dialog(qtbot, ReferenceDataDialog(registry, tr, clock, "admin", db_path, keys_dir=package["keys"],
                                                  ask=lambda *_: True))


def test_good_package_switches_the_release(qtbot, refdata, package):
    """Importing a signed newer package makes it the release in force and says so."""
    with qtbot.waitSignal(refdata.reference_changed, timeout=20000) as signal:
        refdata.import_file(package["file"])
    assert signal.args == [package["version"]]
    assert refdata.active_version() == package["version"]
    assert refdata.status_kind() == "ok"


def test_corrupt_package_shows_reason_and_changes_nothing(qtbot, refdata, ref, tmp_path):
    """A truncated file is refused with the reason shown; the release in force stays."""
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    refdata.import_file(bad)
    settled(qtbot, refdata)
    assert refdata.status_kind() == "error"
    assert "поврежден" in refdata.status.text()
    assert refdata.active_version() == ref.version and len(refdata.model.rows) == 1


def test_rollback_returns_to_the_previous_release(qtbot, refdata, package, ref):
    """After an import, Rollback puts the previous release back in force."""
    with qtbot.waitSignal(refdata.reference_changed, timeout=20000):
        refdata.import_file(package["file"])
    refdata.rollback_clicked()
    assert refdata.active_version() == ref.version


# --- backups -----------------------------------------------------------------------------------

def test_backup_writes_a_verified_copy(qtbot, registry, db_path, tr, clock, tmp_path):
    """Back up now writes a copy that passes the integrity check with the same accounts."""
    from desktop.store.db import integrity_counts

    dialog = open_dialog(qtbot, BackupDialog(registry, tr, clock, "admin", db_path))
    dialog.backup_to(tmp_path / "copy.sqlite")
    settled(qtbot, dialog)
    assert dialog.status_kind() == "ok"
    assert integrity_counts(tmp_path / "copy.sqlite")["app_user"] == 2


def test_restore_brings_back_the_backup(qtbot, registry, db_path, tr, clock, tmp_path):
    """Restoring a backup after confirmation replaces later changes by the copy's contents."""
    backups.backup(registry, tmp_path / "copy.sqlite", actor="admin", now=NOW)
    registry.create_user("late", "late-pass-01", full_name="Поздний", role="registrar", now=NOW, actor="admin")
    dialog = open_dialog(qtbot, BackupDialog(registry, tr, clock, "admin", db_path,
                                             choose_open=lambda _p: str(tmp_path / "copy.sqlite"),
                                             ask=lambda *_: True))
    with qtbot.waitSignal(dialog.restored, timeout=20000):
        dialog.restore_clicked()
    assert registry.get_user("late") is None


def test_registrar_cannot_back_up(qtbot, registry, db_path, tr, clock, tmp_path):
    """A registrar's backup is refused (PermissionDenied shown) and writes no file."""
    dialog = open_dialog(qtbot, BackupDialog(registry, tr, clock, "reg", db_path))
    dialog.backup_to(tmp_path / "copy.sqlite")
    settled(qtbot, dialog)
    assert dialog.status.text() == "Доступно только администратору."
    assert not (tmp_path / "copy.sqlite").exists()


# --- users and audit ----------------------------------------------------------------------------

def test_add_user_with_role(qtbot, registry, tr, clock):
    """Adding an account stores it with its role and lists it."""
    dialog = open_dialog(qtbot, UsersDialog(registry, tr, clock, "admin"))
    dialog.add_user("nurse", "Медсестра", "registrar", "nurse-pass-1")
    settled(qtbot, dialog)
    assert registry.get_user("nurse").role == "registrar" and "nurse" in dialog.model.column(0)


def test_deactivate_and_reset_password(qtbot, registry, tr, clock):
    """An administrator locks an account and resets another's password."""
    dialog = open_dialog(qtbot, UsersDialog(registry, tr, clock, "admin"))
    assert dialog.set_active("reg", False)
    assert registry.get_user("reg").active is False
    dialog.reset_password("admin", "new-secret")
    settled(qtbot, dialog)
    assert registry.verify_password("admin", "new-secret")


def test_registrar_cannot_change_accounts(qtbot, registry, tr, clock):
    """A registrar's users dialog is disabled and a direct lock is refused."""
    dialog = open_dialog(qtbot, UsersDialog(registry, tr, clock, "reg"))
    assert not dialog.body.isEnabled()
    assert not dialog.set_active("admin", False)
    assert registry.get_user("admin").active


def test_audit_filters_and_exports_csv(qtbot, registry, tr, clock, tmp_path):
    """Filtering by action shows only those entries; Export writes them as CSV."""
    registry.set_price("ECG", price="3100", valid_from=date(2026, 12, 1), actor="admin", now=NOW)
    dialog = open_dialog(qtbot, AuditDialog(registry, tr, clock, "admin", TODAY))
    dialog.set_filters(action="update")
    dialog.refresh()
    assert dialog.model.column(2) and all("изменил" in t for t in dialog.model.column(2))
    assert any("ECG" in t for t in dialog.model.column(2))
    dialog.export_to(tmp_path / "audit.csv")
    settled(qtbot, dialog)
    assert "price:ECG" in (tmp_path / "audit.csv").read_text(encoding="utf-8-sig")


def test_audit_page_reads_its_patients_and_documents_in_a_few_queries(qtbot, registry, tr, clock):
    """40 entries about 20 patients and 20 printed documents are described in words with the
    same number of database statements as 4 entries (no query per entry), the documents' kinds
    and the patients' names in the sentences."""
    import sqlalchemy as sa

    from tests.store.support import make_case

    def add(n):
        for i in range(n):
            pid = registry.save_patient(make_case(surname=f"Журналов{i}", given_name="Ерлан"),
                                        user="admin", now=NOW)
            number = registry.reserve_document_number(2026, NOW, kind="refusal", user="admin")
            registry.store_printed(number, "refusal", b"%PDF-1.4 test", lang="ru", user="admin",
                                   now=NOW, patient_id=pid)

    statements = []

    def count(*_args):
        statements.append(1)

    def refreshed(dialog):
        statements.clear()
        sa.event.listen(registry.engine, "before_cursor_execute", count)
        try:
            dialog.refresh()
        finally:
            sa.event.remove(registry.engine, "before_cursor_execute", count)
        return len(statements)

    dialog = open_dialog(qtbot, AuditDialog(registry, tr, clock, "admin", TODAY))
    add(2)
    few = refreshed(dialog)
    add(18)
    many = refreshed(dialog)
    sentences = dialog.model.column(2)
    assert many == few, (few, many)
    assert "Старший р. (admin) создал карту: Журналов17 Е." in sentences
    assert sum("Отказ" in t or "отказ" in t for t in sentences) >= 20


# --- worklist and export -------------------------------------------------------------------------

def saved_patient(registry, ref, name: str, **doc_dates) -> int:
    case = load_case(name)
    for doc in case["documents"]:
        if doc["kind"] in doc_dates:
            doc["valid_until"] = doc_dates[doc["kind"]]
    pid = registry.save_patient(case, user="reg", now=NOW)
    registry.record_decision(pid, decision_for(case, ref), user="reg", now=NOW)
    return pid


def test_worklist_lists_lapsing_contracts_and_sorts(qtbot, registry, ref, tr, clock):
    """A ДМС contract ending within 30 days is listed; the table sorts by any column."""
    saved_patient(registry, ref, "p04", dms_contract="2026-12-10")
    dialog = open_dialog(qtbot, WorklistDialog(registry, ref, tr, clock, "reg", TODAY, days=30))
    assert dialog.body.isEnabled()
    assert ref.document_kind_name("dms_contract", "ru") in dialog.model.column(3)
    dialog.view.sortByColumn(0, Qt.DescendingOrder)
    names = [dialog.view.model().index(r, 0).data() for r in range(dialog.view.model().rowCount())]
    assert names == sorted(names, key=str.casefold, reverse=True) and names


def test_worklist_of_many_patients_shows_each_name_whole(qtbot, registry, ref, tr, clock):
    """A long call list at the dialog's own size (within a 1024×768 screen): every name whole,
    one line a patient; what ends is cut in its middle if at all, so «(ДМС)» still shows, and
    its tip says it whole."""
    long_names = [("Мұхаметқалиқызы", "Гүлнұр", "Сейітқалиқызы"),
                  ("Иванова-Петрова", "Екатерина", "Александровна"), ("Ли", "Ан", None)]
    for i in range(60):
        case = load_case("p04")
        case["person"]["surname"], case["person"]["given_name"], case["person"]["patronymic"] = \
            long_names[i % 3]
        for doc in case["documents"]:
            doc["number"] = f"{doc.get('number') or 'N'}{i}"
            if doc["kind"] == "dms_contract":
                doc["valid_until"] = f"2026-12-{1 + i % 20:02d}"
        registry.save_patient(case, user="reg", now=NOW)
    dialog = open_dialog(qtbot, WorklistDialog(registry, ref, tr, clock, "reg", TODAY, days=30))
    assert dialog.width() <= 1000 and dialog.model.rowCount() >= 60
    view, fm = dialog.view, dialog.view.fontMetrics()
    names = dialog.model.column(0)
    assert view.columnWidth(0) >= max(fm.horizontalAdvance(n) for n in names) + 6
    assert not view.wordWrap() and view.textElideMode() == Qt.ElideMiddle
    index = view.model().index(0, 3)
    assert index.data(Qt.ToolTipRole) == index.data() == ref.document_kind_name("dms_contract", "ru")
    assert view.rowHeight(0) < 2 * fm.lineSpacing()


def test_export_writes_files_once_unless_again(qtbot, registry, ref, tr, clock, tmp_path):
    """Export writes CSV and JSON of allowed attachments; a second run has nothing, "again" rewrites."""
    saved_patient(registry, ref, "p01")
    dialog = open_dialog(qtbot, ExportDialog(registry, tr, clock, "admin", folder=tmp_path))
    counts = []
    for again in (False, False, True):
        dialog.again.setChecked(again)
        dialog.export()
        settled(qtbot, dialog)
        counts.append(dialog._status[2].get("n", 0))
    assert counts == [1, 0, 1]
    assert len(list(tmp_path.glob("attachments-*.json"))) == 1


# --- menu and language ---------------------------------------------------------------------------

def test_registrar_menu_has_no_admin_actions(qtbot, registry, ref, db_path, tr, clock):
    """For a registrar the menu offers only the worklist and the reports (where the registrar
    is offered the journal and the lapsing bases only: tests/gui/test_reports.py)."""
    menu = AdminMenu(None, registry, ref, db_path, "reg", tr, clock, TODAY)
    visible = [n for n, a in menu.actions.items() if a.isVisible()]
    assert visible == ["worklist", "reports"]


def test_admin_menu_offers_everything(qtbot, registry, ref, db_path, tr, clock):
    """For an administrator every entry is offered and opens its dialog."""
    menu = AdminMenu(None, registry, ref, db_path, "admin", tr, clock, TODAY)
    assert all(a.isVisible() for a in menu.actions.values())
    dialog = menu.open("prices")
    qtbot.addWidget(dialog)
    assert isinstance(dialog, PriceEditor) and dialog.body.isEnabled()


def test_language_switch_retranslates_menu_and_dialogs(qtbot, registry, ref, db_path, tr, clock):
    """Switching to Kazakh relabels the menu, an open dialog and the service names from ref."""
    menu = AdminMenu(None, registry, ref, db_path, "admin", tr, clock, TODAY)
    dialog = menu.open("prices")
    qtbot.addWidget(dialog)
    menu.retranslate(Tr("kk"))
    assert menu.menu.title() == "&Әкімшілік" and menu.actions["prices"].text() == "&Ақылы қызметтер прейскуранты…"
    assert dialog.windowTitle() == "Ақылы қызметтер прейскуранты"
    assert "Кеуде қуысы ағзаларының флюорографиясы" in dialog.model.column(1)
