"""Post-processing judged by the organisers' scoring rules, as sapsoup replays them.

References are built the way `dev prepare` builds them, from raw SAP-style transcripts through each
edition's reference normalisation; hypotheses are what Whisper writes for the same speech.
"""

import dataclasses

import pytest

from sapsoup.editions import nemo, sapc1, sapc2
from sapsoup.postprocess import FILLER_STYLES, PostprocessOptions, postprocess

# (what Whisper writes, what the SAP transcriber wrote) for the same utterance: numbers, spelled
# letters, acronyms, fillers and hyphenated words, each written the way Whisper prints them.
WHISPER_AND_TRANSCRIPT = [
    ("Set a timer for 25 minutes.", "set a timer for twenty-five minutes"),
    ("I was born in 1998.", "I was born in 1998"),
    ("It costs $3.50 at the store.", "it costs three dollars and fifty cents at the store"),
    ("Wake me up at 7:30 a.m.", "wake me up at seven thirty a.m."),
    ("Turn on the T-V.", "turn on the ~T ~V"),
    ("My name is spelled S-M-I-T-H.", "my name is spelled ~S ~M ~I ~T ~H"),
    ("Put CNN on the TV.", "put CNN on the TV"),
    ("Um, what's the weather like?", "(um) what's the weather like"),
    ("I, uh, need 2 tickets for the 3rd.", "I (uh) need two tickets for the third"),
    ("Call 555-1234 please.", "call five five five one two three four please"),
    ("The 1990s were well-known for music.", "the nineteen nineties were well-known for music"),
    ("Add 50% more sugar.", "add 50 percent more sugar"),
    ("Play covid-19 news from 2005.", "play covid nineteen news from two thousand five"),
]


def _references(transcripts, edition=sapc1.EDITION):
    return (
        [edition.reference(t, False) for t in transcripts],
        [edition.reference(t, True) for t in transcripts],
    )


def _load_nemo():
    """NeMo, loaded once per process; its grammars stay in the user's cache (see conftest.py)."""
    nemo.normalizer()


def test_postprocessing_removes_the_formatting_errors_under_sapc1():
    """References as the organisers wrote them (NeMo), scored as their SAPC1 scorer scores."""
    _load_nemo()
    hypotheses = [whisper for whisper, _ in WHISPER_AND_TRANSCRIPT]
    transcripts = [transcript for _, transcript in WHISPER_AND_TRANSCRIPT]
    ref1 = [sapc1.reference(t, remove_parentheses=False) for t in transcripts]
    ref2 = [sapc1.reference(t, remove_parentheses=True) for t in transcripts]

    raw = sapc1.score_sapc1(hypotheses, ref1, ref2)
    processed = sapc1.score_sapc1([postprocess(h) for h in hypotheses], ref1, ref2)

    # What is left is what the transcriber heard and Whisper wrote differently: "and" in "three
    # dollars and fifty cents", and "555-1234", which NeMo reads "five hundred and fifty five
    # twelve thirty four" where the speaker said "five five five one two three four" (6 errors).
    assert (raw.errors, processed.errors, processed.words) == (43.0, 7.0, 96.0)
    assert [u.errors for u in processed.utterances if u.errors] == [1.0, 6.0]


NO_RULES = PostprocessOptions(fillers="keep", numbers=False, spelled_letters=False, acronyms=False,
                              joined_words=False)


@pytest.mark.parametrize("rule", ["numbers", "spelled_letters", "acronyms", "joined_words"])
def test_each_rule_alone_saves_errors_under_sapc1(rule):
    hypotheses = [whisper for whisper, _ in WHISPER_AND_TRANSCRIPT]
    ref1, ref2 = _references([transcript for _, transcript in WHISPER_AND_TRANSCRIPT])
    rule_alone = dataclasses.replace(NO_RULES, **{rule: True})

    no_rules = sapc1.score_sapc1([postprocess(h, NO_RULES) for h in hypotheses], ref1, ref2)
    one_rule = sapc1.score_sapc1([postprocess(h, rule_alone) for h in hypotheses], ref1, ref2)

    assert one_rule.errors < no_rules.errors


def test_spelled_letters_match_the_reference_letters_after_both_normalisations():
    hypothesis = postprocess("spell it A-B-C")
    reference = sapc1.reference("spell it ~A ~B ~C", remove_parentheses=False)

    assert hypothesis == "spell it ~A ~B ~C"
    assert sapc1.clean(hypothesis) == sapc1.clean(reference) == "SPELL IT A B C"
    assert sapc1.clean("spell it A~B~C") == "SPELL IT ABC"  # why the tildes go before letters


def test_acronyms_are_split_like_the_organisers_reference_splits_them():
    _load_nemo()
    text = "watch CNN's show on TV, then the BBC at 7PM"
    assert sapc1.clean(postprocess(text)) == sapc1.reference(text, remove_parentheses=False) == (
        "WATCH CNN'S SHOW ON T V THEN THE B B C AT SEVEN P M")


# Five utterances, each with one filler and one real error (won't/want, sew/so, light/lights, ...).
FILLER_HYPOTHESES = ["Um, I won't to go home", "I uh think sew", "Hmm, turn on the light", "Er, call mom",
                     "Ah, yes please"]
FILLER_REFERENCES = {
    "marked": ["(um) I want to go home", "I (uh) think so", "(hmm) turn on the lights", "(er) call mom",
               "(ah) yes please"],
    "unmarked": ["um I want to go home", "I uh think so", "hmm turn on the lights", "er call mom",
                 "ah yes please"],
    "absent": ["I want to go home", "I think so", "turn on the lights", "call mom", "yes please"],
}
# WER in percent by reference kind and style (brackets, parentheses, drop, keep): the table in
# the docstring of postprocess/fillers.py.
SAPC1_FILLER_WER = {
    "marked": (14.3, 14.3, 18.8, 14.3),
    "unmarked": (14.3, 14.3, 38.1, 14.3),
    "absent": (50.0, 50.0, 18.8, 50.0),
}
SAPC2_FILLER_WER = {
    "marked": (22.2, 22.2, 25.0, 22.2),
    "unmarked": (22.2, 22.2, 33.3, 22.2),
    "absent": (37.5, 37.5, 25.0, 37.5),
}


def _filler_wer(edition, kind):
    ref1, ref2 = _references(FILLER_REFERENCES[kind], edition)
    wers = []
    for style in FILLER_STYLES:
        hypotheses = [postprocess(h, PostprocessOptions(fillers=style)) for h in FILLER_HYPOTHESES]
        wers.append(round(edition.score(hypotheses, ref1, ref2).rates["WER"], 1))
    return tuple(wers)


@pytest.mark.parametrize("kind", sorted(SAPC1_FILLER_WER))
def test_filler_styles_cost_what_the_fillers_docstring_says_under_sapc1(kind):
    assert FILLER_STYLES == ("brackets", "parentheses", "drop", "keep")
    assert _filler_wer(sapc1.EDITION, kind) == SAPC1_FILLER_WER[kind]


@pytest.mark.parametrize("kind", sorted(SAPC2_FILLER_WER))
def test_filler_styles_cost_what_the_fillers_docstring_says_under_sapc2(kind):
    assert _filler_wer(sapc2.EDITION, kind) == SAPC2_FILLER_WER[kind]


def test_the_archive_splits_the_same_acronyms_as_the_sapc1_references():
    """postprocess/ cannot import the edition (it ships alone in the archive), so it holds a copy."""
    from sapsoup.postprocess import ACRONYMS

    assert tuple(ACRONYMS) == tuple(sapc1.ACRONYMS)
