"""The organisers' error rates: SAPC1 WER (min over two references) and SAPC2 CER and WER.

Both challenges score each utterance against two references (`ref1` keeps parenthesised
disfluencies, `ref2` drops them) and keep, per utterance, the one with the lower error rate, so a
hypothesis is not punished for writing or for skipping an "um". The rules, from
`../shared/sapc-contract.md`:

- The per-utterance error count (word edit distance) is capped at the reference's length: one
  utterance never counts more than 100%.
- The chosen reference is the one with the lower per-utterance rate; on a tie, the utterance counts
  the mean of the two error counts over the mean of the two lengths.
- The split's rate is summed errors over summed reference words (not a mean of rates), x 100.

The edit distance and its substitutions/deletions/insertions come from jiwer. Unlike the organisers'
scorer, which pairs lines with `zip`, every function here refuses lists of unequal length: a short
hypothesis file must fail loudly, not score fewer utterances.

Empty references: the SAPC1 scorer divides by each reference's length and crashes on an utterance
whose reference is empty after cleaning (ref2 of a transcript that is only "(um)", say). sapsoup does
not guess what the server would have counted: `score_sapc1` raises EmptyReferenceError naming the
utterance, and `dev prepare` should leave such utterances out (`empty_reference_lines` finds them).
SAPC2's scorer does not crash there (an empty reference has an infinite rate and loses the min, and
two empty ones tie and add no words), and `score_sapc2` does the same.
"""

from dataclasses import dataclass

import jiwer

from sapsoup.validate.normalize import clean_hypothesis, sapc2_normalize

SAPC2_UNKNOWN = "unk"


class EmptyReferenceError(ValueError):
    """A reference is empty after cleaning; the organisers' SAPC1 scorer cannot score it."""


@dataclass
class UtteranceScore:
    """One utterance under the SAPC1 rules.

    `errors` and `words` are what the utterance adds to the split's sums (halves on a tie).
    `substitutions`, `deletions` and `insertions` are jiwer's alignment against the chosen reference
    (ref1's on a tie), before the cap: they explain the errors, and can sum to more than `errors`
    when the cap applies. `reference` names the chosen version: "ref1", "ref2" or "tie".
    """

    errors: float
    words: float
    substitutions: int
    deletions: int
    insertions: int
    reference: str
    hypothesis_clean: str
    reference_clean: str


@dataclass
class SplitScore:
    """A split under the SAPC1 rules: `wer` in percent = 100 x errors / words."""

    wer: float
    errors: float
    words: float
    utterances: list[UtteranceScore]


