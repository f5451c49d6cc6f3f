"""Small input widgets of the form: a date picker that may be empty, keyed choice lists, the
searchable country list, the paid-months editor and the inline error label."""
from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate, QEvent, Qt, Signal  # noqa: F401
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QCompleter, QDialog, QDialogButtonBox,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

from desktop.gui.i18n import Tr

_SEPARATORS = {Qt.Key_Period, Qt.Key_Comma, Qt.Key_Slash, Qt.Key_Minus, Qt.Key_Space}
_DMY = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
MIN_YEAR, MAX_YEAR = 1900, 2100     # the core's input bounds (desktop.core.dates)


class DateField(QLineEdit):
    """A date typed as ДД.ММ.ГГГГ (the dots come by themselves), never changed behind the
    registrar's back: an impossible or out-of-range date stays as typed and `problem()` says
    what is wrong. Empty is empty (Tab passes at once); Delete empties the field; the calendar
    button (or Alt+Down) is an optional picker. `value()` is a date or None; `iso()` its text."""

    changed = Signal()

    def __init__(self, page: date | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        from PySide6.QtCore import QRegularExpression
        from PySide6.QtGui import QRegularExpressionValidator

        self._page = page
        self.setValidator(QRegularExpressionValidator(
            QRegularExpression(r"\d{0,2}(\.\d{0,2}(\.\d{0,4})?)?"), self))
        self.setMaxLength(10)
        self.setPlaceholderText("ДД.ММ.ГГГГ")
        from PySide6.QtGui import QIcon

        from desktop.gui.style import ICONS

        # the drop-down lists' own arrow (not the platform's black triangle, twice its size)
        icon = QIcon(f"{ICONS}/arrow-down.png")
        if icon.isNull():
            icon = self.style().standardIcon(self.style().StandardPixmap.SP_ArrowDown)
        self._calendar_action = self.addAction(icon, QLineEdit.TrailingPosition)
        self._calendar_action.triggered.connect(self.open_calendar)
        self._popup = None
        self.textChanged.connect(lambda _t: self.changed.emit())
        self._fit_width()

    def _fit_width(self) -> None:
        """As wide as the placeholder «ДД.ММ.ГГГГ» (or a typed date) and the calendar button
        beside it, at the font of the moment (the text size of the workstation, 85-150 %):
        never «ДД.ММ.Г…» in a crowded row; a little wider at most."""
        metrics = self.fontMetrics()
        text = max(metrics.horizontalAdvance(self.placeholderText()), metrics.horizontalAdvance("00.00.0000"))
        button = max(16, metrics.height()) + 10       # the calendar button and its margins
        need = text + button + 24                     # the style's padding, border, the cursor
        self.setMinimumWidth(need)
        self.setMaximumWidth(need + 40)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        from PySide6.QtCore import QEvent

        if event.type() in (QEvent.FontChange, QEvent.StyleChange):
            self._fit_width()

    # --- values -------------------------------------------------------------------------------
    def problem(self) -> str | None:
        """None when empty or a real date; else "incomplete", "impossible" or "range"."""
        text = self.text().strip()
        if not text:
            return None
        m = _DMY.match(text)
        if not m:
            return "incomplete"
        d, mo, y = (int(x) for x in m.groups())
        if not MIN_YEAR <= y <= MAX_YEAR:
            return "range"
        try:
            date(y, mo, d)
        except ValueError:
            return "impossible"
        return None

    def date_value(self) -> date | None:
        if not self.text().strip() or self.problem():
            return None
        d, mo, y = (int(x) for x in _DMY.match(self.text().strip()).groups())
        return date(y, mo, d)

    def value(self):
        return self.date_value()

    def setValue(self, value: date | str | None) -> None:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value[:10])
            except ValueError:
                value = None
        self.setText("" if value is None else value.strftime("%d.%m.%Y"))

    def iso(self) -> str | None:
        v = self.date_value()
        return v.isoformat() if v else None

    def date(self):  # noqa: A003 - the QDateEdit name, kept for old callers
        from PySide6.QtCore import QDate as _QDate

        v = self.date_value()
        return _QDate(v.year, v.month, v.day) if v else _QDate()

    # --- typing -------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, text = event.key(), event.text()
        if key == Qt.Key_Delete and not self.hasSelectedText() and self.cursorPosition() == len(self.text()):
            self.clear()
            return
        if key == Qt.Key_Down and event.modifiers() & Qt.AltModifier:
            self.open_calendar()
            return
        at_end = self.cursorPosition() == len(self.text()) and not self.hasSelectedText()
        if key in _SEPARATORS and at_end:
            # a separator after one digit pads it ("1." -> "01."); after a full part it is swallowed
            t = self.text()
            part = t.rsplit(".", 1)[-1]
            if len(part) == 1 and t.count(".") < 2:
                self.setText(t[:-1] + "0" + part + ".")
            return
        if text.isdigit() and at_end:
            t = self.text()
            if len(t) in (2, 5) and t.count(".") == len(t) // 3:
                self.setText(t + ".")
        super().keyPressEvent(event)

    def open_calendar(self) -> None:
        """The optional picker: a calendar under the field; a chosen day is written as text."""
        from PySide6.QtWidgets import QCalendarWidget

        from PySide6.QtCore import QLocale

        cal = QCalendarWidget()
        cal.setLocale(QLocale())          # the interface's language (qt_translations sets it)
        cal.setWindowFlags(Qt.Popup)
        cal.setGridVisible(True)
        v = self.date_value() or self._page
        if v is not None:
            cal.setSelectedDate(QDate(v.year, v.month, v.day))
        cal.clicked.connect(lambda d: (self.setValue(date(d.year(), d.month(), d.day())), cal.close()))
        cal.activated.connect(lambda d: (self.setValue(date(d.year(), d.month(), d.day())), cal.close()))
        self._popup = cal
        place_calendar(cal, self)
        cal.show()


