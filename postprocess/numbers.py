"""Rewrite the numbers in a hypothesis as the words a SAP reference would hold.

The organisers delete digits and symbols from hypotheses before scoring, so an
unconverted "25" is a deleted word and "$5" loses its "dollars" too. This module
finds each written number together with what belongs to it (a sign, a currency
symbol, "%", "°", an ordinal ending, "am"/"pm", a plural "s", a hyphen gluing it
to a word) and replaces the whole of it with words.

Decisions, in the spirit of NeMo's normaliser that wrote the references:
- "1998" -> "nineteen ninety eight", "2005" -> "two thousand five": a bare
  four-digit number from 1100 to 2099 is read as a year. With a comma, a sign, a
  currency or a percent it is a quantity ("1,998", "$1998").
- "$3.50" -> "three dollars fifty cents", "$0.99" -> "ninety nine cents",
  "$2.5 million" -> "two point five million dollars".
- "3:30" -> "three thirty", "3:05" -> "three oh five", "3:00" -> "three o'clock",
  "14:00" -> "fourteen o'clock", "10 am" / "10am" / "10 a.m." -> "ten a m"
  (spelled letters, as NeMo writes them).
- "5-10" -> "five to ten"; "555-1234", "555-123-4567", "(555) 123-4567" and
  digit strings with a leading zero ("007") are read digit by digit. A bare run
  of digits is a cardinal, however long ("1234567"), as NeMo reads it: the
  reference holds NeMo's reading of the transcriber's digits, not what was said.
- "5pm", "covid19", "covid-19", "mp3": the number is split from the word.
- "#1" -> "number one", "$1.5B" -> "one point five billion dollars".

Anything this module cannot read with confidence is left exactly as written:
more than 30 digits, "1.2.3", "1,23", dates such as "12/25/2020" or
"2024-01-15", "1:30:15", "$-". Only ASCII digits are numbers here.
"""

from __future__ import annotations

import re

from .number_words import (
    MAX_DIGITS,
    cardinal,
    clock,
    decimal,
    digit_by_digit,
    fraction,
    ordinal,
    plural,
    year,
)

_CHUNK = r"[0-9]+(?:[.,:/][0-9]+)*"
_LETTER = r"[^\W\d_]"

_NUMBER = re.compile(
    rf"""
    (?P<lglue>(?<={_LETTER})[-/])?                   # the hyphen of "covid-19"
    (?P<sign>(?<![\w.,:/'’])[-−](?=[$£€]?\.?[0-9]))?  # "-5", "-$5"
    (?P<lapos>(?<!\w)['’](?=[0-9]{{2}}s))?           # the apostrophe of "'90s"
    (?P<hash>(?<![\w#])\#(?=[0-9]))?                   # "#1" is "number one"
    (?:(?P<currency>[$£€])\s?)?
    (?P<body>{_CHUNK}(?:[-–]{_CHUNK})*|(?<![\w.])\.[0-9]+)
    (?P<suffix>
        \s?%
      | \s?°\s?[CFcf]?(?!{_LETTER})
      | \s?°
      | (?:st|nd|rd|th|ST|ND|RD|TH)(?!{_LETTER})
      | \s?(?:[aApP][mM]|[aApP]\.\s?[mM]\.?)(?!{_LETTER})
      | '?s(?!{_LETTER})
      | \s(?:thousand|million|billion|trillion)(?!{_LETTER})
      | (?:[kKmMbB]|bn)(?!{_LETTER})
    )?
    (?P<rglue>[-/](?={_LETTER}))?                    # the hyphen of "5-year"
    """,
    re.VERBOSE,
)

# Phone numbers written with spaces or parentheses, which the general pattern
# would read as three separate quantities.
_PHONE = re.compile(
    r"(?<![\w(.,:/-])(?:\((?P<area1>[0-9]{3})\)\s?|(?P<area2>[0-9]{3})[ .-])"
    r"(?P<exchange>[0-9]{3})[ .-](?P<line>[0-9]{4})(?![\w.,:/-]|\.[0-9])"
)

