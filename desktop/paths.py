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


def is_development() -> bool:
    """A development run: from a source checkout (not a frozen bundle), with the development
    key beside the sources. Only then is the development signing key trusted."""
    return not getattr(sys, "frozen", False) and getattr(sys, "_MEIPASS", None) is None \
        and (app_root() / "db" / "keys" / "dev-publisher.pub").is_file()


def trusted_key_dirs() -> list[Path]:
    """Folders whose *.pub keys may sign reference-data packages: the publisher keys named when
    the app was built (resources/refdata-keys/), plus db/keys/ in a development run."""
    dirs = [resources() / "refdata-keys"]
    if is_development():
        dirs.append(app_root() / "db" / "keys")
    return dirs


def default_db() -> Path | str:
    """The registry: $POLYCLINIC_DB (a file, or a `postgresql://` URL kept as text), else the
    file in the user's data folder."""
    env = os.environ.get("POLYCLINIC_DB")
    if env:
        return db_location(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP, appauthor=False)) / "registry.sqlite"


def settings_file() -> Path:
    """The workstation settings on Windows: `settings.ini` in the user's roaming settings folder
    (%APPDATA%\\polyclinic), as platformdirs says; the data stay in %LOCALAPPDATA%."""
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP, appauthor=False, roaming=True)) / "settings.ini"


def db_location(value: str | Path) -> Path | str:
    """A --db value: a `postgresql://` URL stays text (a Path would fold its '//'), else a Path."""
    if isinstance(value, Path) or "://" not in value:   # every URL scheme has it: a file, without
        return Path(value)                               # loading the store for `decide`
    from desktop.store.backend import is_url

    return value.strip() if is_url(value) else Path(value)


def local_path(location: Path | str) -> Path:
    """The file, or for a server URL the desk's local folder anchor (reference releases and
    start-up backups are kept beside it, as beside a file)."""
    if isinstance(location, Path):   # a file is its own anchor (what Location.local_path says)
        return location
    from desktop.store.backend import parse_location

    return parse_location(location).local_path
