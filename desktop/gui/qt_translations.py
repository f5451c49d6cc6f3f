"""Qt's own translations (qtbase_ru / qtbase_kk, shipped with PySide6): the standard buttons,
file and print dialogs follow the interface's language. One QTranslator, reloaded on a
language switch; a language whose file is missing leaves Qt's English (and `load` says so)."""
from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication


# Source texts of this Qt whose translation the shipped file lacks (qtbase_ru.qm still has
# them as «Look in:» and «Files of type:», without the mnemonic Qt 6 added): the file dialog's
# own labels, in the words of Qt's Kazakh file, which has them.
MISSING: dict[tuple[str, str], dict[str, str]] = {
    ("QFileDialog", "&Look in:"): {"ru": "&Папка:"},
    ("QFileDialog", "Files of &type:"): {"ru": "&Тип файлов:"},
}


class _Missing(QTranslator):
    """The texts of MISSING for one language (asked before Qt's own file)."""

    def __init__(self, lang: str, parent=None):
        super().__init__(parent)
        self.lang = lang

    def isEmpty(self) -> bool:  # noqa: N802 - Qt
        return False

    def translate(self, context, source, disambiguation=None, n=-1):
        return MISSING.get((context, source), {}).get(self.lang)   # None: not here, ask the next


class QtTranslations:
    """Installs Qt's translation for the interface's language on the application."""

    def __init__(self, app: QApplication | None = None):
        self.app = app or QApplication.instance()
        self.translator = QTranslator(self.app)
        self.missing: _Missing | None = None
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
        if self.missing is not None:
            self.app.removeTranslator(self.missing)
            self.missing = None
        self.lang = lang
        # month and day names (the calendar), as Qt's widgets made from now on show them
        QLocale.setDefault(QLocale(QLocale.Kazakh, QLocale.Kazakhstan) if lang == "kk"
                           else QLocale(QLocale.Russian, QLocale.Russia))
        if self.translator.load(f"qtbase_{lang}", self.folder()):
            self.installed = self.app.installTranslator(self.translator)
            if any(lang in texts for texts in MISSING.values()):
                self.missing = _Missing(lang, self.app)
                self.app.installTranslator(self.missing)   # the last installed is asked first
        return self.installed
