"""Printing at the desk: the service picker, the preview of real PDF pages, numbering only on
confirmation, the stored exact bytes and re-printing them."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt

from desktop import documents, services
from desktop.gui.i18n import Tr
from desktop.gui.printing.preview import PREVIEW_NUMBER, PrintDialog, PrintPanel, PrintRequest
from desktop.gui.printing.picker import ServicePicker
from tests.gui.helpers import pdf_printer

try:
    from .conftest_extra import NOW, TODAY, clock, db_path, decision_for, load_case, registry, tr  # noqa: F401
except ImportError:
    from conftest_extra import NOW, TODAY, clock, db_path, decision_for, load_case, registry, tr  # noqa: F401


def type_text(widget, text: str) -> None:
    """Type any text (Cyrillic too: QTest.keyClicks knows only ASCII) as real key events."""
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        for kind in (QKeyEvent.KeyPress, QKeyEvent.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.NoModifier, ch))


def pdf_text(data: bytes) -> str:
    import io

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def picker(qtbot, registry, ref, tr):
    prices = services.clinic_prices(registry, ref, TODAY)
    p = ServicePicker(prices, ref, tr, TODAY, exam=documents.exam_lines(ref, TODAY))
    qtbot.addWidget(p)
    p.show()
    return p


def make_panel(qtbot, registry, ref, tr, clock, name, tmp_path, lang="ru", **case_extra):
    case = dict(load_case(name), **case_extra)
    panel = PrintPanel(registry, ref, tr, clock, "reg", choose_printer=pdf_printer(tmp_path / "printer.pdf"),
                       choose_path=lambda _parent, _suggested: str(tmp_path / "saved.pdf"))
    qtbot.addWidget(panel)
    panel.set_context(case, decision_for(case, ref, lang))
    panel.show()
    return panel


def wait_ready(qtbot, dialog):
    qtbot.waitUntil(lambda: dialog.pdf is not None and not dialog.worker.busy() and dialog.print_button.isEnabled(),
                    timeout=20000)


# --- service picker ------------------------------------------------------------------------------

def test_typing_filters_by_code_or_name(qtbot, picker):
    """Typing part of a name (any case) leaves only the services that contain it."""
    type_text(picker.search, "анализ")
    codes = {picker.proxy.data(picker.proxy.index(r, 0)) for r in range(picker.proxy.rowCount())}
    assert codes == {"LAB-CBC", "LAB-UA"}


def test_enter_adds_typed_services_and_total_is_exact(qtbot, picker):
    """Code typed + Enter adds a line; Enter again adds one more; the total is exact in Decimal."""
    qtbot.keyClicks(picker.search, "CONS-SPEC")
    qtbot.keyClick(picker.search, Qt.Key_Return)
    qtbot.keyClick(picker.search, Qt.Key_Return)
    picker.search.clear()
    qtbot.keyClicks(picker.search, "lab-cbc")
    for _ in range(3):
        qtbot.keyClick(picker.search, Qt.Key_Return)
    assert picker.lines() == [("CONS-SPEC", Decimal(2)), ("LAB-CBC", Decimal(3))]
    assert picker.total() == Decimal("22400.00")
    assert "22 400,00" in picker.total_label.text()


def test_quantity_edited_with_spin_box_updates_total(qtbot, picker):
    """Editing the quantity through its spin box changes the line and the running total."""
    qtbot.keyClicks(picker.search, "ECG")
    qtbot.keyClick(picker.search, Qt.Key_Return)
    index = picker.estimate.index(0, picker.estimate.COLUMNS.index("qty"))
    picker.chosen.setCurrentIndex(index)
    picker.chosen.edit(index)
    spin = picker.chosen.indexWidget(index) or picker.chosen.focusWidget()
    spin.setValue(4)
    picker.chosen.commitData(spin)
    assert picker.total() == Decimal("12000.00")


def test_delete_removes_a_line(qtbot, picker):
    """Delete in the chosen lines removes the selected one and the total drops."""
    for code in ("ECG", "LAB-UA"):
        picker.search.clear()
        qtbot.keyClicks(picker.search, code)
        qtbot.keyClick(picker.search, Qt.Key_Return)
    picker.chosen.setFocus()
    picker.chosen.selectRow(0)
    qtbot.keyClick(picker.chosen, Qt.Key_Delete)
    assert picker.lines() == [("LAB-UA", Decimal(1))]
    assert picker.total() == Decimal("1500.00")


def test_empty_estimate_is_not_accepted(qtbot, picker):
    """Accepting with no lines keeps the picker open and says why."""
    picker.accept()
    assert picker.isVisible() and not picker.error.isHidden()


def test_exam_is_prefilled_when_required(qtbot, registry, ref, tr, clock, tmp_path):
    """A worker without the HIV/TB certificate (p05): the picker opens with the R665 p.13 exam."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p05", tmp_path)
    panel.open_kind("estimate")
    assert [c for c, _ in panel.picker.lines()] == ["RAD-FLG", "LAB-HIV", "LAB-TPHA"]
    assert panel.picker.total() == Decimal("8500.00")


