"""Where the app's files live: the bundled resources and the user's data folder.

Not part of the headless core: this module knows about the installation and the environment.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "polyclinic"


def app_root() -> Path:
    """The folder holding resources/ (the source tree, or the PyInstaller bundle)."""
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) if base else Path(__file__).resolve().parent.parent


def resources() -> Path:
    return app_root() / "resources"


def sources_dir() -> Path:
    return app_root() / "db" / "sources"


def bundled_reference() -> Path:
    return resources() / "reference.sqlite"


def default_db() -> Path:
    env = os.environ.get("POLYCLINIC_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP, appauthor=False)) / "registry.sqlite"
