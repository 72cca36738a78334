"""SAPC2 (2026) scoring: CER first, then WER, each the minimum over two references.

The organisers' server (template commit c48d945, `steps/eval/evaluate.sh`) normalises the
hypotheses, aligns each of the two normalised references with them using sclite, rewrites each
aligned pair with its `unk` rule, then counts edit distances. This module takes lines that are
ALREADY normalised (references as their manifest holds them, hypotheses through the hypothesis
normaliser) and reproduces the rest:

1. Align with sclite's choices (`sclite.align`): words lower-cased, so a reference `UNK` is `unk`.
2. The `unk` rule, per aligned pair: a reference `unk` substituted by a hypothesis word becomes that
   word (it counts as correct); a deleted reference `unk` is dropped from the reference; an inserted
   hypothesis `unk` is dropped from the hypothesis. Each reference gives its own rewritten pair, so
   the two sides may see different hypotheses.
3. Per utterance and per reference: word edit distance over the rewritten words, character edit
   distance over the rewritten lines joined with single spaces (spaces are characters, and `chars`
   counts them). A count is clipped at the reference's length when that length is not zero.
4. The reference with the lower rate wins; an empty reference's rate is infinite. Equal rates (two
   empty references too) count the mean of the two error counts over the mean of the two lengths.
   WER and CER choose their references independently.
5. The split's rate is summed errors over summed lengths, in percent.

Where sapsoup departs from their code, on purpose:
- Their scorer pairs lines by position and never checks the counts; `score` refuses lists of
  unequal length.
- Their SGML reader skips an utterance whose reference and hypothesis are both empty. It adds
  nothing to either sum, so `score` keeps it (with zero counts) and the totals agree.
- When such a skip happens for one reference and not the other (a transcript that is only
  "(laughs)" keeps a word in one reference and none in the other, and meets an empty hypothesis),
  their two readings no longer line up and `evaluate.sh` exits 1: the server would publish no
  score. `score` still scores the utterance the natural way and lists it in
  `Sapc2Score.stopping_utterances`, so a report can warn before an upload.
"""

from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from sapsoup.editions.sclite import CORRECT, DELETION, INSERTION, SUBSTITUTION, AlignedPair, align

UNKNOWN = "unk"


@dataclass
class Sapc2UtteranceScore:
    """One utterance under the SAPC2 rules, after the `unk` rewrite.

    `word_errors`/`words` and `char_errors`/`chars` are what the utterance adds to the split's sums
    (halves on a tie). Word and character sides each choose their own reference: "ref1", "ref2" or
    "tie". `hypothesis_norm` and `reference_norm` are the rewritten pair of the word side's
    reference (ref1's on a tie).
    """

    word_errors: float
    words: float
    char_errors: float
    chars: float
    word_reference: str
    char_reference: str
    hypothesis_norm: str
    reference_norm: str


@dataclass
class Sapc2Score:
    """A split under the SAPC2 rules: `cer` and `wer` in percent.

    `stopping_utterances` holds the 1-based numbers of the utterances on which the organisers'
    `evaluate.sh` exits 1 instead of scoring (see the module's docstring); empty when the server
    would score the split.
    """

    cer: float
    wer: float
    char_errors: float
    chars: float
    word_errors: float
    words: float
    utterances: list[Sapc2UtteranceScore]
    stopping_utterances: list[int] = field(default_factory=list)


def score(hypotheses: list[str], ref1: list[str], ref2: list[str]) -> Sapc2Score:
    """SAPC2 CER and WER of normalised hypotheses against the two normalised references.

    Raises ValueError when the three lists differ in length, a line holds a token sclite reads as
    markup (`@`, `{`, `/`, `}`; the organisers' normalisers never write one), or no reference has a
    word.
    """
    if not len(hypotheses) == len(ref1) == len(ref2):
        raise ValueError(
            f"line counts differ: {len(hypotheses)} hypotheses, {len(ref1)} ref1 lines, {len(ref2)} ref2 lines; "
            "sapsoup never pairs them silently"
        )
    utterances = []
    for number, (hypothesis, first, second) in enumerate(zip(hypotheses, ref1, ref2), start=1):
        try:
            utterances.append(score_utterance(hypothesis, first, second))
        except ValueError as error:
            raise ValueError(f"utterance {number}: {error}") from None
    stopping = [
        number
        for number, (h, r1, r2) in enumerate(zip(hypotheses, ref1, ref2), start=1)
        if stops_organisers_scorer(h, r1, r2)
    ]
    return summarize(utterances, stopping_utterances=stopping)


