from decimal import Decimal as D

import pytest

from desktop.documents.words import amount_in_words, format_money, format_quantity, integer_in_words

CASES = [
    ("0", "Ноль тенге 00 тиынов", "Нөл теңге 00 тиын"),
    ("1", "Один тенге 00 тиынов", "Бір теңге 00 тиын"),
    ("2", "Два тенге 00 тиынов", "Екі теңге 00 тиын"),
    ("11", "Одиннадцать тенге 00 тиынов", "Он бір теңге 00 тиын"),
    ("21", "Двадцать один тенге 00 тиынов", "Жиырма бір теңге 00 тиын"),
    ("1000", "Одна тысяча тенге 00 тиынов", "Бір мың теңге 00 тиын"),
    ("2000000", "Два миллиона тенге 00 тиынов", "Екі миллион теңге 00 тиын"),
    ("0.01", "Ноль тенге 01 тиын", "Нөл теңге 01 тиын"),
    ("2.02", "Два тенге 02 тиына", "Екі теңге 02 тиын"),
    ("11.11", "Одиннадцать тенге 11 тиынов", "Он бір теңге 11 тиын"),
    ("21.21", "Двадцать один тенге 21 тиын", "Жиырма бір теңге 21 тиын"),
    ("1000.50", "Одна тысяча тенге 50 тиынов", "Бір мың теңге 50 тиын"),
    ("2002.04", "Две тысячи два тенге 04 тиына", "Екі мың екі теңге 04 тиын"),
    ("2000000.99", "Два миллиона тенге 99 тиынов", "Екі миллион теңге 99 тиын"),
    ("5011.12", "Пять тысяч одиннадцать тенге 12 тиынов", "Бес мың он бір теңге 12 тиын"),
    ("1001001", "Один миллион одна тысяча один тенге 00 тиынов", "Бір миллион бір мың бір теңге 00 тиын"),
    ("14000", "Четырнадцать тысяч тенге 00 тиынов", "Он төрт мың теңге 00 тиын"),
    ("341215", "Триста сорок одна тысяча двести пятнадцать тенге 00 тиынов",
     "Үш жүз қырық бір мың екі жүз он бес теңге 00 тиын"),
    ("999999999.99", "Девятьсот девяносто девять миллионов девятьсот девяносто девять тысяч девятьсот "
                     "девяносто девять тенге 99 тиынов",
     "Тоғыз жүз тоқсан тоғыз миллион тоғыз жүз тоқсан тоғыз мың тоғыз жүз тоқсан тоғыз теңге 99 тиын"),
    ("100", "Сто тенге 00 тиынов", "Бір жүз теңге 00 тиын"),
    ("40", "Сорок тенге 00 тиынов", "Қырық теңге 00 тиын"),
]


@pytest.mark.parametrize("amount,ru,kk", CASES)
def test_amount_in_words(amount, ru, kk):
    assert amount_in_words(D(amount), "ru") == ru
    assert amount_in_words(D(amount), "kk") == kk


def test_tiyn_rounds_half_up():
    assert amount_in_words(D("1.005"), "ru") == "Один тенге 01 тиын"


@pytest.mark.parametrize("bad", [1.5, -1, D("-0.01"), D("NaN")])
def test_amount_rejects_bad(bad):
    with pytest.raises(ValueError):
        amount_in_words(bad, "ru")


def test_unknown_language():
    with pytest.raises(ValueError, match="language"):
        amount_in_words(D(1), "en")
    with pytest.raises(ValueError, match="language"):
        integer_in_words(5, "de")


def test_integer_feminine():
    assert integer_in_words(2, "ru", feminine=True) == "две"
    assert integer_in_words(0, "kk") == "нөл"


def test_format_money_and_quantity():
    assert format_money(D("1234567.5")) == "1 234 567,50"
    assert format_money(D("0")) == "0,00"
    assert format_money(D("999.999")) == "1 000,00"
    assert format_quantity(D("2")) == "2"
    assert format_quantity(D("1.50")) == "1,5"