def test_exam_action_adds_the_three_services(qtbot, picker):
    """The exam action adds fluorography, the HIV test and the treponemal test once."""
    picker.exam_button.click()
    picker.exam_button.click()
    assert picker.lines() == [("RAD-FLG", Decimal(1)), ("LAB-HIV", Decimal(1)), ("LAB-TPHA", Decimal(1))]


def test_cis_visitor_sees_the_prepayment_note(qtbot, registry, ref, tr, clock, tmp_path):
    """A CIS visitor's planned care (p07): the picker shows the prepayment note, no exam pre-filled."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p07", tmp_path)
    panel.open_kind("estimate")
    assert not panel.picker.note.isHidden()
    assert ref.warnings["prepayment_required"]["ru"] in panel.picker.note.text()
    assert panel.picker.lines() == []


# --- print panel -------------------------------------------------------------------------------

def test_allowed_decision_offers_slip_not_refusal(qtbot, registry, ref, tr, clock, tmp_path):
    """An allowed attachment (p01) shows the slip and the estimate, not the refusal."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p01", tmp_path)
    assert panel.buttons["slip"].isVisible() and panel.buttons["estimate"].isVisible()
    assert not panel.buttons["refusal"].isVisible()


def test_not_allowed_decision_offers_refusal_not_slip(qtbot, registry, ref, tr, clock, tmp_path):
    """A refused attachment (p06) shows the refusal, never the slip."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p06", tmp_path)
    assert panel.buttons["refusal"].isVisible() and not panel.buttons["slip"].isVisible()


def test_referral_needs_a_purpose(qtbot, registry, ref, tr, clock, tmp_path):
    """The referral button is usable only when the case names the referral's purpose."""
    without = make_panel(qtbot, registry, ref, tr, clock, "p01", tmp_path)
    with_purpose = make_panel(qtbot, registry, ref, tr, clock, "p01", tmp_path,
                              referral={"purpose": "consultation"})
    assert not without.buttons["referral"].isEnabled()
    assert with_purpose.buttons["referral"].isEnabled()


# --- preview, print, save ------------------------------------------------------------------------

def test_preview_shows_real_pages_without_a_number(qtbot, registry, ref, tr, clock, tmp_path):
    """The preview renders the real PDF (pages > 0) marked ПРЕДПРОСМОТР, and stores nothing."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p06", tmp_path)
    panel.open_kind("refusal")
    dialog = panel.dialog
    wait_ready(qtbot, dialog)
    assert dialog.preview.page_count() > 0 and dialog.is_preview()
    assert PREVIEW_NUMBER["ru"] in pdf_text(dialog.pdf)
    assert registry.audit_entries(action="print") == []


def test_two_clicks_from_decision_to_printer(qtbot, registry, ref, tr, clock, tmp_path):
    """Click the kind, then Print (focused, default): the document is printed and stored."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p01", tmp_path)
    qtbot.mouseClick(panel.buttons["slip"], Qt.LeftButton)
    dialog = panel.dialog
    wait_ready(qtbot, dialog)
    assert dialog.focusWidget() is dialog.print_button and dialog.print_button.isDefault()
    with qtbot.waitSignal(dialog.done, timeout=20000):
        qtbot.mouseClick(dialog.print_button, Qt.LeftButton)
    assert registry.get_printed("2026-000001").kind == "slip"
    assert len(PdfReader(tmp_path / "printer.pdf").pages) == dialog.preview.page_count()


def test_print_stores_the_exact_pdf_and_numbers_advance(qtbot, registry, ref, tr, clock, tmp_path):
    """Each confirmed print takes the next number and keeps the exact bytes shown."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p06", tmp_path)
    numbers = []
    for _ in range(2):
        dialog = panel.open_preview(panel._request("refusal"))
        wait_ready(qtbot, dialog)
        with qtbot.waitSignal(dialog.printed, timeout=20000) as signal:
            dialog.print_clicked()
        qtbot.waitUntil(lambda: not dialog.worker.busy(), timeout=20000)
        numbers.append(signal.args[0])
        assert registry.get_printed(signal.args[0]).pdf == dialog.pdf
        dialog.reject()
    assert numbers == ["2026-000001", "2026-000002"]


def test_closing_the_preview_takes_no_number(qtbot, registry, ref, tr, clock, tmp_path):
    """A preview closed without printing spends no number: the next print is still № 1."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p06", tmp_path)
    panel.open_kind("refusal")
    wait_ready(qtbot, panel.dialog)
    panel.dialog.reject()
    case = load_case("p06")
    printed = services.print_document(registry, ref, kind="refusal", case=case, decision=decision_for(case, ref),
                                      lang="ru", on=TODAY, now=NOW, user="reg")
    assert printed.number == "2026-000001"