_CURRENCY_UNITS = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
_SCALES = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion"}
_INTEGER = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")
_DECIMAL = re.compile(r"(?P<integer>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)?\.(?P<fraction>[0-9]+)")
_TIME = re.compile(r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-5][0-9])")
_SLASHED = re.compile(r"(?P<top>[0-9]{1,3})/(?P<bottom>[0-9]{1,3})")


class _Quantity:
    """An integer or decimal as written, before deciding how to say it."""

    def __init__(self, integer: str, fraction: str | None, grouped: bool):
        self.integer = integer  # digits without commas; "" for ".5"
        self.fraction = fraction  # digits after the point, or None
        self.grouped = grouped  # written with thousands commas

    def say(self) -> str:
        """Read as an amount: commas, signs and units all mean a quantity."""
        if self.fraction is not None:
            return decimal(self.integer, self.fraction)
        return cardinal(self.integer)

    def is_one(self) -> bool:
        return self.fraction is None and self.integer.lstrip("0") == "1"


def _quantity(chunk: str) -> _Quantity | None:
    if _INTEGER.fullmatch(chunk) or _GROUPED.fullmatch(chunk):
        digits = chunk.replace(",", "")
        if len(digits) > MAX_DIGITS:
            return None
        return _Quantity(digits, None, "," in chunk)
    match = _DECIMAL.fullmatch(chunk)
    if match:
        integer = (match["integer"] or "").replace(",", "")
        if len(integer) > MAX_DIGITS or len(match["fraction"]) > MAX_DIGITS:
            return None
        return _Quantity(integer, match["fraction"], "," in chunk)
    return None


def _say_bare_integer(digits: str) -> str:
    """How a lone integer with nothing around it is most likely said."""
    if len(digits) > 1 and digits[0] == "0":
        return digit_by_digit(digits)
    if len(digits) == 4 and 1100 <= int(digits) <= 2099:
        return year(digits)
    return cardinal(digits)


def _say_chunk(chunk: str) -> str | None:
    """One dash-free number: integer, decimal, clock time, fraction or dotted phone."""
    quantity = _quantity(chunk)
    if quantity is not None:
        if quantity.fraction is None and not quantity.grouped:
            return _say_bare_integer(quantity.integer)
        return quantity.say()
    match = _TIME.fullmatch(chunk)
    if match and int(match["hour"]) <= 24:
        hour, minute = match["hour"], match["minute"]
        if minute != "00":
            return clock(hour, minute)
        return cardinal(hour) + " o'clock"
    match = _SLASHED.fullmatch(chunk)
    if match:
        top, bottom = match["top"], match["bottom"]
        if 0 < int(top) < int(bottom) <= 10:
            return fraction(top, bottom)
        return cardinal(top) + " " + cardinal(bottom)  # "24/7", "9/11", "50/50"
    if re.fullmatch(r"[0-9]{3}\.[0-9]{3}\.[0-9]{4}", chunk):
        return digit_by_digit(chunk.replace(".", ""))
    return None


def _say_body(body: str) -> str | None:
    parts = re.split(r"[-–]", body)
    if len(parts) == 1:
        return _say_chunk(body)
    if all(_INTEGER.fullmatch(part) for part in parts):
        lengths = [len(part) for part in parts]
        if len(parts) == 3 and lengths[0] == 4:
            return None  # an ISO date
        if len(parts) >= 3 or lengths == [3, 4]:
            return digit_by_digit("".join(parts))
    if len(parts) == 2:
        first, second = (_say_chunk(part) for part in parts)
        if first and second and all(_quantity(part) for part in parts):
            return f"{first} to {second}"
    return None


def _quantities(body: str) -> list[_Quantity] | None:
    """The one or two (a range) amounts in a body, or None if it is something else."""
    parts = re.split(r"[-–]", body)
    if len(parts) > 2:
        return None
    quantities = [_quantity(part) for part in parts]
    return quantities if all(quantities) else None


