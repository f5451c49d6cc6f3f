"""Администрирование → Отчёты: a report run off the GUI thread, its tables (sortable, the
totals under them), its charts, the patients behind a figure and from there the card, export."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest

from desktop.gui.admin.reports import ChartWidget, PatientsDialog, ReportsDialog

try:
    from .conftest_extra import NOW, TODAY, clock, db_path, decision_for, load_case, registry, tr  # noqa: F401
except ImportError:
    from conftest_extra import NOW, TODAY, clock, db_path, decision_for, load_case, registry, tr  # noqa: F401

CASES = ("p01", "p02", "p04", "p05", "p06", "p07")


@pytest.fixture
def decided(registry, ref):
    """Six patients decided by the core on three days of November: the statuses counted here."""
    statuses = {}
    for i, name in enumerate(CASES):
        case = load_case(name)
        moment = NOW - timedelta(days=i % 3)
        pid = registry.save_patient(case, user="reg", now=moment)
        decision = decision_for(case, ref)
        registry.record_decision(pid, decision, user="reg", now=moment)
        statuses[pid] = (decision["category"], decision["attachment"]["status"], moment.date())
    return statuses


def run(qtbot, dialog, name, **dates):
    dialog.select(name)
    for key, value in dates.items():
        getattr(dialog, key).setDate(QDate(value.year, value.month, value.day))
    dialog.run_button.click()
    qtbot.waitUntil(lambda: not dialog.worker.busy(), timeout=30000)
    assert dialog.status_kind() == "ok", dialog.status.text()


def test_summary_on_screen_with_charts_and_people_behind_a_total(qtbot, registry, ref, tr, clock, decided):
    dialog = ReportsDialog(registry, ref, tr, clock, "admin", TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    run(qtbot, dialog, "summary", start=date(2026, 11, 1), end=TODAY)
    result = dialog.result
    assert result["totals"]["total"] == len(decided)
    view, totals = dialog.views["results"]
    assert view.model().rowCount() == len(result["rows"])
    # sortable: by the total column, descending
    col = [c["key"] for c in result["columns"]].index("total")
    view.sortByColumn(col, Qt.DescendingOrder)
    shown = [int(view.model().index(r, col).data()) for r in range(view.model().rowCount())]
    assert shown == sorted(shown, reverse=True)
    # the charts of the summary: bars on the first tab, the line on the days tab
    charts = dialog.findChildren(ChartWidget)
    assert {c.series["kind"] for c in charts} == {"bars", "line"}
    bars = next(c for c in charts if c.series["kind"] == "bars")
    assert sum(sum(vs) for _, vs in bars.series["series"]) == len(decided)
    # Enter on the "allowed" total: the patients allowed, counted here from the decisions
    allowed_col = [c["key"] for c in result["columns"]].index("allowed")
    totals.setFocus()
    totals.setCurrentIndex(totals.model().index(0, allowed_col))
    QTest.keyClick(totals, Qt.Key_Return)
    people = dialog.patients_dialog
    assert isinstance(people, PatientsDialog)
    expected = {pid for pid, (_c, status, _d) in decided.items() if status == "allowed"}
    listed = {people.model.rows[i][2] for i in range(people.model.rowCount())}
    assert listed == expected and expected
    # from the list, the card
    opened = []
    dialog.open_patient.connect(opened.append)
    people.view.setFocus()
    people.view.setCurrentIndex(people.view.model().index(0, 0))
    QTest.keyClick(people.view, Qt.Key_Return)
    assert opened and opened[0] in expected
    # a row's cell: the patients of that category and channel
    first = result["rows"][0]
    view.sortByColumn(col, Qt.DescendingOrder)
    idx = view.model().index(0, col)
    view.doubleClicked.emit(idx)
    row = result["rows"][idx.data(Qt.UserRole)]
    listed = {dialog.patients_dialog.model.rows[i][2] for i in range(dialog.patients_dialog.model.rowCount())}
    assert listed == {pid for pid, (c, _s, _d) in decided.items() if c == row["category"]}
    assert first is not None


def test_export_buttons_write_the_three_files(qtbot, registry, ref, tr, clock, decided, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    dialog = ReportsDialog(registry, ref, tr, clock, "admin", TODAY,
                           choose_save=lambda parent, suggested, pattern: str(tmp_path / suggested))
    qtbot.addWidget(dialog)
    run(qtbot, dialog, "summary", start=date(2026, 11, 1), end=TODAY)
    for fmt in ("csv", "xlsx", "pdf"):
        dialog.exports[fmt].click()
        qtbot.waitUntil(lambda: not dialog.worker.busy(), timeout=30000)
        assert dialog.status_kind() == "ok", dialog.status.text()
    files = sorted(p.suffix for p in tmp_path.iterdir())
    assert files == [".csv", ".pdf", ".xlsx"]
    assert (tmp_path / "summary-2026-11-01_2026-11-22.pdf").read_bytes().startswith(b"%PDF")


def test_registrar_sees_journal_and_lapsing_only_and_runs_the_journal(qtbot, registry, ref, tr, clock, decided):
    dialog = ReportsDialog(registry, ref, tr, clock, "reg", TODAY)
    qtbot.addWidget(dialog)
    assert dialog.names == ["journal", "lapsing"]
    assert dialog.body.isEnabled()
    run(qtbot, dialog, "journal", on=TODAY)
    expected = sum(1 for _c, _s, d in decided.values() if d == TODAY)
    assert dialog.views["journal"][0].model().rowCount() == expected
    assert dialog.result["totals"]["decisions"] == expected
    entries = registry.audit_entries(action="report")
    assert entries[0].user == "reg" and entries[0].object == "report:journal"


def test_cancel_stops_the_run(qtbot, registry, ref, tr, clock, decided):
    dialog = ReportsDialog(registry, ref, tr, clock, "admin", TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.select("summary")
    # a cancel asked before the first step: the engine stops at its first check
    from desktop.services import run_report
    from desktop.store.reports import ReportCancelled

    with pytest.raises(ReportCancelled):
        run_report(registry, "summary", {"from": "2026-11-01", "to": "2026-11-22"}, user="admin",
                   now=NOW, cancelled=lambda: True)
    dialog.run_button.click()
    assert dialog.progress.isVisible() and dialog.cancel_button.isEnabled()
    dialog.cancel_button.click()   # the worker checks between its steps
    qtbot.waitUntil(lambda: not dialog.worker.busy(), timeout=30000)
    assert dialog.status.text() == tr("reports.cancelled") and dialog.result is None
    assert not dialog.progress.isVisible() and dialog.run_button.isEnabled()


def test_kazakh_headings(qtbot, registry, ref, clock, decided):
    from desktop.gui.i18n import Tr

    dialog = ReportsDialog(registry, ref, Tr("kk"), clock, "admin", TODAY)
    qtbot.addWidget(dialog)
    run(qtbot, dialog, "summary", start=date(2026, 11, 1), end=TODAY)
    assert dialog.tabs.tabText(0) == "Санаттар, нәтиже және арна бойынша өтініштер"
    view = dialog.views["results"][0]
    assert view.model().headerData(0, Qt.Horizontal) == "санат"
    assert dialog.choice.currentText() == "Кезең қорытындысы"
