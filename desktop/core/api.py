"""The core's entry points shared by the command line and the GUI."""
from __future__ import annotations

from datetime import date

from desktop.core.case import Case, CaseError, parse_case
from desktop.core.dates import parse_date
from desktop.core.refdata import RefData
from desktop.core.rules import Decision, decide


def parse_for(data, ref: RefData, on: date | None = None) -> Case:
    """Validate a case against the enumerations of the reference data in force; `on`, when
    given, replaces the case's as_of as the decision date for validation."""
    return parse_case(data, countries=ref.country_codes, document_kinds=ref.document_kind_codes,
                      purposes=ref.purpose_codes, on=on,
                      number_required=getattr(ref, "number_required", frozenset()))


def decision_date(case: Case, on: date | str | None, default: date) -> date:
    """`on` (e.g. --on) wins over the case's as_of, which wins over `default` (today, given by the caller)."""
    if isinstance(on, str):
        try:
            on = parse_date(on)
        except ValueError as e:
            raise CaseError([{"field": "--on", "message": f"{e}: {on!r}"}]) from None
    return on or case.as_of or default


def decide_data(data, ref: RefData, *, on: date | str | None = None, default_date: date,
                lang: str = "ru") -> Decision:
    """Parse and decide one case given as a dict; raises CaseError for invalid input.

    `on` replaces the case's as_of before the case is validated; a bad `on` is reported
    together with the case's own bad fields."""
    errors = []
    if isinstance(on, str):
        try:
            on = parse_date(on)
        except ValueError as e:
            errors.append({"field": "--on", "message": f"{e}: {on!r}"})
            on = None
    try:
        case = parse_for(data, ref, on=on)
    except CaseError as e:
        raise CaseError(errors + e.errors) from None
    if errors:
        raise CaseError(errors)
    when = decision_date(case, on, default_date)
    if case.person.birth_date and case.person.birth_date > when:
        raise CaseError([{"field": "person.birth_date",
                          "message": f"birth date {case.person.birth_date} is after the decision date {when}"}])
    return decide(case, ref, when, lang)
