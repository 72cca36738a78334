"""SAPC2 scoring (`sapsoup.editions.sapc2`) agrees with the organisers' server on every fixture row.

`sapc2_scores.tsv` holds, per utterance, what the organisers' `evaluate.sh` added to its sums; its
`ref1`/`ref2` columns are the normalised references, and `sapc2_hypotheses.tsv` gives the
normalised form of each raw hypothesis. The last 80 rows put `unk` next to another error, where
sclite's choice among equally short alignments decides the score.
"""

import csv
from pathlib import Path

import pytest

from sapsoup.editions.sapc2 import (
    Sapc2Score,
    apply_unknown_rule,
    score,
    score_utterance,
    stops_organisers_scorer,
    summarize,
)
from sapsoup.editions.sclite import AlignedPair

FIXTURES = Path(__file__).parent / "fixtures" / "organisers"


def read_tsv(name: str) -> list[dict[str, str]]:
    with open(FIXTURES / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def plain_sentence_normalised(raw: str) -> str:
    """The organisers' hypothesis normaliser on a sentence of letters, spaces and full stops:
    lower case, stops gone. `sapc2_hypotheses.tsv` lacks the hypotheses of the 80 `unk` rows, all
    such plain sentences, checked against the organisers' `normalize_hyp.py`."""
    assert set(raw) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ."), raw
    return " ".join(raw.lower().replace(".", " ").split())


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    normalised = {row["raw_hypothesis"]: row["normalised"] for row in read_tsv("sapc2_hypotheses.tsv")}
    rows = read_tsv("sapc2_scores.tsv")
    assert len(rows) == 402
    for row in rows:
        raw = row["raw_hypothesis"]
        row["hypothesis"] = normalised[raw] if raw in normalised else plain_sentence_normalised(raw)
    return rows


@pytest.fixture(scope="module")
def split(rows) -> Sapc2Score:
    return score([r["hypothesis"] for r in rows], [r["ref1"] for r in rows], [r["ref2"] for r in rows])


def counts(utterance) -> tuple[float, float, float, float]:
    return (utterance.word_errors, utterance.words, utterance.char_errors, utterance.chars)


def expected_counts(row) -> tuple[float, float, float, float]:
    return tuple(float(row[column]) for column in ("word_errors", "words", "char_errors", "chars"))


# --------------------------------------------------------------------------------------------------
# The organisers' outputs
# --------------------------------------------------------------------------------------------------


def test_every_row_agrees_with_the_organisers(rows, split):
    disagreements = [
        (number, row["hypothesis"], row["ref1"], row["ref2"], expected_counts(row), counts(utterance))
        for number, (row, utterance) in enumerate(zip(rows, split.utterances), start=1)
        if counts(utterance) != expected_counts(row)
    ]
    assert disagreements == []


def test_the_rows_next_to_unk_agree_with_the_organisers(rows, split):
    # Rows 323-402 are the alignment-tie cases; counted separately so a regression there is named.
    tail = list(zip(rows, split.utterances))[-80:]
    assert all("UNK" in row["ref1"] or "UNK" in row["ref2"] for row, _ in tail)
    assert [counts(u) for _, u in tail] == [expected_counts(row) for row, _ in tail]


def test_split_totals_match_the_organisers(split):
    assert (split.char_errors, split.chars) == (1172, 9831)
    assert (split.word_errors, split.words) == (314, 2236)
    assert split.cer == pytest.approx(100 * 0.119214728474617, abs=5e-5)
    assert split.wer == pytest.approx(100 * 0.1404293328523636, abs=5e-5)
    assert round(split.cer, 4) == 11.9215
    assert round(split.wer, 4) == 14.0429
    assert split.stopping_utterances == []


# --------------------------------------------------------------------------------------------------
# The rules, one by one
# --------------------------------------------------------------------------------------------------


def test_a_substituted_unk_takes_the_hypothesis_word():
    utterance = score_utterance("we drove to the lake", "we drove to UNK lake", "we drove to UNK lake")
    assert counts(utterance) == (0, 5, 0, len("we drove to the lake"))
    assert utterance.reference_norm == "we drove to the lake"


def test_a_deleted_unk_leaves_the_reference():
    utterance = score_utterance("we drove to lake", "we drove to UNK lake", "we drove to UNK lake")
    assert counts(utterance) == (0, 4, 0, len("we drove to lake"))


def test_an_inserted_unk_leaves_the_hypothesis():
    hypothesis, reference = apply_unknown_rule(
        [AlignedPair("C", "go", "go"), AlignedPair("I", None, "unk"), AlignedPair("D", "unk", None)]
    )
    assert (hypothesis, reference) == (["go"], ["go"])


def test_sclite_tie_order_decides_whether_unk_is_free():
    # "unk the" against "red": sclite deletes unk and substitutes "the" (not the reverse), so
    # the reference becomes "the" and "red" is one error, not a free match.
    utterance = score_utterance("red", "UNK the", "UNK the")
    assert (utterance.word_errors, utterance.words) == (1, 1)
    assert utterance.reference_norm == "the"


def test_characters_count_the_spaces_between_words():
    utterance = score_utterance("a bc", "ab c", "ab c")
    assert (utterance.char_errors, utterance.chars) == (2, 4)


def test_counts_are_clipped_at_the_reference_length():
    utterance = score_utterance("one two three four", "yes", "yes")
    assert (utterance.word_errors, utterance.words) == (1, 1)
    assert (utterance.char_errors, utterance.chars) == (3, 3)


def test_the_lower_rate_wins_and_word_and_character_sides_choose_independently():
    utterance = score_utterance("i can not see it", "ii i can not see it", "i can not see it")
    assert utterance.word_reference == "ref2" and utterance.char_reference == "ref2"
    assert counts(utterance) == (0, 5, 0, 16)
    # Words tie (every word wrong against either) while characters prefer ref1 (1 of 5, not 2 of 5).
    utterance = score_utterance("abcde", "abcdx", "ab cd")
    assert (utterance.word_errors, utterance.words, utterance.word_reference) == (1.5, 1.5, "tie")
    assert (utterance.char_errors, utterance.chars, utterance.char_reference) == (1, 5, "ref1")
    # Words prefer ref1 (1 of 4, not 2 of 3) while characters prefer ref2 (1 of 6, not 3 of 9).
    utterance = score_utterance("a b c d", "a b c xyz", "ab c d")
    assert (utterance.word_errors, utterance.words, utterance.word_reference) == (1, 4, "ref1")
    assert (utterance.char_errors, utterance.chars, utterance.char_reference) == (1, 6, "ref2")
    assert utterance.reference_norm == "a b c xyz"


def test_equal_rates_count_the_means():
    utterance = score_utterance("", "my my car", "my car")
    assert counts(utterance) == (2.5, 2.5, 7.5, 7.5)
    assert utterance.word_reference == "tie"


def test_an_empty_reference_loses_and_two_empty_ones_add_nothing():
    utterance = score_utterance("hi", "", "hello")
    assert (utterance.word_errors, utterance.words, utterance.word_reference) == (1, 1, "ref2")
    utterance = score_utterance("hi", "", "")
    assert counts(utterance) == (1, 0, 2, 0)
    assert counts(score_utterance("", "", "")) == (0, 0, 0, 0)


def test_an_utterance_the_organisers_scorer_stops_on_is_scored_and_listed():
    # A transcript that is only "(laughs)": ref1 keeps "laughs", ref2 is empty.
    result = score(["hello", ""], ["hello", "laughs"], ["hello", ""])
    assert result.stopping_utterances == [2]
    assert counts(result.utterances[1]) == (1, 1, 6, 6)
    assert stops_organisers_scorer("", "", "") is False
    assert stops_organisers_scorer("x", "laughs", "") is False


def test_unequal_line_counts_are_refused():
    with pytest.raises(ValueError, match="line counts differ: 2 hypotheses, 1 ref1 lines, 1 ref2 lines"):
        score(["a", "b"], ["a"], ["a"])


def test_a_token_sclite_reads_as_markup_is_refused_naming_the_utterance():
    with pytest.raises(ValueError, match=r"utterance 2: word '@' is sclite markup"):
        score(["a", "mail me @ home"], ["a", "mail me at home"], ["a", "mail me at home"])


def test_a_split_without_reference_words_is_refused():
    with pytest.raises(ValueError, match="no reference words"):
        score(["a"], [""], [""])
    with pytest.raises(ValueError, match="no reference words"):
        score([], [], [])


def test_summarize_sums_a_subset(split):
    subset = summarize(split.utterances[:10])
    assert subset.words == sum(u.words for u in split.utterances[:10])
    assert subset.wer == pytest.approx(100 * subset.word_errors / subset.words)
