"""Russian and Kazakh: the catalogue is complete and a switch changes every visible text."""
from __future__ import annotations

import ast
import collections
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.gui.i18n import LANGS, STRINGS
from tests.gui.conftest import case_of
from tests.gui.helpers import visible_texts


def test_every_key_has_every_language():
    """No interface string lacks Russian or Kazakh."""
    missing = [(k, lang) for k, v in STRINGS.items() for lang in LANGS if not (v.get(lang) or "").strip()]
    assert missing == []


def test_no_key_is_defined_twice_in_the_one_catalogue():
    """strings.py is the one catalogue: a key written twice would silently hide the first text."""
    source = Path(__file__).resolve().parents[2] / "desktop" / "gui" / "strings.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    literal = next(n.value for n in tree.body if isinstance(n, ast.AnnAssign) and n.target.id == "STRINGS")
    counts = collections.Counter(k.value for k in literal.keys)
    assert [k for k, n in counts.items() if n > 1] == []
    assert len(counts) == len(STRINGS)


def _foreign(texts: list[str], lang: str) -> list[str]:
    """Texts that are catalogue strings of the other language only."""
    other = "kk" if lang == "ru" else "ru"
    own = {v[lang] for v in STRINGS.values()}
    theirs = {v[other] for v in STRINGS.values() if "{" not in v[other]} - own
    return [t for t in texts if t in theirs or t.upper() in {x.upper() for x in theirs}]


def test_switch_to_kazakh_changes_every_visible_text(qtbot, window, ref):
    """After Ctrl+L every visible label, button, group, tab and header is Kazakh, and so is the decision."""
    window.form.set_case(case_of("p04"))
    window.recompute()
    before = visible_texts(window)
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)
    assert window.tr.lang == "kk"
    after = visible_texts(window)
    assert _foreign(after, "kk") == []
    assert window.panel.category.text() == ref.category_name("eaeu_worker", "kk")
    assert ref.text("status.allowed", "kk").upper() in window.panel.status_text.text()
    assert window.decision["lang"] == "kk"
    ru_only = {v["ru"] for v in STRINGS.values()} - {v["kk"] for v in STRINGS.values()}
    assert any(t in ru_only for t in before)
    assert not any(t in ru_only for t in after)


def test_switch_back_to_russian(qtbot, window):
    """Switching twice returns every text to Russian."""
    window.switch_language("kk")
    window.switch_language("ru")
    assert _foreign(visible_texts(window), "ru") == []


def test_language_is_remembered(qtbot, window, settings):
    """The last language is kept in the workstation settings."""
    window.switch_language("kk")
    assert settings.language == "kk"


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("mode", ["save", "open", "folder"])
def test_qt_file_dialog_speaks_the_desk_language(qtbot, lang, mode):
    """Qt's own file dialog (where the platform's is not translated): every label and button
    in the desk's language — Qt's Russian file lacks «&Look in:» and «Files of &type:» of this
    Qt, which the desk takes from the old texts Qt's file still translates."""
    import re

    from PySide6.QtWidgets import QAbstractButton, QApplication, QFileDialog, QLabel

    from desktop.gui.qt_translations import QtTranslations

    translations = QtTranslations.of(QApplication.instance())
    before = translations.lang
    try:
        assert translations.load(lang)
        dialog = QFileDialog(None, "polyclinic")
        qtbot.addWidget(dialog)
        dialog.setOption(QFileDialog.DontUseNativeDialog, True)
        if mode == "save":
            dialog.setAcceptMode(QFileDialog.AcceptSave)
        elif mode == "folder":
            dialog.setFileMode(QFileDialog.Directory)
        dialog.show()
        qtbot.waitUntil(dialog.isVisible)
        texts = [w.text() for w in dialog.findChildren(QLabel) if w.isVisible() and w.text()]
        texts += [w.text() or w.toolTip() for w in dialog.findChildren(QAbstractButton) if w.isVisible()]
        latin = [t for t in texts if re.search(r"[A-Za-z]{2,}", t.replace("&", ""))]
        assert len(texts) >= 8 and not latin, latin
        dialog.close()
    finally:
        translations.load(before or "ru")
