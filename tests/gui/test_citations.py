"""Issue 21 item 14: a citation of the decision panel opens on screen (1024×768 too) with the
act, its article and the seed's words, in ru and kk."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import case_of


def _settle(qtbot):
    for _ in range(4):
        QApplication.processEvents()
    qtbot.wait(10)


def _click_link(qtbot, label, act_id: str) -> None:
    """Click the link `basis:<act_id>` in the rich-text label with the mouse."""
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setHtml(label.text())
    doc.setTextWidth(label.contentsRect().width())
    doc.setDocumentMargin(0)
    doc.size()                                  # lays the document out
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().anchorHref() == f"basis:{act_id}":
                rect = doc.documentLayout().blockBoundingRect(block)
                layout = block.layout()
                line = layout.lineForTextPosition(fragment.position() - block.position())
                assert line.isValid()
                x = rect.x() + line.cursorToX(fragment.position() - block.position() + 1)[0]
                y = rect.y() + line.y() + line.height() / 2
                margin = label.contentsRect().topLeft()
                qtbot.mouseClick(label, Qt.LeftButton, pos=QPoint(int(x) + margin.x() + 2, int(y) + margin.y()))
                return
            it += 1
        block = block.next()
    raise AssertionError(f"no link to {act_id}")


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("size", [(1024, 768), (1500, 920)])
def test_a_citation_opens_on_screen_with_its_text(qtbot, window, ref, lang, size, tmp_path):
    window.resize(*size)
    _settle(qtbot)
    window.switch_language(lang)
    window.new_patient()
    window.form.set_case(case_of("p04"))
    window.recompute()
    ids = [b["id"] for b in window.decision["basis"]]
    act_id = next(i for i in ids if ref.quote(i, lang))     # one with the seed's words
    panel = window.panel
    label = panel.bodies["basis"]
    panel.scroll.ensureWidgetVisible(label)
    _settle(qtbot)
    _click_link(qtbot, label, act_id)
    dialog = panel.citation_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    _settle(qtbot)
    entry = ref.basis_entry(act_id, lang)
    assert dialog.act_id == act_id
    assert entry["article"] in dialog.article.text() and dialog.act.text()
    assert dialog.text.text() == ref.quote(act_id, lang) and dialog.scroll.isVisible()
    note = dialog.note.text()
    assert note == window.tr("citation.text_in_russian" if lang == "kk" else "citation.text")
    screen = window.screen().availableGeometry()
    frame = dialog.frameGeometry()
    assert screen.contains(frame), (screen.getRect(), frame.getRect())
    assert window.frameGeometry().intersects(frame)
    assert dialog.close_button.text() == window.tr("btn.close")
    window.grab().save(str(tmp_path / f"desk-{lang}-{size[0]}.png"))
    dialog.grab().save(str(tmp_path / f"citation-{lang}-{size[0]}.png"))
    qtbot.keyClick(dialog, Qt.Key_Escape)
    assert not dialog.isVisible()


def test_an_act_without_a_quote_says_so_and_ctrl_l_retranslates(qtbot, window, ref):
    window.new_patient()
    window.form.set_case(case_of("p04"))
    window.recompute()
    plain = next(a for a in ref.acts if ref.quote(a, "ru") is None)
    dialog = window.panel.show_citation(f"basis:{plain}")
    assert dialog.isVisible() and not dialog.scroll.isVisible()
    assert dialog.note.text() == window.tr("citation.no_text")
    window.switch_language("kk")       # (the dialog is window-modal: Ctrl+L waits until it closes)
    assert dialog.isVisible() and dialog.windowTitle() == "Шешімнің негізі"
    assert dialog.act.text() == ref.basis_entry(plain, "kk")["act"].replace("&", "&amp;")
    dialog.reject()


@pytest.mark.parametrize("lang,note", [("ru", "citation.text_in_kazakh"), ("kk", "citation.text")])
def test_a_quote_from_a_kazakh_only_seed_is_said_to_be_kazakh(qtbot, window, ref, lang, note):
    """The ОСМС Law (seed 003) is in Kazakh only: its words are the same in both languages, and
    the desk says so in Russian (never «на русском языке» in Kazakh)."""
    window.switch_language(lang)
    window.new_patient()
    window.form.set_case(case_of("p04"))
    window.recompute()
    assert "osms-law-2-3" in [b["id"] for b in window.decision["basis"]]
    dialog = window.panel.show_citation("basis:osms-law-2-3")
    assert dialog.isVisible() and dialog.scroll.isVisible()
    assert dialog.text.text() == ref.quote("osms-law-2-3", lang) == ref.quote("osms-law-2-3", "ru")
    assert dialog.note.text() == window.tr(note)
    dialog.reject()


def test_every_quote_is_its_acts_seed_text_in_the_seeds_language(ref):
    """A quote cites its own act, from a seed (not a public fact); a seed in one language gives
    that text in both (000, the letter, and 001, R665: Russian; 002 and 003: Kazakh)."""
    from desktop.gui.desk.panel import quote_language

    seed_language = {"seed 000": "ru", "seed 001": "ru", "seed 002": "kk", "seed 003": "kk"}
    quoted = [a for a in ref.acts if ref.quote(a, "ru") is not None]
    assert len(quoted) >= 26
    for act_id in quoted:
        source = ref.acts[act_id].source
        assert source in seed_language, (act_id, source)
        ru, kk = ref.quote(act_id, "ru"), ref.quote(act_id, "kk")
        assert ru == kk and quote_language(ru) == seed_language[source], act_id
        assert [basis for _f, _t, _txt, basis in ref._texts[f"quote.{act_id}"]] == [(act_id,)], act_id
