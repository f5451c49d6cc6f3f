"""Exceptions raised by the registry store (stdlib only: the CLI imports this cheaply)."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base class of every error the store raises on purpose. Its message is written
    "по-русски — in English"; `kk` is the same in Kazakh, shown by a desk working in Kazakh
    (None where the store has no Kazakh text: the Russian half is shown)."""

    kk: str | None = None

    def __init__(self, *args, kk: str | None = None):
        super().__init__(*args)
        if kk is not None:
            self.kk = kk


class RegistryError(StoreError):
    """The registry file cannot be used: corrupt, not SQLite, not ours, or from a newer version.

    The message is bilingual (Russian, then English) and names the file; `path` is the file,
    `backup` the newest backup the caller may offer to restore (or None).
    """

    def __init__(self, path: Path | str, ru: str, en: str, *, backup: Path | None = None,
                 kk: str | None = None):
        self.path = Path(path)
        self.where = str(path)  # as given: a server's URL keeps its "//"
        self.backup = backup
        self.ru = ru
        self.en = en
        super().__init__(f"{ru} — {en} [{path}]", kk=kk)  # a server URL as given, not a Path


class RegistryFileChanged(RegistryError):
    """The registry file this desk opened was deleted or replaced by another program while the
    desk ran: nothing is written (a write would go to the vanished file and be lost at the next
    start). `reason` is "deleted" or "replaced"."""

    def __init__(self, path: Path | str, reason: str):
        self.reason = reason
        if reason == "deleted":
            ru = ("Файл реестра удалён другой программой, пока рабочее место было открыто; "
                  "ничего не сохранено. Верните файл или перезапустите программу")
            en = ("The registry file was deleted by another program while the desk was open; "
                  "nothing was saved. Put the file back or restart the program")
            kk = ("Жұмыс орны ашық тұрғанда тіркелім файлын басқа бағдарлама өшірді; ештеңе "
                  "сақталмады. Файлды қайтарыңыз немесе бағдарламаны қайта іске қосыңыз")
        else:
            ru = ("Файл реестра заменён другой программой, пока рабочее место было открыто; "
                  "ничего не сохранено. Перезапустите программу")
            en = ("The registry file was replaced by another program while the desk was open; "
                  "nothing was saved. Restart the program")
            kk = ("Жұмыс орны ашық тұрғанда тіркелім файлын басқа бағдарлама ауыстырды; ештеңе "
                  "сақталмады. Бағдарламаны қайта іске қосыңыз")
        super().__init__(path, ru, en, kk=kk)


class DiskFull(RegistryError):
    """The disk holding the registry has no room left: nothing is damaged, the write was not
    done; it may be retried once space is freed."""

    def __init__(self, path: Path | str):
        super().__init__(path, "Нет места на диске: изменения не сохранены, реестр не повреждён. "
                               "Освободите место и повторите",
                         "No space left on the disk: nothing was saved, the registry is not "
                         "damaged. Free some space and try again",
                         kk="Дискіде орын жоқ: өзгерістер сақталмады, тіркелім бүлінбеген. "
                            "Орын босатып, қайталаңыз")


class PermissionDenied(StoreError):
    """The acting user may not do this (a registrar on an administrator's operation)."""


class NotFound(StoreError):
    """No such patient, user, price item or document."""


class Conflict(StoreError):
    """The change contradicts stored data (e.g. an ИИН already held by another patient)."""


class PasswordRejected(StoreError, ValueError):
    """A new password breaks the rule (at least 10 characters, not the login, not digits only).

    `reason` is one of "too_short", "same_as_login", "digits_only"; the message is bilingual.
    """

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


class AccountLocked(PermissionDenied):
    """Too many failed sign-ins: the account waits until `until` (a datetime)."""

    def __init__(self, login: str, until, now):
        self.login = login
        self.until = until
        seconds = max(0, int((until - now).total_seconds()))
        self.seconds_left = seconds
        minutes, secs = divmod(seconds, 60)
        super().__init__(f"учётная запись «{login}» временно заблокирована после неудачных "
                         f"попыток входа, осталось {minutes}:{secs:02d} — account '{login}' is "
                         f"locked after failed sign-ins for another {minutes}:{secs:02d}")


class ClinicDetailsInvalid(StoreError, ValueError):
    """The clinic's details are incomplete or wrong; `problems` is [{"field", "reason", "message"}]."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__("; ".join(p["message"] for p in problems))
