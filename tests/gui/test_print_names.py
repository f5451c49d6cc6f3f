"""Issue 21 item 15: «Сохранить PDF…» suggests the patient's name, the document and its number,
in the user's Documents folder, as a file name Windows accepts."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt

from desktop.gui.printing.preview import PrintPanel, safe_file_name
from tests.gui.helpers import pdf_printer

try:
    from .conftest_extra import NOW, TODAY, clock, db_path, decision_for, load_case, registry, tr  # noqa: F401
except ImportError:
    from conftest_extra import NOW, TODAY, clock, db_path, decision_for, load_case, registry, tr  # noqa: F401


def test_save_pdf_suggests_name_document_and_number_in_documents(qtbot, registry, ref, tr, clock, tmp_path):
    asked = []
    target = tmp_path / "chosen.pdf"
    case = load_case("p06")
    case["person"]["surname"] = "О'Нил/Сейткали"            # a slash is not allowed in a file name
    panel = PrintPanel(registry, ref, tr, clock, "reg", choose_printer=pdf_printer(tmp_path / "printer.pdf"),
                       choose_path=lambda _parent, suggested: (asked.append(suggested), str(target))[1])
    qtbot.addWidget(panel)
    panel.set_context(case, decision_for(case, ref, "ru"))
    panel.show()
    dialog = panel.open_preview(panel._request("refusal"))
    qtbot.waitUntil(lambda: dialog.pdf is not None and dialog.save_button.isEnabled(), timeout=20000)
    with qtbot.waitSignal(dialog.done, timeout=20000):
        qtbot.mouseClick(dialog.save_button, Qt.LeftButton)
    assert len(asked) == 1
    suggested = Path(asked[0])
    documents = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation)
    # the Documents folder; a fresh account without one gets its home (never the program's folder)
    assert documents and suggested.parent == (Path(documents) if Path(documents).is_dir() else Path.home())
    given = case["person"]["given_name"]
    assert suggested.name == f"О'Нил_Сейткали {given} — Отказ № 2026-000001.pdf"
    assert target.read_bytes() == registry.get_printed("2026-000001").pdf


def test_file_names_are_safe_on_windows():
    assert safe_file_name('a<b>c:d"e/f\\g|h?i*j') == "a_b_c_d_e_f_g_h_i_j"
    assert safe_file_name("Иванов\tИван. ") == "Иванов Иван"
    assert safe_file_name("CON") == "_CON" and safe_file_name("lpt1.x") == "_lpt1.x"
    assert len(safe_file_name("я" * 400)) == 150


def test_without_a_documents_folder_the_suggestion_is_in_home(tmp_path, monkeypatch):
    """A fresh account has no Documents folder yet: the file dialog then opens in the home
    folder, not in whatever folder the program was started from."""
    from desktop.gui.printing.preview import suggested_pdf_path

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(tmp_path / "Documents"))
    path = Path(suggested_pdf_path("Иванов Иван", "Отказ", "2026-000001"))
    assert path == tmp_path / "Иванов Иван — Отказ № 2026-000001.pdf"
    (tmp_path / "Documents").mkdir()
    path = Path(suggested_pdf_path("Иванов Иван", "Отказ", "2026-000001"))
    assert path.parent == tmp_path / "Documents"
