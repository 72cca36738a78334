"""Text normalisation exactly where the organisers' scorer depends on it.

Three jobs, one per public function:

- `clean_hypothesis`: the SAPC1 scorer's cleaning, applied to hypotheses *and* (again) to references.
  It deletes characters rather than replacing them, which is why a hypothesis must write numbers as
  words and must not hyphenate: "WELL-KNOWN" is scored as the single word "WELLKNOWN".
- `normalize_reference`: turns a raw SAP transcript into `ref1` (parenthesised disfluencies kept) or
  `ref2` (removed), following the organisers' transcript conventions (see
  `../shared/sapc-contract.md`).
- `sapc2_normalize`: the SAPC2 (2026) normaliser: Whisper/Open-ASR-leaderboard style, numbers as digits.

Where sapsoup differs from the organisers, it is on purpose and written down here:

- Numbers: the organisers ran NeMo's text normaliser; sapsoup writes numbers with the rules of its
  post-processing (`sapsoup.postprocess.numbers_to_words`, on `inflect`), the same code that writes
  hypotheses, aiming at NeMo's usual spoken forms for cardinals (no "and":
  "ONE HUNDRED TWENTY THREE"), ordinals, decimals ("THREE POINT FIVE"), money ("FIVE DOLLARS FIFTY
  CENTS"), percentages, clock times ("TEN THIRTY", "THREE O'CLOCK"), decades and years. It has not been
  checked against NeMo itself (not installed). A bare 4-digit number from 1100 to 2099 is always read
  as a year ("1990" -> "NINETEEN NINETY", "2005" -> "TWO THOUSAND FIVE"), where NeMo decides from
  context; numbers with a leading zero and phone-shaped numbers are read digit by digit. Unusual forms
  (slash dates, measures such as "5kg") may differ.
- Acronyms: the organisers' February 2025 list (about 170 entries) is not public in a form sapsoup may
  copy; `SPELLED_ACRONYMS` is sapsoup's own list of about 170 initialisms that are said letter by letter.
  It covers every acronym the contract names (TV, USA, CNN, FBI, DNA, OK, DVD); other entries may differ
  from the organisers' list, so a rare acronym can be split on one side and not the other. An acronym
  is split only when written in capitals as a whole word (or with a possessive 's), so "us" and "US"
  stay distinct; plurals such as "DVDs" are not split.
- The organisers' per-utterance manual corrections (their "Error_Correction" files) are not public and
  are not applied.
- Unknown words (`{w:N}`, `{u:...}`) become `UNKNOWN_TOKEN`, the organisers' spelling "UNK". Under
  SAPC1 it is an ordinary word: a hypothesis matches it only by writing the literal word "unk", so in
  practice every unknown word costs one error, on the server as here. Under SAPC2, `sapc2_normalize`
  lower-cases it to "unk" and `scoring.score_sapc2` lets any hypothesis word stand for it.
- Accented capitals that the hypothesis rule keeps (É, Ñ, ...) are kept in references too, so that
  "café" can match; the organisers' reference script likewise never removed them.
"""

import re
import unicodedata

from sapsoup.postprocess import acronyms as postprocess_acronyms
from sapsoup.postprocess import numbers_to_words

UNKNOWN_TOKEN = "UNK"

# Characters the SAPC1 scorer keeps after upper-casing; every other character is deleted.
ACCENTED_CAPITALS = "ÀÁÄÅÈÉÍÏÑÓÖØÛÜĆ"
HYPOTHESIS_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ' " + ACCENTED_CAPITALS)

# Initialisms said letter by letter; a reference writes them as separate letters ("TV" -> "T V").
# Initialisms said letter by letter ("TV" -> "T V"): one list, shared with the post-processing that
# writes hypotheses, so both sides split the same words.
SPELLED_ACRONYMS = postprocess_acronyms.SPELLED_ACRONYMS

_LABEL = re.compile(r"^\s*[A-Za-z_][\w ]*?\s*:")
_EMAIL = re.compile(r"\S+@\S+")


class ReferenceFormatError(ValueError):
    """A transcript breaks the SAP transcript conventions in a way sapsoup will not guess around."""


# --------------------------------------------------------------------------------------------------
# SAPC1 hypothesis rule
# --------------------------------------------------------------------------------------------------


def clean_hypothesis(text: str) -> str:
    """Upper-case, DELETE every character outside `HYPOTHESIS_ALPHABET`, collapse spaces.

    Deleting (not replacing) is the organisers' rule: digits vanish and "WELL-KNOWN" becomes
    "WELLKNOWN". A tab is deleted like any other character; only plain spaces separate words.
    """
    kept = "".join(ch for ch in text.upper() if ch in HYPOTHESIS_ALPHABET)
    return " ".join(kept.split())


# --------------------------------------------------------------------------------------------------
# SAPC1 references from raw SAP transcripts
# --------------------------------------------------------------------------------------------------


