"""The desk on a clinic's small screen (issue 21 item 2): at 1024×768 every input of the card
(the widgets carrying the property `field`) can be scrolled into view, lies inside the window
with no horizontal scrolling, and is at least as wide as its content."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit

from tests.gui.conftest import case_of


def _inputs(root):
    return [w for w in root.findChildren(QWidgetType()) if w.property("field") and w.isVisibleTo(root)]


def QWidgetType():
    from PySide6.QtWidgets import QWidget

    return QWidget


def _settle(qtbot):
    for _ in range(4):
        QApplication.processEvents()
    qtbot.wait(10)


@pytest.mark.parametrize("size", [(1024, 768), (1280, 1024), (1366, 768), (1920, 1080)])
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_card_input_is_reachable_and_wide_enough(qtbot, window, size, lang):
    window.switch_language(lang)
    window.new_patient()          # the card in front (on a narrow screen the desk opens on search)
    case = case_of("p04")
    case["person"].update({"iin": "900505300013", "latin_name": "TESTOV TEST", "phone": "+7 701 000 00 00"})
    window.form.set_case(case)
    window.resize(*size)
    _settle(qtbot)
    assert window.width() == size[0]
    scroll = window.form_scroll
    assert scroll.horizontalScrollBar().maximum() == 0, "the card needs horizontal scrolling"
    window_rect = QRect(QPoint(0, 0), window.size())
    inputs = _inputs(window.form)
    assert len(inputs) > 15
    problems = []
    for w in inputs:
        scroll.ensureWidgetVisible(w, 0, 0)
        _settle(qtbot)
        where = f"{w.property('field')} ({type(w).__name__})"
        if not w.isVisible():
            problems.append(f"{where}: hidden")
            continue
        rect = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
        viewport = QRect(scroll.viewport().mapTo(window, QPoint(0, 0)), scroll.viewport().size())
        shown = w.visibleRegion().boundingRect()
        if not window_rect.contains(rect) or shown.height() < w.height() - 8 or shown.width() < w.width():
            problems.append(f"{where}: off screen at {rect.getRect()}, {shown.getRect()} of it shown "
                            f"(viewport {viewport.getRect()})")
        if w.width() < min(w.minimumSizeHint().width(), 120):
            problems.append(f"{where}: {w.width()} px, narrower than its minimum {w.minimumSizeHint().width()}")
        text = w.currentText() if isinstance(w, QComboBox) else w.text() if isinstance(w, QLineEdit) else ""
        if text:
            needed = w.fontMetrics().horizontalAdvance(text) + (34 if isinstance(w, QComboBox) else 10)
            if w.width() < needed:
                problems.append(f"{where}: {w.width()} px for «{text}» ({needed} px needed)")
    assert not problems, "\n".join(problems)
    window.dirty = False


def test_at_1024_the_search_folds_into_a_tab_and_ctrl_f_shows_it(qtbot, window):
    from PySide6.QtCore import Qt

    window.resize(1024, 768)
    _settle(qtbot)
    assert window.tabs.indexOf(window.search) >= 0
    window.tabs.setCurrentWidget(window.form_scroll)
    window.activateWindow()
    qtbot.keyClick(window.form.surname, Qt.Key_F, Qt.ControlModifier)
    _settle(qtbot)
    assert window.tabs.currentWidget() is window.search and window.search.query.hasFocus()
    window.resize(1600, 900)
    _settle(qtbot)
    assert window.tabs.indexOf(window.search) < 0 and window.splitter.indexOf(window.search) == 0
    assert window.search.isVisible()


def test_a_window_already_narrow_when_the_registry_opens_folds_the_search(qtbot, registry, ref,
                                                                           settings, clock):
    """The window is shown (at the clinic screen's 1024 px) before the registry is open; the
    desk built then folds the search into a tab at once, without waiting for a resize."""
    from desktop.gui.desk.main_window import MainWindow
    from tests.gui.conftest import TODAY

    window = MainWindow(None, ref, settings, clock, TODAY)
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    qtbot.waitExposed(window)
    window.attach(registry, ref)
    assert window.tabs.indexOf(window.search) >= 0   # at once: no resize event is coming
    _settle(qtbot)
    assert window.tabs.indexOf(window.search) >= 0
    assert window.form_scroll.horizontalScrollBar().maximum() == 0


def test_a_first_start_on_a_small_screen_takes_the_screen_not_more(qtbot, ref, settings, clock):
    """No saved size and a screen smaller than the desk's first size (the offscreen screen is
    800×600, a clinic's 1024×768): the window fits the screen instead of running off it."""
    from PySide6.QtGui import QGuiApplication

    from desktop.gui.desk.main_window import MainWindow
    from tests.gui.conftest import TODAY

    room = QGuiApplication.primaryScreen().availableGeometry()
    assert room.width() < MainWindow.FIRST_SIZE[0]
    window = MainWindow(None, ref, settings, clock, TODAY)
    qtbot.addWidget(window)
    assert window.width() <= room.width() and window.height() <= room.height()


@pytest.mark.parametrize("size", [(1024, 768), (1366, 768), (1920, 1080)])
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_document_kind_reads_in_a_few_lines(qtbot, window, size, lang):
    """The documents table: each kind's name, the longest included («…азаматтық-құқықтық
    сипаттағы шарт»), wraps in at most four lines and no word is cut; columns nobody on the
    card fills (issue date, ПМСП cover of a contract) give their room to it, and come back when
    a document has one."""
    window.switch_language(lang)
    window.new_patient()
    window.resize(*size)
    _settle(qtbot)
    view, model, ref = window.form.documents_view, window.form.documents, window.ref
    kinds = list(ref.document_kinds)
    problems = []
    for issued, start in [(i, s) for i in (None, "2020-01-01") for s in range(0, len(kinds), 3)]:
        case = case_of("p04")
        case["documents"] = [{"kind": k, "number": "N1234567", "country": "UZ", "issued_on": issued,
                              "valid_from": "2026-01-01", "valid_until": "2027-01-01"}
                             for k in kinds[start:start + 3]]
        if issued:              # every column shown: an insurance contract among them too
            case["documents"].append({"kind": "dms_contract", "number": "D1", "covers_phc": True,
                                      "issued_on": issued, "valid_until": "2027-01-01"})
        window.form.set_case(case)
        window.tabs.setCurrentWidget(window.form_scroll) if window.tabs.indexOf(window.search) >= 0 else None
        _settle(qtbot)
        assert view.isColumnHidden(model.COLUMNS.index("issued_on")) == (issued is None)
        fm = view.fontMetrics()
        width = view.columnWidth(0) - 8
        for row, kind in enumerate(kinds[start:start + 3]):
            name = ref.document_kind_name(kind, lang)
            pieces = [p for word in name.split() for p in word.replace("-", "- ").split()]
            widest = max(fm.horizontalAdvance(p) for p in pieces)
            lines = (view.rowHeight(row) - 6) // fm.lineSpacing()      # as the table laid it out
            if widest > width or lines > 4 or view.rowHeight(row) < view.sizeHintForRow(row):
                problems.append(f"{kind}: {lines} lines in {width} px (widest part {widest} px), "
                                f"row {view.rowHeight(row)} px")
    assert not problems, "\n".join(problems)
    case = case_of("p04")
    case["documents"] = [{"kind": "passport", "number": "N1", "issued_on": "2020-01-01"}]
    window.form.set_case(case)
    _settle(qtbot)
    assert not view.isColumnHidden(model.COLUMNS.index("issued_on"))
    window.dirty = False
