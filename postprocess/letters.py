"""Spelled-out letters in the SAP transcript convention: "~T ~V".

SAP transcribers mark each letter of a spelled word with a tilde, and the
organisers' reference normaliser turns "~" into a space, so a reference
"~T ~V" is the two words T and V. The hypothesis scorer, on the other hand,
deletes every character outside A-Z, apostrophe and space: Whisper's "T-V",
"t.v." or "T~V" would all score as the single word TV and cost two errors.
Writing "~T ~V" keeps one letter per word on both sides (the hypothesis
cleaner deletes the tildes, leaving "T V").

Recognised: two or more single letters joined by hyphens ("A-B-C", "s-m-i-t-h")
or by dots ("a.b.c.", "U.S.A", "e.g."), and runs of two or more single capital
letters separated by spaces ("T V"). Single letters alone, words like "T-shirt",
lower-case "a b" and spaced capitals that may be the words "I" and "A" ("Plan B
I think") are left alone.
"""

from __future__ import annotations

import re

_HYPHENATED = re.compile(r"(?<![\w'’~.-])[A-Za-z](?:-[A-Za-z])+(?![\w'’~-])")
_DOTTED = re.compile(r"(?<![\w'’~.-])[A-Za-z](?:\.[A-Za-z])+\.?(?![\w'’~-])")
_SPACED = re.compile(r"(?<![\w'’~.-])[A-Z](?: [A-Z])+(?![\w'’~.-])")


def _tilde_letters(match: re.Match) -> str:
    letters = [c for c in match[0] if c.isalpha()]
    return " ".join("~" + letter.upper() for letter in letters)


def _tilde_capitals(match: re.Match) -> str:
    """Only when two of the capitals cannot be the words "I" and "A" ("Plan B I think")."""
    if sum(c not in "AI" for c in match[0] if c.isalpha()) < 2:
        return match[0]
    return _tilde_letters(match)


def spell_letters(text: str) -> str:
    """'the T-V and the U.S.A.' -> 'the ~T ~V and the ~U ~S ~A'."""
    text = _HYPHENATED.sub(_tilde_letters, text)
    text = _DOTTED.sub(_tilde_letters, text)
    return _SPACED.sub(_tilde_capitals, text)
