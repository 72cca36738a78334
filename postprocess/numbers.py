"""Rewrite the numbers in a hypothesis as NeMo wrote them in the SAPC1 references.

The organisers delete digits and symbols from hypotheses before scoring, so an unconverted "25"
is a deleted word, and a number spelled differently from the reference ("nine hundred eleven"
against NeMo's "nine hundred and eleven") costs an error too. Each pattern below is one of NeMo's
classes (dates, phone numbers, times, money, fractions, measures, percentages, ordinals, decades,
ranges, plain numbers), tried in that order, and writes what NeMo 1.2.0 writes for it, including
its odd readings:
- "10000" -> "one zero zero zero zero" (a plain run of five or more digits), but "10,000" ->
  "ten thousand", and amounts ("$12345", "12345 kg", "12345%", "12345.5") are cardinals;
- "1234" -> "twelve thirty four" (any 1000-2999 is a year), "3005" -> "three thousand and five";
- "7 p.m." / "7pm" -> "seven pm", "3:00" -> "three o'clock", "1:05" -> "one o five";
- "$1.5" -> "one dollar fifty cents", "$25 thousand" -> "twenty five dollars thousand";
- "24/7" -> "twenty four sevenths", "9/11" -> "nine elevenths", "1 1/2" -> "one and a half";
- "3-2" -> "three two", "1990-1995" -> "nineteen ninety to nineteen ninety five";
- "May 5" -> "May fifth", "5 May 2021" -> "the fifth of May twenty twenty one",
  "12/25/2023" -> "December twenty fifth twenty twenty three";
- "555-123-4567" digit by digit, "#3" -> "hash three", "B12" -> "B twelve".

Written "AM"/"PM" are not read here: the acronym rule splits them into letters first, as the
organisers did before NeMo ran ("7 PM" -> "seven P M"). The words written here are lower case so
that a second pass of the acronym rule leaves them alone ("pm", not "PM").

Where NeMo cannot be matched, the generated comparison in tests/test_postprocess_nemo.py lists the
case. Only ASCII digits are numbers here, and runs of more than 30 digits are left as written.
"""

from __future__ import annotations

import re

from .number_words import (
    DIGIT_WORDS,
    MAX_DIGITS,
    cardinal,
    decade,
    decimal,
    digit_by_digit,
    fraction,
    is_year,
    number,
    ordinal,
    plural,
    year,
)

# A token starts after a blank or an opening bracket or quote, and ends before closing
# punctuation and a blank: NeMo reads whitespace-separated tokens and splits punctuation off
# their edges.
_L = r"(?<![^\s(\[\"“])"
_R = r"(?=[.,!?;:)\]\"”]*(?:\s|$))"
_INT = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)"
_NUM = rf"(?:{_INT}(?:\.[0-9]+)?|\.[0-9]+)"

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_MONTH_ABBREVIATIONS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                        "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_MONTH_NAMES = "|".join(
    [m for m in _MONTHS] + [m.lower() for m in _MONTHS]
    + [f"{a.capitalize()}\\.?|{a}\\.?" for a in _MONTH_ABBREVIATIONS]
)
_DAY = r"(?:[12][0-9]|3[01]|0?[1-9])"
_YEAR = r"[12][0-9]{3}"
_ORDINAL_ENDING = r"(?:st|nd|rd|th|ST|ND|RD|TH)"
_TIME_SUFFIX = r"(?:[ap]\.m\.?|[ap]m|[AP]\.M\.?)"

_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None),
}
_SYMBOL_WORDS = {"$": "dollar", "£": "pound", "€": "euro", "¥": "yen", "#": "hash", "+": "plus"}

