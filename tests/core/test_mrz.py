"""The machine-readable zone (ICAO 9303 TD1 and TD3): every check digit verified, the ИИН
taken from a Kazakh identity card's optional data, a bad read names its line."""
from __future__ import annotations

from datetime import date

import pytest

from desktop.core import mrz

TODAY = date(2026, 11, 22)

# ICAO Doc 9303 part 5 (TD1) and part 4 (TD3) specimens
TD1_ICAO = ["I<UTOD231458907<<<<<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
TD3_ICAO = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


def digit(data: str) -> str:
    """Check digit computed here independently of the module (weights 7-3-1, A=10, <=0)."""
    values = {**{str(i): i for i in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}, "<": 0}
    return str(sum(values[c] * (7, 3, 1)[i % 3] for i, c in enumerate(data)) % 10)


def kz_id_card(number="043123456", iin="900505300013", birth="900505", sex="M", expiry="310101",
               names="TESTOV<<TEST") -> list[str]:
    """The back of a Kazakh identity card: TD1 with the ИИН in the first optional data field."""
    l1 = f"IDKAZ{number}{digit(number)}{iin}<<<"
    l2 = f"{birth}{digit(birth)}{sex}{expiry}{digit(expiry)}KAZ" + "<" * 11
    l2 += digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    return [l1, l2, (names + "<" * 30)[:30]]


def test_check_digit_matches_icao_examples():
    """The check digit of the ICAO examples: number D23145890 -> 7, birth 740812 -> 2."""
    assert mrz.check_digit("D23145890") == "7"
    assert mrz.check_digit("740812") == "2"
    assert mrz.check_digit("L898902C3") == "6"


def test_td1_icao_specimen_is_read():
    """The TD1 specimen gives names, number, dates, sex and the issuing state."""
    z = mrz.parse("\n".join(TD1_ICAO), TODAY)
    assert (z.layout, z.surname, z.given_names, z.number) == ("TD1", "ERIKSSON", "ANNA MARIA", "D23145890")
    assert z.birth_date == date(1974, 8, 12) and z.valid_until == date(2012, 4, 15)
    assert z.sex == "female" and z.issuing_state == "UTO" and z.iin is None


def test_td3_icao_specimen_is_read():
    """The TD3 specimen gives the passport number, personal number and dates."""
    z = mrz.parse("\n".join(TD3_ICAO), TODAY)
    assert (z.layout, z.number, z.nationality, z.optional) == ("TD3", "L898902C3", "UTO", "ZE184226B")
    assert z.birth_date == date(1974, 8, 12) and z.latin_name == "ERIKSSON ANNA MARIA"
    assert mrz.document_kind(z) == "passport"


def test_kazakh_id_card_gives_the_iin_and_the_kind():
    """A Kazakh identity card: the ИИН from the optional data, kind id_card_kz."""
    z = mrz.parse("\n".join(kz_id_card()), TODAY)
    assert z.iin == "900505300013" and mrz.document_kind(z) == "id_card_kz"
    assert z.birth_date == date(1990, 5, 5) and z.sex == "male" and z.valid_until == date(2031, 1, 1)


def test_birth_year_century_follows_today():
    """A two-digit birth year after this year is of the last century (26 -> 2026, 27 -> 1927)."""
    assert mrz.parse("\n".join(kz_id_card(birth="261101", iin="261101500013")), TODAY).birth_date.year == 2026
    assert mrz.parse("\n".join(kz_id_card(birth="271101", iin="271101300013")), TODAY).birth_date.year == 1927


@pytest.mark.parametrize("line, col, reason", [
    (0, 14, "check_number"), (1, 6, "check_birth"), (1, 14, "check_expiry"), (1, 29, "check_composite")])
def test_td1_every_check_digit_is_verified(line, col, reason):
    """A wrong check digit anywhere in TD1 is refused, naming its line."""
    lines = list(TD1_ICAO)
    wrong = "0" if lines[line][col] != "0" else "1"
    lines[line] = lines[line][:col] + wrong + lines[line][col + 1:]
    with pytest.raises(mrz.MrzError) as e:
        mrz.parse("\n".join(lines), TODAY)
    assert (e.value.line, e.value.reason) == (line + 1, reason)


@pytest.mark.parametrize("col, reason", [
    (9, "check_number"), (19, "check_birth"), (27, "check_expiry"), (42, "check_optional"),
    (43, "check_composite")])
def test_td3_every_check_digit_is_verified(col, reason):
    """A wrong check digit anywhere in TD3 line 2 is refused, naming line 2."""
    l2 = TD3_ICAO[1]
    wrong = "0" if l2[col] != "0" else "1"
    with pytest.raises(mrz.MrzError) as e:
        mrz.parse(TD3_ICAO[0] + "\n" + l2[:col] + wrong + l2[col + 1:], TODAY)
    assert (e.value.line, e.value.reason) == (2, reason)


def test_misread_character_is_caught_by_the_composite_digit():
    """A misread letter in the optional data (not under its own digit) fails the composite digit."""
    lines = kz_id_card()
    lines[0] = lines[0][:20] + "8" + lines[0][21:]
    with pytest.raises(mrz.MrzError) as e:
        mrz.parse("\n".join(lines), TODAY)
    assert e.value.reason == "check_composite"


@pytest.mark.parametrize("text, line, reason", [
    ("", 0, "empty"),
    ("I<UTOD231458907<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<", 1, "length"),
    ("I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6", 3, "layout"),
    ("I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA;<<<<<<<<<", 3, "charset"),
])
def test_bad_zone_names_the_line(text, line, reason):
    """A short line, a missing line or a foreign character: refused with the line that failed."""
    with pytest.raises(mrz.MrzError) as e:
        mrz.parse(text, TODAY)
    assert (e.value.line, e.value.reason) == (line, reason)


def test_pasted_zone_with_spaces_and_lowercase_is_read():
    """Pasted lines with blank lines, spaces and lower case are read as the zone."""
    text = "\n\n  " + TD3_ICAO[0].lower() + "  \r\n" + TD3_ICAO[1] + "\n"
    assert mrz.parse(text, TODAY).number == "L898902C3"


def test_impossible_date_is_refused():
    """A birth date 31 February with a correct check digit is still refused as a date."""
    with pytest.raises(mrz.MrzError) as e:
        mrz.parse("\n".join(kz_id_card(birth="900231", iin="900505300013")), TODAY)
    assert (e.value.line, e.value.reason) == (2, "date")
