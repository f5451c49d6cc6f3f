"""The reports of the head registrar, each one definition (spec.py): the day's journal, the
period's summary, paid services, lapsing bases and the registrars' work.

Each `*_facts` function is the report's one query over the registry, written for SQLite and
PostgreSQL alike (the few differences are in `_json_*`), returning one fact a row; grouping,
counts and totals are the engine's, the same on both backends. Decisions are counted as they
were taken: the stored category and attachment status, the stored channels and schemes, the
reference-data version stored with each decision — nothing is decided again.

An application (summary) is a patient's last decision of a day: saving the same card again on
the same day corrects that day's application, it is not a second one. The journal lists every
decision.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from .spec import DATE, DATETIME, INT, MONEY, TEXT, Dim, Measure, Param, Report, Section

# --- vocabularies (codes of the stored decisions, named for people) ---------------------------
STATUS = {"allowed": ("прикрепление разрешено", "тіркелуге рұқсат етілді"),
          "needs_documents": ("нужны документы", "құжаттар қажет"),
          "not_allowed": ("отказ", "бас тарту")}
SEX = {"male": ("мужской", "ер"), "female": ("женский", "әйел"),
       None: ("не указан", "көрсетілмеген")}
CHANNEL = {"clinic": ("в поликлинике", "емханада"), "egov": ("eGov", "eGov"),
           "": ("нет", "жоқ")}
SCHEME = {"GOBMP": ("ГОБМП", "ТМККК"), "OSMS": ("ОСМС", "МӘМС"), "VMS": ("ВМС", "ЕМС"),
          "DMS": ("ДМС", "ЕМС (ерікті)"), "PAID": ("платно", "ақылы")}
GROUND = {"documents_incomplete": ("документы или сведения неполные или недостоверные",
                                   "құжаттар немесе мәліметтер толық емес немесе дұрыс емес"),
          "requirements_not_met": ("пациент не отвечает требованиям правил",
                                   "пациент қағидалар талаптарына сай емес")}
BANDS = ((0, 4), (5, 14), (15, 17), (18, 39), (40, 59), (60, None))
ENDS = {"osms": ("статус ОСМС", "МӘМС мәртебесі")}
ACTION = {"create": "card", "update": "card", "decide": "decision", "print": "print"}


def _joined(codes, vocab):
    """A label function for codes joined with '+' (channels, schemes)."""
    def label(code, lang, ref=None):
        i = 0 if lang == "ru" else 1
        parts = [p for p in str(code or "").split("+") if p]
        if not parts:
            return vocab.get("", ("—", "—"))[i]
        return ", ".join(vocab.get(p, (p, p))[i] for p in parts)
    return label


def band(low, high) -> str:
    return f"{low}+" if high is None else f"{low}-{high}"


def age_on(birth: str | None, on: str | None) -> int | None:
    if not birth or not on:
        return None
    b, d = date.fromisoformat(birth[:10]), date.fromisoformat(on[:10])
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def age_band(age: int | None) -> str | None:
    if age is None or age < 0:
        return None
    for low, high in BANDS:
        if high is None or age <= high:
            return band(low, high)
    return None


# --- the dialects ------------------------------------------------------------------------------
def _json_text(dialect: str, column: str, *path: str) -> str:
    if dialect == "postgresql":
        return f"({column}::json #>> '{{{','.join(path)}}}')"
    return f"json_extract({column}, '$.{'.'.join(path)}')"


def _json_joined(dialect: str, column: str, *path: str) -> str:
    """The array at `path` as text, its items sorted and joined with '+' ('' when empty)."""
    if dialect == "postgresql":
        arr = f"({column}::json #> '{{{','.join(path)}}}')"
        return (f"(CASE WHEN json_typeof({arr}) = 'array' THEN (SELECT string_agg(v, '+' "
                f"ORDER BY v) FROM json_array_elements_text({arr}) v) END)")
    return (f"(SELECT group_concat(value, '+') FROM (SELECT value FROM "
            f"json_each({column}, '$.{'.'.join(path)}') ORDER BY value))")


def _range(start: date, end: date) -> dict:
    """Timestamps are ISO text with their offset: the period [start, end] is a text range."""
    return {"start": start.isoformat(), "end": (end + timedelta(days=1)).isoformat()}


def _name(surname, given, patronymic) -> str:
    return " ".join(p for p in (surname, given, patronymic) if p)


# --- facts -------------------------------------------------------------------------------------
def application_facts(connection, dialect, start, end, registry=None) -> list[dict]:
    """One fact a decision in the period, with the patient's sex, birth date, citizenship;
    then only each patient's last decision of each day (an application)."""
    channels = _json_joined(dialect, "d.decision_json", "attachment", "channels")
    sql = sa.text(f"""
        SELECT d.id, d.patient_id, d.taken_at, d.as_of, d.category, d.attachment_status,
               d.reference_version, {channels} AS channels, p.sex, p.birth_date, p.citizenship
        FROM decision d JOIN patient p ON p.id = d.patient_id
        WHERE d.taken_at >= :start AND d.taken_at < :end""")
    last: dict[tuple, dict] = {}
    for (did, pid, taken, as_of, category, status, version, chan, sex, birth,
         citizenship) in connection.execute(sql, _range(start, end)):
        day = taken[:10]
        key = (pid, day)
        prior = last.get(key)
        if prior is not None and (prior["taken_at"], prior["decision_id"]) > (taken, did):
            continue
        age = age_on(birth, as_of or day)
        last[key] = {"decision_id": did, "patient_id": pid, "taken_at": taken, "day": day,
                     "category": category, "status": status, "reference_version": version,
                     "channels": chan or "", "sex": sex if sex in ("male", "female") else None,
                     "age": age, "band": age_band(age), "citizenship": citizenship,
                     "foreign": citizenship != "KZ",
                     "ground": {"needs_documents": "documents_incomplete",
                                "not_allowed": "requirements_not_met"}.get(status)}
    return sorted(last.values(), key=lambda f: (f["taken_at"], f["decision_id"]))


