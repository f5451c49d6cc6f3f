"""One person, one record: finding likely duplicate patients, merging two records, undoing a
merge.

Finding: candidate pairs come from SQL blocking keys (ИИН, document number, birth date with the
folded surname, birth date with the folded given name), so the registry is never read whole;
each pair is scored by the core (desktop/core/duplicates.py) with the weights of the reference
data. Merging: one transaction moves the other record's decisions, printed documents (their
numbers and bytes untouched), document rows, export outbox rows and open flags to the kept
record; the other record stays, marked merged into the kept one, and its ИИН stays findable
(patient_alias). A snapshot of both records taken inside the same transaction lets `unmerge`
restore them exactly, unless something written after the merge depends on it.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from desktop.core import duplicates as core_duplicates

from ..errors import Conflict, NotFound
from ..models import (DuplicateFlag, ExportCorrection, Patient, PatientAlias, PatientMerge,
                      PrintedDocument)
from ..text import document_key, iin_query, latin_key, name_key
from ..unit import UnitOfWork, as_date, dumps
from .export import _crash_point

# person fields a merge preview shows first (others of the case follow in name order)
PERSON_FIELDS = ("iin", "surname", "given_name", "patronymic", "latin_name", "birth_date", "sex",
                 "citizenship")
IDENTITY_FIELDS = ("iin", "surname", "given_name", "patronymic", "birth_date")
CHUNK = 5000   # pairs scored per round trip (their patients and documents read in two queries)


class UnmergeRefused(Conflict):
    """An undo that would lose what was written after the merge; `reasons` says what."""

    def __init__(self, merge_id: int, reasons: list[str], codes: list[tuple[str, dict]] | None = None):
        self.merge_id, self.reasons = merge_id, reasons
        self.codes = codes or []   # (reason code, fields): the desk says them in ru or kk
        super().__init__(f"Объединение {merge_id} нельзя отменить — merge {merge_id} cannot be "
                         f"undone: " + "; ".join(reasons))


class AlreadyMerged(Conflict):
    """One of the two records was merged meanwhile (by another administrator)."""


def _q(name: str) -> str:
    return f'"{name}"'


def _raw_rows(session: Session, table: str, where: str, params: dict) -> list[dict]:
    """Rows as stored (ISO text, not Python dates): what a snapshot keeps and gives back."""
    return [dict(r._mapping) for r in
            session.execute(sa.text(f"SELECT * FROM {table} WHERE {where} ORDER BY id"), params)]


def _restore_row(session: Session, table: str, row: dict, *, insert: bool) -> None:
    cols = list(row)
    if insert:
        session.execute(sa.text(f"INSERT INTO {table} ({', '.join(map(_q, cols))}) VALUES "
                                f"({', '.join(':' + c for c in cols)})"), row)
    else:
        sets = ", ".join(f"{_q(c)} = :{c}" for c in cols if c != "id")
        session.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"), row)


_LIVE = "a.merged_into IS NULL AND b.merged_into IS NULL"
# The candidate pairs (x < y), as a CTE `pairs`: the same birth date with the same surname key
# (folded: ё/е, Kazakh letters, Latin or Cyrillic), the same birth date and given name with a
# surname of the same first letter and length ±1 (a typo), the same document number, one
# record's ИИН written as the other's document. Each block first finds the keys held more than
# once by one ordered scan of its index (GROUP BY … HAVING), then joins back only those: no
# index probe per patient.
# Same surname and birth date but another given name is a relative, not a duplicate: such a
# pair is left out unless the given names begin with the same letter, one is missing, or one is
# written in Latin (then it may be the other's transliteration; Latin letters sort before «а»).
_GIVEN_MAY_MATCH = ("(a.given_key = '' OR b.given_key = '' "
                    "OR substr(a.given_key, 1, 1) = substr(b.given_key, 1, 1) "
                    "OR substr(a.given_key, 1, 1) < 'а' OR substr(b.given_key, 1, 1) < 'а')")
_BLOCK_KEYS = f"""
    WITH same_name AS (
        SELECT birth_date, latin_key FROM patient
         WHERE birth_date IS NOT NULL AND latin_key <> ''
         GROUP BY birth_date, latin_key HAVING COUNT(*) > 1),
    same_given AS (
        SELECT birth_date, given_key, substr(latin_key, 1, 1) AS initial FROM patient
         WHERE birth_date IS NOT NULL AND given_key <> ''
         GROUP BY birth_date, given_key, substr(latin_key, 1, 1) HAVING COUNT(*) > 1),
    same_document AS (
        SELECT number_key FROM patient_document
         WHERE number_key IS NOT NULL AND number_key <> ''
         GROUP BY number_key HAVING COUNT(*) > 1)
