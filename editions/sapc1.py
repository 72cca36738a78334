"""SAPC1, the 2025 SAP Challenge: its references, its cleaning and its WER, as the organisers made them.

References. A raw SAP transcript becomes two references: `ref1` keeps the content of parenthesised
disfluencies, `ref2` drops it. `reference()` replays the organisers' reference script step by step,
in its order, because the order decides the result:

1. acronyms listed in `ACRONYMS` are spelled out letter by letter ("TV" -> "T V"). The test is made
   on each whitespace-separated word of the raw transcript with every character outside the scoring
   alphabet deleted, lower-case letters included, so "T.V." and "DVDs" are split too (into
   "T . V ." and "D V D s") while "tv" and "Us" are not;
2. curly quotes become "'";
3. `[...]` notes go, and so does everything before a stray `]`;
4. `{w:N}` becomes N words UNK, `{u:...}` (or `{ }`) one UNK, `{w:}` nothing, any other `{label:text}`
   its text; the braces stay until the last step, so NeMo sees them;
5. `*` and `~` become spaces, and NeMo's English text normaliser writes numbers, abbreviations and
   symbols as words (`sapsoup.editions.nemo`);
6. when the sentence holds an `@`, every dot of every word except a word's last character becomes
   " dot ", then "@" becomes " at ";
7. `(...)` keeps its content in ref1 and loses it in ref2; a labelled `(cs:...)` keeps its text
   (without the label) in both;
8. upper case; every character outside the scoring alphabet becomes a space; quotes at word edges
   ("'") go.

There are no exceptions of sapsoup's own here: where the organisers' rule looks odd (UNK inside
braces reaches NeMo, "AM" in capitals is spelled out) the odd result is what the challenge server
scored, so it is the one to reproduce.

Scoring. Before scoring, the organisers clean hypotheses and references alike with `clean()`, which
DELETES characters outside the alphabet rather than replacing them: digits vanish and "WELL-KNOWN"
is one word "WELLKNOWN". Each utterance is scored against both references: its word edit distance
is capped at the reference's length (no utterance counts more than 100 %), the reference with the
lower rate wins, and on a tie the utterance counts the mean of the two error counts over the mean of
the two lengths. A split's WER is summed errors over summed words, x 100. The organisers pair
hypotheses and references with `zip`; sapsoup refuses lists of different lengths instead, because a
short hypothesis file must fail loudly rather than score fewer utterances.

The module ends with the rest of the SAPC1 contract as one `EDITION` record: the archive's entry
points and templates, the server's command and its `.hypo` output, where `dev prepare` keeps the
references, and how sapsoup's replay differs from the server.

Empty references: the organisers' scorer divides by each reference's length and crashes on one that
is empty after cleaning (ref2 of a transcript that is only "(um)", say). sapsoup does not guess what
the server would have counted: `score_sapc1` raises EmptyReferenceError naming the utterance, and
`empty_reference_lines` finds such utterances so that a dev split can leave them out.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import jiwer

from sapsoup.editions import DevUtterance, Edition, EditionError, ServerRun, SplitResult, UtteranceResult, nemo

# --------------------------------------------------------------------------------------------------
# The organisers' data
# --------------------------------------------------------------------------------------------------

# Words the organisers spell out letter by letter in references, in their order (their `word_ls`,
# commit 0f9d3ac). Odd entries ("MSNNBC", "LBGQ") are theirs and stay: they match what was scored.
ACRONYMS = (
    "MSNNBC", "MSNBC", "MSSNNBC", "AARP", "ACDC", "ADHD", "BBBC", "ESPN", "HGTV", "LBGQ", "NCIS", "NPPA",
    "PTSD", "RAMC", "SPCA", "TLSC", "WDRB", "WDTN", "WHIO", "WHYY", "WKRP", "WNBA", "WNYC", "YMCA", "AAA",
    "ABC", "ACP", "ADA", "AHS", "AJR", "AKA", "ALS", "AMC", "AOL", "AXL", "BAU", "BBC", "BLT", "BMW", "BRB",
    "BST", "BTS", "CBS", "CCM", "CEO", "CFO", "CIA", "CNC", "CNN", "CPR", "CSI", "CVS", "DCI", "DDA", "DNA",
    "DSW", "DVD", "DVR", "FAC", "FBI", "FDR", "GPA", "HBO", "ICS", "IRS", "JFK", "LAL", "LSU", "MGK", "MIT",
    "MMA", "MSN", "NBA", "NBC", "NCI", "NFL", "NHK", "NHL", "NPR", "NRA", "OAN", "OCD", "PBC", "PBS", "PDU",
    "PGA", "PLS", "PSP", "RBG", "REM", "REO", "RSD", "SNL", "TBS", "TNT", "TSA", "UPS", "USA", "USC", "VSP",
    "WRB", "AC", "AD", "AI", "AM", "AV", "BB", "BJ", "CD", "CJ", "CO", "CV", "DC", "DJ", "DV", "ER", "ES",
    "FC", "FO", "FX", "GI", "GP", "GR", "GT", "ID", "IV", "JF", "JJ", "KC", "LA", "MP", "NP", "OJ", "OK",
    "PA", "PC", "PD", "PJ", "PM", "PT", "QR", "RC", "RH", "RV", "TV", "UK", "US", "WH", "WO", "XM", "PPM",
    "TX", "NYC", "TTV", "II", "AAM", "IL", "NI", "SG", "PB", "NSYNC", "YK", "AJ", "PBJ",
)
_ACRONYM_SET = frozenset(ACRONYMS)

# Accented capitals the organisers' alphabet keeps besides A-Z.
ACCENTED_CAPITALS = "ÀÁÄÅÈÉÍÏÑÓÖØÛÜĆ"
# Characters that survive the organisers' filters. Their pattern also lists the line break (it is in
# the layout of their character class), so a line break separates words like a space does.
ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ' \n" + ACCENTED_CAPITALS)

UNKNOWN_WORD = "UNK"


class ReferenceFormatError(EditionError, ValueError):
    """A transcript breaks the SAP transcript conventions in a way sapsoup will not guess around."""


class ReferenceNormalizationError(EditionError, ValueError):
    """NeMo's text normaliser raised on a transcript, so no reference can be made from it."""


