"""Amounts in words, Russian and Kazakh, tenge and tiyn, exact (Decimal only).

``amount_in_words(Decimal("2001.05"), "ru")`` -> "Две тысячи один тенге 05 тиынов".
Tiyn are written as two digits (the usual form in Kazakhstani payment documents),
with the noun agreeing with the number in Russian.
"""
from __future__ import annotations

from decimal import Decimal, ROUND_HALF_UP

_RU_ONES_M = ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_RU_ONES_F = ("", "одна", "две", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_RU_TEENS = ("десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать",
             "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать")
_RU_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят",
            "восемьдесят", "девяносто")
_RU_HUNDREDS = ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот",
                "восемьсот", "девятьсот")
# (forms for 1, 2-4, 5+), feminine?
_RU_SCALES = (
    (("", "", ""), False),
    (("тысяча", "тысячи", "тысяч"), True),
    (("миллион", "миллиона", "миллионов"), False),
    (("миллиард", "миллиарда", "миллиардов"), False),
    (("триллион", "триллиона", "триллионов"), False),
)

_KK_ONES = ("", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз")
_KK_TENS = ("", "он", "жиырма", "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан")
_KK_SCALES = ("", "мың", "миллион", "миллиард", "триллион")

_CENT = Decimal("0.01")


def ru_plural(n: int, forms: tuple[str, str, str]) -> str:
    """Russian noun form for ``n``: forms = (1, 2-4, 5+)."""
    n = abs(n)
    if 11 <= n % 100 <= 14:
        return forms[2]
    if n % 10 == 1:
        return forms[0]
    if 2 <= n % 10 <= 4:
        return forms[1]
    return forms[2]


def _groups(n: int) -> list[int]:
    out = []
    while n:
        out.append(n % 1000)
        n //= 1000
    return out


def _ru_triad(n: int, feminine: bool) -> list[str]:
    words = []
    h, rest = divmod(n, 100)
    if h:
        words.append(_RU_HUNDREDS[h])
    if 10 <= rest <= 19:
        words.append(_RU_TEENS[rest - 10])
    else:
        t, o = divmod(rest, 10)
        if t:
            words.append(_RU_TENS[t])
        if o:
            words.append((_RU_ONES_F if feminine else _RU_ONES_M)[o])
    return words


def _kk_triad(n: int) -> list[str]:
    words = []
    h, rest = divmod(n, 100)
    if h:
        words += [_KK_ONES[h], "жүз"]
    t, o = divmod(rest, 10)
    if t:
        words.append(_KK_TENS[t])
    if o:
        words.append(_KK_ONES[o])
    return words


def integer_in_words(n: int, lang: str, feminine: bool = False) -> str:
    """A non-negative integer in words (lower case)."""
    _lang(lang)
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"integer expected, got {n!r}")
    if n < 0:
        raise ValueError(f"negative number {n} cannot be written as an amount")
    if n >= 1000 ** len(_RU_SCALES):
        raise ValueError(f"number {n} is too large to write in words")
    if n == 0:
        return {"ru": "ноль", "kk": "нөл"}[lang]
    words: list[str] = []
    groups = _groups(n)
    for idx in range(len(groups) - 1, -1, -1):
        g = groups[idx]
        if not g:
            continue
        if lang == "ru":
            forms, fem = _RU_SCALES[idx]
            words += _ru_triad(g, fem if idx else feminine)
            if idx:
                words.append(ru_plural(g, forms))
        else:
            words += _kk_triad(g)
            if idx:
                words.append(_KK_SCALES[idx])
    return " ".join(words)


def _lang(lang: str) -> str:
    if lang not in ("ru", "kk"):
        raise ValueError(f"unknown language {lang!r}: expected ru or kk")
    return lang


def amount_in_words(amount: Decimal, lang: str) -> str:
    """``amount`` (Decimal tenge, rounded half-up to tiyn) in words, first letter capitalised."""
    _lang(lang)
    if not isinstance(amount, Decimal):
        raise ValueError(f"amount must be a Decimal, got {type(amount).__name__}")
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"amount must be a finite non-negative Decimal, got {amount}")
    q = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    tenge = int(q)
    tiyn = int((q - tenge) * 100)
    words = integer_in_words(tenge, lang)
    if lang == "ru":
        text = f"{words} тенге {tiyn:02d} {ru_plural(tiyn, ('тиын', 'тиына', 'тиынов'))}"
    else:
        text = f"{words} теңге {tiyn:02d} тиын"
    return text[0].upper() + text[1:]


def format_money(amount: Decimal) -> str:
    """``Decimal('1234567.5')`` -> ``'1 234 567,50'`` (space-grouped, comma decimal)."""
    if not isinstance(amount, Decimal):
        raise ValueError(f"amount must be a Decimal, got {type(amount).__name__}")
    q = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, frac = f"{abs(q):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{frac}"


def format_quantity(qty: Decimal) -> str:
    """Quantities without trailing zeros: 2 -> '2', 1.50 -> '1,5'."""
    if qty == qty.to_integral_value():
        return str(int(qty))
    return format(qty.normalize(), "f").replace(".", ",")
