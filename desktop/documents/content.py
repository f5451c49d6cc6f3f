"""What each document prints, as plain data (the "content model").

The content model is a JSON-able dict: document kind, language, number, date, reference
version, title and a list of blocks (title, headings, field rows, paragraphs, lists, the
estimate table, signature lines). The PDF is drawn from it and nothing else, and its
canonical JSON is what the QR code's SHA-256 covers, so a re-print can be checked by
rebuilding the model from the same inputs.

No Qt, no clock, no globals: dates come in as arguments, legal texts from ``ref.text``.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation, ROUND_HALF_UP
from typing import Any, Iterable

from desktop.core.case import ATTACHMENT_CHANNELS, default_urgency
from desktop.documents.labels import labels
from desktop.documents.words import amount_in_words, format_money, format_quantity

KINDS = ("slip", "refusal", "referral", "estimate")

# Fallback when the reference data has no parameter "estimate_validity_days".
DEFAULT_ESTIMATE_VALID_DAYS = 10
_CENT = Decimal("0.01")
_IDENTITY_KINDS = ("id_card_kz", "passport_kz", "passport", "residence_permit",
                   "stateless_certificate", "kandas_certificate", "refugee_certificate",
                   "asylum_seeker_certificate", "birth_certificate")
_EXAM_PARAMETER = "immigrant_exam_services"
_VALIDITY_PARAMETER = "estimate_validity_days"


@dataclass(frozen=True)
class EstimateLine:
    """One priced line of an estimate (money in Decimal)."""
    code: str
    name: str
    unit: str
    quantity: Decimal
    price: Decimal
    amount: Decimal


# ----------------------------------------------------------------------------- helpers

def fmt_date(d: date | str | None) -> str:
    if d is None or d == "":
        return ""
    if isinstance(d, str):
        try:
            d = date.fromisoformat(d)
        except ValueError:
            return d
    return d.strftime("%d.%m.%Y")


def canonical_json(model: dict) -> str:
    return json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def hash_model(model: dict) -> str:
    return hashlib.sha256(canonical_json(model).encode("utf-8")).hexdigest()


def _text(ref, key: str, lang: str, on: date, optional: bool = False) -> str | None:
    """A legal text from the reference data; ``optional`` ones may be absent on the date."""
    try:
        value = ref.text(key, lang, on)
    except (LookupError, ValueError):
        if optional:
            return None
        raise ValueError(f"reference data has no text {key!r} ({lang}) in force on {on.isoformat()}")
    if not value:
        if optional:
            return None
        raise ValueError(f"reference data has no text {key!r} ({lang}) in force on {on.isoformat()}")
    return value


def _cite(ref, basis_id: str, lang: str) -> str:
    e = ref.basis_entry(basis_id, lang)
    if isinstance(e, dict):
        act, article = e.get("act", ""), e.get("article", "")
    else:
        act, article = getattr(e, "act", ""), getattr(e, "article", "")
    return f"{act}, {article}" if article else str(act)


def _cites(ref, ids: Iterable[str], lang: str) -> list[str]:
    out: list[str] = []
    for i in ids or ():
        c = _cite(ref, i, lang)
        if c not in out:
            out.append(c)
    return out


def _cites_by_act(ref, ids: Iterable[str], lang: str) -> list[str]:
    """Citations grouped by act: "Act: art. 1; art. 2", one line per act, in first-cited order."""
    acts: dict[str, list[str]] = {}
    for i in ids or ():
        e = ref.basis_entry(i, lang)
        get = e.get if isinstance(e, dict) else (lambda k, _e=e: getattr(_e, k, ""))
        act, article = str(get("act") or ""), str(get("article") or "")
        articles = acts.setdefault(act, [])
        if article and article not in articles:
            articles.append(article)
    return [f"{act}: {'; '.join(arts)}" if arts else act for act, arts in acts.items()]


def _channel_used(case: dict, att: dict) -> str | None:
    """The channel the attachment was made through (case.attachment_channel, "clinic" or
    "egov"); a printed application is filed at the clinic unless the card says egov."""
    used = case.get("attachment_channel")
    if used is not None and used not in ATTACHMENT_CHANNELS:
        raise ValueError(f"attachment_channel must be one of {', '.join(ATTACHMENT_CHANNELS)}, got {used!r}")
    allowed = att.get("channels") or []
    used = used or "clinic"
    return used if not allowed or used in allowed else None


def _full_name(person: dict) -> str:
    parts = [person.get("surname"), person.get("given_name"), person.get("patronymic")]
    return " ".join(p for p in parts if p)


def _age_on(birth: str | None, on: date) -> int | None:
    if not birth:
        return None
    try:
        b = date.fromisoformat(birth)
    except ValueError:
        return None
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def _country(ref, code: str | None, lang: str, L: dict) -> str:
    if not code:
        return L["stateless"]
    try:
        return ref.country_name(code, lang) or code
    except (LookupError, ValueError):
        return code


def _kind_name(ref, kind: str, lang: str) -> str:
    try:
        return ref.document_kind_name(kind, lang) or kind
    except (LookupError, ValueError):
        return kind


def _identity(ref, case: dict, lang: str, L: dict) -> str:
    docs = [d for d in case.get("documents") or [] if isinstance(d, dict)]
    for kind in _IDENTITY_KINDS:
        for d in docs:
            if d.get("kind") == kind:
                s = _kind_name(ref, kind, lang)
                if d.get("number"):
                    s += f" {L['doc_number']} {d['number']}"
                if d.get("valid_until"):
                    s += f", {L['doc_valid_until']} {fmt_date(d['valid_until'])}"
                return s
    return ""


def _coverage_lines(ref, decision: dict, lang: str, L: dict, with_basis: bool = True) -> list:
    out = []
    for c in decision.get("coverage") or []:
        scheme = L.get(f"scheme.{c.get('scheme')}", c.get("scheme", ""))
        scope = L.get(f"scope.{c.get('scope')}", c.get("scope", ""))
        s = f"{scheme} — {scope}"
        if c.get("scheme") == "OSMS" or "active" in c:
            a = c.get("active")
            s += f" ({L['osms.active.true' if a is True else 'osms.active.false' if a is False else 'osms.active.none']})"
        if with_basis and c.get("basis"):
            out.append({"text": s, "note": f"{L['basis_short']}: " + "; ".join(_cites(ref, c["basis"], lang))})
        else:
            out.append(s)
    return out


def _person_rows(ref, case: dict, decision: dict | None, lang: str, L: dict,
                 contact: bool = True) -> list[list[str]]:
    p = case.get("person") or {}
    rows = [[L["full_name"], _full_name(p)]]
    if p.get("latin_name"):
        rows.append([L["latin_name"], p["latin_name"]])
    rows += [
        [L["iin"], p.get("iin") or ""],
        [L["birth_date"], fmt_date(p.get("birth_date"))],
        [L["sex"], L.get(f"sex.{p.get('sex')}", p.get("sex") or "")],
        [L["citizenship"], _country(ref, p.get("citizenship"), lang, L)],
    ]
    if decision and decision.get("category"):
        try:
            cat = ref.category_name(decision["category"], lang) or decision["category"]
        except (LookupError, ValueError):
            cat = decision["category"]
        rows.append([L["category"], cat])
    rows.append([L["identity_document"], _identity(ref, case, lang, L)])
    if contact:
        rows += [[L["address"], p.get("address") or ""], [L["phone"], p.get("phone") or ""]]
    return rows


def _clinic_rows(clinic: dict, L: dict) -> list[list[str]]:
    return [[L["clinic"], clinic.get("name", "")], [L["bin"], clinic.get("bin") or ""],
            [L["address"], clinic.get("address") or ""]]


def _warnings(decision: dict) -> set[str]:
    return {w.get("code") for w in decision.get("warnings") or [] if isinstance(w, dict)}


# ----------------------------------------------------------------------------- input checks

def _check_common(kind, case, decision, ref, clinic, number, on, lang) -> dict:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}: expected one of {', '.join(KINDS)}")
    labels(lang)  # raises for an unknown language
    if not isinstance(case, dict):
        raise ValueError("case must be a dict (the case JSON)")
    if not isinstance(case.get("person"), dict):
        raise ValueError("case.person is missing")
    if hasattr(decision, "to_dict"):
        decision = decision.to_dict()
    if not isinstance(decision, dict):
        raise ValueError("decision must be a dict (Decision.to_dict())")
    if decision.get("lang") not in (None, lang):
        raise ValueError(f"decision was made in {decision['lang']!r}, document requested in {lang!r}")
    if not isinstance(clinic, dict) or not clinic.get("name"):
        raise ValueError("clinic must be a dict with at least 'name' (and 'bin', 'address', 'head')")
    if not isinstance(number, str) or not number.strip():
        raise ValueError("document number must be a non-empty string")
    if isinstance(on, datetime) or not isinstance(on, date):
        raise ValueError(f"on must be a datetime.date, got {type(on).__name__}")
    rv = (decision.get("reference") or {}).get("version")
    if rv and rv != ref.version:
        raise ValueError(f"decision was made with reference data {rv!r}, but printing with {ref.version!r}")
    return decision


def _to_quantity(q: Any, where: str) -> Decimal:
    if isinstance(q, bool) or isinstance(q, float):
        raise ValueError(f"{where}: quantity must be an int or Decimal, not {type(q).__name__}")
    try:
        d = Decimal(q) if isinstance(q, (int, str)) else q
    except InvalidOperation:
        raise ValueError(f"{where}: quantity {q!r} is not a number") from None
    if not isinstance(d, Decimal) or not d.is_finite():
        raise ValueError(f"{where}: quantity {q!r} is not a number")
    if d <= 0:
        raise ValueError(f"{where}: quantity must be greater than zero, got {q}")
    return d


def _unit(item, lang: str) -> str:
    """PriceItem.unit(lang) of the core, or unit_ru/unit_kk, or a plain ``unit`` string."""
    u = getattr(item, "unit", None)
    if callable(u):
        return u(lang) or ""
    own = getattr(item, f"unit_{lang}", None) or getattr(item, "unit_ru", None)
    return own or u or ""


def price_lines(ref, on: date, lines, lang: str) -> list[EstimateLine]:
    """Price ``lines`` ((code | PriceItem, quantity) pairs) from the list in force on ``on``."""
    if not lines:
        raise ValueError("estimate needs at least one service line")
    prices = None
    out = []
    for i, line in enumerate(lines, 1):
        where = f"estimate line {i}"
        try:
            item, qty = line
        except (TypeError, ValueError):
            raise ValueError(f"{where}: expected a (code, quantity) pair, got {line!r}") from None
        if isinstance(item, str):
            if prices is None:
                prices = {p.code: p for p in ref.prices_on(on)}
            if item not in prices:
                raise ValueError(f"{where}: unknown price code {item!r} (not in the price list in force on {on.isoformat()})")
            item = prices[item]
        for attr in ("code", "name_ru", "name_kk", "price"):
            if not hasattr(item, attr):
                raise ValueError(f"{where}: a price item needs {attr!r}")
        if not isinstance(item.price, Decimal) or not item.price.is_finite() or item.price < 0:
            raise ValueError(f"{where}: price of {item.code!r} must be a non-negative Decimal, got {item.price!r}")
        q = _to_quantity(qty, where)
        amount = (item.price * q).quantize(_CENT, rounding=ROUND_HALF_UP)
        name = item.name_kk if lang == "kk" else item.name_ru
        out.append(EstimateLine(item.code, name or item.name_ru, _unit(item, lang), q, item.price, amount))
    return out


def exam_lines(ref, on: date) -> list[tuple[str, int]]:
    """The R665 p.13 immigrant exam (fluorography, HIV test, treponemal syphilis test) as lines."""
    codes = ref.parameter(_EXAM_PARAMETER, on)
    if not codes:
        raise ValueError(f"reference data has no {_EXAM_PARAMETER!r} on {on.isoformat()}")
    known = {p.code for p in ref.prices_on(on)}
    missing = [c for c in codes if c not in known]
    if missing:
        raise ValueError(f"exam services {missing} are not in the price list in force on {on.isoformat()}")
    return [(c, 1) for c in codes]


# ----------------------------------------------------------------------------- builders

def _base(kind, title, ref, clinic, number, on, lang) -> dict:
    return {
        "kind": kind, "lang": lang, "number": number, "date": on.isoformat(),
        "reference_version": ref.version, "clinic": clinic.get("name", ""),
        "title": title, "blocks": [],
    }


def _slip(case, decision, ref, clinic, number, on, lang, L) -> dict:
    att = decision.get("attachment") or {}
    if att.get("status") != "allowed":
        raise ValueError(f"slip is only for an allowed attachment; decision status is {att.get('status')!r} (print a refusal)")
    p = case["person"]
    m = _base("slip", L["slip.title"], ref, clinic, number, on, lang)
    b = m["blocks"]
    b.append({"t": "right", "text": L["slip.to_head"].format(clinic=clinic["name"]) +
              (f"\n{clinic['head']}" if clinic.get("head") else "")})
    b.append({"t": "title", "text": L["slip.title"]})
    rep = case.get("representative") if isinstance(case.get("representative"), dict) else None
    age = _age_on(p.get("birth_date"), on)
    child = bool(rep) or (age is not None and age < 18)
    b.append({"t": "p", "text": L["slip.request_child" if child else "slip.request_self"]})
    b.append({"t": "h", "text": L["slip.applicant"]})
    b.append({"t": "fields", "rows": _person_rows(ref, case, decision, lang, L)})
    if child:
        rep = rep or {}
        rel = rep.get("relation") or ""
        b.append({"t": "h", "text": L["slip.representative"]})
        b.append({"t": "fields", "rows": [
            [L["slip.rep_name"], rep.get("full_name") or ""],
            [L["slip.rep_relation"], L.get(f"relation.{rel}", rel)],
            [L["slip.rep_document"], rep.get("document") or ""],
        ]})
    b.append({"t": "fields", "rows": [
        [L["slip.previous_clinic"], case.get("previous_clinic") or ""],
        [L["slip.reason"], case.get("reason") or ""],
    ]})
    docs = [_kind_name(ref, k, lang) for k in att.get("required_documents") or []]
    if docs:
        b.append({"t": "h", "text": L["slip.documents"]})
        b.append({"t": "list", "items": docs, "numbered": True})
    b.append({"t": "h", "text": L["slip.consent_title"]})
    b.append({"t": "small", "text": _text(ref, "slip.consent", lang, on)})
    b.append({"t": "signatures", "rows": [
        [L["date"], fmt_date(on)],
        [L["slip.applicant_signature"], L["signature_line"]],
    ]})
    # --- the notice: its own page, handed to the patient
    b.append({"t": "newpage"})
    b.append({"t": "title", "text": f"{L['slip.notice_title']} {L['number_dated'].format(number=number, date=fmt_date(on))}"})
    b.append({"t": "fields", "rows": _clinic_rows(clinic, L)})
    b.append({"t": "p", "text": L["slip.notice_text"]})
    rows = [[L["full_name"], _full_name(p)], [L["iin"], p.get("iin") or ""]]
    identity = _identity(ref, case, lang, L)
    if identity:
        rows.append([L["identity_document"], identity])
    rows.append([L["slip.attached_on"], fmt_date(on)])
    if att.get("until"):
        rows.append([L["slip.attached_until"], fmt_date(att["until"])])
    channel = _channel_used(case, att)
    if channel:
        rows.append([L["slip.channels"], L.get(f"channel.{channel}", channel)])
    b.append({"t": "fields", "rows": rows})
    if att.get("until") and decision.get("category") in ("eaeu_worker", "eaeu_family"):
        b.append({"t": "small", "text": _text(ref, "slip.eaeu_term", lang, on)})
    cov = _coverage_lines(ref, decision, lang, L, with_basis=False)
    if cov:
        b.append({"t": "h", "text": L["slip.coverage"]})
        b.append({"t": "list", "items": cov, "numbered": False})
    ids = [e.get("id") for e in decision.get("basis") or [] if isinstance(e, dict)]
    if ids:
        b.append({"t": "h", "text": L["basis_title"]})
        b.append({"t": "list", "items": _cites_by_act(ref, ids, lang), "numbered": True, "small": True})
    b.append({"t": "signatures", "rows": [
        [L["slip.responsible"], L["signature_line"]],
        [L["stamp"], ""],
    ]})
    return m


def _refusal_ground(ref, decision: dict, lang: str, on: date) -> str | None:
    """The refusal's ground in the print language (rules.md 9.8): `attachment.refusal_ground`
    (documents | requirements) worded by the reference text refusal.ground.*, naming the
    missing documents or the rule that was not met. None for a decision without a ground."""
    att = decision.get("attachment") or {}
    ground, rule = att.get("refusal_ground"), att.get("refusal_rule") or {}
    if ground not in ("documents", "requirements"):
        return None
    template = _text(ref, f"refusal.ground.{ground}", lang, on, optional=True)
    if not template:
        return None
    if ground == "documents":
        kinds = rule.get("missing") or att.get("missing_documents") or []
        names = [_kind_name(ref, k, lang) for k in kinds]
        names = [n[0].lower() + n[1:] if len(n) > 1 and n[0].isupper() and n[1].islower() else n for n in names]
        return template.format(documents="; ".join(names))
    try:
        category = ref.category_by_id[decision.get("category")].name[lang]
    except (AttributeError, KeyError, TypeError):
        category = decision.get("category_name") or decision.get("category") or ""
    rule_words = "; ".join(_cites_by_act(ref, rule.get("basis") or att.get("basis") or [], lang))
    return template.format(category=category, rule=rule_words)


def _refusal(case, decision, ref, clinic, number, on, lang, L) -> dict:
    att = decision.get("attachment") or {}
    status = att.get("status")
    if status not in ("not_allowed", "needs_documents"):
        raise ValueError(f"refusal is only for not_allowed or needs_documents; decision status is {status!r}")
    title = L["refusal.title" if status == "not_allowed" else "refusal.title_docs"]
    m = _base("refusal", title, ref, clinic, number, on, lang)
    b = m["blocks"]
    b.append({"t": "fields", "rows": _clinic_rows(clinic, L)})
    b.append({"t": "title", "text": title})
    b.append({"t": "subtitle", "text": f"{L['number_dated'].format(number=number, date=fmt_date(on))}"})
    b.append({"t": "h", "text": L["refusal.to"]})
    b.append({"t": "fields", "rows": _person_rows(ref, case, decision, lang, L, contact=False)})
    b.append({"t": "p", "text": L[f"refusal.status_{status}"], "bold": True})
    ground = _refusal_ground(ref, decision, lang, on)
    if ground:  # rev. 3 (rules.md 9.8): the ground from the closed list, with the rule not met
        b.append({"t": "h", "text": L["refusal.ground"]})
        b.append({"t": "p", "text": ground, "bold": True})
    if status == "needs_documents":  # first: what to bring next time
        missing = [_kind_name(ref, k, lang) for k in att.get("missing_documents") or []]
        b.append({"t": "h", "text": L["refusal.missing"]})
        b.append({"t": "list", "items": missing, "numbered": True, "bold": True})
    # the grounds are the legal reasoning; the sentence naming the reference-data version is
    # not a ground (the version is printed in the header and the footer of every page)
    version = (decision.get("reference") or {}).get("version") or ref.version
    own = (att.get("refusal_rule") or {}).get("text")
    grounds = [str(x) for x in decision.get("explanation") or [] if version not in str(x) and str(x) != own]
    if grounds:
        b.append({"t": "h", "text": L["refusal.reasons"]})
        b.append({"t": "list", "items": grounds, "numbered": True})
    warn = []
    for w in decision.get("warnings") or []:
        if isinstance(w, dict) and w.get("message"):
            s = w["message"]
            if w.get("basis"):
                s += f" ({'; '.join(_cites(ref, w['basis'], lang))})"
            warn.append(s)
    if warn:
        b.append({"t": "h", "text": L["refusal.warnings"]})
        b.append({"t": "list", "items": warn, "numbered": False})
    ids = [e.get("id") for e in decision.get("basis") or [] if isinstance(e, dict)]
    if ids:
        b.append({"t": "h", "text": L["basis_title"]})
        b.append({"t": "list", "items": _cites(ref, ids, lang), "numbered": True, "small": True})
    b.append({"t": "h", "text": L["refusal.care"]})
    cov = _coverage_lines(ref, decision, lang, L)
    b.append({"t": "list", "items": cov, "numbered": False} if cov else {"t": "p", "text": L["refusal.no_care"]})
    if not any(c.get("scheme") == "GOBMP" and c.get("scope") == "full" for c in decision.get("coverage") or []):
        b.append({"t": "h", "text": L["refusal.paid"]})
        b.append({"t": "small", "text": _text(ref, "care.paid_services", lang, on)})
        # rev. 2: the CIS terms follow the treaty layer (any category), not the category
        if any(isinstance(c, dict) and c.get("payment") == "guarantee_or_prepayment"
               for c in decision.get("coverage") or []) or decision.get("category") == "cis_visitor":
            b.append({"t": "small", "text": _text(ref, "care.cis_planned", lang, on)})
    b.append({"t": "h", "text": L["refusal.appeal"]})
    b.append({"t": "small", "text": _text(ref, "refusal.appeal", lang, on)})
    b.append({"t": "signatures", "rows": [
        [L["head"] + (f" ({clinic['head']})" if clinic.get("head") else ""), L["signature_line"]],
        [L["registrar"], L["signature_line"]],
        [f"{L['refusal.received']}, {L['date']}", L["signature_line"]],
        [L["stamp"], ""],
    ]})
    return m


def _disease_name(entry, lang: str) -> str:
    for attr in (f"name_{lang}", "name"):
        v = entry.get(attr) if isinstance(entry, dict) else getattr(entry, attr, None)
        if isinstance(v, dict):
            v = v.get(lang)
        if isinstance(v, str) and v:
            return v
    return ""


def _funding(case, decision, ref, on, lang, L) -> tuple[list[str], list[str], str | None]:
    """(funding lines, basis ids, legal text) as the decision determined it."""
    cov = [c for c in decision.get("coverage") or [] if isinstance(c, dict)]
    icd = case.get("diagnosis_icd10")
    disease = ref.disease_for(icd, on) if icd else None
    gobmp_any = any(c.get("scheme") == "GOBMP" for c in cov)
    gobmp_full = any(c.get("scheme") == "GOBMP" and c.get("scope") == "full" for c in cov)
    # the dangerous-disease text (R665 p.5, ДСМ-121) is for temporarily staying foreigners; a
    # citizen or permanent resident is funded under the full ГОБМП package (rev. 2 citations)
    if disease is not None and gobmp_any and not gobmp_full:
        ids = [i for c in cov if c.get("scheme") == "GOBMP" and c.get("scope") in ("dangerous_diseases", "full")
               for i in c.get("basis") or []]
        return [L["referral.funding.free_dangerous"]], ids, _text(ref, "care.dangerous_free", lang, on)
    lines, ids = [], []
    for c in cov:
        scheme, scope = c.get("scheme"), c.get("scope")
        if scheme == "GOBMP" and scope == "full":
            lines.append(f"{L['scheme.GOBMP']} — {L['scope.full']}")
        elif scheme == "GOBMP" and scope == "emergency" and case.get("needs") == "emergency":
            lines.append(f"{L['scheme.GOBMP']} — {L['scope.emergency']}")
        elif scheme == "GOBMP" and scope == "special_list":
            lines.append(f"{L['scheme.GOBMP']} — {L['scope.special_list']}")
        elif scheme == "OSMS":
            a = c.get("active")
            if a is False:
                continue
            s = f"{L['scheme.OSMS']} — {L['scope.full']}"
            lines.append(s if a is True else f"{s} ({L['referral.funding.if_insured']})")
        elif scheme in ("VMS", "DMS"):
            lines.append(f"{L['scheme.' + scheme]} — {L['scope.' + scope] if 'scope.' + str(scope) in L else scope}")
        else:
            continue
        ids += c.get("basis") or []
    paid_text = None
    if not lines or any(c.get("scheme") == "PAID" for c in cov):
        lines.append(L["referral.funding.paid"])
        ids += [i for c in cov if c.get("scheme") == "PAID" for i in c.get("basis") or []]
        paid_text = _text(ref, "care.paid_services", lang, on)
    return lines, ids, paid_text


# rev. 2: a need other than attachment is itself a reason to refer (interface.md `care`); the
# case's own referral purpose, when given, wins
NEED_REFERRAL = {"diagnosis": ("diagnostics", "routine"), "planned": ("consultation", "routine"),
                 "phc": ("consultation", "routine"),  # rev. 3: a visit to the district doctor
                 "emergency": ("hospitalisation", "urgent")}


def _referral(case, decision, ref, clinic, number, on, lang, L) -> dict:
    r = case.get("referral")
    by_need = NEED_REFERRAL.get(case.get("needs"))
    if (not isinstance(r, dict) or not r.get("purpose")) and by_need:
        r = {**(r if isinstance(r, dict) else {}), "purpose": by_need[0]}
        r.setdefault("urgency", by_need[1])
    if not isinstance(r, dict) or not r.get("purpose"):
        raise ValueError("referral needs case.referral with a purpose (consultation, diagnostics or hospitalisation)")
    purpose = r["purpose"]
    if f"referral.purpose.{purpose}" not in L:
        raise ValueError(f"unknown referral purpose {purpose!r}: expected consultation, diagnostics or hospitalisation")
    urgency = r.get("urgency") or default_urgency(case.get("needs"))
    if f"referral.urgency.{urgency}" not in L:
        raise ValueError(f"unknown referral urgency {urgency!r}: expected routine or urgent")
    title = L["referral.title"].format(purpose=L["referral.purpose." + purpose])
    title = title[0].upper() + title[1:]
    m = _base("referral", title, ref, clinic, number, on, lang)
    b = m["blocks"]
    b.append({"t": "title", "text": title})
    b.append({"t": "subtitle", "text": f"{L['number_dated'].format(number=number, date=fmt_date(on))}"})
    b.append({"t": "h", "text": L["referral.from"]})
    b.append({"t": "fields", "rows": _clinic_rows(clinic, L)})
    b.append({"t": "h", "text": L["referral.patient"]})
    b.append({"t": "fields", "rows": _person_rows(ref, case, decision, lang, L)})
    icd = case.get("diagnosis_icd10") or ""
    b.append({"t": "fields", "rows": [
        [L["referral.diagnosis"], r.get("diagnosis_text") or ""],
        [L["referral.icd10"], icd],
        [L["referral.purpose"], L["referral.purpose." + purpose]],
        [L["referral.urgency"], L["referral.urgency." + urgency]],
    ]})
    services = [str(s) for s in r.get("services") or []]
    if services:
        b.append({"t": "h", "text": L["referral.services"]})
        b.append({"t": "list", "items": services, "numbered": True})
    lines, ids, text = _funding(case, decision, ref, on, lang, L)
    b.append({"t": "h", "text": L["referral.funding"]})
    b.append({"t": "list", "items": lines, "numbered": False, "bold": True})
    disease = ref.disease_for(icd, on) if icd else None
    if disease is not None:
        name = _disease_name(disease, lang)
        if name:
            b.append({"t": "fields", "rows": [[L["referral.disease"], name]]})
    if text:
        b.append({"t": "small", "text": text})
    cites = _cites(ref, ids, lang)
    if cites:
        b.append({"t": "list", "items": [f"{L['basis_short']}: {c}" for c in cites], "numbered": False, "small": True})
    b.append({"t": "signatures", "rows": [
        [L["referral.doctor"], L["signature_line"]],
        [L["referral.head"], L["signature_line"]],
        [L["stamp"], ""],
    ]})
    return m


def _valid_days(ref, on: date) -> int:
    try:
        v = ref.parameter(_VALIDITY_PARAMETER, on)
    except (LookupError, ValueError):
        v = None
    return int(v) if v else DEFAULT_ESTIMATE_VALID_DAYS


def _estimate(case, decision, ref, clinic, number, on, lang, L, lines) -> dict:
    warnings = _warnings(decision)
    if lines is None:
        if "medical_exam_required" not in warnings:
            raise ValueError("estimate needs service lines (code, quantity); none given")
        lines = exam_lines(ref, on)
    priced = price_lines(ref, on, lines, lang)
    total = sum((x.amount for x in priced), Decimal("0.00"))
    m = _base("estimate", L["estimate.title"], ref, clinic, number, on, lang)
    b = m["blocks"]
    b.append({"t": "title", "text": L["estimate.title"]})
    b.append({"t": "subtitle", "text": f"{L['number_dated'].format(number=number, date=fmt_date(on))}"})
    b.append({"t": "h", "text": L["estimate.executor"]})
    b.append({"t": "fields", "rows": _clinic_rows(clinic, L)})
    b.append({"t": "h", "text": L["estimate.customer"]})
    b.append({"t": "fields", "rows": _person_rows(ref, case, decision, lang, L)})
    b.append({"t": "fields", "rows": [[L["estimate.basis"], f"{L['estimate.basis_text']} {fmt_date(on)}"]]})
    rows = [[str(i), x.code, x.name, x.unit, format_quantity(x.quantity), format_money(x.price), format_money(x.amount)]
            for i, x in enumerate(priced, 1)]
    b.append({"t": "table",
              "header": [L[f"estimate.col.{c}"] for c in ("no", "code", "service", "unit", "qty", "price", "amount")],
              "rows": rows,
              "total": [L["estimate.total"], format_money(total)]})
    words = amount_in_words(total, lang)
    b.append({"t": "fields", "rows": [
        [L["estimate.total"], f"{format_money(total)} {L['estimate.tenge']}"],
        [L["estimate.total_words"], words],
        [L["estimate.valid_until"], fmt_date(on + timedelta(days=_valid_days(ref, on)))],
    ]})
    exam = None
    try:
        exam = set(ref.parameter(_EXAM_PARAMETER, on) or ())
    except (LookupError, ValueError):
        pass
    if exam and "medical_exam_required" in warnings and exam & {x.code for x in priced}:
        b.append({"t": "small", "text": _text(ref, "estimate.exam", lang, on)})
    b.append({"t": "small", "text": _text(ref, "care.paid_services", lang, on)})
    vat = _text(ref, "estimate.vat", lang, on, optional=True)
    if vat:
        b.append({"t": "small", "text": vat})
    if "prepayment_required" in warnings:
        b.append({"t": "p", "bold": True, "text":
                  f"{L['estimate.prepayment']}: {L['estimate.prepayment_amount']} {format_money(total)} "
                  f"{L['estimate.tenge']} ({words})"})
        b.append({"t": "small", "text": _text(ref, "care.cis_planned", lang, on)})
    b.append({"t": "signatures", "rows": [
        [L["estimate.executor"], L["signature_line"]],
        [L["patient_or_rep"], L["signature_line"]],
        [L["stamp"], ""],
    ]})
    m["total"] = f"{total:.2f}"
    return m


def build(kind, *, case, decision, ref, clinic, number, on, lang, lines=None) -> dict:
    """The content model of one document (see the module docstring)."""
    decision = _check_common(kind, case, decision, ref, clinic, number, on, lang)
    L = labels(lang)
    if kind != "estimate" and lines is not None:
        raise ValueError(f"lines are only for an estimate, not for {kind!r}")
    if kind == "slip":
        return _slip(case, decision, ref, clinic, number, on, lang, L)
    if kind == "refusal":
        return _refusal(case, decision, ref, clinic, number, on, lang, L)
    if kind == "referral":
        return _referral(case, decision, ref, clinic, number, on, lang, L)
    return _estimate(case, decision, ref, clinic, number, on, lang, L, lines)
