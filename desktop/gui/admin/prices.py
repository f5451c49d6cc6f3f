"""The price-list editor (administrator): the clinic's list in force on a chosen date, a new
price from an effective date (`registry.set_price` closes the old row the day before, so
estimates made earlier keep their prices), a new service, and the history of one code."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QSplitter, QWidget
from PySide6.QtCore import Qt

from desktop.documents.words import format_money
from desktop.gui.admin.base import AdminDialog, RowsModel, dmy, now_of, selected_key, table, today_of
from desktop.gui.widgets import DateField, FormDialog, hbox, keyed, vbox


def parse_price(text: str) -> Decimal | None:
    """'2 500,50' / '2500.5' → Decimal('2500.50'); None if not a non-negative amount."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:
        return None
    return value.quantize(Decimal("0.01"))


class PriceDialog(FormDialog):
    """A new price from a date for one code, or (with `new=True`) a new service."""

    def __init__(self, tr, today: date, *, new: bool, code: str = "", name: str = "",
                 current: Decimal | None = None, parent: QWidget | None = None):
        super().__init__(tr, parent)
        self.new = new
        self.setWindowTitle(tr("prices.add" if new else "prices.change").rstrip("…"))
        self.code = QLineEdit(code)
        self.code.setReadOnly(not new)
        self.name_ru, self.name_kk, self.unit = QLineEdit(), QLineEdit(), QLineEdit()
        self.price = QLineEdit("" if current is None else format_money(current))
        self.valid_from = DateField(today)
        self.valid_from.setValue(today)
        form = self.form
        form.addRow(tr("prices.code"), self.code)
        if new:
            form.addRow(tr("prices.name_ru"), self.name_ru)
            form.addRow(tr("prices.name_kk"), self.name_kk)
            form.addRow(tr("prices.unit"), self.unit)
        else:
            label = QLabel(name)
            label.setWordWrap(True)
            form.addRow("", label)
        form.addRow(tr("prices.new_price"), self.price)
        form.addRow(tr("prices.from"), self.valid_from)
        self.lay_out()
        (self.code if new else self.price).setFocus()

    def values(self) -> dict | None:
        price = parse_price(self.price.text())
        if price is None:
            self.error.show_message(self.tr("prices.bad_price"))
            return None
        code = self.code.text().strip().upper()
        if self.new and (not code or not self.name_ru.text().strip()):
            self.error.show_message(self.tr("prices.bad_code"))
            return None
        if self.valid_from.value() is None:
            self.error.show_message(self.tr("prices.from"))
            return None
        out = {"code": code, "price": price, "valid_from": self.valid_from.value()}
        if self.new:
            out.update(name_ru=self.name_ru.text().strip(),
                       name_kk=self.name_kk.text().strip() or self.name_ru.text().strip(),
                       unit=self.unit.text().strip())
        return out