def summarize(utterances: list[Sapc2UtteranceScore], stopping_utterances: list[int] = ()) -> Sapc2Score:
    """Sum per-utterance scores into a split score (also for a subset: one etiology, one length bucket).

    Rates are summed errors over summed lengths, never a mean of per-utterance rates.
    """
    char_errors = sum(u.char_errors for u in utterances)
    chars = sum(u.chars for u in utterances)
    word_errors = sum(u.word_errors for u in utterances)
    words = sum(u.words for u in utterances)
    if words == 0:
        raise ValueError(
            f"no reference words to score against: all {len(utterances)} utterances have empty references"
        )
    return Sapc2Score(
        cer=100.0 * char_errors / chars,
        wer=100.0 * word_errors / words,
        char_errors=char_errors,
        chars=chars,
        word_errors=word_errors,
        words=words,
        utterances=list(utterances),
        stopping_utterances=list(stopping_utterances),
    )


def score_utterance(hypothesis: str, ref1: str, ref2: str) -> Sapc2UtteranceScore:
    """One utterance under the SAPC2 rules (see the module's docstring)."""
    pairs = [apply_unknown_rule(align(reference.split(), hypothesis.split())) for reference in (ref1, ref2)]
    word_sides = [_clipped(Levenshtein.distance(hyp, ref), len(ref)) for hyp, ref in pairs]
    char_lines = [(" ".join(hyp), " ".join(ref)) for hyp, ref in pairs]
    char_sides = [_clipped(Levenshtein.distance(hyp, ref), len(ref)) for hyp, ref in char_lines]
    word_errors, words, word_reference = _min_over_references(word_sides)
    char_errors, chars, char_reference = _min_over_references(char_sides)
    shown = 1 if word_reference == "ref2" else 0
    return Sapc2UtteranceScore(
        word_errors=word_errors,
        words=words,
        char_errors=char_errors,
        chars=chars,
        word_reference=word_reference,
        char_reference=char_reference,
        hypothesis_norm=char_lines[shown][0],
        reference_norm=char_lines[shown][1],
    )


def apply_unknown_rule(pairs: list[AlignedPair]) -> tuple[list[str], list[str]]:
    """The organisers' `unk` rule over one alignment; returns (hypothesis words, reference words)."""
    hypothesis, reference = [], []
    for pair in pairs:
        if pair.kind in (CORRECT, SUBSTITUTION):
            substituted_unknown = pair.kind == SUBSTITUTION and pair.reference == UNKNOWN
            reference.append(pair.hypothesis if substituted_unknown else pair.reference)
            hypothesis.append(pair.hypothesis)
        elif pair.kind == DELETION:
            if pair.reference != UNKNOWN:
                reference.append(pair.reference)
        elif pair.kind == INSERTION:
            if pair.hypothesis != UNKNOWN:
                hypothesis.append(pair.hypothesis)
        else:
            raise ValueError(f"aligned pair {pair!r} has an unknown kind {pair.kind!r}")
    return hypothesis, reference


def stops_organisers_scorer(hypothesis: str, ref1: str, ref2: str) -> bool:
    """True when the organisers' `evaluate.sh` exits 1 on this utterance instead of scoring it.

    Their SGML reader skips an utterance whose reference and hypothesis are both empty; when that
    happens against one reference only, the two readings fall out of step and the scorer stops.
    """
    if hypothesis.split():
        return False
    return bool(ref1.split()) != bool(ref2.split())


def _clipped(errors: int, length: int) -> tuple[int, int]:
    """Errors clipped at the reference's length (one utterance counts at most 100%), when not empty."""
    return (min(errors, length) if length > 0 else errors), length


def _min_over_references(sides: list[tuple[int, int]]) -> tuple[float, float, str]:
    """The lower rate wins; an empty reference's rate is infinite; equal rates count the means."""
    (errors1, length1), (errors2, length2) = sides
    # Compare errors1/length1 with errors2/length2 exactly, by cross-multiplying positive lengths.
    if length1 and length2:
        left, right = errors1 * length2, errors2 * length1
    else:
        left, right = (0 if length1 else 1), (0 if length2 else 1)
    if left < right:
        return float(errors1), float(length1), "ref1"
    if right < left:
        return float(errors2), float(length2), "ref2"
    return (errors1 + errors2) / 2, (length1 + length2) / 2, "tie"
