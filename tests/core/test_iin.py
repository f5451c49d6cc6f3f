"""ИИН check digit and layout (rules.md section 7)."""
from __future__ import annotations

from datetime import date

import pytest

from core_helpers import case, decide, doc
from desktop.core import iin
from desktop.core.api import decide_data
from desktop.core.case import CaseError


@pytest.mark.parametrize("number", ["791028302728", "871008401427", "760212350620"])
def test_valid_examples_pass(number):
    """The valid examples of rules.md pass the check digit."""
    assert iin.checksum_error(number) is None


@pytest.mark.parametrize("number", ["791028302729", "871008401420", "760212350621"])
def test_wrong_check_digit_is_rejected(number):
    """A changed 12th digit fails the check."""
    assert iin.checksum_error(number) == "check_digit"


@pytest.mark.parametrize("number", ["12345", "7910283027281", "79102830272a", ""])
def test_not_twelve_digits_is_a_format_error(number):
    """Anything but exactly 12 digits is a format error."""
    assert iin.checksum_error(number) == "format"


def test_second_weights_used_when_first_sum_is_ten():
    """When the first weighted sum mod 11 is 10, the second weights decide the digit."""
    # find an 11-digit prefix whose first sum is 10 and check against a direct computation
    prefix = next(p for p in (f"{n:011d}" for n in range(10**10, 10**10 + 5000))
                  if sum(int(c) * w for c, w in zip(p, range(1, 12))) % 11 == 10)
    second = sum(int(c) * w for c, w in zip(prefix, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2))) % 11
    expected = None if second == 10 else second
    assert iin.check_digit(prefix) == expected


def test_no_possible_check_digit_is_invalid():
    """A prefix for which both sums give 10 has no valid ИИН."""
    prefix = next(p for p in (f"{n:011d}" for n in range(10**10, 10**10 + 200000))
                  if iin.check_digit(p) is None)
    assert iin.checksum_error(prefix + "0") == "no_check_digit"


def test_layout_gives_birth_date_and_sex():
    """Digits 1-7 encode the birth date and the century/sex digit."""
    lay = iin.layout("791028302728")
    assert lay.birth_date == date(1979, 10, 28) and lay.sex == "male"
    assert iin.layout("871008401427").sex == "female"


def test_invalid_iin_names_the_field(ref):
    """A wrong check digit is an input error on person.iin."""
    with pytest.raises(CaseError) as e:
        decide_data(case(person={"iin": "791028302729"}), ref, default_date=date(2026, 11, 22))
    assert [x["field"] for x in e.value.errors] == ["person.iin"]


def test_layout_mismatch_is_a_note_not_an_error(ref):
    """A valid ИИН whose date or sex differs from the form is noted, and the decision is made."""
    d = decide(ref, case(person={"iin": "871008401427", "birth_date": "1990-05-05", "sex": "male"}))
    notes = {n["code"] for n in d["input_notes"]}
    assert notes == {"iin_birth_date_mismatch", "iin_sex_mismatch"}
    assert d["category"] == "citizen"


def test_matching_iin_gives_no_note(ref):
    """An ИИН that agrees with birth date and sex gives no note."""
    d = decide(ref, case(person={"iin": "791028302728", "birth_date": "1979-10-28", "sex": "male"}))
    assert d["input_notes"] == []


@pytest.mark.parametrize("number", ["79102830272²", "٧٩١٠٢٨٣٠٢٧٢٨", "７９１０２８３０２７２８", "۷۹۱۰۲۸۳۰۲۷۲۸"])
def test_non_ascii_digits_are_a_format_error(number):
    """Only ASCII digits 0-9 make an ИИН: superscript, Arabic-Indic and full-width digits do not."""
    assert iin.checksum_error(number) == "format"


@pytest.mark.parametrize("number", ["79102830272²", "٧٩١٠٢٨٣٠٢٧٢٨", "７９１０２８３０２７２８"])
def test_non_ascii_digits_are_an_input_error(ref, number):
    """An ИИН written with non-ASCII digits is an input error on person.iin, not a crash or a pass."""
    with pytest.raises(CaseError) as e:
        decide_data(case(person={"iin": number}), ref, default_date=date(2026, 11, 22))
    assert [x["field"] for x in e.value.errors] == ["person.iin"]


# checksum-valid numbers whose layout is impossible: month 13, day 32, 7th digit 0, 7 and 9,
# 29 February of a year that is not a leap year (2001, 1900)
IMPOSSIBLE_LAYOUT = ["791328302709", "791032302701", "791028002709", "791028702703", "791028902706",
                     "010229502700", "000229302705"]


@pytest.mark.parametrize("number", IMPOSSIBLE_LAYOUT)
def test_citizen_iin_with_impossible_layout_is_an_error(ref, number):
    """A KZ citizen's ИИН must start with a real YYMMDD date and a century/sex digit 1-6 (rules.md §7)."""
    assert iin.checksum_error(number) is None
    with pytest.raises(CaseError) as e:
        decide_data(case("KZ", person={"iin": number}), ref, default_date=date(2026, 11, 22))
    assert [x["field"] for x in e.value.errors] == ["person.iin"]


@pytest.mark.parametrize("number", IMPOSSIBLE_LAYOUT)
def test_foreigner_iin_with_impossible_layout_is_a_note(ref, number):
    """A foreigner's ИИН may break the layout: only an iin_layout note, and the decision is made."""
    d = decide(ref, case("RU", [doc("passport", number="75 1234567")], person={"iin": number}))
    assert {n["code"] for n in d["input_notes"]} == {"iin_layout"}


def test_citizen_leap_day_iin_is_valid(ref):
    """29 February 2000 is a real date: a citizen's ИИН 000229… with century digit 5 is accepted."""
    d = decide(ref, case("KZ", person={"iin": "000229502708", "birth_date": "2000-02-29", "sex": "male"}))
    assert d["input_notes"] == [] and d["category"] == "citizen"
