"""Acronyms split into letters as the SAPC1 references split them: "TV" -> "~T ~V".

Before NeMo ran, the organisers' SAPC1 reference normaliser split every whitespace-separated word
whose capitals (with apostrophes and a few accented capitals) spell one of the acronyms they list,
character by character: "TV" -> "T V", "PhD" -> "P h D" (its capitals are PD), "7PM" -> "7 P M",
"US$10" -> "U S $ 1 0". Lower-case letters, digits and punctuation count for nothing in the test,
but they are split along with the rest; "TV's" is not split (its capitals with the apostrophe are
"TV'"), and "us" or "Am" never are. A hypothesis that writes "TV" where the reference holds the
two words T and V loses a word, so this rule splits the same words the same way.

Letters come out as "~T" (the spelled-letter convention, which the scorer's cleaner turns into
the plain letter), digits as the words NeMo reads for a lone digit, "$" and the like as the word
NeMo reads for the sign alone; other punctuation inside the word goes, and at its edges stays.

ACRONYMS is the organisers' list as they wrote it (SAPC1, utils/normalize_wrd.py `word_ls`),
including its oddities (MSNNBC, LBGQ, NSYNC).
"""

from __future__ import annotations

import re

from .number_words import DIGIT_WORDS

ACRONYMS = (
    "MSNNBC", "MSNBC", "MSSNNBC", "AARP", "ACDC", "ADHD", "BBBC", "ESPN", "HGTV", "LBGQ", "NCIS",
    "NPPA", "PTSD", "RAMC", "SPCA", "TLSC", "WDRB", "WDTN", "WHIO", "WHYY", "WKRP", "WNBA", "WNYC",
    "YMCA", "AAA", "ABC", "ACP", "ADA", "AHS", "AJR", "AKA", "ALS", "AMC", "AOL", "AXL", "BAU",
    "BBC", "BLT", "BMW", "BRB", "BST", "BTS", "CBS", "CCM", "CEO", "CFO", "CIA", "CNC", "CNN",
    "CPR", "CSI", "CVS", "DCI", "DDA", "DNA", "DSW", "DVD", "DVR", "FAC", "FBI", "FDR", "GPA",
    "HBO", "ICS", "IRS", "JFK", "LAL", "LSU", "MGK", "MIT", "MMA", "MSN", "NBA", "NBC", "NCI",
    "NFL", "NHK", "NHL", "NPR", "NRA", "OAN", "OCD", "PBC", "PBS", "PDU", "PGA", "PLS", "PSP",
    "RBG", "REM", "REO", "RSD", "SNL", "TBS", "TNT", "TSA", "UPS", "USA", "USC", "VSP", "WRB",
    "AC", "AD", "AI", "AM", "AV", "BB", "BJ", "CD", "CJ", "CO", "CV", "DC", "DJ", "DV", "ER",
    "ES", "FC", "FO", "FX", "GI", "GP", "GR", "GT", "ID", "IV", "JF", "JJ", "KC", "LA", "MP",
    "NP", "OJ", "OK", "PA", "PC", "PD", "PJ", "PM", "PT", "QR", "RC", "RH", "RV", "TV", "UK",
    "US", "WH", "WO", "XM", "PPM", "TX", "NYC", "TTV", "II", "AAM", "IL", "NI", "SG", "PB",
    "NSYNC", "YK", "AJ", "PBJ",
)
SPELLED_ACRONYMS = frozenset(ACRONYMS)

# What the organisers' test keeps of a word: capitals, apostrophe and a few accented capitals.
_NOT_KEPT = re.compile("[^A-Z'ÀÁÄÅÈÉÍÏÑÓÖØÛÜĆ]")
_SIGN_WORDS = {"$": "dollar", "£": "pound", "€": "euro", "¥": "yen", "%": "percent", "&": "and",
               "#": "hash", "+": "plus", "@": "at"}


def _spell(character: str) -> str:
    if character.isalpha():
        return "~" + character.upper()
    if character in "0123456789":
        return DIGIT_WORDS[int(character)]
    return _SIGN_WORDS.get(character, character)


_EDGES = re.compile(r"^([^\w$£€¥%&#+@]*)(.*?)([^\w$£€¥%&#+@]*)$", re.DOTALL)


def _split_word(word: str) -> str:
    """Punctuation at the word's edges stays attached; inside it, it goes (the scorer deletes it)."""
    if _NOT_KEPT.sub("", word) not in SPELLED_ACRONYMS:
        return word
    lead, core, trail = _EDGES.match(word).groups()
    spelled = [_spell(c) for c in core if c.isalnum() or c in _SIGN_WORDS]
    return lead + " ".join(spelled) + trail


def split_acronyms(text: str) -> str:
    """'watch CNN on TV.' -> 'watch ~C ~N ~N on ~T ~V.'; 'at 7PM' -> 'at seven ~P ~M'."""
    return re.sub(r"\S+", lambda m: _split_word(m[0]), text)