"""
_BLOCK_PAIRS = f"""
        SELECT {{cols}} FROM same_name g
          JOIN patient a ON a.birth_date = g.birth_date AND a.latin_key = g.latin_key
          JOIN patient b ON b.birth_date = g.birth_date AND b.latin_key = g.latin_key AND b.id > a.id
         WHERE {_LIVE} AND {_GIVEN_MAY_MATCH}
        {{union}}
        SELECT {{cols}} FROM same_given g
          JOIN patient a ON a.birth_date = g.birth_date AND a.given_key = g.given_key
                        AND substr(a.latin_key, 1, 1) = g.initial
          JOIN patient b ON b.birth_date = g.birth_date AND b.given_key = g.given_key
                        AND substr(b.latin_key, 1, 1) = g.initial AND b.id > a.id
         WHERE {_LIVE} AND b.latin_key <> a.latin_key
           AND length(b.latin_key) - length(a.latin_key) BETWEEN -1 AND 1
        {{union}}
        SELECT {{cols}} FROM same_document g
          JOIN patient_document da ON da.number_key = g.number_key
          JOIN patient_document db ON db.number_key = g.number_key AND db.patient_id > da.patient_id
          JOIN patient a ON a.id = da.patient_id JOIN patient b ON b.id = db.patient_id
         WHERE {_LIVE}
        {{union}}
        SELECT {{cols}}
          FROM patient_document d JOIN patient a ON a.iin = d.number_key AND d.patient_id <> a.id
          JOIN patient b ON b.id = d.patient_id
         WHERE length(d.number_key) = 12 AND a.iin IS NOT NULL AND {_LIVE}
