"""The reports of the head registrar, each one definition (spec.py): the day's journal, the
period's summary, paid services, lapsing bases and the registrars' work.

Each report's facts are one query over the registry (`*_sql`, grouped and counted by the
database; `*_facts` for the small ones, a day or a call list), written for SQLite and
PostgreSQL alike (the few differences are the JSON functions of `paid_sql` and
`registrar_sql`); grouping, counts and totals are the engine's, the same on both backends. Decisions are counted as they
were taken: the stored category and attachment status, the stored schemes, the channel the card named, the
reference-data version stored with each decision — nothing is decided again.

An application (summary) is a patient's last decision of a day: saving the same card again on
the same day corrects that day's application, it is not a second one. The journal lists every
decision.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from .spec import DATE, DATETIME, MONEY, Dim, Measure, Param, Report, Section, eq

# --- vocabularies (codes of the stored decisions, named for people) ---------------------------
STATUS = {"allowed": ("прикрепление разрешено", "тіркелуге рұқсат етілді"),
          "needs_documents": ("нужны документы", "құжаттар қажет"),
          "not_allowed": ("отказ", "бас тарту")}
SEX = {"male": ("мужской", "ер"), "female": ("женский", "әйел"),
       None: ("не указан", "көрсетілмеген")}
CHANNEL = {"clinic": ("в поликлинике", "емханада"), "egov": ("eGov", "eGov")}
SCHEME = {"GOBMP": ("ГОБМП", "ТМККК"), "OSMS": ("ОСМС", "МӘМС"), "VMS": ("ВМС", "ЕМС"),
          "DMS": ("ДМС", "ЕМС (ерікті)"), "PAID": ("платно", "ақылы")}
GROUND = {"documents_incomplete": ("документы или сведения неполные или недостоверные",
                                   "құжаттар немесе мәліметтер толық емес немесе дұрыс емес"),
          "requirements_not_met": ("пациент не отвечает требованиям правил",
                                   "пациент қағидалар талаптарына сай емес")}
PRINTED = {"slip": ("уведомление о прикреплении", "тіркелу туралы хабарлама"),
           "refusal": ("мотивированный отказ", "дәлелді бас тарту"),
           "referral": ("направление", "жолдама"), "estimate": ("смета", "смета")}
BANDS = ((0, 4), (5, 14), (15, 17), (18, 39), (40, 59), (60, None))
ENDS = {"osms": ("статус ОСМС", "МӘМС мәртебесі")}


def _joined(codes, vocab):
    """A label function for codes joined with '+' (channels, schemes)."""
    def label(code, lang, ref=None):
        i = 0 if lang == "ru" else 1
        parts = [p for p in str(code or "").split("+") if p]
        if not parts:
            return vocab.get("", ("—", "—"))[i]
        return ", ".join(vocab.get(p, (p, p))[i] for p in parts)
    return label


def _printed(code, lang, ref=None):
    """'slip № 2026-000125, estimate № …' with each kind named."""
    i = 0 if lang == "ru" else 1
    out = []
    for part in filter(None, str(code or "").split(", ")):
        kind, sep, number = part.partition(" № ")
        out.append(f"{PRINTED.get(kind, (kind, kind))[i]}{sep}{number}")
    return ", ".join(out)


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


def _range(start: date, end: date) -> dict:
    """Timestamps are ISO text with their offset: the period [start, end] is a text range."""
    return {"start": start.isoformat(), "end": (end + timedelta(days=1)).isoformat()}


def _name(surname, given, patronymic) -> str:
    return " ".join(p for p in (surname, given, patronymic) if p)


# --- facts ---------------------------------------------------------------------------------------
def _age_sql(on: str, birth: str) -> str:
    """Whole years from `birth` to `on` (both ISO text), the same in SQLite and PostgreSQL."""
    return (f"(CAST(substr({on}, 1, 4) AS INTEGER) - CAST(substr({birth}, 1, 4) AS INTEGER)"
            f" - CASE WHEN substr({on}, 6, 5) < substr({birth}, 6, 5) THEN 1 ELSE 0 END)")


def _band_sql(age: str) -> str:
    whens = " ".join(f"WHEN {age} <= {hi} THEN '{band(lo, hi)}'" for lo, hi in BANDS if hi is not None)
    last = band(*BANDS[-1])
    return f"(CASE WHEN {age} IS NULL OR {age} < 0 THEN NULL {whens} ELSE '{last}' END)"


def application_sql(dialect: str) -> str:
    """One row an application: each patient's last decision of each day of the period (a later
    decision the same day replaced it: `day_last`), with the patient's sex, age band and
    citizenship as they were then — all read from the period index alone (0007)."""
    age = _age_sql("COALESCE(d.as_of, substr(d.taken_at, 1, 10))", "d.birth_date")
    return f"""
        SELECT d.id AS decision_id, d.patient_id, substr(d.taken_at, 1, 10) AS day,
               d.category, d.attachment_status AS status, COALESCE(d.channel, 'clinic') AS channel,
               d.reference_version,
               CASE WHEN d.sex IN ('male', 'female') THEN d.sex END AS sex,
               {_band_sql(age)} AS band, d.citizenship,
               CASE WHEN d.citizenship = 'KZ' THEN 0 ELSE 1 END AS is_foreign,
               CASE d.attachment_status WHEN 'needs_documents' THEN 'documents_incomplete'
                    WHEN 'not_allowed' THEN 'requirements_not_met' END AS ground
        FROM decision d
        WHERE d.taken_at >= :start AND d.taken_at < :end AND d.day_last = 1"""


def journal_facts(connection, dialect, start, end, registry=None) -> list[dict]:
    """Every decision of the day with its patient and the documents printed for that patient
    that day (each printout beside the patient's decision it followed)."""
    rng = _range(start, end)
    rows = connection.execute(sa.text("""
        SELECT d.id, d.patient_id, d.taken_at, d.user, d.category, d.attachment_status,
               d.reference_version, d.schemes, d.channel, p.surname, p.given_name, p.patronymic,
               p.iin, p.birth_date
        FROM decision d JOIN patient p ON p.id = d.patient_id
        WHERE d.taken_at >= :start AND d.taken_at < :end
        ORDER BY d.taken_at, d.id"""), rng).all()
    facts, by_patient = [], {}
    for (did, pid, taken, user, category, status, version, schemes, channel, surname, given,
         patronymic, iin, birth) in rows:
        fact = {"decision_id": did, "patient_id": pid, "time": datetime.fromisoformat(taken),
                "taken_at": taken, "patient": _name(surname, given, patronymic), "iin": iin,
                "birth_date": date.fromisoformat(birth) if birth else None,
                "category": category, "status": status,
                "schemes": schemes or "", "channel": channel or "clinic",
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


def paid_sql(dialect: str) -> str:
    """One row a service line of each estimate printed in the period, from the audit entry
    written with the printout (its lines and prices as printed, the patient's category)."""
    if dialect == "postgresql":
        lines = ("CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(a.details::json -> "
                 "'lines') = 'array' THEN a.details::json -> 'lines' ELSE '[null]'::json END) AS l(value)")
        get = lambda key: f"(l.value ->> '{key}')"  # noqa: E731
        det = lambda key: f"(a.details::json ->> '{key}')"  # noqa: E731
    else:
        lines = "LEFT JOIN json_each(a.details, '$.lines') l"
        get = lambda key: f"json_extract(l.value, '$.{key}')"  # noqa: E731
        det = lambda key: f"json_extract(a.details, '$.{key}')"  # noqa: E731
    return f"""
        SELECT substr(a.object, 9) AS number, CAST({det('patient')} AS INTEGER) AS patient_id,
               {det('category')} AS category, {det('reference_version')} AS reference_version,
               substr(a.at, 1, 10) AS day, {get('code')} AS code, {get('name_ru')} AS name_ru,
               {get('name_kk')} AS name_kk, {get('quantity')} AS quantity,
               {get('amount')} AS amount
        FROM audit_log a {lines}
        WHERE a.action = 'print' AND a.at >= :start AND a.at < :end
          AND a.details LIKE '%"kind": "estimate"%'"""


def lapsing_facts(connection, dialect, start, end, registry=None) -> list[dict]:
    """The worklist (the call list of the desk) from `start` to `end`: the same query."""
    items = registry.worklist(start, (end - start).days)
    return [{"patient_id": i.patient_id, "patient": i.name, "iin": i.iin, "phone": i.phone,
             "ends": i.ends, "until": i.until} for i in items]


def registrar_sql(dialect: str) -> str:
    """One row an audit entry of the period that is a card saved, a decision or a printout."""
    patient = ("(a.details::json ->> 'patient')" if dialect == "postgresql"
               else "json_extract(a.details, '$.patient')")
    return f"""
        SELECT a.user AS login, COALESCE(u.full_name, a.user) AS full_name,
               substr(a.at, 1, 10) AS day,
               CASE a.action WHEN 'decide' THEN 'decision' WHEN 'print' THEN 'print'
                    ELSE 'card' END AS kind,
               CASE WHEN a.action = 'create' THEN 1 ELSE 0 END AS new_card,
               CASE WHEN a.object LIKE 'patient:%' THEN CAST(substr(a.object, 9) AS INTEGER)
                    ELSE CAST({patient} AS INTEGER) END AS patient_id
        FROM audit_log a LEFT JOIN app_user u ON u.login = a.user
        WHERE a.at >= :start AND a.at < :end
          AND (a.action IN ('decide', 'print')
               OR (a.action IN ('create', 'update') AND a.object LIKE 'patient:%'))"""


# --- the definitions ---------------------------------------------------------------------------
DAY = (Param("on", "день", "күн"),)
PERIOD = (Param("from", "с", "бастап"), Param("to", "по", "дейін"))


def _is(key, value):
    return eq(key, value)


CATEGORY = Dim("category", "категория", "санат", labels="category")
# the channel the application came through (the card's), not the channels the decision allowed
CHANNELS = Dim("channel", "канал обращения", "өтініш арнасы", labels=CHANNEL)
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
              Dim("documents", "документы (№)", "құжаттар (№)", labels=_printed),
              Dim("user", "регистратор", "тіркеуші")),
        measures=(Measure("decisions", "решений", "шешімдер"),
                  Measure("patients", "пациентов", "пациенттер", distinct="patient_id"),
                  *RESULTS[:3],
                  Measure("printed", "документов напечатано", "басылған құжаттар", sum="printed")),
        order=lambda r: (r["time"],)),))

