"""The rules engine: a case, the reference data and a date in; a Decision out.

Pure Python: no Qt, no clock, no globals. Every conclusion records the legal acts it rests
on (`basis`) and one sentence of explanation. Legal values, lists and texts come from the
reference data; this module holds only the reasoning (rules.md sections 1-5).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from desktop.core.case import INSURANCE_KINDS, Case, Document
from desktop.core.dates import in_force, iso, month_end, month_from_index, month_index
from desktop.core.refdata import Category, RefData


@dataclass
class Decision:
    """A decision value: the JSON of interface.md plus the objects the GUI and printouts use."""

    data: dict
    category: str
    status: str

    def to_dict(self) -> dict:
        return self.data


def _dmy(d: date | None) -> str:
    return "—" if d is None else f"{d.day:02d}.{d.month:02d}.{d.year:04d}"


class _Reasoning:
    """Collects explanation sentences, warnings and the basis ids in order of use."""

    def __init__(self, ref: RefData, on: date, lang: str):
        self.ref, self.on, self.lang = ref, on, lang
        self.explanation: list[str] = []
        self.warnings: list[dict] = []
        self.basis: dict[str, None] = {}

    def t(self, key: str, **kw) -> str:
        return self.ref.text(key, self.lang, self.on).format(**kw)

    def say(self, key: str, **kw):
        self.explanation.append(self.t(key, **kw))

    def cite(self, ids):
        for b in ids:
            self.basis.setdefault(b, None)
        return list(ids)

    def warn(self, warning_code: str, **kw):
        code = warning_code
        w = self.ref.warnings[code]
        msg = w[self.lang if self.lang in ("ru", "kk") else "ru"].format(**kw)
        entry = {"code": code, "message": msg, "basis": self.cite(w["basis"])}
        entry.update({k: v for k, v in kw.items() if k in ("document_kind", "icd10")})
        self.warnings.append(entry)


def _valid_documents(case: Case, r: _Reasoning) -> dict[str, list[Document]]:
    valid: dict[str, list[Document]] = {}
    for doc in case.documents:
        name = r.ref.document_kind_name(doc.kind, r.lang)
        if doc.valid_on(r.on):
            valid.setdefault(doc.kind, []).append(doc)
        elif doc.expired_on(r.on):
            r.say("explain.doc_expired", document=name, until=_dmy(doc.valid_until), as_of=_dmy(r.on))
            r.warn("document_expired", document=name, until=_dmy(doc.valid_until), document_kind=doc.kind)
        elif doc.not_yet_valid_on(r.on):
            start = max(d for d in (doc.issued_on, doc.valid_from) if d is not None)
            r.say("explain.doc_not_yet_valid", document=name, valid_from=_dmy(start), as_of=_dmy(r.on))
    return valid


def _matches(cond: dict, case: Case, valid: dict, ref: RefData, on: date) -> bool:
    cit = case.person.citizenship
    for k, v in cond.items():
        if k == "citizenship" and cit != v:
            return False
        if k == "union" and not ref.is_member(v, cit, on):
            return False
        if k == "document" and v not in valid:
            return False
        if k == "stateless" and (cit is None) != bool(v):
            return False
        if k == "family_link":
            fam = case.family_of_eaeu_worker
            if bool(fam is not None and fam.lives_together) != bool(v):
                return False
        if k == "any" and not any(_matches(sub, case, valid, ref, on) for sub in v):
            return False
    return True


def _matched_clause(cat: Category, case, valid, ref, on) -> dict | None:
    if "any" in cat.match:
        base = {k: v for k, v in cat.match.items() if k != "any"}
        if not _matches(base, case, valid, ref, on):
            return None
        for sub in cat.match["any"]:
            if _matches(sub, case, valid, ref, on):
                return {**base, **sub}
        return None
    return cat.match if _matches(cat.match, case, valid, ref, on) else None


def _categorise(case: Case, valid: dict, r: _Reasoning) -> Category:
    ref, on, lang = r.ref, r.on, r.lang
    fam = case.family_of_eaeu_worker
    if fam is not None and not fam.lives_together:
        r.say("explain.family_not_together")
    for cat in ref.categories:
        clause = _matched_clause(cat, case, valid, ref, on)
        if clause is None:
            continue
        cname = cat.name[lang]
        country = ref.country_name(case.person.citizenship, lang)
        if "citizenship" in clause:
            r.say("explain.cat.citizenship", country=country, category=cname)
        elif "family_link" in clause:
            r.say("explain.cat.family", country=country, category=cname,
                  relation=r.t(f"explain.relation.{fam.relation}"))
        elif "union" in clause and "document" in clause:
            r.say("explain.cat.worker", country=country, category=cname)
        elif "document" in clause:
            r.say("explain.cat.document", document=ref.document_kind_name(clause["document"], lang),
                  category=cname)
        elif "union" in clause:
            r.say("explain.cat.union", country=country, union=ref.unions[clause["union"]]["name"][lang],
                  category=cname)
        elif case.person.citizenship is None:
            r.say("explain.cat.stateless", category=cname)
        else:
            r.say("explain.cat.other", country=country, category=cname)
        r.cite(cat.basis)
        return cat
    raise LookupError("reference data has no catch-all category")  # refbuild guarantees one


def _covers_phc(doc: Document) -> bool:
    """An insurance contract covers ПМСП when it says so; a ВМС does by law unless marked not to."""
    return doc.covers_phc is True or (doc.kind == "vms_contract" and doc.covers_phc is None)


def _attachment(case: Case, cat: Category, valid: dict, r: _Reasoning) -> dict:
    ref, lang = r.ref, r.lang
    rule = ref.attachment_rule(cat.id, r.on)
    if rule is None or not rule.may_attach:
        if rule is not None:
            r.cite(rule.basis)
        r.say("explain.att.not_allowed", category=cat.name[lang])
        return {"status": "not_allowed", "channels": [], "required_documents": [],
                "missing_documents": [], "until": None, "basis": list(rule.basis) if rule else []}
    required, missing, until, until_doc = [], [], None, None
    for req in rule.requires:
        kinds = req["any_of"]
        found = [d for k in kinds for d in valid.get(k, ())]
        if req.get("covers_phc"):
            for d in found:
                if not _covers_phc(d):
                    r.say("explain.att.no_phc", document=ref.document_kind_name(d.kind, lang))
            found = [d for d in found if _covers_phc(d)]
        if found:
            required.append(found[0].kind)
            if rule.until == "insurance" and found[0].kind in INSURANCE_KINDS:
                best = max(found, key=lambda d: d.valid_until or date.max)
                until, until_doc = best.valid_until, best
        else:
            required.append(kinds[0])
            missing.append(kinds[0])
    r.cite(rule.basis)
    if missing:
        status = "needs_documents"
        r.say("explain.att.needs_documents", category=cat.name[lang],
              documents="; ".join(ref.document_kind_name(k, lang) for k in missing))
        until = None
    else:
        status = "allowed"
        r.say("explain.att.allowed", channels="; ".join(r.t(f"explain.channel.{c}") for c in rule.channels))
        if until_doc is not None and until is not None:
            r.say("explain.att.until", document=ref.document_kind_name(until_doc.kind, lang), until=_dmy(until))
        bd = case.person.birth_date
        if "egov" in rule.channels and bd is not None and _age(bd, r.on) < 18:
            r.say("explain.channel.children_egov")
    return {"status": status, "channels": list(rule.channels), "required_documents": required,
            "missing_documents": missing, "until": iso(until), "basis": list(rule.basis)}


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _osms(case: Case, cat: Category, r: _Reasoning) -> tuple[dict, bool]:
    """ОСМС status (rules.md section 4). Returns the osms object and whether only the grace
    period keeps the person insured."""
    ref, on, o = r.ref, r.on, case.osms
    if not cat.osms:
        r.say("explain.osms.not_applicable", category=cat.name[r.lang])
    if o.status in ("insured", "not_insured"):
        insured = o.status == "insured"
        if cat.osms:
            r.say("explain.osms.stated_insured" if insured else "explain.osms.stated_not_insured")
        return {"insured": insured, "until": None, "source": "stated", "applicable": cat.osms}, False
    preferential, pbasis = ref.parameter_entry("osms_preferential_payers", on)
    if o.payer and preferential and o.payer in preferential:
        if cat.osms:
            r.cite(pbasis)
            r.say("explain.osms.preferential")
        return {"insured": True, "until": None, "source": "computed", "applicable": cat.osms}, False
    now_idx = month_index(on.year, on.month)
    paid = sorted(month_index(y, m) for y, m in o.paid_months if month_index(y, m) <= now_idx)
    if not paid:
        if cat.osms:
            r.say("explain.osms.unknown")
        return {"insured": None, "until": None, "source": "unknown", "applicable": cat.osms}, False
    last = paid[-1]
    run = 1
    paid_set = set(paid)
    while last - run in paid_set:
        run += 1
    last_month = "%04d-%02d" % month_from_index(last)
    grace, gbasis = ref.parameter_entry("osms_grace_months", on)
    grace = int(grace or 0)
    cited = list(gbasis)
    ext, ebasis = ref.parameter_entry("osms_extended_grace", on)
    ext_applies = bool(ext and o.payer in ext.get("payers", ()) and run >= int(ext["consecutive_months"]))
    if ext_applies:
        grace = int(ext["months"])
        cited += ebasis
    until = month_end(*month_from_index(last + grace))
    result = {"insured": on <= until, "until": until.isoformat(), "source": "computed",
              "applicable": cat.osms, "last_paid_month": last_month}
    if not cat.osms:
        return result, False
    r.cite(cited)
    if ext_applies:
        r.say("explain.osms.extended_grace", consecutive=ext["consecutive_months"], months=grace)
    if o.payer == "self_payer":
        need, nbasis = ref.parameter_entry("osms_self_payer_min_consecutive", on)
        if need and run < int(need):
            r.cite(nbasis)
            r.say("explain.osms.self_payer_short", paid=run, required=need)
            # never insured by these payments: no end date to state (a lapsed status keeps
            # the past end of its grace, a short run has none)
            result["insured"], result["until"] = False, None
            return result, False
    if not result["insured"]:
        r.cite(ref.parameter_entry("osms_regain_max_months", on)[1])
        r.say("explain.osms.computed_lapsed", month=last_month, until=_dmy(until))
        return result, False
    in_grace = on > month_end(*month_from_index(last))
    if in_grace:
        r.say("explain.osms.computed_grace", month=last_month, months=grace, until=_dmy(until))
    else:
        r.say("explain.osms.computed_paying", month=last_month, until=_dmy(until))
    return result, in_grace


def _coverage(cat: Category, valid: dict, insured, r: _Reasoning) -> list[dict]:
    ref, on, lang = r.ref, r.on, r.lang
    out: list[dict] = []
    seen = set()
    for rule in ref.coverage_rules:
        if cat.id not in rule.categories or not in_force(rule.valid_from, rule.valid_until, on):
            continue
        if rule.when == "insured" and insured is not True:
            continue
        if rule.when == "not_insured" and insured is True:
            continue
        entry = {"scheme": rule.scheme, "scope": rule.scope, "basis": r.cite(rule.basis)}
        if rule.active == "insured":
            entry["active"] = insured
        if rule.note:
            entry["note"] = r.t(f"note.{rule.note}")
        out.append(entry)
        seen.add((rule.scheme, rule.scope))
    for layer in ref.coverage_layers:
        if layer.document in valid and in_force(layer.valid_from, layer.valid_until, on) \
                and (layer.scheme, layer.scope) not in seen:
            entry = {"scheme": layer.scheme, "scope": layer.scope, "basis": r.cite(layer.basis)}
            out.append(entry)
            seen.add((layer.scheme, layer.scope))
            r.say("explain.layer", document=ref.document_kind_name(layer.document, lang),
                  item=_coverage_words(entry, r))
    r.say("explain.coverage", items="; ".join(_coverage_words(c, r) for c in out))
    return out


def _coverage_words(c: dict, r: _Reasoning) -> str:
    words = f"{r.t('scheme.' + c['scheme'])} — {r.t('scope.' + c['scope'])}"
    if c["scheme"] == "OSMS":
        state = {True: "osms.insured", False: "osms.not_insured", None: "osms.unknown"}[c.get("active")]
        words += f" ({r.t(state)})"
    if c.get("note"):
        words += f" ({c['note']})"
    return words


def _effective_purpose(case: Case, cat: Category, valid: dict) -> str | None:
    """The stated purpose of stay; when none is stated, what the documents show: a valid
    employment contract of a temporarily staying foreigner means work, kandas status means
    return to the historic homeland."""
    if case.purpose_of_stay:
        return case.purpose_of_stay
    if cat.temporary and "employment_contract" in valid:
        return "work"
    if cat.id == "kandas":
        return "return_to_homeland"
    return None


def _warnings(case: Case, cat: Category, valid: dict, in_grace: bool, osms: dict, r: _Reasoning):
    ref, on, lang = r.ref, r.on, r.lang
    purpose = _effective_purpose(case, cat, valid)
    flags = ref.purposes.get(purpose, {}) if purpose else {}
    citizen_kz = case.person.citizenship == "KZ"
    if cat.temporary and flags.get("worker"):
        # seed 000: the ВМС must cover ПМСП (and emergency inpatient care); one marked
        # covers_phc: false does not meet the requirement, one that does not say does
        vms = [d for d in valid.get("vms_contract", ()) if _covers_phc(d)]
        if not vms:
            r.warn("vms_required")
        else:
            vms_end = max((d.valid_until or date.max) for d in vms)
            contracts = valid.get("employment_contract", [])
            ends = [d.valid_until for d in contracts if d.valid_until is not None]
            if ends and vms_end < max(ends):
                r.warn("vms_expires_before_contract", vms_until=_dmy(vms_end), contract_until=_dmy(max(ends)))
    if cat.temporary and flags.get("insurance_required") and not any(k in valid for k in INSURANCE_KINDS):
        r.cite(ref.purpose_basis.get("insurance_required", ()))
        r.warn("insurance_required", purpose=ref.purpose_name(purpose, lang))
    if not citizen_kz and flags.get("immigrant") and "medical_certificate_hiv_tb" not in valid:
        r.cite(ref.purpose_basis.get("immigrant", ()))
        r.warn("medical_exam_required")
    if in_grace:
        r.warn("osms_grace_period", until=_dmy(date.fromisoformat(osms["until"])))
    if case.diagnosis_icd10:
        dis = ref.disease_for(case.diagnosis_icd10, on)
        if dis is not None:
            r.cite(dis.basis)
            r.say("explain.diagnosis_listed", code=case.diagnosis_icd10, disease=dis.name[lang])
            extra = r.t("tb.extra") if dis.notice == "tb" else ""
            r.warn("dangerous_disease_notice", code=case.diagnosis_icd10, disease=dis.name[lang],
                   extra=extra, icd10=case.diagnosis_icd10)
        else:
            r.say("explain.diagnosis_not_listed", code=case.diagnosis_icd10)
    if case.needs == "planned" and cat.id == "cis_visitor":
        if "guarantee_letter" in valid:
            r.say("explain.needs.guarantee")
        else:
            r.warn("prepayment_required")


def _needs(case: Case, cat: Category, coverage: list[dict], r: _Reasoning):
    scopes = {(c["scheme"], c["scope"]) for c in coverage}
    if case.needs == "emergency":
        if ("GOBMP", "emergency") in scopes or ("GOBMP", "full") in scopes:
            r.say("explain.needs.emergency")
        else:
            r.say("explain.needs.emergency_none", category=cat.name[r.lang])
    elif case.needs == "planned" and ("PAID", "planned") in scopes:
        r.say("explain.needs.planned_paid")


def decide(case: Case, ref: RefData, on: date, lang: str = "ru") -> Decision:
    """Decide category, attachment, coverage, ОСМС status and warnings for `case` as of `on`."""
    lang = lang if lang in ("ru", "kk") else "ru"
    r = _Reasoning(ref, on, lang)
    r.say("explain.reference", as_of=_dmy(on), version=ref.version)
    if not ref.covers(on):
        r.warn("reference_outdated", as_of=_dmy(on), valid_from=_dmy(ref.valid_from),
               valid_until=_dmy(ref.valid_until))
    valid = _valid_documents(case, r)
    cat = _categorise(case, valid, r)
    attachment = _attachment(case, cat, valid, r)
    osms, in_grace = _osms(case, cat, r)
    coverage = _coverage(cat, valid, osms["insured"], r)
    _needs(case, cat, coverage, r)
    _warnings(case, cat, valid, in_grace, osms, r)
    data = {
        "as_of": on.isoformat(),
        "lang": lang,
        "category": cat.id,
        "category_name": cat.name[lang],
        "category_basis": list(cat.basis),
        "attachment": attachment,
        "coverage": coverage,
        "osms": osms,
        "warnings": r.warnings,
        "input_notes": case.input_notes,
        "basis": [ref.basis_entry(b, lang) for b in r.basis],
        "explanation": r.explanation,
        "reference": {"version": ref.version, "valid_from": iso(ref.valid_from),
                      "valid_until": iso(ref.valid_until)},
    }
    return Decision(data=data, category=cat.id, status=attachment["status"])
