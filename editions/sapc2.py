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

import ast
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from sapsoup.editions import DevUtterance, Edition, EditionError, ServerRun, SplitResult, UtteranceResult, sapc2_normalizer
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


# --------------------------------------------------------------------------------------------------
# The SAPC2 contract as a whole: archive, server, references, metrics
# --------------------------------------------------------------------------------------------------

TIME_LIMIT_SECONDS = 21600  # the organisers' published limit for one submission's whole run
ENTRY_POINTS = ("model.py",)
TEMPLATES = {"sapc2/model.py": "model.py", "sapc2/requirements.txt": "requirements.txt", "decoding.py": "decoding.py"}
# The organisers' image already holds torch and numpy (with its CUDA build): the archive pins the rest.
PINNED_PACKAGES = (
    "openai-whisper", "tiktoken", "regex", "numba", "llvmlite", "more-itertools", "tqdm", "soundfile",
    "inflect", "typeguard",
)  # fmt: skip
MANIFEST_ID = "id"
MANIFEST_AUDIO = "audio_filepath"
REFERENCE_COLUMNS = ("norm_text_with_disfluency", "norm_text_without_disfluency")
# The organisers' manifest: their utils/manifest.py writes the first six columns, normalize_ref.py two more.
MANIFEST_COLUMNS = ("id", "speaker", "etiology", "audio_filepath", "duration", "text", *REFERENCE_COLUMNS)
OUTPUT_HEADER = ["id", "raw_hypos"]
REPLAY_NOTES = (
    "Model.predict gets the local dev WAV paths; the CSV is written by sapsoup's stand-in for the ingestion program",
    "setup.sh and requirements.txt are not run or installed (no network): the local interpreter's packages are used",
)

# sapsoup's stand-in for the organisers' ingestion program (their `local_decode.py` does the same):
# load the archive's Model once, call predict() for every row of the SAPC2 manifest, write id,raw_hypos.
RUNNER = '''\
"""Written by sapsoup validate: load the archive's Model and transcribe a manifest, as SAPC2 does."""
import csv, os, sys
root, manifest, data_root, output = sys.argv[1:5]
sys.path.insert(0, root)
os.chdir(root)
from model import Model
model = Model()
with open(manifest, encoding="utf-8", newline="") as handle:
    entries = [(row["id"], row["audio_filepath"]) for row in csv.DictReader(handle)]
rows = []
for position, (uid, relative) in enumerate(entries):
    wav = os.path.join(data_root, relative)
    text = model.predict(wav)
    if not isinstance(text, str):
        sys.exit(f"Model.predict({wav!r}) returned {type(text).__name__}, not str")
    rows.append((uid, text))
    print(f"{position + 1}/{len(entries)}", flush=True)
partial = output + ".partial"
with open(partial, "w", encoding="utf-8", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["id", "raw_hypos"])
    writer.writerows(rows)
os.replace(partial, output)
'''


def template_values(pins: list[str], python: str) -> dict[str, str]:
    """requirements.txt lists the pinned packages, one a line (the image fixes the Python version)."""
    return {"REQUIREMENTS": "\n".join(pins)}


