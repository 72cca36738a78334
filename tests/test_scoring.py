"""SAPC1's scoring rules, one behaviour per test (see docs/challenge-editions.md).

SAPC2's rules are specified in test_sapc2_scores.py, against the organisers' own outputs.
"""

import jiwer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sapsoup.editions.sapc1 import (
    EmptyReferenceError,
    empty_reference_lines,
    score_sapc1,
    score_utterance,
    summarize,
)
from sapsoup.editions.sapc1 import clean as clean_hypothesis

# ---- SAPC1: per utterance ---------------------------------------------------------------------


def test_perfect_hypothesis_has_no_errors():
    score = score_utterance("turn on the lights", "TURN ON THE LIGHTS", "TURN ON THE LIGHTS")
    assert (score.errors, score.words) == (0.0, 4.0)


def test_digits_in_the_hypothesis_are_deleted_and_cost_a_word():
    score = score_utterance("call 911 now", "CALL NINE ONE ONE NOW", "CALL NINE ONE ONE NOW")
    assert score.hypothesis_clean == "CALL NOW"
    assert score.deletions == 3 and score.errors == 3.0


def test_hyphen_in_the_hypothesis_joins_two_words_into_one_error_pair():
    score = score_utterance("a well-known fact", "A WELL KNOWN FACT", "A WELL KNOWN FACT")
    assert score.hypothesis_clean == "A WELLKNOWN FACT"
    assert (score.substitutions, score.deletions, score.errors) == (1, 1, 2.0)


def test_tilde_letters_in_a_reference_match_spelled_letters():
    # dev prepare writes "~T ~V" as "T V"; a hypothesis "TV" then costs a substitution and a deletion.
    assert score_utterance("t v", "T V", "T V").errors == 0.0
    assert score_utterance("tv", "T V", "T V").errors == 2.0


def test_punctuation_and_case_do_not_count_as_errors():
    assert score_utterance("Hello, World!", "HELLO WORLD", "HELLO WORLD").errors == 0.0


def test_errors_are_capped_at_the_reference_length():
    score = score_utterance("a b c d e f", "X", "X")
    assert score.insertions == 5 and score.substitutions == 1
    assert (score.errors, score.words) == (1.0, 1.0)


def test_lower_wer_reference_is_chosen_ref2():
    # The hypothesis skipped the disfluency: ref2 (without it) has the lower WER.
    score = score_utterance("i want water", "I UM WANT WATER", "I WANT WATER")
    assert score.reference == "ref2"
    assert (score.errors, score.words) == (0.0, 3.0)


def test_lower_wer_reference_is_chosen_ref1():
    score = score_utterance("i um want water", "I UM WANT WATER", "I WANT WATER")
    assert score.reference == "ref1"
    assert (score.errors, score.words) == (0.0, 4.0)


def test_min_is_taken_by_rate_not_by_error_count():
    # ref1: 2 errors / 8 words = 25%; ref2: 1 error / 2 words = 50%. ref1 wins despite more errors.
    hypothesis = "a b c d e f"
    score = score_utterance(hypothesis, "A B C D E F G H", "A X")
    assert score.reference == "ref1"
    assert (score.errors, score.words) == (2.0, 8.0)


def test_tie_counts_the_mean_errors_over_the_mean_length():
    # ref1: 1/2 = 50%, ref2: 2/4 = 50%: a tie, so (1+2)/2 errors over (2+4)/2 words.
    score = score_utterance("a b", "A X", "A B C D")
    assert score.reference == "tie"
    assert (score.errors, score.words) == (1.5, 3.0)


def test_identical_references_are_a_tie():
    assert score_utterance("a b", "A C", "A C").reference == "tie"


def test_references_are_cleaned_with_the_hypothesis_rule():
    # A reference written with a hyphen (not as dev prepare writes it) is cleaned like a hypothesis.
    score = score_utterance("wellknown", "WELL-KNOWN", "WELL-KNOWN")
    assert score.reference_clean == "WELLKNOWN" and score.errors == 0.0


def test_unknown_token_never_matches_a_real_word():
    score = score_utterance("call bob now", "CALL UNK NOW", "CALL UNK NOW")
    assert (score.substitutions, score.errors) == (1, 1.0)


def test_empty_hypothesis_costs_every_reference_word():
    score = score_utterance("", "A B C", "A B C")
    assert (score.deletions, score.errors, score.words) == (3, 3.0, 3.0)


def test_empty_reference_is_refused_naming_the_utterance_and_file():
    with pytest.raises(EmptyReferenceError, match=r"utterance 2 \(line 2 of ref2\)"):
        score_sapc1(["a", "um"], ["A", "UM"], ["A", ""])


def test_reference_empty_only_after_cleaning_is_refused():
    with pytest.raises(EmptyReferenceError, match="empty after cleaning"):
        score_utterance("x", "123 !!", "X")


def test_empty_reference_lines_are_listed_one_based():
    assert empty_reference_lines(["A", "UM", "B"], ["A", "", "B"]) == [2]


# ---- SAPC1: per split -------------------------------------------------------------------------


def test_split_wer_is_summed_errors_over_summed_words_not_a_mean_of_rates():
    # Utterance 1: 1 error / 1 word (100%), utterance 2: 0 / 9. Mean of rates = 50%; the rule gives 10%.
    score = score_sapc1(["x", "a b c d e f g h i"], ["A", "A B C D E F G H I"], ["A", "A B C D E F G H I"])
    assert score.wer == pytest.approx(10.0)
    assert (score.errors, score.words) == (1.0, 10.0)


def test_split_keeps_one_score_per_utterance_in_order():
    score = score_sapc1(["a", "b"], ["A", "C"], ["A", "C"])
    assert [u.errors for u in score.utterances] == [0.0, 1.0]


def test_unequal_hypothesis_count_is_refused():
    with pytest.raises(ValueError, match="1 hypotheses, 2 ref1 lines, 2 ref2 lines"):
        score_sapc1(["a"], ["A", "B"], ["A", "B"])


def test_unequal_reference_counts_are_refused():
    with pytest.raises(ValueError, match="line counts differ"):
        score_sapc1(["a", "b"], ["A", "B"], ["A"])


def test_empty_split_is_refused():
    with pytest.raises(EmptyReferenceError, match="empty"):
        score_sapc1([], [], [])


def test_summarize_regroups_utterances_into_a_bucket():
    score = score_sapc1(["a", "x", "c"], ["A", "B", "C"], ["A", "B", "C"])
    bucket = summarize(score.utterances[1:])
    assert (bucket.errors, bucket.words, bucket.wer) == (1.0, 2.0, 50.0)


def test_wer_matches_jiwer_on_the_normalised_strings():
    hypotheses = ["the cat sat on a mat", "hello there", "i want to go home now please"]
    references = ["THE CAT SAT ON THE MAT", "HELLO THERE GENERAL", "I WANT TO GO HOME"]
    score = score_sapc1(hypotheses, references, references)
    expected = jiwer.wer(references, [clean_hypothesis(h) for h in hypotheses])
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