SUMMARY = Report(
    name="summary", ru="Итоги за период", kk="Кезең қорытындысы",
    params=PERIOD, sql=application_sql, wide=True,
    # counts only: the engine first groups the period's applications by these fields (one
    # pass over the period index), then each section sums the groups
    extra={"weights": ("day", "category", "status", "channel", "reference_version", "sex",
                       "band", "citizenship", "is_foreign", "ground")},
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
                measures=RESULTS, where=(("is_foreign", "=", 1),)),
        Section("grounds", "Отказы по основаниям", "Бас тартулар негіздері бойынша",
                dims=(Dim("ground", "основание", "негізі", labels=GROUND), CATEGORY),
                measures=(Measure("count", "обращений", "өтініштер"),),
                where=(("ground", "notnull", None),)),
        Section("days", "Обращения по дням", "Күндер бойынша өтініштер",
                dims=(Dim("day", "дата", "күні", DATE),),
                measures=RESULTS, chart="line", chart_measures=("total",)),
    ))

PAID = Report(
    name="paid-services", ru="Платные услуги за период", kk="Кезеңдегі ақылы қызметтер",
    params=PERIOD, sql=paid_sql,
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
    params=PERIOD, sql=registrar_sql, versions_field=None,
    note_ru="По журналу аудита: карты, решения и распечатки каждого пользователя за каждый день.",
    note_kk="Аудит журналы бойынша: әр пайдаланушының әр күнгі карталары, шешімдері және басылымдары.",
    sections=(Section(
        "work", "По пользователям и дням", "Пайдаланушылар мен күндер бойынша",
        dims=(Dim("user", "логин", "логин", field="login"),
              Dim("full_name", "пользователь", "пайдаланушы"),
              Dim("day", "дата", "күні", DATE)),
        measures=(Measure("patients", "пациентов", "пациенттер", distinct="patient_id"),
                  Measure("new_cards", "новых карт", "жаңа карталар", _is("new_card", 1)),
                  Measure("decisions", "решений", "шешімдер", _is("kind", "decision")),
                  Measure("printouts", "распечаток", "басылымдар", _is("kind", "print")))),))

REPORTS = {r.name: r for r in (JOURNAL, SUMMARY, PAID, LAPSING, REGISTRARS)}
