"""The Windows branches of the app, run on Linux: only the operating system's answer is faked
(which OS this is, the user's SID, a folder's known path, whether a process runs); what the
app does with it is real. The same branches run for real under Wine in
scripts/smoke_windows.sh (ACL read back, leftovers, locking, network drives, keyring, console).
"""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from desktop import fileutil

SID = "S-1-5-21-1111111111-2222222222-3333333333-1001"


class _WindowsOs:
    """`os` as desktop.fileutil sees it on Windows: os.name is "nt", the rest is the real os."""

    name = "nt"
    O_BINARY = 0x8000

    def __getattr__(self, attr):
        return getattr(os, attr)


@pytest.fixture
def on_windows(monkeypatch):
    """fileutil's Windows branch, with desktop.winsec's calls into advapi32/kernel32 recorded."""
    from desktop import winsec

    calls = {"set_dacl": [], "alive": {}}
    monkeypatch.setattr(fileutil, "os", _WindowsOs())
    monkeypatch.setattr(winsec, "current_user_sid", lambda: SID)
    monkeypatch.setattr(winsec, "set_dacl", lambda path, sddl: calls["set_dacl"].append((path, sddl)))
    monkeypatch.setattr(winsec, "process_alive", lambda pid: calls["alive"].get(pid, True))
    return calls


def test_the_private_folder_acl_is_the_user_and_system_only_inherited_inside():
    sddl = fileutil.windows_private_sddl(SID)
    assert sddl == f"D:P(A;OICI;FA;;;{SID})(A;OICI;FA;;;SY)"
    # protected (nothing inherited from above), and no ACE for anyone else (Users, Everyone…)
    assert sddl.startswith("D:P(") and sddl.count("(A;") == 2


def test_a_folder_created_on_windows_gets_the_owner_only_acl(tmp_path, on_windows):
    local = tmp_path / "Әсел Иванова" / "AppData" / "Local"  # %LOCALAPPDATA% exists
    local.mkdir(parents=True)
    folder = local / "polyclinic"
    assert fileutil.private_dir(folder) == folder and folder.is_dir()
    assert on_windows["set_dacl"] == [(str(folder), fileutil.windows_private_sddl(SID))]
    # an existing folder keeps its ACL (the user's or the administrator's choice), no chmod either
    mode = folder.stat().st_mode
    fileutil.private_dir(folder)
    assert len(on_windows["set_dacl"]) == 1 and folder.stat().st_mode == mode


def test_when_parents_are_created_too_each_new_one_gets_the_acl(tmp_path, on_windows):
    """`registry.sqlite.refdata` made before its data folder exists: the data folder itself
    (%LOCALAPPDATA%\\polyclinic) gets the ACL too, outermost first."""
    data = tmp_path / "polyclinic"
    fileutil.private_dir(data / "registry.sqlite.refdata")
    want = fileutil.windows_private_sddl(SID)
    assert on_windows["set_dacl"] == [(str(data), want), (str(data / "registry.sqlite.refdata"), want)]


def test_an_acl_that_cannot_be_set_leaves_the_folder_usable(tmp_path, on_windows, monkeypatch):
    from desktop import winsec

    def refuse(path, sddl):
        raise OSError(5, "Access is denied")

    monkeypatch.setattr(winsec, "set_dacl", refuse)
    folder = fileutil.private_dir(tmp_path / "data")
    fileutil.write_private(folder / "registry.sqlite", b"x")
    assert (folder / "registry.sqlite").read_bytes() == b"x"


def test_leftover_temporary_files_of_a_finished_process_are_removed_on_windows(tmp_path, on_windows):
    gone, running = 4000000, 4000001
    on_windows["alive"].update({gone: False, running: True})
    dead = tmp_path / f"registry.sqlite.tmp-{gone}-deadbeef"
    live = tmp_path / f"registry.sqlite.tmp-{running}-cafebabe"
    dead.write_bytes(b"")
    live.write_bytes(b"")
    assert fileutil.remove_leftovers(tmp_path, "registry.sqlite") == [dead]
    assert not dead.exists() and live.exists()


def test_fsync_opens_for_writing_on_windows(tmp_path, monkeypatch):
    """FlushFileBuffers needs a handle opened for writing: a read-only one fails on Windows."""
    target = tmp_path / "release.sqlite"
    target.write_bytes(b"data")
    seen = []
    real_open = os.open

    class Recording(_WindowsOs):
        def open(self, path, flags, *args):
            seen.append(flags)
            return real_open(path, flags & ~self.O_BINARY, *args)

    monkeypatch.setattr(fileutil, "os", Recording())
    fileutil.fsync_file(target)
    assert seen and seen[0] & os.O_RDWR
    monkeypatch.undo()
    fileutil.fsync_file(target)  # and read-only on Linux, as before
    assert target.read_bytes() == b"data"


# --- the console ---------------------------------------------------------------------------------

class _Stream(io.TextIOWrapper):
    def __init__(self, encoding: str, tty: bool):
        self.raw_bytes = io.BytesIO()
        super().__init__(self.raw_bytes, encoding=encoding, errors="strict")
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_redirected_output_on_a_cp1251_windows_becomes_utf8(monkeypatch):
    from desktop.console import setup_console

    out, err = _Stream("cp1251", tty=False), _Stream("cp1251", tty=False)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    setup_console(platform="win32")
    print('{"message": "Тіркеу қабылданды: ә ғ қ ң ө ұ ү һ і"}')
    sys.stdout.flush()
    assert out.raw_bytes.getvalue().decode("utf-8").startswith('{"message": "Тіркеу қабылданды')


