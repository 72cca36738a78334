"""Split words that punctuation glues together, as the reference normaliser does.

The organisers' reference normaliser turns every character outside A-Z,
apostrophe and space into a space ("well-known" -> WELL KNOWN), while their
hypothesis cleaner deletes it ("well-known" -> WELLKNOWN, one wrong word for
two). So punctuation standing between two letters ("well-known", "and/or",
"yes—no", "AT&T") becomes a space here, e-mail addresses are read out
("a.b@c.org" -> "a dot b at c dot org", as the reference normaliser writes
them) and a curly apostrophe inside a word ("don’t") becomes the straight one
both sides keep.

Apostrophes, brackets and parentheses are left in place: they carry meaning
(contractions, marked fillers). Digits are the numbers rule's business.
"""

from __future__ import annotations

import re
import unicodedata

_LETTER = r"[^\W\d_]"
_GLUE = re.compile(rf"(?<={_LETTER})[^\w\s]+(?={_LETTER})")
_EMAIL = re.compile(r"(?<![\w.@-])[\w.+-]*\w@\w[\w-]*(?:\.[\w-]*\w)+(?![\w@-])")
_KEPT = set("'[]()")
_CURLY_APOSTROPHES = "’ʼ‘"


def _unglue(match: re.Match) -> str:
    glue = match[0]
    if glue in _CURLY_APOSTROPHES:
        return "'"
    if any(c in _KEPT for c in glue):
        return glue
    if not all(unicodedata.category(c)[0] in "PS" for c in glue):
        return glue  # combining accents and the like belong to the word
    return " "


def _spell_email(match: re.Match) -> str:
    return match[0].replace("@", " at ").replace(".", " dot ")


def split_joined_words(text: str) -> str:
    """'a well-known and/or don’t' -> 'a well known and or don't'."""
    text = _EMAIL.sub(_spell_email, text)
    return _GLUE.sub(_unglue, text)
