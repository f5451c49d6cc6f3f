"""A case as the registrar enters it (interface.md "Input: a case"), parsed and validated.

`parse_case` never raises anything but CaseError, which lists every bad field at once with
its path (`person.iin`, `documents[2].valid_until`) and a message in plain words.
"""
from __future__ import annotations

import re
from datetime import date

from desktop.core import iin as iin_mod
from desktop.core.dates import parse_date, parse_month
from desktop.core.records import factory, record

SEXES = ("male", "female")
OSMS_STATUSES = ("insured", "not_insured", "unknown")
PAYERS = ("employee", "entrepreneur", "self_payer", "preferential", "esp")
NEEDS = ("attachment", "emergency", "planned", "diagnosis", "phc")  # phc: revision 3
RELATIONS = ("spouse", "child")
REFERRAL_PURPOSES = ("consultation", "diagnostics", "hospitalisation")
URGENCIES = ("routine", "urgent")


def default_urgency(needs: str | None) -> str:
    """A referral's urgency when the case does not say: urgent for emergency care, else routine."""
    return "urgent" if needs == "emergency" else "routine"
# the channel an attachment was made through, printed on the notice (a field of the card)
ATTACHMENT_CHANNELS = ("clinic", "egov")
INSURANCE_KINDS = ("vms_contract", "dms_contract")
_ICD = re.compile(r"[A-Z][0-9][0-9](\.[0-9]{1,2})?")  # ASCII only, used with fullmatch
_COUNTRY = re.compile(r"[A-Za-z]{2}")
# Not law: a case with more documents than this is refused as input (issue 11 item 10); a real
# person presents a handful, and a huge list would only make one decision take seconds.
MAX_DOCUMENTS = 200

# The keys each object of a case may carry (interface.md; revision 2: any other key is an input
# error naming it, so that a typo such as `valid_untill` never passes silently). The GUI's
# extra fields (representative, referral, previous_clinic, reason, address…) are listed too.
CASE_KEYS = frozenset(("as_of", "person", "purpose_of_stay", "documents", "family_of_eaeu_worker", "osms",
                       "diagnosis_icd10", "needs", "representative", "previous_clinic", "reason", "referral",
                       "attachment_channel"))
PERSON_KEYS = frozenset(("iin", "surname", "given_name", "patronymic", "latin_name", "birth_date", "sex",
                         "citizenship", "address", "phone"))
DOCUMENT_KEYS = frozenset(("kind", "number", "country", "issued_on", "valid_from", "valid_until", "covers_phc"))
FAMILY_KEYS = frozenset(("relation", "lives_together", "worker_contract_until"))
OSMS_KEYS = frozenset(("status", "payer", "paid_months"))
REPRESENTATIVE_KEYS = frozenset(("full_name", "relation", "document"))
REFERRAL_KEYS = frozenset(("purpose", "urgency", "diagnosis_text", "services"))


