"""The decision panel: what the core decided, in words, icons and colour, with its reasons.

It shows a decision dict (interface.md "Output" plus category_name, input_notes) or, when the
form has errors, says so and lists them — never a stale decision. It judges nothing itself.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                               QVBoxLayout, QWidget)

from desktop.gui.i18n import Tr, dmy, error_text, note_text

STATUS_ICON = {"allowed": "✔", "needs_documents": "!", "not_allowed": "✖"}


def _section(title: QLabel, body: QLabel) -> QWidget:
    w = QWidget()
    box = QVBoxLayout(w)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(3)
    box.addWidget(title)
    box.addWidget(body)
    return w


def _rich(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.RichText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextBrowserInteraction)
    label.setAlignment(Qt.AlignLeft | Qt.AlignTop)
    return label


KAZAKH_LETTERS = frozenset("әғқңөұүһі")     # lower case: R665's Russian writes «ҚР ДСМ-…» only


def quote_language(text: str) -> str:
    """The language of a seed's text given in one language only: "kk" when it holds a letter
    that only Kazakh writes, else "ru"."""
    return "kk" if KAZAKH_LETTERS & set(text) else "ru"


class CitationDialog(QDialog):
    """A cited act opened from the decision panel: the act, its article and the seed's own
    words (when the reference data holds them), in the interface's language; centred on the
    window and never larger than the screen (1024×768 too). Esc or «Закрыть» closes it."""

    WIDTH, HEIGHT = 620, 460

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("citationDialog")
        self.setWindowModality(Qt.WindowModal)
        self.act_id: str | None = None
        self.article = QLabel()
        self.article.setObjectName("citationArticle")
        self.article.setWordWrap(True)
        self.act = QLabel()
        self.act.setObjectName("citationAct")
        self.act.setWordWrap(True)
        self.act.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.note = QLabel()
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        self.text = QLabel()
        self.text.setObjectName("citationText")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        holder = QWidget()
        inner = QVBoxLayout(holder)
        inner.setContentsMargins(0, 0, 6, 0)
        inner.addWidget(self.text)
        inner.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setWidget(holder)
        self.close_button = QPushButton()
        self.close_button.setObjectName("citationClose")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 16, 18, 14)
        box.setSpacing(8)
        box.addWidget(self.article)
        box.addWidget(self.act)
        box.addWidget(self.note)
        box.addWidget(self.scroll, 1)
        box.addLayout(buttons)

    def show_act(self, ref, tr: Tr, act_id: str) -> None:
        self.act_id = act_id
        lang = tr.lang
        entry = ref.basis_entry(act_id, lang)
        quote = ref.quote(act_id, lang)
        self.setWindowTitle(tr("citation.title"))
        self.article.setText(f"<b>{escape(entry['article'])}</b>")
        self.act.setText(escape(entry["act"]))
        other = "kk" if lang == "ru" else "ru"
        if quote is None:
            self.note.setText(tr("citation.no_text"))
        elif quote == ref.quote(act_id, other) and quote_language(quote) != lang:
            # the seed has the text in one language only (R665 in Russian, the ОСМС Law in Kazakh)
            self.note.setText(tr("citation.text_in_kazakh" if quote_language(quote) == "kk"
                                 else "citation.text_in_russian"))
        else:
            self.note.setText(tr("citation.text"))
        self.text.setText(quote or "")
        self.scroll.setVisible(quote is not None)
        self.close_button.setText(tr("btn.close"))
        self._place()
        self.show()
        self.raise_()
        self.activateWindow()

    def _place(self) -> None:
        """Centred on the window, inside the screen's free area."""
        owner = self.parentWidget().window()
        screen = owner.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else QRect(0, 0, 1024, 768)
        width = min(self.WIDTH, room.width() - 40)
        height = min(self.HEIGHT, room.height() - 80)
        self.resize(width, height)
        centre = owner.frameGeometry().center()
        x = min(max(centre.x() - width // 2, room.left() + 10), room.right() - width - 10)
        y = min(max(centre.y() - height // 2, room.top() + 10), room.bottom() - height - 40)
        self.move(x, y)


def diff_decisions(old: dict, new: dict) -> list[tuple[str, str]]:
    """What changed between a stored decision and the new one: [(aspect, old value)]."""
    out = []
    old_att, new_att = old.get("attachment") or {}, new.get("attachment") or {}
    if old.get("category") != new.get("category"):
        out.append(("category", old.get("category") or "—"))
    if old_att.get("status") != new_att.get("status"):
        out.append(("status", old_att.get("status") or "—"))
    if old_att.get("until") != new_att.get("until"):
        out.append(("until", dmy(old_att.get("until"))))
    if sorted(old_att.get("missing_documents") or []) != sorted(new_att.get("missing_documents") or []):
        out.append(("missing", ""))
    key = lambda d: sorted((c.get("scheme"), c.get("scope"), c.get("active")) for c in d.get("coverage") or [])  # noqa: E731
    if key(old) != key(new):
        out.append(("coverage", ""))
    return out


class DecisionPanel(QWidget):
    """Always visible on the right; actions (save, print, history) at its bottom."""

    save_clicked = Signal()

    def __init__(self, ref, tr: Tr, parent: QWidget | None = None):
        super().__init__(parent)
        self.ref, self.tr = ref, tr
        self.setObjectName("decisionPanel")
        self.decision: dict | None = None
        self.errors: list[dict] = []
        self.previous: dict | None = None       # the last stored decision, for highlighting
        self.previous_at: str | None = None
        self.citation: str | None = None
        self.search_in_tab = False               # the search folded into a tab (small screens)

        self.title = QLabel()
        self.title.setObjectName("panelTitle")
        self.category = QLabel()
        self.category.setObjectName("category")
        self.category.setWordWrap(True)
        self.status = QFrame()
        self.status.setObjectName("statusBadge")
        self.status_icon = QLabel()
        self.status_icon.setObjectName("statusIcon")
        self.status_icon.setAlignment(Qt.AlignCenter)
        self.status_text = QLabel()
        self.status_text.setObjectName("statusText")
        self.status_text.setWordWrap(True)
        row = QHBoxLayout(self.status)
        row.setContentsMargins(12, 10, 12, 10)
        row.setSpacing(12)
        row.addWidget(self.status_icon)
        row.addWidget(self.status_text, 1)
        self.changes = _rich(QLabel())
        self.changes.setObjectName("changes")
        self.message = _rich(QLabel())
        self.message.setObjectName("panelMessage")

        self.heads: dict[str, QLabel] = {}
        self.bodies: dict[str, QLabel] = {}
        content = QWidget()
        content.setObjectName("panelContent")
        body = QVBoxLayout(content)
        body.setContentsMargins(14, 12, 14, 12)
        body.setSpacing(12)
        body.addWidget(self.category)
        body.addWidget(self.status)
        body.addWidget(self.changes)
        body.addWidget(self.message)
        self.sections: dict[str, QWidget] = {}
        for name in ("channels", "documents", "coverage", "warnings", "notes", "explanation", "basis"):
            head = QLabel()
            head.setObjectName("sectionHead")
            text = _rich(QLabel())
            text.setObjectName(f"panel_{name}")
            self.heads[name], self.bodies[name] = head, text
            self.sections[name] = _section(head, text)
            body.addWidget(self.sections[name])
        self.bodies["basis"].linkActivated.connect(self.show_citation)
        self.citation_dialog: CitationDialog | None = None   # made when a citation is opened
        body.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setWidget(content)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)

        self.reference = QLabel()
        self.reference.setObjectName("referenceLine")
        self.reference.setWordWrap(True)
        self.save_button = QPushButton()
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save_clicked)
        actions = QHBoxLayout()
        actions.setContentsMargins(14, 6, 14, 12)
        actions.addStretch(1)
        actions.addWidget(self.save_button)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        header = QWidget()
        header.setObjectName("panelHeader")
        hb = QHBoxLayout(header)
        hb.setContentsMargins(14, 10, 14, 6)
        hb.addWidget(self.title)
        outer.addWidget(header)
        outer.addWidget(self.scroll, 1)
        ref_box = QVBoxLayout()
        ref_box.setContentsMargins(14, 4, 14, 0)
        ref_box.addWidget(self.reference)
        outer.addLayout(ref_box)
        self.print_slot = QVBoxLayout()       # the print buttons (printing.PrintPanel) go here
        self.print_slot.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self.print_slot)
        outer.addLayout(actions)
        self.setMinimumWidth(340)
        self.retranslate()

    # --- language -------------------------------------------------------------------------------
    def retranslate(self) -> None:
        tr = self.tr
        self.title.setText(tr("panel.title"))
        for name, key in (("channels", "panel.channels"), ("documents", "panel.documents"),
                          ("coverage", "panel.coverage"), ("warnings", "panel.warnings"),
                          ("notes", "panel.notes"), ("explanation", "panel.explanation"),
                          ("basis", "panel.basis")):
            self.heads[name].setText(tr(key).upper())
        self.save_button.setText(tr("action.save"))
        self._render()
        dialog = self.citation_dialog
        if dialog is not None and dialog.isVisible() and dialog.act_id in self.ref.acts:
            dialog.show_act(self.ref, tr, dialog.act_id)      # Ctrl+L: the act in the new language

    def set_search_in_tab(self, in_tab: bool) -> None:
        """Where the search is (the invitation says where to look)."""
        if in_tab != self.search_in_tab:
            self.search_in_tab = in_tab
            self._render()

    def set_print_panel(self, widget: QWidget) -> None:
        """Put the document buttons at the bottom of the panel, above Save."""
        self.print_slot.addWidget(widget)

    # --- content --------------------------------------------------------------------------------
    def show_decision(self, decision: dict) -> None:
        self.decision, self.errors = decision, []
        self._render()

    def show_errors(self, errors: list[dict]) -> None:
        self.decision, self.errors = None, list(errors)
        self._render()

    def set_previous(self, decision: dict | None, taken_at: str | None = None) -> None:
        """The last stored decision of an opened patient: differences are highlighted."""
        self.previous, self.previous_at = decision, taken_at
        self._render()

    def clear(self) -> None:
        self.decision, self.errors, self.previous = None, [], None
        self._render()

    def show_citation(self, link: str) -> CitationDialog | None:
        """A citation link: the act, its article and its text in a window over the desk."""
        act_id = link.removeprefix("basis:")
        if act_id not in self.ref.acts:
            return None
        self.citation = act_id
        if self.citation_dialog is None:
            self.citation_dialog = CitationDialog(self)
        self.citation_dialog.show_act(self.ref, self.tr, act_id)
        return self.citation_dialog

    def _status_style(self, status: str | None) -> None:
        for w in (self.status, self.status_icon, self.status_text):
            w.setProperty("status", status or "none")
            w.style().unpolish(w)
            w.style().polish(w)

    def _render(self) -> None:
        tr, d = self.tr, self.decision
        visible = d is not None
        for w in list(self.sections.values()) + [self.status, self.category]:
            w.setVisible(visible)
        self.changes.hide()
        if d is None:
            self.reference.setText(tr("status.reference", version=self.ref.version))
            if self.errors:
                items = "".join(f"<li>{escape(error_text(e, tr))}</li>" for e in self.errors)
                self.message.setText(f"<p><b>{escape(tr('panel.errors'))}</b></p><ul>{items}</ul>")
                self.message.setProperty("kind", "error")
            else:
                # the search is on the left, or (a small screen) the tab «Поиск» beside the card
                self.message.setText(escape(tr("panel.invite_tab" if self.search_in_tab else "panel.invite")))
                self.message.setProperty("kind", "empty")
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
            self.message.show()
            return
        self.message.hide()
        lang = tr.lang
        att = d.get("attachment") or {}
        status = att.get("status")
        self.category.setText(d.get("category_name") or self.ref.category_name(d["category"], lang))
        words = self.ref.text(f"status.{status}", lang).upper() if status else ""
        until = att.get("until")
        if until and status == "allowed":
            words += f"<br><span style='font-weight:500'>{escape(tr('panel.until', date=dmy(until)))}</span>"
        care = d.get("care")
        shown = status
        if care:
            # rev. 2: the need of today comes first, so that "attachment impossible" is never
            # read as "no care"; the attachment status follows in small type
            free = care.get("free")
            head = {True: "care.head.free", False: "care.head.paid", None: "care.head.unknown"}[free]
            line = self.ref.text(head, lang).upper()
            if free is not False and care.get("scope"):
                detail = f"{self.ref.text('scheme.' + care['scheme'], lang)} — {self.ref.text('scope.' + care['scope'], lang)}"
            else:
                detail = self.ref.text(f"care.payment.{care.get('payment') or 'price_list'}", lang)
            if care.get("need"):
                # rev. 3: the headline names the need it answers («Приём участкового врача: …»)
                need = tr(f"needs.{care['need']}")
                detail = tr("panel.need", need=need[:1].upper() + need[1:], answer=detail)
            words = (f"{escape(line)}<br><span style='font-weight:500'>{escape(detail)}</span>"
                     f"<br><span style='font-weight:400'>{escape(self.ref.text(f'status.{status}', lang))}</span>")
            shown = {True: "allowed", False: "needs_documents", None: "needs_documents"}[free]
        self.status_icon.setText(STATUS_ICON.get(shown, "?"))
        self.status_text.setText(words)
        self._status_style(shown)

        channels = att.get("channels") or []
        self.bodies["channels"].setText(", ".join(escape(tr(f"channel.{c}")) for c in channels) or "—")
        self.sections["channels"].setVisible(bool(channels))

        required = att.get("required_documents") or []
        missing = set(att.get("missing_documents") or [])
        rows = []
        for kind in dict.fromkeys(required + sorted(missing - set(required))):
            name = escape(self.ref.document_kind_name(kind, lang))
            if kind in missing:
                why = tr("panel.missing")
                not_phc = [d for d in (getattr(self, "case", None) or {}).get("documents") or []
                           if d.get("kind") in ("dms_contract", "vms_contract") and d.get("covers_phc") is False]
                if kind == "dms_contract" and not_phc:
                    # a contract exists but does not cover primary care: never read as "no contract"
                    why = tr("panel.not_phc", kind=self.ref.text(
                        f"scheme.{'DMS' if not_phc[0]['kind'] == 'dms_contract' else 'VMS'}", lang))
                rows.append(f"<div style='color:#b42318'><b>✖ {name}</b> — {escape(why)}</div>")
            else:
                rows.append(f"<div style='color:#1e6b3a'>✔ {name}</div>")
        self.bodies["documents"].setText("".join(rows) or escape(tr("panel.no_documents")))

        cov = []
        for c in d.get("coverage") or []:
            scheme = self.ref.text(f"scheme.{c['scheme']}", lang)
            scope = self.ref.text(f"scope.{c['scope']}", lang)
            extra = ""
            if c["scheme"] == "OSMS":
                active = c.get("active")
                key = "osms.active_true" if active is True else "osms.active_false" if active is False else "osms.active_none"
                extra = f" <i>({escape(tr(key))})</i>"
            note = f"<br><span style='color:#5b6472'>{escape(c['note'])}</span>" if c.get("note") else ""
            cov.append(f"<div>• <b>{escape(scheme)}</b> — {escape(scope)}{extra}{note}</div>")
        osms = d.get("osms") or {}
        if osms.get("insured") and osms.get("until"):
            cov.append(f"<div style='color:#5b6472'>{escape(tr('osms.until', date=dmy(osms['until'])))}</div>")
        self.bodies["coverage"].setText("".join(cov) or "—")

        warnings = d.get("warnings") or []
        self.bodies["warnings"].setText("".join(
            f"<div style='margin-bottom:4px'>⚠ {escape(w.get('message', ''))}</div>" for w in warnings))
        self.sections["warnings"].setVisible(bool(warnings))
        notes = d.get("input_notes") or []
        self.bodies["notes"].setText("".join(f"<div>• {escape(note_text(n, tr))}</div>" for n in notes))
        self.sections["notes"].setVisible(bool(notes))

        self.bodies["explanation"].setText("".join(
            f"<div style='margin-bottom:3px'>{i}. {escape(s)}</div>"
            for i, s in enumerate(d.get("explanation") or [], 1)))
        links = [f"<a href='basis:{escape(b['id'])}'>{escape(b.get('article') or b['id'])}</a>"
                 f" <span style='color:#5b6472'>— {escape(_short(b.get('act', '')))}</span>"
                 for b in d.get("basis") or []]
        self.bodies["basis"].setText(
            f"<div style='color:#5b6472'>{escape(tr('panel.basis_hint'))}</div>"
            + "".join(f"<div>{link}</div>" for link in links))

        reference = d.get("reference") or {}
        period = f"{dmy(reference.get('valid_from'))} – " + (
            dmy(reference.get("valid_until")) if reference.get("valid_until") else tr("period.open"))
        self.reference.setText(tr("panel.reference", as_of=dmy(d.get("as_of")),
                                  version=reference.get("version", ""), period=period))

        if self.previous is not None:
            changes = diff_decisions(self.previous, d)
            when = dmy(self.previous_at)
            if changes:
                items = []
                for aspect, old in changes:
                    if aspect == "status":
                        old = self.ref.text(f"status.{old}", lang) if old != "—" else old
                    if aspect == "category" and old in self.ref.category_by_id:
                        old = self.ref.category_name(old, lang)
                    items.append(f"<li>{escape(tr('diff.' + aspect, old=old))}</li>")
                self.changes.setText(f"<b>{escape(tr('panel.changed', date=when))}</b><ul>{''.join(items)}</ul>")
                self.changes.setProperty("kind", "changed")
            else:
                self.changes.setText(escape(tr("panel.unchanged", date=when)))
                self.changes.setProperty("kind", "same")
            self.changes.style().unpolish(self.changes)
            self.changes.style().polish(self.changes)
            self.changes.show()


def _short(act: str, limit: int = 90) -> str:
    return act if len(act) <= limit else act[:limit - 1].rstrip() + "…"
