"""Every string of the interface, in Russian and Kazakh, in one catalogue.

Domain names (countries, document kinds, categories, schemes, statuses) come from the reference
data in the chosen language; this module holds only the words of the interface itself.
`Tr` is a small object passed to every widget (no global state); `tr("key", **fields)`.
"""
from __future__ import annotations

import re

LANGS = ("ru", "kk")

STRINGS: dict[str, dict[str, str]] = {
    # window, menus, actions
    "app.title": {"ru": "Регистратура поликлиники", "kk": "Емхана тіркеу орны"},
    "menu.patient": {"ru": "Пациент", "kk": "Пациент"},
    "menu.service": {"ru": "Сервис", "kk": "Сервис"},
    "action.new": {"ru": "Новый пациент", "kk": "Жаңа пациент"},
    "action.save": {"ru": "Сохранить", "kk": "Сақтау"},
    "action.print": {"ru": "Печать…", "kk": "Басып шығару…"},
    "action.search": {"ru": "Найти", "kk": "Іздеу"},
    "action.language": {"ru": "Қазақша", "kk": "Русский"},
    "action.settings": {"ru": "Реквизиты поликлиники…", "kk": "Емхана деректемелері…"},
    "action.lock": {"ru": "Заблокировать", "kk": "Құлыптау"},
    "action.quit": {"ru": "Выход", "kk": "Шығу"},
    "status.clinic": {"ru": "Поликлиника: {name}", "kk": "Емхана: {name}"},
    "status.clinic_unset": {"ru": "реквизиты не заданы", "kk": "деректемелер берілмеген"},
    "status.user": {"ru": "Пользователь: {name}", "kk": "Пайдаланушы: {name}"},
    "status.reference": {"ru": "Справочники: {version}", "kk": "Анықтамалықтар: {version}"},
    "status.saved": {"ru": "Сохранено: {name}", "kk": "Сақталды: {name}"},
    # first run and login
    "setup.title": {"ru": "Первый запуск: учётная запись администратора",
                    "kk": "Алғашқы іске қосу: әкімшінің тіркелгісі"},
    "setup.hint": {"ru": "Шаг 1 из 2. Администратор (старший регистратор) ведёт реквизиты "
                         "поликлиники, учётные записи и справочники. Пароль: не короче 10 символов, "
                         "не совпадает с логином, не только цифры.",
                   "kk": "1-қадам. Әкімші (аға тіркеуші) емхана деректемелерін, тіркелгілерді және "
                         "анықтамалықтарды жүргізеді. Құпиясөз: кемінде 10 таңба, логинмен бірдей "
                         "емес, тек цифрлар емес."},
    "setup.full_name": {"ru": "ФИО", "kk": "Т.А.Ә."},
    "setup.login": {"ru": "Логин", "kk": "Логин"},
    "setup.password": {"ru": "Пароль", "kk": "Құпиясөз"},
    "setup.repeat": {"ru": "Пароль ещё раз", "kk": "Құпиясөзді қайталаңыз"},
    "setup.create": {"ru": "Создать администратора", "kk": "Әкімшіні құру"},
    "setup.mismatch": {"ru": "Пароли не совпадают", "kk": "Құпиясөздер сәйкес емес"},
    "setup.required": {"ru": "Заполните все поля", "kk": "Барлық өрістерді толтырыңыз"},
    "login.title": {"ru": "Вход в систему", "kk": "Жүйеге кіру"},
    "login.button": {"ru": "Войти", "kk": "Кіру"},
    "login.failed": {"ru": "Неверный логин или пароль", "kk": "Логин немесе құпиясөз қате"},
    "login.locked": {"ru": "Сеанс заблокирован после простоя. Войдите снова.",
                     "kk": "Әрекетсіздіктен кейін сеанс құлыпталды. Қайта кіріңіз."},
    "login.checking": {"ru": "Проверка…", "kk": "Тексерілуде…"},
    # search
    "search.title": {"ru": "Поиск пациента", "kk": "Пациентті іздеу"},
    "search.placeholder": {"ru": "ИИН, фамилия или номер документа",
                           "kk": "ЖСН, тегі немесе құжат нөмірі"},
    "search.none": {"ru": "Ничего не найдено", "kk": "Ештеңе табылмады"},
    "search.count": {"ru": "Найдено: {n}", "kk": "Табылды: {n}"},
    "search.open": {"ru": "Открыть", "kk": "Ашу"},
    "col.name": {"ru": "ФИО", "kk": "Т.А.Ә."},
    "col.birth": {"ru": "Дата рожд.", "kk": "Туған к."},
    "col.iin": {"ru": "ИИН", "kk": "ЖСН"},
    "col.citizenship": {"ru": "Гр-во", "kk": "Аз."},
    # form sections
    "tab.form": {"ru": "Карточка пациента", "kk": "Пациент картасы"},
    "tab.history": {"ru": "История", "kk": "Тарих"},
    "sec.identity": {"ru": "1. Личность", "kk": "1. Жеке басы"},
    "sec.documents": {"ru": "2. Документы", "kk": "2. Құжаттар"},
    "sec.stay": {"ru": "3. Пребывание и семья", "kk": "3. Болу мақсаты және отбасы"},
    "sec.osms": {"ru": "4. ОСМС (по проверке Фонда)", "kk": "4. МӘМС (Қор тексеруі бойынша)"},
    "sec.visit": {"ru": "5. Обращение", "kk": "5. Жүгіну"},
    "sec.contacts": {"ru": "6. Контакты и представитель", "kk": "6. Байланыс және өкіл"},
    "f.surname": {"ru": "Фамилия", "kk": "Тегі"},
    "f.given_name": {"ru": "Имя", "kk": "Аты"},
    "f.patronymic": {"ru": "Отчество", "kk": "Әкесінің аты"},
    "f.latin_name": {"ru": "Латиницей (как в паспорте)", "kk": "Латынша (төлқұжаттағыдай)"},
    "f.birth_date": {"ru": "Дата рождения", "kk": "Туған күні"},
    "f.sex": {"ru": "Пол", "kk": "Жынысы"},
    "f.iin": {"ru": "ИИН", "kk": "ЖСН"},
    "f.citizenship": {"ru": "Гражданство", "kk": "Азаматтығы"},
    "f.purpose": {"ru": "Цель пребывания", "kk": "Болу мақсаты"},
    "f.family": {"ru": "Член семьи трудящегося ЕАЭС", "kk": "ЕАЭО еңбекшісінің отбасы мүшесі"},
    "f.relation": {"ru": "Кем приходится", "kk": "Туыстығы"},
    "f.lives_together": {"ru": "Проживает совместно", "kk": "Бірге тұрады"},
    "f.osms_status": {"ru": "Статус", "kk": "Мәртебесі"},
    "f.payer": {"ru": "Плательщик", "kk": "Төлеуші"},
    "f.paid_months": {"ru": "Оплаченные месяцы", "kk": "Төленген айлар"},
    "f.needs": {"ru": "Что нужно сегодня", "kk": "Бүгін не қажет"},
    "f.diagnosis": {"ru": "Диагноз (МКБ-10)", "kk": "Диагноз (АХЖ-10)"},
    "f.as_of": {"ru": "Решение на дату", "kk": "Шешім күні"},
    "f.address": {"ru": "Адрес", "kk": "Мекенжайы"},
    "f.phone": {"ru": "Телефон", "kk": "Телефон"},
    "f.rep_name": {"ru": "Представитель (ФИО)", "kk": "Өкіл (Т.А.Ә.)"},
    "f.rep_relation": {"ru": "Кем приходится", "kk": "Кім болып келеді"},
    "f.rep_document": {"ru": "Документ представителя", "kk": "Өкілдің құжаты"},
    "f.previous_clinic": {"ru": "Прежняя поликлиника", "kk": "Бұрынғы емхана"},
    "f.reason": {"ru": "Причина обращения", "kk": "Жүгіну себебі"},
    "f.ref_purpose": {"ru": "Направление: цель", "kk": "Жолдама: мақсаты"},
    "f.ref_urgency": {"ru": "Срочность", "kk": "Шұғылдығы"},
    "f.ref_diagnosis": {"ru": "Диагноз (текст)", "kk": "Диагноз (мәтін)"},
    "f.ref_services": {"ru": "Услуги (через «;»)", "kk": "Қызметтер («;» арқылы)"},
    "ref_purpose.consultation": {"ru": "консультация", "kk": "консультация"},
    "ref_purpose.diagnostics": {"ru": "диагностика", "kk": "диагностика"},
    "ref_purpose.hospitalisation": {"ru": "госпитализация", "kk": "ауруханаға жатқызу"},
    "urgency.routine": {"ru": "плановая", "kk": "жоспарлы"},
    "urgency.urgent": {"ru": "срочная", "kk": "шұғыл"},
    "ph.ref_services": {"ru": "например: консультация кардиолога; ЭКГ",
                        "kk": "мысалы: кардиолог консультациясы; ЭКГ"},
    "backup.auto_done": {"ru": "Резервная копия при запуске сохранена: {path}",
                         "kk": "Іске қосу кезіндегі сақтық көшірме сақталды: {path}"},
    "backup.auto_failed": {"ru": "Резервная копия при запуске не создана: {message}",
                           "kk": "Іске қосу кезіндегі сақтық көшірме жасалмады: {message}"},
    "ph.latin": {"ru": "IVANOV IVAN", "kk": "IVANOV IVAN"},
    "ph.months": {"ru": "ГГГГ-ММ", "kk": "ЖЖЖЖ-АА"},
    "ph.icd": {"ru": "напр. A15 или B05.9", "kk": "мыс. A15 немесе B05.9"},
    "ph.citizenship": {"ru": "Начните вводить страну", "kk": "Елді теріп бастаңыз"},
    "choice.unset": {"ru": "— не указано —", "kk": "— көрсетілмеген —"},
    "choice.stateless": {"ru": "Без гражданства", "kk": "Азаматтығы жоқ"},
    "sex.male": {"ru": "мужской", "kk": "ер"},
    "sex.female": {"ru": "женский", "kk": "әйел"},
    "relation.spouse": {"ru": "супруг(а)", "kk": "жұбайы"},
    "relation.child": {"ru": "ребёнок", "kk": "баласы"},
    "osms.insured": {"ru": "застрахован", "kk": "сақтандырылған"},
    "osms.not_insured": {"ru": "не застрахован", "kk": "сақтандырылмаған"},
    "osms.unknown": {"ru": "не проверено", "kk": "тексерілмеген"},
    "payer.employee": {"ru": "работодатель (наёмный работник)", "kk": "жұмыс беруші (жалдамалы қызметкер)"},
    "payer.entrepreneur": {"ru": "индивидуальный предприниматель", "kk": "жеке кәсіпкер"},
    "payer.self_payer": {"ru": "самостоятельно", "kk": "өз бетінше"},
    "payer.preferential": {"ru": "льготная категория (государство)", "kk": "жеңілдікті санат (мемлекет)"},
    "payer.esp": {"ru": "единый совокупный платёж (ЕСП)", "kk": "бірыңғай жиынтық төлем (БЖТ)"},
    "needs.attachment": {"ru": "прикрепление", "kk": "тіркелу"},
    "needs.emergency": {"ru": "экстренная помощь", "kk": "шұғыл көмек"},
    "needs.planned": {"ru": "плановая помощь", "kk": "жоспарлы көмек"},
    "needs.diagnosis": {"ru": "помощь при заболевании", "kk": "ауру кезіндегі көмек"},
    "months.add": {"ru": "Добавить", "kk": "Қосу"},
    "months.remove": {"ru": "Убрать", "kk": "Алып тастау"},
    "months.bad": {"ru": "Месяц в виде ГГГГ-ММ, например 2026-09",
                   "kk": "Айды ЖЖЖЖ-АА түрінде енгізіңіз, мысалы 2026-09"},
    # documents
    "doc.add": {"ru": "Добавить документ", "kk": "Құжат қосу"},
    "doc.edit": {"ru": "Изменить", "kk": "Өзгерту"},
    "doc.remove": {"ru": "Удалить", "kk": "Жою"},
    "doc.dialog": {"ru": "Документ", "kk": "Құжат"},
    "doc.kind": {"ru": "Вид", "kk": "Түрі"},
    "doc.number": {"ru": "Номер", "kk": "Нөмірі"},
    "doc.country": {"ru": "Страна выдачи", "kk": "Берген ел"},
    "doc.issued": {"ru": "Выдан", "kk": "Берілген күні"},
    "doc.valid_from": {"ru": "Действует с", "kk": "Қолданылады (бастап)"},
    "doc.valid_until": {"ru": "Действует до", "kk": "Қолданылады (дейін)"},
    "doc.covers_phc": {"ru": "Покрывает ПМСП", "kk": "МСАК-ты қамтиды"},
    "doc.country_short": {"ru": "Страна", "kk": "Ел"},
    "doc.validity": {"ru": "Действует", "kk": "Қолданылу мерзімі"},
    "doc.phc_short": {"ru": "ПМСП", "kk": "МСАК"},
    "doc.ok": {"ru": "Готово", "kk": "Дайын"},
    "doc.cancel": {"ru": "Отмена", "kk": "Болдырмау"},
    "doc.yes": {"ru": "да", "kk": "иә"},
    "doc.no": {"ru": "нет", "kk": "жоқ"},
    "doc.row": {"ru": "Документ {n}", "kk": "{n}-құжат"},
    "date.clear": {"ru": "Delete — очистить дату", "kk": "Delete — күнді өшіру"},
    # decision panel
    "panel.title": {"ru": "Решение", "kk": "Шешім"},
    "panel.empty": {"ru": "Заполните карточку: решение появится здесь.",
                    "kk": "Картаны толтырыңыз: шешім осында шығады."},
    "panel.errors": {"ru": "Решение не принято: исправьте ошибки в карточке",
                     "kk": "Шешім қабылданбады: картадағы қателерді түзетіңіз"},
    "panel.category": {"ru": "Категория", "kk": "Санаты"},
    "panel.until": {"ru": "до {date}", "kk": "{date} дейін"},
    "panel.channels": {"ru": "Где прикрепить", "kk": "Қайда тіркелу"},
    "channel.egov": {"ru": "портал eGov", "kk": "eGov порталы"},
    "channel.clinic": {"ru": "регистратура поликлиники", "kk": "емхананың тіркеу орны"},
    "panel.documents": {"ru": "Документы", "kk": "Құжаттар"},
    "panel.missing": {"ru": "нет", "kk": "жоқ"},
    "panel.no_documents": {"ru": "не требуются", "kk": "талап етілмейді"},
    "panel.coverage": {"ru": "Покрытие", "kk": "Қамту"},
    "panel.warnings": {"ru": "Предупреждения", "kk": "Ескертулер"},
    "panel.notes": {"ru": "Замечания к данным", "kk": "Деректерге ескертпелер"},
    "panel.explanation": {"ru": "Обоснование", "kk": "Негіздеме"},
    "panel.basis": {"ru": "Нормативные основания", "kk": "Нормативтік негіздер"},
    "panel.basis_hint": {"ru": "Нажмите на ссылку, чтобы увидеть акт и пункт.",
                         "kk": "Акт пен тармақты көру үшін сілтемені басыңыз."},
    "panel.reference": {"ru": "Решение на {as_of} · справочники {version} (действуют {period})",
                        "kk": "Шешім {as_of} күнге · анықтамалықтар {version} ({period})"},
    "panel.changed": {"ru": "Изменилось с последнего решения ({date}):",
                      "kk": "Соңғы шешімнен бері өзгерді ({date}):"},
    "panel.unchanged": {"ru": "Совпадает с последним решением ({date}).",
                        "kk": "Соңғы шешіммен сәйкес ({date})."},
    "diff.category": {"ru": "категория: было «{old}»", "kk": "санаты: бұрын «{old}»"},
    "diff.status": {"ru": "прикрепление: было «{old}»", "kk": "тіркелу: бұрын «{old}»"},
    "diff.until": {"ru": "срок: было {old}", "kk": "мерзімі: бұрын {old}"},
    "diff.missing": {"ru": "недостающие документы изменились", "kk": "жетіспейтін құжаттар өзгерді"},
    "diff.coverage": {"ru": "покрытие изменилось", "kk": "қамту өзгерді"},
    "osms.active_true": {"ru": "застрахован", "kk": "сақтандырылған"},
    "osms.active_false": {"ru": "не застрахован", "kk": "сақтандырылмаған"},
    "osms.active_none": {"ru": "статус не проверен", "kk": "мәртебесі тексерілмеген"},
    "osms.until": {"ru": "ОСМС: застрахован до {date}", "kk": "МӘМС: {date} дейін сақтандырылған"},
    "period.open": {"ru": "бессрочно", "kk": "мерзімсіз"},
    # save, duplicates, unsaved
    "save.invalid": {"ru": "Нельзя сохранить: в карточке есть ошибки.",
                     "kk": "Сақтау мүмкін емес: картада қателер бар."},
    "save.conflict": {"ru": "ИИН уже принадлежит другому пациенту.",
                      "kk": "ЖСН басқа пациентке тиесілі."},
    "stale.title": {"ru": "Карточка изменена", "kk": "Карта өзгертілді"},
    "stale.text": {"ru": "Эту карточку уже изменил(а) {who} ({when}) на другом рабочем месте. "
                         "Ваши изменения не сохранены. Загрузить актуальную карточку?",
                   "kk": "Бұл картаны басқа жұмыс орнында {who} ({when}) өзгертті. "
                         "Сіздің өзгерістеріңіз сақталмады. Өзекті картаны жүктеу керек пе?"},
    "stale.reload": {"ru": "Загрузить заново", "kk": "Қайта жүктеу"},
    "dup.banner": {"ru": "Похоже, пациент уже есть в регистре: {who}",
                   "kk": "Пациент тіркелімде бар сияқты: {who}"},
    "dup.open": {"ru": "Открыть карточку", "kk": "Картаны ашу"},
    "dup.question": {"ru": "В регистре уже есть похожий пациент: {who}. Открыть его карточку?",
                     "kk": "Тіркелімде ұқсас пациент бар: {who}. Оның картасын ашу керек пе?"},
    "dup.save_anyway": {"ru": "Сохранить как нового", "kk": "Жаңа ретінде сақтау"},
    "unsaved.title": {"ru": "Несохранённые изменения", "kk": "Сақталмаған өзгерістер"},
    "unsaved.text": {"ru": "В карточке есть несохранённые изменения. Сохранить?",
                     "kk": "Картада сақталмаған өзгерістер бар. Сақтау керек пе?"},
    "btn.save": {"ru": "Сохранить", "kk": "Сақтау"},
    "btn.discard": {"ru": "Не сохранять", "kk": "Сақтамау"},
    "btn.cancel": {"ru": "Отмена", "kk": "Болдырмау"},
    "btn.close": {"ru": "Закрыть", "kk": "Жабу"},
    "history.empty": {"ru": "История появится после сохранения.",
                      "kk": "Тарих сақтағаннан кейін пайда болады."},
    "history.at": {"ru": "Когда", "kk": "Қашан"},
    "history.user": {"ru": "Кто", "kk": "Кім"},
    "history.kind": {"ru": "Запись", "kk": "Жазба"},
    "history.details": {"ru": "Содержание", "kk": "Мазмұны"},
    "history.decision": {"ru": "решение", "kk": "шешім"},
    "history.printed": {"ru": "документ", "kk": "құжат"},
    "history.decision_text": {"ru": "на {as_of}: {category} — {status}",
                              "kk": "{as_of} күнге: {category} — {status}"},
    "history.printed_text": {"ru": "№ {number}: {kind} ({lang})", "kk": "№ {number}: {kind} ({lang})"},
    "history.reprint": {"ru": "Открыть документ…", "kk": "Құжатты ашу…"},
    "history.reprint_tip": {"ru": "Тот же документ, байт в байт, для повторной печати (или двойной щелчок по строке)",
                            "kk": "Қайта басып шығару үшін дәл сол құжат (немесе жолды екі рет басыңыз)"},
    # clinic settings
    "settings.title": {"ru": "Реквизиты поликлиники", "kk": "Емхана деректемелері"},
    "settings.name": {"ru": "Наименование", "kk": "Атауы"},
    "settings.bin": {"ru": "БИН", "kk": "БСН"},
    "settings.address": {"ru": "Адрес", "kk": "Мекенжайы"},
    "settings.head": {"ru": "Руководитель", "kk": "Басшысы"},
    "settings.lock": {"ru": "Блокировка после простоя, мин", "kk": "Әрекетсіздіктен кейін құлыптау, мин"},
    "settings.bad_bin": {"ru": "БИН — ровно 12 цифр", "kk": "БСН — дәл 12 цифр"},
    "settings.denied": {"ru": "Реквизиты поликлиники может менять только администратор.",
                        "kk": "Емхана деректемелерін тек әкімші өзгерте алады."},
    # start-up errors
    "corrupt.title": {"ru": "Регистр повреждён", "kk": "Тіркелім бүлінген"},
    "corrupt.text": {"ru": "Файл регистра нельзя открыть:\n{message}\n\nФайл: {path}",
                     "kk": "Тіркелім файлын ашу мүмкін емес:\n{message}\n\nФайл: {path}"},
    "corrupt.restore": {"ru": "Восстановить из резервной копии от {when}?\n{backup}\n\n"
                              "Текущий файл будет сохранён рядом.",
                        "kk": "{when} күнгі сақтық көшірмеден қалпына келтіру керек пе?\n{backup}\n\n"
                              "Ағымдағы файл жанында сақталады."},
    "corrupt.no_backup": {"ru": "Резервной копии нет. Обратитесь к администратору.",
                          "kk": "Сақтық көшірме жоқ. Әкімшіге хабарласыңыз."},
    "corrupt.restore_btn": {"ru": "Восстановить", "kk": "Қалпына келтіру"},
    "corrupt.failed": {"ru": "Восстановить не удалось:\n{message}", "kk": "Қалпына келтіру сәтсіз:\n{message}"},
    "refdata.failed": {"ru": "Справочные данные недоступны:\n{message}",
                       "kk": "Анықтамалық деректер қолжетімсіз:\n{message}"},
    # validation messages (the core's errors, in the interface's language)
    "err.required": {"ru": "обязательное поле", "kk": "міндетті өріс"},
    "err.citizenship": {"ru": "Укажите гражданство (или «Без гражданства»)",
                        "kk": "Азаматтығын көрсетіңіз (немесе «Азаматтығы жоқ»)"},
    "err.iin_format": {"ru": "ИИН — ровно 12 цифр", "kk": "ЖСН — дәл 12 цифр"},
    "err.iin_digit": {"ru": "Неверная контрольная цифра ИИН — опечатка?",
                      "kk": "ЖСН бақылау цифры қате — қате терілген бе?"},
    "err.iin_no_digit": {"ru": "Такого ИИН не бывает: контрольная цифра невозможна",
                         "kk": "Мұндай ЖСН болмайды: бақылау цифры мүмкін емес"},
    "err.iin_ok": {"ru": "ИИН корректен", "kk": "ЖСН дұрыс"},
    "err.iin_citizen_layout": {"ru": "ИИН гражданина РК начинается с даты рождения ГГММДД и цифры века/пола 1–6",
                               "kk": "ҚР азаматының ЖСН-і ЖЖААКК туған күнінен және 1–6 ғасыр/жыныс цифрынан басталады"},
    "err.year_range": {"ru": "Год должен быть от 1900 до 2100", "kk": "Жыл 1900 бен 2100 аралығында болуы керек"},
    "err.until_before_from": {"ru": "«Действует до» раньше, чем «действует с»",
                              "kk": "«Дейін» күні «бастап» күнінен ерте"},
    "err.until_before_issued": {"ru": "«Действует до» раньше даты выдачи",
                                "kk": "«Дейін» күні берілген күннен ерте"},
    "err.issued_before_birth": {"ru": "Выдан раньше даты рождения",
                                "kk": "Туған күнінен бұрын берілген"},
    "err.birth_after": {"ru": "Дата рождения позже даты решения",
                        "kk": "Туған күні шешім күнінен кейін"},
    "err.icd": {"ru": "Код МКБ-10 вида A15 или B05.9", "kk": "A15 немесе B05.9 түріндегі АХЖ-10 коды"},
    "err.month": {"ru": "Месяц в виде ГГГГ-ММ", "kk": "Ай ЖЖЖЖ-АА түрінде"},
    "err.relation": {"ru": "Укажите, кем приходится", "kk": "Туыстығын көрсетіңіз"},
    "note.iin_birth": {"ru": "ИИН указывает дату рождения {date}, в карточке другая",
                       "kk": "ЖСН {date} туған күнін көрсетеді, картада басқа"},
    "note.iin_sex": {"ru": "ИИН указывает другой пол, чем в карточке",
                     "kk": "ЖСН картадағыдан басқа жынысты көрсетеді"},
    "note.iin_layout": {"ru": "ИИН не начинается с даты рождения", "kk": "ЖСН туған күннен басталмайды"},
}