class EmptyReferenceError(EditionError, ValueError):
    """A reference is empty after cleaning; the organisers' SAPC1 scorer cannot score it."""


# --------------------------------------------------------------------------------------------------
# Cleaning (the scorer's, for hypotheses and references)
# --------------------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """Upper-case, DELETE every character outside `ALPHABET`, collapse whitespace.

    Deleting (not replacing) is the organisers' rule: "911" vanishes and "WELL-KNOWN" becomes
    "WELLKNOWN". A tab is deleted like any other character, so "A\\tB" is the single word "AB".
    """
    kept = "".join(ch for ch in text.upper() if ch in ALPHABET)
    return " ".join(kept.split())


# --------------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------------


def reference(transcript: str, remove_parentheses: bool) -> str:
    """A raw SAP transcript as the organisers' `ref1` (`remove_parentheses=False`) or `ref2` (True).

    Raises ReferenceFormatError on `{w:...}` markup with more than one number (the organisers'
    script stops there) and ReferenceNormalizationError when NeMo raises on the text; both name
    the transcript. Needs nemo_text_processing (`sapsoup.editions.nemo`).
    """
    text = " ".join(_spell_acronym(word) for word in transcript.split())
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = _remove_notes(text)
    text = _BRACES.sub(lambda match: "{" + _resolve_braces(match.group(1), transcript) + "}", text)
    text = " ".join(re.sub(r"[*~]", " ", text).split())
    try:
        text = nemo.normalize(text)
    except nemo.NemoUnavailableError:
        raise
    except Exception as error:  # noqa: BLE001  NeMo and pynini raise many kinds; each names the transcript
        reason = (str(error).strip().splitlines() or [""])[0]
        raise ReferenceNormalizationError(
            f"NeMo's text normaliser failed on transcript {transcript!r} ({type(error).__name__}: {reason})"
        ) from None
    if "@" in text:
        text = _spell_at_and_dots(text)
    text = _PARENTHESES.sub(lambda match: _resolve_parentheses(match.group(1), remove_parentheses), text)
    text = "".join(ch if ch in ALPHABET else " " for ch in text.upper())
    return " ".join(word for word in (word.strip("'") for word in text.split()) if word)


_BRACES = re.compile(r"\{([^}\n]*)\}")
_PARENTHESES = re.compile(r"\(([^)\n]*)\)")
_DIGIT_RUNS = re.compile(r"\d+")


def _spell_acronym(word: str) -> str:
    """Every character of `word` separated by spaces when its alphabet-only letters form a listed
    acronym ("CNN's" -> "CNN'" is not listed; "T.V." -> "TV" is, giving "T . V .")."""
    if "".join(ch for ch in word if ch in ALPHABET) in _ACRONYM_SET:
        return " ".join(word)
    return word


def _remove_notes(text: str) -> str:
    """`[...]` notes become a space; then each stretch of text ending in a stray `]` becomes a space."""
    text = re.sub(r"\[[^\]\n]*\]", " ", text)
    if "]" in text:
        pieces = text.split("]")
        text = " " * (len(pieces) - 1) + pieces[-1]
    return text


def _label(content: str) -> tuple[str, str] | None:
    """`(label, rest)` of "label:rest", split at the LAST colon; None when nothing precedes a colon.

    The organisers' pattern for a label is greedy, so "a:b:c" has the label "a:b".
    """
    colon = content.rfind(":")
    if colon < 1:
        return None
    return content[:colon], content[colon:]


def _resolve_braces(content: str, transcript: str) -> str:
    """What stays between the braces of `{content}`."""
    labelled = _label(content)
    label = labelled[0] if labelled else None
    if label == "w":
        counts = _DIGIT_RUNS.findall(content)
        if not counts:
            return " "
        if len(counts) > 1:
            raise ReferenceFormatError(
                f"unreadable unknown-word markup {{{content}}} in transcript {transcript!r}: "
                "expected one count, as in {w:2}"
            )
        return " ".join([UNKNOWN_WORD] * int(counts[0]))
    if label == "u" or content == " ":
        return UNKNOWN_WORD
    kept = " " + labelled[1] if labelled else content
    return kept.replace(":", " ")


def _spell_at_and_dots(text: str) -> str:
    """The organisers' e-mail rule, applied to the whole sentence once it holds an "@"."""
    words = [word[:-1].replace(".", " dot ") + word[-1] for word in text.split()]
    return " ".join(words).replace("@", " at ")