# Units NeMo spells after a number (its measure class), singular and plural. "in", "m", "L", "V"
# and "hrs" are not among them: NeMo leaves "3 in" and "4 hrs" as written.
_UNITS = {
    "km": ("kilometer", "kilometers"), "kg": ("kilogram", "kilograms"),
    "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"), "ft": ("foot", "feet"),
    "mph": ("mile per hour", "miles per hour"), "ml": ("milliliter", "milliliters"),
    "oz": ("ounce", "ounces"), "mg": ("milligram", "milligrams"), "cm": ("centimeter", "centimeters"),
    "min": ("minute", "minutes"), "sq ft": ("square foot", "square feet"),
    "sq mi": ("square mile", "square miles"), "mi": ("mile", "miles"), "yd": ("yard", "yards"),
    "hr": ("hour", "hours"), "sec": ("second", "seconds"), "wk": ("week", "weeks"),
    "yr": ("year", "years"), "mo": ("month", "months"), "kw": ("kilowatt", "kilowatts"),
    "kW": ("kilowatt", "kilowatts"), "kwh": ("kilowatt hour", "kilowatt hours"),
    "hz": ("hertz", "hertz"), "khz": ("kilohertz", "kilohertz"), "mhz": ("megahertz", "megahertz"),
    "ghz": ("gigahertz", "gigahertz"), "mbps": ("megabit per second", "megabits per second"),
    "rpm": ("revolution per minute", "revolutions per minute"), "nm": ("nanometer", "nanometers"),
    "°F": ("degree fahrenheit", "degrees fahrenheit"), "°f": ("degree fahrenheit", "degrees fahrenheit"),
    "°C": ("degree celsius", "degrees celsius"), "°c": ("degree celsius", "degrees celsius"),
    "°": ("degree", "degrees"),
}
_UNIT_NAMES = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))

_UNICODE_FRACTIONS = {"½": ("1", "2"), "¼": ("1", "4"), "¾": ("3", "4"), "⅓": ("1", "3"),
                      "⅔": ("2", "3"), "⅛": ("1", "8"), "⅜": ("3", "8"), "⅝": ("5", "8"),
                      "⅞": ("7", "8")}


def _digits(text: str) -> str:
    return text.replace(",", "")


def amount(text: str) -> str:
    """A quantity (of money, a unit, a percentage): '12345' -> a cardinal, never digit by digit."""
    integer, _, fraction_digits = text.partition(".")
    if "." in text:
        return decimal(_digits(integer), fraction_digits)
    return cardinal(_digits(integer))


def _lone(text: str) -> str:
    """A number with nothing around it: '1998' a year, '12345' digit by digit, '1,998' a cardinal."""
    integer, point, fraction_digits = text.partition(".")
    if point:
        return decimal(_digits(integer), fraction_digits)
    if "," in integer:
        return cardinal(_digits(integer))
    return number(integer)


def _signed(text: str) -> str:
    """After a minus NeMo has no year reading: '-1998' is a cardinal, '-12345' digit by digit."""
    if "." in text or "," in text or not is_year(text):
        return _lone(text)
    return cardinal(text)


def _month(name: str) -> str:
    key = name.rstrip(".").lower()
    if key in _MONTH_ABBREVIATIONS:
        return _MONTHS[_MONTH_ABBREVIATIONS[key] - 1]
    return name


def _two_digit_year(digits: str) -> str:
    return number(digits)


def _before_scale(value: str) -> str:
    """Before "million" NeMo's whole number has no "and" ("seven hundred forty five million"); a
    decimal keeps it ("six hundred and fifty seven point five billion")."""
    words = amount(value)
    return words if "." in value else words.replace(" and ", " ")


def _clock(hour: str, minute: str, suffix: str | None) -> str:
    words = cardinal(str(int(hour)))
    if minute == "00":
        return words + (" " + _meridiem(suffix) if suffix else " o'clock")
    if minute[0] == "0":
        words += " o " + DIGIT_WORDS[int(minute[1])]
    else:
        words += " " + cardinal(minute)
    return words + (" " + _meridiem(suffix) if suffix else "")


def _meridiem(suffix: str) -> str:
    return "am" if suffix[0] in "aA" else "pm"


def _unit(count: str, unit: str) -> str:
    singular, many = _UNITS[unit]
    return singular if count in ("1", "-1") else many