def calendar_rows_shown(cal) -> bool:
    """Every row of the month grid (the day names and six weeks) is inside the calendar's view."""
    from PySide6.QtWidgets import QTableView

    view = cal.findChild(QTableView)
    model = view.model()
    last = view.visualRect(model.index(model.rowCount() - 1, 0))
    return model.rowCount() >= 7 and view.viewport().rect().contains(last)


def place_calendar(cal, field) -> None:
    """The calendar popup at its full size (the style sheet's paddings make Qt's own guess a row
    short), under `field`, or above it when the screen has no room below."""
    from PySide6.QtWidgets import QTableView

    cal.ensurePolished()
    for w in cal.findChildren(QWidget):
        w.ensurePolished()
    view = cal.findChild(QTableView)
    rows = view.model().rowCount()
    grid = view.verticalHeader().defaultSectionSize() * rows if view.verticalHeader().isVisible() else 0
    grid = max(grid, view.sizeHintForRow(1) * rows) + 2 * view.frameWidth() + 4
    nav = cal.sizeHint().height() - view.sizeHint().height()
    width = max(cal.sizeHint().width(), view.sizeHintForColumn(1) * view.model().columnCount() + 40, 280)
    cal.resize(width, max(cal.sizeHint().height(), nav + grid, 240))
    below = field.mapToGlobal(field.rect().bottomLeft())
    screen = field.screen().availableGeometry()
    y = below.y() if below.y() + cal.height() <= screen.bottom() else \
        field.mapToGlobal(field.rect().topLeft()).y() - cal.height()
    cal.move(min(below.x(), screen.right() - cal.width()), max(screen.top(), y))


