"""Word alignment that chooses exactly as sclite does (SCTK 2.4.10, `sclite -i wsj -o sgml`).

SAPC2's scorer does not count errors on an edit distance alone: it reads sclite's alignment of
each reference with the hypothesis and rewrites the reference's `unk` words from it (a substituted
`unk` becomes the hypothesis word). When several alignments are equally cheap, the one sclite picks
decides whether an `unk` is substituted (free) or deleted next to an insertion (an error), so an
aligner that is merely minimal is not enough: this one reproduces sclite's costs and tie order.

What sclite does, and this module with it:
- Words are compared after lower-casing ASCII letters only (`UNK` is `unk`; `É` stays `É`), and a
  word longer than one character loses one trailing `*`. The aligned pairs carry these forms, as
  sclite's SGML output does.
- Costs: a match 0, a substitution 4, an insertion or a deletion 3. The table is filled with the
  reference down the rows and the hypothesis across the columns; each cell prefers a substitution
  (or match) when it is no dearer than the other two, then a deletion when strictly cheaper than an
  insertion, else an insertion. The path is read back from the last cell.
- A few tokens are sclite markup rather than words (`@` is an empty word, `{ a / b }` lists
  alternatives). The organisers' normalisers never write them; `align` refuses them rather than
  guess at sclite's handling.
"""

from dataclasses import dataclass

CORRECT = "C"
SUBSTITUTION = "S"
DELETION = "D"
INSERTION = "I"

MATCH_COST = 0
SUBSTITUTION_COST = 4
INSERTION_COST = 3
DELETION_COST = 3

SCLITE_MARKUP = frozenset({"@", "{", "}", "/"})

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class AlignedPair:
    """One step of sclite's alignment, as a `C,"ref","hyp"` item of its SGML output.

    `kind` is the SGML letter: "C" correct, "S" substitution, "D" deletion (no hypothesis word),
    "I" insertion (no reference word). The words are sclite's forms (see `sclite_word`); the
    missing side of a deletion or insertion is None.
    """

    kind: str
    reference: str | None
    hypothesis: str | None


def sclite_word(word: str) -> str:
    """The form sclite compares and prints: ASCII letters lower-cased, one trailing `*` dropped
    from a word longer than one character."""
    if not word or any(character.isspace() for character in word):
        raise ValueError(f"word {word!r} is empty or holds white space: pass the line split into words")
    if word in SCLITE_MARKUP:
        raise ValueError(f"word {word!r} is sclite markup, not a word; sapsoup does not align it")
    if len(word) > 1 and word.endswith("*"):
        word = word[:-1]
    return word.translate(_ASCII_LOWER)


def align(reference: list[str], hypothesis: list[str]) -> list[AlignedPair]:
    """sclite's alignment of `hypothesis` against `reference`, in reading order.

    Both are lists of words (a line's `.split()`); either may be empty.
    """
    ref = [sclite_word(word) for word in reference]
    hyp = [sclite_word(word) for word in hypothesis]
    rows, columns = len(ref) + 1, len(hyp) + 1

    # cost[i][j]: cheapest alignment of ref[:i] with hyp[:j]; move[i][j]: the last step taken.
    cost = [[0] * columns for _ in range(rows)]
    move = [[""] * columns for _ in range(rows)]
    for j in range(1, columns):
        cost[0][j] = cost[0][j - 1] + INSERTION_COST
        move[0][j] = INSERTION
    for i in range(1, rows):
        cost[i][0] = cost[i - 1][0] + DELETION_COST
        move[i][0] = DELETION
    for i in range(1, rows):
        above, here, word = cost[i - 1], cost[i], ref[i - 1]
        moves = move[i]
        for j in range(1, columns):
            diagonal = above[j - 1] + (MATCH_COST if word == hyp[j - 1] else SUBSTITUTION_COST)
            deletion = above[j] + DELETION_COST
            insertion = here[j - 1] + INSERTION_COST
            if diagonal <= deletion and diagonal <= insertion:
                here[j], moves[j] = diagonal, SUBSTITUTION
            elif deletion < insertion:
                here[j], moves[j] = deletion, DELETION
            else:
                here[j], moves[j] = insertion, INSERTION

    pairs = []
    i, j = len(ref), len(hyp)
    while i > 0 or j > 0:
        step = move[i][j]
        if step == SUBSTITUTION:
            i, j = i - 1, j - 1
            kind = CORRECT if ref[i] == hyp[j] else SUBSTITUTION
            pairs.append(AlignedPair(kind, ref[i], hyp[j]))
        elif step == DELETION:
            i -= 1
            pairs.append(AlignedPair(DELETION, ref[i], None))
        else:
            j -= 1
            pairs.append(AlignedPair(INSERTION, None, hyp[j]))
    pairs.reverse()
    return pairs
