"""The rules engine: a case, the reference data and a date in; a Decision out.

Pure Python: no Qt, no clock, no globals. Every conclusion records the legal acts it rests
on (`basis`) and one sentence of explanation. Legal values, lists and texts come from the
reference data; this module holds only the reasoning (rules.md sections 1-5).
"""
from __future__ import annotations

from datetime import date

from desktop.core.case import INSURANCE_KINDS, Case, Document

WORK_KINDS = ("employment_contract", "civil_contract")
from desktop.core.iin import layout as iin_layout
from desktop.core.dates import in_force, iso, month_end, month_from_index, month_index
from desktop.core.refdata import Category, RefData
from desktop.core.records import record


@record
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
        self._fixed = ref.fixed_texts
        self.listed_disease = False  # the diagnosis is on the dangerous-disease list
        self.explanation: list[str] = []
        self.warnings: list[dict] = []
        self.basis: dict[str, None] = {}

    def t(self, key: str, **kw) -> str:
        fixed = self._fixed.get(key)  # texts with one open-ended entry: the hot path
        text = fixed[self.lang] if fixed is not None else self.ref.text(key, self.lang, self.on)
        return text.format(**kw) if kw else text

    def say(self, key: str, **kw):
        fixed = self._fixed.get(key)
        text = fixed[self.lang] if fixed is not None else self.ref.text(key, self.lang, self.on)
        if kw:
            text = text.format(**kw)
        if text[:1] == "«" and text[1:2].islower():  # a sentence opening on a quoted name
            text = "«" + text[1].upper() + text[2:]
        self.explanation.append(text)

    def cite(self, ids):
        self.basis.update(dict.fromkeys(ids))  # keeps the order of first use
        return list(ids)

    def warn(self, warning_code: str, variant: str | None = None, **kw):
        """Add a warning; `variant` picks the entry `code.variant` of warnings.yaml when the
        reference data has one (rev. 3: another basis and wording), under the same code."""
        code = warning_code
        w = self.ref.warnings.get(f"{code}.{variant}") if variant else None
        w = w if w is not None else self.ref.warnings[code]
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
            linked = fam is not None and fam.lives_together and \
                (fam.worker_contract_until is None or on <= fam.worker_contract_until)
            if linked != bool(v):
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
    elif fam is not None and fam.worker_contract_until is not None and on > fam.worker_contract_until:
        r.say("explain.family_worker_contract_ended", until=_dmy(fam.worker_contract_until))
    cit = case.person.citizenship
    for cat in ref.categories:
        m = cat.match
        # cheap rejections first (the batch's hot loop); _matched_clause decides the rest
        if ("document" in m and m["document"] not in valid) or ("citizenship" in m and m["citizenship"] != cit):
            continue
        clause = _matched_clause(cat, case, valid, ref, on)
        if clause is None:
            continue
        cname = cat.name[lang]
        country = ref.country_name(case.person.citizenship, lang)
        if "citizenship" in clause:
            r.say("explain.cat.citizenship", country=country, category=cname)
        elif "family_link" in clause:
            sex = case.person.sex
            rel = f"explain.relation.{fam.relation}" + (f".{sex}" if sex else "")
            r.say("explain.cat.family", country=country, category=cname, relation=r.t(rel))
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
        rule_basis = list(rule.basis) if rule else []
        # rev. 3 (rules.md 9.8): the ground from the closed list, with the rule that was not met
        rule_words = _rule_words(_basis_entries(ref, rule_basis, lang))
        if not ref.has_text("refusal.ground.requirements"):  # a release before revision 3
            return {"status": "not_allowed", "channels": [], "required_documents": [],
                    "missing_documents": [], "until": None, "basis": rule_basis,
                    "refusal_ground": "requirements", "refusal_rule": {"basis": rule_basis, "text": None}}
        text = r.t("refusal.ground.requirements", category=cat.name[lang], rule=rule_words)
        r.say("refusal.ground.requirements", category=cat.name[lang], rule=rule_words)
        return {"status": "not_allowed", "channels": [], "required_documents": [],
                "missing_documents": [], "until": None, "basis": rule_basis,
                "refusal_ground": "requirements",
                "refusal_rule": {"basis": rule_basis, "text": text}}
    required, missing = [], []
    for req in rule.requires:
        kinds = req["any_of"]
        found = [d for k in kinds for d in valid.get(k, ())]
        ages = req.get("below_age")
        if ages:
            found = [d for d in found if d.kind not in ages or _young_enough(case, d, ages[d.kind], r)]
        if req.get("covers_phc"):
            for d in found:
                if not _covers_phc(d):
                    r.say("explain.att.no_phc", document=ref.document_kind_name(d.kind, lang))
            found = [d for d in found if _covers_phc(d)]
        if found:
            required.append(found[0].kind)
        else:
            kind = _missing_kind(case, req, r)
            required.append(kind)
            missing.append(kind)
    r.cite(rule.basis)
    until = None
    ground = None
    if missing:
        status = "needs_documents"
        docs_words = "; ".join(_in_sentence(ref.document_kind_name(k, lang)) for k in missing)
        r.say("explain.att.needs_documents", category=cat.name[lang], documents=docs_words)
        # rev. 3 (rules.md 9.8): the documents are incomplete; the rule is the attachment rule
        ground = {"basis": list(rule.basis), "missing": list(missing),
                  "text": r.t("refusal.ground.documents", documents=docs_words)
                  if ref.has_text("refusal.ground.documents") else None}
    else:
        status = "allowed"
        r.say("explain.att.allowed", channels="; ".join(r.t(f"explain.channel.{c}") for c in rule.channels))
        limits = _attachment_limits(case, rule.until, valid)
        if limits:
            until, key, kind = min(limits, key=lambda x: x[0])
            r.say(key, document=ref.document_kind_name(kind, lang) if kind else "", until=_dmy(until))
        bd = _birth_date(case)
        if "egov" in rule.channels and bd is not None and _age(bd, r.on) < 18:
            r.say("explain.channel.children_egov")
    return {"status": status, "channels": list(rule.channels), "required_documents": required,
            "missing_documents": missing, "until": iso(until), "basis": list(rule.basis),
            "refusal_ground": "documents" if ground else None, "refusal_rule": ground}


