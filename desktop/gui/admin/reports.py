"""Администрирование → Отчёты: any report of desktop/store/reports on screen.

The report, its day or period, «Сформировать»: the report runs on the worker thread (a
progress bar, «Отменить» stops it between steps), then each section is a tab — a sortable
table over a model with the section's totals in a row under it, and for the period summary
its charts (bars by category and result, the line of applications per day) drawn with
QPainter in shades readable in grey. Double-click or Enter on a figure (a cell of a row or a
total) opens the list of patients behind it; from there, the card. Export: CSV, XLSX, PDF
with the same columns and totals (services.render_report). Registrars see the journal and the
lapsing bases; the rest is offered to administrators (and checked again by services.run_report).
"""
from __future__ import annotations

import threading
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (QComboBox, QDateEdit, QDialog, QFileDialog, QHBoxLayout,
                               QHeaderView, QLabel, QProgressBar, QPushButton, QTabWidget,
                               QVBoxLayout, QWidget)

from desktop.gui.admin.base import AdminDialog, RowsModel, SORT_ROLE, dmy, now_of, table, today_of
from desktop.gui.widgets import FitsScreen

SHADES = ("#202020", "#8C8C8C", "#D9D9D9", "#555555", "#B0B0B0")


def shown(value, typ: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%H:%M") if typ == "datetime" else dmy(value)
    if isinstance(value, date):
        return dmy(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ")
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    return str(value)


def sort_value(value):
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value if isinstance(value, (int, float)) else str(value).casefold()


class SectionModel(QAbstractTableModel):
    """One section's rows (or its one totals row): what is shown, how it sorts, and the raw
    row behind each line (for the patients behind a figure)."""

    def __init__(self, section: dict, rows: list[dict], label: Callable, lang: str, parent=None):
        super().__init__(parent)
        self.section, self.rows, self.label, self.lang = section, rows, label, lang
        self.columns = section["columns"]

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.columns[section][self.lang]
        return None

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        col = self.columns[index.column()]
        value = self.rows[index.row()].get(col["key"])
        if role == Qt.DisplayRole:
            if col["type"] in ("int", "money", "date", "datetime"):
                return shown(value, col["type"])
            if col.get("plain"):
                return "" if value is None else str(value)
            text = self.label(self.section["key"], col["key"], value, self.lang)
            return "" if text is None else str(text)
        if role == SORT_ROLE:
            return sort_value(value)
        if role == Qt.UserRole:
            return index.row()
        if role == Qt.TextAlignmentRole and col["type"] in ("int", "money"):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None


class ChartWidget(QWidget):
    """Bars (one group a category, one bar a result) or a line (applications per day), drawn
    with QPainter: black outlines, three clearly different greys, values on the bars."""

    def __init__(self, series: dict, parent=None):
        super().__init__(parent)
        self.series = series
        self.setMinimumHeight(190)
        self.setObjectName("reportChart")

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt
        data = self.series
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        font = QFont(self.font())
        font.setPointSizeF(8)
        p.setFont(font)
        w, h = self.width(), self.height()
        legend_w = 190 if data["kind"] == "bars" else 0
        left, right, top, bottom = 44, 12 + legend_w, 12, 46
        plot = QRectF(left, top, max(10, w - left - right), max(10, h - top - bottom))
        values = [v for _, vs in data["series"] for v in vs] or [0]
        peak = max(values) or 1
        step = _nice_step(peak)
        ymax = step * (int(peak // step) + 1)
        grid = QPen(QColor("#C8C8C8"))
        for i in range(int(ymax // step) + 1):
            y = plot.bottom() - plot.height() * (i * step) / ymax
            p.setPen(grid)
            p.drawLine(int(plot.left()), int(y), int(plot.right()), int(y))
            p.setPen(QColor("#000000"))
            p.drawText(QRectF(0, y - 8, left - 4, 16), Qt.AlignRight | Qt.AlignVCenter, str(i * step))
        p.setPen(QPen(QColor("#000000"), 1))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        labels = data["labels"]
        n = max(1, len(labels))
        if data["kind"] == "bars":
            group_w = plot.width() / n
            k = max(1, len(data["series"]))
            bar_w = max(3.0, group_w * 0.8 / k)
            for gi, name in enumerate(labels):
                x0 = plot.left() + gi * group_w + group_w * 0.1
                for si, (_sname, vs) in enumerate(data["series"]):
                    v = vs[gi]
                    bh = plot.height() * v / ymax
                    r = QRectF(x0 + si * bar_w, plot.bottom() - bh, bar_w - 1, bh)
                    p.setPen(QPen(QColor("#000000"), 0.8))
                    p.setBrush(QColor(SHADES[si % len(SHADES)]))
                    p.drawRect(r)
                    if v:
                        p.drawText(QRectF(r.left() - 6, r.top() - 14, r.width() + 12, 13),
                                   Qt.AlignCenter, str(v))
                p.drawText(QRectF(plot.left() + gi * group_w, plot.bottom() + 3, group_w, 40),
                           Qt.AlignHCenter | Qt.AlignTop | Qt.TextWordWrap, name)
            lx, ly = w - legend_w + 8, top
            for si, (sname, _vs) in enumerate(data["series"]):
                p.setBrush(QColor(SHADES[si % len(SHADES)]))
                p.setPen(QPen(QColor("#000000"), 0.8))
                p.drawRect(QRectF(lx, ly + si * 18, 12, 12))
                p.drawText(QRectF(lx + 18, ly + si * 18 - 2, legend_w - 26, 16),
                           Qt.AlignLeft | Qt.AlignVCenter, sname)
        else:
            vs = data["series"][0][1] if data["series"] else []
            xs = [plot.left() + plot.width() * (i + 0.5) / n for i in range(len(vs))]
            ys = [plot.bottom() - plot.height() * v / ymax for v in vs]
            p.setPen(QPen(QColor("#000000"), 1.6))
            for i in range(1, len(vs)):
                p.drawLine(int(xs[i - 1]), int(ys[i - 1]), int(xs[i]), int(ys[i]))
            p.setBrush(QColor("#000000"))
            for x, y in zip(xs, ys):
                p.drawEllipse(QRectF(x - 2.5, y - 2.5, 5, 5))
            every = max(1, len(labels) // 16)
            for i, name in enumerate(labels):
                if i % every == 0:
                    p.drawText(QRectF(xs[i] - 30, plot.bottom() + 3, 60, 14), Qt.AlignCenter, name)
        p.end()


def _nice_step(top: float) -> int:
    raw = top / 5
    magnitude = 10 ** max(0, len(str(int(raw))) - 1)
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return max(1, int(m * magnitude))
    return int(10 * magnitude)


class _Progress(QObject):
    step = Signal(int, int)


class PatientsDialog(FitsScreen, QDialog):
    """The patients behind one figure; double-click or Enter opens the card."""

    open_patient = Signal(int)

    def __init__(self, tr, what: str, patients: list[dict], parent=None):
        super().__init__(parent)
        self.setObjectName("reportPatients")
        self.setWindowTitle(tr("reports.patients", what=what))
        self.resize(640, 420)
        self.model = RowsModel(["reports.name", "reports.iin", "reports.birth"], tr, self)
        self.model.set_rows([([p["name"], p["iin"] or "", dmy(date.fromisoformat(p["birth_date"]))
                               if p.get("birth_date") else ""],
                              [p["name"].casefold(), p["iin"] or "", p.get("birth_date") or ""],
                              p["patient_id"]) for p in patients])
        self.view = table(self.model, stretch=0)
        self.view.doubleClicked.connect(self._open)
        self.view.activated.connect(self._open)
        hint = QLabel(tr("reports.patients_hint", n=len(patients)) if patients else tr("reports.no_patients"))
        hint.setObjectName("hint")
        box = QVBoxLayout(self)
        box.addWidget(self.view, 1)
        box.addWidget(hint)

    def _open(self, index) -> None:
        pid = index.data(Qt.UserRole) if index.isValid() else None
        if pid is not None:
            self.open_patient.emit(int(pid))


class ReportsDialog(AdminDialog):
    title_key = "reports.title"
    admin_only = False
    open_patient = Signal(int)

    def __init__(self, registry, ref, tr, clock, user: str, today, *,
                 choose_save: Callable | None = None, parent: QWidget | None = None):
        super().__init__(registry, tr, clock, user, parent)
        from desktop.store.reports import REPORTS

        self.setObjectName("reportsDialog")
        self.ref, self.today = ref, today
        self.choose_save = choose_save or (lambda parent, suggested, pattern: QFileDialog.getSaveFileName(
            parent, self.tr("reports.save_title"), suggested, pattern)[0] or None)
        admin = self.is_admin()
        self.names = [r.name for r in REPORTS.values() if admin or r.role == "registrar"]
        self.result: dict | None = None
        self.params: dict = {}
        self._cancel = threading.Event()
        self._started = 0.0
        self.patients_dialog: PatientsDialog | None = None
        self.resize(1180, 720)
        self.choice = QComboBox()
        self.choice.setObjectName("reportChoice")
        self.on_label, self.from_label, self.to_label = QLabel(), QLabel(), QLabel()
        day = today_of(today)
        first = QDate(day.year, day.month, 1)
        self.on = self._date_edit(QDate(day.year, day.month, day.day))
        self.start = self._date_edit(first)
        self.end = self._date_edit(QDate(day.year, day.month, day.day))
        self.run_button = QPushButton()
        self.run_button.setObjectName("reportRun")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("reportCancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setObjectName("reportProgress")
        self.progress.setMaximumWidth(160)
        self.progress.setVisible(False)
        self.meta = QLabel()
        self.meta.setObjectName("hint")
        self.meta.setWordWrap(True)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("reportTabs")
        self.exports = {}
        for fmt in ("csv", "xlsx", "pdf"):
            b = QPushButton()
            b.setObjectName(f"report_{fmt}")
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, f=fmt: self.export(f))
            self.exports[fmt] = b
        top = QHBoxLayout()
        self.report_label = QLabel()
        for w in (self.report_label, self.choice, self.on_label, self.on, self.from_label, self.start,
                  self.to_label, self.end, self.run_button, self.cancel_button, self.progress):
            top.addWidget(w)
        top.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        for b in self.exports.values():
            bottom.addWidget(b)
        box = QVBoxLayout(self.body)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.meta)
        box.addWidget(self.tabs, 1)
        box.addLayout(bottom)
        self.choice.currentIndexChanged.connect(lambda _i: self._params_shown())
        self.run_button.clicked.connect(self.run_report)
        self.cancel_button.clicked.connect(self._cancel.set)
        self._relay = _Progress(self)
        self._relay.step.connect(self._step)
        self.finish_setup()

    def _date_edit(self, value: QDate) -> QDateEdit:
        e = QDateEdit(value)
        e.setCalendarPopup(True)
        e.setDisplayFormat("dd.MM.yyyy")
        return e

    def retranslate_body(self) -> None:
        from desktop.store.reports import REPORTS

        current = self.current_name()
        self.choice.blockSignals(True)
        self.choice.clear()
        for name in self.names:
            r = REPORTS[name]
            self.choice.addItem(r.kk if self.tr.lang == "kk" else r.ru, name)
        if current in self.names:
            self.choice.setCurrentIndex(self.names.index(current))
        self.choice.blockSignals(False)
        self.report_label.setText(self.tr("reports.report"))
        self.on_label.setText(self.tr("reports.on"))
        self.from_label.setText(self.tr("reports.from"))
        self.to_label.setText(self.tr("reports.to"))
        self.run_button.setText(self.tr("reports.run"))
        self.cancel_button.setText(self.tr("reports.cancel"))
        for fmt, b in self.exports.items():
            b.setText(self.tr(f"reports.{fmt}"))
        self._params_shown()
        if self.result is not None:
            self.show_result(self.result)

    def refresh(self) -> None:
        pass   # a report runs when asked (it may take a moment on a large registry)

    def current_name(self) -> str | None:
        return self.choice.currentData() if self.choice.count() else None

    def _params_shown(self) -> None:
        from desktop.store.reports import REPORTS

        name = self.current_name()
        daily = bool(name) and REPORTS[name].daily
        for w in (self.on_label, self.on):
            w.setVisible(daily)
        for w in (self.from_label, self.start, self.to_label, self.end):
            w.setVisible(not daily)

    def select(self, name: str) -> None:
        self.choice.setCurrentIndex(self.names.index(name))

    # --- running ---------------------------------------------------------------------------------
    def run_report(self) -> None:
        from desktop.services import run_report

        name = self.current_name()
        if name is None:
            return
        from desktop.store.reports import REPORTS

        if REPORTS[name].daily:
            params = {"on": self.on.date().toPython()}
        else:
            params = {"from": self.start.date().toPython(), "to": self.end.date().toPython()}
            if params["to"] < params["from"]:
                self.show_status("reports.bad_period", "error")
                return
        self.params = {"name": name, **params}
        self._cancel.clear()
        self._started = time.perf_counter()
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.run_button.setEnabled(False)
        registry, user, moment = self.registry, self.user, now_of(self.clock)
        relay, cancel = self._relay, self._cancel

        def job():
            return run_report(registry, name, params, user=user, now=moment,
                              cancelled=cancel.is_set, progress=lambda i, n: relay.step.emit(i, n))

        self.show_status("reports.running", "busy")
        self.worker.submit(job, self._finished)

    def _step(self, i: int, n: int) -> None:
        self.progress.setRange(0, n)
        self.progress.setValue(i)

    def _finished(self, result, error) -> None:
        from desktop.store.reports import ReportCancelled

        self.progress.setVisible(False)
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(True)
        if isinstance(error, ReportCancelled):
            self.show_status("reports.cancelled", "ok")
            return
        if error is not None:
            self.show_error(error)
            return
        self.result = result
        self.show_result(result)
        self.show_status("reports.done", "ok", n=sum(len(s["rows"]) for s in result["sections"]),
                         seconds=f"{time.perf_counter() - self._started:.1f}")

    def wait(self) -> None:
        """Tests: until the running report is done."""
        self.worker.wait()

    # --- showing ---------------------------------------------------------------------------------
    def label(self):
        from desktop.services import report_labels

        return report_labels(self.ref, self.result)

    def show_result(self, result: dict) -> None:
        from desktop.documents.report_charts import chart_series
        from desktop.documents.report_files import heading_lines

        lang = self.tr.lang
        label = self.label()
        lines = heading_lines(result, lang)
        self.meta.setText(" · ".join(lines) + ("\n" + result["note"][lang] if result["note"][lang] else ""))
        self.tabs.clear()
        self.views = {}
        for section in result["sections"]:
            page = QWidget()
            page.setObjectName(f"section_{section['key']}")
            box = QVBoxLayout(page)
            if section.get("chart") and section["rows"]:
                box.addWidget(ChartWidget(chart_series(section, lang, label), page))
            model = SectionModel(section, section["rows"], label, lang, page)
            view = table(model, stretch=None)
            view.setObjectName(f"table_{section['key']}")
            view.sortByColumn(-1, Qt.AscendingOrder)
            view.doubleClicked.connect(lambda index, s=section, m=model: self.figure(s, m, index, False))
            view.activated.connect(lambda index, s=section, m=model: self.figure(s, m, index, False))
            box.addWidget(view, 1)
            totals = self._totals_row(section)
            tmodel = SectionModel({**section, "columns": totals["columns"]}, [totals["row"]], label,
                                  lang, page)
            tview = table(tmodel, sortable=False)
            tview.setObjectName(f"totals_{section['key']}")
            tview.setMaximumHeight(64)
            tview.doubleClicked.connect(lambda index, s=section, m=tmodel: self.figure(s, m, index, True))
            tview.activated.connect(lambda index, s=section, m=tmodel: self.figure(s, m, index, True))
            box.addWidget(tview)
            if section.get("group", True):   # the totals under their columns
                tview.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
                tview.horizontalHeader().hide()
                tview.setMaximumHeight(34)
                view.horizontalHeader().sectionResized.connect(
                    lambda i, _old, new, t=tview: t.setColumnWidth(i, new))
            self.views[section["key"]] = (view, tview)
            self.tabs.addTab(page, section["title"][lang])
        for b in self.exports.values():
            b.setEnabled(True)
        self._align_totals()

    def _align_totals(self) -> None:
        for view, tview in getattr(self, "views", {}).values():
            if tview.horizontalHeader().isHidden():
                for i in range(view.model().columnCount()):
                    tview.setColumnWidth(i, view.columnWidth(i))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt
        super().showEvent(event)
        self._align_totals()

    def _totals_row(self, section: dict) -> dict:
        """The totals as one row: under the measure columns of a grouped table, or (a listing)
        as columns of their own."""
        if section.get("group", True):
            row = {c["key"]: section["totals"].get(c["key"]) for c in section["columns"] if c.get("measure")}
            first = section["columns"][0]["key"]
            row[first] = self.tr("reports.total")
            cols = [c if c.get("measure") else dict(c, type="text", plain=True)
                    for c in section["columns"]]
            return {"columns": cols, "row": row}
        cols = [{"key": t["key"], "type": t["type"], "ru": t["ru"], "kk": t["kk"], "measure": True}
                for t in section["totals_columns"]]
        return {"columns": cols, "row": dict(section["totals"])}

    def figure(self, section: dict, model: SectionModel, index, is_total: bool) -> None:
        """The patients behind the figure at `index` (a proxy index of a row table or the
        totals row)."""
        from desktop.store.reports import patients_behind

        if not index.isValid() or self.result is None:
            return
        row_number = index.data(Qt.UserRole)
        column = model.columns[index.column()]
        measure = column["key"] if column.get("measure") else None
        row = None if is_total else model.rows[row_number]
        if row is not None and section.get("group", True):
            row = {c["key"]: row[c["key"]] for c in section["columns"] if not c.get("measure")}
        params = {k: v for k, v in self.params.items() if k != "name"}
        ok, patients = self.guarded(lambda: patients_behind(
            self.registry, self.params["name"], params, section["key"], row, measure))
        if not ok:
            return
        what = f"{section['title'][self.tr.lang]} — {column[self.tr.lang]}"
        if row is not None and section.get("group", True):
            label = self.label()
            what += " (" + ", ".join(str(label(section["key"], k, v, self.tr.lang) or "—")
                                      if not isinstance(v, date) else dmy(v)
                                      for k, v in row.items()) + ")"
        dialog = PatientsDialog(self.tr, what, patients, self)
        dialog.open_patient.connect(self.open_patient)
        self.patients_dialog = dialog
        dialog.show()

    def export(self, fmt: str) -> None:
        from desktop.services import render_report

        if self.result is None:
            return
        p = self.result["params"]
        period = p.get("on") or f"{p['from']}_{p['to']}"
        path = self.choose_save(self, f"{self.result['report']}-{period}.{fmt}", f"*.{fmt}")
        if not path:
            return
        from desktop.fileutil import write_private

        result, registry, ref, lang = self.result, self.registry, self.ref, self.tr.lang

        def job():
            data = render_report(registry, ref, result, fmt, lang)
            write_private(Path(path), data)
            registry.log(user=self.user, action="export", obj=f"report:{result['report']}",
                         now=now_of(self.clock), details={"format": fmt, "params": result["params"]})
            return path

        self.run(job, lambda written: self.show_status("reports.written", "ok", path=written))
