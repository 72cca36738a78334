"""Post-processing against what wrote the SAPC1 references: the organisers' outputs and NeMo itself.

The SAPC1 references hold NeMo's reading of every number and abbreviation (`nemo_text_processing`
1.2.0, cased English), so a hypothesis scores best when post-processing writes the same words.
Two checks: every row of the organisers' own normalisation of written numbers, and thousands of
generated numbers in short sentences run through NeMo in this process.
"""

import random
import re
from pathlib import Path

import pytest

from sapsoup.postprocess import ACRONYMS, postprocess, split_acronyms

FIXTURES = Path(__file__).parent / "fixtures" / "organisers"
# NeMo compiles its grammars once (minutes) into this folder and loads them in seconds afterwards.

_SCORER_KEEPS = "A-Z' ÀÁÄÅÈÉÍÏÑÓÖØÛÜĆ"


def scorer_clean(text):
    """The SAPC1 scorer's cleaning of a hypothesis: upper case, DELETE everything else, one space."""
    return " ".join(re.sub(f"[^{_SCORER_KEEPS}]", "", text.upper()).split())


def reference_clean(text):
    """The SAPC1 reference normaliser after NeMo: upper case, everything else to a SPACE, apostrophes
    at word edges stripped."""
    words = re.sub(f"[^{_SCORER_KEEPS}]", " ", text.upper()).split()
    return " ".join(word.strip("'") for word in words if word.strip("'"))