def _money(symbol: str, value: str, scale: str | None) -> str:
    one, many, cent, cents = _CURRENCIES[symbol]
    if scale in ("million", "billion", "trillion"):
        return f"{_before_scale(value)} {scale} {many}"
    integer, point, fraction_digits = value.partition(".")
    integer = _digits(integer) or "0"
    if point and (len(fraction_digits) > 2 or cent is None):
        words = f"{amount(value)} {many}"
    else:
        hundredths = int(fraction_digits.ljust(2, "0")) if point else 0
        parts = []
        if int(integer) or not hundredths:
            parts.append(f"{cardinal(integer)} {one if int(integer) == 1 else many}")
        if hundredths:
            parts.append(f"{cardinal(str(hundredths))} {cent if hundredths == 1 else cents}")
        words = " ".join(parts)
    return words + (" " + scale if scale else "")


# Each entry: a pattern and the function that writes its words.
def _date_month_first(m: re.Match) -> str:
    words = f"{_month(m['month'])} {ordinal(str(int(m['day'])))}"
    return words + (f" {year(m['year'])}" if m["year"] else "")


def _date_day_first(m: re.Match) -> str:
    words = f"the {ordinal(str(int(m['day'])))} of {_month(m['month'])}"
    return words + (f" {year(m['year'])}" if m["year"] else "")


def _numeric_date(m: re.Match) -> str:
    first, second, last = int(m["a"]), int(m["b"]), m["y"]
    when = year(last) if len(last) == 4 else _two_digit_year(last)
    if first <= 12:
        return f"{_MONTHS[first - 1]} {ordinal(str(second))} {when}"
    return f"the {ordinal(str(first))} of {_MONTHS[second - 1]} {when}"


def _iso_date(m: re.Match) -> str:
    return f"{_MONTHS[int(m['m']) - 1]} {ordinal(str(int(m['d'])))} {year(m['y'])}"


def _area(digits: str) -> str:
    return cardinal(digits) if digits.endswith("00") and digits[0] != "0" else digit_by_digit(digits)


def _phone(m: re.Match) -> str:
    """'1-800-555-0199' -> 'one eight hundred five five five zero one nine nine'."""
    groups = m.groupdict()
    area = groups.get("area") or groups.get("area2")
    words = [DIGIT_WORDS[int(groups["country"])]] if groups.get("country") else []
    words += [_area(area), digit_by_digit(m["exchange"]), digit_by_digit(m["line"])]
    return " ".join(words)


def _duration(m: re.Match) -> str:
    parts = []
    for value, name in ((m["h"], "hour"), (m["m"], "minute"), (m["s"], "second")):
        count = str(int(value))
        parts.append(f"{cardinal(count)} {name if count == '1' else name + 's'}")
    return f"{parts[0]} {parts[1]} and {parts[2]}"


def _time(m: re.Match) -> str:
    return _clock(m["hour"], m["minute"], m["suffix"])


def _hour_with_suffix(m: re.Match) -> str:
    return f"{cardinal(str(int(m['hour'])))} {_meridiem(m['suffix'])}"


def _time_range(m: re.Match) -> str:
    return f"{_clock(m['h1'], m['m1'], None)} to {_clock(m['h2'], m['m2'], None)}"


_SHORT_SCALES = {"m": "million", "b": "billion", "bn": "billion"}


def _money_match(m: re.Match) -> str:
    scale = m["scale"] or (_SHORT_SCALES[m["short"].lower()] if m["short"] else None)
    words = _money(m["symbol"], m["value"], scale)
    return ("minus " if m["sign"] else "") + words


def _mixed_fraction(m: re.Match) -> str:
    whole = cardinal(m["whole"])
    if (m["top"], m["bottom"]) == ("1", "2"):
        return f"{whole} and a half"
    return f"{whole} and {fraction(m['top'], m['bottom'])}"


def _fraction(m: re.Match) -> str:
    return fraction(m["top"], m["bottom"])


def _unicode_fraction(m: re.Match) -> str:
    return fraction(*_UNICODE_FRACTIONS[m[0]])


def _measure(m: re.Match) -> str:
    value = m["value"]
    words = amount(value)
    if m["sign"]:
        words = "minus " + words
    return f"{words} {_unit(value, m['unit'])}"


