"""How often sapsoup computes exactly what the organisers' own code computed, file by file.

Usage: python benchmarks/organisers_agreement.py

Reads the organisers' outputs in tests/fixtures/organisers/ (their code run on cases written for
sapsoup; the folder's README says how) and recomputes every row with the code `sapsoup validate`,
`dev prepare` and the archive's post-processing run:

* SAPC1 references (ref1, ref2) from raw transcripts: `editions.sapc1.reference` (NeMo inside);
* SAPC2 references and hypothesis normalisation: `editions.sapc2_normalizer`;
* per-utterance SAPC1 errors/words and SAPC2 word/character errors: the editions' scorers;
* the split totals, scored as `validate` scores a split: raw hypotheses against references that
  `dev prepare` made from the raw transcripts (`Edition.reference`, then `Edition.score`);
* written numbers: the archive's post-processing against SAPC1's references, and SAPC2's
  normaliser against its references.

Prints one line per file (rows that agree / rows) and the totals beside the organisers'.
"""

import os
import sys
import time

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "organisers")


def rows(name: str) -> list[list[str]]:
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return [line.rstrip("\n").split("\t") for line in handle][1:]


def agreement(label: str, pairs) -> None:
    pairs = list(pairs)
    same = sum(1 for ours, theirs in pairs if ours == theirs)
    print(f"{label:<58} {same:>4} / {len(pairs):<4} {'agree' if same == len(pairs) else 'DIFFER'}")


def main() -> int:
    from sapsoup.editions import sapc1, sapc2, sapc2_normalizer
    from sapsoup.postprocess import postprocess

    started = time.perf_counter()
    references1 = rows("sapc1_references.tsv")
    agreement("sapc1_references.tsv (ref1 and ref2 from the transcript)", (
        ((sapc1.reference(t, False), sapc1.reference(t, True)), (r1, r2)) for t, r1, r2 in references1))
    references2 = rows("sapc2_references.tsv")
    agreement("sapc2_references.tsv (both normalised columns)", (
        ((sapc2_normalizer.reference(t, False), sapc2_normalizer.reference(t, True)), (r1, r2))
        for t, r1, r2 in references2))
    hypotheses2 = rows("sapc2_hypotheses.tsv")
    agreement("sapc2_hypotheses.tsv (hypothesis normalisation)",
              ((sapc2_normalizer.hypothesis(raw), normalised) for raw, normalised in hypotheses2))

    scores1 = rows("sapc1_scores.tsv")
    agreement("sapc1_scores.tsv (errors, words per utterance)", (
        ((lambda u: (u.errors, u.words))(sapc1.score_utterance(h, r1, r2)), (float(e), float(w)))
        for h, r1, r2, e, w, _ in scores1))
    scores2 = rows("sapc2_scores.tsv")
    normalised = {raw: norm for raw, norm in hypotheses2}
    agreement("sapc2_scores.tsv (word and character errors, lengths)", (
        ((lambda u: (u.word_errors, u.words, u.char_errors, u.chars))(
            sapc2.score_utterance(normalised.get(h, sapc2_normalizer.hypothesis(h)), r1, r2)),
         (float(we), float(w), float(ce), float(c)))
        for h, r1, r2, we, w, ce, c, _ in scores2))

    numbers = rows("numbers.tsv")
    agreement("numbers.tsv, SAPC1 (archive post-processing, then cleaning)",
              ((sapc1.clean(postprocess(written)), reference) for _, written, reference, _ in numbers))
    agreement("numbers.tsv, SAPC2 (reference normalisation)",
              ((sapc2_normalizer.reference(written, False).strip(), reference)
               for _, written, _, reference in numbers))

    print()
    for edition, table, theirs in (
        (sapc1.EDITION, scores1, {"WER": 746.5 / 2471.5 * 100}),
        (sapc2.EDITION, scores2, {"CER": 1172 / 9831 * 100, "WER": 314 / 2236 * 100}),
    ):
        hypotheses = [row[0] for row in table]
        transcripts = [row[-1] for row in table]
        ref1 = [edition.reference(t, False) for t in transcripts]
        ref2 = [edition.reference(t, True) for t in transcripts]
        rates = edition.score(hypotheses, ref1, ref2).rates
        for metric, value in theirs.items():
            print(f"{edition.title} {metric} over {len(table)} utterances: sapsoup {rates[metric]:.4f} %, "
                  f"organisers {value:.4f} %")
    print(f"\n({time.perf_counter() - started:.0f} s, NeMo included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
