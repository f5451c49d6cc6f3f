"""What a report definition is made of (plain data; no SQL engine, no Qt, no clock).

A `Report` is one declarative definition: its name on the command line, its ru/kk title, its
parameters (a day or a period), who may run it, where its facts come from (`facts`: one query
over the registry returning one row a fact — an application, a printout, an audit entry —
with named fields) and its `sections`. A `Section` is one table: its `dims` (the columns rows
are grouped by, or for a listing every column) and its `measures` (counts and sums, each with
the condition a fact must meet to be counted). The engine (engine.py) runs any definition the
same way on SQLite and on PostgreSQL; adding a report is adding a definition (definitions.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

# column types: how a value is shown and exported (numbers as numbers, dates as dates)
TEXT, INT, MONEY, DATE, DATETIME = "text", "int", "money", "date", "datetime"
TYPES = (TEXT, INT, MONEY, DATE, DATETIME)

Fact = dict
# a condition on a fact's field: (field, op, value), op one of "=", "!=", "in", "null", "notnull";
# the engine evaluates it in SQL (SQL reports) or on the fact (reports whose facts are Python)
Cond = tuple
Conds = tuple  # every condition must hold


def holds(conds: Conds | None, fact: Fact) -> bool:
    for fieldname, op, value in conds or ():
        v = fact.get(fieldname)
        if op == "=" and v != value or op == "!=" and (v is None or v == value) \
                or op == "in" and v not in value or op == "null" and v is not None \
                or op == "notnull" and v is None:
            return False
    return True


def eq(fieldname: str, value) -> Conds:
    return ((fieldname, "null", None),) if value is None else ((fieldname, "=", value),)


@dataclass(frozen=True)
class Dim:
    """A column taken from a fact's field (`field`) or computed from the fact (`value`).
    `labels`: how a code is named for people — a dict {code: (ru, kk)}, or one of the
    reference data's vocabularies "category", "country", "document"."""

    key: str
    ru: str
    kk: str
    type: str = TEXT
    field: str | None = None
    value: Callable[[Fact], Any] | None = None
    labels: dict | str | None = None

    @property
    def column(self) -> str:
        return self.field or self.key

    def of(self, fact: Fact):
        return self.value(fact) if self.value is not None else fact.get(self.column)


@dataclass(frozen=True)
class Measure:
    """A count of the facts meeting `when` (all when None); with `distinct`, of the distinct
    values of that field among them (for example patients); with `sum`, the sum of that field."""

    key: str
    ru: str
    kk: str
    when: Conds | None = None
    distinct: str | None = None
    sum: str | None = None
    type: str = INT

    def counts(self, fact: Fact) -> bool:
        return holds(self.when, fact)


@dataclass(frozen=True)
class Section:
    """One table of a report. `group`: rows are the distinct values of the dims, each with
    its measures; otherwise each fact is a row (a listing) and the measures are its totals.
    `where`: which facts the section counts. `chart`: "bars" (the first dim along the axis,
    one bar per measure) or "line" (a measure along the first dim, a date) — on screen and in
    the PDF."""

    key: str
    ru: str
    kk: str
    dims: tuple[Dim, ...]
    measures: tuple[Measure, ...] = ()
    group: bool = True
    where: Conds | None = None
    order: Callable[[dict], Any] | None = None
    chart: str | None = None
    chart_measures: tuple[str, ...] = ()
    patient: str = "patient_id"     # the fact field naming the patient behind a figure


@dataclass(frozen=True)
class Param:
    key: str        # "on" (a day) or "from" / "to" (a period)
    ru: str
    kk: str


@dataclass(frozen=True)
class Report:
    name: str
    ru: str
    kk: str
    params: tuple[Param, ...]
    sections: tuple[Section, ...]
    # where the facts come from: `sql(dialect)`, one SELECT over the registry with :start and
    # :end (the engine groups and counts in the database), or `facts(connection, dialect,
    # start, end, registry)` returning them as dicts (small reports: a day, a call list)
    sql: Callable[[str], str] | None = None
    facts: Callable[..., list[Fact]] | None = None
    role: str = "admin"                  # "registrar": every signed-in user may run it
    note_ru: str = ""
    note_kk: str = ""
    versions_field: str | None = "reference_version"
    wide: bool = False                   # A4 landscape in the PDF
    extra: dict = field(default_factory=dict)

    @property
    def daily(self) -> bool:
        return any(p.key == "on" for p in self.params)

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)
