"""Qt's own translations (qtbase_ru / qtbase_kk, shipped with PySide6): the standard buttons,
file and print dialogs follow the interface's language. One QTranslator, reloaded on a
language switch; a language whose file is missing leaves Qt's English (and `load` says so)."""
from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication


# Source texts this Qt changed (a mnemonic added) that a shipped translation still has only in
# their old form: qtbase_ru.qm translates «Look in:» and «Files of type:», not the file dialog's
# «&Look in:» and «Files of &type:», which then showed in English on a Russian desk.
RENAMED: dict[tuple[str, str], str] = {
    ("QFileDialog", "&Look in:"): "Look in:",
    ("QFileDialog", "Files of &type:"): "Files of type:",
}


class _Renamed(QTranslator):
    """Qt's own translation of the old source text for a renamed one (asked before Qt's file,
    so a file that has the new text — Kazakh's — is used as it is)."""

    def __init__(self, base: QTranslator, parent=None):
        super().__init__(parent)
        self.base = base

    def isEmpty(self) -> bool:  # noqa: N802 - Qt
        return False

    def translate(self, context, source, disambiguation=None, n=-1):
        old = RENAMED.get((context, source))
        if old is None:
            return None                   # not one of them: Qt asks the next translator
        return self.base.translate(context, old) or None


class QtTranslations:
    """Installs Qt's translation for the interface's language on the application."""

    def __init__(self, app: QApplication | None = None):
        self.app = app or QApplication.instance()
        self.translator = QTranslator(self.app)
        self.renamed = _Renamed(self.translator, self.app)
        self.lang: str | None = None
        self.installed = False

    @classmethod
    def of(cls, app: QApplication | None = None) -> "QtTranslations":
        """The one instance of the application (made on first use, kept on the app object)."""
        app = app or QApplication.instance()
        existing = getattr(app, "_polyclinic_qt_translations", None)
        if existing is None:
            existing = cls(app)
            app._polyclinic_qt_translations = existing
        return existing

    @staticmethod
    def folder() -> str:
        return QLibraryInfo.path(QLibraryInfo.TranslationsPath)

    def load(self, lang: str) -> bool:
        """Switch to `lang` ("ru" or "kk"); True when Qt's file for it was found and installed."""
        if lang == self.lang:
            return self.installed
        if self.installed:
            self.app.removeTranslator(self.translator)
            self.installed = False
            self.app.removeTranslator(self.renamed)
        self.lang = lang
        # month and day names (the calendar), as Qt's widgets made from now on show them
        QLocale.setDefault(QLocale(QLocale.Kazakh, QLocale.Kazakhstan) if lang == "kk"
                           else QLocale(QLocale.Russian, QLocale.Russia))
        if self.translator.load(f"qtbase_{lang}", self.folder()):
            self.installed = self.app.installTranslator(self.translator)
            self.app.installTranslator(self.renamed)   # the last installed is asked first
        return self.installed
