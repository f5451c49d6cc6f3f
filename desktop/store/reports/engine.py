"""The one engine that runs every report definition over a registry (SQLite or PostgreSQL).

`run_report(registry, name, params, user=..., now=...)` returns the report as plain data:

    {"report", "title": {"ru", "kk"}, "params", "made_at", "made_by", "reference_versions",
     "columns", "rows", "totals",            # the first section, for programs reading one table
     "sections": [{"key", "title", "columns", "rows", "totals", "chart", ...}, ...]}

rows are dicts by column key holding typed values (int, Decimal, date, datetime, str, None);
`to_json` makes the JSON form. `patients_behind(...)` lists the patients behind one figure (a
cell of a row or a total). Permission (who may run which report) and the audit entry are the
caller's (services.run_report). Nothing here imports Qt or reads the clock.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Callable

import sqlalchemy as sa

from .definitions import REPORTS
from .spec import Report, Section


class ReportCancelled(Exception):
    """The caller's `cancelled()` said stop."""


class ReportParamsError(ValueError):
    """A report's name or parameters are wrong; the message is bilingual."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def definition(name: str) -> Report:
    try:
        return REPORTS[name]
    except KeyError:
        raise ReportParamsError("NAME", f"нет такого отчёта — no report {name!r}; "
                                f"есть — known: {', '.join(REPORTS)}") from None


def period_of(report: Report, params: dict) -> tuple[date, date]:
    """[start, end] of a report's parameters: `on` for a daily report, `from`/`to` otherwise."""
    def get(key):
        value = params.get(key)
        if value in (None, ""):
            raise ReportParamsError(f"--{key}", f"нужна дата --{key} — --{key} DATE is required")
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ReportParamsError(f"--{key}", f"--{key}: не дата ГГГГ-ММ-ДД — not a date "
                                    f"YYYY-MM-DD: {value!r}") from None
    if report.daily:
        day = get("on")
        return day, day
    start, end = get("from"), get("to")
    if end < start:
        raise ReportParamsError("--to", f"конец периода раньше начала — --to {end} is before "
                                f"--from {start}")
    return start, end


def _dialect(registry) -> str:
    return "postgresql" if registry.location.is_server else "sqlite"


def facts_of(registry, report: Report, start: date, end: date) -> list[dict]:
    with registry._guard(), registry.engine.connect() as connection:
        return report.facts(connection, _dialect(registry), start, end, registry)


def _measure(m, facts) -> int | Decimal | None:
    chosen = [f for f in facts if m.counts(f)]
    if m.distinct:
        return len({f.get(m.distinct) for f in chosen if f.get(m.distinct) is not None})
    if m.sum:
        values = [f.get(m.sum) for f in chosen if f.get(m.sum) is not None]
        return sum(values, Decimal(0) if not values or isinstance(values[0], Decimal) else 0)
    return len(chosen)


def _sort_key(value):
    """None first, then values of one type in their order (mixed types never compared)."""
    if value is None:
        return (0, "")
    if isinstance(value, (int, float, Decimal)):
        return (1, value)
    return (2, str(value)) if not isinstance(value, (date, datetime)) else (1.5, value.isoformat())


def section_facts(section: Section, facts: list[dict]) -> list[dict]:
    return [f for f in facts if section.where is None or section.where(f)]


def run_section(section: Section, facts: list[dict], check: Callable[[], None]) -> dict:
    facts = section_facts(section, facts)
    rows = []
    if section.group:
        groups: dict[tuple, list[dict]] = {}
        for i, f in enumerate(facts):
            if i % 5000 == 0:
                check()
            groups.setdefault(tuple(d.of(f) for d in section.dims), []).append(f)
        for key, members in groups.items():
            row = {d.key: v for d, v in zip(section.dims, key)}
            for m in section.measures:
                row[m.key] = _measure(m, members)
            rows.append(row)
        rows.sort(key=section.order or (lambda r: tuple(_sort_key(r[d.key]) for d in section.dims)))
    else:
        rows = [{d.key: d.of(f) for d in section.dims} for f in facts]
        if section.order:
            rows.sort(key=section.order)
    totals = {m.key: _measure(m, facts) for m in section.measures}
    columns = [{"key": d.key, "type": d.type, "ru": d.ru, "kk": d.kk, "measure": False}
               for d in section.dims]
    if section.group:
        columns += [{"key": m.key, "type": m.type, "ru": m.ru, "kk": m.kk, "measure": True}
                    for m in section.measures]
    return {"key": section.key, "title": {"ru": section.ru, "kk": section.kk},
            "group": section.group, "columns": columns, "rows": rows, "totals": totals,
            "totals_columns": [{"key": m.key, "type": m.type, "ru": m.ru, "kk": m.kk}
                               for m in section.measures],
            "chart": section.chart, "chart_measures": list(section.chart_measures)}