def _percent(m: re.Match) -> str:
    words = amount(m["value"])
    if m["sign"]:
        words = "minus " + words
    if m["upper"]:
        words += " to " + amount(m["upper"])
    return words + " percent"


def _ordinal(m: re.Match) -> str:
    return ordinal(_digits(m["value"]))


def _decade(m: re.Match) -> str:
    digits = m["value"]
    if len(digits) == 2:
        if digits[1] == "0" and digits[0] not in "01":
            return plural(cardinal(digits))
        return number(digits) + " s"
    words = decade(digits)
    return words if words is not None else cardinal(digits) + " s"


def _possessive_number(m: re.Match) -> str:
    return _lone(m["value"]) + "'s"


def _scaled(m: re.Match) -> str:
    words = _before_scale(m["value"])
    return ("minus " if m["sign"] else "") + f"{words} {m['scale']}"


def _year_range(m: re.Match) -> str:
    return f"{year(m['a'])} to {year(m['b'])}"


def _hash(m: re.Match) -> str:
    return "hash " + _lone(m["value"])


def _plus(m: re.Match) -> str:
    return "plus " + _lone(m["value"])


def _signed_number(m: re.Match) -> str:
    return "minus " + _signed(m["value"])


_RULES = [
    (rf"{_L}(?P<month>{_MONTH_NAMES}) (?:the )?(?P<day>{_DAY}){_ORDINAL_ENDING}?"
     rf"(?:,? (?P<year>{_YEAR}))?{_R}", _date_month_first),
    (rf"{_L}(?P<day>{_DAY}){_ORDINAL_ENDING}? (?P<month>{_MONTH_NAMES})(?: (?P<year>{_YEAR}))?{_R}",
     _date_day_first),
    (rf"{_L}(?P<a>[0-9]{{1,2}})(?P<sep>[/.-])(?P<b>[0-9]{{1,2}})(?P=sep)(?P<y>{_YEAR}|[0-9]{{2}}){_R}",
     None),  # checked in _numeric_date_or_none
    (rf"{_L}(?P<y>{_YEAR})-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12][0-9]|3[01]){_R}", _iso_date),
    (rf"{_L}(?:(?P<country>1)-)?(?:(?P<area>[0-9]{{3}})-|\((?P<area2>[0-9]{{3}})\) ?)"
     rf"(?P<exchange>[0-9]{{3}})-(?P<line>[0-9]{{4}}){_R}", _phone),
    (rf"{_L}(?P<area>[0-9]{{3}})\.(?P<exchange>[0-9]{{3}})\.(?P<line>[0-9]{{4}}){_R}", _phone),
    (rf"{_L}(?P<h>[0-9]{{1,2}}):(?P<m>[0-5][0-9]):(?P<s>[0-5][0-9]){_R}", _duration),
    (rf"{_L}(?P<h1>[01]?[0-9]|2[0-3]):(?P<m1>[0-5][0-9])-(?P<h2>[01]?[0-9]|2[0-3]):(?P<m2>[0-5][0-9]){_R}",
     _time_range),
    (rf"{_L}(?P<hour>[01]?[0-9]|2[0-3]):(?P<minute>[0-5][0-9])(?: ?(?P<suffix>{_TIME_SUFFIX}))?"
     rf"(?=[.,!?;:)\]\"”]*(?:\s|$)|(?<=\.)\s|(?<=\.)$)", _time),
    (rf"{_L}(?P<hour>[0-9]{{1,2}}) ?(?P<suffix>{_TIME_SUFFIX})(?=[.,!?;:)\]\"”]*(?:\s|$)|(?<=\.)\s|(?<=\.)$)",
     _hour_with_suffix),
    (rf"{_L}(?P<sign>-)?(?P<symbol>[$£€¥])(?P<value>{_NUM})"
     rf"(?: (?P<scale>thousand|million|billion|trillion)|(?P<short>[mM]|[bB]n?))?{_R}", _money_match),
    (rf"{_L}(?P<whole>[0-9]+) (?P<top>[0-9]+)/(?P<bottom>[0-9]+){_R}", _mixed_fraction),
    (rf"{_L}(?P<top>[0-9]+)/(?P<bottom>[0-9]+){_R}", _fraction),
    (r"[½¼¾⅓⅔⅛⅜⅝⅞]", _unicode_fraction),
    (rf"{_L}(?P<sign>-)?(?P<value>{_NUM}) ?(?P<unit>{_UNIT_NAMES}){_R}", _measure),
    (rf"{_L}(?P<sign>-)?(?P<value>{_NUM})(?:-(?P<upper>{_NUM}))? ?%{_R}", _percent),
    (rf"{_L}(?P<value>{_INT}){_ORDINAL_ENDING}{_R}", _ordinal),
    (rf"{_L}'?(?P<value>[0-9]{{2}}|[0-9]{{4}})s{_R}", _decade),
    (rf"{_L}(?P<value>{_NUM})['’]s{_R}", _possessive_number),
    (rf"{_L}(?P<sign>-)?(?P<value>{_NUM}) (?P<scale>million|billion|trillion){_R}", _scaled),
    (rf"{_L}(?P<a>{_YEAR}) ?- ?(?P<b>{_YEAR}){_R}", _year_range),
    (rf"{_L}#(?P<value>{_NUM}){_R}", _hash),
    (rf"{_L}\+(?P<value>{_NUM}){_R}", _plus),
    (rf"{_L}-(?P<value>{_NUM}){_R}", _signed_number),
]