def fit_on_screen(window: QWidget, margin: int = 8) -> None:
    """Keep a window (a dialog at its show) inside the screen's free area: no larger than it
    (a preview 960 px high on a 768 px screen put its buttons under the task bar) and moved
    back onto it, on 1024×768 as on a large screen. Layouts that need more than the screen
    keep their minimum (the window then scrolls its content)."""
    from PySide6.QtGui import QGuiApplication

    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    room = screen.availableGeometry().adjusted(margin, margin, -margin, -margin)
    frame = window.frameGeometry()
    extra_w, extra_h = frame.width() - window.width(), frame.height() - window.height()
    width = max(window.minimumWidth(), min(window.width(), room.width() - extra_w))
    height = max(window.minimumHeight(), min(window.height(), room.height() - extra_h))
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    frame = window.frameGeometry()
    x = min(max(frame.x(), room.x()), room.x() + room.width() - frame.width())
    y = min(max(frame.y(), room.y()), room.y() + room.height() - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        window.move(max(x, room.x()), max(y, room.y()))


class FitsScreen:
    """A dialog kept inside the screen at its show (fit_on_screen): put before QDialog in the
    bases (`class PrintDialog(FitsScreen, QDialog)`)."""

    def showEvent(self, event) -> None:  # noqa: N802 - Qt
        super().showEvent(event)
        fit_on_screen(self)


class CaseDateField(DateField):
    """A date of the case: `value()` is the case's ISO text (or None when empty or invalid)."""

    def value(self):
        return self.iso()


class TextField(QLineEdit):
    """A text input of the case: `value()` is the trimmed text or None when empty; `field`
    sets the dynamic property outside checks find it by."""

    def __init__(self, parent: QWidget | None = None, *, field: str | None = None):
        super().__init__(parent)
        if field:
            self.setProperty("field", field)

    def value(self) -> str | None:
        return self.text().strip() or None


class CheckField(QCheckBox):
    """A yes/no input of the case: `value()` is True or False."""

    def value(self) -> bool:
        return self.isChecked()


_NAME_PUNCT = set(" -'’.")


def _print_font():
    from functools import lru_cache

    @lru_cache(maxsize=1)
    def load():
        from PySide6.QtGui import QRawFont

        from desktop.documents.fonts import font_dir

        return QRawFont(str(font_dir() / "DejaVuSans.ttf"), 12)
    return load


_font_loader = _print_font()


def name_problem(text: str) -> str | None:
    """The first character of a name that cannot be entered: a control character, a symbol
    or digit, or a letter the printing font (DejaVu Sans) lacks; None when the name is fine."""
    import unicodedata

    font = _font_loader()
    for ch in text:
        code = ord(ch)
        if ch in _NAME_PUNCT:
            continue
        cat = unicodedata.category(ch)
        if cat.startswith("C") or not cat.startswith("L") or not font.supportsCharacter(code):
            return ch
    return None


_CHAR_WORDS = {"\t": "char.tab", "\n": "char.newline", "\r": "char.newline", "\u00a0": "char.nbsp",
               "\u200b": "char.invisible", "\ufeff": "char.invisible"}


def char_words(ch: str, tr) -> str:
    """A character a person can read about: an invisible one named in words («символ
    табуляции»), a visible one shown in quotes («😀»)."""
    import unicodedata

    if ch in _CHAR_WORDS:
        return tr(_CHAR_WORDS[ch])
    if unicodedata.category(ch).startswith("C") or ch.isspace():
        return tr("char.control")
    return f"«{ch}»"


class SecretField(TextField):
    """A password input: hidden as typed; `value()` is the text exactly as typed (or None)."""

    def __init__(self, parent: QWidget | None = None, *, field: str | None = None):
        super().__init__(parent, field=field)
        self.setEchoMode(QLineEdit.Password)

    def value(self) -> str | None:
        return self.text() or None


class ChoiceCombo(QComboBox):
    """A combo box whose items carry codes; `code()` (= `currentData()`) is the chosen code or
    None while unset. Every list starts with its unset item (a placeholder is never a value)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)

    def showPopup(self) -> None:
        # the list is as wide as its longest item (never «Возвращение н…ческую родину») and
        # shows up to 12 rows (the style sheet's combobox-popup: 0 makes it a plain list that
        # opens above the field when there is no room below, not a menu cut at the screen edge)
        view = self.view()
        self.setMaxVisibleItems(max(self.maxVisibleItems(), 12))
        view.setMinimumWidth(view.sizeHintForColumn(0) + view.verticalScrollBar().sizeHint().width() + 16)
        super().showPopup()

    def set_items(self, items: list[tuple[object, str]]) -> None:
        """Replace the items, keeping the chosen code; `items` is [(code, label)]."""
        current = self.code()
        self.blockSignals(True)
        self.clear()
        for code, label in items:
            self.addItem(label, code)
        self.set_code(current)
        self.blockSignals(False)

    def code(self):
        return self.currentData() if self.currentIndex() >= 0 else None

    def value(self):
        return self.code()

    def set_code(self, code) -> None:
        for i in range(self.count()):
            if self.itemData(i) == code:
                self.setCurrentIndex(i)
                return
        self.setCurrentIndex(0 if self.count() else -1)


STATELESS = "__stateless__"


def fold(text: str) -> str:
    """Case- and ё/е-insensitive form of a name for matching."""
    return text.casefold().replace("ё", "е").replace("й", "и").strip()


_WORD = re.compile(r"[\s\-(),.«»\"']+")


class CountryCombo(ChoiceCombo):
    """Citizenship or country of issue. Typing searches Russian, Kazakh and English names, ISO
    codes and the short names people say (reference `country_aliases`), by prefix or word
    start, case- and ё/е-insensitive; the matches pop up, Down/Enter choose one. Leaving the
    field with a single match chooses it; with none or several the field says so and stays
    unset. «Без гражданства» is chosen only from the list, never by a fragment."""

    def __init__(self, with_stateless: bool, parent: QWidget | None = None):
        super().__init__(parent)
        from PySide6.QtCore import QStringListModel

        self.with_stateless = with_stateless
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.NoInsert)
        self.setCompleter(None)
        self.setMinimumContentsLength(16)
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self._keys: list[tuple[int, list[str], list[str]]] = []   # (index, full keys, word keys)
        self._problem: str | None = None
        self._matches = QStringListModel(self)
        self.popup_completer = QCompleter(self._matches, self)
        self.popup_completer.setCompletionMode(QCompleter.UnfilteredPopupCompletion)
        self.popup_completer.setWidget(self.lineEdit())
        self.popup_completer.setMaxVisibleItems(12)
        self.popup_completer.activated[str].connect(self._pick_text)
        self.lineEdit().textEdited.connect(self._typed)
        self.lineEdit().editingFinished.connect(self._left)
        self.currentIndexChanged.connect(self._index_changed)
        self.lineEdit().installEventFilter(self)
        # while the matches are shown the window system gives the keys to their popup; the
        # completer passes them to the line edit's event() directly (no filter sees them) and
        # moves the focus on Tab with the popup still open: Tab and Enter are decided here first
        self.popup_completer.popup().installEventFilter(self)

    def fill(self, countries: dict, tr: Tr, aliases: dict | None = None) -> None:
        items: list[tuple[object, str]] = [(None, tr("choice.unset"))]
        if self.with_stateless:
            items.append((STATELESS, tr("choice.stateless")))
        names = sorted(((c, v.get(tr.lang) or v.get("ru") or c) for c, v in countries.items()),
                       key=lambda x: fold(x[1]))
        items += [(c, f"{name} — {c}") for c, name in names]
        self.set_items(items)
        self._keys = []
        aliases = aliases or {}
        first = 2 if self.with_stateless else 1
        for i, (c, _name) in enumerate(names, first):
            v = countries[c]
            full = [fold(x) for x in (v.get("ru"), v.get("kk"), v.get("en"), *aliases.get(c, ())) if x]
            words = [w for f in full for w in _WORD.split(f)[1:] if w]
            self._keys.append((i, [fold(c)] + full, words))
        if self.currentIndex() <= 0:
            self.lineEdit().setText("")
        for i in range(self.count()):
            self.setItemData(i, self.itemText(i), Qt.ToolTipRole)

    # --- search -------------------------------------------------------------------------------
    def matches(self, typed: str) -> list[int]:
        """Indexes of the countries `typed` names: exact code or name first, then prefixes of
        a whole name, then word starts."""
        t = fold(typed)
        if not t:
            return []
        exact, prefix, word = [], [], []
        for i, full, words in self._keys:
            if t in full:
                exact.append(i)
            elif any(f.startswith(t) for f in full):
                prefix.append(i)
            elif any(w.startswith(t) for w in words):
                word.append(i)
        return exact + prefix + word

    def _typed(self, text: str) -> None:
        self._problem = None
        hits = self.matches(text)
        if self.with_stateless and fold(text) and fold(self.itemText(1)).startswith(fold(text)) \
                and len(fold(text)) >= 3:
            hits.append(1)       # offered when its own words are typed, never chosen by itself
        self._matches.setStringList([self.itemText(i) for i in hits])
        if hits:
            popup = self.popup_completer.popup()
            # the full names, never clipped: the list is as wide as its longest name
            wide = popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 12
            rect = self.lineEdit().rect()
            rect.setWidth(max(rect.width(), wide))
            self.popup_completer.complete(rect)
        else:
            self.popup_completer.popup().hide()

    def _pick_text(self, text: str) -> None:
        i = self.findText(text, Qt.MatchExactly)
        if i >= 0:
            self._problem = None
            self.setCurrentIndex(i)
            self.lineEdit().setText(self.itemText(i))

    def _index_changed(self, i: int) -> None:
        self.setToolTip(self.itemText(i) if i > 0 else "")
        if i == 0 and self.lineEdit() is not None:
            self.lineEdit().setText("")       # the placeholder shows; typing never appends to it

    def _left(self) -> None:
        if not self.popup_completer.popup().isVisible():   # not the popup taking the focus
            self._settle()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.currentIndex() <= 0 and self.lineEdit().text() == self.itemText(0):
            self.lineEdit().clear()

    def _settle(self) -> None:
        """Leaving the field: a single match (or an exact code, name or short name) is chosen."""
        self.popup_completer.popup().hide()
        typed = self.lineEdit().text().strip()
        if not typed:
            self._problem = None
            if self.currentIndex() != 0:
                self.setCurrentIndex(0)
            return
        if self.currentIndex() > 0 and typed == self.itemText(self.currentIndex()):
            self._problem = None
            return
        exact = self.findText(typed, Qt.MatchExactly)
        if exact > 0:
            self._problem = None
            self.setCurrentIndex(exact)
            return
        hits = list(dict.fromkeys(self.matches(typed)))
        t = fold(typed)
        exact_hits = [i for i, full, _w in self._keys if t in full]
        chosen = exact_hits if len(exact_hits) == 1 else hits if len(hits) == 1 else []
        if chosen:
            self._problem = None
            self.setCurrentIndex(chosen[0])
            self.lineEdit().setText(self.itemText(chosen[0]))
            return
        self._problem = "ambiguous" if hits else "unknown"
        self.blockSignals(True)
        self.setCurrentIndex(0)
        self.blockSignals(False)
        self.lineEdit().setText(typed)
        self.changed.emit()

    def problem(self) -> str | None:
        """"unknown" or "ambiguous" when the typed text names no single country; else None."""
        return self._problem

    def keyPressEvent(self, event) -> None:
        # keys reach the combo first when it holds the focus; the same rules as in its line edit
        if not self._key(event):
            super().keyPressEvent(event)

    def eventFilter(self, obj, event):
        if obj is self.popup_completer.popup() and event.type() == QEvent.KeyPress:
            return self._popup_key(event)
        if obj is self.lineEdit() and event.type() == QEvent.KeyPress:
            return self._key(event)
        if obj is self.lineEdit() and event.type() == QEvent.FocusIn:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, self.lineEdit().selectAll)
        return False

    def _choose(self) -> None:
        """The highlighted match when there is one (arrows), else what the typed text names."""
        popup = self.popup_completer.popup()
        row = popup.currentIndex() if popup.isVisible() else None
        if row is not None and row.isValid() and popup.selectionModel().isSelected(row):
            popup.hide()
            self._pick_text(row.data())
        else:
            self._settle()

    def _settled(self) -> bool:
        """The field shows a chosen country (or is empty) and nothing waits to be chosen."""
        typed = self.lineEdit().text().strip()
        return not self._problem and not self.popup_completer.popup().isVisible() and (
            not typed or (self.currentIndex() > 0 and typed == self.itemText(self.currentIndex())))

    def _popup_key(self, event) -> bool:
        key = event.key()
        if key in (Qt.Key_Return, Qt.Key_Enter):
            self._choose()               # Enter in the matches only chooses
            return True
        if key in (Qt.Key_Tab, Qt.Key_Backtab):
            self._choose()               # Tab chooses as Enter does, then moves on
            self.lineEdit().setFocus()
            self.focusNextPrevChild(key == Qt.Key_Tab and not event.modifiers() & Qt.ShiftModifier)
            return True
        return False

    def _key(self, event) -> bool:
        """True when the key was handled here."""
        key, text = event.key(), event.text()
        if text and text.isprintable() and self.currentIndex() >= 0 \
                and self.lineEdit().text() == self.itemText(self.currentIndex()):
            self.lineEdit().clear()      # a shown choice (or the placeholder) is never typed onto
        if key in (Qt.Key_Return, Qt.Key_Enter):
            if self._settled():
                return False             # a second Enter goes on to the dialog (its OK)
            self._choose()               # Enter chooses; it never closes the dialog around
            return True
        if key in (Qt.Key_Tab, Qt.Key_Backtab):
            self._choose()               # Tab leaves with the match chosen, as Enter does
            return False
        if key in (Qt.Key_Down, Qt.Key_Up, Qt.Key_PageDown, Qt.Key_PageUp) \
                and not self.popup_completer.popup().isVisible():
            # never step to the neighbouring item unseen: show the matches (or the list)
            if self.lineEdit().text().strip() and self.currentIndex() <= 0:
                self._typed(self.lineEdit().text())
            else:
                self.showPopup()
            return True
        if key == Qt.Key_Escape and self._problem:
            self.lineEdit().setText("")
        return False

    def set_code(self, code) -> None:
        self._problem = None
        if code == "":
            code = None
        super().set_code(code)
        if self.currentIndex() <= 0 and self.lineEdit() is not None:
            self.lineEdit().setText("")

    def country(self) -> str | None:
        code = self.code()
        return None if code in (None, "", STATELESS) else code


class ErrorLabel(QLabel):
    """An inline message beside a field (red for errors, amber for notes). With `reserve`, an
    empty label keeps one line of space, so nothing below it moves when a message appears."""

    def __init__(self, parent: QWidget | None = None, reserve: bool = False):
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self.reserve = reserve
        if reserve:
            # two lines kept free: a message appearing never moves what lies below it
            self._fit_reserve()
            self.setAlignment(Qt.AlignLeft | Qt.AlignTop)
            self.setProperty("kind", "none")
        else:
            self.hide()

    def _fit_reserve(self) -> None:
        """Two lines of the label's font of the moment (the style sheet's size for #fieldError
        at the desk's text scale: again after Ctrl+= / Ctrl+−)."""
        self.ensurePolished()
        self.setFixedHeight(self.fontMetrics().lineSpacing() * 2 + 2)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if getattr(self, "reserve", False) and event.type() in (QEvent.FontChange, QEvent.StyleChange):
            self._fit_reserve()

    def show_message(self, text: str | None, kind: str = "error") -> None:
        if (text or "") == self.text() and (not text or self.property("kind") == kind) \
                and (self.reserve or self.isVisible() == bool(text)):
            return                   # nothing to redraw (the form re-shows every message per keystroke)
        if not text:
            self.clear()
            if not self.reserve:
                self.hide()
            return
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setText(text)
        self.setToolTip(text if self.reserve else "")
        self.show()


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthsEditor(QWidget):
    """A compact editor of a list of months YYYY-MM (ОСМС contributions paid)."""

    changed = Signal()

    def __init__(self, tr: Tr, parent: QWidget | None = None):
        super().__init__(parent)
        self.tr = tr
        self.entry = QLineEdit()
        self.entry.setInputMask("0000-00;_")
        self.entry.setMaximumWidth(100)
        self.add = QPushButton()
        self.remove = QPushButton()
        self.list = QListWidget()
        self.list.setFlow(QListWidget.LeftToRight)
        self.list.setWrapping(True)
        self.list.setMaximumHeight(56)
        self.list.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.error = ErrorLabel()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.entry)
        top.addWidget(self.add)
        top.addWidget(self.remove)
        top.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        box.addLayout(top)
        box.addWidget(self.list)
        box.addWidget(self.error)
        self.add.clicked.connect(self.add_typed)
        self.entry.returnPressed.connect(self.add_typed)
        self.remove.clicked.connect(self.remove_selected)
        self.retranslate()

    def retranslate(self) -> None:
        self.add.setText(self.tr("months.add"))
        self.remove.setText(self.tr("months.remove"))
        self.entry.setPlaceholderText(self.tr("ph.months"))
        self.entry.setToolTip(self.tr("ph.months"))
        self.entry.setAccessibleName(self.tr("ph.months"))
        self.list.setAccessibleName(self.tr("months.list"))
        if self.error.isVisible():
            self.error.show_message(self.tr("months.bad"))

    def add_typed(self) -> None:
        text = self.entry.text().strip()
        m = _MONTH.match(text)
        if not m or not 1 <= int(m.group(2)) <= 12:
            self.error.show_message(self.tr("months.bad"))
            return
        self.error.show_message(None)
        months = set(self.months()) | {text}
        self.set_months(sorted(months))
        self.entry.clear()
        self.changed.emit()

    def remove_selected(self) -> None:
        rows = sorted((self.list.row(i) for i in self.list.selectedItems()), reverse=True)
        if not rows and self.list.count():
            rows = [self.list.count() - 1]
        for r in rows:
            self.list.takeItem(r)
        if rows:
            self.changed.emit()

    def value(self) -> list[str] | None:
        return self.months() or None

    def months(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def set_months(self, months: list[str]) -> None:
        self.list.clear()
        for m in months:
            QListWidgetItem(str(m), self.list)


# --- texts by key, layouts and the form dialog's scaffold ---------------------------------------
def keyed(widget, key: str):
    """`widget` (a label, button or check box) whose text is the catalogue's `key`, set again in
    the new language by `retranslate_keyed` (texts without fields only)."""
    widget.setProperty("textKey", key)
    return widget


def retranslate_keyed(root: QWidget, tr) -> None:
    """Set the text of every `keyed` widget under `root` (and of `root`) in the language of `tr`."""
    for widget in (root, *root.findChildren(QWidget)):
        key = widget.property("textKey")
        if key:
            widget.setText(tr(key))


def _fill(box, items):
    """Add `items` to `box`: a widget or layout, an int (a stretch), or (widget, stretch)."""
    for item in items:
        if isinstance(item, int):
            box.addStretch(item)
            continue
        thing, stretch = item if isinstance(item, tuple) else (item, 0)
        if isinstance(thing, QWidget):
            box.addWidget(thing, stretch)
        else:
            box.addLayout(thing, stretch)
    return box


def hbox(*items, parent: QWidget | None = None, margins: int | None = None) -> QHBoxLayout:
    """A row of `items` (see `_fill`), on `parent` when given."""
    box = QHBoxLayout() if parent is None else QHBoxLayout(parent)
    if margins is not None:
        box.setContentsMargins(margins, margins, margins, margins)
    return _fill(box, items)


def vbox(*items, parent: QWidget | None = None, margins: int | None = None,
         spacing: int | None = None) -> QVBoxLayout:
    """A column of `items` (see `_fill`), on `parent` when given."""
    box = QVBoxLayout() if parent is None else QVBoxLayout(parent)
    if margins is not None:
        box.setContentsMargins(margins, margins, margins, margins)
    if spacing is not None:
        box.setSpacing(spacing)
    return _fill(box, items)


class FormDialog(QDialog):
    """The scaffold of a small dialog: a form (`self.form`, rows added by the subclass), an
    inline message (`self.error`) and the buttons — OK/Close, or Save/Cancel with `save`.
    The subclass calls `self.lay_out(before=..., after=...)` once its rows are in; Enter and
    OK call `check()` (by default: `values()` is not None) and close only when it passes."""

    def __init__(self, tr, parent: QWidget | None = None, *, title: str = "", name: str = "",
                 save: bool = False, min_width: int | None = None):
        super().__init__(parent)
        self.tr = tr
        if name:
            self.setObjectName(name)
        if title:
            self.setWindowTitle(tr(title))
        if min_width:
            self.setMinimumWidth(min_width)
        self.form = QFormLayout()
        self.error = ErrorLabel()
        if save:
            self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
            self.buttons.button(QDialogButtonBox.Save).setText(tr("btn.save"))
            self.buttons.button(QDialogButtonBox.Cancel).setText(tr("btn.cancel"))
        else:
            self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
            self.buttons.button(QDialogButtonBox.Cancel).setText(tr("print.close"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def lay_out(self, before=(), after=()) -> None:
        vbox(*before, self.form, *after, self.error, self.buttons, parent=self)

    def rule_label(self, key: str) -> QLabel:
        """A wrapped hint under the form (the password rule)."""
        label = QLabel(self.tr(key))
        label.setObjectName("hint")
        label.setWordWrap(True)
        return label

    def values(self):  # pragma: no cover - subclasses
        return {}

    def check(self) -> bool:
        return self.values() is not None

    def accept(self) -> None:
        if self.check():
            super().accept()