def _numbers_rows():
    lines = (FIXTURES / "numbers.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


NUMBERS_ROWS = _numbers_rows()


def test_the_numbers_fixture_has_every_category():
    assert len(NUMBERS_ROWS) == 293
    assert {row["category"] for row in NUMBERS_ROWS} == {
        "cardinal", "date", "decimal", "fraction", "measure", "misc", "money", "ordinal", "percent",
        "phone", "time", "year"}


@pytest.mark.parametrize("row", NUMBERS_ROWS, ids=[row["written"] for row in NUMBERS_ROWS])
def test_postprocessed_numbers_score_as_the_organisers_sapc1_reference(row):
    assert scorer_clean(postprocess(row["written"])) == row["sapc1_reference"]


def test_acronyms_are_the_organisers_list_split_their_way():
    assert len(ACRONYMS) == len(set(ACRONYMS)) == 164
    assert {"PhD", "TV", "US", "II", "PM", "NSYNC"} - set(ACRONYMS) == {"PhD"}
    assert scorer_clean(split_acronyms("a PhD from the US, on TV's news, not us")) == (
        "A P H D FROM THE U S ON TV'S NEWS NOT US")
    assert split_acronyms("at 7PM (OK)") == "at seven ~P ~M (~O ~K)"


# Generated cases ---------------------------------------------------------------------------------


def _integer(rng):
    digits = rng.randint(1, 10)
    value = rng.randint(0, 9) if digits == 1 else rng.randint(10 ** (digits - 1), min(10**digits - 1, 10**9))
    if rng.random() < 0.15:
        value = rng.choice([100, 1000, 10**4, 10**5, 10**6, 10**9]) * rng.randint(1, 9)
        value = min(value, 10**9)
    return f"{value:,}" if rng.random() < 0.5 else str(value)


def _cases(seed=20250409):
    """(kind, sentence): the numbers NeMo reads in SAPC1 references, in short sentences."""
    rng = random.Random(seed)
    cases = []
    for _ in range(450):
        cases.append(("integer", f"I counted {_integer(rng)} birds"))
    for _ in range(80):
        cases.append(("negative", f"The total is -{_integer(rng)} now"))
    for _ in range(200):
        cases.append(("year", f"It happened in {rng.randint(1000, 2999)} there"))
    for _ in range(80):
        decade = rng.randint(100, 299) * 10
        cases.append(("decade", rng.choice([f"Back in the {decade}s it was", f"In the '{decade % 100:02d}s we met"])))
    for _ in range(250):
        hour, minute = rng.randint(0, 23), rng.randint(0, 59)
        suffix = rng.choice(["", "", " am", " pm", " a.m.", " p.m.", "pm", "am"])
        if suffix:
            hour = rng.randint(1, 12)
        clock = f"{hour}:{minute:02d}" if rng.random() < 0.8 else f"{hour}"
        if not suffix and ":" not in clock:
            clock += ":00"
        cases.append(("time", f"Wake me at {clock}{suffix} please"))
    for _ in range(300):
        symbol = rng.choice(["$", "$", "$", "£", "€"])
        form = rng.random()
        if form < 0.35:
            amount = _integer(rng)
        elif form < 0.8:
            amount = f"{rng.choice([0, 1, 2, rng.randint(0, 99999)]):,}.{rng.randint(0, 99):02d}"
        else:
            amount = f"{rng.randint(1, 999)}{rng.choice(['', '.5', '.25'])} {rng.choice(['million', 'billion'])}"
        cases.append(("money", f"It costs {symbol}{amount} today"))
    for _ in range(200):
        value = rng.choice([rng.randint(1, 40), rng.randint(1, 1000), rng.randint(1, 10**6)])
        ending = {1: "st", 2: "nd", 3: "rd"}.get(value % 10 if value % 100 not in (11, 12, 13) else 0, "th")
        cases.append(("ordinal", f"This is the {value}{ending} time"))
    for _ in range(200):
        integer = rng.choice([0, rng.randint(1, 99), rng.randint(100, 99999)])
        cases.append(("decimal", f"The reading was {integer}.{rng.randint(0, 10 ** rng.randint(1, 3) - 1)} today"))
    for _ in range(200):
        value = rng.choice([str(rng.randint(0, 100)), str(rng.randint(0, 5000)), f"{rng.randint(0, 99)}.{rng.randint(0, 9)}"])
        cases.append(("percent", f"It rose {value}% last year"))
    for sentence in ODD_SENTENCES:
        cases.append(("odd", sentence))
    return cases


# Written forms where NeMo's reading is a by-product of its grammar rather than a rule.
ODD_SENTENCES = ["It is 1.2.3 now", "It is 3.5-4 now", "It is 24:00 now", "It is 12:60 now",
                 "The 2010s were fine", "It is 1st-floor", "It is x−12.5 ok", "It is 10-20 now",
                 "It is $15/hour"]

# NeMo readings that no rule here reproduces, with the reason; each is asserted to still differ.
EXPECTED_MISMATCHES = {
    "It is 1.2.3 now": "NeMo reads a run of dotted numbers as 'one two point three'; ours 'one point two three'",
    "It is 3.5-4 now": "NeMo spells the symbols of a decimal range ('three dot five dash four'); ours 'three point five four'",
    "It is x−12.5 ok": "after a Unicode minus glued to a word NeMo reads only the last digit ('x five'); ours leaves it",
}


@pytest.fixture(scope="module")
def nemo():
    from sapsoup.editions import nemo as sapc1_nemo

    sapc1_nemo.normalizer()  # loaded once; its grammars stay in the user's cache (see conftest.py)
    return sapc1_nemo.normalize


def test_generated_cases_are_thousands_and_deterministic():
    cases = _cases()
    assert len(cases) >= 1900
    assert cases == _cases()
    assert len({kind for kind, _ in cases}) == 10


def test_postprocessing_agrees_with_nemo_on_thousands_of_generated_numbers(nemo):
    differing = {}
    for kind, sentence in _cases():
        ours = scorer_clean(postprocess(sentence))
        theirs = reference_clean(nemo(sentence))
        if ours != theirs:
            differing[sentence] = (kind, ours, theirs)
    unexpected = {s: d for s, d in differing.items() if s not in EXPECTED_MISMATCHES}
    assert unexpected == {}
    assert set(EXPECTED_MISMATCHES) <= set(differing)  # a case NeMo now agrees with leaves the list