def normalize_reference(transcript: str, keep_disfluencies: bool) -> str:
    """A raw SAP transcript as the organisers' `ref1` (`keep_disfluencies=True`) or `ref2` (False).

    The order of the steps matters and follows the organisers': notes and unknown-word markup first,
    then numbers and acronyms (which need the original case), e-mail addresses, parentheses, and last
    upper-casing and punctuation. Raises ReferenceFormatError on markup it cannot read (for example
    `{w:}` with no count) instead of guessing.
    """
    text = transcript.replace("\u2019", "'").replace("\u2018", "'")
    text = _remove_notes(text)
    text = _expand_curly_markup(text)
    text = re.sub(r"[*~]", " ", text)
    text = " ".join(text.split())
    text = _spell_numbers(text)
    text = _split_acronyms(text)
    text = _spell_emails(text)
    text = _resolve_parentheses(text, keep_disfluencies)
    return _final_cleanup(text)


def _remove_notes(text: str) -> str:
    """`[...]` are transcriber notes (noise, laughter): removed, as is text before a stray `]`."""
    text = re.sub(r"\[[^\]]*\]", " ", text)
    if "]" in text:
        text = re.sub(r"^.*\]", " ", text)
    return text


def _expand_curly_markup(text: str) -> str:
    """`{w:N}` -> N unknown tokens, `{u:...}` (or `{ }`) -> one, any other `{label:text}` -> text."""

    def replace(match: re.Match) -> str:
        inner = match.group(1)
        label, sep, rest = inner.partition(":")
        label = label.strip().lower()
        if sep and label == "w":
            count = rest.strip()
            if not count.isdigit():
                raise ReferenceFormatError(f"unreadable unknown-word markup {match.group(0)!r}: expected {{w:N}}")
            return " " + " ".join([UNKNOWN_TOKEN] * int(count)) + " "
        if (sep and label == "u") or not inner.strip():
            return f" {UNKNOWN_TOKEN} "
        if sep and _LABEL.match(inner):
            return " " + rest + " "
        return " " + inner + " "

    return re.sub(r"\{([^{}]*)\}", replace, text)


def _resolve_parentheses(text: str, keep_disfluencies: bool) -> str:
    """ref1 keeps the content of `(...)`, ref2 drops it; a labelled `(cs:...)`, `(assistant:...)` keeps
    its content (without the label) in both."""

    def replace(match: re.Match) -> str:
        inner = match.group(1)
        labelled = _LABEL.match(inner)
        if labelled:
            return " " + inner[labelled.end():] + " "
        return (" " + inner + " ") if keep_disfluencies else " "

    return re.sub(r"\(([^()]*)\)", replace, text)


def _spell_emails(text: str) -> str:
    """`@` is said "at" (anywhere), and `.` inside an e-mail address "dot"; a full stop ending the
    sentence is not."""

    def replace(match: re.Match) -> str:
        address = match.group(0)
        trailing = ""
        while address and address[-1] in ".,;:!?":
            trailing = address[-1] + trailing
            address = address[:-1]
        return address.replace(".", " dot ").replace("@", " at ") + trailing

    return _EMAIL.sub(replace, text).replace("@", " at ")


def _split_acronyms(text: str) -> str:
    """Write each listed acronym as separate capitals: "TV" -> "T V", "CNN's" -> "C N N's"."""

    def replace(match: re.Match) -> str:
        word, possessive = match.group(1), match.group(2) or ""
        if word not in SPELLED_ACRONYMS:
            return match.group(0)
        return " ".join(word) + possessive

    return re.sub(r"(?<![\w'])([A-Z]{2,})('[sS])?(?![\w'])", replace, text)


def _final_cleanup(text: str) -> str:
    """Upper-case; every character outside the scoring alphabet becomes a space; apostrophes at word
    edges go (quotes, not contractions)."""
    text = unicodedata.normalize("NFC", text.upper())
    text = "".join(ch if ch in HYPOTHESIS_ALPHABET else " " for ch in text)
    words = (word.strip("'") for word in text.split())
    return " ".join(word for word in words if word)


# --------------------------------------------------------------------------------------------------
# Numbers as words (the organisers used NeMo; see the module docstring)
# --------------------------------------------------------------------------------------------------


def _spell_numbers(text: str) -> str:
    """Every number in a transcript written as English words, NeMo-like.

    The same code writes numbers in hypotheses (`sapsoup.postprocess.numbers_to_words`): sapsoup's
    model of the organisers' reference normaliser and its post-processing must agree, or a number
    would cost errors that the real scorer does not charge.
    """
    return " ".join(numbers_to_words(text).split())


# --------------------------------------------------------------------------------------------------
# Timestamped transcripts
# --------------------------------------------------------------------------------------------------