def run_report(registry, name: str, params: dict, *, user: str, now: datetime,
               cancelled: Callable[[], bool] | None = None,
               progress: Callable[[int, int], None] | None = None) -> dict:
    """Run the report `name` with `params` ({"on"} or {"from", "to"}, ISO dates or dates)."""
    report = definition(name)
    start, end = period_of(report, params)

    def check():
        if cancelled is not None and cancelled():
            raise ReportCancelled()

    steps = len(report.sections) + 1
    if progress:
        progress(0, steps)
    facts = facts_of(registry, report, start, end)
    check()
    if progress:
        progress(1, steps)
    sections = []
    for i, section in enumerate(report.sections, 2):
        sections.append(run_section(section, facts, check))
        if progress:
            progress(i, steps)
    versions = sorted({f[report.versions_field] for f in facts
                       if report.versions_field and f.get(report.versions_field)})
    vocab = {}
    for key, (code, ru, kk) in (report.extra.get("vocab") or {}).items():
        vocab[key] = {f[code]: (f[ru], f[kk]) for f in facts if f.get(code) is not None}
    first = sections[0]
    shown = {"on": start.isoformat()} if report.daily else {"from": start.isoformat(),
                                                              "to": end.isoformat()}
    return {"report": report.name, "title": {"ru": report.ru, "kk": report.kk},
            "note": {"ru": report.note_ru, "kk": report.note_kk},
            "params": shown, "made_at": now, "made_by": user,
            "reference_versions": versions, "wide": report.wide, "vocab": vocab,
            "columns": first["columns"], "rows": first["rows"], "totals": first["totals"],
            "sections": sections}


def patients_behind(registry, name: str, params: dict, section_key: str,
                    row: dict | None = None, measure: str | None = None) -> list[dict]:
    """The patients behind one figure: the facts of `section_key` matching the group `row`
    (its dim values; None for the totals) and counted by `measure` (None: the whole row).
    Returns [{"patient_id", "name", "iin", "birth_date"}] by name."""
    report = definition(name)
    start, end = period_of(report, params)
    section = report.section(section_key)
    facts = section_facts(section, facts_of(registry, report, start, end))
    if row is not None:
        dims = [d for d in section.dims if d.key in row] if section.group else []
        facts = [f for f in facts if all(_same(d.of(f), row[d.key]) for d in dims)]
        if not section.group:  # a listing: the row is one fact; match every column
            facts = [f for f in facts if all(_same(d.of(f), row.get(d.key)) for d in section.dims)]
    if measure is not None:
        m = next(x for x in section.measures if x.key == measure)
        facts = [f for f in facts if m.counts(f)]
    ids = sorted({f.get(section.patient) for f in facts if f.get(section.patient) is not None})
    return patients_by_id(registry, ids)


def _same(a, b) -> bool:
    if isinstance(a, (date, datetime)) and isinstance(b, str):
        return a.isoformat() == b
    return a == b


def patients_by_id(registry, ids: list[int]) -> list[dict]:
    out = []
    with registry._guard(), registry.engine.connect() as connection:
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = connection.execute(sa.text(
                "SELECT id, surname, given_name, patronymic, iin, birth_date FROM patient "
                "WHERE id IN (" + ", ".join(str(int(x)) for x in chunk) + ")"))
            for pid, surname, given, patronymic, iin, birth in rows:
                out.append({"patient_id": pid, "iin": iin, "birth_date": birth,
                            "name": " ".join(p for p in (surname, given, patronymic) if p)})
    out.sort(key=lambda p: (p["name"], p["patient_id"]))
    return out


def to_json(result: dict) -> dict:
    """The JSON form: dates ISO text, money decimal text, no internal fields."""
    def value(v):
        if isinstance(v, (date, datetime)):
            return v.isoformat()
        if isinstance(v, Decimal):
            return str(v)
        return v

    def section(s):
        return {"key": s["key"], "title": s["title"],
                "columns": [{k: c[k] for k in ("key", "type", "ru", "kk")} for c in s["columns"]],
                "rows": [{k: value(v) for k, v in r.items()} for r in s["rows"]],
                "totals": {k: value(v) for k, v in s["totals"].items()}}

    sections = [section(s) for s in result["sections"]]
    return {"report": result["report"], "title": result["title"], "params": result["params"],
            "made_at": value(result["made_at"]), "made_by": result["made_by"],
            "reference_versions": result["reference_versions"],
            "columns": sections[0]["columns"], "rows": sections[0]["rows"],
            "totals": sections[0]["totals"], "sections": sections,
            "vocab": {k: {code: {"ru": ru, "kk": kk} for code, (ru, kk) in v.items()}
                      for k, v in (result.get("vocab") or {}).items()}}
