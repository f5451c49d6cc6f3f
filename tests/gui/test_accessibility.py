"""Accessibility (issue 21 item 17, in part): every input and button of the desk and of the
administration dialogs has an accessible name — its label's text, its own text, or one set
from the catalogue — as a screen reader asks Qt for it (QAccessible), in both languages."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QHeaderView,
                               QLineEdit, QTabBar, QToolButton, QWidget)

KINDS = (QLineEdit, QComboBox, QAbstractButton, QAbstractSpinBox, QAbstractItemView)


def unnamed(root: QWidget) -> list[str]:
    out = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, KINDS) or isinstance(w, QHeaderView) or not w.isVisibleTo(root):
            continue
        parent = w.parent()
        if isinstance(w, QLineEdit) and isinstance(parent, (QComboBox, QAbstractSpinBox)):
            continue              # the editor inside a list or a spin box: named with it
        if isinstance(w, QToolButton) and isinstance(parent, (QLineEdit, QTabBar)):
            continue              # a field's clear or calendar button, a tab bar's arrows
        face = QAccessible.queryAccessibleInterface(w)
        if face is None or not face.text(QAccessible.Name).strip():
            out.append(f"{type(w).__name__} {w.objectName() or ''} {w.property('field') or ''}".strip())
    return out


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_input_and_button_has_a_name(qtbot, window, lang):
    window.switch_language(lang)
    problems = {"desk": unnamed(window)}
    for name in ("worklist", "prices", "refdata", "backup", "users", "audit", "export"):
        dialog = window.admin_menu.open(name)
        qtbot.waitUntil(lambda d=dialog: not d.worker.busy(), timeout=20000)
        problems[name] = unnamed(dialog)
        dialog.close()
    dialog = window.form.add_document()
    problems["document"] = unnamed(dialog)
    dialog.reject()
    problems = {k: v for k, v in problems.items() if v}
    assert problems == {}, problems