def _resolve_parentheses(content: str, remove: bool) -> str:
    """ref1 keeps `(content)` (a label's text only), ref2 drops it unless labelled."""
    labelled = _label(content)
    if remove:
        return (" " + labelled[1]).replace(":", " ") if labelled else ""
    return "(" + (" " + labelled[1] if labelled else content) + ")"


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------


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


def score_sapc1(hypotheses: list[str], ref1: list[str], ref2: list[str]) -> SplitScore:
    """SAPC1 WER of raw hypotheses against `ref1`/`ref2` lines.

    Hypotheses and references are all cleaned with `clean()`, as the organisers do.
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
    hypothesis_clean = clean(hypothesis)
    sides = []
    for name, reference_line in (("ref1", ref1), ("ref2", ref2)):
        reference_clean = clean(reference_line)
        if not reference_clean:
            where = f"utterance {index + 1} (line {index + 1} of {name})" if index is not None else name
            raise EmptyReferenceError(
                f"{where}: reference {reference_line!r} is empty after cleaning; the organisers' scorer "
                "divides by zero on it, so sapsoup refuses to score it (leave the utterance out of the split)"
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
        if not clean(first) or not clean(second)
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
# The SAPC1 contract as a whole: archive, server, references, metrics
# --------------------------------------------------------------------------------------------------

ENTRY_POINTS = ("run.sh", "inference.py")
MODEL_FILE = "model.pt"  # the template loads ROOT/model.pt
TEMPLATES = {"sapc1/run.sh": "run.sh", "sapc1/inference.py": "inference.py", "decoding.py": "decoding.py"}
# The server starts from an empty conda environment, so torch and numpy are pinned too; openai-whisper's
# and inflect's own dependencies are pinned, so that the server's resolver has nothing left to choose.
PINNED_PACKAGES = (
    "numpy", "torch", "openai-whisper", "tiktoken", "regex", "numba", "llvmlite", "more-itertools", "tqdm",
    "soundfile", "inflect", "typeguard",
)  # fmt: skip
SERVER_OPTIONS = ("--root", "--split", "--output-name", "--data-pth", "--manifest-pth")
REPLAY_NOTES = (
    "--data-pth and --manifest-pth point at the local dev folder instead of the server's /taiga defaults",
    "run.sh is not executed (no conda, no network): the local interpreter and its packages stand in for it",
    "ROOT/inference/ is created before the run, where the server writes the .hypo files",
)


def template_values(pins: list[str], python: str) -> dict[str, str]:
    """run.sh's two TO-DOs: the Python version of the conda environment and the pip installs."""
    return {
        "PYTHON_VERSION": python,
        "PIP_INSTALLS": "    pip install \\\n" + " \\\n".join(f"        {pin}" for pin in pins),
    }


