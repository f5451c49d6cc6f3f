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

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Callable

import sqlalchemy as sa

from .definitions import REPORTS
from .spec import Report, Section, eq, holds


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
    """The facts of a report whose facts are Python (a day's journal, the call list)."""
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
    return [f for f in facts if holds(section.where, f)]


def _columns(section: Section) -> list[dict]:
    columns = [{"key": d.key, "type": d.type, "ru": d.ru, "kk": d.kk, "measure": False}
               for d in section.dims]
    if section.group:
        columns += [{"key": m.key, "type": m.type, "ru": m.ru, "kk": m.kk, "measure": True}
                    for m in section.measures]
    return columns


def _section(section: Section, rows: list[dict], totals: dict) -> dict:
    return {"key": section.key, "title": {"ru": section.ru, "kk": section.kk},
            "group": section.group, "columns": _columns(section), "rows": rows, "totals": totals,
            "totals_columns": [{"key": m.key, "type": m.type, "ru": m.ru, "kk": m.kk}
                               for m in section.measures],
            "chart": section.chart, "chart_measures": list(section.chart_measures)}


def run_section(section: Section, facts: list[dict], check: Callable[[], None]) -> dict:
    """A section over Python facts."""
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
    return _section(section, rows, {m.key: _measure(m, facts) for m in section.measures})


# --- reports whose facts are one SQL query: grouped and counted by the database ----------------
class _Binds:
    def __init__(self, base: dict):
        self.values = dict(base)

    def add(self, value) -> str:
        name = f"v{len(self.values)}"
        self.values[name] = value
        return f":{name}"


def _cond_sql(conds, binds: _Binds) -> str:
    parts = []
    for fieldname, op, value in conds or ():
        col = f"f.{fieldname}"
        if op == "=":
            parts.append(f"{col} = {binds.add(value)}")
        elif op == "!=":
            parts.append(f"{col} <> {binds.add(value)}")
        elif op == "in":
            parts.append(f"{col} IN ({', '.join(binds.add(v) for v in value)})")
        elif op == "null":
            parts.append(f"{col} IS NULL")
        elif op == "notnull":
            parts.append(f"{col} IS NOT NULL")
        else:
            raise ValueError(f"unknown condition {op!r}")
    return " AND ".join(parts) or "1 = 1"


def _measure_sql(m, binds: _Binds, weighted: bool = False) -> str:
    cond = _cond_sql(m.when, binds) if m.when else None
    if weighted:   # the facts are groups with their count `n` (Report.extra["weights"])
        if m.distinct or m.sum:
            raise ValueError(f"measure {m.key!r}: only counts over weighted facts")
        return f"SUM(CASE WHEN {cond} THEN f.n ELSE 0 END)" if cond else "SUM(f.n)"
    if m.distinct:
        target = f"f.{m.distinct}"
        return f"COUNT(DISTINCT CASE WHEN {cond} THEN {target} END)" if cond else f"COUNT(DISTINCT {target})"
    if m.sum:
        target = f"CAST(f.{m.sum} AS NUMERIC)"
        return f"SUM(CASE WHEN {cond} THEN {target} END)" if cond else f"SUM({target})"
    return f"COUNT(CASE WHEN {cond} THEN 1 END)" if cond else "COUNT(*)"


_CENT = Decimal("0.01")


def _typed(value, typ):
    if value is None:
        return Decimal("0.00") if typ == "money" else None
    if typ == "money":
        return Decimal(str(value)).quantize(_CENT)
    if typ == "int":
        return int(value)
    if typ == "date" and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if typ == "datetime" and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def run_section_sql(connection, section: Section, source: str, base: dict,
                    weighted: bool = False) -> dict:
    binds = _Binds(base)
    where = _cond_sql(section.where, binds)
    dims = [f"f.{d.column}" for d in section.dims]
    measures = [_measure_sql(m, binds, weighted) for m in section.measures]
    positions = ", ".join(str(i) for i in range(1, len(dims) + 1))
    sql = (f"WITH f AS ({source}) SELECT {', '.join(dims + measures)} FROM f WHERE {where}"
           + (f" GROUP BY {positions} ORDER BY {positions}" if dims else ""))
    rows = []
    for raw in connection.execute(sa.text(sql), binds.values):
        row = {d.key: _typed(v, d.type) for d, v in zip(section.dims, raw)}
        for m, v in zip(section.measures, raw[len(dims):]):
            row[m.key] = _typed(v, m.type) if v is not None or m.sum else 0
        rows.append(row)
    rows.sort(key=section.order or (lambda r: tuple(_sort_key(r[d.key]) for d in section.dims)))
    totals = {}
    exact = [m for m in section.measures if m.distinct]
    for m in section.measures:
        if not m.distinct:   # a count or a sum: the sum of the rows
            values = [r[m.key] for r in rows]
            totals[m.key] = sum(values, Decimal("0.00") if m.type == "money" else 0)
    if exact:
        binds = _Binds(base)
        where = _cond_sql(section.where, binds)
        sql = (f"WITH f AS ({source}) SELECT {', '.join(_measure_sql(m, binds) for m in exact)} "
               f"FROM f WHERE {where}")
        for m, v in zip(exact, connection.execute(sa.text(sql), binds.values).one()):
            totals[m.key] = int(v or 0)
    return _section(section, rows, {m.key: totals[m.key] for m in section.measures})