def test_a_legacy_cp1251_console_prints_kazakh_without_crashing(monkeypatch):
    from desktop.console import setup_console

    console = _Stream("cp1251", tty=True)
    monkeypatch.setattr(sys, "stdout", console)
    monkeypatch.setattr(sys, "stderr", None)  # polyclinic-gui.exe: no console at all
    setup_console(platform="win32")
    print("Өтініш: әже")
    sys.stdout.flush()
    assert console.raw_bytes.getvalue().decode("cp1251") == "?тініш: ?же\n"


def test_the_console_is_left_alone_elsewhere(monkeypatch):
    from desktop.console import setup_console

    stream = _Stream("cp1251", tty=False)
    monkeypatch.setattr(sys, "stdout", stream)
    setup_console(platform="linux")
    assert sys.stdout.encoding == "cp1251" and sys.stdout.errors == "strict"


# --- where the data and the settings live ---------------------------------------------------------

@pytest.fixture
def windows_folders(tmp_path, monkeypatch):
    """platformdirs' Windows rules, with the known folders of the user "Әсел Иванова"."""
    import platformdirs
    import platformdirs.windows as windows

    profile = tmp_path / "Users" / "Әсел Иванова"
    folders = {"CSIDL_LOCAL_APPDATA": profile / "AppData" / "Local",
               "CSIDL_APPDATA": profile / "AppData" / "Roaming"}
    monkeypatch.setattr(windows, "_RESOLVE_WIN_FOLDER", lambda csidl: str(folders[csidl]))
    monkeypatch.setattr(platformdirs, "PlatformDirs", windows.Windows)
    monkeypatch.delenv("POLYCLINIC_DB", raising=False)
    return folders


def test_the_registry_is_in_localappdata_and_the_settings_in_appdata(windows_folders):
    from desktop.paths import default_db, settings_file

    assert default_db() == windows_folders["CSIDL_LOCAL_APPDATA"] / "polyclinic" / "registry.sqlite"
    assert settings_file() == windows_folders["CSIDL_APPDATA"] / "polyclinic" / "settings.ini"


def test_a_registry_opens_under_a_profile_with_kazakh_letters_and_a_space(windows_folders):
    from desktop.paths import default_db
    from desktop.store import open_registry
    from datetime import datetime

    path = default_db()
    with open_registry(path, now=datetime(2026, 11, 22, 9, 0)) as registry:
        assert registry.search("Никто") == []
    assert path.is_file() and "Әсел Иванова" in str(path)


def test_the_desk_settings_on_windows_are_an_ini_file_in_appdata(windows_folders, monkeypatch):
    pytest.importorskip("PySide6")
    from desktop.gui.settings import AppSettings
    from desktop.paths import settings_file

    linux = sys.platform
    monkeypatch.setattr(sys, "platform", "win32")
    settings = AppSettings()
    monkeypatch.setattr(sys, "platform", linux)
    settings.language = "kk"
    settings._q.sync()
    text = settings_file().read_text(encoding="utf-8")
    assert "language=kk" in text


# --- the keyring ---------------------------------------------------------------------------------

class _FailingRing:
    priority = 5

    def get_password(self, service, user):
        raise RuntimeError("Credential Manager is locked")


class _Ring:
    priority = 5

    def get_password(self, service, user):
        return None


def _refused(url):
    from desktop.store import backend

    class Orig(Exception):
        pass

    exc = Exception("wrapped")
    exc.orig = Orig('connection failed: FATAL:  password authentication failed for user "desk"')
    return backend._server_error(backend.parse_location(url), exc)


def test_an_unreadable_keyring_is_said_so_not_a_wrong_password(tmp_path, monkeypatch):
    from desktop.store import backend

    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "pgpass"))
    url = "postgresql://desk@server.local:5432/polyclinic"
    for ring in (None, _FailingRing()):  # no keyring at all (the frozen build without one), or locked
        monkeypatch.setattr(backend, "os_keyring", lambda ring=ring: ring)
        error = _refused(url)
        assert "Хранилище паролей недоступно" in error.ru and "keyring" in error.en
        assert "password authentication failed" not in str(error)
        assert "desk@server.local:5432/polyclinic" in error.ru


def test_a_wrong_password_stays_a_wrong_password(tmp_path, monkeypatch):
    """The keyring answered, or the password file has the server's line: the server's words."""
    from desktop.store import backend

    pgpass = tmp_path / "pgpass"
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    url = "postgresql://desk@server.local:5432/polyclinic"
    monkeypatch.setattr(backend, "os_keyring", lambda: _Ring())
    assert "password authentication failed" in str(_refused(url))
    monkeypatch.setattr(backend, "os_keyring", lambda: None)
    pgpass.write_text("server.local:5432:polyclinic:desk:old-one\n", encoding="utf-8")
    assert "password authentication failed" in str(_refused(url))
    pgpass.write_text("*:*:*:desk:old-one\n", encoding="utf-8")
    assert "password authentication failed" in str(_refused(url))
    pgpass.write_text("other:5432:polyclinic:desk:x\n", encoding="utf-8")
    assert "Хранилище паролей недоступно" in str(_refused(url))