def check_entry_points(root: Path, files: set[str], label: str) -> list[str]:
    """model.py must define `class Model` with `predict`: the ingestion program calls nothing else."""
    source = (Path(root) / "model.py").read_text(encoding="utf-8", errors="replace")
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise EditionError(f"{label}: model.py line {error.lineno}: syntax error ({error.msg})") from None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Model":
            methods = {item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
            if "predict" in methods:
                return []
    raise EditionError(f"{label}: model.py does not define class Model with a predict method")


def manifest_path(dev_dir: Path, split: str) -> Path:
    return Path(dev_dir) / "manifest" / f"{split}.csv"


def server_run(root: Path, split: str, dev_dir: Path, workdir: Path, python: str) -> ServerRun:
    """The ingestion program's run of one split, with sapsoup's runner standing in for it."""
    runner = Path(workdir) / "sapc2_runner.py"
    output = Path(workdir) / f"{Path(root).name}-{split}.csv"
    dev = Path(dev_dir).resolve()
    command = [python, "-S", str(runner), str(root), str(manifest_path(dev, split)), str(dev), str(output)]
    return ServerRun(command, Path(root), output, "model.py", {runner.name: RUNNER})


def read_output(path: Path, ids: list[str], manifest: Path) -> list[str]:
    """The `id,raw_hypos` CSV, reordered to the manifest; every id exactly once."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise EditionError(f"{path}: cannot read ({error})") from error
    if not rows or rows[0] != OUTPUT_HEADER:
        raise EditionError(f"{path}: first row must be the header {','.join(OUTPUT_HEADER)}")
    by_id: dict[str, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 2:
            raise EditionError(f"{path}:{number}: expected 2 fields, got {len(row)}")
        if row[0] in by_id:
            raise EditionError(f"{path}:{number}: id {row[0]!r} appears twice")
        by_id[row[0]] = row[1]
    missing = [uid for uid in ids if uid not in by_id]
    if missing:
        raise EditionError(
            f"{path}: no hypothesis for {len(missing)} of the {len(ids)} utterances of {manifest}; "
            f"first missing id {missing[0]!r}"
        )
    extra = sorted(set(by_id) - set(ids))
    if extra:
        raise EditionError(f"{path}: ids not in {manifest}, first {extra[0]!r}")
    return [by_id[uid] for uid in ids]


def manifest_text(utterance: DevUtterance) -> str:
    """The manifest's `text` column: the transcript as the organisers' preprocessing leaves it.

    They strip it, drop a leading `#dis` line and delete (not replace) every newline. For a `#ts`
    transcript, whose audio is cut to its spans, the text is the spans' words, so text and audio agree.
    """
    if utterance.timed:
        return utterance.spoken
    text = re.sub(r"^#dis\s*\n", "", utterance.transcript.strip(), count=1)
    return text.replace("\n", "")


def dev_entry(utterance: DevUtterance) -> tuple[str, str, str]:
    """The manifest's text and its two normalised references.

    A reference may normalise to nothing ("Mhm." is a filler to SAPC2): the organisers keep such a
    row, and their scorer counts a hypothesis's words against it, so it stays. Raises ValueError when
    a reference cannot be normalised at all.
    """
    text = manifest_text(utterance)
    try:
        return (text, *(sapc2_normalizer.reference(text, remove_parentheses=remove) for remove in (False, True)))
    except ValueError as error:
        raise ValueError(f"SAPC2 reference not readable ({error})") from error


def write_dev_manifest(manifest_dir: Path, split: str, data_root: Path,
                       rows: list[tuple[DevUtterance, tuple[str, str, str]]]) -> list[str]:
    """`SPLIT.csv` as the organisers' last writer (`csv.DictWriter`, excel dialect) leaves it: CRLF
    line ends, fields quoted only where they hold a comma, a quote or a line break.

    `audio_filepath` is relative to the dev folder, which is what their `local_decode.py --data-root`
    and `evaluate.sh`'s DATA_ROOT expect; `duration` is written as Python writes the float
    frames / 16000, as their pandas does.
    """
    name = f"{split}.csv"
    with open(Path(manifest_dir) / name, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MANIFEST_COLUMNS)
        for utterance, entry in rows:
            writer.writerow([utterance.id, utterance.speaker, utterance.etiology, utterance.wav,
                             repr(utterance.frames / 16000), *entry])
    return [name]


def dev_references(dev_dir: Path, split: str, ids: list[str]) -> tuple[list[str], list[str]]:
    """The two normalised references of every id, from the SAPC2 manifest that `dev prepare` writes."""
    path = manifest_path(dev_dir, split)
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise EditionError(f"{path}: missing (prepare the dev set again with `sapsoup dev prepare`)") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise EditionError(f"{path}: cannot read ({error})") from None
    if rows and not set(REFERENCE_COLUMNS) | {MANIFEST_ID} <= set(rows[0]):
        raise EditionError(f"{path}: needs the columns {MANIFEST_ID}, {', '.join(REFERENCE_COLUMNS)}")
    by_id = {row[MANIFEST_ID]: (row[REFERENCE_COLUMNS[0]], row[REFERENCE_COLUMNS[1]]) for row in rows}
    missing = [uid for uid in ids if uid not in by_id]
    if missing:
        raise EditionError(f"{path}: no SAPC2 reference for {len(missing)} utterance(s), first {missing[0]!r}")
    return [by_id[uid][0] for uid in ids], [by_id[uid][1] for uid in ids]


def score_raw(hypotheses: list[str], ref1: list[str], ref2: list[str]) -> SplitResult:
    """SAPC2 CER and WER of raw hypotheses (normalised here, as the server does) against normalised
    references, as an edition-neutral `SplitResult` whose utterances carry the CER counts."""
    try:
        detail = score([sapc2_normalizer.hypothesis(text) for text in hypotheses], ref1, ref2)
    except ValueError as error:
        raise EditionError(str(error)) from None
    utterances = [
        UtteranceResult(u.char_errors, u.chars, u.hypothesis_norm, u.reference_norm, u.char_reference)
        for u in detail.utterances
    ]
    warnings = []
    if detail.stopping_utterances:
        numbers = ", ".join(str(n) for n in detail.stopping_utterances[:5])
        warnings.append(
            f"the organisers' evaluate.sh would stop without a score on utterance(s) {numbers}: an empty hypothesis "
            "where one reference is empty and the other is not"
        )
    return SplitResult({"CER": detail.cer, "WER": detail.wer}, utterances, warnings, detail)


EDITION = Edition(
    name="sapc2",
    title="SAPC2 (2026)",
    metrics=("CER", "WER"),
    entry_points=ENTRY_POINTS,
    templates=TEMPLATES,
    pinned_packages=PINNED_PACKAGES,
    template_values=template_values,
    check_entry_points=check_entry_points,
    time_limit_seconds=TIME_LIMIT_SECONDS,
    environment_files="setup.sh, requirements.txt",
    replay_notes=REPLAY_NOTES,
    server_run=server_run,
    manifest_path=manifest_path,
    read_output=read_output,
    dev_entry=dev_entry,
    write_dev_manifest=write_dev_manifest,
    reference=sapc2_normalizer.reference,
    dev_references=dev_references,
    score=score_raw,
)
