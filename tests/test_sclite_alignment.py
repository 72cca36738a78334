"""`sapsoup.editions.sclite.align` chooses exactly the alignment sclite writes in its SGML output.

SAPC2's `unk` rule reads sclite's alignment, and among equally cheap alignments sclite's choice
decides the score; so the aligner is checked against the real sclite binary on thousands of
random sentence pairs drawn from tiny vocabularies (many ties), not only against hand examples.
"""

import os
import random
import subprocess
from pathlib import Path

import pytest

from sapsoup.editions.sclite import AlignedPair, align, sclite_word

SCLITE = Path("/usr/lib/sctk/bin/sclite")


def kinds(pairs: list[AlignedPair]) -> str:
    return "".join(pair.kind for pair in pairs)


# --------------------------------------------------------------------------------------------------
# Hand examples
# --------------------------------------------------------------------------------------------------


def test_identical_lines_align_word_for_word():
    words = ["turn", "off", "the", "stove"]
    assert align(words, list(words)) == [AlignedPair("C", word, word) for word in words]


def test_empty_sides():
    assert align([], []) == []
    assert align(["a", "b"], []) == [AlignedPair("D", "a", None), AlignedPair("D", "b", None)]
    assert align([], ["a"]) == [AlignedPair("I", None, "a")]


def test_words_are_lower_cased_as_sclite_does_ascii_only():
    assert align(["UNK"], ["unk"]) == [AlignedPair("C", "unk", "unk")]
    assert align(["É"], ["é"]) == [AlignedPair("S", "É", "é")]


def test_a_trailing_star_is_dropped_from_longer_words():
    assert sclite_word("x*") == "x"
    assert sclite_word("*") == "*"


def test_a_substitution_is_preferred_to_a_deletion_plus_an_insertion():
    # One substitution (4) is cheaper than a deletion and an insertion (6).
    assert kinds(align(["a", "unk", "c"], ["a", "x", "c"])) == "CSC"


def test_ties_prefer_substitution_then_deletion_read_from_the_end():
    # "unk b" against "b x": a deletion, a match and an insertion (6) beat two substitutions (8).
    assert kinds(align(["unk", "b"], ["b", "x"])) == "DCI"
    # Two words against one: the substitution lands on the last word, the deletion before it.
    assert kinds(align(["unk", "x"], ["y"])) == "DS"
    # One word against two: the insertion comes first, then the substitution.
    assert kinds(align(["unk"], ["x", "y"])) == "IS"


@pytest.mark.parametrize("word", ["@", "{", "}", "/", "", "a b"])
def test_markup_and_malformed_words_are_refused(word):
    with pytest.raises(ValueError, match="word"):
        align([word], ["a"])


# --------------------------------------------------------------------------------------------------
# Against the real sclite
# --------------------------------------------------------------------------------------------------

VOCABULARIES = [
    ["a", "b", "unk"],
    ["a", "b", "c", "unk", "UNK"],
    ["the", "cat", "unk", "the", "sat", "A"],
    ["x", "unk"],
    ["go", "to", "the", "lake", "unk", "unk", "on", "sunday"],
    # What the normalisers write besides letters, and forms sclite rewrites (case, a trailing star).
    ["don't", "3.5", "$20", "50%", "£5", "well-known", "x*", "x", "É", "é", "Unk", "unk"],
]


def random_line(rng: random.Random, vocabulary: list[str]) -> list[str]:
    length = rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 9])
    return [rng.choice(vocabulary) for _ in range(length)]


def random_cases(seed: int, count: int) -> list[tuple[list[str], list[str]]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        vocabulary = rng.choice(VOCABULARIES)
        reference = random_line(rng, vocabulary)
        if rng.random() < 0.4 and reference:
            # A hypothesis close to the reference: one or two edits, where ties abound.
            hypothesis = list(reference)
            for _ in range(rng.randint(1, 2)):
                edit = rng.choice("sdi")
                position = rng.randrange(len(hypothesis) + 1)
                if edit == "i" or not hypothesis:
                    hypothesis.insert(position, rng.choice(vocabulary))
                elif edit == "d":
                    del hypothesis[min(position, len(hypothesis) - 1)]
                else:
                    hypothesis[min(position, len(hypothesis) - 1)] = rng.choice(vocabulary)
        else:
            hypothesis = random_line(rng, vocabulary)
        cases.append((reference, hypothesis))
    return cases


def sclite_alignments(cases, folder: Path) -> dict[int, list[AlignedPair]]:
    """Run sclite as the organisers do (`-i wsj -o all sgml`) and read back each utterance's path."""
    reference_file, hypothesis_file = folder / "ref.trn", folder / "hyp.trn"
    for path, side in ((reference_file, 0), (hypothesis_file, 1)):
        lines = [f"{' '.join(case[side])} (utt{n:06d})\n" for n, case in enumerate(cases, 1)]
        path.write_text("".join(lines), encoding="utf-8")
    subprocess.run(
        [str(SCLITE), "-r", str(reference_file), "trn", "-h", str(hypothesis_file), "trn",
         "-i", "wsj", "-o", "all", "sgml"],
        check=True, capture_output=True, cwd=folder,
    )
    lines = Path(f"{hypothesis_file}.sgml").read_text(encoding="utf-8").splitlines()
    alignments = {}
    for index, line in enumerate(lines):
        if line.startswith("<PATH "):
            number = int(line.split('id="(utt')[1].split(")")[0])
            body = lines[index + 1]
            alignments[number] = [] if body.startswith("</PATH") or not body else parse_path(body)
    return alignments


def parse_path(body: str) -> list[AlignedPair]:
    pairs = []
    for item in body.split(":"):
        kind, reference, hypothesis = item.split(",")
        pairs.append(AlignedPair(kind, reference.strip('"') or None, hypothesis.strip('"') or None))
    return pairs


@pytest.fixture(scope="module")
def sclite_binary():
    if not (SCLITE.is_file() and os.access(SCLITE, os.X_OK)):
        pytest.fail(f"{SCLITE} is missing: install SCTK with `apt-get install sctk` to check the aligner against it")
    return SCLITE


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_align_agrees_with_sclite_on_random_cases(sclite_binary, tmp_path, seed):
    cases = random_cases(seed, 1500)
    expected = sclite_alignments(cases, tmp_path)
    assert len(expected) == len(cases)
    disagreements = [
        (reference, hypothesis, expected[number], align(reference, hypothesis))
        for number, (reference, hypothesis) in enumerate(cases, 1)
        if align(reference, hypothesis) != expected[number]
    ]
    assert disagreements == []
