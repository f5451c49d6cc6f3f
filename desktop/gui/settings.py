"""Settings of this workstation (window geometry, language, lock timeout, the text size), kept in QSettings
(on Windows in an INI file in %APPDATA%\\polyclinic, where platformdirs puts the user's settings).

Every setting is declared once here with its default. Tests pass a temporary INI file.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANISATION = "Polyclinic"
APPLICATION = "polyclinic"

DEFAULTS = {"language": "ru", "lock_minutes": 10}
# The longest inactivity lock: a day (a timer's interval in milliseconds must fit 32 bits; a
# value edited by hand in the settings file is clamped, never an OverflowError at sign-in).
MAX_LOCK_MINUTES = 24 * 60


class AppSettings:
    """Typed access to the workstation settings; `path` selects an INI file instead of the
    platform store (used by tests and screenshots)."""

    def __init__(self, path: Path | None = None):
        if path is None and sys.platform == "win32":  # a file in %APPDATA%, not the Windows registry
            from desktop.paths import settings_file

            path = settings_file()
        if path is None:
            self._q = QSettings(QSettings.NativeFormat, QSettings.UserScope, ORGANISATION, APPLICATION)
        else:
            self._q = QSettings(str(path), QSettings.IniFormat)

    @property
    def language(self) -> str:
        value = str(self._q.value("language", DEFAULTS["language"]))
        return value if value in ("ru", "kk") else DEFAULTS["language"]

    @language.setter
    def language(self, value: str) -> None:
        self._q.setValue("language", value)

    @property
    def lock_minutes(self) -> int:
        try:
            value = int(float(self._q.value("lock_minutes", DEFAULTS["lock_minutes"])))
        except (TypeError, ValueError, OverflowError):
            return DEFAULTS["lock_minutes"]
        return min(MAX_LOCK_MINUTES, max(1, value))

    @lock_minutes.setter
    def lock_minutes(self, value: int) -> None:
        self._q.setValue("lock_minutes", min(MAX_LOCK_MINUTES, max(1, int(value))))

    @property
    def font_scale(self) -> float:
        """The size of the desk's text on this workstation (1.0 normal; one of style.SCALES)."""
        from desktop.gui.style import NORMAL_SCALE, nearest_scale

        return nearest_scale(self._q.value("font_scale", NORMAL_SCALE))

    @font_scale.setter
    def font_scale(self, value: float) -> None:
        from desktop.gui.style import nearest_scale

        self._q.setValue("font_scale", nearest_scale(value))

    def geometry(self) -> QByteArray | None:
        value = self._q.value("geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, value: QByteArray) -> None:
        self._q.setValue("geometry", value)

    def splitter(self) -> QByteArray | None:
        value = self._q.value("splitter")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_splitter(self, value: QByteArray) -> None:
        self._q.setValue("splitter", value)

    def server(self) -> dict | None:
        """The clinic's server this desk works on ({"host", "port", "database", "user"}), or
        None: this PC's registry file."""
        values = {k: self._q.value(f"server/{k}") for k in ("host", "port", "database", "user")}
        if not values["host"] or not values["database"] or not values["user"]:
            return None
        try:
            values["port"] = int(values["port"] or 5432)
        except (TypeError, ValueError):
            values["port"] = 5432
        return {k: (v if k == "port" else str(v)) for k, v in values.items()}

    def set_server(self, value: dict | None) -> None:
        if value is None:
            self._q.remove("server")
        else:
            for k in ("host", "port", "database", "user"):
                self._q.setValue(f"server/{k}", value[k])

    def sync(self) -> None:
        self._q.sync()