"""
_PAIR_IDS = ("CASE WHEN a.id < b.id THEN a.id ELSE b.id END AS x, "
             "CASE WHEN a.id < b.id THEN b.id ELSE a.id END AS y")
_BLOCKS = _BLOCK_KEYS + ", pairs (x, y) AS (" + _BLOCK_PAIRS.format(cols=_PAIR_IDS, union="UNION") + ")"


@functools.lru_cache(maxsize=65536)
def _latin(text: str | None) -> str:
    """latin_key, remembered: given names and patronymics repeat across a registry."""
    return latin_key(text)


def _doc_identity(doc: dict) -> tuple:
    return (str(doc.get("kind")), document_key(doc.get("number")), doc.get("country") or "")


class Merges(UnitOfWork):
    """Duplicate records: the list, merge, undo, the registrars' flags. Comes before Patients
    in the Registry so that `search` leads a merged record's identifiers to the kept one."""

    # --- finding --------------------------------------------------------------------------
    def candidate_pairs(self) -> list[tuple[int, int]]:
        """(lower id, higher id) of every pair sharing a blocking key (see _BLOCKS), merged
        records left out. Only the ids are held in memory, never the patients."""
        with self._read() as session:
            return [(x, y) for x, y in session.execute(sa.text(_BLOCKS + " SELECT x, y FROM pairs"))]

    def scored_candidates(self, weights: dict):
        """Every candidate pair scored as the database returns it (one statement: the pair,
        both records' keys, and whether they share a document or an ИИN as a document), so
        that neither the patients nor their documents are read into memory."""
        cols = ("id", "iin", "birth_date", "surname_key", "latin_key", "given_key", "given_name",
                "patronymic")
        select = ", ".join([f"a.{c} AS a_{c}" for c in cols] + [f"b.{c} AS b_{c}" for c in cols] + [
            """EXISTS (SELECT 1 FROM patient_document da JOIN patient_document db
                         ON db.number_key = da.number_key
                      WHERE da.patient_id = a.id AND db.patient_id = b.id
                        AND da.number_key IS NOT NULL AND da.number_key <> ''
                        AND (da.country IS NULL OR db.country IS NULL OR da.country = db.country)
               ) AS shared_document""",
            """(EXISTS (SELECT 1 FROM patient_document d WHERE d.patient_id = b.id AND d.number_key = a.iin)
                OR EXISTS (SELECT 1 FROM patient_document d
                           WHERE d.patient_id = a.id AND d.number_key = b.iin)) AS iin_document"""])
        # each block returns both records' keys itself (no join back to the whole table); a pair
        # two blocks find comes twice and is scored once
        sql = sa.text(_BLOCK_KEYS + _BLOCK_PAIRS.format(cols=select, union="UNION ALL"))

        def record(r, side: str, pid: int) -> dict:
            g = lambda c: getattr(r, f"{side}_{c}")  # noqa: E731
            return {"id": pid, "iin": g("iin"), "birth_date": g("birth_date"),
                    "surname_key": g("surname_key"), "surname_latin": g("latin_key"),
                    "given_key": g("given_key"), "given_latin": _latin(g("given_name")),
                    "patronymic_latin": _latin(g("patronymic")), "documents": ()}

        seen: set[tuple[int, int]] = set()
        with self._guard(), self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # a server-side cursor is planned for its first rows; the whole list is wanted
                connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
            result = connection.execution_options(stream_results=True, yield_per=CHUNK).execute(sql)
            for r in result:
                key = (r.a_id, r.b_id) if r.a_id < r.b_id else (r.b_id, r.a_id)
                if key in seen:
                    continue
                seen.add(key)
                yield core_duplicates.score(
                    record(r, "a", r.a_id), record(r, "b", r.b_id), weights,
                    {"document": bool(r.shared_document), "iin_document": bool(r.iin_document)})

    def duplicates_of(self, patient_id: int, weights: dict) -> list[dict]:
        """The likely duplicates of one stored patient (the card a registrar has open), best
        first, by the same blocking keys and score as the administrator's list."""
        weights = core_duplicates.check_weights(weights)
        sql = sa.text("""
            SELECT b.id FROM patient a JOIN patient b
              ON b.birth_date = a.birth_date AND b.id <> a.id
             AND (b.latin_key = a.latin_key OR (b.given_key = a.given_key
                  AND substr(b.latin_key, 1, 1) = substr(a.latin_key, 1, 1)))
             WHERE a.id = :p AND a.birth_date IS NOT NULL AND b.merged_into IS NULL
            UNION
            SELECT db.patient_id FROM patient_document da JOIN patient_document db
              ON db.number_key = da.number_key AND db.patient_id <> da.patient_id
              JOIN patient b ON b.id = db.patient_id
             WHERE da.patient_id = :p AND da.number_key <> '' AND b.merged_into IS NULL
            UNION
            SELECT d.patient_id FROM patient a JOIN patient_document d ON d.number_key = a.iin
             WHERE a.id = :p AND d.patient_id <> a.id
            UNION
            SELECT a.id FROM patient a JOIN patient_document d ON d.number_key = a.iin
             WHERE d.patient_id = :p AND a.id <> :p AND a.merged_into IS NULL""")
        with self._read() as session:
            others = [r[0] for r in session.execute(sql, {"p": patient_id})]
        pairs = [(min(patient_id, o), max(patient_id, o)) for o in others]
        scored = [s.as_dict() for s in self.score_pairs(pairs, weights)
                  if s.score >= weights["min_score"]]
        for s in scored:
            s["patient"] = s["other"] if s["keep"] == patient_id else s["keep"]
        return sorted(scored, key=lambda s: (-s["score"], s["patient"]))

    def _records(self, session: Session, ids: list[int]) -> dict[int, dict]:
        """The folded keys the core scores, for the patients `ids` (one chunk)."""
        rows = session.execute(sa.text(
            "SELECT id, iin, birth_date, surname, given_name, patronymic, surname_key, given_key, "
            "latin_key FROM patient WHERE id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": ids})
        records = {r.id: {"id": r.id, "iin": r.iin, "birth_date": r.birth_date,
                          "surname_key": r.surname_key, "surname_latin": r.latin_key,
                          "given_key": r.given_key, "given_latin": _latin(r.given_name),
                          "patronymic_latin": _latin(r.patronymic), "documents": []}
                   for r in rows}
        docs = session.execute(sa.text(
            "SELECT patient_id, number_key, country FROM patient_document "
            "WHERE patient_id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": ids})
        for pid, number, country in docs:
            if pid in records:
                records[pid]["documents"].append((number, country))
        return records

    def score_pairs(self, pairs, weights: dict) -> list[core_duplicates.PairScore]:
        """Score `pairs` of ids in chunks (a chunk's patients in memory at a time)."""
        scores = []
        pairs = list(pairs)
        with self._read() as session:
            for start in range(0, len(pairs), CHUNK):
                chunk = pairs[start:start + CHUNK]
                records = self._records(session, sorted({i for p in chunk for i in p}))
                for x, y in chunk:
                    if x in records and y in records:
                        scores.append(core_duplicates.score(records[x], records[y], weights))
        return scores

    def duplicate_pairs(self, weights: dict, *, min_score: int | None = None) -> list[dict]:
        """Likely duplicates at or above `min_score` (default: the weights' `min_score`), pairs
        a registrar flagged first, then best first: [{"keep", "other", "score", "matched",
        "flagged"}]."""
        weights = core_duplicates.check_weights(weights)
        threshold = weights["min_score"] if min_score is None else min_score
        flagged = self._flagged_pairs()
        result, seen = [], set()
        for s in self.scored_candidates(weights):   # streamed: only the kept pairs stay
            is_flagged = (s.keep, s.other) in flagged
            if s.score >= threshold or is_flagged:
                result.append({**s.as_dict(), "flagged": is_flagged})
                seen.add((s.keep, s.other))
        for s in self.score_pairs(sorted(flagged - seen), weights):   # reported, not blocked
            if (s.keep, s.other) not in seen:
                result.append({**s.as_dict(), "flagged": True})
        result.sort(key=lambda p: (not p["flagged"], -p["score"], p["keep"], p["other"]))
        return result

    # --- registrars' flags ----------------------------------------------------------------
    def flag_duplicate(self, patient_id: int, other_id: int | None, *, user: str,
                       now: datetime) -> int:
        """A registrar's «possible duplicate» report: listed first for the administrator."""
        with self._write() as session:
            for pid in (patient_id, other_id):
                if pid is not None and session.get(Patient, pid) is None:
                    raise NotFound(f"patient {pid}")
            flag = DuplicateFlag(patient_id=patient_id, other_id=other_id, flagged_at=now,
                                 flagged_by=user)
            session.add(flag)
            session.flush()
            self._audit(session, user=user, action="flag_duplicate", obj=f"patient:{patient_id}",
                        now=now, details={"other": other_id})
            return flag.id

    def open_flags(self) -> list[DuplicateFlag]:
        with self._read() as session:
            return list(session.exec(select(DuplicateFlag).where(DuplicateFlag.resolved_at.is_(None))
                                     .order_by(DuplicateFlag.id)))

    def _flagged_pairs(self) -> set[tuple[int, int]]:
        return {(min(f.patient_id, f.other_id), max(f.patient_id, f.other_id))
                for f in self.open_flags() if f.other_id is not None and f.other_id != f.patient_id}

    # --- search leads to the kept record --------------------------------------------------
    def search(self, query: str, *, limit: int = 50):
        """As Patients.search, a merged record replaced by the record it was merged into, and
        an ИИН a merged record held finding the kept one."""
        found = super().search(query, limit=limit)
        ids = [self.kept_record_of(p.id) if p.merged_into else p.id for p in found]
        iin = iin_query(query or "")
        if iin is not None:
            with self._read() as session:
                ids += list(session.exec(select(PatientAlias.patient_id).where(
                    PatientAlias.kind == "iin", PatientAlias.value == iin)))
            ids = [self.kept_record_of(i) for i in ids]
        ids = list(dict.fromkeys(ids))[:limit]
        with self._read() as session:
            return self._patients_in_order(session, ids)

    def likely_duplicates(self, case: dict, *, exclude_id: int | None = None):
        """As Patients.likely_duplicates, records already merged into another left out."""
        return [p for p in super().likely_duplicates(case, exclude_id=exclude_id)
                if p.merged_into is None]

    def kept_record_of(self, patient_id: int) -> int:
        """The record a patient ends at after following merges (itself when not merged)."""
        seen = set()
        with self._read() as session:
            while patient_id not in seen:
                seen.add(patient_id)
                row = session.get(Patient, patient_id)
                if row is None or row.merged_into is None:
                    break
                patient_id = row.merged_into
        return patient_id

    # --- nothing new points at a merged record ---------------------------------------------
    def _require_live(self, session: Session, patient_id: int | None) -> None:
        """Lock the patient's row to the end of this transaction (a merge running on another
        desk finishes first) and refuse a record merged into another, naming the kept one."""
        if patient_id is None:
            return
        row = session.get(Patient, patient_id, with_for_update=True, populate_existing=True)
        if row is not None and row.merged_into is not None:
            raise AlreadyMerged(
                f"Запись {patient_id} объединена с записью {row.merged_into}: откройте её — "
                f"record {patient_id} was merged into {row.merged_into}; open that one")

    def save_patient(self, case: dict, **kwargs) -> int:
        with self.unit() as session:
            self._require_live(session, kwargs.get("patient_id"))
            return super().save_patient(case, **kwargs)

    def record_decision(self, patient_id: int, decision: dict, **kwargs) -> int:
        with self.unit() as session:
            self._require_live(session, patient_id)
            return super().record_decision(patient_id, decision, **kwargs)

    def store_printed(self, number: str, kind: str, pdf: bytes, **kwargs) -> int:
        with self.unit() as session:
            self._require_live(session, kwargs.get("patient_id"))
            return super().store_printed(number, kind, pdf, **kwargs)

    def link_printed(self, numbers, patient_id: int, **kwargs) -> int:
        with self.unit() as session:
            self._require_live(session, patient_id)
            return super().link_printed(numbers, patient_id, **kwargs)

    # --- merging --------------------------------------------------------------------------
    def merge_preview(self, keep: int, other: int, *, take: dict | None = None) -> dict:
        """What a merge would do, field by field and in counts; changes nothing."""
        with self._read() as session:
            kept, merged = self._pair(session, keep, other)
            return self._plan(session, kept, merged, take or {})

    def _pair(self, session: Session, keep: int, other: int, *, lock: bool = False):
        if keep == other:
            raise ValueError(f"запись {keep} нельзя объединить с собой — cannot merge record {keep} "
                             "with itself")
        rows = {}
        for pid in sorted((keep, other)):  # lock in id order: two merges never deadlock
            row = session.get(Patient, pid, with_for_update=lock, populate_existing=lock)
            if row is None:
                raise NotFound(f"пациент {pid} не найден — patient {pid}",
                               kk=f"{pid} пациент табылмады")
            rows[pid] = row
        for pid in (keep, other):
            if rows[pid].merged_into is not None:
                by = session.exec(select(PatientMerge).where(
                    PatientMerge.merged_id == pid, PatientMerge.status == "merged")
                    .order_by(PatientMerge.id.desc())).first()
                who = f" ({by.merged_by}, {by.merged_at:%d.%m.%Y %H:%M})" if by else ""
                raise AlreadyMerged(
                    f"Запись {pid} уже объединена с записью {rows[pid].merged_into}{who} — "
                    f"record {pid} was already merged into {rows[pid].merged_into}"
                    + (f" by {by.merged_by} at {by.merged_at.isoformat()}" if by else ""))
        return rows[keep], rows[other]

    @staticmethod
    def _plan(session: Session, kept: Patient, merged: Patient, take: dict) -> dict:
        a, b = kept.case.get("person") or {}, merged.case.get("person") or {}
        names = list(PERSON_FIELDS) + sorted((set(a) | set(b)) - set(PERSON_FIELDS))
        for name, side in take.items():
            if name not in names:
                raise ValueError(f"--take {name}: нет такого поля — no such field "
                                 f"(fields: {', '.join(names)})")
            if side not in ("keep", "other"):
                raise ValueError(f"--take {name}={side}: keep или other — keep or other")
        fields, person = [], dict(a)
        for name in names:
            ours, theirs = a.get(name), b.get(name)
            side = take.get(name) or ("keep" if ours not in (None, "") or theirs in (None, "")
                                      else "other")
            value = theirs if side == "other" else ours
            person[name] = value
            fields.append({"field": name, "kept": ours, "other": theirs, "result": value,
                           "from": side, "differs": ours != theirs})
        kept_docs = kept.case.get("documents") or []
        seen = {_doc_identity(d) for d in kept_docs if isinstance(d, dict)}
        added = [d for d in (merged.case.get("documents") or [])
                 if isinstance(d, dict) and _doc_identity(d) not in seen]
        count = lambda sql: session.execute(sa.text(sql), {"p": merged.id}).scalar_one()  # noqa: E731
        moved = {
            "decisions": count("SELECT COUNT(*) FROM decision WHERE patient_id = :p"),
            "printed_documents": count("SELECT COUNT(*) FROM printed_document WHERE patient_id = :p"),
            "document_rows": count("SELECT COUNT(*) FROM patient_document WHERE patient_id = :p"),
            "export_outbox": count("SELECT COUNT(*) FROM export_outbox WHERE patient_id = :p"),
            "flags": count("SELECT COUNT(*) FROM duplicate_flag WHERE resolved_at IS NULL AND "
                           "(patient_id = :p OR other_id = :p)"),
        }
        return {"kept": kept.id, "merged": merged.id, "fields": fields, "person": person,
                "documents": list(kept_docs) + added, "documents_added": len(added),
                "moved": moved}

    def merge_patients(self, keep: int, other: int, *, user: str, now: datetime,
                       take: dict | None = None, score: int | None = None) -> dict:
        """Administrator: merge record `other` into `keep` in one transaction (see the module
        doc). Returns {"merge_id", "kept", "merged", "moved": {...counts}}. AlreadyMerged when
        either record was merged meanwhile (the second of two administrators is told)."""
        with self._write() as session:
            self._require_role(session, user)
            kept, merged = self._pair(session, keep, other, lock=True)
            plan = self._plan(session, kept, merged, take or {})
            snapshot = {
                "patients": _raw_rows(session, "patient", "id IN (:a, :b)", {"a": keep, "b": other}),
                "documents": _raw_rows(session, "patient_document", "patient_id IN (:a, :b)",
                                       {"a": keep, "b": other}),
                "flags": _raw_rows(session, "duplicate_flag", "resolved_at IS NULL AND "
                                   "(patient_id IN (:a, :b) OR other_id IN (:a, :b))",
                                   {"a": keep, "b": other}),
                "outbox_kept": [r[0] for r in session.execute(sa.text(
                    "SELECT id FROM export_outbox WHERE patient_id = :a"), {"a": keep})],
            }
            ids = lambda sql: [r[0] for r in session.execute(sa.text(sql), {"p": other})]  # noqa: E731
            moved_ids = {
                "decisions": ids("SELECT id FROM decision WHERE patient_id = :p ORDER BY id"),
                "printed_documents": ids("SELECT id FROM printed_document WHERE patient_id = :p ORDER BY id"),
                "export_outbox": ids("SELECT id FROM export_outbox WHERE patient_id = :p ORDER BY id"),
            }
            exported_other = bool(moved_ids["export_outbox"])
            exported_kept = bool(snapshot["outbox_kept"])
            mark = lambda t: session.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar_one()  # noqa: E731
            person = plan["person"]
            old_kept_iin, other_iin = kept.iin, merged.iin
            new_iin = (person.get("iin") or "").strip() or None
            # the merged record gives up its ИИН (one ИИН, one live record); it stays findable
            merged.iin = None
            merged.merged_into = keep
            merged.version = (merged.version or 1) + 1
            merged.updated_at, merged.updated_by = now, user
            session.add(merged)
            session.flush()
            case = kept.case
            case["person"] = person
            case["documents"] = plan["documents"]
            kept.iin = new_iin
            kept.surname, kept.given_name = person.get("surname"), person.get("given_name")
            kept.patronymic, kept.latin_name = person.get("patronymic"), person.get("latin_name")
            kept.birth_date, kept.sex = as_date(person.get("birth_date")), person.get("sex")
            kept.citizenship = person.get("citizenship")
            kept.surname_key, kept.given_key = name_key(kept.surname), name_key(kept.given_name)
            kept.latin_key = latin_key(kept.surname)
            kept.case_json = dumps(case)
            kept.version = (kept.version or 1) + 1
            kept.updated_at, kept.updated_by = now, user
            session.add(kept)
            session.flush()
            # document rows: the other's move over (after the kept's), same documents dropped
            base = session.execute(sa.text("SELECT COALESCE(MAX(position), -1) + 1 FROM "
                                           "patient_document WHERE patient_id = :a"), {"a": keep}).scalar_one()
            kept_identities = {(r["kind"], r["number_key"] or "", r["country"] or "")
                               for r in snapshot["documents"] if r["patient_id"] == keep}
            moved_docs = dropped_docs = 0
            for r in [r for r in snapshot["documents"] if r["patient_id"] == other]:
                if (r["kind"], r["number_key"] or "", r["country"] or "") in kept_identities:
                    self._drop_document(session, r["id"])
                    dropped_docs += 1
                else:
                    session.execute(sa.text("UPDATE patient_document SET patient_id = :a, "
                                            "position = :pos WHERE id = :i"),
                                    {"a": keep, "pos": base + moved_docs, "i": r["id"]})
                    moved_docs += 1
            for table in ("decision", "printed_document", "export_outbox"):
                session.execute(sa.text(f"UPDATE {table} SET patient_id = :a WHERE patient_id = :p"),
                                {"a": keep, "p": other})
            session.execute(sa.text("UPDATE duplicate_flag SET resolved_at = :now WHERE resolved_at "
                                    "IS NULL AND (patient_id IN (:a, :p) OR other_id IN (:a, :p))"),
                            {"now": now.isoformat(), "a": keep, "p": other})
            identity_changed = any(f["field"] in IDENTITY_FIELDS and f["from"] == "other"
                                   and f["differs"] for f in plan["fields"])
            moved = {"decisions": len(moved_ids["decisions"]),
                     "printed_documents": len(moved_ids["printed_documents"]),
                     "document_rows": moved_docs, "document_rows_same": dropped_docs,
                     "export_outbox": len(moved_ids["export_outbox"]),
                     "flags": len(snapshot["flags"])}
            row = PatientMerge(kept_id=keep, merged_id=other, merged_at=now, merged_by=user,
                               score=score, snapshot=dumps(snapshot),
                               moved=dumps({**moved_ids, "counts": moved}),
                               decision_mark=mark("decision"), printed_mark=mark("printed_document"),
                               exported_before=exported_kept or exported_other,
                               kept_version=kept.version, status="merged")
            session.add(row)
            session.flush()
            for iin in {other_iin, old_kept_iin} - {None, new_iin}:
                session.add(PatientAlias(patient_id=keep, merge_id=row.id, kind="iin", value=iin))
            if exported_other or (exported_kept and identity_changed):
                session.add(ExportCorrection(merge_id=row.id, kept_id=keep, merged_id=other,
                                             created_at=now))
            self._audit(session, user=user, action="merge", obj=f"patient:{keep}", now=now,
                        details={"kept": keep, "merged": other, "merge": row.id, "moved": moved,
                                 "took": sorted(k for k, v in (take or {}).items() if v == "other")})
            session.flush()
            _crash_point("merge-moved")
            return {"merge_id": row.id, "kept": keep, "merged": other, "moved": moved}

    # --- undo -----------------------------------------------------------------------------
    def unmerge_blockers(self, session: Session, merge: PatientMerge) -> list[tuple[str, dict, str]]:
        """What blocks undoing `merge`: (code, fields, bilingual text) each; [] when nothing.
        The desk says the codes in its language (dups.block.<code>)."""
        reasons: list[tuple[str, dict, str]] = []

        def add(code: str, text: str, **fields) -> None:
            reasons.append((code, fields, text))

        if merge.status != "merged":
            return [("undone", {"who": merge.undone_by, "at": f"{merge.undone_at:%d.%m.%Y %H:%M}"},
                     f"уже отменено {merge.undone_by} {merge.undone_at:%d.%m.%Y %H:%M} — "
                     f"already undone by {merge.undone_by}")]
        kept = session.get(Patient, merge.kept_id)
        if kept.version != merge.kept_version:
            add("kept_changed", f"карточку {kept.id} изменил(а) {kept.updated_by} после объединения — "
                f"record {kept.id} was changed by {kept.updated_by} after the merge",
                id=kept.id, who=kept.updated_by)
        snapshot = json.loads(merge.snapshot)
        other_before = next(p for p in snapshot["patients"] if p["id"] == merge.merged_id)
        other = session.get(Patient, merge.merged_id)
        if other.version != (other_before["version"] or 1) + 1:
            add("merged_changed", f"объединённую запись {other.id} изменили после объединения — "
                f"merged record {other.id} was changed after the merge", id=other.id)
        later = session.execute(sa.text(
            "SELECT id FROM decision WHERE patient_id = :k AND id > :m ORDER BY id"),
            {"k": merge.kept_id, "m": merge.decision_mark}).scalars().all()
        if later:
            add("decisions", f"после объединения принято решений: {len(later)} (№ {later[0]}) — "
                f"{len(later)} decision(s) taken after the merge", n=len(later), first=later[0])
        printed = session.exec(select(PrintedDocument.number).where(
            PrintedDocument.patient_id == merge.kept_id, PrintedDocument.id > merge.printed_mark)).all()
        if printed:
            add("printed", f"после объединения напечатаны документы {', '.join(printed)} — "
                f"documents printed after the merge: {', '.join(printed)}", numbers=", ".join(printed))
        moved = json.loads(merge.moved)
        known = set(moved["export_outbox"]) | set(snapshot["outbox_kept"])
        exported = [r[0] for r in session.execute(sa.text(
            "SELECT id FROM export_outbox WHERE patient_id = :k"), {"k": merge.kept_id})
            if r[0] not in known]
        if exported:
            add("exported", "после объединения запись выгружена в национальный регистр — "
                "exported to the national register after the merge")
        sent = session.exec(select(ExportCorrection.batch_id).where(
            ExportCorrection.merge_id == merge.id, ExportCorrection.batch_id.is_not(None))).first()
        if sent is not None:
            add("correction_sent", f"исправление уже отправлено в регистр (выгрузка {sent}) — the "
                f"correction was already sent to the register (export {sent})", batch=sent)
        newer = session.exec(select(PatientMerge.id).where(
            PatientMerge.id > merge.id, PatientMerge.status == "merged",
            sa.or_(PatientMerge.kept_id.in_((merge.kept_id, merge.merged_id)),
                   PatientMerge.merged_id.in_((merge.kept_id, merge.merged_id))))).first()
        if newer is not None:
            add("later_merge", f"позже эта запись участвовала в объединении {newer} — отмените его "
                f"сначала — undo the later merge {newer} first", merge=newer)
        return reasons

    def unmerge(self, merge_id: int, *, user: str, now: datetime) -> dict:
        """Administrator: restore both records exactly as they were before merge `merge_id`.
        UnmergeRefused (with every reason) when something written after the merge depends on it."""
        with self._write() as session:
            self._require_role(session, user)
            merge = session.get(PatientMerge, merge_id, with_for_update=True)
            if merge is None:
                raise NotFound(f"объединение {merge_id} не найдено — merge {merge_id}",
                               kk=f"{merge_id} біріктіру табылмады")
            keep, other = merge.kept_id, merge.merged_id
            for pid in sorted((keep, other)):
                session.get(Patient, pid, with_for_update=True, populate_existing=True)
            blockers = self.unmerge_blockers(session, merge)
            if blockers:
                raise UnmergeRefused(merge_id, [b[2] for b in blockers], [b[:2] for b in blockers])
            snapshot, moved = json.loads(merge.snapshot), json.loads(merge.moved)
            session.expunge_all()
            session.execute(sa.text("UPDATE patient SET iin = NULL WHERE id IN (:a, :b)"),
                            {"a": keep, "b": other})
            for row in snapshot["patients"]:
                _restore_row(session, "patient", row, insert=False)
            for pid in (keep, other):
                self._clear_documents(session, pid)
            for row in snapshot["documents"]:
                _restore_row(session, "patient_document", row, insert=True)
            for table, key in (("decision", "decisions"), ("printed_document", "printed_documents"),
                               ("export_outbox", "export_outbox")):
                if moved[key]:
                    session.execute(sa.text(f"UPDATE {table} SET patient_id = :p WHERE id IN :ids")
                                    .bindparams(sa.bindparam("ids", expanding=True)),
                                    {"p": other, "ids": moved[key]})
            for row in snapshot["flags"]:
                _restore_row(session, "duplicate_flag", row, insert=False)
            if self.location.is_server:  # the desk role deletes nothing itself
                session.execute(sa.text("SELECT polyclinic_unmerge_rows(:m)"), {"m": merge_id})
            else:
                session.execute(sa.text("DELETE FROM patient_alias WHERE merge_id = :m"),
                                {"m": merge_id})
                session.execute(sa.text("DELETE FROM export_correction WHERE merge_id = :m"),
                                {"m": merge_id})
            session.execute(sa.text("UPDATE patient_merge SET status = 'undone', undone_at = :at, "
                                    "undone_by = :u WHERE id = :m"),
                            {"at": now.isoformat(), "u": user, "m": merge_id})
            self._audit(session, user=user, action="unmerge", obj=f"patient:{keep}", now=now,
                        details={"kept": keep, "merged": other, "merge": merge_id})
            return {"merge_id": merge_id, "kept": keep, "restored": other,
                    "moved_back": moved["counts"]}

    def merge_history(self, *, limit: int = 200) -> list[PatientMerge]:
        """Merges, newest first."""
        with self._read() as session:
            return list(session.exec(select(PatientMerge).order_by(PatientMerge.id.desc()).limit(limit)))

    def get_merge(self, merge_id: int) -> PatientMerge | None:
        with self._read() as session:
            return session.get(PatientMerge, merge_id)

    def unmerge_check(self, merge_id: int) -> list[str]:
        """Why merge `merge_id` cannot be undone now ([] when it can)."""
        with self._read() as session:
            merge = session.get(PatientMerge, merge_id)
            if merge is None:
                raise NotFound(f"merge {merge_id}")
            return [b[2] for b in self.unmerge_blockers(session, merge)]