class CaseError(ValueError):
    """The case is invalid; `errors` is a list of {"field", "message"}."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors

    def as_json(self) -> dict:
        return {"errors": self.errors}


@record
class Person:
    citizenship: str | None
    iin: str | None = None
    surname: str | None = None
    given_name: str | None = None
    patronymic: str | None = None
    latin_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    address: str | None = None
    phone: str | None = None


@record
class Document:
    kind: str
    number: str | None = None
    country: str | None = None
    issued_on: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    covers_phc: bool | None = None
    index: int = 0

    def valid_on(self, on: date) -> bool:
        """In force on `on`: issued and started by then, not yet ended."""
        if self.issued_on is not None and self.issued_on > on:
            return False
        if self.valid_from is not None and self.valid_from > on:
            return False
        return self.valid_until is None or on <= self.valid_until

    def expired_on(self, on: date) -> bool:
        return self.valid_until is not None and self.valid_until < on

    def not_yet_valid_on(self, on: date) -> bool:
        start = max((d for d in (self.issued_on, self.valid_from) if d is not None), default=None)
        return start is not None and start > on


@record
class Osms:
    status: str = "unknown"
    payer: str | None = None
    paid_months: tuple[tuple[int, int], ...] = ()
    # revision 3: the case states the list of paid months (`[]` = nothing was paid); False when
    # the list is missing or null (nothing is known about payments)
    paid_known: bool = False


@record
class Family:
    relation: str
    lives_together: bool
    worker_contract_until: date | None = None


@record
class Case:
    person: Person
    as_of: date | None = None
    purpose_of_stay: str | None = None
    documents: list[Document] = factory(list)
    family_of_eaeu_worker: Family | None = None
    osms: Osms = factory(Osms)
    diagnosis_icd10: str | None = None
    needs: str = "attachment"
    input_notes: list[dict] = factory(list)  # non-blocking remarks on the input
    raw: dict = factory(dict)  # the case as given, for storing and printing


class _Collector:
    def __init__(self):
        self.errors: list[dict] = []

    def add(self, path: str, message: str):
        self.errors.append({"field": path, "message": message})

    def unknown_keys(self, obj: dict, allowed: frozenset, prefix: str):
        """Every key of `obj` not in `allowed` is an error named by its own path."""
        if obj.keys() <= allowed:
            return
        for k in obj:
            if k not in allowed:
                name = k if isinstance(k, str) else repr(k)
                self.add(f"{prefix}{name}", f"unknown key {name!r}: not part of a case "
                                            f"(expected one of: {', '.join(sorted(allowed))})")


def _text(c: _Collector, obj: dict, key: str, path: str, max_len: int = 200) -> str | None:
    v = obj.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        c.add(path, "must be text")
        return None
    v = v.strip()
    if len(v) > max_len:
        c.add(path, f"is longer than {max_len} characters")
        return None
    return v or None


def _date(c: _Collector, obj: dict, key: str, path: str) -> date | None:
    v = obj.get(key)
    if v is None or v == "":
        return None
    try:
        return parse_date(v)
    except ValueError as e:
        c.add(path, f"{e}: {v!r}")
        return None


def _enum(c: _Collector, obj: dict, key: str, path: str, allowed, default=None):
    v = obj.get(key, default)
    if v is None:
        return default
    if v not in allowed:
        c.add(path, f"{v!r} is not one of: {', '.join(allowed)}")
        return default
    return v


def _country(c: _Collector, v, path: str, known: set[str] | None) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str) or not _COUNTRY.fullmatch(v.strip()):
        c.add(path, f"{v!r} is not an ISO 3166-1 alpha-2 country code")
        return None
    v = v.strip().upper()
    if known is not None and v not in known:
        c.add(path, f"{v!r} is not a known country code")
        return None
    return v


def load_json(text: str):
    """A case's JSON text as Python data (json.loads), with input nested too deeply for the
    parser reported as invalid JSON (ValueError) rather than a RecursionError."""
    import json

    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def parse_case(data, *, countries: set[str] | None = None, document_kinds=None,
               purposes=None, on: date | None = None, number_required=frozenset()) -> Case:
    """Validate `data` (a dict in the shape of interface.md) and build a Case.

    `countries`, `document_kinds`, `purposes` are the enumerations from the reference data;
    pass them so that codes are checked against the release in force. `on` is the decision
    date when the caller overrides the case's `as_of` (e.g. `--on`): dates that must not lie
    after the decision date are checked against it. A document of a kind in `number_required`
    (the reference's kinds that prove identity) without its number gets an input note."""
    c = _Collector()
    if not isinstance(data, dict):
        raise CaseError([{"field": "", "message": "a case must be a JSON object"}])
    kinds = document_kinds
    if not data.keys() <= CASE_KEYS:
        c.unknown_keys(data, CASE_KEYS, "")

    as_of = _date(c, data, "as_of", "as_of")

    # person -------------------------------------------------------------------------------
    p = data.get("person")
    if not isinstance(p, dict):
        c.add("person", "required: an object with at least 'citizenship' (null for a stateless person)")
        p = {}
    elif "citizenship" not in p:
        c.add("person.citizenship", "required (null for a stateless person)")
    if not p.keys() <= PERSON_KEYS:
        c.unknown_keys(p, PERSON_KEYS, "person.")
    person = Person(citizenship=_country(c, p.get("citizenship"), "person.citizenship", countries))
    for k in ("surname", "given_name", "patronymic", "latin_name", "address", "phone"):
        if k in p:
            setattr(person, k, _text(c, p, k, f"person.{k}", 300 if k == "address" else 100))
    person.birth_date = _date(c, p, "birth_date", "person.birth_date")
    person.sex = _enum(c, p, "sex", "person.sex", SEXES)
    notes: list[dict] = []
    raw_iin = p.get("iin")
    if raw_iin not in (None, ""):
        if not isinstance(raw_iin, str):
            raw_iin = str(raw_iin) if isinstance(raw_iin, int) else None
        iin = (raw_iin or "").replace(" ", "")  # checksum_error wants ASCII [0-9]{12}
        problem = iin_mod.checksum_error(iin)
        if problem == "format":
            c.add("person.iin", f"ИИН must be exactly 12 digits, got {p.get('iin')!r}")
        elif problem == "no_check_digit":
            c.add("person.iin", "not a valid ИИН: no check digit is possible for these 11 digits")
        elif problem == "check_digit":
            c.add("person.iin", "not a valid ИИН: the check digit (12th) is wrong — a typing error?")
        else:
            lay = iin_mod.layout(iin)
            if lay.birth_date is None and person.citizenship == "KZ":
                # rules.md section 7: only foreigners' numbers may break the date/sex layout
                c.add("person.iin", "not a valid ИИН of a citizen of Kazakhstan: the first six digits "
                                    "must be the birth date YYMMDD and the 7th a century/sex digit 1-6")
            elif lay.birth_date is None:
                person.iin = iin
                notes.append({"field": "person.iin", "code": "iin_layout",
                              "message": "the ИИН does not start with a birth date and century/sex digit"})
            else:
                person.iin = iin
                if person.birth_date and lay.birth_date != person.birth_date:
                    notes.append({"field": "person.iin", "code": "iin_birth_date_mismatch",
                                  "message": f"the ИИН encodes birth date {lay.birth_date.isoformat()}, "
                                             f"the form says {person.birth_date.isoformat()}"})
                if person.sex and lay.sex != person.sex:
                    notes.append({"field": "person.iin", "code": "iin_sex_mismatch",
                                  "message": f"the ИИН encodes sex {lay.sex}, the form says {person.sex}"})
    decision_on = on or as_of
    if person.birth_date and decision_on and person.birth_date > decision_on:
        c.add("person.birth_date", f"birth date {person.birth_date.isoformat()} is after the decision date "
                                   f"{decision_on.isoformat()}")

    # documents -----------------------------------------------------------------------------
    docs: list[Document] = []
    raw_docs = data.get("documents")
    if raw_docs is None:
        raw_docs = []
    if not isinstance(raw_docs, list):
        c.add("documents", "must be a list")
        raw_docs = []
    if len(raw_docs) > MAX_DOCUMENTS:
        c.add("documents", f"{len(raw_docs)} documents: a case may list at most {MAX_DOCUMENTS}")
        raw_docs = []
    for i, d in enumerate(raw_docs):
        path = f"documents[{i}]"
        if not isinstance(d, dict):
            c.add(path, "must be an object")
            continue
        if not d.keys() <= DOCUMENT_KEYS:
            c.unknown_keys(d, DOCUMENT_KEYS, f"{path}.")
        kind = d.get("kind")
        if kind is None:
            c.add(f"{path}.kind", "required")
            continue
        if kinds is not None and kind not in kinds:
            c.add(f"{path}.kind", f"{kind!r} is not a known document kind")
            continue
        doc = Document(kind=kind, index=i)
        if "number" in d:
            doc.number = _text(c, d, "number", f"{path}.number", 50)
        if "country" in d:
            doc.country = _country(c, d["country"], f"{path}.country", countries)
        if "issued_on" in d:
            doc.issued_on = _date(c, d, "issued_on", f"{path}.issued_on")
        if "valid_from" in d:
            doc.valid_from = _date(c, d, "valid_from", f"{path}.valid_from")
        if "valid_until" in d:
            doc.valid_until = _date(c, d, "valid_until", f"{path}.valid_until")
        if kind in number_required and not doc.number and all(e["field"] != f"{path}.number" for e in c.errors):
            # interface.md keeps the number optional (a case still decides); the desk refuses it
            notes.append({"field": f"{path}.number", "code": "number_missing",
                          "message": f"a {kind} proves identity: its number is missing"})
        if "covers_phc" in d and d["covers_phc"] is not None:
            if not isinstance(d["covers_phc"], bool):
                c.add(f"{path}.covers_phc", "must be true or false")
            else:
                doc.covers_phc = d["covers_phc"]
        if doc.valid_until and doc.valid_from and doc.valid_until < doc.valid_from:
            c.add(f"{path}.valid_until", f"valid until {doc.valid_until} is before valid from {doc.valid_from}")
        if doc.valid_until and doc.issued_on and doc.valid_until < doc.issued_on:
            c.add(f"{path}.valid_until", f"valid until {doc.valid_until} is before the issue date {doc.issued_on}")
        if doc.issued_on and person.birth_date and doc.issued_on < person.birth_date:
            c.add(f"{path}.issued_on", "issued before the person was born")
        docs.append(doc)

    purpose = data.get("purpose_of_stay")
    if purpose is not None and purposes is not None and purpose not in purposes:
        c.add("purpose_of_stay", f"{purpose!r} is not one of: {', '.join(purposes)}")
        purpose = None

    fam = None
    f = data.get("family_of_eaeu_worker")
    if f is not None:
        if not isinstance(f, dict):
            c.add("family_of_eaeu_worker", "must be null or an object {relation, lives_together}")
        else:
            if not f.keys() <= FAMILY_KEYS:
                c.unknown_keys(f, FAMILY_KEYS, "family_of_eaeu_worker.")
            wcu = _date(c, f, "worker_contract_until", "family_of_eaeu_worker.worker_contract_until")
            rel = _enum(c, f, "relation", "family_of_eaeu_worker.relation", RELATIONS)
            if f.get("relation") is None:
                c.add("family_of_eaeu_worker.relation", "required: spouse or child")
            lt = f.get("lives_together", True)
            if not isinstance(lt, bool):
                c.add("family_of_eaeu_worker.lives_together", "must be true or false")
                lt = True
            if rel:
                fam = Family(rel, lt, wcu)

    osms = Osms()
    o = data.get("osms")
    if o is not None:
        if not isinstance(o, dict):
            c.add("osms", "must be an object")
        else:
            if not o.keys() <= OSMS_KEYS:
                c.unknown_keys(o, OSMS_KEYS, "osms.")
            osms.status = _enum(c, o, "status", "osms.status", OSMS_STATUSES, "unknown")
            osms.payer = _enum(c, o, "payer", "osms.payer", PAYERS)
            osms.paid_known = isinstance(o.get("paid_months"), list)
            months = o.get("paid_months") or []
            if not isinstance(months, list):
                c.add("osms.paid_months", "must be a list of months YYYY-MM")
                months = []
            parsed = []
            for j, m in enumerate(months):
                try:
                    parsed.append(parse_month(m))
                except ValueError as e:
                    c.add(f"osms.paid_months[{j}]", f"{e}: {m!r}")
            osms.paid_months = tuple(sorted(set(parsed)))

    diag = data.get("diagnosis_icd10")
    if diag is not None:
        if not isinstance(diag, str) or not _ICD.fullmatch(diag.strip().upper()):
            c.add("diagnosis_icd10", f"{diag!r} is not an ICD-10 code such as A15 or B05.9")
            diag = None
        else:
            diag = diag.strip().upper()

    needs = _enum(c, data, "needs", "needs", NEEDS, "attachment")
    _enum(c, data, "attachment_channel", "attachment_channel", ATTACHMENT_CHANNELS)

    rep = data.get("representative")
    if rep is not None and not isinstance(rep, dict):
        c.add("representative", "must be an object {full_name, relation, document}")
    elif isinstance(rep, dict):
        if not rep.keys() <= REPRESENTATIVE_KEYS:
            c.unknown_keys(rep, REPRESENTATIVE_KEYS, "representative.")
        for k in ("full_name", "relation", "document"):
            _text(c, rep, k, f"representative.{k}", 200)
    for k in ("previous_clinic", "reason"):
        if k in data:
            _text(c, data, k, k, 500)
    ref = data.get("referral")
    if ref is not None:
        if not isinstance(ref, dict):
            c.add("referral", "must be an object")
        else:
            if not ref.keys() <= REFERRAL_KEYS:
                c.unknown_keys(ref, REFERRAL_KEYS, "referral.")
            _enum(c, ref, "purpose", "referral.purpose", REFERRAL_PURPOSES)
            _enum(c, ref, "urgency", "referral.urgency", URGENCIES)
            _text(c, ref, "diagnosis_text", "referral.diagnosis_text", 500)
            sv = ref.get("services")
            if sv is not None and (not isinstance(sv, list) or not all(isinstance(s, str) for s in sv)):
                c.add("referral.services", "must be a list of texts")

    if c.errors:
        raise CaseError(c.errors)
    return Case(person=person, as_of=as_of, purpose_of_stay=purpose, documents=docs,
                family_of_eaeu_worker=fam, osms=osms, diagnosis_icd10=diag, needs=needs,
                input_notes=notes, raw=data)


def case_json_schema(document_kinds=(), purposes=()) -> dict:
    """The JSON Schema (draft 2020-12) of a case, built from the same key tables the validator
    uses: published as docs/case.schema.json for other programs. `document_kinds` and
    `purposes` are the enumerations of the reference data in force."""
    date_t = {"type": ["string", "null"], "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    text = {"type": ["string", "null"]}
    country = {"type": ["string", "null"], "pattern": "^[A-Za-z]{2}$"}

    def obj(props: dict, keys: frozenset, required=()):
        assert set(props) == set(keys), set(keys) ^ set(props)
        return {"type": "object", "properties": props, "required": list(required), "additionalProperties": False}

    def enum(values):
        return {"enum": [*values, None]}

    person = obj({
        "iin": {"type": ["string", "integer", "null"], "description": "12-digit ИИН"},
        "surname": text, "given_name": text, "patronymic": text, "latin_name": text,
        "birth_date": date_t, "sex": enum(SEXES),
        "citizenship": {**country, "description": "ISO 3166-1 alpha-2; null for a stateless person"},
        "address": text, "phone": text}, PERSON_KEYS, required=("citizenship",))
    document = obj({
        "kind": {"enum": list(document_kinds)} if document_kinds else {"type": "string"},
        "number": text, "country": country, "issued_on": date_t, "valid_from": date_t, "valid_until": date_t,
        "covers_phc": {"type": ["boolean", "null"]}}, DOCUMENT_KEYS, required=("kind",))
    family = obj({"relation": {"enum": list(RELATIONS)}, "lives_together": {"type": "boolean"},
                  "worker_contract_until": date_t}, FAMILY_KEYS, required=("relation",))
    osms = obj({"status": enum(OSMS_STATUSES), "payer": enum(PAYERS),
                "paid_months": {"type": ["array", "null"],
                                "items": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}}},
               OSMS_KEYS)
    representative = obj({k: text for k in ("full_name", "relation", "document")}, REPRESENTATIVE_KEYS)
    referral = obj({"purpose": enum(REFERRAL_PURPOSES), "urgency": enum(URGENCIES), "diagnosis_text": text,
                    "services": {"type": ["array", "null"], "items": {"type": "string"}}}, REFERRAL_KEYS)
    top = obj({
        "as_of": date_t, "person": person,
        "purpose_of_stay": enum(purposes) if purposes else text,
        "documents": {"type": ["array", "null"], "items": document, "maxItems": MAX_DOCUMENTS},
        "family_of_eaeu_worker": {"oneOf": [{"type": "null"}, family]},
        "osms": {"oneOf": [{"type": "null"}, osms]},
        "diagnosis_icd10": {"type": ["string", "null"], "pattern": r"^[A-Za-z][0-9][0-9](\.[0-9]{1,2})?$"},
        "needs": enum(NEEDS),
        "representative": {"oneOf": [{"type": "null"}, representative]},
        "previous_clinic": text, "reason": text,
        "attachment_channel": enum(ATTACHMENT_CHANNELS),
        "referral": {"oneOf": [{"type": "null"}, referral]}}, CASE_KEYS, required=("person",))
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://polyclinic.example/case.schema.json",
            "title": "A case for `polyclinic decide` (interface.md, revision 2)",
            "description": "Unknown keys are input errors. Dates YYYY-MM-DD, months YYYY-MM. The program "
                           "checks more than this schema says (ИИН check digit, known country codes, dates "
                           "in order); its error list is the authority.", **top}
