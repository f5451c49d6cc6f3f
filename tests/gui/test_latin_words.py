"""Russian and Kazakh only (issue 21 item 4): every window and dialog of the desk, walked in
both languages, shows no Latin word that is not a code, a name or a number."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QLineEdit, QWidget)

from tests.gui.conftest import case_of
from tests.gui.helpers import visible_texts

LATIN = re.compile(r"[A-Za-z][A-Za-z_']+")
# keys on the keyboard, and words that are names (of sites, formats) rather than language
NAMES = {"Ctrl", "Alt", "Shift", "Enter", "Tab", "Esc", "Del", "Delete", "Home", "End", "Space",
         "Backspace", "PgUp", "PgDn", "egov", "kz", "gov", "pdf", "csv", "json", "sqlite", "zip", "enc",
         "Ed25519", "PostgreSQL", "SQLite", "eGov"}
NOT_CODES = {"OK"}      # upper case, and still English


TAG = re.compile(r"<[^>]*>")
PATH = re.compile(r"(?:[A-Za-z]:)?[/\\][^\s«»]+")
SIZE = re.compile(r"\d\s*([KMG]i?B)\b")
TOKEN = re.compile(r"[A-Za-z0-9_']+")


def latin_words(text: str, allowed: set[str] = frozenset()) -> list[str]:
    """The Latin words of `text` (rich text read as shown) that are neither a code (upper case,
    or with digits: a version, a number), a name (a file path, a site) nor one of `allowed`
    (the test's own data: logins, a name as in the passport). Sizes in KB/MB are words."""
    text = TAG.sub(" ", text)
    out = [m.group(1) for m in SIZE.finditer(text)]
    text = PATH.sub(" ", SIZE.sub(" ", text))
    for word in TOKEN.findall(text):
        if not re.search(r"[A-Za-z]", word):
            continue
        if word in NAMES or word in allowed:
            continue
        if (word.isupper() or any(c.isdigit() for c in word)) and word not in NOT_CODES:
            continue
        out.append(word)
    return out


def texts_of(root: QWidget) -> list[str]:
    """What a person reads in `root`: labels, buttons, groups, tabs, headers (helpers.visible_texts),
    and the window's title, placeholders, the chosen items of lists and the cells of tables."""
    out = visible_texts(root) + [root.windowTitle()]
    for w in root.findChildren(QLineEdit):
        if w.isVisibleTo(root) and not w.text():
            out.append(w.placeholderText())
    for w in root.findChildren(QComboBox):
        if w.isVisibleTo(root):
            out += [w.itemText(i) for i in range(w.count())]
    for view in root.findChildren(QAbstractItemView):
        model = view.model()
        if view.isVisibleTo(root) and model is not None and hasattr(model, "columnCount"):
            for r in range(min(model.rowCount(), 30)):
                out += [str(model.index(r, c).data(Qt.DisplayRole) or "") for c in range(model.columnCount())]
    return [t for t in out if t]


# the test's own data: logins and a file name are names, not words
DATA = {"admin", "reg", "copy"}


def offending(root: QWidget, allowed=DATA) -> list[str]:
    return [f"{words} in «{t[:90]}»" for t in texts_of(root) if (words := latin_words(t, allowed))]


def test_the_check_itself():
    assert latin_words("Сохранено") == []
    assert latin_words("CONS-GP, KG, F2, ИИН 900505300013, Ctrl+S, egov.kz") == []
    assert latin_words("Размер: 12 KB") == ["KB"]
    assert latin_words("<div style='color:#1e6b3a'>✔ Паспорт</div> 2026-11-23-22f5dfe201, /tmp/a b") == ["b"]
    assert latin_words("is longer than 100 characters") == ["is", "longer", "than", "characters"]
    assert latin_words("previous_kept_as: system") == ["previous_kept_as", "system"]


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_window_and_dialog_speaks_the_language(qtbot, make_window, registry, lang, tmp_path):
    from desktop.gui.admin.data import BackupDialog

    window = make_window("admin")
    window.switch_language(lang)
    case = case_of("p04")
    case["person"].update({"iin": "900505300013", "latin_name": "TESTOV TEST"})
    window.form.set_case(case)
    window.recompute()
    window.save()
    problems = {"desk": offending(window)}
    window.tabs.setCurrentWidget(window.history)
    problems["history"] = offending(window.history)
    for name in ("worklist", "prices", "refdata", "backup", "users", "audit", "export"):
        dialog = window.admin_menu.open(name)
        qtbot.waitUntil(lambda d=dialog: not d.worker.busy(), timeout=20000)
        if isinstance(dialog, BackupDialog):
            dialog.run(lambda d=dialog: d.backup_to(tmp_path / "copy.sqlite") if hasattr(d, "backup_to") else None,
                       lambda _r: None)
            qtbot.waitUntil(lambda d=dialog: not d.worker.busy(), timeout=20000)
        if name == "refdata":          # refusals: no earlier release, a damaged package
            dialog.rollback()
            problems["refdata: rollback"] = offending(dialog)
            bad = tmp_path / "bad.zip"
            bad.write_bytes(b"PK\x03\x04 not really a zip")
            dialog.import_file(bad)
            qtbot.waitUntil(lambda d=dialog: not d.worker.busy(), timeout=20000)
            assert dialog.status_kind() == "error"
        problems[name] = offending(dialog)
        dialog.close()
    dialog = window.form.add_document()
    problems["document"] = offending(dialog)
    dialog.reject()
    box = window.show_keys()
    problems["keys"] = offending(box)
    box.close()
    window.dirty = False
    window.lock("manual")
    problems["login"] = offending(window.login_page)
    problems = {k: v for k, v in problems.items() if v}
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_a_store_refusal_reaches_the_desk_without_its_english_half(registry, lang):
    """«— CONS-GP already has a price from …»: the registry's bilingual message is shown by its
    Russian half; a refused package by the catalogue's words for its reason."""
    from datetime import date, datetime
    from decimal import Decimal

    from desktop.core.refpackage import PackageError
    from desktop.gui.admin.base import error_message
    from desktop.gui.i18n import Tr

    registry.create_user("admin", "secret-pass-1", full_name="А", role="admin", now=datetime(2026, 11, 22))
    registry.set_price("X-1", price=Decimal("100"), valid_from=date(2027, 1, 1), actor="admin",
                       name_ru="Приём", now=datetime(2026, 11, 22))
    with pytest.raises(Exception) as caught:
        registry.set_price("X-1", price=Decimal("90"), valid_from=date(2026, 12, 1), actor="admin",
                           now=datetime(2026, 11, 22))
    text = error_message(Tr(lang), caught.value)
    assert "2027-01-01" in text and latin_words(text, {"X"}) == []
    text = error_message(Tr(lang), PackageError("no_previous", "нет предыдущей — no earlier release is installed"))
    assert latin_words(text) == [] and text == Tr(lang)("refpkg.no_previous")


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_a_too_long_name_is_said_in_the_language(qtbot, window, lang):
    """101 letters typed in «Отчество»: the core's «is longer than 100 characters» is shown in
    the catalogue's words with the limit."""
    from tests.gui.helpers import type_into

    window.switch_language(lang)
    type_into(qtbot, window.form.patronymic, "Ә" * 101)
    window.recompute()
    qtbot.waitUntil(lambda: window.form.error_label("person.patronymic").text() != "", timeout=5000)
    text = window.form.error_label("person.patronymic").text()
    assert "100" in text and latin_words(text) == []
    window.dirty = False


@pytest.mark.parametrize("lang, month", [("ru", "январь"), ("kk", "қаңтар")])
def test_the_calendar_names_months_and_days_in_the_language(qtbot, window, lang, month):
    """Alt+Down in a date field opens the calendar: its month and weekday names follow the
    interface's language, with no English."""
    from PySide6.QtWidgets import QCalendarWidget, QToolButton

    window.switch_language(lang)
    field = window.form.birth_date
    field.setFocus()
    qtbot.keyClick(field, Qt.Key_Down, Qt.AltModifier)
    cal = field._popup
    assert isinstance(cal, QCalendarWidget) and cal.isVisible()
    names = [b.text() for b in cal.findChildren(QToolButton) if b.text()]
    weekdays = [cal.locale().dayName(d, cal.locale().FormatType.ShortFormat) for d in range(1, 8)]
    assert cal.monthShown() == 1 and any(month in n.casefold() for n in names), names   # the empty card pages at 01.1990
    assert all(latin_words(t) == [] for t in names + weekdays), (names, weekdays)
    cal.close()
