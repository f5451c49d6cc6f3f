"""Qt's own translations (qtbase_ru / qtbase_kk, shipped with PySide6): the standard buttons,
file and print dialogs follow the interface's language. One QTranslator, reloaded on a
language switch; a language whose file is missing leaves Qt's English (and `load` says so)."""
from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication


class QtTranslations:
    """Installs Qt's translation for the interface's language on the application."""

    def __init__(self, app: QApplication | None = None):
        self.app = app or QApplication.instance()
        self.translator = QTranslator(self.app)
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
        self.lang = lang
        # month and day names (the calendar), as Qt's widgets made from now on show them
        QLocale.setDefault(QLocale(QLocale.Kazakh, QLocale.Kazakhstan) if lang == "kk"
                           else QLocale(QLocale.Russian, QLocale.Russia))
        if self.translator.load(f"qtbase_{lang}", self.folder()):
            self.installed = self.app.installTranslator(self.translator)
        return self.installed
