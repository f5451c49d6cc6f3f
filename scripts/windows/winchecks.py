"""Checks of the Windows branches that need a Windows (here: Wine), run by scripts/smoke_windows.sh
with the Windows build's Python. The app's own code is imported from the checkout given first
(desktop/fileutil.py, desktop/winsec.py are stdlib only); each check prints one line and exits
non-zero when it fails.

    python.exe winchecks.py ROOT acl FOLDER           the folder's ACL is the owner-only one
    python.exe winchecks.py ROOT lock FILE            two processes on one lock file take turns
    python.exe winchecks.py ROOT alive                a running and a finished process are told apart
    python.exe winchecks.py ROOT keyring              Credential Manager answers through keyring
"""
from __future__ import annotations

import subprocess
import sys
import time

ROOT, WHAT, *ARGS = sys.argv[1:]
sys.path.insert(0, ROOT)


def fail(message: str) -> None:
    print(f"winchecks {WHAT}: FAILED: {message}")
    sys.exit(1)


if WHAT == "acl":
    from desktop import winsec
    from desktop.fileutil import windows_private_sddl

    import re

    sddl = winsec.get_sddl(ARGS[0])
    want = windows_private_sddl(winsec.current_user_sid())
    aces = lambda text: sorted(re.findall(r"\([^)]*\)", text))  # noqa: E731
    # Wine keeps the entries but not the "protected" flag (P): that one a real PC shows
    if aces(sddl) == aces(want):
        print(f"winchecks acl: {ARGS[0]}: {sddl} (the user and SYSTEM only, inherited inside)")
    else:
        fail(f"{ARGS[0]}: {sddl}, wanted {want}")

elif WHAT == "lock":
    path = ARGS[0]
    if len(ARGS) > 1:  # the second process: wait for the lock, say when it got it
        from desktop.fileutil import file_lock

        with file_lock(path):
            print(time.time())
        sys.exit(0)
    from desktop.fileutil import file_lock

    with file_lock(path):
        other = subprocess.Popen([sys.executable, __file__, ROOT, "lock", path, "child"],
                                 stdout=subprocess.PIPE, text=True)
        time.sleep(3)
        released = time.time()
    got = float(other.communicate(timeout=60)[0].strip())
    if got < released:
        fail(f"the second process took the lock {released - got:.2f} s before it was released")
    print(f"winchecks lock: the second process waited and took the lock {got - released:.2f} s after")

elif WHAT == "alive":
    from desktop.fileutil import _alive

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    running = _alive(child.pid)
    child.kill()
    child.wait()
    time.sleep(0.5)
    if not running or _alive(child.pid):
        fail(f"running: {running}, after the end: {_alive(child.pid)}")
    print("winchecks alive: a running process is alive, a finished one is not")

elif WHAT == "keyring":
    import keyring

    ring = keyring.get_keyring()
    if type(ring).__module__ != "keyring.backends.Windows":
        fail(f"keyring backend {type(ring).__module__}.{type(ring).__name__}")
    keyring.set_password("polyclinic smoke", "desk", "пароль-ә")
    if keyring.get_password("polyclinic smoke", "desk") != "пароль-ә":
        fail("the password did not come back")
    keyring.delete_password("polyclinic smoke", "desk")
    print(f"winchecks keyring: {type(ring).__name__} (Windows Credential Manager) stores and returns a password")

else:
    fail("unknown check")
