"""Search keys: case folding, ё→е, Kazakh letters, Cyrillic→Latin transliteration (stdlib only).

Keys are computed on save and indexed, and the same functions turn a query into a key, so
"ivan", "ИВАН", "Иван" and "Ivan" all meet at the same index range.
"""

from __future__ import annotations

import re
import unicodedata

# Kazakh letters a Russian keyboard lacks, folded to the Russian letter a registrar would type.
_KAZAKH_TO_RUSSIAN = str.maketrans({
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и",
    "ё": "е",
})

# ICAO 9303 (the passport standard, close to GOST 7.79 B), Kazakh letters added.
_CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia",
    "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
}

# Spelling variants of the same sound in Latin (Yakovlev/Iakovlev, Khasanov/Hasanov, Jusupov/
# Yusupov, Zhanna/Janna in the Kazakh passport's two Latin alphabets, Seitkaliyev/Seitkaliev):
# folded on both the stored key and the query.
_LATIN_FOLDS = (("zh", "j"), ("kh", "h"), ("y", "i"), ("j", "i"), ("w", "v"), ("x", "ks"))
_LEGACY_FOLDS = (("kh", "h"), ("y", "i"), ("j", "i"), ("w", "v"), ("x", "ks"))   # keys saved before
_DOUBLE_I = re.compile(r"i{2,}")

_NOT_LETTER = re.compile(r"[^\w]|[\d_]")
_DOC_NOISE = re.compile(r"[\s\-‐‑‒–—/.№#]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

# Strings that begin with `key` sort between `key` and `key + PREFIX_END` in SQLite's BINARY order.
PREFIX_END = "\U0010ffff"


def name_key(text: str | None) -> str:
    """Fold a name for Cyrillic-or-Latin prefix search: lower case, ё→е, Kazakh→Russian letters,
    no spaces, hyphens, apostrophes or digits."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).casefold().translate(_KAZAKH_TO_RUSSIAN)
    return _NOT_LETTER.sub("", text)


def latin_key(text: str | None, *, legacy: bool = False) -> str:
    """A Latin key for a name written in either script: transliterated, then spelling variants
    folded (-iyev = -iev, zh = j, kh = h). `legacy`: the key as saved before the zh/j and
    -iyev folds (a search looks under both until every card is saved again)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).casefold()
    text = "".join(_CYRILLIC_TO_LATIN.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NOT_LETTER.sub("", text)
    for old, new in (_LEGACY_FOLDS if legacy else _LATIN_FOLDS):
        text = text.replace(old, new)
    return text if legacy else _DOUBLE_I.sub("i", text)


def passport_surname(latin_name: str | None) -> str | None:
    """The surname of a name written as in the passport («SEITKALIYEV NURLAN»): its first word."""
    words = (latin_name or "").split()
    return words[0] if words and not has_cyrillic(words[0]) else None


def has_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text))


def document_key(number: str | None) -> str:
    """Normalise a document number: spaces, dashes, slashes, dots and № removed, upper case."""
    if not number:
        return ""
    return _DOC_NOISE.sub("", unicodedata.normalize("NFKC", number)).upper()


def iin_query(text: str) -> str | None:
    """The ИИН in a query, if the query is one (12 digits, spaces allowed)."""
    digits = re.sub(r"\s+", "", text)
    return digits if re.fullmatch(r"\d{12}", digits) else None
