"""Windows only, through ctypes (no pywin32): the current user's SID, a file's ACL as SDDL,
setting an ACL, and whether a process still runs. Imported only where `os.name == "nt"`.

Every failure is an OSError (ctypes.WinError), which callers treat as "could not".
"""
from __future__ import annotations

import ctypes
from ctypes import wintypes

SE_FILE_OBJECT = 1
OWNER_SECURITY_INFORMATION = 0x1
DACL_SECURITY_INFORMATION = 0x4
PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000
SDDL_REVISION_1 = 1
TOKEN_QUERY = 0x0008
TOKEN_USER_CLASS = 1
PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
STILL_ACTIVE = 259
ERROR_INVALID_PARAMETER = 87
ERROR_ACCESS_DENIED = 5


def _dlls():
    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    PV, PPV = ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)
    advapi32.OpenProcessToken.argtypes = [wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE)]
    advapi32.GetTokenInformation.argtypes = [wintypes.HANDLE, ctypes.c_int, PV, wintypes.DWORD,
                                             ctypes.POINTER(wintypes.DWORD)]
    advapi32.ConvertSidToStringSidW.argtypes = [PV, ctypes.POINTER(wintypes.LPWSTR)]
    advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW.argtypes = [
        wintypes.LPCWSTR, wintypes.DWORD, PPV, ctypes.POINTER(wintypes.ULONG)]
    advapi32.GetSecurityDescriptorDacl.argtypes = [PV, ctypes.POINTER(wintypes.BOOL), PPV,
                                                   ctypes.POINTER(wintypes.BOOL)]
    advapi32.SetNamedSecurityInfoW.argtypes = [wintypes.LPWSTR, ctypes.c_int, wintypes.DWORD, PV, PV,
                                               PV, PV]
    advapi32.SetNamedSecurityInfoW.restype = wintypes.DWORD
    advapi32.GetNamedSecurityInfoW.argtypes = [wintypes.LPCWSTR, ctypes.c_int, wintypes.DWORD, PPV, PPV,
                                               PPV, PPV, PPV]
    advapi32.GetNamedSecurityInfoW.restype = wintypes.DWORD
    advapi32.ConvertSecurityDescriptorToStringSecurityDescriptorW.argtypes = [
        PV, wintypes.DWORD, wintypes.DWORD, ctypes.POINTER(wintypes.LPWSTR), ctypes.POINTER(wintypes.ULONG)]
    advapi32.SetFileSecurityW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, PV]
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.GetExitCodeProcess.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD)]
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    kernel32.LocalFree.argtypes = [PV]
    kernel32.LocalFree.restype = PV
    return advapi32, kernel32


def _check(ok) -> None:
    if not ok:
        raise ctypes.WinError(ctypes.get_last_error())


def current_user_sid() -> str:
    """The SID of the user this process runs as, e.g. "S-1-5-21-…-1001"."""
    advapi32, kernel32 = _dlls()
    token = wintypes.HANDLE()
    _check(advapi32.OpenProcessToken(kernel32.GetCurrentProcess(), TOKEN_QUERY, ctypes.byref(token)))
    try:
        size = wintypes.DWORD(0)
        advapi32.GetTokenInformation(token, TOKEN_USER_CLASS, None, 0, ctypes.byref(size))
        buf = ctypes.create_string_buffer(size.value or 256)
        _check(advapi32.GetTokenInformation(token, TOKEN_USER_CLASS, buf, len(buf), ctypes.byref(size)))
        sid = ctypes.cast(buf, ctypes.POINTER(ctypes.c_void_p))[0]  # TOKEN_USER.User.Sid
        text = wintypes.LPWSTR()
        _check(advapi32.ConvertSidToStringSidW(sid, ctypes.byref(text)))
        try:
            return text.value
        finally:
            kernel32.LocalFree(text)
    finally:
        kernel32.CloseHandle(token)


def set_dacl(path: str, sddl: str) -> None:
    """Replace the DACL of `path` by the one in `sddl` ("D:P(…)…": protected, not inherited)."""
    advapi32, kernel32 = _dlls()
    sd = ctypes.c_void_p()
    _check(advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1,
                                                                         ctypes.byref(sd), None))
    try:
        present, defaulted, dacl = wintypes.BOOL(), wintypes.BOOL(), ctypes.c_void_p()
        _check(advapi32.GetSecurityDescriptorDacl(sd, ctypes.byref(present), ctypes.byref(dacl),
                                                  ctypes.byref(defaulted)))
        err = advapi32.SetNamedSecurityInfoW(
            path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            None, None, dacl, None)
        if err:
            raise ctypes.WinError(err)
        # the same descriptor once more through SetFileSecurityW: Wine 8 answers the call above
        # with success and changes nothing (the smoke test runs there); on Windows it is a no-op
        _check(advapi32.SetFileSecurityW(path, DACL_SECURITY_INFORMATION
                                         | PROTECTED_DACL_SECURITY_INFORMATION, sd))
    finally:
        kernel32.LocalFree(sd)


def get_sddl(path: str) -> str:
    """The DACL of `path` as SDDL text (to check it)."""
    advapi32, kernel32 = _dlls()
    sd, dacl = ctypes.c_void_p(), ctypes.c_void_p()
    err = advapi32.GetNamedSecurityInfoW(path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, None, None,
                                         ctypes.byref(dacl), None, ctypes.byref(sd))
    if err:
        raise ctypes.WinError(err)
    try:
        text = wintypes.LPWSTR()
        _check(advapi32.ConvertSecurityDescriptorToStringSecurityDescriptorW(
            sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, ctypes.byref(text), None))
        try:
            return text.value
        finally:
            kernel32.LocalFree(text)
    finally:
        kernel32.LocalFree(sd)


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (True when it cannot be told: then its files stay)."""
    _, kernel32 = _dlls()
    handle = kernel32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        # no such process (invalid parameter); access denied means it runs as someone else
        return ctypes.get_last_error() != ERROR_INVALID_PARAMETER
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
