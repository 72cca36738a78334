"""SAPC1 WER: per utterance capped at the reference length, the better of two references, ties
averaged, summed over the split, exactly as the organisers' scorer counts.

The oracle is `fixtures/organisers/sapc1_scores.tsv`: the errors and words each utterance added to
the organisers' WER, for hypotheses and transcripts written for sapsoup.
"""

import functools
import os

import jiwer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sapsoup.editions.sapc1 import (
    EmptyReferenceError,
    clean,
    empty_reference_lines,
    reference,
    score_sapc1,
    score_utterance,
    summarize,
)

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "organisers", "sapc1_scores.tsv")


@functools.cache
def read_rows():
    with open(FIXTURE, encoding="utf-8") as handle:
        header, *rows = [line.rstrip("\n").split("\t") for line in handle]
    assert header == ["raw_hypothesis", "ref1", "ref2", "errors", "words", "raw_transcript"]
    return rows


# ---- the organisers' outputs, every row ----------------------------------------------------------


def test_every_utterance_adds_the_organisers_errors_and_words():
    rows = read_rows()
    assert len(rows) == 402
    ours = [score_utterance(hypothesis, ref1, ref2) for hypothesis, ref1, ref2, *_ in rows]
    assert [(u.errors, u.words) for u in ours] == [(float(row[3]), float(row[4])) for row in rows]


def test_split_from_raw_transcripts_matches_the_organisers_total():
    rows = read_rows()
    hypotheses = [row[0] for row in rows]
    transcripts = [row[5] for row in rows]
    ref1 = [reference(transcript, remove_parentheses=False) for transcript in transcripts]
    ref2 = [reference(transcript, remove_parentheses=True) for transcript in transcripts]
    assert (ref1, ref2) == ([row[1] for row in rows], [row[2] for row in rows])
    score = score_sapc1(hypotheses, ref1, ref2)
    assert (score.errors, score.words) == (746.5, 2471.5)
    assert round(score.wer, 4) == 30.2043


# ---- one utterance -----------------------------------------------------------------------------


def test_perfect_hypothesis_has_no_errors():
    score = score_utterance("turn on the lights", "TURN ON THE LIGHTS", "TURN ON THE LIGHTS")
    assert (score.errors, score.words) == (0.0, 4.0)


def test_digits_in_the_hypothesis_vanish_and_cost_their_words():
    score = score_utterance("call 911 now", "CALL NINE ONE ONE NOW", "CALL NINE ONE ONE NOW")
    assert score.hypothesis_clean == "CALL NOW"
    assert (score.deletions, score.errors) == (3, 3.0)


def test_hyphenated_hypothesis_is_one_word_and_costs_two_errors():
    score = score_utterance("a well-known fact", "A WELL KNOWN FACT", "A WELL KNOWN FACT")
    assert score.hypothesis_clean == "A WELLKNOWN FACT"
    assert (score.substitutions, score.deletions, score.errors) == (1, 1, 2.0)


def test_acronym_written_as_one_word_costs_two_errors():
    assert score_utterance("watch t v", "WATCH T V", "WATCH T V").errors == 0.0
    assert score_utterance("watch TV", "WATCH T V", "WATCH T V").errors == 2.0


def test_errors_are_capped_at_the_reference_length():
    score = score_utterance("a b c d e f", "X", "X")
    assert (score.substitutions, score.insertions) == (1, 5)
    assert (score.errors, score.words) == (1.0, 1.0)


def test_reference_without_the_disfluency_wins_when_the_hypothesis_skips_it():
    score = score_utterance("i want water", "I UM WANT WATER", "I WANT WATER")
    assert (score.reference, score.errors, score.words) == ("ref2", 0.0, 3.0)


def test_reference_with_the_disfluency_wins_when_the_hypothesis_says_it():
    score = score_utterance("i um want water", "I UM WANT WATER", "I WANT WATER")
    assert (score.reference, score.errors, score.words) == ("ref1", 0.0, 4.0)


def test_the_lower_rate_wins_not_the_lower_error_count():
    # ref1: 2 errors / 8 words = 25 %; ref2: 1 error / 2 words = 50 %.
    score = score_utterance("a b c d e f", "A B C D E F G H", "A X")
    assert (score.reference, score.errors, score.words) == ("ref1", 2.0, 8.0)


def test_tie_counts_the_mean_errors_over_the_mean_length():
    # ref1: 1/2 = 50 %, ref2: 2/4 = 50 %: (1 + 2) / 2 errors over (2 + 4) / 2 words.
    score = score_utterance("a b", "A X", "A B C D")
    assert (score.reference, score.errors, score.words) == ("tie", 1.5, 3.0)


def test_unknown_word_is_an_ordinary_word_no_hypothesis_says():
    assert score_utterance("call bob now", "CALL UNK NOW", "CALL UNK NOW").errors == 1.0


