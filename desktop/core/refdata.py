"""The reference data in force: read once from the compiled SQLite file into memory.

Nothing here knows today's date: every query that depends on time takes the date.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from desktop.core.dates import in_force, opt_date
from desktop.core.records import record

SCHEMA_VERSION = 1
LANGS = ("ru", "kk")


class RefDataError(Exception):
    """The reference database cannot be used; the message says why, in plain words."""


@record(frozen=True)
class Act:
    id: str
    act: dict
    article: dict
    source: str


@record(frozen=True)
class Category:
    id: str
    rank: int
    match: dict
    osms: bool
    temporary: bool
    name: dict
    basis: tuple[str, ...]


@record(frozen=True)
class AttachmentRule:
    category: str
    may_attach: bool
    channels: tuple[str, ...]
    requires: tuple[dict, ...]
    until: tuple[str, ...]
    basis: tuple[str, ...]
    valid_from: date | None
    valid_until: date | None


@record(frozen=True)
class CoverageRule:
    categories: frozenset
    scheme: str
    scope: str
    when: str
    active: str | None
    note: str | None
    basis: tuple[str, ...]
    valid_from: date | None
    valid_until: date | None


@record(frozen=True)
class CoverageLayer:
    document: str
    scheme: str
    scope: str
    basis: tuple[str, ...]
    valid_from: date | None
    valid_until: date | None


@record(frozen=True)
class TreatyLayer:
    union: str
    scheme: str
    scope: str
    note: str | None
    payment: str | None
    basis: tuple[str, ...]
    valid_from: date | None
    valid_until: date | None


def _until_limits(value) -> tuple[str, ...]:
    """The attachment's end limits: a JSON list (rev. 2) or one name (older releases)."""
    if not value:
        return ()
    if value.startswith("["):
        return tuple(json.loads(value))
    return (value,)


@record(frozen=True)
class Disease:
    id: str
    name: dict
    icd_from: str
    icd_to: str
    notice: str | None
    basis: tuple[str, ...]
    valid_from: date | None
    valid_until: date | None


@record(frozen=True)
class PriceItem:
    code: str
    name_ru: str
    name_kk: str
    unit_ru: str
    unit_kk: str
    price: Decimal
    valid_from: date | None
    valid_until: date | None

    def name(self, lang: str) -> str:
        return self.name_kk if lang == "kk" else self.name_ru

    def unit(self, lang: str) -> str:
        return self.unit_kk if lang == "kk" else self.unit_ru


def _icd_key(code: str) -> str:
    """Comparable key: 'A01.1' -> 'A011', 'A15' -> 'A15'."""
    return code.replace(".", "")