def journal_facts(connection, dialect, start, end, registry=None) -> list[dict]:
    """Every decision of the day with its patient and the documents printed for that patient
    that day (each printout beside the patient's decision it followed)."""
    rng = _range(start, end)
    rows = connection.execute(sa.text("""
        SELECT d.id, d.patient_id, d.taken_at, d.user, d.category, d.attachment_status,
               d.reference_version, d.decision_json, p.surname, p.given_name, p.patronymic,
               p.iin, p.birth_date
        FROM decision d JOIN patient p ON p.id = d.patient_id
        WHERE d.taken_at >= :start AND d.taken_at < :end
        ORDER BY d.taken_at, d.id"""), rng).all()
    facts, by_patient = [], {}
    for (did, pid, taken, user, category, status, version, decision_json, surname, given,
         patronymic, iin, birth) in rows:
        decision = json.loads(decision_json)
        attachment = decision.get("attachment") or {}
        schemes = sorted({c.get("scheme") for c in decision.get("coverage") or [] if c.get("scheme")})
        fact = {"decision_id": did, "patient_id": pid, "time": datetime.fromisoformat(taken),
                "taken_at": taken, "patient": _name(surname, given, patronymic), "iin": iin,
                "birth_date": date.fromisoformat(birth) if birth else None,
                "category": category, "status": status,
                "schemes": "+".join(schemes),
                "channels": "+".join(sorted(attachment.get("channels") or [])),
                "documents": "", "printed": 0, "user": user, "reference_version": version}
        facts.append(fact)
        by_patient.setdefault(pid, []).append(fact)
    for pid, kind, number, created in connection.execute(sa.text("""
            SELECT patient_id, kind, number, created_at FROM printed_document
            WHERE created_at >= :start AND created_at < :end AND patient_id IS NOT NULL
            ORDER BY created_at, id"""), rng):
        mine = by_patient.get(pid)
        if not mine:
            continue
        before = [f for f in mine if f["taken_at"] <= created]
        target = before[-1] if before else mine[0]
        target["documents"] = ", ".join(filter(None, (target["documents"], f"{kind} № {number}")))
        target["printed"] += 1
    return facts


def paid_facts(connection, dialect, start, end, registry=None) -> list[dict]:
    """One fact a service line of each estimate printed in the period, from the audit entry
    written with the printout (its lines, prices and the patient's category as printed)."""
    rows = connection.execute(sa.text("""
        SELECT a.object, a.details, a.at FROM audit_log a
        WHERE a.action = 'print' AND a.at >= :start AND a.at < :end
          AND a.details LIKE '%"kind": "estimate"%'
        ORDER BY a.id"""), _range(start, end)).all()
    facts = []
    for obj, details_json, at in rows:
        details = json.loads(details_json)
        if details.get("kind") != "estimate":
            continue
        base = {"number": obj.removeprefix("printed:"), "patient_id": details.get("patient"),
                "category": details.get("category"), "day": at[:10],
                "reference_version": details.get("reference_version")}
        lines = details.get("lines")
        if not lines:  # printed before estimates recorded their lines
            facts.append({**base, "code": None, "name_ru": None, "name_kk": None,
                          "quantity": None, "amount": None})
            continue
        for line in lines:
            facts.append({**base, "code": line.get("code"), "name_ru": line.get("name_ru"),
                          "name_kk": line.get("name_kk"), "quantity": Decimal(str(line["quantity"])),
                          "amount": Decimal(str(line["amount"]))})
    return facts