def parse_timestamped(transcript: str) -> list[tuple[float, float, str]]:
    """Spans of a `#ts` transcript: `[(start_s, end_s, text), ...]` in transcript order.

    The form is a `#ts` marker, then one `start end text` line per span, times in seconds (`12.5`) or
    clock form (`1:02.5`, `0:01:02.5`). `dev prepare` cuts the audio to these spans and joins them,
    and joins the texts for the reference. Any line that is not of that form, or a span that ends
    before it starts, raises ReferenceFormatError naming the line (counted from the first line after
    the marker): a wrong cut would silently misalign audio and text.
    """
    body = transcript.strip()
    if not body.lower().startswith("#ts"):
        raise ReferenceFormatError("not a timestamped transcript: it does not start with '#ts'")
    spans = []
    for number, line in enumerate(body[3:].lstrip().splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise ReferenceFormatError(f"#ts line {number}: expected 'start end text', got {line!r}")
        try:
            start, end = _seconds(parts[0]), _seconds(parts[1])
        except ValueError:
            raise ReferenceFormatError(f"#ts line {number}: unreadable times in {line!r}") from None
        if end < start or start < 0:
            raise ReferenceFormatError(f"#ts line {number}: span ends before it starts ({start} > {end})")
        spans.append((start, end, parts[2].strip() if len(parts) > 2 else ""))
    if not spans:
        raise ReferenceFormatError("timestamped transcript has no 'start end text' lines")
    return spans


def _seconds(value: str) -> float:
    total = 0.0
    for part in value.split(":"):
        total = total * 60 + float(part)
    return total


# --------------------------------------------------------------------------------------------------
# SAPC2 normaliser
# --------------------------------------------------------------------------------------------------

_IS_CONTRACTIONS = frozenset(
    "it's what's where's when's why's how's who's that's there's here's she's he's let's".split()
)
_whisper_normalizer = None


def sapc2_normalize(text: str) -> str:
    """SAPC2's normaliser: lower-case, fillers (hmm, mm, mhm, mmm, uh, um) removed, contractions
    expanded, numbers as DIGITS, British spellings made American, and runs of single letters joined
    ("T V" -> "tv", "U.S.A" -> "usa", "~C ~B" -> "cb").

    Built on openai-whisper's `EnglishTextNormalizer` (a dependency already), which the organisers'
    normaliser extends. sapsoup adds their letter joining, "St." as saint/street and the common 's -> is
    contractions; their markup handling is in `sapc2_reference`. An unknown word comes out as "unk".
    Whisper's normaliser drops text in brackets and parentheses, so a hypothesis's "(laughs)" is gone.
    """
    text = _join_single_letters(text)
    text = re.sub(
        r"\bSt\.(\s*)(\S*)",
        lambda m: ("saint " if m.group(2)[:1].isupper() else "street ") + m.group(2),
        text,
    )
    text = text.lower()
    text = re.sub(
        r"\b(\w+)'s\b",
        lambda m: m.group(1) + " is" if m.group(0) in _IS_CONTRACTIONS else m.group(0),
        text,
    )
    return " ".join(_english_normalizer()(text).split())


def sapc2_reference(transcript: str, keep_disfluencies: bool) -> str:
    """A raw SAP transcript as an SAPC2 reference (ref1 with `keep_disfluencies=True`, ref2 without).

    The SAPC1 markup rules (notes, `{...}`, parentheses) followed by `sapc2_normalize`, on the
    transcript's own capitals: the letter joining needs them, since in upper-case text the pronoun
    "I" and the article "A" look like spelled letters ("AM I A" would become "am ia"). `score_sapc2`
    also accepts SAPC1 reference lines, with that one caveat.
    """
    text = transcript.replace("\u2019", "'").replace("\u2018", "'")
    text = _remove_notes(text)
    text = _expand_curly_markup(text)
    text = text.replace("*", " ")
    text = _resolve_parentheses(text, keep_disfluencies)
    return sapc2_normalize(" ".join(text.split()))


def _english_normalizer():
    global _whisper_normalizer
    if _whisper_normalizer is None:
        from whisper.normalizers import EnglishTextNormalizer

        _whisper_normalizer = EnglishTextNormalizer()
    return _whisper_normalizer


def _join_single_letters(text: str) -> str:
    """Spelled-out letters become one word, as SAPC2 scores them: "T V" -> "TV", "U.S.A" -> "USA"."""
    text = re.sub(r"~[A-Za-z](?:\s+~[A-Za-z])+", lambda m: m.group(0).replace("~", "").replace(" ", ""), text)
    text = re.sub(r"(?<!')\b[A-Z]\b(?:\s+\b[A-Z]\b)+", lambda m: "".join(m.group(0).split()), text)
    text = re.sub(r"(?<!')\b[a-z]\b(?:\s+\b[a-z]\b)+", lambda m: "".join(m.group(0).split()), text)
    text = re.sub(r"\b[A-Za-z](?:\.[A-Za-z])+\b", lambda m: m.group(0).replace(".", ""), text)
    text = re.sub(r"\b[A-Za-z](?:-[A-Za-z])+\b", lambda m: m.group(0).replace("-", ""), text)
    return text
