"""Issue 21, item 16 (the desk at 1024×768, ru and kk): a disabled control looks disabled, the
arrows of the lists and number boxes are whole, the date filters show «ДД.ММ.ГГГГ» whole."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QApplication, QComboBox, QHBoxLayout, QLineEdit, QPushButton,
                               QSpinBox, QStyle, QStyleOptionFrame, QToolButton, QWidget)

from desktop.gui.style import ICONS, style


@pytest.fixture
def sheet(qapp):
    before = qapp.styleSheet()
    yield qapp
    qapp.setStyleSheet(before)


def settle(qtbot):
    for _ in range(4):
        QApplication.processEvents()
    qtbot.wait(10)


def row(qtbot, *widgets):
    holder = QWidget()
    box = QHBoxLayout(holder)
    for w in widgets:
        box.addWidget(w)
    qtbot.addWidget(holder)
    holder.show()
    qtbot.waitExposed(holder)
    settle(qtbot)
    return holder


def colour_at(widget, x, y) -> QColor:
    return widget.grab().toImage().pixelColor(x, y)


def near(a: QColor, b: QColor, tolerance: int = 24) -> bool:
    return all(abs(p - q) <= tolerance for p, q in zip(a.getRgb()[:3], b.getRgb()[:3]))


@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_a_disabled_button_or_box_looks_disabled(qtbot, sheet, scale):
    sheet.setStyleSheet(style(scale))
    on, off = QPushButton("Сохранить"), QPushButton("Сохранить")
    for b in (on, off):
        b.setObjectName("primary")
    off.setEnabled(False)
    spin_off, line_off, spin_on = QSpinBox(), QLineEdit("1"), QSpinBox()
    spin_off.setEnabled(False)
    line_off.setEnabled(False)
    _holder = row(qtbot, on, off, spin_on, spin_off, line_off)
    assert not near(colour_at(on, 6, on.height() // 2), colour_at(off, 6, off.height() // 2), 40)
    def inside(w, from_right):       # the box's background, clear of its text and buttons
        return colour_at(w, w.width() - from_right, w.height() // 2)

    assert near(inside(spin_off, 30), inside(line_off, 10), 4)
    assert not near(inside(spin_on, 30), inside(spin_off, 30), 4)


def arrow_pixels(widget) -> tuple[int, int]:
    """(pixels of the arrows' grey, pure black pixels) in the widget's right 24 px."""
    image = widget.grab().toImage()
    grey, black = QColor("#5b6472"), 0
    found = 0
    for x in range(image.width() - 24, image.width()):
        for y in range(image.height()):
            c = image.pixelColor(x, y)
            found += near(c, grey, 20)
            black += c.red() + c.green() + c.blue() < 60
    return found, black


def test_the_arrows_of_lists_and_number_boxes_are_whole(qtbot, sheet):
    sheet.setStyleSheet(style(1.0))
    for name in ("arrow-down", "arrow-up", "arrow-down-disabled", "arrow-up-disabled"):
        assert (Path(ICONS) / f"{name}.png").is_file()
    combo, spin = QComboBox(), QSpinBox()
    combo.addItems(["— все —", "admin"])
    spin.setValue(30)
    _holder = row(qtbot, combo, spin)
    for w in (combo, spin):
        grey, black = arrow_pixels(w)
        assert grey >= 12 and black == 0, (type(w).__name__, grey, black)
    # the up arrow in the upper half, the down arrow in the lower half of the number box
    image = spin.grab().toImage()
    rows = [y for y in range(image.height())
            if any(near(image.pixelColor(x, y), QColor("#5b6472"), 20) for x in range(image.width() - 24, image.width()))]
    assert min(rows) < spin.height() / 2 < max(rows)


@pytest.mark.parametrize("scale", [1.0, 1.5])
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_audit_date_filters_show_the_placeholder_whole_at_1024(qtbot, window, sheet, lang, scale):
    sheet.setStyleSheet(style(scale))
    window.switch_language(lang)
    window.resize(1024, 768)
    dialog = window.admin_menu.open("audit")
    dialog.resize(1024, 700)
    settle(qtbot)
    for field in (dialog.since, dialog.until):
        assert field.text() == "" and field.isVisible()
        button = next(b for b in field.findChildren(QToolButton) if b.isVisible())
        option = QStyleOptionFrame()
        field.initStyleOption(option)
        text_left = field.style().subElementRect(QStyle.SE_LineEditContents, option, field).left()
        room = button.x() - text_left - 8      # Qt's 2 px margins each side and the button's spacing
        need = field.fontMetrics().horizontalAdvance(field.placeholderText())
        assert room >= need, f"{lang} {scale}: «ДД.ММ.ГГГГ» needs {need} px, has {room}"
        assert field.mapTo(dialog, QPoint(field.width(), 0)).x() <= dialog.width()
    dialog.close()


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_admin_window_fits_a_1024_by_768_screen(qtbot, window, sheet, lang):
    """The audit log's filters were 1238 px at least (the action list as wide as its longest
    action): on a 1024 px screen its right side, «Показать» and the dates, were off screen."""
    from desktop.gui.admin.menu import ENTRIES

    sheet.setStyleSheet(style(1.0))
    window.switch_language(lang)
    for name, _key, _admin in ENTRIES:
        dialog = window.admin_menu.open(name)
        settle(qtbot)
        least = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
        assert least.width() <= 1024 and least.height() <= 740, (name, least.toTuple())
        dialog.close()
    audit = window.admin_menu.open("audit")
    audit.resize(1024, 700)
    settle(qtbot)
    assert audit.width() <= 1024
    for w in (audit.user_filter, audit.action_filter, audit.since, audit.until, audit.apply_button):
        right = w.mapTo(audit, QPoint(w.width(), 0)).x()
        assert w.isVisible() and right <= audit.width(), (w.objectName(), right)
    audit.action_filter.showPopup()          # the list itself is as wide as its longest action
    view = audit.action_filter.view()
    assert view.width() >= view.sizeHintForColumn(0)
    audit.action_filter.hidePopup()
    audit.close()


@pytest.mark.parametrize("scale", [1.0, 1.5])
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_new_account_dialog_shows_a_full_name_whole(qtbot, window, sheet, lang, scale):
    sheet.setStyleSheet(style(scale))
    window.switch_language(lang)
    users = window.admin_menu.open("users")
    dialog = users.add_dialog()
    name = "Мухамеджанова-Сейткалиева Айгерим Нурсултановна"
    dialog.full_name.setText(name)
    settle(qtbot)
    assert dialog.full_name.width() - 20 >= dialog.full_name.fontMetrics().horizontalAdvance(name)
    assert dialog.width() <= 1024
    dialog.reject()
    users.close()


@pytest.mark.parametrize("scale", [1.0, 1.5])
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_document_kind_shows_whole_in_the_document_dialog(qtbot, window, sheet, lang, scale):
    """«Договор добровольного медицинского страхова» was cut mid-word at 1024×768."""
    from PySide6.QtWidgets import QStyleOptionComboBox

    sheet.setStyleSheet(style(scale))
    window.switch_language(lang)
    window.resize(1024, 768)
    window.new_patient()
    dialog = window.form.add_document()
    settle(qtbot)
    combo = dialog.kind
    assert dialog.width() <= (1024 if scale == 1.0 else 1366)     # 150 %: a 1366 px screen
    cut = []
    for i in range(combo.count()):
        combo.setCurrentIndex(i)
        option = QStyleOptionComboBox()
        combo.initStyleOption(option)
        room = combo.style().subControlRect(QStyle.CC_ComboBox, option, QStyle.SC_ComboBoxEditField, combo).width()
        if room < combo.fontMetrics().horizontalAdvance(combo.currentText()):
            cut.append((combo.currentText(), room))
    assert not cut, cut
    dialog.reject()


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_documents_table_shows_every_kind_whole_at_1024(qtbot, window, sheet, lang):
    """«Вид» was «Иностра…», «Договор…» at 1024×768: the kind wraps at its words, every word
    whole, each row as tall as its lines; the dates sit on two lines."""
    from PySide6.QtCore import QRect, Qt as QtNS

    from tests.gui.conftest import case_of

    sheet.setStyleSheet(style(1.0))
    window.switch_language(lang)
    window.resize(1024, 768)
    window.new_patient()
    case = case_of("p04")
    window.form.set_case(case)
    settle(qtbot)
    view, model = window.form.documents_view, window.form.documents
    assert model.rowCount() >= 3
    problems = []
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        text = model.data(index)
        cell = view.visualRect(index)
        room = cell.width() - 8                          # the cell's margins
        metrics = view.fontMetrics()
        widest = max(metrics.horizontalAdvance(word) for word in text.split())
        lines = metrics.boundingRect(QRect(0, 0, room, 10_000), QtNS.TextWordWrap, text).height()
        if widest > room or lines > view.rowHeight(row):
            problems.append(f"{text!r}: {room} px wide, {view.rowHeight(row)} px tall, needs {widest} × {lines}")
    assert not problems, "\n".join(problems)
    assert view.horizontalScrollBar().maximum() == 0


@pytest.mark.parametrize("size", [(1024, 768), (1366, 768)])
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_a_long_name_in_the_search_results_is_whole(qtbot, window, sheet, lang, size):
    """«ФИО» was «Конста…» in the results: the name wraps at its words, the row as tall."""
    from PySide6.QtCore import QRect, Qt as QtNS

    from tests.gui.conftest import case_of

    sheet.setStyleSheet(style(1.0))
    case = case_of("p04")
    case["person"].update({"surname": "Константинопольская-Байжанова", "given_name": "Александра",
                           "patronymic": "Вячеславовна"})
    window.form.set_case(case)
    window.recompute()
    assert window.save()
    window.switch_language(lang)
    window.resize(*size)
    window.focus_search()
    window.search.query.setText("Константин")
    window.search.search()
    settle(qtbot)
    view, model = window.search.view, window.search.view.model()
    assert model.rowCount() == 1
    index = model.index(0, 0)
    text = model.data(index)
    assert "Константинопольская-Байжанова" in text
    room = view.visualRect(index).width() - 8
    metrics = view.fontMetrics()
    words = text.replace("-", "- ").split()         # a line may break after a hyphen, as Qt does
    widest = max(metrics.horizontalAdvance(word) for word in words)
    lines = view.sizeHintForRow(0)                   # the delegate's own wrapped height
    assert widest <= room and lines <= view.rowHeight(0), (room, widest, lines, view.rowHeight(0))
    if metrics.horizontalAdvance(text) > room:                 # too long for one line:
        assert view.rowHeight(0) > metrics.lineSpacing() * 2   # on more than one line
    assert view.horizontalScrollBar().maximum() == 0
    if lang == "ru" and size == (1366, 768):
        view.grab().save("/tmp/d21c/results-1366-ru.png")