def test_save_as_pdf_writes_the_numbered_bytes(qtbot, registry, ref, tr, clock, tmp_path):
    """Save as PDF takes the number once and writes exactly the stored bytes."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p06", tmp_path)
    dialog = panel.open_preview(panel._request("refusal"))
    wait_ready(qtbot, dialog)
    with qtbot.waitSignal(dialog.done, timeout=20000):
        dialog.save_clicked()
    saved = (tmp_path / "saved.pdf").read_bytes()
    assert saved == registry.get_printed("2026-000001").pdf
    assert "2026-000001" in pdf_text(saved)


def test_estimate_from_picker_prints_exact_total(qtbot, registry, ref, tr, clock, tmp_path):
    """Picker → preview → print: the stored estimate carries the picked lines' exact total."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p07", tmp_path)
    picker = panel.open_kind("estimate") or panel.picker
    for code, times in (("CONS-SPEC", 2), ("LAB-CBC", 3)):
        picker.search.clear()
        qtbot.keyClicks(picker.search, code)
        for _ in range(times):
            qtbot.keyClick(picker.search, Qt.Key_Return)
    picker.accept()
    dialog = panel.dialog
    wait_ready(qtbot, dialog)
    with qtbot.waitSignal(dialog.done, timeout=20000):
        dialog.print_clicked()
    assert "22 400,00" in pdf_text(registry.get_printed("2026-000001").pdf)


def test_reprint_from_history_shows_and_prints_identical_bytes(qtbot, registry, ref, tr, clock, tmp_path):
    """A stored document re-opened by number shows its exact bytes and prints with no new number."""
    case = load_case("p06")
    first = services.print_document(registry, ref, kind="refusal", case=case, decision=decision_for(case, ref),
                                    lang="ru", on=TODAY, now=NOW, user="reg")
    dialog = PrintDialog(registry, ref, tr, clock, "reg", number=first.number,
                         choose_printer=pdf_printer(tmp_path / "again.pdf"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.pdf == first.pdf and not dialog.is_preview()
    with qtbot.waitSignal(dialog.done, timeout=20000):
        dialog.print_clicked()
    assert registry.audit_entries(action="print")[0].object == f"printed:{first.number}"
    assert len(registry.audit_entries(action="print")) == 1
    assert registry.audit_entries(action="reprint")[0].object == f"printed:{first.number}"


def test_render_failure_is_shown_not_raised(qtbot, registry, ref, tr, clock):
    """A document that cannot be made (slip for a refused patient) shows the reason; Print stays off."""
    case = load_case("p06")
    request = PrintRequest("slip", case, decision_for(case, ref), "ru", TODAY)
    dialog = PrintDialog(registry, ref, tr, clock, "reg", request)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.last_error is not None, timeout=20000)
    assert "slip" in dialog.banner.text() and not dialog.print_button.isEnabled()


# --- language --------------------------------------------------------------------------------------

def test_language_switch_retranslates_panel_and_picker(qtbot, registry, ref, tr, clock, tmp_path):
    """Switching to Kazakh relabels the print buttons and the open picker, service names included."""
    panel = make_panel(qtbot, registry, ref, tr, clock, "p05", tmp_path)
    panel.open_kind("estimate")
    panel.retranslate(Tr("kk"))
    assert panel.buttons["estimate"].text() == "Смета"
    assert panel.buttons["refusal"].text() == "Не әкелу керек"
    assert panel.picker.windowTitle() == "Смета: қызметтерді таңдау"
    name = panel.picker.estimate.data(panel.picker.estimate.index(0, 1))
    assert name == "Кеуде қуысы ағзаларының флюорографиясы"


def test_the_preview_and_the_wide_dialogs_fit_the_screen(qtbot, registry, ref, tr, clock):
    """The preview asks 960 px of height and the reports 1180 px of width: on the screen the
    desk has (800×800 here, 1024×768 at clinics) each is shown whole, its buttons on screen."""
    from PySide6.QtCore import QRect

    from desktop.gui.admin.reports import ReportsDialog

    case = load_case("p04")
    request = PrintRequest("slip", case, decision_for(case, ref), "ru", TODAY)
    for dialog in (PrintDialog(registry, ref, tr, clock, "reg", request),
                   ReportsDialog(registry, ref, tr, clock, "admin", TODAY)):
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(dialog.isVisible)
        room = dialog.screen().availableGeometry()
        assert room.contains(dialog.frameGeometry()), (type(dialog).__name__, dialog.frameGeometry(), room)
        from PySide6.QtWidgets import QPushButton

        for button in dialog.findChildren(QPushButton):
            if button.isVisible():
                where = QRect(button.mapToGlobal(button.rect().topLeft()), button.size())
                assert room.contains(where), (type(dialog).__name__, button.text(), where, room)
        dialog.close()