def _rule_words(entries: list[dict]) -> str:
    """Acts and articles for a sentence, each act named once: «act: article, article; act: …»."""
    acts: dict[str, list[str]] = {}
    for e in entries:
        acts.setdefault(e["act"], []).append(e["article"])
    return "; ".join(f"{act}: {', '.join(arts)}" for act, arts in acts.items())


def _period(first: int, last: int, r: _Reasoning) -> str:
    """«ноябрь 2026 г.» for one month, «февраль 2026 г. — май 2026 г.» for several."""
    if first == last:
        return _month_words(first, r)
    return f"{_month_words(first, r)} — {_month_words(last, r)}"


def _missing_kind(case: Case, req: dict, r: _Reasoning) -> str:
    """The kind named as missing: the first of `any_of`, but a kind limited by age (the
    citizen's birth certificate) when the person is below that age (rules.md 9.4)."""
    bd = _birth_date(case)
    for kind, parameter in (req.get("below_age") or {}).items():
        limit = r.ref.parameter(parameter, r.on)
        if limit is not None and bd is not None and _age(bd, r.on) < int(limit):
            return kind
    return req["any_of"][0]


def _in_sentence(name: str) -> str:
    """A list name inside a sentence: «Трудовой договор» → «трудовой договор»; abbreviations
    («ҚР азаматының…», «ДМС») keep their capitals."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _attachment_limits(case: Case, names, valid: dict) -> list[tuple[date, str, str | None]]:
    """The end dates that bound an attachment (attachment.yaml `until`): the latest-ending
    contract of each kind of limit, then the earliest of those wins (rules.md section 2)."""
    out = []
    for name in names:
        if name == "insurance":
            docs = [d for k in INSURANCE_KINDS for d in valid.get(k, ()) if _covers_phc(d)]
            key = "explain.att.until"
        elif name == "work_contract":
            docs = [d for k in WORK_KINDS for d in valid.get(k, ())]
            key = "explain.att.until_work"
        else:  # worker_contract: the EAEU worker's contract, as the family member states it
            fam = case.family_of_eaeu_worker
            if fam is not None and fam.worker_contract_until is not None:
                out.append((fam.worker_contract_until, "explain.att.until_worker", None))
            continue
        if docs and all(d.valid_until is not None for d in docs):
            best = max(docs, key=lambda d: d.valid_until)
            out.append((best.valid_until, key, best.kind))
    return out


def _birth_date(case: Case) -> date | None:
    """The stated birth date, else the one a valid ИИН encodes."""
    if case.person.birth_date is not None:
        return case.person.birth_date
    if case.person.iin:
        return iin_layout(case.person.iin).birth_date
    return None


def _young_enough(case: Case, doc: Document, parameter: str, r: _Reasoning) -> bool:
    """A document limited by age (a citizen's birth certificate) counts only below the age the
    parameter gives on the date; with no birth date known it cannot be shown to count."""
    limit, basis = r.ref.parameter_entry(parameter, r.on)
    if limit is None:
        return True
    bd = _birth_date(case)
    if bd is not None and _age(bd, r.on) < int(limit):
        return True
    r.cite(basis)
    r.say("explain.att.birth_certificate_age" if bd is not None else "explain.att.birth_certificate_no_date",
          document=r.ref.document_kind_name(doc.kind, r.lang), age=int(limit))
    return False


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _runs(paid: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs (first, last) of sorted month indices."""
    runs: list[tuple[int, int]] = []
    for m in paid:
        if runs and m == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    return runs


def _month_words(idx: int, r: _Reasoning) -> str:
    """A month in words for a sentence: «январь 2026 г.» / «2026 жылғы қаңтар»."""
    y, m = month_from_index(idx)
    return r.t("month.format", month=r.t(f"month.{m}"), year=y)


def _osms(case: Case, cat: Category, r: _Reasoning) -> tuple[dict, bool]:
    """ОСМС status (rules.md section 4). Returns the osms object and whether the grace warning
    is due (insured only by the grace, and a contribution already overdue)."""
    ref, on, o = r.ref, r.on, case.osms
    if not cat.osms:
        # rev. 3 (rules.md 9.3): whatever the case states or lists, the status is not determined
        r.say("explain.osms.not_applicable", category=cat.name[r.lang])
        return {"insured": None, "until": None, "source": "not_applicable", "applicable": False}, False
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
    # open reading (rules.md section 8): months paid after the decision date's month are not counted
    paid = sorted(month_index(y, m) for y, m in o.paid_months if month_index(y, m) <= now_idx)
    if not o.paid_months and o.paid_known and ref.has_text("explain.osms.nothing_paid"):
        # rev. 3 (rules.md 9.2): `paid_months: []` is the Fund's empty record, not "nothing known"
        # (a list of months all after the decision date stays the open reading of section 8)
        r.say("explain.osms.nothing_paid")
        result = {"insured": False, "until": None, "source": "computed", "applicable": cat.osms}
        regain = _regain(paid, o.payer, r)
        if regain is not None:
            result["regain"] = regain
        return result, False
    if not paid:
        if cat.osms:
            r.say("explain.osms.unknown")
        return {"insured": None, "until": None, "source": "unknown", "applicable": cat.osms}, False
    cited: list[str] = []
    no_grace, ngbasis = ref.parameter_entry("osms_no_grace_payers", on)
    if no_grace and o.payer in no_grace:
        grace = 0
        cited += ngbasis
    else:
        grace, gbasis = ref.parameter_entry("osms_grace_months", on)
        grace = int(grace or 0)
        cited += gbasis
    runs = _runs(paid)
    ext, ebasis = ref.parameter_entry("osms_extended_grace", on)
    short_run = None
    if o.payer == "self_payer":
        need, nbasis = ref.parameter_entry("osms_self_payer_min_consecutive", on)
        need = int(need or 1)
        cited += nbasis
        qualifying = [run for run in runs if run[1] - run[0] + 1 >= need]
        if not qualifying:
            short_run = runs[-1]
        # every run of `need` months gives the status through its own grace; a later, shorter
        # run never takes it away (rules.md section 4, rev. 2): the governing run is the last
        # qualifying one
        governing = qualifying[-1] if qualifying else runs[-1]
    else:
        governing = runs[-1]
    first, last = governing
    run_len = last - first + 1
    ext_applies = bool(grace and ext and o.payer in ext.get("payers", ())
                       and run_len >= int(ext["consecutive_months"]))
    if ext_applies:
        grace = int(ext["months"])
        cited += ebasis
    until = month_end(*month_from_index(last + grace))
    last_month = "%04d-%02d" % month_from_index(last)
    result = {"insured": on <= until, "until": until.isoformat(), "source": "computed",
              "applicable": cat.osms, "last_paid_month": last_month}
    if short_run is not None:
        # never insured by these payments: no end date to state
        result["insured"], result["until"] = False, None
    if not cat.osms:
        return result, False
    r.cite(cited)
    if short_run is not None:
        r.say("explain.osms.self_payer_short", paid=short_run[1] - short_run[0] + 1, required=need)
    elif ext_applies:
        r.say("explain.osms.extended_grace", consecutive=ext["consecutive_months"], months=grace)
    if short_run is None and grace == 0 and result["insured"] is not None:
        r.say("explain.osms.esp", month=_month_words(last, r), until=_dmy(until))
    if result["insured"] is False:
        if short_run is None and grace:
            r.say("explain.osms.computed_lapsed", month=_month_words(last, r), until=_dmy(until))
        regain = _regain(paid, o.payer, r)
        if regain is not None:
            result["regain"] = regain
        return result, False
    if paid[-1] != last:
        r.say("explain.osms.later_short_run", month=_month_words(paid[-1], r))
    in_grace = on > month_end(*month_from_index(last))
    if not in_grace:
        r.say("explain.osms.computed_paying", month=_month_words(last, r), until=_dmy(until))
        return result, False
    r.say("explain.osms.computed_grace", month=_month_words(last, r), months=grace, until=_dmy(until))
    # the warning only once the contribution for the month after the last paid one is overdue:
    # due by the due day of the month after that (ОСМС Law art. 28)
    due_day, dbasis = ref.parameter_entry("osms_contribution_due_day", on)
    if due_day is None:
        return result, True
    y, m = month_from_index(last + 2)
    due = date(y, m, min(int(due_day), month_end(y, m).day))
    if on > due:
        r.cite(dbasis)
        return result, True
    return result, False


def _regain(paid: list[int], payer: str | None, r: _Reasoning) -> dict | None:
    """What regaining the status costs (ОСМС Law art. 5 p.3; rules.md section 4): the months
    from the one after the last paid through the month before the decision's, at most the
    `osms_regain_max_months` before it and none before 2020-01, times rate × minimum wage.
    Nothing paid at all: those 12 months. When that period is empty the decision's own month
    is due (rules.md 9.2): see _regain_current_month. Never 0 months."""
    from decimal import Decimal   # here: one decision from the command line seldom needs it

    ref, on = r.ref, r.on
    max_months, mbasis = ref.parameter_entry("osms_regain_max_months", on)
    rate, rbasis = ref.parameter_entry("osms_regain_rate", on)
    wage, wbasis = ref.parameter_entry("min_wage", on)
    since, sbasis = ref.parameter_entry("osms_regain_earliest_month", on)
    if max_months is None or rate is None or wage is None:
        return None
    now_idx = month_index(on.year, on.month)
    start = now_idx - int(max_months) if not paid else max(paid[-1] + 1, now_idx - int(max_months))
    earliest = month_index(*map(int, str(since).split("-"))) if since else None
    if earliest is not None:
        start = max(start, earliest)
    months = now_idx - start
    per_month = Decimal(str(wage)) * Decimal(str(rate))
    if months <= 0:
        return _regain_current_month(paid, payer, per_month, earliest, [*rbasis, *wbasis], r)
    amount = per_month * months
    amount = amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.quantize(Decimal("0.01"))
    per = per_month.quantize(Decimal(1)) if per_month == per_month.to_integral_value() else per_month.quantize(Decimal("0.01"))
    basis = list(dict.fromkeys([*mbasis, *rbasis, *sbasis, *wbasis]))
    r.cite(basis)
    r.say("explain.osms.regain", months=months, period=_period(start, now_idx - 1, r),
          per_month=_money(per), amount=_money(amount))
    return {"months": months, "amount": str(amount), "currency": "KZT", "basis": basis,
            "from_month": "%04d-%02d" % month_from_index(start),
            "to_month": "%04d-%02d" % month_from_index(now_idx - 1)}


def _amount(v: Decimal) -> Decimal:
    from decimal import Decimal

    return v.quantize(Decimal(1)) if v == v.to_integral_value() else v.quantize(Decimal("0.01"))


def _regain_current_month(paid: list[int], payer: str | None, per_month: Decimal, earliest,
                          money_basis: list, r: _Reasoning) -> dict | None:
    """The unpaid period is empty but the person is not insured (rules.md 9.2): an ЕСП payer
    pays the single aggregate payment for the decision's month (no amount: it is not 5 % of
    the minimum wage); a self-payer pays the months, ending with the decision's month, that
    complete the consecutive months art. 5 p.3-1 asks for."""
    ref, on = r.ref, r.on
    now_idx = month_index(on.year, on.month)
    month = "%04d-%02d" % month_from_index(now_idx)
    no_grace, ngbasis = ref.parameter_entry("osms_no_grace_payers", on)
    if payer and no_grace and payer in no_grace and ref.has_text("explain.osms.regain_esp"):
        basis = list(ngbasis)
        r.cite(basis)
        r.say("explain.osms.regain_esp", month=_month_words(now_idx, r))
        return {"months": 1, "amount": None, "currency": "KZT", "basis": basis, "payment": "esp",
                "from_month": month, "to_month": month}
    need, nbasis = ref.parameter_entry("osms_self_payer_min_consecutive", on)
    if payer != "self_payer" or not need or not ref.has_text("explain.osms.regain_complete"):
        return None
    have = set(paid)
    due = [m for m in range(now_idx - int(need) + 1, now_idx + 1)
           if m not in have and (earliest is None or m >= earliest)]
    if not due:
        return None
    amount = _amount(per_month * len(due))
    basis = list(dict.fromkeys([*nbasis, *money_basis]))
    r.cite(basis)
    r.say("explain.osms.regain_complete", months=len(due), period=_period(due[0], due[-1], r),
          required=int(need), per_month=_money(_amount(per_month)),
          amount=_money(amount))
    return {"months": len(due), "amount": str(amount), "currency": "KZT", "basis": basis,
            "payment": "self_payer_completion",
            "from_month": "%04d-%02d" % month_from_index(due[0]),
            "to_month": "%04d-%02d" % month_from_index(due[-1])}


def _money(v: Decimal) -> str:
    """17000 -> «17 000» (a narrow no-break space between thousands)."""
    whole, _, frac = str(v).partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return "\u00a0".join(groups) + (f",{frac}" if frac else "")


def _treaties(case: Case, r: _Reasoning) -> list:
    """The treaty layers for this person's citizenship on the date (rules.md section 3)."""
    cit = case.person.citizenship
    return [t for t in r.ref.treaty_layers
            if in_force(t.valid_from, t.valid_until, r.on) and r.ref.is_member(t.union, cit, r.on)]


def _coverage(case: Case, cat: Category, valid: dict, insured, r: _Reasoning) -> list[dict]:
    ref, on, lang = r.ref, r.on, r.lang
    out: list[dict] = []
    seen = set()
    for rule in ref.coverage_rules_for(cat.id):
        if not in_force(rule.valid_from, rule.valid_until, on):
            continue
        if rule.when == "insured" and insured is not True:
            continue
        if rule.when == "not_insured" and insured is True:
            continue
        entry = {"scheme": rule.scheme, "scope": rule.scope, "basis": r.cite(rule.basis)}
        if rule.scope == "dangerous_diseases" and cat.temporary:
            # rev. 3 (rules.md 9.6): R665 p.5 only for the purposes of R665 p.3 sp.2-5
            p5, p5basis = ref.parameter_entry("r665_p5_purposes", on)
            if p5 and _effective_purpose(case, cat, valid) in p5:
                entry["basis"] = list(dict.fromkeys(entry["basis"] + r.cite(p5basis)))
        if rule.active == "insured":
            entry["active"] = insured
        if rule.note:
            entry["note"] = r.t(f"note.{rule.note}")
        out.append(entry)
        seen.add((rule.scheme, rule.scope))
    rule = ref.attachment_rule(cat.id, on)
    if rule is None or not rule.may_attach:
        added: dict[str, list[str]] = {}
        for t in _treaties(case, r):
            entry = {"scheme": t.scheme, "scope": t.scope, "basis": list(t.basis)}
            if t.note:
                entry["note"] = r.t(f"note.{t.note}")
            if t.payment:
                entry["payment"] = t.payment
            r.cite(t.basis)
            if (t.scheme, t.scope) in seen:
                # the category already has this line (PAID planned): the treaty adds its terms
                old = next(c for c in out if (c["scheme"], c["scope"]) == (t.scheme, t.scope))
                old["basis"] = list(dict.fromkeys(old["basis"] + entry["basis"]))
                old.update({k: v for k, v in entry.items() if k in ("note", "payment")})
            else:
                out.append(entry)
                seen.add((t.scheme, t.scope))
            added.setdefault(t.union, []).append(_coverage_words(entry, r))
        for union, items in added.items():
            r.say(f"explain.treaty.{union}", country=ref.country_name(case.person.citizenship, lang),
                  items="; ".join(items))
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
    """The words for one coverage line; cached per release and language when every text they
    use has a single, open-ended entry (the usual case: the batch's hot path)."""
    key = (r.lang, c["scheme"], c["scope"], c.get("active"), c.get("note"))
    cache = r.ref.derived.setdefault("coverage_words", {})
    words = cache.get(key)
    if words is None:
        words = _coverage_words_uncached(c, r)
        fixed = r.ref.has_fixed_text
        if fixed("scheme." + c["scheme"]) and fixed("scope." + c["scope"]) and fixed("osms.unknown") \
                and fixed("osms.insured") and fixed("osms.not_insured"):
            cache[key] = words
    return words


def _coverage_words_uncached(c: dict, r: _Reasoning) -> str:
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
    if cat.temporary and any(k in valid for k in WORK_KINDS):
        return "work"
    if cat.id == "kandas":
        return "return_to_homeland"
    return None


def _is_immigrant(case: Case, cat: Category, valid: dict, r: _Reasoning) -> bool:
    """An immigrant in the sense of R665 p.2 sp.4 (rules.md 9.5): never a citizen; kandas,
    refugees, permanent residents and asylum seekers; others by their purpose of stay."""
    if case.person.citizenship == "KZ":
        return False
    cats = r.ref.parameter("r665_immigrant_categories", r.on) or ()
    purposes = r.ref.parameter("r665_immigrant_purposes", r.on) or ()
    return cat.id in cats or _effective_purpose(case, cat, valid) in purposes


def _warnings(case: Case, cat: Category, valid: dict, in_grace: bool, osms: dict, coverage: list[dict],
              r: _Reasoning):
    ref, on, lang = r.ref, r.on, r.lang
    purpose = _effective_purpose(case, cat, valid)
    variant = None if _is_immigrant(case, cat, valid, r) else "other"
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
            contracts = [d for k in WORK_KINDS for d in valid.get(k, ())]
            ends = [d.valid_until for d in contracts if d.valid_until is not None]
            if ends and vms_end < max(ends):
                r.warn("vms_expires_before_contract", vms_until=_dmy(vms_end), contract_until=_dmy(max(ends)))
    if cat.temporary and flags.get("insurance_required") and not any(k in valid for k in INSURANCE_KINDS):
        r.cite(ref.purpose_basis.get("insurance_required", ()))
        r.warn("insurance_required", purpose=_in_sentence(ref.purpose_name(purpose, lang)))
    if not citizen_kz and flags.get("immigrant") and "medical_certificate_hiv_tb" not in valid:
        r.cite(ref.purpose_basis.get("immigrant", ()))
        r.warn("medical_exam_required")
    if in_grace:
        r.warn("osms_grace_period", until=_dmy(date.fromisoformat(osms["until"])))
    if case.diagnosis_icd10:
        dis = ref.disease_for(case.diagnosis_icd10, on)
        if dis is not None:
            r.listed_disease = True
            r.cite(dis.basis)
            r.say("explain.diagnosis_listed", code=case.diagnosis_icd10, disease=dis.name[lang])
            extra = r.t("tb.extra") if dis.notice == "tb" else ""
            r.warn("dangerous_disease_notice", variant, code=case.diagnosis_icd10, disease=dis.name[lang],
                   extra=extra, icd10=case.diagnosis_icd10)
        else:
            r.say("explain.diagnosis_not_listed", code=case.diagnosis_icd10)
        if not citizen_kz and ref.code_in(case.diagnosis_icd10, "hiv_investigation_icd10", on):
            # R665 p.14 sp.3 for an immigrant, order ҚР ДСМ-231/2020 for others (rules.md 9.5);
            # HIV gives no free care by itself
            r.warn("hiv_investigation", variant, code=case.diagnosis_icd10, icd10=case.diagnosis_icd10)


def _care(case: Case, cat: Category, coverage: list[dict], valid: dict, r: _Reasoning) -> dict | None:
    """The answer to today's need (interface.md `care`; rules.md 9.1): free under which scheme,
    or paid how. None when the need is attachment."""
    need = case.needs
    if need == "attachment":
        return None
    ref, on = r.ref, r.on
    by = {(c["scheme"], c["scope"]): c for c in coverage}
    listed = r.listed_disease
    need_words = r.t(f"need.{need}" if ref.has_text(f"need.{need}") else "need.planned")
    residents, rbasis = ref.parameter_entry("gobmp_phc_categories", on)
    resident = cat.id in (residents or ())
    gobmp_full = by.get(("GOBMP", "full"))
    if residents is None and gobmp_full is not None:
        # a release (or a date) without the rules of revision 3: the ГОБМП package answers all
        r.say("explain.care.free", need=need_words, item=_coverage_words(gobmp_full, r))
        return {"need": need, "free": True, "scheme": "GOBMP", "scope": "full", "payment": None,
                "basis": list(gobmp_full["basis"])}

    def answer(entry, free, payment=None, basis=None):
        paid_line = entry is None or entry["scheme"] == "PAID"
        return {"need": need, "free": free, "scheme": "PAID" if paid_line else entry["scheme"],
                "scope": None if paid_line else entry["scope"], "payment": payment,
                "basis": list(basis if basis is not None else entry["basis"])}

    def free(entry):
        r.say("explain.care.free", need=need_words, item=_coverage_words(entry, r))
        return answer(entry, True)

    if need == "emergency":
        for key in (("GOBMP", "full"),) + ((("GOBMP", "dangerous_diseases"),) if listed else ()) \
                + (("GOBMP", "emergency"),):
            if key in by:
                if key == ("GOBMP", "emergency"):
                    r.say("explain.needs.emergency")
                return free(by[key])
    elif listed and (by.get(("GOBMP", "dangerous_diseases")) or gobmp_full):
        # a diagnosis on the dangerous-disease list: free under ГОБМП for everyone
        return free(by.get(("GOBMP", "dangerous_diseases")) or gobmp_full)
    elif resident and gobmp_full is not None and need in ("phc", "diagnosis"):
        _, sbasis = ref.parameter_entry("gobmp_specialised_icd10", on)
        if need == "diagnosis" and case.diagnosis_icd10 and ref.code_in(case.diagnosis_icd10,
                                                                        "gobmp_specialised_icd10", on):
            r.cite(sbasis)
            r.say("explain.care.hiv_tb_gobmp", code=case.diagnosis_icd10)
        else:
            r.cite(rbasis)
            r.say("explain.care.phc_gobmp")
        return free(gobmp_full)
    insurance = [c for c in coverage if c["scheme"] in ("DMS", "VMS")]
    osms = by.get(("OSMS", "full"))
    if resident and osms is not None and need != "emergency":
        # planned specialised care of the four citizen-like categories is in the ОСМС package
        r.say("explain.care.osms_package")
        if osms.get("active") is False and not insurance:
            basis = list(dict.fromkeys(osms["basis"] + list(rbasis)))
            r.cite(basis)
            r.say("explain.care.planned_uninsured", need=need_words)
            return answer(None, False, "price_list", basis)
    if osms is not None and osms.get("active") is True:
        return free(osms)
    if osms is not None and osms.get("active") is None:
        r.say("explain.care.osms_unknown", need=need_words)
        return answer(osms, None)
    special = by.get(("GOBMP", "special_list"))
    if special is not None:
        r.say("explain.care.special_list", need=need_words)
        return answer(special, None)
    treaty = next((c for c in coverage if c.get("payment") == "guarantee_or_prepayment"), None)
    paid = by.get(("PAID", "planned"))
    if insurance:
        payment, basis = "insurance", [b for c in insurance for b in c["basis"]]
    elif treaty is not None and need != "emergency":
        payment = "guarantee_letter" if "guarantee_letter" in valid else "prepayment"
        basis = treaty["basis"]
    else:
        payment, basis = "price_list", (paid["basis"] if paid else [])
    r.cite(basis)
    r.say("explain.care.paid", need=need_words, payment=r.t(f"care.payment.{payment}"))
    return answer(insurance[0] if insurance else paid, False, payment, basis)


def _drop_acts(data, drop: set):
    """Remove the act ids in `drop` from every `basis` list of the decision (rev. 3, rules.md
    9.6: acts that do not apply to the category, such as R665 for a citizen)."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k in ("basis", "category_basis") and isinstance(v, list):
                data[k] = [b for b in v if not (isinstance(b, str) and b in drop)]
            else:
                _drop_acts(v, drop)
    elif isinstance(data, list):
        for v in data:
            _drop_acts(v, drop)


def _basis_entries(ref: RefData, ids, lang: str) -> list[dict]:
    cache = ref.basis_cache
    out = []
    for b in ids:
        entry = cache.get((b, lang))
        out.append(dict(entry) if entry is not None else ref.basis_entry(b, lang))
    return out


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
    coverage = _coverage(case, cat, valid, osms["insured"], r)
    _warnings(case, cat, valid, in_grace, osms, coverage, r)
    care = _care(case, cat, coverage, valid, r)
    # rules.md 9.1: a need answered by prepayment always carries the warning; a free one never
    if care is not None and care["payment"] == "prepayment":
        r.warn("prepayment_required")
    elif care is not None and care["payment"] == "guarantee_letter":
        r.say("explain.needs.guarantee")
    drop = set((ref.parameter("acts_not_applicable", on) or {}).get(cat.id, ()))
    if drop:
        r.basis = {b: None for b in r.basis if b not in drop}
    data = {
        "as_of": on.isoformat(),
        "lang": lang,
        "category": cat.id,
        "category_name": cat.name[lang],
        "category_basis": list(cat.basis),
        "attachment": attachment,
        "coverage": coverage,
        "osms": osms,
        "care": care,
        "warnings": r.warnings,
        "input_notes": case.input_notes,
        "basis": _basis_entries(ref, r.basis, lang),
        "explanation": r.explanation,
        "reference": {"version": ref.version, "valid_from": iso(ref.valid_from),
                      "valid_until": iso(ref.valid_until)},
    }
    if drop:
        _drop_acts(data, drop)
    return Decision(data=data, category=cat.id, status=attachment["status"])
