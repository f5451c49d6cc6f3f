"""The audit log in words: «Иванова А. С. открыла карту: Петров П. П. (ИИН …)».

`AuditWords(registry, tr)` turns one AuditEntry into (who, what was done, details) in the
interface's language, looking up account and patient names in the registry (cached per
instance). Russian past-tense verbs agree with the user's gender, guessed from the patronymic
or the surname; when neither tells, the verb is written "открыл(а)". No Qt here."""
from __future__ import annotations

import json

# action -> catalogue key of the sentence; the object is appended after ": "
ACTIONS = ("login", "login_failed", "login_refused", "account_locked", "create", "update", "view",
           "decide", "print", "reprint", "link_printed", "backup", "restore", "export",
           "export_staged", "void_number", "refdata_import", "refdata_rollback", "seed", "migrate",
           "merge", "unmerge", "flag_duplicate")
# actions whose details name a second patient record (merges, duplicate flags)
_PAIRED = {"merge": "merged", "unmerge": "merged", "flag_duplicate": "other"}
_FEMALE_ENDINGS = ("вна", "чна", "кызы", "қызы")
_MALE_ENDINGS = ("вич", "ич", "улы", "ұлы", "оглы", "оғлы")
_FEMALE_SURNAMES = ("ова", "ева", "ёва", "ина", "ына", "ая", "ская", "цкая")
_MALE_SURNAMES = ("ов", "ев", "ёв", "ин", "ын", "ий", "ой", "ский", "цкий")


def gender_of(full_name: str) -> str | None:
    """"f", "m" or None, from the patronymic (or, failing that, the surname)."""
    parts = [p.casefold() for p in (full_name or "").split()]
    if len(parts) >= 3:
        tail = " ".join(parts[2:])
        if tail.endswith(_FEMALE_ENDINGS):
            return "f"
        if tail.endswith(_MALE_ENDINGS):
            return "m"
    if parts:
        if parts[0].endswith(_FEMALE_SURNAMES):
            return "f"
        if parts[0].endswith(_MALE_SURNAMES):
            return "m"
    return None


def short_name(full_name: str) -> str:
    """"Иванова Анна Сергеевна" -> "Иванова А. С."."""
    parts = (full_name or "").split()
    if not parts:
        return ""
    return " ".join([parts[0]] + [f"{p[0]}." for p in parts[1:3] if p])


