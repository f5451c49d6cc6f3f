"""Small file helpers shared by the store and the reference-data installer (stdlib only):
private files and folders, unique temporary names, atomic writes, a cross-process lock, and
CSV cells that a spreadsheet never runs as formulas.

Patient data is private: files are created 0600 and folders 0700. On Windows a mode means
nothing: a folder this process creates gets a protected ACL instead (full control for the
current user and SYSTEM, inherited by every file and folder inside; no one else), and the files
in it inherit that.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
TMP_MARK = ".tmp-"


def private_umask() -> None:
    """Make every file this process creates private to its user (0600 files, 0700 folders).
    Called once by the program's entry point, never by the core."""
    if os.name == "posix":
        os.umask(0o077)


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) as 0700 if missing; tighten a folder we own. Returns it.
    Windows: each folder created here gets the owner-only ACL (`windows_private_sddl`) as soon
    as it exists, before anything is put inside; an existing one is left as it is (its ACL is the user's or the
    administrator's choice)."""
    path = Path(path)
    if os.name == "nt":
        missing = []  # the folders created here, outermost first: each gets the ACL at once
        for folder in (path, *path.parents):
            if folder.exists():
                break
            missing.insert(0, folder)
        for folder in missing:
            folder.mkdir(exist_ok=True)
            restrict_acl(folder)
        return path
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    tighten(path, DIR_MODE)
    return path


def windows_private_sddl(user_sid: str) -> str:
    """The security descriptor (SDDL) of a private folder on Windows: protected (no ACE
    inherited from above), full control for the user and for SYSTEM, inherited by the files
    (OI) and folders (CI) inside."""
    return f"D:P(A;OICI;FA;;;{user_sid})(A;OICI;FA;;;SY)"


def restrict_acl(path: Path) -> bool:
    """Windows: give `path` the owner-only ACL. False if it could not be set (the folder
    stays usable; the user's profile already keeps other users out). No-op elsewhere."""
    if os.name != "nt":
        return False
    try:
        from desktop import winsec

        winsec.set_dacl(str(path), windows_private_sddl(winsec.current_user_sid()))
        return True
    except OSError:
        return False


def tighten(path: Path, mode: int = FILE_MODE) -> None:
    """chmod `path` to `mode` if it exists and belongs to us (silently otherwise)."""
    if os.name != "posix":
        return
    try:
        st = os.stat(path)
        if st.st_uid == os.getuid() and (st.st_mode & 0o777) & ~mode:
            os.chmod(path, mode)
    except OSError:
        pass


def temp_name(path: Path) -> Path:
    """A name beside `path` that no other process or thread will pick:
    `<name>.tmp-<pid>-<random>`. Leftovers carry the mark and are removed at start."""
    path = Path(path)
    import secrets  # here: `polyclinic decide` never makes a file, nor pays for OpenSSL's start

    return path.with_name(f"{path.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def fsync_file(path: Path) -> None:
    """Flush a closed file's data to disk. Windows flushes only a handle opened for writing
    (FlushFileBuffers), so the file is opened read-write there; read-only elsewhere."""
    flags = os.O_RDWR | getattr(os, "O_BINARY", 0) if os.name == "nt" else os.O_RDONLY
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def claim_name(folder: Path, stem: str, suffix: str) -> Path:
    """`folder/stem+suffix`, or `stem-1`, `stem-2`… when taken: created empty (0600) in one
    atomic step, so two processes in the same second never share a name."""
    n = 0
    while True:
        path = folder / (f"{stem}{suffix}" if n == 0 else f"{stem}-{n}{suffix}")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            return path
        except FileExistsError:
            n += 1


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (unique temporary name, fsync, rename), 0600."""
    path = Path(path)
    if not path.parent.exists():
        private_dir(path.parent)
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def remove_leftovers(folder: Path, stem: str) -> list[Path]:
    """Remove temporary files `<stem>*.tmp-<pid>-<rand>` left by a process that is gone
    (its pid no longer runs). Returns what was removed."""
    removed = []
    try:
        candidates = list(Path(folder).glob(f"{stem}*{TMP_MARK}*"))
    except OSError:
        return removed
    for p in candidates:
        tail = p.name.rsplit(TMP_MARK, 1)[-1]
        pid_text = tail.split("-", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        try:
            if p.is_file():
                p.unlink()
                removed.append(p)
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":
        from desktop import winsec

        return winsec.process_alive(pid)
    if os.name != "posix":
        return True  # cannot tell cheaply: keep it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@contextmanager
def file_lock(path: Path):
    """An exclusive lock between processes, held while the block runs (the lock file stays)."""
    path = Path(path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        if os.name == "nt":  # pragma: no cover - Windows
            import msvcrt
            import time

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
            try:
                yield
            finally:
                os.lseek(fd, 0, 0)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A CSV cell a spreadsheet shows as text: a string starting with = + - @, tab or CR gets
    a leading apostrophe (OWASP's advice against formula injection). Other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(values) -> list:
    return [csv_safe(v) for v in values]


def output_problem(path: Path | str, registry: Path | str | None) -> tuple[str, str] | None:
    """Why a command must not write its output to `path`, as (Russian, English), or None.

    Refused: the registry file `registry` or a companion of it (its WAL, journal, start-up and
    pre-migration copies: any file in its folder whose name begins with the registry's name),
    anything inside its reference-data folder or its `backups/` folder, a directory, a device
    or other non-regular file, a symbolic link, and a path whose folder does not exist (a USB
    stick that is not mounted is not created as an empty folder)."""
    raw = Path(os.path.abspath(os.fspath(path)))
    try:
        st = os.lstat(raw)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        return (f"файл недоступен: {exc.strerror}", f"cannot use the file: {exc.strerror}")
    if st is not None:
        import stat as _stat

        if _stat.S_ISLNK(st.st_mode):
            return ("это символическая ссылка", "it is a symbolic link")
        if _stat.S_ISDIR(st.st_mode):
            return ("это папка, а не файл", "it is a folder, not a file")
        if not _stat.S_ISREG(st.st_mode):
            return ("это устройство или другой особый файл", "it is a device or other special file")
    parent = raw.parent
    if not parent.is_dir():
        return (f"папка {parent} не существует (флешка не подключена?)",
                f"the folder {parent} does not exist (is the USB stick plugged in?)")
    if registry is None:
        return None
    target = Path(os.path.realpath(parent)) / raw.name
    reg = Path(os.path.realpath(os.path.abspath(os.fspath(registry))))
    protected = (reg.parent / "backups", reg.with_name(reg.name + ".refdata"))
    inside = any(target == p or p in target.parents for p in protected)
    companion = target.parent == reg.parent and target.name.startswith(reg.name)
    same = False
    if st is not None and reg.exists():
        try:
            same = os.path.samefile(target, reg)
        except OSError:
            same = False
    if same or companion or inside:
        return ("это файл реестра или его служебный файл (журнал, резервная копия, справочник)",
                "it is the registry or one of its own files (journal, backup, reference data)")
    return None
