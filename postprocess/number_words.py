"""Numbers spelled out the way a SAP reference spells them.

The organisers' scorer deletes every character of a hypothesis outside A-Z,
apostrophe and space, so "twenty-five" scores as the single wrong word
TWENTYFIVE and "1,000" vanishes. References were normalised with NeMo's text
normaliser, which writes plain space-separated words: no hyphens, no commas and
no "and" ("one hundred five"). Every function here returns that form.

Inputs are strings of ASCII digits as found in the text (leading zeros matter:
"007" is read digit by digit), never ints.
"""

from __future__ import annotations

import inflect

_ENGINE = inflect.engine()

MAX_DIGITS = 30  # longer runs are no spoken number; callers leave them as they are

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _plain(words: str) -> str:
    """inflect writes "twenty-one" and "one thousand, two"; the scorer wants neither."""
    return " ".join(words.replace("-", " ").replace(",", " ").split())


def cardinal(digits: str) -> str:
    """'1234' -> 'one thousand two hundred thirty four'."""
    return _plain(_ENGINE.number_to_words(int(digits), andword="", zero="zero", group=0))


def ordinal(digits: str) -> str:
    """'21' -> 'twenty first'."""
    return _plain(_ENGINE.number_to_words(_ENGINE.ordinal(int(digits)), andword="", zero="zero"))


def digit_by_digit(digits: str) -> str:
    """'0512' -> 'zero five one two': how phone numbers and codes are read."""
    return " ".join(DIGIT_WORDS[int(d)] for d in digits)


def _pair(two_digits: str) -> str:
    """The second half of a year or a clock time: '05' -> 'oh five', '30' -> 'thirty'."""
    if two_digits[0] == "0":
        return "oh " + DIGIT_WORDS[int(two_digits[1])]
    return cardinal(two_digits)


def year(digits: str) -> str:
    """'1998' -> 'nineteen ninety eight', '2005' -> 'two thousand five', '1900' -> 'nineteen hundred'.

    Years from 2001 to 2009 are said as thousands, and so are round thousands;
    other four-digit years are read as two pairs.
    """
    value = int(digits)
    if len(digits) != 4 or value % 1000 == 0 or 2000 < value < 2010:
        return cardinal(digits)
    century, rest = digits[:2], digits[2:]
    if rest == "00":
        return cardinal(century) + " hundred"
    return cardinal(century) + " " + _pair(rest)


def decimal(integer_digits: str, fraction_digits: str) -> str:
    """'2', '50' -> 'two point five zero'; an empty integer part ('.5') -> 'point five'."""
    head = cardinal(integer_digits) + " " if integer_digits else ""
    return head + "point " + digit_by_digit(fraction_digits)


def clock(hour: str, minute: str) -> str:
    """'3', '05' -> 'three oh five'; a full hour is left as just the hour."""
    if minute == "00":
        return cardinal(hour)
    return cardinal(hour) + " " + _pair(minute)


def plural(words: str) -> str:
    """'nineteen ninety' -> 'nineteen nineties' (the 1990s), 'six' -> 'sixes'."""
    *head, last = words.split()
    if last.endswith("y"):
        last = last[:-1] + "ies"
    elif last.endswith("x"):
        last += "es"
    else:
        last += "s"
    return " ".join(head + [last])


_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def fraction(numerator: str, denominator: str) -> str:
    """'3', '4' -> 'three quarters'; '1', '3' -> 'one third'."""
    den = int(denominator)
    if den in _FRACTION_NAMES:
        singular, many = _FRACTION_NAMES[den]
    else:
        singular = ordinal(denominator)
        many = plural(singular)
    return cardinal(numerator) + " " + (singular if int(numerator) == 1 else many)