def check_entry_points(root: Path, files: set[str], label: str) -> list[str]:
    """inference.py must parse; what the server would pass it, and model.pt, are checked as notes."""
    root = Path(root)
    source = (root / "inference.py").read_text(encoding="utf-8", errors="replace")
    try:
        ast.parse(source)
    except SyntaxError as error:
        raise EditionError(f"{label}: inference.py line {error.lineno}: syntax error ({error.msg})") from None
    notes = [f"inference.py never mentions {option}; the organisers' command passes it"
             for option in SERVER_OPTIONS if option not in source]
    if MODEL_FILE not in files:
        if MODEL_FILE in source:  # it would crash on the server, on every split
            raise EditionError(f"{label}: inference.py loads {MODEL_FILE}, but the archive has no {MODEL_FILE} at its root")
        notes.append(f"no {MODEL_FILE} at the root (the template loads ROOT/{MODEL_FILE})")
    run_sh = (root / "run.sh").read_text(encoding="utf-8", errors="replace")
    version = re.search(r"python(?:_version)?\s*=\s*[\"']?([0-9][0-9.]*)", run_sh)
    if version:
        notes.append(f"run.sh asks for Python {version.group(1)}; the replay uses the local interpreter")
    return notes


def server_run(root: Path, split: str, dev_dir: Path, workdir: Path, python: str) -> ServerRun:
    """The server's command for one split, with the local dev folder instead of /taiga."""
    root, dev = Path(root), Path(dev_dir).resolve()
    output = root / "inference" / f"{split}.hypo"
    command = [
        python, "-S", str(root / "inference.py"),
        "--root", str(root),
        "--split", split,
        "--output-name", str(output),
        "--data-pth", str(dev / "data"),
        "--manifest-pth", str(dev / "manifest"),
    ]  # fmt: skip
    return ServerRun(command, Path(workdir), output, "inference.py", reuse_existing_output=True)


def read_lines(path: Path) -> list[str]:
    """Lines as the organisers' scorer reads them: universal newlines, the final newline ends a line."""
    try:
        with open(path, encoding="utf-8") as handle:
            return [line.rstrip("\n") for line in handle.readlines()]
    except UnicodeDecodeError as error:
        raise EditionError(f"{path}: not UTF-8 text ({error})") from error


def manifest_path(dev_dir: Path, split: str) -> Path:
    return Path(dev_dir) / "manifest" / f"{split}.tsv"


