"""Abbreviations written out as NeMo wrote them in the SAPC1 references: "Dr." -> "doctor".

NeMo's English normaliser (deterministic, cased) expands a fixed list of abbreviations, and the
SAPC1 references hold the expansion: DOCTOR SMITH, MISTER JONES, ETCETERA, VERSUS. "St." is
"Saint" only before a capitalised name ("St. Louis"); after a street name it stays ST. Titles it
does not list stay as written ("No. 5" -> NO FIVE, "Ave." -> AVE), and so do most of them without
their full stop ("Dr Smith"). The table is NeMo's data, limited to words a speaker says.
"""

from __future__ import annotations

import re

ABBREVIATIONS = {
    "Dr.": "doctor", "Drs.": "doctors", "Mr.": "mister", "Mrs.": "misses", "Ms.": "miss",
    "Jr.": "junior", "jr.": "junior", "Jr": "junior", "jr": "junior", "Sgt.": "sergeant",
    "Capt.": "captain", "Col.": "colonel", "Gen.": "general", "Lt.": "lieutenant",
    "Gov.": "governor", "Hon.": "honorable", "Rev.": "Reverend", "Maj.": "Major", "Mt.": "Mount",
    "Ft.": "Fort", "Esq.": "esquire", "Co.": "company", "Ltd.": "limited", "ltd": "limited",
    "prof.": "professor", "dept.": "department", "dept": "department", "est.": "estimated",
    "vol.": "volume", "vol": "volume", "bldg.": "building", "Bldg.": "Building",
    "apt.": "apartment", "Apt.": "Apartment", "etc.": "etcetera.", "vs.": "versus", "vs": "versus",
    "e.g.": "for example", "i.e.": "that is",
}

_WORD = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
    + r")(?=[\s,;:!?)]|$)"
)
# "St." before a capitalised name, as NeMo's list of first names has them.
_SAINT = re.compile(r"(?<![\w.])(?:St|ST|st)\.?(?= [A-Z][a-z])")
_WORLD_WAR = re.compile(r"\bWorld War (?:~?I ~?I|II)(?![\w'])|\bWorld War I(?![\w'~])")


def _world_war(match: re.Match) -> str:
    """NeMo's list reads "World War II" as "World War two", but only after the organisers had split
    the acronym II, so what it saw was "World War I I": "World War one I"."""
    return "World War one" + (" I" if "I I" in match[0].replace("~", "") or "II" in match[0] else "")


def expand_abbreviations(text: str) -> str:
    """'Dr. Smith vs. Mr. Jones' -> 'doctor Smith versus mister Jones'."""
    text = _WORLD_WAR.sub(_world_war, text)
    text = _SAINT.sub("Saint", text)
    return _WORD.sub(lambda m: ABBREVIATIONS[m[1]], text)
