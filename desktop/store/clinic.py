"""The clinic's details as printed on documents: names and addresses in Russian and Kazakh,
БИН, head. Checked here so the GUI and `polyclinic clinic set` refuse the same things.

Stored as settings "clinic.<field>"; rows written before the Kazakh fields existed
("clinic.name", "clinic.address") are read as the Russian ones.
"""

from __future__ import annotations

from desktop.core.iin import checksum_error

FIELDS = ("name_ru", "name_kk", "bin", "address_ru", "address_kk", "head")
REQUIRED = ("name_ru", "name_kk", "bin", "address_ru", "address_kk")
_LEGACY = {"name_ru": "clinic.name", "address_ru": "clinic.address"}
MAX_LENGTH = 300


def from_settings(values: dict[str, str]) -> dict[str, str]:
    """The six fields from the settings table (empty strings where unset)."""
    out = {}
    for f in FIELDS:
        out[f] = values.get(f"clinic.{f}") or values.get(_LEGACY.get(f, ""), "") or ""
    return out


def bin_error(value: str) -> str | None:
    """None for a valid БИН (12 digits, the ИИН check-digit rule), else what is wrong:
    "format" or "check_digit"."""
    problem = checksum_error(value)
    if problem is None:
        return None
    return "format" if problem == "format" else "check_digit"


def errors(values: dict[str, str], *, required: bool = True) -> list[dict]:
    """Every problem with these details: [{"field", "reason", "message"}] (bilingual message)."""
    out = []
    for f in FIELDS:
        value = (values.get(f) or "").strip()
        if not value:
            if required and f in REQUIRED:
                out.append({"field": f, "reason": "required",
                            "message": f"{f}: обязательное поле — required"})
            continue
        if len(value) > MAX_LENGTH:
            out.append({"field": f, "reason": "too_long",
                        "message": f"{f}: длиннее {MAX_LENGTH} символов — longer than {MAX_LENGTH}"})
        if any(ord(c) < 32 for c in value):
            out.append({"field": f, "reason": "control",
                        "message": f"{f}: недопустимые символы — control characters"})
    b = (values.get("bin") or "").strip()
    if b and bin_error(b):
        out.append({"field": "bin", "reason": bin_error(b),
                    "message": "bin: БИН — 12 цифр с верной контрольной цифрой — the БИН must be "
                               "12 digits with a correct check digit"})
    return out


def complete(details: dict[str, str]) -> bool:
    """True when everything a document needs is set."""
    return not errors(details)


def for_language(details: dict[str, str], lang: str) -> dict[str, str]:
    """{name, bin, address, head} in `lang` (Kazakh falls back to Russian where unset)."""
    def pick(base):
        if lang == "kk" and details.get(f"{base}_kk"):
            return details[f"{base}_kk"]
        return details.get(f"{base}_ru", "")
    return {"name": pick("name"), "address": pick("address"), "bin": details.get("bin", ""),
            "head": details.get("head", "")}