class PriceEditor(AdminDialog):
    """The clinic's price list on a date, with changes from an effective date."""

    title_key = "prices.title"
    default_button = "change_button"

    def __init__(self, registry, ref, tr, clock, user: str, today, parent: QWidget | None = None):
        super().__init__(registry, tr, clock, user, parent)
        self.setObjectName("priceEditor")
        self.ref, self.today = ref, today
        self.resize(940, 680)
        self.date_label = keyed(QLabel(), "admin.on_date")
        self.on = DateField(today_of(today))
        self.on.setValue(today_of(today))
        self.hint = keyed(QLabel(), "prices.hint")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.change_button = keyed(QPushButton(), "prices.change")
        self.change_button.setObjectName("primary")
        self.add_button = keyed(QPushButton(), "prices.add")
        self.model = RowsModel(["prices.code", "svc.col.service", "svc.col.unit", "svc.col.price",
                                "svc.col.valid_from", "svc.col.valid_until"], tr, self)
        self.model.align_right = {3}
        self.view = table(self.model, stretch=1, name="priceTable")
        self.history_title = QLabel()
        self.history_title.setObjectName("sectionHead")
        self.history = RowsModel(["svc.col.valid_from", "svc.col.valid_until", "svc.col.price",
                                  "svc.col.created_by"], tr, self)
        self.history.align_right = {2}
        self.history_view = table(self.history, sortable=False, stretch=3, name="priceHistory")

        lower = QWidget()
        vbox(self.history_title, self.history_view, parent=lower).setContentsMargins(0, 6, 0, 0)
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.view)
        split.addWidget(lower)
        split.setSizes([430, 170])
        self.lay_out_body(hbox(self.date_label, self.on, 1, self.add_button, self.change_button), self.hint,
                          (split, 1))

        self.on.changed.connect(self.refresh)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self.show_history(self.current_code()))
        self.view.doubleClicked.connect(lambda _i: self.change_dialog())
        self.change_button.clicked.connect(self.change_dialog)
        self.add_button.clicked.connect(self.add_dialog)
        self.finish_setup()

    # --- data ------------------------------------------------------------------------------------
    def set_date(self, on: date) -> None:
        self.on.setValue(on)
        self.refresh()

    def refresh(self) -> None:
        from desktop.services import clinic_prices

        on = self.on.value() or today_of(self.today)
        code = self.current_code()
        lang = self.tr.lang
        rows = []
        for p in clinic_prices(self.registry, self.ref, on):
            rows.append(([p.code, p.name(lang), p.unit(lang), format_money(p.price), dmy(p.valid_from),
                          dmy(p.valid_until)],
                         [p.code, p.name(lang).casefold(), p.unit(lang), p.price,
                          str(p.valid_from or ""), str(p.valid_until or "9999")], p.code))
        self.model.set_rows(rows)
        self.select_code(code)
        self.show_history(self.current_code())

    def price_of(self, code: str) -> Decimal | None:
        """The price of `code` shown now (on the chosen date)."""
        for shown, sort, key in self.model.rows:
            if key == code:
                return sort[3]
        return None

    def current_code(self) -> str | None:
        return selected_key(self.view)

    def select_code(self, code: str | None) -> None:
        proxy = self.view.model()
        for row in range(proxy.rowCount()):
            if proxy.index(row, 0).data(Qt.UserRole) == code:
                self.view.setCurrentIndex(proxy.index(row, 0))
                return

    def show_history(self, code: str | None) -> None:
        if not code:
            self.history_title.setText(self.tr("prices.history_none").upper())
            self.history.set_rows([])
            return
        self.history_title.setText(self.tr("prices.history", code=code).upper())
        rows = [([dmy(p.valid_from), dmy(p.valid_until), format_money(Decimal(p.price)), p.created_by],
                 [], p.id) for p in self.registry.price_history(code)]
        self.history.set_rows(rows)

    # --- changes ---------------------------------------------------------------------------------
    def apply_price(self, code: str, price, valid_from: date, **new_service) -> bool:
        """A new price for `code` from `valid_from` (name_ru/name_kk/unit for a new service)."""
        ok, _ = self.guarded(lambda: self.registry.set_price(
            code, price=Decimal(str(price)), valid_from=valid_from, actor=self.user,
            now=now_of(self.clock), **new_service))
        if ok:
            self.show_status("prices.saved", "ok", code=code, date=dmy(valid_from),
                             price=format_money(Decimal(str(price))))
            self.refresh()
            self.select_code(code)
        return ok

    def change_dialog(self) -> PriceDialog | None:
        code = self.current_code()
        if not code or not self.allowed:
            return None
        name = next((r[0][1] for r in self.model.rows if r[2] == code), "")
        dialog = PriceDialog(self.tr, today_of(self.today), new=False, code=code, name=name,
                             current=self.price_of(code), parent=self)
        dialog.accepted.connect(lambda: self._apply_dialog(dialog))
        dialog.open()
        return dialog

    def add_dialog(self) -> PriceDialog | None:
        if not self.allowed:
            return None
        dialog = PriceDialog(self.tr, today_of(self.today), new=True, parent=self)
        dialog.accepted.connect(lambda: self._apply_dialog(dialog))
        dialog.open()
        return dialog

    def _apply_dialog(self, dialog: PriceDialog) -> None:
        values = dialog.values()
        if values is None:
            return
        extra = {k: values[k] for k in ("name_ru", "name_kk", "unit") if k in values}
        self.apply_price(values["code"], values["price"], values["valid_from"], **extra)
