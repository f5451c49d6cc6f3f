"""The one window of the front desk: first-run setup / login / the desk, as pages.

The desk: search on the left, the patient's form in the middle (with the history tab), the
decision panel on the right with the actions at its bottom. Everything the window needs —
registry, reference data, settings, clock, today — is passed in.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QApplication, QLabel, QMainWindow, QMessageBox, QPushButton,
                               QScrollArea, QSplitter, QStackedWidget, QTabWidget, QVBoxLayout,
                               QWidget)

from desktop.gui.clock import Clock
from desktop.gui.i18n import Tr, dmy
from desktop.gui.desk.pages import LoginPage, PasswordDialog
from desktop.gui.settings import AppSettings
from desktop.gui.worker import Worker

# The desk's modules (the core, the form, the panel, printing, the administration) are imported
# by `attach`, after the login page is on screen: the first paint waits for none of them.
decide_data = CaseError = ClinicDialog = None


def _import_desk() -> None:
    global decide_data, CaseError, ClinicDialog
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError
    from desktop.gui.admin.clinic import ClinicDialog

# The decision is retaken on the next pass of the event loop after a change: the edits of one
# action (a pasted case, a document added) are taken together, and no keystroke waits for it.
DEBOUNCE_MS = 0
_INPUT_EVENTS = {QEvent.KeyPress, QEvent.MouseButtonPress, QEvent.Wheel}


class _ActivityFilter(QObject):
    """Restarts the inactivity timer on any key press, click or wheel in the application."""

    def __init__(self, timer: QTimer, parent: QObject):
        super().__init__(parent)
        self.timer = timer

    def eventFilter(self, obj, event):
        if event.type() in _INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False


class MainWindow(QMainWindow):
    """The front desk. `print_requested(payload)` (Ctrl+P) opens the main document of the
    decision in the print panel: payload = {"patient_id", "case", "decision", "lang", "user"}.

    `db_path` is the registry file (reference releases live beside it); `keys_dir`,
    `backups_dir`, `choose_printer` and `choose_path` are passed to the administration and
    printing dialogs (tests give a PDF printer and a path instead of the system dialogs)."""

    print_requested = Signal(dict)
    decided = Signal()

    PAGE_SETUP, PAGE_LOGIN, PAGE_DESK = 0, 1, 2

    def __init__(self, registry, ref, settings: AppSettings, clock: Clock, today: date,
                 parent: QWidget | None = None, *, db_path: Path | None = None,
                 keys_dir: Path | None = None, backups_dir: Path | None = None,
                 choose_printer=None, choose_path=None):
        """With `registry` None the window shows the login page at once (typing works) and
        the desk is built by `attach(registry, ref)` once the registry is open."""
        super().__init__(parent)
        self.registry, self.ref, self.settings, self.clock, self.today = None, None, settings, clock, today
        self._db_path, self.keys_dir, self._backups_dir = db_path, keys_dir, backups_dir
        self._print_choosers = (choose_printer, choose_path)
        self.unlinked_prints: list[str] = []   # printed before the patient was first saved
        self.tr = Tr(settings.language)
        self.user = None                   # the store's User once logged in
        self.patient_id: int | None = None
        self.dirty = False
        self.decision: dict | None = None  # the decision on screen (None while the form has errors)
        self.errors: list[dict] = []
        self.worker = Worker(self)
        self.drafts: dict[str, dict] = {}  # login -> the unsaved card kept when another user signed in
        from desktop.gui.qt_translations import QtTranslations

        self.qt_translations = QtTranslations.of(QApplication.instance())
        self.qt_translations.load(self.tr.lang)

        self.stack = QStackedWidget()
        self.login_page = LoginPage(None, self.tr, clock, self.worker)
        self.stack.addWidget(QWidget())    # the first-run setup page's place (built by `attach`)
        self.stack.addWidget(self.login_page)
        holder = QWidget()                 # the pages, and above them the server's banner
        holder.setObjectName("centralHolder")
        self.central_box = QVBoxLayout(holder)
        self.central_box.setContentsMargins(0, 0, 0, 0)
        self.central_box.setSpacing(0)
        self.central_box.addWidget(self.stack, 1)
        self.setCentralWidget(holder)
        self.status_clinic, self.status_user, self.status_ref = QLabel(), QLabel(), QLabel()
        for label in (self.status_clinic, self.status_user, self.status_ref):
            self.statusBar().addPermanentWidget(label)
        self.statusBar().messageChanged.connect(self._fit_status)
        geometry = settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self._first_size()
        self.setWindowTitle(self.tr("app.title"))
        self.stack.setCurrentIndex(self.PAGE_LOGIN)
        self.login_page.prepare()
        QApplication.instance().focusChanged.connect(self._focus_changed)
        if registry is not None:
            self.attach(registry, ref)

    def _focus_changed(self, old, new) -> None:
        """A dialog closed and left no window active (no window manager gives the focus back,
        as on a bare X display or in some remote sessions): the window it was opened from
        (the print preview under its file dialog, else the desk) takes it again, so shortcuts
        (Ctrl+S, Ctrl+F…) work and typing goes on where it was. A dialog the registrar left for
        another program is still shown: nothing is taken from it."""
        if new is not None or old is None:
            return
        try:
            dialog = old.window()
            owner = dialog.parentWidget().window() if dialog.parentWidget() is not None else self
        except RuntimeError:       # already deleted
            return
        if dialog is not self:     # looked at once the dialog is hidden (it is still shown here)
            QTimer.singleShot(0, lambda: self._take_focus_back(dialog, owner))

    def _take_focus_back(self, dialog, owner) -> None:
        try:
            gone = not dialog.isVisible()
        except RuntimeError:       # deleted on closing: gone too
            gone = True
        try:
            if not gone or QApplication.activeWindow() is not None or not self.isVisible():
                return
            (owner if owner.isVisible() else self).activateWindow()
        except RuntimeError:       # the owner (or this window) was deleted meanwhile
            pass

    @property
    def ready(self) -> bool:
        """The registry is open and the desk built."""
        return self.registry is not None

    def attach(self, registry, ref) -> None:
        """The registry is open: build the first-run setup page, the desk, the menus; a login
        typed (or submitted) meanwhile is kept and carried on."""
        _import_desk()
        from desktop.gui.desk.pages import SetupPage
        from desktop.store import default_backups_dir

        self.registry, self.ref = registry, ref
        db_path, backups_dir = self._db_path, self._backups_dir
        self.db_path = Path(db_path) if db_path is not None else Path(registry.path)
        self.backups_dir = Path(backups_dir) if backups_dir is not None else default_backups_dir(self.db_path)
        clock = self.clock
        settings = self.settings

        self.setup_page = SetupPage(registry, self.tr, clock, self.worker)
        placeholder = self.stack.widget(self.PAGE_SETUP)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        self.stack.insertWidget(self.PAGE_SETUP, self.setup_page)
        self.desk = QWidget()
        self.desk.setObjectName("desk")
        self.stack.addWidget(self._build_desk())
        self._build_actions()
        from desktop.gui.desk.server_link import attach

        self.link = attach(self)   # the server's banner and retries, the release check, the menu entry

        self.recompute_timer = QTimer(self)
        self.recompute_timer.setSingleShot(True)
        self.recompute_timer.setInterval(DEBOUNCE_MS)
        self.recompute_timer.timeout.connect(self.recompute)
        self.lock_timer = QTimer(self)
        self.lock_timer.setSingleShot(True)
        self.lock_timer.timeout.connect(lambda: self.lock("idle"))
        self._activity = _ActivityFilter(self.lock_timer, self)   # installed while on the desk

        self.setup_page.created.connect(lambda login: self.show_login(login))
        self.login_page.logged_in.connect(self.enter_desk)
        self.form.changed.connect(self._form_changed)
        self.form.identity_left.connect(self.check_duplicates)
        self.form.open_duplicate.connect(self.open_patient)
        self.form.report_duplicate.connect(self.report_duplicate)
        self.search.open_patient.connect(self.open_patient)
        self.search.new_patient.connect(self.new_patient)
        self.panel.save_clicked.connect(self.save)
        self.print_requested.connect(self.print_panel.on_print_requested)
        self.print_panel.printed.connect(self._printed)
        self.print_panel.clinic_needed.connect(self.open_settings)
        self.history.reprint.connect(self.reprint)
        self.admin_menu.reference_changed.connect(self._reference_changed)
        self.admin_menu.restored.connect(self._restored)
        self.admin_menu.open_patient.connect(self._open_from_list)

        splitter = settings.splitter()
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self.fit_width()   # the window had its size before the desk existed: fold search now
        typing = self.stack.currentWidget() is self.login_page and self.login_page.typed()
        self.retranslate()
        if registry.needs_admin_setup():
            self.stack.setCurrentIndex(self.PAGE_SETUP)
            self.setup_page.full_name.setFocus()      # typing starts in «ФИО», not on the button
        elif typing:                # what was typed while the registry opened stays as it is
            self.stack.setCurrentIndex(self.PAGE_LOGIN)
        else:
            self.show_login()
        self._update_actions()
        self.recompute()
        self.login_page.attach(registry)   # a login submitted meanwhile is checked now

    # --- construction ---------------------------------------------------------------------------
    FIRST_SIZE = (1500, 920)

    def _first_size(self) -> None:
        """The first start's size: 1500×920 where the screen has room, else the whole screen
        (maximised), so that a 1024×768 or 1366×768 clinic screen never gets a window larger
        than itself."""
        width, height = self.FIRST_SIZE
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        if room is not None and (room.width() < width or room.height() < height):
            self.setGeometry(room)
            self.setWindowState(self.windowState() | Qt.WindowMaximized)
        else:
            self.resize(width, height)

    def _build_desk(self) -> QWidget:
        from desktop.gui.desk.form import PatientForm
        from desktop.gui.desk.panel import DecisionPanel
        from desktop.gui.desk.search import HistoryView, SearchPanel
        from desktop.gui.printing.preview import PrintPanel

        self.search = SearchPanel(self.registry, self.ref, self.tr)
        self.form = PatientForm(self.ref, self.tr, self.today)
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setWidget(self.form)
        self.form.setObjectName("formContent")
        self.history = HistoryView(self.ref, self.tr)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("middle")
        self.tabs.addTab(self.form_scroll, "")
        self.tabs.addTab(self.history, "")
        self.panel = DecisionPanel(self.ref, self.tr)
        choose_printer, choose_path = self._print_choosers
        self.print_panel = PrintPanel(self.registry, self.ref, self.tr, self.clock, "",
                                      choose_printer=choose_printer, choose_path=choose_path)
        self.panel.set_print_panel(self.print_panel)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(self.search)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([400, 730, 430])
        self.splitter.setChildrenCollapsible(False)
        box = QVBoxLayout(self.desk)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.splitter)
        QWidget.setTabOrder(self.search.new_button, self.form.surname)
        self.form.apply_tab_order()
        for button in self.desk.findChildren(QPushButton):   # Tab to a button, Enter presses it
            button.setAutoDefault(True)
        chain = [self.form.reason, *self.print_panel.buttons.values(), self.panel.save_button]
        for a, b in zip(chain, chain[1:]):
            QWidget.setTabOrder(a, b)
        return self.desk

    def _build_actions(self) -> None:
        def action(shortcut, slot) -> QAction:
            a = QAction(self)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
                a.setShortcutContext(Qt.WindowShortcut)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.action_new = action("Ctrl+N", self.new_patient)
        self.action_save = action("Ctrl+S", self.save)
        self.action_print = action("Ctrl+P", self.request_print)
        self.action_search = action("Ctrl+F", self.focus_search)
        self.action_language = action("Ctrl+L", self.switch_language)
        self.action_settings = action(None, self.open_settings)
        self.action_lock = action(None, lambda: self.lock("manual"))
        self.action_password = action(None, self.change_password)
        self.action_quit = action("Ctrl+Q", self.close)
        self.action_keys = action("F1", self.show_keys)          # the desk's keys
        self.action_scan = action("F2", self.scan_mrz)           # the document's MRZ
        self.action_menu = action("F10", self.open_menu)         # the menu bar, by keyboard
        self.action_font_larger = action(None, lambda: self.set_font_scale(+1))
        self.action_font_larger.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++"),   # Shift+= is +
                                              QKeySequence("Ctrl+Shift++"), QKeySequence("Ctrl+Shift+=")])
        self.action_font_smaller = action("Ctrl+-", lambda: self.set_font_scale(-1))
        self.action_font_normal = action("Ctrl+0", lambda: self.set_font_scale(0))
        self.menu_patient = self.menuBar().addMenu("")
        for a in (self.action_new, self.action_search, self.action_save, self.action_print):
            self.menu_patient.addAction(a)
        self.menu_service = self.menuBar().addMenu("")
        for a in (self.action_language, self.action_settings, self.action_password, self.action_lock):
            self.menu_service.addAction(a)
        self.menu_service.addSeparator()
        for a in (self.action_font_larger, self.action_font_smaller, self.action_font_normal):
            self.menu_service.addAction(a)
        self.menu_service.addSeparator()
        self.menu_service.addAction(self.action_quit)
        from desktop.gui.admin.menu import AdminMenu

        self.admin_menu = AdminMenu(self, self.registry, self.ref, self.db_path, "", self.tr, self.clock,
                                    self.today, keys_dir=self.keys_dir, backups_dir=self.backups_dir)
        self.menuBar().addMenu(self.admin_menu.menu)
        # Alt pressed and released alone: Qt's menu bar takes the keyboard itself (the Windows and
        # Fusion styles' SH_MenuBar_AltKeyNavigation), the first menu's title lit; ↓ or Enter opens it

    # --- language -------------------------------------------------------------------------------
    def retranslate(self) -> None:
        tr = self.tr
        self.setWindowTitle(tr("app.title"))
        for a, key in ((self.action_new, "menu.new"), (self.action_save, "menu.save"),
                       (self.action_print, "action.print"), (self.action_search, "menu.search"),
                       (self.action_font_larger, "menu.font_larger"),
                       (self.action_font_smaller, "menu.font_smaller"),
                       (self.action_font_normal, "menu.font_normal"),
                       (self.action_language, "action.language"), (self.action_settings, "action.settings"),
                       (self.action_lock, "action.lock"), (self.action_quit, "action.quit"),
                       (self.action_keys, "keys.action"), (self.action_scan, "mrz.action"),
                       (self.action_password, "action.password")):
            a.setText(tr(key))
        self.menu_patient.setTitle(tr("menu.patient"))
        self.menu_service.setTitle(tr("menu.service"))
        for page, key in ((self.form_scroll, "tab.form"), (self.history, "tab.history"), (self.search, "tab.search")):
            if self.tabs.indexOf(page) >= 0:
                self.tabs.setTabText(self.tabs.indexOf(page), tr(key))
        for w in (self.setup_page, self.login_page, self.search, self.form, self.history, self.panel):
            w.retranslate()
        self.print_panel.retranslate(tr)
        self.admin_menu.retranslate(tr)
        self.link.retranslate()
        self._update_status()
        self._retranslate_status()

    def say_status(self, key: str, ms: int, **fields) -> None:
        """A message in the status bar, shown again in the new language after Ctrl+L."""
        text = self.tr(key, **fields)
        self._status_message = (key, fields, text, ms)
        self.statusBar().showMessage(text, ms)

    def _fit_status(self, text: str = "") -> None:
        """A message in the status bar is read whole: while it does not fit beside the clinic,
        the user and the release (a 1024 px screen), they step aside — the release first, then
        the clinic, then the user — and come back when it goes."""
        bar = self.statusBar()
        labels = (self.status_ref, self.status_clinic, self.status_user)
        for label in labels:
            label.show()
        if not text:
            return
        need = bar.fontMetrics().horizontalAdvance(text) + 40      # the bar's margins and grip
        room = bar.width() - sum(label.sizeHint().width() + 12 for label in labels)
        for label in labels:
            if need <= room:
                break
            label.hide()
            room += label.sizeHint().width() + 12

    def _retranslate_status(self) -> None:
        """After Ctrl+L the status bar's message is said again in the new language; a message
        not said through `say_status` (so not known by its key) is cleared, never left in the
        old language."""
        said = getattr(self, "_status_message", None)
        current = self.statusBar().currentMessage()
        if said and current == said[2]:
            self.say_status(said[0], said[3], **said[1])
        elif current:
            self.statusBar().clearMessage()

    def switch_language(self, lang: str | None = None) -> None:
        """Russian ⇄ Kazakh at run time: every label, the reference names and the decision."""
        self.tr.lang = lang if lang in ("ru", "kk") else self.tr.other()
        self.settings.language = self.tr.lang
        self.qt_translations.load(self.tr.lang)
        self.retranslate()
        if self.stack.currentIndex() == self.PAGE_DESK:
            self.recompute()

    def _update_status(self) -> None:
        tr = self.tr
        details = self.registry.clinic_details()
        name = (details.get(f"name_{tr.lang}") or details.get("name")) or tr("status.clinic_unset")
        self.status_clinic.setText(tr("status.clinic", name=name))
        self.status_user.setText(tr("status.user", name=self.user.full_name if self.user else "—"))
        self.status_ref.setText(tr("status.reference", version=self.ref.version))

    def _update_actions(self) -> None:
        on_desk = self.stack.currentIndex() == self.PAGE_DESK
        for a in (self.action_new, self.action_save, self.action_print, self.action_search, self.action_lock,
                  self.action_scan, self.action_password):
            a.setEnabled(on_desk)
        self.action_settings.setEnabled(on_desk and self.is_admin())
        self.admin_menu.menu.menuAction().setVisible(on_desk)
        self.admin_menu.set_available(on_desk)

    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == "admin"

    # --- pages ----------------------------------------------------------------------------------
    def show_login(self, login: str = "", locked: bool = False, reason: str = "") -> None:
        for dialog in list(self.admin_menu.dialogs.values()):   # opened as someone: never left for the next
            dialog.close()
        self.admin_menu.dialogs.clear()
        self.stack.setCurrentIndex(self.PAGE_LOGIN)
        self.login_page.prepare(login, locked, reason)
        self.lock_timer.stop()
        QApplication.instance().removeEventFilter(self._activity)
        self._update_actions()
        if self.ready:
            self._update_status()    # the clinic's details as they are now (set at the first start)

    def enter_desk(self, user) -> None:
        if self.user is not None and self.user.login != user.login:
            self._hand_over()
        self.user = user
        self.print_panel.set_user(user.login)
        self.admin_menu.set_user(user.login)
        self.stack.setCurrentIndex(self.PAGE_DESK)
        self.lock_timer.setInterval(self.settings.lock_minutes * 60_000)
        self.lock_timer.start()
        QApplication.instance().installEventFilter(self._activity)
        self._update_actions()
        self._update_status()
        self.focus_search()
        if user.login in self.drafts:
            self._offer_draft(user.login)

    def lock(self, reason: str = "manual") -> None:
        """Back to the login page, saying why ("manual" or "idle"); the form is kept for the
        same user, and kept aside as a draft if another user signs in."""
        if self.stack.currentIndex() == self.PAGE_DESK:
            self.show_login(self.user.login if self.user else "", locked=True, reason=reason)

    def _clear_desk(self) -> None:
        """A blank desk: no patient, no search text or results, no dialogs of the last user."""
        self.patient_id = None
        self.unlinked_prints = []
        self.form.clear_case()
        self.panel.set_previous(None)
        self.history.set_items([])
        self.search.clear_results()
        self.dirty = False
        for w in (self.print_panel.dialog, self.print_panel.picker):
            if w is not None:
                w.close()
        self.recompute()
        self.tabs.setCurrentWidget(self.form_scroll)

    def _hand_over(self) -> None:
        """Another user signs in at a locked desk: the previous user's unsaved card becomes
        their draft (offered back when they sign in again) and the desk is cleared."""
        if self.dirty:
            self.drafts[self.user.login] = {"case": self.form.case(), "patient_id": self.patient_id,
                                            "unlinked": list(self.unlinked_prints)}
        self._clear_desk()

    def _offer_draft(self, login: str) -> bool:
        """Offer the user their card left unsaved when another user signed in; True if taken."""
        draft = self.drafts.pop(login)
        person = draft["case"].get("person") or {}
        name = " ".join(p for p in (person.get("surname"), person.get("given_name")) if p) or "—"
        choice = self._ask(self.tr("draft.title"), self.tr("draft.text", name=name),
                           [(self.tr("draft.restore"), QMessageBox.AcceptRole),
                            (self.tr("draft.discard"), QMessageBox.DestructiveRole)])
        if choice != 0:
            return False
        self.patient_id = draft["patient_id"]
        self.unlinked_prints = draft["unlinked"]
        self.form.set_case(draft["case"], as_of=self.today)
        if self.patient_id is not None:
            self.history.set_items(self.registry.history(self.patient_id))
        self.dirty = True
        self.recompute()
        return True

    def change_password(self) -> PasswordDialog | None:
        """Сервис → Сменить пароль: the signed-in user's own password."""
        if self.user is None or self.stack.currentIndex() != self.PAGE_DESK:
            return None
        dialog = PasswordDialog(self.registry, self.tr, self.clock, self.user.login, self)
        dialog.accepted.connect(lambda: self.say_status("password.changed", 8000))
        dialog.setWindowModality(Qt.WindowModal)
        dialog.show()
        return dialog

    # --- keyboard -------------------------------------------------------------------------------
    def keys_text(self) -> str:
        """The F1 help: the desk's keys, the menus' and, for the entries of the administration
        this user has, each one's keys (read from the actions themselves)."""
        lines = [self.tr("keys.text"), self.tr("keys.menus")]
        if self.ready and self.admin_menu.available:
            entries = self.admin_menu.keys()
            if entries:
                lines.append(self.tr("keys.admin"))
                lines += [f"{keys} — {name}" for name, keys in entries]
        return "\n".join(lines)

    def show_keys(self) -> QMessageBox:
        """F1: the desk's keys, in the interface's language."""
        box = QMessageBox(QMessageBox.Information, self.tr("keys.title"), self.keys_text(), parent=self)
        box.setObjectName("keysBox")
        box.setStandardButtons(QMessageBox.Ok)
        box.button(QMessageBox.Ok).setText(self.tr("print.close"))
        box.open()
        self.keys_box = box
        return box

    def apply_font_scale(self) -> None:
        """The application's style sheet at this workstation's text size (at start, by app.py,
        once the widgets exist; and after each Ctrl+= / Ctrl+− / Ctrl+0)."""
        from desktop.gui.style import style

        QApplication.instance().setStyleSheet(style(self.settings.font_scale))
        self.fit_width()

    def set_font_scale(self, step: int) -> float:
        """Ctrl+= / Ctrl++ (+1), Ctrl+− (-1), Ctrl+0 (0): the whole desk's text a step larger,
        smaller or normal (85 % to 150 %), remembered on this workstation."""
        from desktop.gui.style import step_scale

        scale = step_scale(self.settings.font_scale, step)
        changed = scale != self.settings.font_scale or not QApplication.instance().styleSheet()
        self.settings.font_scale = scale
        self.settings.sync()
        if changed:
            self.apply_font_scale()
            self.fit_width()
        self.say_status("status.font_scale", 4000, percent=round(scale * 100))
        return scale

    def open_menu(self) -> None:
        """F10: the first menu opens, its first entry chosen, so arrows, letters and Enter go
        on from there."""
        first = next((a for a in self.menuBar().actions() if a.isVisible() and a.menu() is not None), None)
        if first is None or QApplication.activePopupWidget() is not None:
            return
        self.menuBar().setFocus(Qt.ShortcutFocusReason)
        self.menuBar().setActiveAction(first)
        menu = first.menu()
        entry = next((a for a in menu.actions() if a.isEnabled() and a.isVisible() and not a.isSeparator()), None)
        if entry is not None:
            menu.setActiveAction(entry)

    def scan_mrz(self):
        """F2: read the document's machine-readable zone into the card."""
        if self.stack.currentIndex() != self.PAGE_DESK or self.form.dialog is not None:
            return None
        self.tabs.setCurrentWidget(self.form_scroll)
        return self.form.scan_mrz()

    # --- the decision ---------------------------------------------------------------------------
    def _form_changed(self) -> None:
        self.dirty = True
        self.recompute_timer.start()

    def recompute(self) -> None:
        """Take the decision again from the form (the core decides; the panel shows)."""
        self.recompute_timer.stop()
        if self.link.before_decision():   # another desk switched the clinic's release: decided with it
            return
        case = self.form.case()
        self.panel.case = case
        typed = self.form.input_errors()     # what the form could not turn into a value
        try:
            if self.form.is_blank():
                raise CaseError([])          # the blank card: an invitation, not an error
            decision = decide_data(case, self.ref, default_date=self.today, lang=self.tr.lang).to_dict()
            if typed:
                raise CaseError([])
        except CaseError as e:
            errors = typed + [err for err in e.errors if err["field"] not in {t["field"] for t in typed}]
            self.decision, self.errors = None, errors
            if errors and all(err["field"] == "person.citizenship" and err["message"].startswith("required")
                              for err in errors):
                # only the citizenship is still to come: a hint beside it, no red alarm while typing
                self.panel.show_errors([])
                self.form.show_errors([], [{"field": "person.citizenship", "message": self.tr("err.citizenship")}])
            else:
                self.panel.show_errors(errors)
                self.form.show_errors(errors)
        else:
            unchanged = decision == self.decision and not self.errors and self.panel.decision == decision
            self.decision, self.errors = decision, []
            if not unchanged:            # a keystroke that changes nothing decided redraws nothing
                self.panel.show_decision(decision)
            self.form.show_errors([], decision.get("input_notes") or [])
        self.print_panel.set_context(case, self.decision, self.patient_id)
        self.decided.emit()

    # --- patients -------------------------------------------------------------------------------
    def _ask(self, title: str, text: str, buttons: list[tuple[str, QMessageBox.ButtonRole]]) -> int:
        """A question with named buttons; returns the index of the button chosen (-1: closed)."""
        box = QMessageBox(QMessageBox.Question, title, text, parent=self)
        made = [box.addButton(label, role) for label, role in buttons]
        box.exec()
        clicked = box.clickedButton()
        return made.index(clicked) if clicked in made else -1

    def confirm_discard(self) -> bool:
        """True when the form may be replaced: nothing unsaved, saved now, or discarded."""
        if not self.dirty:
            return True
        choice = self._ask(self.tr("unsaved.title"), self.tr("unsaved.text"),
                           [(self.tr("btn.save"), QMessageBox.AcceptRole),
                            (self.tr("btn.discard"), QMessageBox.DestructiveRole),
                            (self.tr("btn.cancel"), QMessageBox.RejectRole)])
        if choice == 0:
            return self.save()
        return choice == 1

    def new_patient(self) -> None:
        if self.stack.currentIndex() != self.PAGE_DESK or not self.confirm_discard():
            return
        self.patient_id = None
        self.unlinked_prints = []
        self.form.clear_case()
        self.panel.set_previous(None)
        self.history.set_items([])
        self.dirty = False
        self.recompute()
        self.tabs.setCurrentWidget(self.form_scroll)
        self.form.focus_first()

    def open_patient(self, patient_id: int) -> None:
        """Open a stored patient: the decision is re-taken as of today; differences from the
        last stored decision are highlighted."""
        if not self.confirm_discard():
            return
        patient_id = self.registry.kept_record_of(patient_id)  # a merged record: the kept one
        patient = self.registry.open_patient(patient_id, user=self.user.login, now=self.clock.now())
        self.patient_id = patient.id
        self.patient_version = patient.version  # saving over a newer version is refused
        self.unlinked_prints = []
        self.form.set_case(patient.case, as_of=self.today)
        last = self.registry.latest_decision(patient.id)
        if last is not None:
            self.panel.set_previous(json.loads(last.decision_json), last.taken_at.date().isoformat())
        else:
            self.panel.set_previous(None)
        self.history.set_items(self.registry.history(patient.id))
        self.dirty = False
        self.recompute()
        ok, _ = self.link.guard(self.check_duplicates)   # «Возможный дубль» on a stored card
        self.tabs.setCurrentWidget(self.form_scroll)
        self.form.focus_first()

    def _scored_duplicates(self) -> list:
        """The stored card's likely duplicates by the administrator's score (none when the
        reference data has no weights or the server is out of reach)."""
        from desktop.core.duplicates import weights_on

        try:
            weights = weights_on(self.ref, self.today)
        except ValueError:
            return []
        ok, pairs = self.link.guard(self.registry.duplicates_of, self.patient_id, weights)
        if not ok or not pairs:
            return []
        order = [q["patient"] for q in pairs]
        found = self.registry.patients_by_id(order)
        return [found[i] for i in order if i in found]

    def report_duplicate(self, other_id: int) -> None:
        """«Сообщить администратору»: the pair goes first on the administrator's list."""
        if self.patient_id is None or self.user is None:
            return
        ok, _ = self.link.guard(self.registry.flag_duplicate, self.patient_id, other_id,
                                user=self.user.login, now=self.clock.now())
        if ok:
            self.form.banner_report.setEnabled(False)
            self.say_status("dup.reported", 8000)

    def _open_from_list(self, patient_id: int) -> None:
        """A row of the worklist: the patient's card, in front of the list."""
        if self.stack.currentIndex() != self.PAGE_DESK:
            return
        self.open_patient(patient_id)
        self.raise_()
        self.activateWindow()

    def _who(self, patient) -> str:
        parts = [patient.full_name or "—"]
        if patient.birth_date:
            parts.append(dmy(patient.birth_date.isoformat()))
        if patient.iin:
            parts.append(f"{self.tr('col.iin')} {patient.iin}")
        return ", ".join(parts)

    def check_duplicates(self) -> list:
        """After the ИИН or the name is entered: a banner if the registry already holds this person."""
        found = self.registry.likely_duplicates(self.form.case(), exclude_id=self.patient_id)
        if not found and self.patient_id is not None:   # a stored card: the administrator's keys
            found = self._scored_duplicates()
        if found:
            self.form.show_duplicate(self._who(found[0]), found[0].id,
                                     stored=self.patient_id is not None)
        else:
            self.form.hide_duplicate()
        return found

    # a save refused because another desk held the server's lock: tried again this often
    BUSY_RETRIES, BUSY_RETRY_MS = 3, 3000

    def _retry_busy_save(self) -> None:
        if self.dirty and self.stack.currentIndex() == self.PAGE_DESK:
            self.save()

    def _iin_taken(self, holder_id: int, who: str, iin: str) -> None:
        """The card's ИИН belongs to a stored patient: the save is refused naming him; the
        only way on is his card (the card on screen is kept when the registrar cancels)."""
        self.say_status("save.iin_taken", 12000, iin=iin, who=who)
        choice = self._ask(self.tr("save.iin_taken.title"),
                           self.tr("save.iin_taken", iin=iin, who=who),
                           [(self.tr("dup.open_card"), QMessageBox.AcceptRole),
                            (self.tr("btn.cancel"), QMessageBox.RejectRole)])
        if choice == 0:
            self.dirty = False
            self.open_patient(holder_id)

    def save(self) -> bool:
        """Save the patient and the decision on screen, as the logged-in user, at the clock's now."""
        if self.stack.currentIndex() != self.PAGE_DESK:
            return False
        self.recompute()
        required = self.form.save_errors()
        if required:                         # a card without a name is never saved
            self.form.show_errors(required + self.errors)
            self.say_status("save.required", 8000)
            getattr(self.form, required[0]["field"].split(".")[1]).setFocus()
            return False
        if self.decision is None:
            self.say_status("save.invalid", 8000)
            return False
        case = self.form.case()
        ok, found = self.link.guard(self.registry.likely_duplicates, case, exclude_id=self.patient_id)
        if not ok:
            return False
        case_iin = ((case.get("person") or {}).get("iin") or "").strip()
        holder = next((p for p in found if case_iin and p.iin == case_iin), None)
        if holder is not None:      # an ИИН is one person: never saved over him, never twice
            self._iin_taken(holder.id, self._who(holder), case_iin)
            return False
        if found and self.patient_id is None:
            choice = self._ask(self.tr("dup.title"), self.tr("dup.question", who=self._who(found[0])),
                               [(self.tr("dup.open"), QMessageBox.AcceptRole),
                                (self.tr("dup.save_anyway"), QMessageBox.DestructiveRole),
                                (self.tr("btn.cancel"), QMessageBox.RejectRole)])
            if choice == 0:
                self.dirty = False
                self.open_patient(found[0].id)
                return False
            if choice != 1:
                return False
        ok, saved = self.link.guard(self._save_now, case)   # a lost server: banner, card kept
        return saved if ok else False

    def _save_now(self, case: dict) -> bool:
        from desktop.store import Conflict, IinTaken, RegistryFileChanged
        from desktop.store.backend import ServerBusy
        from desktop.store.errors import DiskFull
        from desktop.store import StaleRecord

        now = self.clock.now()
        expected = getattr(self, "patient_version", None) if self.patient_id else None
        try:
            # the card, its decision and what was printed before the first save: stored together
            # (a connection lost half-way stores none of them, and the card stays on screen)
            with self.registry.unit():
                patient_id = self.registry.save_patient(
                    case, user=self.user.login, now=now, patient_id=self.patient_id,
                    expected_version=expected)
                self.registry.record_decision(patient_id, self.decision, user=self.user.login, now=now)
                if self.unlinked_prints:
                    self.registry.link_printed(self.unlinked_prints, patient_id,
                                               user=self.user.login, now=now)
        except StaleRecord as e:  # another desk saved this card meanwhile: offer to reload it
            choice = self._ask(self.tr("stale.title"),
                               self.tr("stale.text", who=e.by, when=e.at.strftime("%d.%m.%Y %H:%M")),
                               [(self.tr("stale.reload"), QMessageBox.AcceptRole),
                                (self.tr("btn.cancel"), QMessageBox.RejectRole)])
            if choice == 0:
                self.dirty = False
                self.open_patient(e.patient_id)
            return False
        except ServerBusy:  # another desk holds the lock: said, and tried again shortly
            self._busy_retries = getattr(self, "_busy_retries", 0) + 1
            self.say_status("save.server_busy", 10000)
            if self._busy_retries <= self.BUSY_RETRIES:
                QTimer.singleShot(self.BUSY_RETRY_MS, self._retry_busy_save)
            else:
                self._busy_retries = 0
            return False
        except DiskFull:  # nothing damaged: the card stays, the next Save tries again
            self.say_status("save.disk_full", 20000)
            self._ask(self.tr("save.file_changed.title"), self.tr("save.disk_full"),
                      [(self.tr("btn.close"), QMessageBox.AcceptRole)])
            return False
        except RegistryFileChanged as e:  # the file was deleted or replaced under this desk
            self.say_status(f"save.file_{e.reason}", 20000, path=str(e.path))
            text = self.tr(f"save.file_{e.reason}", path=str(e.path))
            self._ask(self.tr("save.file_changed.title"), text,
                      [(self.tr("btn.close"), QMessageBox.AcceptRole)])
            return False
        except IinTaken as e:  # another desk saved this ИИН a moment ago
            self._iin_taken(e.holder_id, e.holder_name, e.iin)
            return False
        except Conflict:
            self.say_status("save.conflict", 8000)
            return False
        self._busy_retries = 0
        # the card is stored: if the connection goes now, the next save is of this version
        self.patient_id, self.unlinked_prints = patient_id, []
        self.patient_version = (expected or 0) + 1
        stored = self.registry.get_patient(self.patient_id)
        self.patient_version = stored.version if stored is not None else None
        self.panel.set_previous(self.decision, now.date().isoformat())
        self.print_panel.set_context(case, self.decision, self.patient_id)
        self.history.set_items(self.registry.history(self.patient_id))
        self.form.hide_duplicate()
        self.dirty = False
        self.search.refresh()      # the results on screen show the card as stored now
        name = " ".join(p for p in (case["person"].get("surname"), case["person"].get("given_name")) if p)
        self.say_status("status.saved", 8000, name=name)
        return True

    def request_print(self) -> None:
        """Ctrl+P: hand the current case and decision to whoever prints (connected elsewhere)."""
        if self.stack.currentIndex() != self.PAGE_DESK or self.decision is None:
            return
        self.print_requested.emit({"patient_id": self.patient_id, "case": self.form.case(),
                                   "decision": self.decision, "lang": self.tr.lang,
                                   "user": self.user.login if self.user else None})

    def _printed(self, number: str, _kind: str) -> None:
        """A document got its number: kept with the patient (now, or at the first save)."""
        if self.patient_id is None:
            self.unlinked_prints.append(number)
        else:
            self.registry.link_printed([number], self.patient_id, user=self.user.login, now=self.clock.now())
            self.history.set_items(self.registry.history(self.patient_id))

    def reprint(self, number: str):
        """From the history: the stored exact PDF, previewed and printed again unchanged."""
        if self.stack.currentIndex() != self.PAGE_DESK:
            return None
        return self.print_panel.open_stored(number)

    # --- administration -------------------------------------------------------------------------
    def _reference_changed(self, _version: str) -> None:
        """A reference release was imported or rolled back: decide with it from now on."""
        from desktop.core.refdata import RefDataError, load_reference
        from desktop.core.refinstall import active_path

        if self.link.release_switched_here():   # the clinic's server (or this desk's watch)
            return
        path = active_path(self.db_path)
        try:
            ref = load_reference(path) if path is not None else None
        except RefDataError as e:
            self.say_status("refdata.failed", 12000, message=e)
            return
        if ref is not None:
            self.set_reference(ref)

    def set_reference(self, ref) -> None:
        """Every widget reads the new release: names, lists, and the decision on screen."""
        self.ref = ref
        for holder in (self.search.model, self.form, self.form.documents, self.history.model, self.panel):
            holder.ref = ref
        self.print_panel.set_reference(ref)
        self.admin_menu.set_reference(ref)
        self.retranslate()
        self.recompute()

    def _restored(self, _path: str) -> None:
        """The registry file was replaced from a backup: nothing shown may come from the old
        file, and the accounts may differ: back to the login page with an empty desk."""
        self.patient_id = None
        self.unlinked_prints = []
        self.form.clear_case()
        self.panel.set_previous(None)
        self.history.set_items([])
        self.search.clear_results()
        self.dirty = False
        self.recompute()
        self.admin_menu.set_user("")
        self.drafts.clear()
        self.user = None
        self.show_login()
        # the login page says why the desk was left (the dialog that said it is closed)
        self.login_page.say(("login.restored", {"path": _path}), "note")
        self._update_status()

    def open_settings(self) -> ClinicDialog | None:
        """The clinic's details: administrators only (the store checks again on save)."""
        if not self.is_admin():
            box = QMessageBox(QMessageBox.Warning, self.tr("settings.title"),
                              self.tr("settings.denied"), parent=self)
            box.setObjectName("deniedBox")
            box.open()
            return None
        dialog = ClinicDialog(self.registry, self.tr, self.clock, self.user.login, self.settings, self)
        dialog.accepted.connect(self._settings_saved)
        dialog.setWindowModality(Qt.WindowModal)
        dialog.show()
        return dialog

    def _settings_saved(self) -> None:
        self.lock_timer.setInterval(self.settings.lock_minutes * 60_000)
        self._update_status()

    # --- closing --------------------------------------------------------------------------------
    # --- small screens ----------------------------------------------------------------------------
    # below this width the search column folds into a tab beside the card (Ctrl+F shows it):
    # 1024, 1280 and 1366 px wide screens, where three columns left the card's documents
    # table too narrow for the kind's words («Иностранны|й паспорт»)
    NARROW = 1400

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_width()
        self._fit_status(self.statusBar().currentMessage())

    def fit_width(self) -> None:
        """At 1024 or 1152 pixels wide the three columns do not fit: the search becomes the first
        tab of the middle (Ctrl+F shows it), so the card keeps its two columns of fields."""
        if not hasattr(self, "tabs"):
            return
        # larger text needs a wider screen for the three columns (150 %: the search folds below 2049 px)
        narrow = self.width() < self.NARROW * max(1.0, self.settings.font_scale)
        self.panel.set_search_in_tab(narrow)
        if narrow == (self.tabs.indexOf(self.search) >= 0):
            return
        current = self.tabs.currentWidget()
        if narrow:
            self.tabs.insertTab(0, self.search, self.tr("tab.search"))
            self.tabs.setCurrentWidget(current)
            self.splitter.setSizes([max(self.width() - 430, 400), 430])
        else:
            self.splitter.insertWidget(0, self.search)
            self.search.show()
            self.splitter.setStretchFactor(0, 0)
            self.splitter.setSizes([400, max(self.width() - 830, 400), 430])

    def focus_search(self) -> None:
        if self.tabs.indexOf(self.search) >= 0:
            self.tabs.setCurrentWidget(self.search)
        self.search.focus_query()

    def closeEvent(self, event) -> None:
        if not self.ready:              # closed before the registry opened: nothing to lose
            self.settings.set_geometry(self.saveGeometry())
            self.settings.sync()
            event.accept()
            return
        if not self.confirm_discard():
            event.ignore()
            return
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_splitter(self.splitter.saveState())
        self.settings.language = self.tr.lang
        self.settings.sync()
        self.worker.wait()
        self.link.stop()
        QApplication.instance().removeEventFilter(self._activity)
        event.accept()