def _numeric_date_or_none(m: re.Match) -> str:
    first, second = int(m["a"]), int(m["b"])
    if m["sep"] == "." and len(m["y"]) == 2:
        return m[0]
    if 1 <= first <= 12 and 1 <= second <= 31 or 13 <= first <= 31 and 1 <= second <= 12:
        return _numeric_date(m)
    return m[0]


_RULES[2] = (_RULES[2][0], _numeric_date_or_none)
_COMPILED = [(re.compile(pattern), write) for pattern, write in _RULES]

# What is left: numbers inside or next to words ("B12", "covid-19", "3-2", "2nd-to-last", "v2.0"),
# read one by one; a currency sign or "/" that no rule above took is said as a word.
# A number glued to "¢" or after "−" (not the ASCII hyphen) stays as written: NeMo leaves "5¢" and
# "−12" alone, and the scorer deletes them. A hyphen joining the number to a word or another
# number goes with it ("covid-19", "5-10").
_LEFTOVER_NUMBER = re.compile(rf"(?<![−0-9])(?<![0-9]\.)(?:(?<=\w)-)?(?P<number>{_NUM})(?![0-9]|¢)(?:-(?=\w))?")
_LETTER = re.compile(r"[^\W\d_]")


def _spaced(m: re.Match, words: str) -> str:
    """Words that replace text glued to a word get a space on that side ("B12" -> "B twelve")."""
    before = m.string[m.start() - 1] if m.start() else " "
    after = m.string[m.end()] if m.end() < len(m.string) else " "
    return (" " if before.isalnum() or before in "/'" else "") + words + (
        " " if after.isalnum() or after == "/" else "")


def _leftover(m: re.Match) -> str:
    text = m["number"]
    before = m.string[m.start("number") - 1] if m.start("number") else " "
    if len(_digits(text)) > MAX_DIGITS:
        return m[0]
    if "." in text and _LETTER.match(before):
        words = " ".join(_lone(part) for part in text.split(".") if part)  # "v2.0": a version
    else:
        words = _lone(text)
    return _spaced(m, words)


def _symbol(m: re.Match) -> str:
    return _spaced(m, _SYMBOL_WORDS[m[0]]) + " "


def numbers_to_words(text: str) -> str:
    """'I paid $3.50 on the 3rd at 5pm' -> 'I paid three dollars fifty cents on the third at five pm'."""
    for pattern, write in _COMPILED:
        text = pattern.sub(write, text)
    if not re.search(r"[0-9]", text):
        return text
    text = re.sub(r"[$£€¥#+](?=[0-9])", _symbol, text)
    text = re.sub(r"(?<=[0-9])/(?=[^\W\d_])", " slash ", text)
    return _LEFTOVER_NUMBER.sub(_leftover, text)