class RefData:
    """One release of reference data, held in memory. Build with `load_reference`."""

    def __init__(self, con: sqlite3.Connection, path: Path | None = None):
        self.path = path
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        self.meta = dict(q("SELECT key, value FROM meta"))
        if self.meta.get("schema") != str(SCHEMA_VERSION):
            raise RefDataError(f"reference data schema {self.meta.get('schema')!r} is not supported "
                               f"(expected {SCHEMA_VERSION})")
        self.version: str = self.meta["version"]
        self.issued = date.fromisoformat(self.meta["issued"])
        self.valid_from = opt_date(self.meta.get("valid_from"))
        self.valid_until = opt_date(self.meta.get("valid_until"))
        self.acts = {r[0]: Act(r[0], {"ru": r[1], "kk": r[2]}, {"ru": r[3], "kk": r[4]}, r[5])
                     for r in q("SELECT * FROM acts")}
        self.countries = {r[0]: {"ru": r[1], "kk": r[2], "en": r[3]} for r in q("SELECT * FROM countries")}
        try:    # releases built before the aliases table have none
            alias_rows = q("SELECT code, kind, alias FROM country_aliases")
        except sqlite3.OperationalError:
            alias_rows = []
        self.country_aliases: dict[str, tuple[str, ...]] = {}
        self.alpha3: dict[str, str] = {}
        for code, kind, alias in alias_rows:
            if kind == "alpha3":
                self.alpha3[alias] = code
            else:
                self.country_aliases[code] = self.country_aliases.get(code, ()) + (alias,)
        self.unions = {r[0]: {"name": {"ru": r[1], "kk": r[2]}, "basis": tuple(json.loads(r[3]))}
                       for r in q("SELECT * FROM unions")}
        self._members: dict[tuple[str, str], list[tuple]] = {}
        for u, c, f, t in q("SELECT * FROM union_members"):
            self._members.setdefault((u, c), []).append((opt_date(f), opt_date(t)))
        self.document_kinds = {r[0]: {"group": r[1], "ru": r[2], "kk": r[3]}
                               for r in q("SELECT * FROM document_kinds ORDER BY ord")}
        self.purposes = {r[0]: {"ru": r[1], "kk": r[2], **json.loads(r[3])}
                         for r in q("SELECT * FROM purposes ORDER BY ord")}
        self.purpose_basis = {r[0]: tuple(json.loads(r[1])) for r in q("SELECT * FROM purpose_basis")}
        self.categories = [Category(r[0], r[1], json.loads(r[2]), bool(r[3]), bool(r[4]),
                                    {"ru": r[5], "kk": r[6]}, tuple(json.loads(r[7])))
                           for r in q("SELECT * FROM categories ORDER BY rank")]
        self.category_by_id = {c.id: c for c in self.categories}
        self.attachment_rules = [AttachmentRule(r[0], bool(r[1]), tuple(json.loads(r[2])),
                                                tuple(json.loads(r[3])), _until_limits(r[4]),
                                                tuple(json.loads(r[5])),
                                                opt_date(r[6]), opt_date(r[7]))
                                 for r in q("SELECT * FROM attachment_rules")]
        self.coverage_rules = [CoverageRule(frozenset(json.loads(r[1])), r[2], r[3], r[4], r[5], r[6],
                                            tuple(json.loads(r[7])), opt_date(r[8]), opt_date(r[9]))
                               for r in q("SELECT * FROM coverage_rules ORDER BY ord")]
        self.coverage_layers = [CoverageLayer(r[1], r[2], r[3], tuple(json.loads(r[4])),
                                              opt_date(r[5]), opt_date(r[6]))
                                for r in q("SELECT * FROM coverage_layers ORDER BY ord")]
        has_treaties = q("SELECT 1 FROM sqlite_master WHERE type='table' AND name='treaty_layers'")
        self.treaty_layers = [TreatyLayer(r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6])),
                                          opt_date(r[7]), opt_date(r[8]))
                              for r in (q("SELECT * FROM treaty_layers ORDER BY ord") if has_treaties else ())]
        self.diseases = [Disease(r[0], {"ru": r[1], "kk": r[2]}, _icd_key(r[3]), _icd_key(r[4]), r[5],
                                 tuple(json.loads(r[6])), opt_date(r[7]), opt_date(r[8]))
                         for r in q("SELECT * FROM diseases")]
        self._params: dict[str, list[tuple]] = {}
        self.parameter_info: dict[str, dict] = {}
        for name, f, v, unit, desc, b in q("SELECT * FROM parameters ORDER BY name, valid_from"):
            self._params.setdefault(name, []).append((opt_date(f), json.loads(v), tuple(json.loads(b))))
            self.parameter_info[name] = {"unit": unit, "description": desc}
        self.warnings = {r[0]: {"ru": r[1], "kk": r[2], "basis": tuple(json.loads(r[3]))}
                         for r in q("SELECT * FROM warnings")}
        self._texts: dict[str, list[tuple]] = {}
        for key, ru, kk, b, f, t in q("SELECT * FROM texts"):
            self._texts.setdefault(key, []).append((opt_date(f), opt_date(t), {"ru": ru, "kk": kk},
                                                    tuple(json.loads(b))))
        # Fast paths for the hot loop of batch decisions: texts with one open-ended entry,
        # basis entries per language, and the enumerations used by validation.
        self._text_fixed = {k: v[0][2] for k, v in self._texts.items()
                            if len(v) == 1 and v[0][0] is None and v[0][1] is None}
        self._basis_cache: dict[tuple[str, str], dict] = {}
        # values the rules engine derives from this release only (never from a case or a date)
        self.derived: dict[str, dict] = {}
        self._coverage_by_category: dict[str, list[CoverageRule]] = {}
        for rule in self.coverage_rules:
            for c in rule.categories:
                self._coverage_by_category.setdefault(c, []).append(rule)
        self.country_codes = frozenset(self.countries)
        self.document_kind_codes = tuple(self.document_kinds)
        try:    # releases built before this table require no number
            self.number_required = frozenset(r[0] for r in q("SELECT kind FROM document_number_required"))
        except sqlite3.OperationalError:
            self.number_required = frozenset()
        self.purpose_codes = tuple(self.purposes)
        self._price_rows = q("SELECT * FROM prices")   # PriceItems made on first use (Decimal
        self._price_items: list[PriceItem] | None = None   # is not loaded for a decision)

    # --- queries ----------------------------------------------------------------------------
    def covers(self, on: date) -> bool:
        """Whether `on` lies in the period this release describes."""
        return in_force(self.valid_from, self.valid_until, on)

    def is_member(self, union: str, country: str | None, on: date) -> bool:
        if not country:
            return False
        return any(in_force(f, t, on) for f, t in self._members.get((union, country), ()))

    def parameter(self, name: str, on: date):
        """The value in force on `on`, or None (none yet, or ended with null)."""
        return self.parameter_entry(name, on)[0]

    def parameter_entry(self, name: str, on: date) -> tuple[object, tuple[str, ...]]:
        """(value, basis ids) in force on `on`."""
        found = (None, ())
        for f, v, b in self._params.get(name, ()):
            if f is None or f <= on:
                found = (v, b)
            else:
                break
        return found

    def text(self, key: str, lang: str, on: date | None = None) -> str:
        """A text in `lang` in force on `on` (the newest when `on` is None). KeyError if none."""
        fixed = self._text_fixed.get(key)
        if fixed is not None:
            return fixed[lang if lang in LANGS else "ru"]
        return self.text_entry(key, on)[0][lang if lang in LANGS else "ru"]

    def text_entry(self, key: str, on: date | None = None) -> tuple[dict, tuple[str, ...]]:
        entries = self._texts.get(key)
        if not entries:
            raise KeyError(f"no text {key!r} in reference data {self.version}")
        if on is not None:
            for f, t, txt, b in entries:
                if in_force(f, t, on):
                    return txt, b
        f, t, txt, b = max(entries, key=lambda e: e[0] or date.min)
        return txt, b

    def coverage_rules_for(self, category: str) -> list[CoverageRule]:
        """The coverage rules naming `category`, in source order (any date)."""
        return self._coverage_by_category.get(category, [])

    @property
    def fixed_texts(self) -> dict[str, dict]:
        """Texts with one entry and no dates, by key: {"ru": ..., "kk": ...} (read only)."""
        return self._text_fixed

    @property
    def basis_cache(self) -> dict[tuple[str, str], dict]:
        """Basis entries already built, by (act id, language) (read only; copy before changing)."""
        return self._basis_cache

    def has_fixed_text(self, key: str) -> bool:
        """A text with one entry and no dates: the same on every decision date."""
        return key in self._text_fixed

    def has_text(self, key: str) -> bool:
        return key in self._texts

    def basis_entry(self, act_id: str, lang: str) -> dict:
        """{id, act, article, source} of a legal act in `lang` (a fresh dict each call)."""
        lang = lang if lang in LANGS else "ru"
        entry = self._basis_cache.get((act_id, lang))
        if entry is None:
            a = self.acts[act_id]
            entry = {"id": a.id, "act": a.act[lang], "article": a.article[lang], "source": a.source}
            self._basis_cache[(act_id, lang)] = entry
        return dict(entry)

    def quote(self, act_id: str, lang: str) -> str | None:
        """The seed's own words for a cited act (text `quote.<act id>`), or None when the
        reference data holds none for it."""
        try:
            return self.text(f"quote.{act_id}", lang)
        except KeyError:
            return None

    def country_name(self, code: str | None, lang: str) -> str:
        if code is None:
            return self.text("explain.stateless", lang)
        c = self.countries.get(code)
        return c[lang] if c else code

    def document_kind_name(self, kind: str, lang: str) -> str:
        k = self.document_kinds.get(kind)
        return k[lang] if k else kind

    def category_name(self, category: str, lang: str) -> str:
        return self.category_by_id[category].name[lang]

    def purpose_name(self, code: str, lang: str) -> str:
        p = self.purposes.get(code)
        return p[lang] if p else code

    def attachment_rule(self, category: str, on: date) -> AttachmentRule | None:
        by_category = self.derived.get("attachment_rules")
        if by_category is None:
            by_category = {}
            for r in self.attachment_rules:
                by_category.setdefault(r.category, []).append(r)
            self.derived["attachment_rules"] = by_category
        for r in by_category.get(category, ()):
            if in_force(r.valid_from, r.valid_until, on):
                return r
        return None

    def disease_for(self, icd10: str | None, on: date) -> Disease | None:
        """The dangerous-disease entry whose code or range contains `icd10`, in force on `on`."""
        if not icd10:
            return None
        key = _icd_key(icd10.upper())
        for d in self.diseases:
            if not in_force(d.valid_from, d.valid_until, on):
                continue
            # A range's upper bound covers its subcodes: A19 covers A19.9.
            if d.icd_from <= key and (key <= d.icd_to or key.startswith(d.icd_to)):
                return d
        return None

    def code_in(self, icd10: str | None, parameter: str, on: date) -> bool:
        """Whether `icd10` falls in one of the codes or ranges of an *_icd10 parameter on `on`."""
        if not icd10:
            return False
        key = _icd_key(icd10.upper())
        for code in self.parameter(parameter, on) or ():
            lo, _, hi = code.partition("-")
            lo, hi = _icd_key(lo.strip()), _icd_key((hi or lo).strip())
            if lo <= key and (key <= hi or key.startswith(hi)):
                return True
        return False

    @property
    def _prices(self) -> list[PriceItem]:
        if self._price_items is None:
            from decimal import Decimal

            self._price_items = [PriceItem(r[0], r[1], r[2], r[3], r[4], Decimal(r[5]), opt_date(r[6]),
                                           opt_date(r[7])) for r in self._price_rows]
        return self._price_items

    def prices_on(self, on: date) -> list[PriceItem]:
        return sorted((p for p in self._prices if in_force(p.valid_from, p.valid_until, on)),
                      key=lambda p: p.code)

    def all_prices(self) -> list[PriceItem]:
        return list(self._prices)


def read_meta(path: Path) -> dict:
    """Only the release's meta table (version, issued, period): cheap, for comparing releases."""
    try:
        con = sqlite3.connect(f"file:{Path(path)}?mode=ro&immutable=1", uri=True)
        try:
            return dict(con.execute("SELECT key, value FROM meta").fetchall())
        finally:
            con.close()
    except sqlite3.Error as e:
        raise RefDataError(f"reference data {path} is damaged or not a reference file: {e}") from None


def load_reference(path: Path) -> RefData:
    """Open a compiled reference file read-only and load it; RefDataError when unusable."""
    path = Path(path)
    if not path.is_file():
        raise RefDataError(f"reference data file not found: {path}")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as e:
        raise RefDataError(f"cannot open reference data {path}: {e}") from None
    try:
        return RefData(con, path)
    except (sqlite3.Error, KeyError, ValueError, TypeError) as e:
        raise RefDataError(f"reference data {path} is damaged or not a reference file: {e}") from None
    finally:
        con.close()
