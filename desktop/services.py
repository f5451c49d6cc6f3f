"""Operations that join the core, the registry and the documents; the command line and the
GUI both call these. No Qt here; the caller passes the date and time in.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from desktop.core.refdata import PriceItem, RefData

SYSTEM_USER = "system"
# Printed where the clinic's details are not set yet (the administrator sets them in Settings).
CLINIC_PLACEHOLDER = {"ru": "[реквизиты поликлиники не заданы]", "kk": "[емхана деректемелері берілмеген]"}


class ServiceError(ValueError):
    """A --service line or a price code is wrong."""


def clinic_for_print(registry, lang: str) -> dict:
    """{name, bin, address, head} for a document in `lang` (the Kazakh name and address on a
    Kazakh document); a placeholder name while the details are not set."""
    from desktop.store.clinic import for_language

    clinic = for_language(registry.clinic_details(), lang)
    if not clinic.get("name"):
        clinic["name"] = CLINIC_PLACEHOLDER.get(lang, CLINIC_PLACEHOLDER["ru"])
    return clinic


def seed_prices_from_reference(registry, ref: RefData, now: datetime) -> int:
    """First start: the clinic's price list begins as the reference data's demo list."""
    items = [{"code": p.code, "name_ru": p.name_ru, "name_kk": p.name_kk,
              "unit": {"ru": p.unit_ru, "kk": p.unit_kk}, "price": str(p.price),
              "valid_from": p.valid_from.isoformat() if p.valid_from else "2020-01-01",
              "valid_until": p.valid_until and p.valid_until.isoformat()} for p in ref.all_prices()]
    return registry.seed_prices(items, now=now)


def clinic_prices(registry, ref: RefData, on: date) -> list[PriceItem]:
    """The clinic's price list in force on `on`, as core PriceItems (Kazakh units from the
    reference data where the code is known)."""
    units = {p.code: (p.unit_ru, p.unit_kk) for p in ref.all_prices()}
    out = []
    for row in registry.prices_on(on):
        unit_ru, unit_kk = units.get(row.code, (row.unit, row.unit))
        if row.unit and row.unit != unit_ru:
            unit_ru = unit_kk = row.unit
        out.append(PriceItem(row.code, row.name_ru, row.name_kk, unit_ru, unit_kk, Decimal(row.price),
                             row.valid_from, row.valid_until))
    return out


def parse_services(specs: list[str]) -> list[tuple[str, Decimal]]:
    """`CODE=QTY` strings to (code, quantity); ValueError naming the bad one."""
    out = []
    for s in specs or []:
        code, sep, qty = s.partition("=")
        code = code.strip().upper()
        if not sep:
            qty = "1"
        try:
            q = Decimal(qty.strip())
        except InvalidOperation:
            raise ServiceError(f"{s!r}: quantity must be a number, as in CODE=2") from None
        if not code or not q.is_finite() or q <= 0:
            raise ServiceError(f"{s!r}: expected CODE=QTY with a positive quantity")
        out.append((code, q))
    return out


@dataclass
class Printed:
    number: str
    pdf: bytes
    kind: str


def print_document(registry, ref: RefData, *, kind: str, case: dict, decision: dict, lang: str,
                   on: date, now: datetime, user: str, services=None, patient_id: int | None = None) -> Printed:
    """Number, render and keep one document. The number is taken from the never-reused
    sequence before rendering; the exact PDF bytes are stored with their hash."""
    from desktop import documents

    lines = None
    if kind == "estimate":
        prices = {p.code: p for p in clinic_prices(registry, ref, on)}
        wanted = list(services or [])
        if not wanted and any(w["code"] == "medical_exam_required" for w in decision.get("warnings", [])):
            wanted = documents.exam_lines(ref, on)
        if not wanted:
            raise ServiceError("an estimate needs at least one service (--service CODE=QTY)")
        lines = []
        for code, qty in wanted:
            if code not in prices:
                raise ServiceError(f"unknown service code {code!r}: not in the price list in force on {on.isoformat()}")
            lines.append((prices[code], qty))
    clinic = clinic_for_print(registry, lang)
    # Check the input fully before a number is spent on it.
    documents.content(kind, case=case, decision=decision, ref=ref, clinic=clinic, number="0",
                      on=on, lang=lang, lines=lines)
    number = registry.reserve_document_number(on.year, now, kind=kind, user=user)
    try:
        pdf = documents.render(kind, case=case, decision=decision, ref=ref, clinic=clinic, number=number,
                               on=on, lang=lang, lines=lines)
        registry.store_printed(number, kind, pdf, lang=lang, user=user, now=now, patient_id=patient_id,
                               reference_version=ref.version, year=on.year,
                               details=_print_details(kind, decision, lines, ref))
    except Exception as exc:  # the number was taken but no document stored: void, with the reason
        try:
            registry.void_document_number(number, f"{type(exc).__name__}: {exc}", user=user, now=now)
        except Exception:
            pass  # e.g. the registry is damaged; the reservation is voided at a later start
        raise
    return Printed(number, pdf, kind)


def _print_details(kind: str, decision: dict, lines, ref: RefData) -> dict | None:
    """What the audit entry of an estimate keeps for the paid-services report: each line as
    priced on the estimate, the patient's category and the reference-data version."""
    if kind != "estimate" or not lines:
        return None
    from desktop.documents.content import _CENT, ROUND_HALF_UP

    out = []
    for item, qty in lines:
        q = Decimal(str(qty))
        out.append({"code": item.code, "name_ru": item.name_ru, "name_kk": item.name_kk,
                    "quantity": str(q), "price": str(item.price),
                    "amount": str((item.price * q).quantize(_CENT, rounding=ROUND_HALF_UP))})
    return {"lines": out, "category": decision.get("category"),
            "reference_version": ref.version}