@dataclass
class Sapc2UtteranceScore:
    """One utterance under the SAPC2 rules, after the `unk` rewrite (see `score_sapc2`).

    Word and character sides each choose their own reference ("ref1", "ref2" or "tie"), as the
    organisers' two metrics do.
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
    """A split under the SAPC2 rules: `cer` and `wer` in percent."""

    cer: float
    wer: float
    char_errors: float
    chars: float
    word_errors: float
    words: float
    utterances: list[Sapc2UtteranceScore]


# --------------------------------------------------------------------------------------------------
# SAPC1
# --------------------------------------------------------------------------------------------------


def score_sapc1(hypotheses: list[str], ref1: list[str], ref2: list[str]) -> SplitScore:
    """SAPC1 WER of raw hypotheses against `ref1`/`ref2` lines as `dev prepare` writes them.

    Hypotheses and references are all cleaned with the hypothesis rule, as the organisers do.
    Raises ValueError when the lists differ in length and EmptyReferenceError when a reference is
    empty after cleaning (or the split has no utterances).
    """
    _check_lengths(hypotheses, ref1, ref2)
    if not hypotheses:
        raise EmptyReferenceError("no utterances to score: the split is empty")
    utterances = [
        score_utterance(hypothesis, first, second, index=index)
        for index, (hypothesis, first, second) in enumerate(zip(hypotheses, ref1, ref2))
    ]
    return summarize(utterances)


def summarize(utterances: list[UtteranceScore]) -> SplitScore:
    """Sum per-utterance scores into a split score, e.g. for one length bucket or etiology.

    WER is summed errors over summed words, never a mean of per-utterance rates.
    """
    errors = sum(u.errors for u in utterances)
    words = sum(u.words for u in utterances)
    if words == 0:
        raise EmptyReferenceError("no reference words to score against")
    return SplitScore(wer=100.0 * errors / words, errors=errors, words=words, utterances=list(utterances))


def score_utterance(hypothesis: str, ref1: str, ref2: str, index: int | None = None) -> UtteranceScore:
    """One utterance under the SAPC1 rules: cap, min over references, tie mean.

    `index` (0-based) only names the utterance in errors, as line `index + 1` of the reference file.
    """
    hypothesis_clean = clean_hypothesis(hypothesis)
    sides = []
    for name, reference in (("ref1", ref1), ("ref2", ref2)):
        reference_clean = clean_hypothesis(reference)
        if not reference_clean:
            where = f"utterance {index + 1} (line {index + 1} of {name})" if index is not None else name
            raise EmptyReferenceError(
                f"{where}: reference {reference!r} is empty after cleaning; the organisers' scorer divides "
                "by zero on it, so sapsoup refuses to score it (leave the utterance out of the split)"
            )
        sides.append((name, reference_clean, jiwer.process_words(reference_clean, hypothesis_clean)))

    capped = [_capped_errors(alignment, len(ref.split())) for _, ref, alignment in sides]
    lengths = [len(ref.split()) for _, ref, _ in sides]
    # Compare errors/length exactly: e1/l1 < e2/l2  <=>  e1*l2 < e2*l1 (lengths are positive).
    left, right = capped[0] * lengths[1], capped[1] * lengths[0]
    if left == right:
        choice, errors, words = 0, (capped[0] + capped[1]) / 2, (lengths[0] + lengths[1]) / 2
        label = "tie"
    else:
        choice = 0 if left < right else 1
        errors, words, label = float(capped[choice]), float(lengths[choice]), sides[choice][0]
    _, reference_clean, alignment = sides[choice]
    return UtteranceScore(
        errors=float(errors),
        words=float(words),
        substitutions=alignment.substitutions,
        deletions=alignment.deletions,
        insertions=alignment.insertions,
        reference=label,
        hypothesis_clean=hypothesis_clean,
        reference_clean=reference_clean,
    )


def empty_reference_lines(ref1: list[str], ref2: list[str]) -> list[int]:
    """1-based line numbers whose ref1 or ref2 is empty after cleaning: the SAPC1 scorer crashes on them."""
    _check_lengths(ref1, ref1, ref2)
    return [
        number
        for number, (first, second) in enumerate(zip(ref1, ref2), start=1)
        if not clean_hypothesis(first) or not clean_hypothesis(second)
    ]


def _capped_errors(alignment, reference_words: int) -> int:
    edits = alignment.substitutions + alignment.deletions + alignment.insertions
    return min(edits, reference_words)


def _check_lengths(hypotheses, ref1, ref2) -> None:
    if not len(hypotheses) == len(ref1) == len(ref2):
        raise ValueError(
            f"line counts differ: {len(hypotheses)} hypotheses, {len(ref1)} ref1 lines, {len(ref2)} ref2 lines; "
            "sapsoup never pairs them silently"
        )


# --------------------------------------------------------------------------------------------------
# SAPC2
# --------------------------------------------------------------------------------------------------


def score_sapc2(hypotheses: list[str], ref1: list[str], ref2: list[str]) -> Sapc2Score:
    """SAPC2 CER and WER: both sides through `sapc2_normalize`, `unk` rewrite, cap at 1, min over refs.

    The `unk` rewrite is the organisers': after aligning hypothesis and reference words, a reference
    `unk` substituted by a hypothesis word takes that word (so it matches), a deleted reference `unk`
    is dropped from the reference, and an inserted hypothesis `unk` is dropped from the hypothesis.
    References may be `dev prepare`'s SAPC1 lines or `normalize.sapc2_reference` output; from the
    upper-case SAPC1 lines the letter joining cannot tell the pronoun "I" and the article "A" from
    spelled letters, so a rare "AM I A" is scored as "am ia".
    The organisers align with sclite and sapsoup with jiwer; the two can choose different but equally
    short alignments, which changes the result only in rare cases around `unk`. CER counts characters
    including the spaces between words.
    """
    _check_lengths(hypotheses, ref1, ref2)
    utterances = [
        score_sapc2_utterance(hypothesis, first, second)
        for hypothesis, first, second in zip(hypotheses, ref1, ref2)
    ]
    char_errors = sum(u.char_errors for u in utterances)
    chars = sum(u.chars for u in utterances)
    word_errors = sum(u.word_errors for u in utterances)
    words = sum(u.words for u in utterances)
    if words == 0 or chars == 0:
        raise EmptyReferenceError("no reference words to score against (every reference is empty)")
    return Sapc2Score(
        cer=100.0 * char_errors / chars,
        wer=100.0 * word_errors / words,
        char_errors=char_errors,
        chars=chars,
        word_errors=word_errors,
        words=words,
        utterances=utterances,
    )


def score_sapc2_utterance(hypothesis: str, ref1: str, ref2: str) -> Sapc2UtteranceScore:
    """One utterance under the SAPC2 rules (see `score_sapc2`)."""
    hypothesis_norm = sapc2_normalize(hypothesis)
    pairs = [_rewrite_unknowns(hypothesis_norm, sapc2_normalize(reference)) for reference in (ref1, ref2)]
    word_sides = [_capped(_word_edits(hyp, ref), len(ref.split())) for hyp, ref in pairs]
    char_sides = [_capped(_char_edits(hyp, ref), len(ref)) for hyp, ref in pairs]
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
        hypothesis_norm=pairs[shown][0],
        reference_norm=pairs[shown][1],
    )


def _rewrite_unknowns(hypothesis: str, reference: str) -> tuple[str, str]:
    """Apply the organisers' `unk` rule to one aligned pair; returns (hypothesis, reference)."""
    hyp_words, ref_words = hypothesis.split(), reference.split()
    if SAPC2_UNKNOWN not in hyp_words and SAPC2_UNKNOWN not in ref_words:
        return hypothesis, reference
    if not ref_words:  # every hypothesis word is an insertion
        return " ".join(w for w in hyp_words if w != SAPC2_UNKNOWN), reference
    if not hyp_words:  # every reference word is a deletion
        return hypothesis, " ".join(w for w in ref_words if w != SAPC2_UNKNOWN)
    new_hyp, new_ref = [], []
    for chunk in jiwer.process_words(reference, hypothesis).alignments[0]:
        refs = ref_words[chunk.ref_start_idx:chunk.ref_end_idx]
        hyps = hyp_words[chunk.hyp_start_idx:chunk.hyp_end_idx]
        if chunk.type == "substitute":
            new_ref.extend(h if r == SAPC2_UNKNOWN else r for r, h in zip(refs, hyps))
            new_hyp.extend(hyps)
        elif chunk.type == "delete":
            new_ref.extend(r for r in refs if r != SAPC2_UNKNOWN)
        elif chunk.type == "insert":
            new_hyp.extend(h for h in hyps if h != SAPC2_UNKNOWN)
        else:
            new_ref.extend(refs)
            new_hyp.extend(hyps)
    return " ".join(new_hyp), " ".join(new_ref)