def read_output(path: Path, ids: list[str], manifest: Path) -> list[str]:
    """The `.hypo` file: one line per manifest entry, or an error naming the first line without a partner
    (the scorer pairs lines in order, so every later utterance would meet the wrong reference)."""
    lines = read_lines(path)
    if len(lines) < len(ids):
        where = f"first utterance without a hypothesis: line {len(lines) + 1} ({ids[len(lines)]})"
    elif len(lines) > len(ids):
        where = f"first extra line: line {len(ids) + 1}: {lines[len(ids)][:80]!r}"
    else:
        return lines
    raise EditionError(
        f"{path}: {len(lines)} lines, but {manifest} lists {len(ids)} utterances; {where} "
        "(the server pairs lines in order, so every later utterance would be scored against the wrong reference)"
    )


def dev_entry(utterance: DevUtterance) -> tuple[str, str]:
    """ref1 and ref2 of a dev utterance, made from the words of its audio.

    Raises ValueError when the transcript cannot be normalised, or when a reference is empty after
    cleaning: the organisers' scorer divides by its length and crashes on it.
    """
    try:
        ref1 = " ".join(reference(utterance.spoken, remove_parentheses=False).split())
        ref2 = " ".join(reference(utterance.spoken, remove_parentheses=True).split())
    except ValueError as error:
        raise ValueError(f"transcript not readable ({error})") from None
    if not clean(ref1) or not clean(ref2):
        raise ValueError(f"empty reference after normalisation (ref1 {ref1!r}, ref2 {ref2!r})")
    return ref1, ref2


def write_dev_manifest(manifest_dir: Path, split: str, data_root: Path,
                       rows: list[tuple[DevUtterance, tuple[str, str]]]) -> list[str]:
    """The organisers' SAPC1 layout: a wav2vec-style `SPLIT.tsv` (first line the data root, then
    `SPLIT/<id>.wav<TAB>frames`) and one reference a line in `SPLIT.ref1` / `SPLIT.ref2`."""
    files = {
        f"{split}.tsv": [str(data_root)] + [f"{split}/{u.id}.wav\t{u.frames}" for u, _ in rows],
        f"{split}.ref1": [entry[0] for _, entry in rows],
        f"{split}.ref2": [entry[1] for _, entry in rows],
    }
    for name, lines in files.items():
        with open(Path(manifest_dir) / name, "w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(line + "\n" for line in lines)
    return list(files)


def dev_references(dev_dir: Path, split: str, ids: list[str]) -> tuple[list[str], list[str]]:
    """ref1 and ref2 as `dev prepare` writes them (DEV/manifest/SPLIT.ref1, .ref2), one line per id."""
    sides = []
    for suffix in ("ref1", "ref2"):
        path = Path(dev_dir) / "manifest" / f"{split}.{suffix}"
        try:
            lines = read_lines(path)
        except FileNotFoundError:
            raise EditionError(f"{path}: missing (prepare the dev set with `sapsoup dev prepare`)") from None
        if len(lines) != len(ids):
            raise EditionError(f"{path}: {len(lines)} references, but the manifest lists {len(ids)} utterances")
        sides.append(lines)
    return sides[0], sides[1]


def score_raw(hypotheses: list[str], ref1: list[str], ref2: list[str]) -> SplitResult:
    """SAPC1 WER as an edition-neutral `SplitResult` (SEM is computed beside it by the library)."""
    detail = score_sapc1(hypotheses, ref1, ref2)
    utterances = [
        UtteranceResult(u.errors, u.words, u.hypothesis_clean, u.reference_clean, u.reference,
                        u.substitutions, u.deletions, u.insertions)
        for u in detail.utterances
    ]  # fmt: skip
    return SplitResult({"WER": detail.wer}, utterances, [], detail)


EDITION = Edition(
    name="sapc1",
    title="SAPC1 (2025)",
    metrics=("WER", "SEM"),
    entry_points=ENTRY_POINTS,
    templates=TEMPLATES,
    pinned_packages=PINNED_PACKAGES,
    template_values=template_values,
    check_entry_points=check_entry_points,
    time_limit_seconds=None,
    environment_files="run.sh",
    replay_notes=REPLAY_NOTES,
    server_run=server_run,
    manifest_path=manifest_path,
    read_output=read_output,
    dev_entry=dev_entry,
    write_dev_manifest=write_dev_manifest,
    reference=reference,
    dev_references=dev_references,
    score=score_raw,
)