def _merge_extra() -> None:
    """Printing and administration strings live in extra_strings.py; one catalogue all the same."""
    from desktop.gui.extra_strings import EXTRA_STRINGS

    clash = set(STRINGS) & set(EXTRA_STRINGS)
    if clash:
        raise RuntimeError(f"interface strings defined twice: {sorted(clash)}")
    STRINGS.update(EXTRA_STRINGS)
    from desktop.gui.card_strings import CARD_STRINGS

    clash = set(STRINGS) & set(CARD_STRINGS)
    if clash:
        raise RuntimeError(f"interface strings defined twice: {sorted(clash)}")
    STRINGS.update(CARD_STRINGS)

    from desktop.gui.desk_strings import DESK_STRINGS

    clash = set(STRINGS) & set(DESK_STRINGS)
    if clash:
        raise RuntimeError(f"interface strings defined twice: {sorted(clash)}")
    STRINGS.update(DESK_STRINGS)


_merge_extra()


class Tr:
    """The language in force and the lookup of interface strings; passed to widgets."""

    def __init__(self, lang: str = "ru"):
        self.lang = lang if lang in LANGS else "ru"

    def __call__(self, key: str, **fields) -> str:
        text = STRINGS[key][self.lang]
        return text.format(**fields) if fields else text

    def other(self) -> str:
        return "kk" if self.lang == "ru" else "ru"


