"""Compile the reviewed reference sources (db/sources/*.yaml) into the reference SQLite file.

Every value is checked on the way: dates parse, every `basis` id names a legal act, every
category, document kind and price is well formed. The version is the release date plus a hash
of the compiled content, so the same sources always give the same version.
Needs PyYAML and pycountry, which only the build imports.
"""
from __future__ import annotations

import gettext
import hashlib
import json
import os
import sqlite3
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

SCHEMA_VERSION = 1
SCHEMES = {"GOBMP", "OSMS", "VMS", "DMS", "PAID"}
SCOPES = {"full", "dangerous_diseases", "emergency", "special_list", "minimal_list", "contract", "planned"}
CHANNELS = {"egov", "clinic"}
CONDITIONS = {"citizenship", "union", "document", "stateless", "family_link", "any"}
UNTIL_LIMITS = {"insurance", "work_contract", "worker_contract"}
PAYMENTS = {None, "guarantee_or_prepayment"}


class SourceError(ValueError):
    """A reference source file is wrong; the message names the file and the entry."""


def _load_yaml(path: Path):
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, ValueError) as e:  # ValueError: an impossible date such as 2026-01-32
        raise SourceError(f"{path.name}: not valid YAML: {e}") from None
    except OSError as e:
        raise SourceError(f"{path.name}: cannot be read: {e}") from None