class AuditWords:
    """Describe audit entries in words (see module docstring)."""

    def __init__(self, registry, tr, ref=None):
        self.registry, self.tr, self.ref = registry, tr, ref
        self._users: dict[str, str] | None = None
        self._patients: dict[int, str] = {}
        self._printed: dict[str, str | None] = {}   # number → kind (None: not stored)

    def prepare(self, entries) -> None:
        """Read the patients and printed documents that `entries` name in two queries (not one
        per entry): call before describing a page of entries."""
        patients: set[int] = set()
        printed: set[str] = set()
        for e in entries:
            kind, _, key = (e.object or "").partition(":")
            if kind == "patient" and key.isdigit():
                patients.add(int(key))
            elif kind == "printed":
                printed.add(key)
            if e.action in ("print", "reprint") or e.action in _PAIRED:
                try:
                    patient = json.loads(e.details or "{}").get(_PAIRED.get(e.action, "patient"))
                except (ValueError, AttributeError):
                    patient = None
                if isinstance(patient, int):
                    patients.add(patient)
        found = self.registry.patients_by_id(p for p in patients if p not in self._patients)
        for pid in patients - set(self._patients):
            self._patients[pid] = self._describe(pid, found.get(pid))
        self._printed.update(self.registry.printed_kinds(n for n in printed if n not in self._printed))
        self._printed.update({n: None for n in printed if n not in self._printed})

    def users(self) -> dict[str, str]:
        if self._users is None:
            self._users = {u.login: u.full_name for u in self.registry.users()}
        return self._users

    def who(self, login: str) -> str:
        """The user's short name with the login, or the login alone (system, unknown)."""
        if login == "system":
            return self.tr("auditw.system")
        name = self.users().get(login)
        return f"{short_name(name)} ({login})" if name else login

    def patient(self, patient_id: int) -> str:
        if patient_id not in self._patients:
            self._patients[patient_id] = self._describe(patient_id, self.registry.get_patient(patient_id))
        return self._patients[patient_id]

    def _describe(self, patient_id: int, p) -> str:
        if p is None:
            return self.tr("auditw.patient_gone", id=patient_id)
        text = short_name(p.full_name or "") or "—"
        if p.iin:
            text += f" ({self.tr('col.iin')} {p.iin})"
        return text

    def thing(self, obj: str) -> str:
        """The object of an entry in words."""
        kind, _, key = (obj or "").partition(":")
        if kind == "patient" and key.isdigit():
            return self.patient(int(key))
        if kind == "user":
            name = self.users().get(key)
            return f"{short_name(name)} ({key})" if name else key
        if kind == "printed":
            if key not in self._printed:
                self._printed.update(self.registry.printed_kinds([key]) or {key: None})
            printed = self._printed[key]
            what = self.tr(f"print.kind.{printed}") if printed is not None else ""
            return f"{what} № {key}".strip()
        if kind in ("decision", "price", "backup", "export", "audit", "refdata", "number"):
            return self.tr(f"auditw.obj.{kind}", name=key)
        if obj == "settings":
            return self.tr("auditw.obj.settings")
        if obj in ("schema", "price_item"):
            return self.tr(f"auditw.obj.{obj}")
        return obj

    def sentence(self, entry) -> str:
        """«Иванова А. С. (ivanova) открыла карту: Петров П. П. (ИИН …)»."""
        action = entry.action if entry.action in ACTIONS else None
        if action is None:
            return f"{self.who(entry.user)}: {entry.action} {entry.object}"
        gender = gender_of(self.users().get(entry.user, ""))
        ending = {"f": "а", "m": ""}.get(gender, "(а)")
        if action == "create" and entry.object.startswith("patient:"):
            action = "create_patient"   # a card, not an account
        verb = self.tr(f"auditw.{action}").replace("{a}", ending)
        thing = self.thing(entry.object)
        if action in _PAIRED:   # both records named: «объединила записи: A ← B»
            other = self._paired(entry)
            if other is not None:
                thing = self.tr(f"auditw.pair.{action}", kept=thing, other=self.patient(other))
        if action in ("login", "login_failed", "login_refused", "account_locked") \
                and entry.object == f"user:{entry.user}":
            thing = ""
        return f"{self.who(entry.user)} {verb}" + (f": {thing}" if thing else "")

    @staticmethod
    def _paired(entry) -> int | None:
        try:
            value = json.loads(entry.details or "{}").get(_PAIRED[entry.action])
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, int) else None

    def details(self, entry) -> str:
        """The details JSON as "key: value; …" with the known keys in words."""
        try:
            data = json.loads(entry.details or "{}")
        except ValueError:
            return entry.details or ""
        if not isinstance(data, dict):
            return str(data)
        out = []
        for key, value in data.items():
            if key == "kind" and isinstance(value, str) and f"print.kind.{value}" in _strings():
                value = self.tr(f"print.kind.{value}")
            elif key == "lang" and value in ("ru", "kk"):
                value = self.tr(f"auditw.lang.{value}")
            elif key == "patient" and isinstance(value, int) and entry.action in ("print", "reprint"):
                value = self.patient(value)
            elif key == "role" and f"users.role.{value}" in _strings():
                value = self.tr(f"users.role.{value}")
            elif key == "category" and self.ref is not None and value in self.ref.category_by_id:
                value = self.ref.category_name(value, self.tr.lang)
            elif key == "attachment" and self.ref is not None and isinstance(value, str):
                value = self.ref.text(f"status.{value}", self.tr.lang)
            elif key in ("fields", "keys") and isinstance(value, list):
                value = [self.tr(v) if v in _strings() else v for v in value]
            elif key in ("kept", "merged", "other") and isinstance(value, int):
                value = self.patient(value)
            elif key == "moved" and isinstance(value, dict):
                value = ", ".join(f"{self.tr(f'dups.moved.{k}') if f'dups.moved.{k}' in _strings() else k}"
                                  f" {v}" for k, v in value.items() if v)
            elif key == "took" and isinstance(value, list):
                value = [self.tr(f"dups.field.{v}") if f"dups.field.{v}" in _strings() else v
                         for v in value]
            elif isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T":
                value = f"{value[8:10]}.{value[5:7]}.{value[0:4]} {value[11:16]}"   # an ISO time
            if isinstance(value, bool):
                value = self.tr("admin.yes" if value else "admin.no")
            elif isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            elif value is None:
                value = "—"
            label_key = f"auditw.key.{key}"
            label = self.tr(label_key) if label_key in _strings() else key
            out.append(f"{label}: {value}")
        return "; ".join(out)


def _strings() -> dict:
    from desktop.gui.i18n import STRINGS

    return STRINGS