def lapsing_facts(connection, dialect, start, end, registry=None) -> list[dict]:
    """The worklist (the call list of the desk) from `start` to `end`: the same query."""
    items = registry.worklist(start, (end - start).days)
    return [{"patient_id": i.patient_id, "patient": i.name, "iin": i.iin, "phone": i.phone,
             "ends": i.ends, "until": i.until} for i in items]


def registrar_facts(connection, dialect, start, end, registry=None) -> list[dict]:
    """One fact an audit entry of the period that is a card saved, a decision or a printout."""
    rows = connection.execute(sa.text("""
        SELECT a.user, a.at, a.action, a.object, a.details, u.full_name
        FROM audit_log a LEFT JOIN app_user u ON u.login = a.user
        WHERE a.at >= :start AND a.at < :end
          AND (a.action IN ('decide', 'print')
               OR (a.action IN ('create', 'update') AND a.object LIKE 'patient:%'))
        ORDER BY a.id"""), _range(start, end)).all()
    facts = []
    for user, at, action, obj, details_json, full_name in rows:
        if obj.startswith("patient:"):
            pid = int(obj.split(":", 1)[1])
        else:
            try:
                pid = json.loads(details_json).get("patient")
            except ValueError:
                pid = None
        facts.append({"user": user, "full_name": full_name or user, "day": date.fromisoformat(at[:10]),
                      "action": ACTION[action], "new": action == "create", "patient_id": pid})
    return facts


# --- the definitions ---------------------------------------------------------------------------
DAY = (Param("on", "день", "күн"),)
PERIOD = (Param("from", "с", "бастап"), Param("to", "по", "дейін"))


def _is(key, value):
    return lambda f: f.get(key) == value


CATEGORY = Dim("category", "категория", "санат", labels="category")
CHANNELS = Dim("channels", "канал", "арна", labels=_joined(None, CHANNEL))
RESULTS = (Measure("allowed", "разрешено", "рұқсат етілді", _is("status", "allowed")),
           Measure("needs_documents", "нужны документы", "құжаттар қажет",
                   _is("status", "needs_documents")),
           Measure("not_allowed", "отказ", "бас тарту", _is("status", "not_allowed")),
           Measure("total", "всего", "барлығы"))

JOURNAL = Report(
    name="journal", ru="Журнал приёма за день", kk="Күндік қабылдау журналы",
    params=DAY, facts=journal_facts, role="registrar", wide=True,
    note_ru="Каждое решение дня, как оно было принято; документы — напечатанные пациенту в этот день.",
    note_kk="Күннің әр шешімі қабылданған күйінде; құжаттар — пациентке сол күні басылғандар.",
    sections=(Section(
        "journal", "Журнал приёма", "Қабылдау журналы", group=False,
        dims=(Dim("time", "время", "уақыты", DATETIME),
              Dim("patient", "пациент", "пациент"),
              Dim("iin", "ИИН", "ЖСН"),
              CATEGORY,
              Dim("status", "результат", "нәтиже", labels=STATUS),
              Dim("schemes", "схемы помощи", "көмек схемалары", labels=_joined(None, SCHEME)),
              CHANNELS,
              Dim("documents", "документы (№)", "құжаттар (№)"),
              Dim("user", "регистратор", "тіркеуші")),
        measures=(Measure("decisions", "решений", "шешімдер"),
                  Measure("patients", "пациентов", "пациенттер", distinct="patient_id"),
                  *RESULTS[:3],
                  Measure("printed", "документов напечатано", "басылған құжаттар", sum="printed")),
        order=lambda r: (r["time"],)),))

SUMMARY = Report(
    name="summary", ru="Итоги за период", kk="Кезең қорытындысы",
    params=PERIOD, facts=application_facts, wide=True,
    note_ru="Обращение — последнее решение по пациенту за день; решения учтены такими, какими они были приняты.",
    note_kk="Өтініш — пациент бойынша күннің соңғы шешімі; шешімдер қабылданған күйінде есептелді.",
    sections=(
        Section("results", "Обращения по категориям, результату и каналу",
                "Санаттар, нәтиже және арна бойынша өтініштер",
                dims=(CATEGORY, CHANNELS), measures=RESULTS,
                chart="bars", chart_measures=("allowed", "needs_documents", "not_allowed")),
        Section("age", "По полу и возрасту", "Жынысы мен жасы бойынша",
                dims=(Dim("sex", "пол", "жынысы", labels=SEX),),
                measures=tuple(Measure(band(lo, hi), band(lo, hi), band(lo, hi),
                                       _is("band", band(lo, hi))) for lo, hi in BANDS)
                + (Measure("unknown_age", "возраст неизвестен", "жасы белгісіз", _is("band", None)),
                   Measure("total", "всего", "барлығы"))),
        Section("foreigners", "Иностранцы и лица без гражданства по гражданству",
                "Шетелдіктер мен азаматтығы жоқ адамдар азаматтығы бойынша",
                dims=(Dim("citizenship", "гражданство", "азаматтығы", labels="country"),),
                measures=RESULTS, where=lambda f: f["foreign"]),
        Section("grounds", "Отказы по основаниям", "Бас тартулар негіздері бойынша",
                dims=(Dim("ground", "основание", "негізі", labels=GROUND), CATEGORY),
                measures=(Measure("count", "обращений", "өтініштер"),
                          Measure("patients", "пациентов", "пациенттер", distinct="patient_id")),
                where=lambda f: f["ground"] is not None),
        Section("days", "Обращения по дням", "Күндер бойынша өтініштер",
                dims=(Dim("day", "дата", "күні", DATE, value=lambda f: date.fromisoformat(f["day"])),),
                measures=RESULTS, chart="line", chart_measures=("total",)),
    ))