def test_empty_hypothesis_costs_every_reference_word():
    score = score_utterance("123 ...", "A B C", "A B C")
    assert (score.deletions, score.errors, score.words) == (3, 3.0, 3.0)


def test_references_are_cleaned_like_hypotheses():
    score = score_utterance("wellknown", "WELL-KNOWN", "WELL-KNOWN")
    assert (score.reference_clean, score.errors) == ("WELLKNOWN", 0.0)


# ---- empty references --------------------------------------------------------------------------


def test_empty_reference_is_refused_naming_the_utterance_and_file():
    with pytest.raises(EmptyReferenceError, match=r"utterance 2 \(line 2 of ref2\)"):
        score_sapc1(["a", "um"], ["A", "UM"], ["A", ""])


def test_reference_empty_only_after_cleaning_is_refused():
    with pytest.raises(EmptyReferenceError, match="empty after cleaning"):
        score_utterance("x", "123 !!", "X")


def test_empty_reference_lines_are_listed_one_based():
    assert empty_reference_lines(["A", "UM", "B"], ["A", "", "B"]) == [2]


def test_empty_split_is_refused():
    with pytest.raises(EmptyReferenceError, match="split is empty"):
        score_sapc1([], [], [])


# ---- a split -----------------------------------------------------------------------------------


def test_split_wer_is_summed_errors_over_summed_words_not_a_mean_of_rates():
    # 1 error / 1 word and 0 / 9: the mean of rates would be 50 %; the rule gives 10 %.
    score = score_sapc1(["x", "a b c d e f g h i"], ["A", "A B C D E F G H I"], ["A", "A B C D E F G H I"])
    assert (score.errors, score.words, score.wer) == (1.0, 10.0, 10.0)


def test_split_keeps_one_score_per_utterance_in_order():
    assert [u.errors for u in score_sapc1(["a", "b"], ["A", "C"], ["A", "C"]).utterances] == [0.0, 1.0]


def test_summarize_adds_up_any_subset_of_utterances():
    utterances = score_sapc1(["a", "b", "c d"], ["A", "C", "C D"], ["A", "C", "C D"]).utterances
    subset = summarize(utterances[1:])
    assert (subset.errors, subset.words, subset.wer) == (1.0, 3.0, pytest.approx(100 / 3))


def test_unequal_hypothesis_count_is_refused():
    with pytest.raises(ValueError, match="1 hypotheses, 2 ref1 lines, 2 ref2 lines"):
        score_sapc1(["a"], ["A", "B"], ["A", "B"])


def test_unequal_reference_counts_are_refused():
    with pytest.raises(ValueError, match="line counts differ"):
        score_sapc1(["a", "b"], ["A", "B"], ["A"])


# ---- properties and agreement with jiwer -------------------------------------------------------


def test_punctuation_and_case_do_not_count_as_errors():
    assert score_utterance("Hello, World!", "HELLO WORLD", "HELLO WORLD").errors == 0.0


def test_identical_references_are_a_tie():
    assert score_utterance("a b", "A C", "A C").reference == "tie"


def test_wer_matches_jiwer_on_the_normalised_strings():
    hypotheses = ["the cat sat on a mat", "hello there", "i want to go home now please"]
    references = ["THE CAT SAT ON THE MAT", "HELLO THERE GENERAL", "I WANT TO GO HOME"]
    score = score_sapc1(hypotheses, references, references)
    expected = jiwer.wer(references, [clean(h) for h in hypotheses])
    assert score.wer == pytest.approx(100 * expected)


WORDS = st.sampled_from(["A", "B", "C", "D", "UM", "UNK"])
SENTENCE = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(WORDS, max_size=5).map(" ".join), SENTENCE), min_size=1, max_size=5))
def test_wer_matches_jiwer_whenever_no_cap_applies(pairs):
    hypotheses = [h for h, _ in pairs]
    references = [r for _, r in pairs]
    score = score_sapc1(hypotheses, references, references)
    output = jiwer.process_words(references, hypotheses)
    edits = [jiwer.process_words(r, h) for h, r in pairs]
    if all(e.substitutions + e.deletions + e.insertions <= len(r.split()) for e, r in zip(edits, references)):
        assert score.wer == pytest.approx(100 * output.wer)
    assert score.errors <= score.words


@settings(max_examples=60, deadline=None)
@given(SENTENCE, SENTENCE, SENTENCE)
def test_two_references_never_score_worse_than_the_better_one_alone(hypothesis, first, second):
    both = score_utterance(hypothesis, first, second)
    only_first = score_utterance(hypothesis, first, first)
    only_second = score_utterance(hypothesis, second, second)
    best = min(only_first.errors / only_first.words, only_second.errors / only_second.words)
    assert both.errors / both.words == pytest.approx(best)