def _versions_sql(connection, report: Report, source: str, base: dict) -> list[str]:
    if not report.versions_field:
        return []
    sql = (f"WITH f AS ({source}) SELECT DISTINCT f.{report.versions_field} FROM f "
           f"WHERE f.{report.versions_field} IS NOT NULL")
    return sorted(v for (v,) in connection.execute(sa.text(sql), base))


def _vocab_sql(connection, report: Report, source: str, base: dict) -> dict:
    out = {}
    for key, (code, ru, kk) in (report.extra.get("vocab") or {}).items():
        sql = (f"WITH f AS ({source}) SELECT DISTINCT f.{code}, f.{ru}, f.{kk} FROM f "
               f"WHERE f.{code} IS NOT NULL")
        out[key] = {c: (r, k) for c, r, k in connection.execute(sa.text(sql), base)}
    return out


def _range(start: date, end: date) -> dict:
    return {"start": start.isoformat(), "end": (end + timedelta(days=1)).isoformat()}


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
    sections = []
    if report.sql is not None:
        base = _range(start, end)
        with registry._guard(), registry.engine.connect() as connection:
            # the facts once into a temporary table of this connection, then each section's
            # grouping over it (the period's rows are read from the registry one time only)
            literal = report.sql(_dialect(registry)).replace(":start", f"'{base['start']}'") \
                                                      .replace(":end", f"'{base['end']}'")
            weights = report.extra.get("weights")
            if weights:
                cols = ", ".join(weights)
                literal = f"SELECT {cols}, COUNT(*) AS n FROM ({literal}) s GROUP BY {cols}"
            connection.execute(sa.text("DROP TABLE IF EXISTS report_facts"))
            connection.execute(sa.text(f"CREATE TEMPORARY TABLE report_facts AS {literal}"))
            source = "SELECT * FROM report_facts"
            try:
                check()
                if progress:
                    progress(1, steps)
                for i, section in enumerate(report.sections, 2):
                    sections.append(run_section_sql(connection, section, source, base,
                                                    bool(weights)))
                    check()
                    if progress:
                        progress(min(i, steps), steps)
                versions = _versions_sql(connection, report, source, base)
                vocab = _vocab_sql(connection, report, source, base)
            finally:
                connection.execute(sa.text("DROP TABLE IF EXISTS report_facts"))
                connection.rollback()
    else:
        facts = facts_of(registry, report, start, end)
        check()
        if progress:
            progress(1, steps)
        for i, section in enumerate(report.sections, 2):
            sections.append(run_section(section, facts, check))
            if progress:
                progress(min(i, steps), steps)
        versions = sorted({f[report.versions_field] for f in facts
                           if report.versions_field and f.get(report.versions_field)})
        vocab = {}
    if progress:
        progress(steps, steps)
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
    conds = list(section.where or ())
    dims = section.dims if row is not None else ()
    for d in dims:
        if d.key in row:
            value = row[d.key]
            conds += list(eq(d.column, value.isoformat() if isinstance(value, (date, datetime))
                             and report.sql is not None else value))
    if measure is not None:
        m = next(x for x in section.measures if x.key == measure)
        conds += list(m.when or ())
    if report.sql is not None:
        binds = _Binds(_range(start, end))
        where = _cond_sql(tuple(conds), binds)
        sql = (f"WITH f AS ({report.sql(_dialect(registry))}) SELECT DISTINCT f.{section.patient} "
               f"FROM f WHERE {where} AND f.{section.patient} IS NOT NULL")
        with registry._guard(), registry.engine.connect() as connection:
            ids = sorted(int(x) for (x,) in connection.execute(sa.text(sql), binds.values))
    else:
        facts = [f for f in facts_of(registry, report, start, end) if holds(tuple(conds), f)]
        if row is not None and not section.group:  # a listing: the row is one fact
            facts = [f for f in facts if all(_same(d.of(f), row.get(d.key)) for d in section.dims)]
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