PAID = Report(
    name="paid-services", ru="Платные услуги за период", kk="Кезеңдегі ақылы қызметтер",
    params=PERIOD, facts=paid_facts,
    note_ru="Сметы, напечатанные за период, по ценам, стоявшим в смете.",
    note_kk="Кезеңде басылған сметалар, сметадағы бағалармен.",
    extra={"vocab": {"service": ("code", "name_ru", "name_kk")}},
    sections=(
        Section("services", "По услугам", "Қызметтер бойынша",
                dims=(Dim("code", "код", "коды"),
                      Dim("service", "услуга", "қызмет", field="code", labels="service")),
                measures=(Measure("estimates", "смет", "сметалар", distinct="number"),
                          Measure("quantity", "количество", "саны", sum="quantity", type=MONEY),
                          Measure("amount", "сумма, тг", "сомасы, теңге", sum="amount", type=MONEY))),
        Section("categories", "По категориям пациентов", "Пациенттер санаттары бойынша",
                dims=(CATEGORY,),
                measures=(Measure("estimates", "смет", "сметалар", distinct="number"),
                          Measure("patients", "пациентов", "пациенттер", distinct="patient_id"),
                          Measure("amount", "сумма, тг", "сомасы, теңге", sum="amount", type=MONEY))),
    ))

LAPSING = Report(
    name="lapsing", ru="Истекающие основания", kk="Мерзімі өтетін негіздер",
    params=PERIOD, facts=lapsing_facts, role="registrar", versions_field=None,
    note_ru="Пациенты, у которых договор, вид на жительство или статус ОСМС кончается в периоде (список обзвона).",
    note_kk="Шарты, тұруға ықтиярхаты немесе МӘМС мәртебесі кезеңде аяқталатын пациенттер (қоңырау тізімі).",
    sections=(
        Section("worklist", "Список обзвона", "Қоңырау тізімі", group=False,
                dims=(Dim("until", "истекает", "мерзімі бітеді", DATE),
                      Dim("patient", "пациент", "пациент"),
                      Dim("iin", "ИИН", "ЖСН"),
                      Dim("phone", "телефон", "телефоны"),
                      Dim("ends", "основание", "негізі", labels="document")),
                measures=(Measure("count", "строк", "жолдар"),
                          Measure("patients", "пациентов", "пациенттер", distinct="patient_id")),
                order=lambda r: (r["until"], r["patient"])),
        Section("by_basis", "По основаниям", "Негіздер бойынша",
                dims=(Dim("ends", "основание", "негізі", labels="document"),),
                measures=(Measure("count", "истекает", "мерзімі бітеді"),)),
    ))

REGISTRARS = Report(
    name="registrars", ru="Работа регистраторов", kk="Тіркеушілердің жұмысы",
    params=PERIOD, facts=registrar_facts, versions_field=None,
    note_ru="По журналу аудита: карты, решения и распечатки каждого пользователя за каждый день.",
    note_kk="Аудит журналы бойынша: әр пайдаланушының әр күнгі карталары, шешімдері және басылымдары.",
    sections=(Section(
        "work", "По пользователям и дням", "Пайдаланушылар мен күндер бойынша",
        dims=(Dim("user", "логин", "логин"), Dim("full_name", "пользователь", "пайдаланушы"),
              Dim("day", "дата", "күні", DATE)),
        measures=(Measure("patients", "пациентов", "пациенттер", distinct="patient_id"),
                  Measure("new_cards", "новых карт", "жаңа карталар", _is("new", True)),
                  Measure("decisions", "решений", "шешімдер", _is("action", "decision")),
                  Measure("printouts", "распечаток", "басылымдар", _is("action", "print")))),))

REPORTS = {r.name: r for r in (JOURNAL, SUMMARY, PAID, LAPSING, REGISTRARS)}