def write_atomically(path: Path, data: bytes):
    """A patient document: written under a unique temporary name, 0600, then renamed."""
    from desktop.fileutil import write_private

    write_private(Path(path), data)


def recheck(registry, ref: RefData, on: date, lang: str = "ru") -> list[dict]:
    """Patients whose decision under `ref` as of `on` differs from their latest stored one
    (category, attachment status, end date or missing documents, coverage, the ОСМС status and
    the answer to today's need): the batch re-check after a reference update."""
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError

    out = []
    for patient_id, case, last in registry.latest_decisions():
        try:
            new = decide_data(case, ref, on=on, default_date=on, lang=lang).to_dict()
        except CaseError as e:
            out.append({"patient_id": patient_id, "errors": e.errors})
            continue
        old_att, new_att = last.get("attachment") or {}, new["attachment"]
        changes = {}
        if last.get("category") != new["category"]:
            changes["category"] = [last.get("category"), new["category"]]
        for key in ("status", "until"):
            if old_att.get(key) != new_att.get(key):
                changes[f"attachment.{key}"] = [old_att.get(key), new_att.get(key)]
        if sorted(old_att.get("missing_documents") or []) != sorted(new_att.get("missing_documents") or []):
            changes["attachment.missing_documents"] = [old_att.get("missing_documents") or [],
                                                       new_att.get("missing_documents") or []]
        old_cov = {(c["scheme"], c["scope"]) for c in last.get("coverage", [])}
        new_cov = {(c["scheme"], c["scope"]) for c in new["coverage"]}
        if old_cov != new_cov:
            changes["coverage"] = [sorted(map(list, old_cov)), sorted(map(list, new_cov))]
        # revision 3: the answer to today's need (free or paid, and how) and the ОСМС status
        old_osms, new_osms = last.get("osms") or {}, new["osms"] or {}
        for key in ("insured", "source"):
            if old_osms.get(key) != new_osms.get(key):
                changes[f"osms.{key}"] = [old_osms.get(key), new_osms.get(key)]
        old_care, new_care = last.get("care") or {}, new.get("care") or {}
        for key in ("free", "scheme", "payment"):
            if old_care.get(key) != new_care.get(key):
                changes[f"care.{key}"] = [old_care.get(key), new_care.get(key)]
        if changes:
            out.append({"patient_id": patient_id, "changes": changes,
                        "old_reference": (last.get("reference") or {}).get("version"),
                        "new_reference": ref.version})
    return out