_PATTERNS = [
    (re.compile(r"^required \(null for a stateless"), "err.citizenship"),
    (re.compile(r"^ИИН must be exactly 12 digits"), "err.iin_format"),
    (re.compile(r"no check digit is possible"), "err.iin_no_digit"),
    (re.compile(r"check digit \(12th\) is wrong"), "err.iin_digit"),
    (re.compile(r"ИИН of a citizen of Kazakhstan"), "err.iin_citizen_layout"),
    (re.compile(r"the year must be between"), "err.year_range"),
    (re.compile(r"^valid until .* is before valid from"), "err.until_before_from"),
    (re.compile(r"^valid until .* is before the issue date"), "err.until_before_issued"),
    (re.compile(r"^issued before the person was born"), "err.issued_before_birth"),
    (re.compile(r"^birth date .* is after the decision date"), "err.birth_after"),
    (re.compile(r"is not an ICD-10 code"), "err.icd"),
    (re.compile(r"^required: spouse or child"), "err.relation"),
]


def error_text(error: dict, tr: Tr) -> str:
    """A validation error of the core in the interface's language (the core's words if unknown)."""
    message = error.get("message", "")
    if error.get("field", "").startswith("osms.paid_months"):
        return tr("err.month")
    for pattern, key in _PATTERNS:
        if pattern.search(message):
            return tr(key)
    return message


def note_text(note: dict, tr: Tr) -> str:
    """An input note of the decision (non-blocking) in the interface's language."""
    code = note.get("code")
    if code == "iin_birth_date_mismatch":
        found = re.search(r"\d{4}-\d{2}-\d{2}", note.get("message", ""))
        return tr("note.iin_birth", date=dmy(found.group(0)) if found else "?")
    if code == "iin_sex_mismatch":
        return tr("note.iin_sex")
    if code == "iin_layout":
        return tr("note.iin_layout")
    return note.get("message", "")


def dmy(iso: str | None) -> str:
    """'2027-03-31' -> '31.03.2027' (the way dates are read at the desk)."""
    if not iso:
        return "—"
    y, m, d = str(iso)[:10].split("-")
    return f"{d}.{m}.{y}"