def _word_edits(hypothesis: str, reference: str) -> int:
    if not reference:
        return len(hypothesis.split())
    out = jiwer.process_words(reference, hypothesis)
    return out.substitutions + out.deletions + out.insertions


def _char_edits(hypothesis: str, reference: str) -> int:
    if not reference:
        return len(hypothesis)
    if not hypothesis:
        return len(reference)
    out = jiwer.process_characters(reference, hypothesis)
    return out.substitutions + out.deletions + out.insertions


def _capped(edits: int, length: int) -> tuple[int, int]:
    """SAPC2 caps a non-empty reference's edits at its length and leaves an empty one uncapped."""
    return (min(edits, length) if length > 0 else edits), length


def _min_over_references(sides: list[tuple[int, int]]) -> tuple[float, float, str]:
    """The SAPC2 choice: the lower rate wins; an empty reference's rate is infinite; a tie (two equal
    rates, or two empty references) counts the means."""
    (e1, l1), (e2, l2) = sides
    rate1 = e1 / l1 if l1 else float("inf")
    rate2 = e2 / l2 if l2 else float("inf")
    if rate1 < rate2:
        return float(e1), float(l1), "ref1"
    if rate2 < rate1:
        return float(e2), float(l2), "ref2"
    return (e1 + e2) / 2, (l1 + l2) / 2, "tie"