def import_lines(registry, ref, lines, *, user: str, now: datetime, today: date,
                 on: str | None = None, lang: str = "ru"):
    """`patients import`: each non-blank case line (bytes or text) decided by the core and saved
    with its decision, as the desk saves a patient; a person already in the registry (the same
    ИИН, or the same surname, given name and birth date) is reported and not saved again, so
    the same file twice doubles no one. Yields one result a line:

        {"line": 1, "status": "created", "patient_id": 7, "decision_id": 9, "category": "..."}
        {"line": 2, "status": "exists", "patient_id": 3}
        {"line": 3, "errors": [{"field": "person.iin", "message": "...", "line": 3}]}
    """
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError, load_json
    from desktop.store import Conflict, IinTaken

    for n, line in enumerate(lines, 1):
        if isinstance(line, bytes):  # decoded line by line: one bad byte spoils only its line
            try:
                line = line.decode("utf-8").removesuffix("\r")
            except UnicodeDecodeError as e:
                yield {"line": n, "errors": [{"field": "CASE", "message": f"not UTF-8: {e}",
                                              "line": n}]}
                continue
        if not line.strip():
            continue
        try:
            data = load_json(line.removeprefix("\ufeff") if n == 1 else line)
            try:  # "\ud800" is valid JSON but no text: it cannot be stored or printed
                json.dumps(data, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as e:
                yield {"line": n, "errors": [{
                    "field": "CASE", "line": n,
                    "message": f"одиночный суррогат {e.object[e.start]!r} — не текст; исправьте "
                               f"строку — a lone surrogate {e.object[e.start]!r} is not text"}]}
                continue
            decision = decide_data(data, ref, on=on, default_date=today, lang=lang).to_dict()
        except CaseError as e:
            yield {"line": n, "errors": [{**err, "line": n} for err in e.errors]}
            continue
        except ValueError as e:
            yield {"line": n, "errors": [{"field": "CASE", "message": f"not valid JSON: {e}",
                                          "line": n}]}
            continue
        existing = registry.likely_duplicates(data)
        iin = str((data.get("person") or {}).get("iin") or "").strip()
        holder = next((p for p in existing if iin and p.iin == iin), None)
        if holder is not None:  # an ИИН is one person: the stored one is never overwritten
            yield {"line": n, "status": "exists", "patient_id": holder.id, "iin": holder.iin,
                   "name": holder.full_name, "message": str(IinTaken(iin, holder.id,
                                                                     holder.full_name or "—"))}
            continue
        if existing:
            yield {"line": n, "status": "exists", "patient_id": existing[0].id,
                   "iin": existing[0].iin, "name": existing[0].full_name}
            continue
        try:
            with registry.unit():  # the patient with its decision, or neither
                patient_id = registry.save_patient(data, user=user, now=now)
                decision_id = registry.record_decision(patient_id, decision, user=user, now=now)
        except IinTaken as e:  # another desk saved the same ИИН at this moment
            yield {"line": n, "status": "exists", "patient_id": e.holder_id, "iin": e.iin,
                   "name": e.holder_name, "message": str(e)}
            continue
        except Conflict as e:  # the same, refused by the server's unique index
            again = registry.likely_duplicates(data)
            yield {"line": n, "status": "exists", "patient_id": again[0].id if again else None,
                   "message": str(e)}
            continue
        yield {"line": n, "status": "created", "patient_id": patient_id,
               "decision_id": decision_id, "category": decision.get("category"),
               "attachment": (decision.get("attachment") or {}).get("status")}


# --- the head registrar's reports (desktop/store/reports; renderers in documents/report_files) ---
REPORT_FORMATS = ("json", "csv", "xlsx", "pdf")


def run_report(registry, name: str, params: dict, *, user: str, now: datetime, fmt: str = "screen",
               cancelled=None, progress=None) -> dict:
    """Run a report for `user`: registrars may run the journal and the lapsing bases, the rest
    is for administrators (PermissionDenied otherwise). Every run is in the audit log with its
    parameters, its format and how many rows it gave."""
    from desktop.store.errors import PermissionDenied
    from desktop.store.reports import definition, run_report as run

    report = definition(name)
    account = registry.get_user(user)
    if account is None or not account.active:
        raise PermissionDenied(f"нет такого пользователя — no active user {user!r}")
    if report.role != "registrar":
        registry.require_admin(user)
    result = run(registry, name, params, user=user, now=now, cancelled=cancelled, progress=progress)
    registry.log(user=user, action="report", obj=f"report:{name}", now=now,
                 details={"params": result["params"], "format": fmt,
                          "rows": sum(len(s["rows"]) for s in result["sections"]),
                          "reference_versions": result["reference_versions"]})
    return result


def report_labels(ref: RefData, result: dict):
    """label(section, column, value, lang): the names people read for a report's codes —
    categories, countries and document kinds from the reference data, the report's own
    vocabularies (results, sexes, channels, grounds) from its definition."""
    from desktop.store.reports import definition

    report = definition(result["report"])
    dims = {(s.key, d.key): d for s in report.sections for d in s.dims}
    vocab = result.get("vocab") or {}

    def label(section, column, value, lang):
        d = dims.get((section, column))
        if d is None or d.labels is None:
            return value
        how = d.labels
        i = 0 if lang == "ru" else 1
        if callable(how):
            return how(value, lang, ref)
        if isinstance(how, dict):
            return how[value][i] if value in how else ("—" if value is None else value)
        if value is None:
            return ref.country_name(None, lang) if how == "country" else "—"
        try:
            if how == "category":
                return ref.category_name(value, lang)
            if how == "country":
                return f"{ref.country_name(value, lang)} ({value})"
            if how == "document":
                return ref.document_kind_name(value, lang)
        except KeyError:
            return value
        names = vocab.get(how, {}).get(value)
        if not names:
            return value
        return names[lang] if isinstance(names, dict) else names[i]

    return label


def render_report(registry, ref: RefData, result: dict, fmt: str, lang: str = "ru") -> bytes:
    """The report in `fmt` (json, csv, xlsx, pdf): the same columns and totals in each."""
    from desktop.documents import report_files
    from desktop.store.reports import to_json

    if fmt == "json":
        return (json.dumps(to_json(result), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    label = report_labels(ref, result)
    if fmt == "csv":
        return report_files.to_csv(result, lang, label)
    if fmt == "xlsx":
        return report_files.to_xlsx(result, lang, label)
    if fmt == "pdf":
        return report_files.to_pdf(result, lang, label, clinic=clinic_for_print(registry, lang))
    raise ServiceError(f"unknown format {fmt!r}: one of {', '.join(REPORT_FORMATS)}")