def _say_money(symbol: str, body: str, scale: str | None) -> str | None:
    one, many, cent, cents = _CURRENCY_UNITS[symbol]
    quantities = _quantities(body)
    if quantities is None:
        return None
    if scale is not None:
        return " to ".join(q.say() for q in quantities) + f" {scale} {many}"
    if len(quantities) == 2:
        return f"{quantities[0].say()} to {quantities[1].say()} {many}"
    (amount,) = quantities
    if amount.fraction is None:
        return f"{amount.say()} {one if amount.is_one() else many}"
    if len(amount.fraction) > 2:
        return f"{amount.say()} {many}"
    units = int(amount.integer or "0")
    hundredths = int(amount.fraction.ljust(2, "0"))
    words = []
    if units or not hundredths:
        words.append(f"{cardinal(str(units))} {one if units == 1 else many}")
    if hundredths:
        words.append(f"{cardinal(str(hundredths))} {cent if hundredths == 1 else cents}")
    return " ".join(words)


def _say_with_suffix(body: str, suffix: str) -> str | None:
    """A body and the ending that changes how it is said, or None if they do not go together."""
    key = suffix.strip().lower().replace(" ", "")
    quantities = _quantities(body)
    if key == "%":
        return " to ".join(q.say() for q in quantities) + " percent" if quantities else None
    if key.startswith("°"):
        if not quantities:
            return None
        unit = "degree" if len(quantities) == 1 and quantities[0].is_one() else "degrees"
        scale = {"c": " celsius", "f": " fahrenheit"}.get(key[1:], "")
        return " to ".join(q.say() for q in quantities) + f" {unit}{scale}"
    if key in ("st", "nd", "rd", "th"):
        if _INTEGER.fullmatch(body) or _GROUPED.fullmatch(body):
            digits = body.replace(",", "")
            if len(digits) <= MAX_DIGITS:
                return ordinal(digits)
        return None
    if key in ("am", "pm", "a.m", "p.m", "a.m.", "p.m."):
        letters = "a m" if key[0] == "a" else "p m"
        if _INTEGER.fullmatch(body) and 1 <= int(body) <= 12:
            return f"{cardinal(body)} {letters}"
        match = _TIME.fullmatch(body)
        if match and 1 <= int(match["hour"]) <= 12:
            return f"{clock(match['hour'], match['minute'])} {letters}"
        return None
    if key in ("s", "'s"):
        if not _INTEGER.fullmatch(body) or len(body) > MAX_DIGITS:
            return None
        words = _say_bare_integer(body)
        if key == "s" or body.endswith("0"):
            return plural(words)
        return words + "'s"
    return None


def _speak(match: re.Match) -> str:
    body, suffix, symbol = match["body"], match["suffix"], match["currency"]
    words = None
    trailing = ""
    if symbol:
        scale = None
        if suffix:
            key = suffix.strip().lower()
            scale = _SCALES.get(key, key if key in _SCALES.values() else None)
            if scale is None:
                return match[0]  # "$5%", "$5th": no confident reading
        words = _say_money(symbol, body, scale)
    elif suffix:
        words = _say_with_suffix(body, suffix)
        if words is None:
            # The ending does not belong to the number ("13 pm", "5k"): say the number, keep the ending.
            words = _say_body(body)
            trailing = suffix if suffix[0].isspace() else " " + suffix
    elif match["sign"] and _quantity(body) is not None:
        words = _quantity(body).say()  # "-1998" is an amount, not a year
    else:
        words = _say_body(body)
    if words is None:
        return match[0]
    if match["hash"]:
        words = "number " + words
    if match["sign"]:
        words = "minus " + words
    text = words + trailing
    start, end = match.span()
    before = match.string[start - 1] if start > 0 else " "
    after = match.string[end] if end < len(match.string) else " "
    if match["lglue"] or before.isalnum():
        text = " " + text
    if match["rglue"] or after.isalnum():
        text = text + " "
    return text


def _speak_phone(match: re.Match) -> str:
    area = match["area1"] or match["area2"]
    return digit_by_digit(area + match["exchange"] + match["line"])


def numbers_to_words(text: str) -> str:
    """'I paid $3.50 on the 3rd at 5pm' -> 'I paid three dollars fifty cents on the third at five p m'."""
    text = _PHONE.sub(_speak_phone, text)
    return _NUMBER.sub(_speak, text)