def _d(value, where: str) -> str | None:
    """A date in a source: YAML gives date objects; keep ISO strings."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise SourceError(f"{where}: {value!r} is not a date YYYY-MM-DD") from None


def _lang(obj, where: str) -> tuple[str, str]:
    if not isinstance(obj, dict) or not obj.get("ru") or not obj.get("kk"):
        raise SourceError(f"{where}: needs both 'ru' and 'kk' text")
    return str(obj["ru"]), str(obj["kk"])


def _sources(src: Path, pattern: str) -> list[Path]:
    return sorted(src.glob(pattern))


def compile_sources(src: Path) -> dict[str, list[tuple]]:
    """Read and check every source; return the rows of each table."""
    import pycountry

    rows: dict[str, list[tuple]] = {}
    meta = _load_yaml(src / "meta.yaml")
    for k in ("issued", "valid_from", "valid_until"):
        if k not in meta:
            raise SourceError(f"meta.yaml: '{k}' is required")

    # Acts -----------------------------------------------------------------------------
    acts = {}
    for f in _sources(src, "acts*.yaml"):
        for i, a in enumerate(_load_yaml(f).get("acts") or []):
            where = f"{f.name}: acts[{i}] ({a.get('id')})"
            if not a.get("id"):
                raise SourceError(f"{where}: 'id' is required")
            if a["id"] in acts:
                raise SourceError(f"{where}: id {a['id']!r} is defined twice")
            act_ru, act_kk = _lang(a.get("act"), where + " act")
            art_ru, art_kk = _lang(a.get("article"), where + " article")
            acts[a["id"]] = (a["id"], act_ru, act_kk, art_ru, art_kk, str(a.get("source", "")),
                             _d(a.get("valid_from"), where), _d(a.get("valid_until"), where))
    rows["acts"] = sorted(acts.values())

    def basis(ids, where):
        ids = list(ids or [])
        for b in ids:
            if b not in acts:
                raise SourceError(f"{where}: basis {b!r} is not a legal act in acts*.yaml")
        return json.dumps(ids)

    # Countries --------------------------------------------------------------------------
    cdata = _load_yaml(src / "countries.yaml")
    tr = {lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
          for lang in ("ru", "kk")}
    overrides = cdata.get("name_overrides") or {}
    countries = []
    for c in pycountry.countries:
        en = getattr(c, "common_name", None) or c.name
        names = {"ru": tr["ru"].gettext(c.name), "kk": tr["kk"].gettext(c.name), "en": en}
        names.update(overrides.get(c.alpha_2, {}))
        countries.append((c.alpha_2, names["ru"], names["kk"], names["en"]))
    codes = {c[0] for c in countries}
    rows["countries"] = sorted(countries)
    # search aliases (countries.yaml `aliases`) and the ICAO alpha-3 codes read from an MRZ
    aliases = {(c.alpha_2, "alpha3", c.alpha_3) for c in pycountry.countries}
    for code, names in (cdata.get("aliases") or {}).items():
        if code not in codes or not isinstance(names, list):
            raise SourceError(f"countries.yaml: aliases {code!r}: an ISO alpha-2 code and a list of names")
        aliases |= {(code, "alias", str(n)) for n in names}
    rows["country_aliases"] = sorted(aliases)
    rows["unions"], rows["union_members"] = [], []
    for u in cdata.get("unions") or []:
        where = f"countries.yaml: union {u.get('id')}"
        ru, kk = _lang(u.get("name"), where)
        rows["unions"].append((u["id"], ru, kk, basis(u.get("basis"), where)))
        for m in u.get("members") or []:
            if m.get("country") not in codes:
                raise SourceError(f"{where}: {m.get('country')!r} is not an ISO 3166 alpha-2 code")
            rows["union_members"].append((u["id"], m["country"], _d(m.get("valid_from"), where),
                                          _d(m.get("valid_until"), where)))

    # Document kinds, purposes -------------------------------------------------------------
    kinds = []
    for i, k in enumerate(_load_yaml(src / "documents.yaml").get("document_kinds") or []):
        ru, kk = _lang(k.get("name"), f"documents.yaml: {k.get('kind')}")
        kinds.append((k["kind"], k.get("group", ""), ru, kk, i))
    rows["document_kinds"] = kinds
    kind_ids = {k[0] for k in kinds}
    numbered = _load_yaml(src / "documents.yaml").get("number_required") or []
    if not isinstance(numbered, list) or not set(numbered) <= kind_ids:
        raise SourceError(f"documents.yaml: number_required: a list of document kinds "
                          f"(unknown: {sorted(set(numbered) - kind_ids) if isinstance(numbered, list) else numbered})")
    rows["document_number_required"] = [(k,) for k in sorted(set(numbered))]

    pdata = _load_yaml(src / "purposes.yaml")
    rows["purposes"] = []
    for i, p in enumerate(pdata.get("purposes") or []):
        ru, kk = _lang(p.get("name"), f"purposes.yaml: {p.get('code')}")
        flags = {k: bool(p.get(k, False)) for k in ("immigrant", "insurance_required", "worker")}
        rows["purposes"].append((p["code"], ru, kk, json.dumps(flags, sort_keys=True), i))
    rows["purpose_basis"] = [(k, basis(v, f"purposes.yaml: basis {k}"))
                             for k, v in sorted((pdata.get("basis") or {}).items())]

    # Categories -------------------------------------------------------------------------
    union_ids = {u[0] for u in rows["unions"]}

    def check_match(m, where):
        if not isinstance(m, dict):
            raise SourceError(f"{where}: match must be a mapping")
        for k, v in m.items():
            if k not in CONDITIONS:
                raise SourceError(f"{where}: unknown condition {k!r}")
            if k == "document" and v not in kind_ids:
                raise SourceError(f"{where}: unknown document kind {v!r}")
            if k == "union" and v not in union_ids:
                raise SourceError(f"{where}: unknown union {v!r}")
            if k == "citizenship" and v not in codes:
                raise SourceError(f"{where}: unknown country {v!r}")
            if k == "any":
                for sub in v:
                    check_match(sub, where)

    cats = []
    for c in _load_yaml(src / "categories.yaml").get("categories") or []:
        where = f"categories.yaml: {c.get('id')}"
        check_match(c.get("match", {}), where)
        ru, kk = _lang(c.get("name"), where)
        cats.append((c["id"], int(c["rank"]), json.dumps(c.get("match", {}), sort_keys=True),
                     int(bool(c.get("osms"))), int(bool(c.get("temporary"))), ru, kk,
                     basis(c.get("basis"), where)))
    cats.sort(key=lambda r: r[1])
    rows["categories"] = cats
    cat_ids = {c[0] for c in cats}

    # Attachment ----------------------------------------------------------------------------
    param_names = set((_load_yaml(src / "parameters.yaml").get("parameters") or {}))
    rows["attachment_rules"] = []
    for i, a in enumerate(_load_yaml(src / "attachment.yaml").get("attachment") or []):
        where = f"attachment.yaml: attachment[{i}] ({a.get('category')})"
        if a.get("category") not in cat_ids:
            raise SourceError(f"{where}: unknown category")
        if not set(a.get("channels") or []) <= CHANNELS:
            raise SourceError(f"{where}: channels must be among {sorted(CHANNELS)}")
        for r in a.get("requires") or []:
            if not r.get("any_of") or not set(r["any_of"]) <= kind_ids:
                raise SourceError(f"{where}: requires.any_of must list known document kinds")
        for r in a.get("requires") or []:
            for k, pname in (r.get("below_age") or {}).items():
                if k not in r["any_of"] or pname not in param_names:
                    raise SourceError(f"{where}: below_age needs a kind of any_of and a parameter "
                                      f"of parameters.yaml, got {k!r}: {pname!r}")
        until = a.get("until")
        until = [until] if isinstance(until, str) else list(until or [])
        if not set(until) <= UNTIL_LIMITS:
            raise SourceError(f"{where}: until must list some of {sorted(UNTIL_LIMITS)}")
        rows["attachment_rules"].append((
            a["category"], int(bool(a.get("may_attach"))), json.dumps(a.get("channels") or []),
            json.dumps(a.get("requires") or [], sort_keys=True), json.dumps(until),
            basis(a.get("basis"), where), _d(a.get("valid_from"), where),
            _d(a.get("valid_until"), where)))
    missing = cat_ids - {r[0] for r in rows["attachment_rules"]}
    if missing:
        raise SourceError(f"attachment.yaml: no rule for categories {sorted(missing)}")

    # Coverage ------------------------------------------------------------------------------
    cov = _load_yaml(src / "coverage.yaml")
    rows["coverage_rules"] = []
    for i, c in enumerate(cov.get("coverage") or []):
        where = f"coverage.yaml: coverage[{i}]"
        if not set(c.get("categories") or []) <= cat_ids:
            raise SourceError(f"{where}: unknown category in {c.get('categories')}")
        if c.get("scheme") not in SCHEMES or c.get("scope") not in SCOPES:
            raise SourceError(f"{where}: scheme/scope must be among {sorted(SCHEMES)} / {sorted(SCOPES)}")
        if c.get("when", "always") not in ("always", "insured", "not_insured"):
            raise SourceError(f"{where}: when must be always, insured or not_insured")
        rows["coverage_rules"].append((
            i, json.dumps(c["categories"]), c["scheme"], c["scope"], c.get("when", "always"),
            c.get("active"), c.get("note"), basis(c.get("basis"), where),
            _d(c.get("valid_from"), where), _d(c.get("valid_until"), where)))
    rows["treaty_layers"] = []
    for i, c in enumerate(cov.get("treaties") or []):
        where = f"coverage.yaml: treaties[{i}]"
        if c.get("union") not in union_ids:
            raise SourceError(f"{where}: unknown union {c.get('union')!r}")
        if c.get("scheme") not in SCHEMES or c.get("scope") not in SCOPES:
            raise SourceError(f"{where}: scheme/scope must be among {sorted(SCHEMES)} / {sorted(SCOPES)}")
        if c.get("payment") not in PAYMENTS:
            raise SourceError(f"{where}: payment must be guarantee_or_prepayment or absent")
        if not c.get("basis"):
            raise SourceError(f"{where}: a treaty layer needs its basis")
        rows["treaty_layers"].append((i, c["union"], c["scheme"], c["scope"], c.get("note"),
                                      c.get("payment"), basis(c.get("basis"), where),
                                      _d(c.get("valid_from"), where), _d(c.get("valid_until"), where)))
    rows["coverage_layers"] = []
    for i, c in enumerate(cov.get("layers") or []):
        where = f"coverage.yaml: layers[{i}]"
        if c.get("document") not in kind_ids or c.get("scheme") not in SCHEMES or c.get("scope") not in SCOPES:
            raise SourceError(f"{where}: needs a known document kind, scheme and scope")
        rows["coverage_layers"].append((i, c["document"], c["scheme"], c["scope"],
                                        basis(c.get("basis"), where),
                                        _d(c.get("valid_from"), where), _d(c.get("valid_until"), where)))

    # Diseases ------------------------------------------------------------------------------
    dis = _load_yaml(src / "diseases.yaml")
    dflt = dis.get("defaults") or {}
    rows["diseases"] = []
    for d in dis.get("diseases") or []:
        where = f"diseases.yaml: {d.get('id')}"
        ru, kk = _lang(d.get("name"), where)
        for code in d.get("icd10") or []:
            lo, _, hi = str(code).partition("-")
            lo, hi = lo.strip().upper(), (hi.strip().upper() or lo.strip().upper())
            if not (_icd_ok(lo) and _icd_ok(hi)) or lo > hi:
                raise SourceError(f"{where}: {code!r} is not an ICD-10 code or range")
            rows["diseases"].append((
                d["id"], ru, kk, lo, hi, d.get("notice"),
                basis(d.get("basis", dflt.get("basis")), where),
                _d(d.get("valid_from", dflt.get("valid_from")), where),
                _d(d.get("valid_until", dflt.get("valid_until")), where)))

    # Parameters ----------------------------------------------------------------------------
    rows["parameters"] = []
    for name, p in sorted((_load_yaml(src / "parameters.yaml").get("parameters") or {}).items()):
        for v in p.get("values") or []:
            where = f"parameters.yaml: {name} from {v.get('from')}"
            if name.endswith("_icd10"):
                for code in v.get("value") or []:
                    lo, _, hi = str(code).partition("-")
                    if not (_icd_ok(lo.strip()) and _icd_ok((hi or lo).strip())):
                        raise SourceError(f"{where}: {code!r} is not an ICD-10 code or range")
            if name == "duplicate_weights":
                from .duplicates import WeightsError, check_weights

                try:
                    check_weights(v.get("value"))
                except WeightsError as exc:
                    raise SourceError(f"{where}: {exc}") from None
            rows["parameters"].append((name, _d(v.get("from"), where), json.dumps(v.get("value"), sort_keys=True),
                                       p.get("unit"), p.get("description", ""), basis(v.get("basis"), where)))

    # Warnings, texts -------------------------------------------------------------------------
    rows["warnings"] = []
    for w in _load_yaml(src / "warnings.yaml").get("warnings") or []:
        where = f"warnings.yaml: {w.get('code')}"
        ru, kk = _lang(w.get("message"), where)
        rows["warnings"].append((w["code"], ru, kk, basis(w.get("basis"), where)))
    texts = {}
    for f in [src / "messages.yaml"] + _sources(src, "texts*.yaml"):
        if not f.exists():
            continue
        for i, t in enumerate(_load_yaml(f).get("texts") or []):
            where = f"{f.name}: texts[{i}] ({t.get('key')})"
            ru, kk = _lang(t, where)
            key = (t.get("key"), _d(t.get("valid_from"), where))
            if not key[0] or key in texts:
                raise SourceError(f"{where}: key missing or defined twice")
            texts[key] = (key[0], ru, kk, basis(t.get("basis"), where), key[1],
                          _d(t.get("valid_until"), where))
    rows["texts"] = sorted(texts.values(), key=lambda r: (r[0], r[4] or ""))
    text_keys = {k for k, _ in texts}
    for r in rows["treaty_layers"]:
        if f"explain.treaty.{r[1]}" not in text_keys:
            raise SourceError(f"coverage.yaml: treaty layer of {r[1]!r} has no text explain.treaty.{r[1]}")
    notes = [r[6] for r in rows["coverage_rules"]] + [r[4] for r in rows["treaty_layers"]]
    for note in notes:
        if note and f"note.{note}" not in text_keys:
            raise SourceError(f"coverage.yaml: note {note!r} has no text note.{note} in messages.yaml")

    # Prices -----------------------------------------------------------------------------------
    rows["prices"] = []
    for i, p in enumerate(_load_yaml(src / "prices.yaml").get("prices") or []):
        where = f"prices.yaml: prices[{i}] ({p.get('code')})"
        ru, kk = _lang(p.get("name"), where)
        uru, ukk = _lang(p.get("unit"), where + " unit")
        try:
            price = Decimal(str(p.get("price")))
        except InvalidOperation:
            raise SourceError(f"{where}: price {p.get('price')!r} is not a number") from None
        if price < 0 or price != price.quantize(Decimal("0.01")):
            raise SourceError(f"{where}: price must be >= 0 with at most 2 decimals")
        rows["prices"].append((p["code"], ru, kk, uru, ukk, str(price),
                               _d(p.get("valid_from"), where), _d(p.get("valid_until"), where)))

    rows["meta"] = [("schema", str(SCHEMA_VERSION)), ("issued", _d(meta["issued"], "meta.yaml")),
                    ("valid_from", _d(meta["valid_from"], "meta.yaml")),
                    ("valid_until", _d(meta["valid_until"], "meta.yaml")),
                    ("publisher", str(meta.get("publisher", "")))]
    digest = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    rows["meta"].append(("content_sha256", digest))
    rows["meta"].append(("version", f"{rows['meta'][1][1]}-{digest[:10]}"))
    return rows


def _icd_ok(code: str) -> bool:
    import re

    return bool(re.fullmatch(r"[A-Z]\d\d(\.\d{1,2})?", code))


TABLES = {
    "meta": "key TEXT PRIMARY KEY, value TEXT",
    "acts": "id TEXT PRIMARY KEY, act_ru, act_kk, article_ru, article_kk, source, valid_from, valid_until",
    "countries": "code TEXT PRIMARY KEY, name_ru, name_kk, name_en",
    "country_aliases": "code, kind, alias",
    "unions": "id TEXT PRIMARY KEY, name_ru, name_kk, basis",
    "union_members": "union_id, country, valid_from, valid_until",
    "document_kinds": "kind TEXT PRIMARY KEY, grp, name_ru, name_kk, ord",
    "document_number_required": "kind TEXT PRIMARY KEY",
    "purposes": "code TEXT PRIMARY KEY, name_ru, name_kk, flags, ord",
    "purpose_basis": "flag TEXT PRIMARY KEY, basis",
    "categories": "id TEXT PRIMARY KEY, rank, match, osms, temporary, name_ru, name_kk, basis",
    "attachment_rules": "category, may_attach, channels, requires, until_rule, basis, valid_from, valid_until",
    "coverage_rules": "ord, categories, scheme, scope, when_, active, note, basis, valid_from, valid_until",
    "coverage_layers": "ord, document, scheme, scope, basis, valid_from, valid_until",
    "treaty_layers": "ord, union_id, scheme, scope, note, payment, basis, valid_from, valid_until",
    "diseases": "id, name_ru, name_kk, icd_from, icd_to, notice, basis, valid_from, valid_until",
    "parameters": "name, valid_from, value, unit, description, basis",
    "warnings": "code TEXT PRIMARY KEY, message_ru, message_kk, basis",
    "texts": "key, ru, kk, basis, valid_from, valid_until",
    "prices": "code, name_ru, name_kk, unit_ru, unit_kk, price, valid_from, valid_until",
}


def build_reference(src: Path, out: Path) -> str:
    """Compile `src` into the SQLite file `out` (written to a temporary file, then renamed).

    Returns the version."""
    rows = compile_sources(src)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    con = sqlite3.connect(tmp)
    try:
        for table, cols in TABLES.items():
            con.execute(f"CREATE TABLE {table} ({cols})")
            data = rows[table]
            if data:
                n = len(data[0])
                con.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * n)})", data)
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, out)
    return dict(rows["meta"])["version"]
