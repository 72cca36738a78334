"""Numbers spelled out the way NeMo's English text normaliser spelled them in SAPC1 references.

The organisers wrote the SAPC1 references with `nemo_text_processing` 1.2.0 (cased English,
deterministic), and a hypothesis scores best when it holds the very words NeMo wrote. NeMo's
readings are not always the ones a person would choose, and each function here says which one it
copies:
- a cardinal puts one "and" after the last "hundred" or "thousand" of the number ("nine hundred
  and eleven", "three thousand and five", but "two hundred fifty thousand");
- a plain run of five or more digits, or one with a leading zero, is read digit by digit
  ("10000" -> "one zero zero zero zero"); with thousands commas it is a cardinal again;
- a four-digit number from 1000 to 2999 is a year ("1010" -> "ten ten", "2001" -> "two thousand
  one", "2100" -> "twenty one hundred");
- ordinals have no "and" ("one hundred twelfth").

Inputs are strings of ASCII digits as found in the text, never ints: leading zeros matter. No
hyphens or commas appear in the output, since the hypothesis scorer deletes them and would glue two
words into one.
"""

from __future__ import annotations

MAX_DIGITS = 30  # longer runs are no spoken number; callers leave them as they are

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion",
           "sextillion", "septillion", "octillion", "nonillion")
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}


def _two_digits(n: int) -> list[str]:
    if n < 10:
        return [DIGIT_WORDS[n]]
    if n < 20:
        return [_TEENS[n - 10]]
    tens, units = divmod(n, 10)
    return [_TENS[tens]] + ([DIGIT_WORDS[units]] if units else [])


def _three_digits(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = [DIGIT_WORDS[hundreds], "hundred"] if hundreds else []
    return words + (_two_digits(rest) if rest else [])


def _plain_words(digits: str) -> list[str]:
    """'250000' -> two hundred fifty thousand: the words without any "and"."""
    value = int(digits)
    if value == 0:
        return ["zero"]
    groups = []
    while value:
        value, group = divmod(value, 1000)
        groups.append(group)
    if len(groups) > len(_SCALES):
        raise ValueError(f"number too long to spell: {digits!r}")
    words: list[str] = []
    for scale, group in reversed(list(enumerate(groups))):
        if group:
            words += _three_digits(group) + ([_SCALES[scale]] if scale else [])
    return words


def _insert_and(words: list[str]) -> list[str]:
    """One "and" after a "hundred" that no thousand or million follows, else after a "thousand"
    that no hundred follows: NeMo's only two places for it."""
    for i, word in enumerate(words[:-1]):
        rest = words[i + 1:]
        if word == "hundred" and "thousand" not in rest and "million" not in rest:
            return words[: i + 1] + ["and"] + rest
    for i, word in enumerate(words[:-1]):
        rest = words[i + 1:]
        if word == "thousand" and "hundred" not in rest:
            return words[: i + 1] + ["and"] + rest
    return words


def cardinal(digits: str) -> str:
    """An amount: '1234' -> 'one thousand two hundred and thirty four', whatever its length."""
    return " ".join(_insert_and(_plain_words(digits)))


def digit_by_digit(digits: str) -> str:
    """'0512' -> 'zero five one two': how NeMo reads codes, long runs and phone numbers."""
    return " ".join(DIGIT_WORDS[int(d)] for d in digits)


def _pair(two_digits: str) -> str:
    """Half of a year: '05' -> 'oh five', '19' -> 'nineteen', '20' -> 'twenty'."""
    if two_digits[0] == "0":
        return "oh " + DIGIT_WORDS[int(two_digits[1])]
    return " ".join(_two_digits(int(two_digits)))


def is_year(digits: str) -> bool:
    """NeMo reads a lone four-digit number from 1000 to 2999 as a year."""
    return len(digits) == 4 and digits[0] in "12"


def year(digits: str) -> str:
    """'1998' -> 'nineteen ninety eight', '2005' -> 'two thousand five', '1900' -> 'nineteen
    hundred', '2100' -> 'twenty one hundred', '1010' -> 'ten ten'."""
    if digits[1:3] == "00":
        head = DIGIT_WORDS[int(digits[0])] + " thousand"
        return head if digits[3] == "0" else head + " " + DIGIT_WORDS[int(digits[3])]
    if digits[2:] == "00":
        return _pair(digits[:2]) + " hundred"
    return _pair(digits[:2]) + " " + _pair(digits[2:])


def decade(digits: str) -> str | None:
    """'1980' of '1980s' -> 'nineteen eighties', or None where NeMo has no decade reading.

    NeMo says a decade only for 10xx-19xx ('1880s'), for whole hundreds ('1900s', '2100s') and
    for whole thousands ('2000s'); '2010s' is left to the cardinal ('two thousand and ten s').
    """
    if not is_year(digits) or digits[3] != "0":
        return None
    if digits[1:] == "000":
        return DIGIT_WORDS[int(digits[0])] + " thousands"
    if digits[2:] == "00":
        return _pair(digits[:2]) + " hundreds"
    if digits[0] == "1" and digits[2] != "0":
        return _pair(digits[:2]) + " " + plural(_TENS[int(digits[2])] if digits[2] != "1" else "ten")
    return None


def number(digits: str) -> str:
    """A lone written integer as NeMo reads it: a year, digit by digit, or a cardinal."""
    if len(digits) > 1 and digits[0] == "0":
        return digit_by_digit(digits)
    if is_year(digits):
        return year(digits)
    if len(digits) >= 5:
        return digit_by_digit(digits)
    return cardinal(digits)


def ordinal(digits: str) -> str:
    """'21' -> 'twenty first', '112' -> 'one hundred twelfth' (no "and" in ordinals)."""
    *head, last = _plain_words(digits)
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join(head + [last])


def decimal(integer_digits: str, fraction_digits: str) -> str:
    """'2', '50' -> 'two point five zero'; an empty integer part ('.5') -> 'point five'."""
    head = cardinal(integer_digits) + " " if integer_digits else ""
    return head + "point " + digit_by_digit(fraction_digits)


def plural(words: str) -> str:
    """'nineteen ninety' -> 'nineteen nineties', 'third' -> 'thirds', 'half' -> 'halves'."""
    *head, last = words.split()
    if last == "half":
        last = "halves"
    elif last.endswith("y"):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return " ".join(head + [last])


def fraction(numerator: str, denominator: str) -> str:
    """'3', '4' -> 'three quarters'; '1', '2' -> 'one half'; '24', '7' -> 'twenty four sevenths';
    '3', '1' -> 'three over one'."""
    den = int(denominator)
    if den == 1:
        return f"{cardinal(numerator)} over one"
    if den == 2:
        singular = "half"
    elif den == 4:
        singular = "quarter"
    else:
        singular = ordinal(denominator)
    return cardinal(numerator) + " " + (singular if int(numerator) == 1 else plural(singular))
