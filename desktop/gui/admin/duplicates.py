"""Администрирование → «Возможные дубли»: the likely duplicate records, best first (those a
registrar reported first), the two records side by side with what matched, the merge preview
field by field (Space on a row takes that field from the second record), what moves, and the
merge history with Undo. Everything by keyboard: F5 reloads, Ctrl+Enter merges the pair shown,
Ctrl+Z undoes the merge selected in the history; the store checks the administrator's role
again on every change."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QSpinBox, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
                               QWidget)

from desktop.gui.admin.base import AdminDialog, RowsModel, confirm, dmy, now_of, selected_key, table, today_of


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:10]}.{value[5:7]}.{value[0:4]}"
    return str(value)


class DuplicatesDialog(AdminDialog):
    """See the module docstring. `pairs` and `preview` hold what is shown (for tests)."""

    title_key = "dups.title"

    def __init__(self, registry, ref, tr, clock, user: str, today, parent: QWidget | None = None):
        super().__init__(registry, tr, clock, user, parent)
        self.setObjectName("duplicatesDialog")
        self.ref, self.today = ref, today
        self.resize(1000, 680)
        self.pairs: list[dict] = []
        self.preview: dict | None = None
        self.current: tuple[int, int] | None = None
        self.take: dict[str, str] = {}
        self._after: tuple[str, dict] | None = None   # the status to show once the list is back
        self.tabs = QTabWidget()
        # pairs -------------------------------------------------------------------------------
        pairs_page = QWidget()
        self.min_label = QLabel()
        self.min_score = QSpinBox()
        self.min_score.setRange(0, 100)
        self.min_score.setValue(self._weights().get("min_score", 60))
        self.refresh_button = QPushButton()
        self.count = QLabel()
        self.count.setObjectName("hint")
        top = QHBoxLayout()
        top.addWidget(self.min_label)
        top.addWidget(self.min_score)
        top.addWidget(self.refresh_button)
        top.addStretch(1)
        top.addWidget(self.count)
        self.model = RowsModel(["dups.col.score", "dups.col.keep", "dups.col.other",
                                "dups.col.matched"], tr)
        self.model.align_right = {0}
        self.view = table(self.model, sortable=False, stretch=3)
        for col in (1, 2):
            self.view.horizontalHeader().setSectionResizeMode(col, QHeaderView.Interactive)
            self.view.setColumnWidth(col, 300)
        self.view.setWordWrap(True)
        self.view.setObjectName("duplicatePairs")
        self.view.setMinimumHeight(150)
        self.compare = QTableWidget(0, 5)
        self.compare.setObjectName("mergePreview")
        self.compare.verticalHeader().hide()
        self.compare.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.compare.setSelectionMode(QAbstractItemView.SingleSelection)
        self.compare.setEditTriggers(QAbstractItemView.NoEditTriggers)
        header = self.compare.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Stretch)
        for col in (0, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        self.compare.itemChanged.connect(self._take_changed)
        self.moves = QLabel()
        self.moves.setObjectName("hint")
        self.moves.setWordWrap(True)
        self.swap_button = QPushButton()
        self.merge_button = QPushButton()
        self.merge_button.setObjectName("primary")
        actions = QHBoxLayout()
        actions.addWidget(self.moves, 1)
        actions.addWidget(self.swap_button)
        actions.addWidget(self.merge_button)
        pbox = QVBoxLayout(pairs_page)
        pbox.addLayout(top)
        pbox.addWidget(self.view, 2)
        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        pbox.addWidget(self.preview_label)
        pbox.addWidget(self.compare, 3)
        pbox.addLayout(actions)
        # history -----------------------------------------------------------------------------
        history_page = QWidget()
        self.history_model = RowsModel(["dups.col.when", "dups.col.who", "dups.col.keep",
                                        "dups.col.other", "dups.col.status"], tr)
        self.history_view = table(self.history_model, sortable=False, stretch=3)
        self.history_view.setObjectName("mergeHistory")
        self.undo_button = QPushButton()
        hbottom = QHBoxLayout()
        hbottom.addStretch(1)
        hbottom.addWidget(self.undo_button)
        hbox = QVBoxLayout(history_page)
        hbox.addWidget(self.history_view, 1)
        hbox.addLayout(hbottom)
        self.tabs.addTab(pairs_page, "")
        self.tabs.addTab(history_page, "")
        box = QVBoxLayout(self.body)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.tabs)
        self.refresh_button.clicked.connect(self.refresh)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._select())
        self.swap_button.clicked.connect(self.swap)
        self.merge_button.clicked.connect(self.merge)
        self.undo_button.clicked.connect(self.undo)
        QShortcut(QKeySequence(Qt.Key_F5), self, self.refresh)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.merge)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.merge)
        QShortcut(QKeySequence("Ctrl+Z"), self, self.undo)
        self.setTabOrder(self.min_score, self.refresh_button)
        self.setTabOrder(self.refresh_button, self.view)
        self.setTabOrder(self.view, self.compare)
        self.setTabOrder(self.compare, self.swap_button)
        self.setTabOrder(self.swap_button, self.merge_button)
        self.finish_setup()

    def _weights(self) -> dict:
        from desktop.core.duplicates import weights_on

        try:
            return weights_on(self.ref, today_of(self.today))
        except Exception:  # noqa: BLE001 - a release without the weights: nothing to list
            return {}

    # --- language ---------------------------------------------------------------------------------
    def retranslate_body(self) -> None:
        tr = self.tr
        self.model.set_tr(tr)
        self.history_model.set_tr(tr)
        self.tabs.setTabText(0, tr("dups.tab.pairs"))
        self.tabs.setTabText(1, tr("dups.tab.history"))
        self.min_label.setText(tr("dups.min_score"))
        self.refresh_button.setText(tr("dups.refresh") + " (F5)")
        self.swap_button.setText(tr("dups.swap"))
        self.merge_button.setText(tr("dups.merge") + " (Ctrl+Enter)")
        self.undo_button.setText(tr("dups.undo") + " (Ctrl+Z)")
        self.compare.setHorizontalHeaderLabels([tr("dups.col.field"), "", "", tr("dups.col.take"),
                                                tr("dups.col.result")])
        if self.pairs or self.allowed:
            self._show_pairs()
            self._show_history()
            self._show_preview()

    # --- the list -------------------------------------------------------------------------------
    def refresh(self) -> None:
        weights = self._weights()
        if not weights:
            self.pairs = []
            self._show_pairs()
            return
        threshold = self.min_score.value()
        self.run(lambda: self._load(weights, threshold), self._loaded)

    def _load(self, weights, threshold):
        pairs = self.registry.duplicate_pairs(weights, min_score=threshold)
        history = self.registry.merge_history()
        people = self.registry.patients_by_id([i for p in pairs for i in (p["keep"], p["other"])]
                                              + [i for m in history for i in (m.kept_id, m.merged_id)])
        return pairs, people, history

    def _loaded(self, result) -> None:
        self.pairs, self.people, self.history = result
        self._show_pairs()
        self._show_history()
        if self._after is not None:
            key, fields = self._after
            self._after = None
            self.show_status(key, **fields)
        else:
            self.show_status("dups.count" if self.pairs else "dups.none", n=len(self.pairs))
        if self.pairs:
            self.view.setCurrentIndex(self.model.index(0, 0))
            self.view.setFocus()
        else:
            self.current, self.preview = None, None
            self._show_preview()

    def who(self, patient_id: int) -> str:
        p = getattr(self, "people", {}).get(patient_id)
        if p is None:
            return f"№{patient_id}"
        parts = [f"№{p.id}", p.full_name or "—", dmy(p.birth_date)]
        if p.iin:
            parts.append(f"{self.tr('col.iin')} {p.iin}")
        return " ".join(x for x in parts if x)

    def _show_pairs(self) -> None:
        rows = []
        for p in self.pairs:
            matched = ", ".join(self.tr(f"dups.match.{m}") for m in p["matched"])
            if p.get("flagged"):
                matched = f"⚑ {self.tr('dups.flagged')}" + (f"; {matched}" if matched else "")
            rows.append(([str(p["score"]), self.who(p["keep"]), self.who(p["other"]), matched],
                         [p["score"], p["keep"], p["other"], matched], (p["keep"], p["other"])))
        self.model.set_rows(rows)
        self.view.resizeRowsToContents()
        self.count.setText(self.tr("dups.count", n=len(self.pairs)))

    def _show_history(self) -> None:
        rows = []
        for m in getattr(self, "history", []):
            rows.append(([dmy(m.merged_at), m.merged_by, self.who(m.kept_id), self.who(m.merged_id),
                          self.tr(f"dups.status.{m.status}") + (f" ({m.undone_by}, {dmy(m.undone_at)})"
                                                                if m.undone_at else "")],
                         [m.id, m.merged_by, m.kept_id, m.merged_id, m.status], m.id))
        self.history_model.set_rows(rows)

    # --- the preview ----------------------------------------------------------------------------
    def _select(self) -> None:
        key = selected_key(self.view)
        if key is None:
            return
        self.current, self.take = tuple(key), {}
        self._load_preview()

    def swap(self) -> None:
        if self.current is not None:
            self.current, self.take = (self.current[1], self.current[0]), {}
            self._load_preview()

    def _load_preview(self) -> None:
        keep, other = self.current
        ok, preview = self.guarded(lambda: self.registry.merge_preview(keep, other, take=self.take))
        self.preview = preview if ok else None
        self._show_preview()

    def _show_preview(self) -> None:
        self.compare.blockSignals(True)
        try:
            preview = self.preview
            fields = preview["fields"] if preview else []
            self.compare.setRowCount(len(fields))
            if preview:
                self.compare.setHorizontalHeaderLabels([
                    self.tr("dups.col.field"), f"{self.tr('dups.col.keep')} №{preview['kept']}",
                    f"{self.tr('dups.col.other')} №{preview['merged']}",
                    self.tr("dups.col.take"), self.tr("dups.col.result")])
                self.preview_label.setText(
                    f"{self.tr('dups.preview').rstrip('…')}: {self.tr('dups.col.keep')} "
                    f"{self.who(preview['kept'])}  ←  {self.tr('dups.col.other')} "
                    f"{self.who(preview['merged'])}")
            else:
                self.preview_label.setText(self.tr("dups.preview").rstrip("…"))
            for row, f in enumerate(fields):
                key = f"dups.field.{f['field']}"
                from desktop.gui.i18n import STRINGS

                name = self.tr(key) if key in STRINGS else f["field"]
                shown = lambda v, field=f["field"]: self._value(field, v)  # noqa: E731
                cells = [name, shown(f["kept"]), shown(f["other"]), "", shown(f["result"])]
                for col, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
                    if col == 3 and f["differs"]:
                        flags |= Qt.ItemIsUserCheckable
                        item.setCheckState(Qt.Checked if f["from"] == "other" else Qt.Unchecked)
                    item.setFlags(flags)
                    item.setData(Qt.UserRole, f["field"])
                    if f["differs"] and col == 4:
                        item.setBackground(QColor("#fff4c2"))
                    self.compare.setItem(row, col, item)
            if preview:
                moved = {k: v for k, v in preview["moved"].items() if v}
                what = ", ".join(f"{self.tr(f'dups.moved.{k}')}: {v}" for k, v in moved.items()) \
                    or self.tr("dups.moved.nothing")
                self.moves.setText(self.tr("dups.moves", keep=preview["kept"], other=preview["merged"],
                                           what=what))
            else:
                self.moves.setText(self.tr("dups.select") if self.allowed else "")
            self.merge_button.setEnabled(preview is not None)
            self.swap_button.setEnabled(preview is not None)
        finally:
            self.compare.blockSignals(False)

    def _value(self, field: str, value) -> str:
        """A field's value as the desk shows it: sex and citizenship in words."""
        from desktop.gui.i18n import STRINGS

        if field == "sex" and f"sex.{value}" in STRINGS:
            return self.tr(f"sex.{value}")
        if field == "citizenship" and value:
            try:
                return self.ref.country_name(value, getattr(self.tr, "lang", "ru")) or str(value)
            except Exception:  # noqa: BLE001 - an unknown code is shown as stored
                return str(value)
        return _text(value)

    def _take_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 3 or self.current is None:
            return
        field = item.data(Qt.UserRole)
        self.take[field] = "other" if item.checkState() == Qt.Checked else "keep"
        row = self.compare.currentRow()
        self._load_preview()
        if row >= 0:
            self.compare.setCurrentCell(row, 3)

    # --- merge and undo -------------------------------------------------------------------------
    def merge(self, *, ask: bool = True) -> bool:
        if self.preview is None or self.current is None:
            self.show_status("dups.select", "error")
            return False
        keep, other = self.current
        if ask and not confirm(self, self.tr("dups.merge"), self.tr("dups.confirm", keep=keep, other=other)):
            return False
        score = next((p["score"] for p in self.pairs if {p["keep"], p["other"]} == {keep, other}), None)
        ok, result = self.guarded(lambda: self.registry.merge_patients(
            keep, other, user=self.user, now=now_of(self.clock), take=self.take, score=score))
        if ok:
            self.preview, self.current = None, None
            self._after = ("dups.merged", {"id": result["merge_id"], "keep": keep, "other": other})
            self.refresh()
        return ok

    def undo(self) -> bool:
        from desktop.store.registry import UnmergeRefused

        merge_id = selected_key(self.history_view)
        if merge_id is None:
            return False
        try:
            self.registry.unmerge(merge_id, user=self.user, now=now_of(self.clock))
        except UnmergeRefused as exc:
            self.show_status("dups.refused", "error",
                             reasons="; ".join(self.tr(f"dups.block.{code}", **fields)
                                               for code, fields in exc.codes))
            return False
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            self.show_error(exc)
            return False
        self._after = ("dups.undone", {"id": merge_id})
        self.refresh()
        return True
