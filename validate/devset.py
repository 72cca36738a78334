"""Turn SAP-layout data into the organisers' dev layout, and read that layout back.

The organisers' SAPC1 `inference.py` reads a wav2vec-style manifest and 16 kHz mono WAVs; their SAPC1
scorer reads two reference files per split; their SAPC2 tools (`local_decode.py --data-root DEV`,
`evaluate.sh` with DATA_ROOT=DEV) read one CSV. `sapsoup dev prepare` writes all of it from the SAP
release (or the synthetic corpus), so that a submission can be run and scored the way the server does:

    DEV/manifest/NAME.tsv        first line: the data root; then `NAME/<id>.wav<TAB>n_frames`
    DEV/manifest/NAME.ref1       one reference a line, parenthesised disfluencies kept
    DEV/manifest/NAME.ref2       the same without them
    DEV/manifest/NAME.meta.tsv   id, speaker, etiology, category, duration (seconds), with a header
    DEV/manifest/NAME.csv        SAPC2: id, speaker, etiology, audio_filepath (relative to DEV),
                                 duration, text, norm_text_with_disfluency, norm_text_without_disfluency
    DEV/data/NAME/<id>.wav       16 kHz mono PCM_16, converted as the organisers convert (editions.audio)

SAP layout: one folder per speaker, `SAP_DIR/<speaker>/<speaker>.json` next to its WAVs, and
optionally `SAP_DIR/splits.json` ({"train": [...], "dev": [...]}, speaker or utterance ids).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile

from sapsoup import editions
from sapsoup.editions import DevUtterance, audio, sapc1
from sapsoup.errors import SapsoupError

TARGET_RATE = audio.TARGET_RATE
LONG_UTTERANCE_SECONDS = 30.0
META_COLUMNS = ("id", "speaker", "etiology", "category", "duration")


class DevSetError(SapsoupError):
    """Bad SAP input or a broken dev folder; the message names the file and the problem."""


@dataclasses.dataclass
class SapUtterance:
    """One entry of a speaker JSON, before any audio is read."""

    id: str
    speaker: str
    etiology: str
    category: str
    transcript: str
    wav_path: Path
    json_path: Path


@dataclasses.dataclass
class LeftOut:
    """An utterance `dev prepare` could not use, and why (reported, never dropped silently)."""

    id: str
    path: Path
    reason: str


@dataclasses.dataclass
class MetaRow:
    id: str
    speaker: str
    etiology: str
    category: str
    duration: float


@dataclasses.dataclass
class PrepareSummary:
    split: str
    dev_dir: Path
    prepared: list[MetaRow]
    left_out: list[LeftOut]
    resampled: int  # WAVs whose rate or channel count was converted
    cut: int  # `#ts` transcripts whose audio was cut to their spans
    available: int  # utterances in the split before any subset was drawn
    subset_fraction: float | None
    subset_long: int  # utterances kept because they are longer than 30 s
    replaced_existing: bool


@dataclasses.dataclass
class ManifestEntry:
    relative_path: str
    n_frames: int

    @property
    def id(self) -> str:
        return Path(self.relative_path).stem


@dataclasses.dataclass
class DevSplit:
    """Everything the replay and the scorer need about one prepared split, in manifest order."""

    name: str
    dev_dir: Path
    data_root: str
    entries: list[ManifestEntry]
    ref1: list[str]
    ref2: list[str]
    meta: list[MetaRow]

    @property
    def ids(self) -> list[str]:
        return [entry.id for entry in self.entries]

    def wav_path(self, index: int) -> Path:
        """Where the organisers' script opens the file: DATA/SPLIT/<basename of the manifest path>."""
        return self.dev_dir / "data" / self.name / Path(self.entries[index].relative_path).name


# ---------------------------------------------------------------------------------------------
# Reading the SAP layout


def _required(mapping: dict, key: str, where: str) -> object:
    if not isinstance(mapping, dict) or key not in mapping:
        raise DevSetError(f"{where}: missing key {key!r}")
    return mapping[key]


def _one_line(text: str) -> str:
    """Metadata goes into a TSV: tabs and newlines inside a field would break its columns."""
    return " ".join(str(text).split())


def read_speaker_json(json_path: Path) -> list[SapUtterance]:
    """Read one speaker's JSON. Structure errors are fatal: they mean the wrong folder was given."""
    try:
        record = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DevSetError(f"{json_path}: cannot read speaker JSON ({error})") from error
    speaker = _one_line(_required(record, "Contributor ID", str(json_path)))
    etiology = _one_line(_required(record, "Etiology", str(json_path)))
    files = _required(record, "Files", str(json_path))
    if not isinstance(files, list):
        raise DevSetError(f"{json_path}: 'Files' is not a list")
    utterances = []
    for position, item in enumerate(files):
        where = f"{json_path} Files[{position}]"
        filename = str(_required(item, "Filename", where))
        prompt = _required(item, "Prompt", where)
        transcript = _required(prompt, "Transcript", where)
        if not isinstance(transcript, str):
            raise DevSetError(f"{where}: 'Transcript' is not a string")
        category = _one_line(prompt.get("Category Description", "") or "")
        utterances.append(
            SapUtterance(
                id=Path(filename).stem,
                speaker=speaker,
                etiology=etiology,
                category=category,
                transcript=transcript,
                wav_path=json_path.parent / filename,
                json_path=json_path,
            )
        )
    return utterances


def read_sap_dir(sap_dir: Path) -> list[SapUtterance]:
    """All utterances of all speakers, in a stable order (speaker folder, then JSON order)."""
    sap_dir = Path(sap_dir)
    if not sap_dir.is_dir():
        raise DevSetError(f"{sap_dir}: not a folder")
    utterances: list[SapUtterance] = []
    for speaker_dir in sorted(p for p in sap_dir.iterdir() if p.is_dir()):
        json_path = speaker_dir / f"{speaker_dir.name}.json"
        if json_path.is_file():
            utterances.extend(read_speaker_json(json_path))
    if not utterances:
        raise DevSetError(f"{sap_dir}: no speaker folders with <speaker>/<speaker>.json found")
    seen: dict[str, Path] = {}
    for utterance in utterances:
        if utterance.id in seen:
            raise DevSetError(
                f"{utterance.json_path}: utterance id {utterance.id!r} also appears in {seen[utterance.id]}"
            )
        seen[utterance.id] = utterance.json_path
    return utterances


def select_split(utterances: list[SapUtterance], sap_dir: Path, split: str) -> list[SapUtterance]:
    """The utterances of `split` per SAP_DIR/splits.json; all of them when there is no such file.

    Entries of splits.json may name speakers or single utterances. An entry that names neither is an
    error: a typo would otherwise shrink the dev set without anyone noticing.
    """
    splits_path = Path(sap_dir) / "splits.json"
    if not splits_path.exists():
        return list(utterances)
    try:
        splits = json.loads(splits_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DevSetError(f"{splits_path}: cannot read ({error})") from error
    if not isinstance(splits, dict) or split not in splits:
        known = ", ".join(sorted(splits)) if isinstance(splits, dict) else "none"
        raise DevSetError(f"{splits_path}: no split {split!r} (splits there: {known})")
    wanted = splits[split]
    if not isinstance(wanted, list):
        raise DevSetError(f"{splits_path}: split {split!r} is not a list")
    speakers = {u.speaker for u in utterances}
    ids = {u.id for u in utterances}
    wanted = [str(name) for name in wanted]
    unknown = [name for name in wanted if name not in speakers and name not in ids]
    if unknown:
        raise DevSetError(f"{splits_path}: split {split!r} names unknown speakers/utterances: {unknown[:5]}")
    wanted_set = set(wanted)
    return [u for u in utterances if u.speaker in wanted_set or u.id in wanted_set]


# ---------------------------------------------------------------------------------------------
# Transcripts with time spans


def parse_timed_transcript(transcript: str) -> list[tuple[float, float, str]] | None:
    """Spans of a `#ts` transcript as (start s, end s, text); None for an ordinary transcript.

    Such transcripts start with `#ts`, then one `start end text` line per span. Only the spans'
    audio is part of the utterance, so `dev prepare` cuts the WAV to them and joins the texts. The
    parsing is SAPC1's (`editions.sapc1.parse_timestamped`); a malformed span raises ValueError
    (ReferenceFormatError) naming the line.
    """
    if not transcript.strip().lower().startswith("#ts"):
        return None
    return sapc1.parse_timestamped(transcript)


def spoken_text(transcript: str) -> str:
    """The transcript text without `#ts` timing: what the references are made from."""
    spans = parse_timed_transcript(transcript)
    if spans is None:
        return transcript
    return " ".join(text for _, _, text in spans if text)


# ---------------------------------------------------------------------------------------------
# Audio


def _spans(utterance: SapUtterance) -> list[tuple[float, float]] | None:
    spans = parse_timed_transcript(utterance.transcript)
    return None if spans is None else [(start, end) for start, end, _ in spans]


def utterance_duration(utterance: SapUtterance) -> float:
    """Seconds of audio the utterance will have once prepared (its spans only, for `#ts`).

    Computed from the header with the organisers' length rules (librosa's for resampling, pydub's
    for cutting), so it is the prepared file's length to the sample. Raises ValueError (with the
    reason) for a missing or unreadable WAV.
    """
    if not utterance.wav_path.is_file():
        raise ValueError("missing WAV (named in the speaker JSON, not found)")
    try:
        info = soundfile.info(str(utterance.wav_path))
    except Exception as error:  # soundfile raises several types for corrupt files
        raise ValueError(f"unreadable WAV ({_short(error)})") from error
    if info.frames <= 0:
        raise ValueError("WAV has no samples")
    frames = audio.converted_length(info.frames, info.samplerate)
    spans = _spans(utterance)
    if spans is not None:
        frames = audio.cut_length(spans, frames)
    return frames / TARGET_RATE


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__


def load_utterance_audio(utterance: SapUtterance) -> tuple[np.ndarray, bool, bool]:
    """The utterance as the organisers' preprocessing leaves it: 16 kHz mono int16, plus (was
    converted, was cut).

    The conversion is `sapsoup.editions.audio.convert` (their soundfile + librosa steps, sample for
    sample). A `#ts` transcript's audio is then cut to its spans as SAPC1 cut it: after the
    conversion, in pydub's milliseconds, and not at all when the spans already add up to the whole
    file. SAPC2's preprocessing defines no cutting; the same cut audio serves both manifests.
    """
    samples, converted = audio.convert(utterance.wav_path)
    spans = _spans(utterance)
    if spans is None:
        return samples, converted, False
    cut = audio.cut_spans(samples, spans)
    return cut, converted, len(cut) != len(samples)


def span_overruns(utterance: SapUtterance) -> tuple[list[tuple[float, float]], float]:
    """`#ts` spans that end after the converted audio (SAPC1's cut stops them at its end), and the
    audio's length in seconds, for the warning that names them."""
    spans = _spans(utterance)
    info = soundfile.info(str(utterance.wav_path))
    frames = audio.converted_length(info.frames, info.samplerate)
    return ([] if spans is None else audio.overruns(spans, frames)), frames / TARGET_RATE


# ---------------------------------------------------------------------------------------------
# The subset of the paper


def draw_subset(durations: list[float], fraction: float, seed: int) -> list[int]:
    """Indices of the paper's dev subset: a random `fraction` of the utterances up to 30 s, drawn
    with numpy's Generator(seed), plus every utterance longer than 30 s (long audio was where most
    errors were, so none of it is left to chance). Returned in the original order."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"subset fraction must be in (0, 1], got {fraction}")
    long_ones = [i for i, seconds in enumerate(durations) if seconds > LONG_UTTERANCE_SECONDS]
    short_ones = [i for i, seconds in enumerate(durations) if seconds <= LONG_UTTERANCE_SECONDS]
    count = int(round(fraction * len(short_ones)))
    drawn = np.random.default_rng(seed).choice(len(short_ones), size=count, replace=False)
    return sorted(set(long_ones) | {short_ones[i] for i in drawn})


# ---------------------------------------------------------------------------------------------
# Writing the organisers' layout


def prepare_dev(
    sap_dir: Path,
    dev_dir: Path,
    split: str = "dev",
    subset_fraction: float | None = None,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> PrepareSummary:
    """Write split `split` of SAP_DIR into DEV in the organisers' layout (see the module docstring).

    Missing or unreadable WAVs, bad `#ts` spans, transcripts either edition cannot normalise, and
    SAPC1 references that are empty after normalisation (SAPC1's scorer divides by their length) are
    named through `warn` and left out of the split, for both editions alike, so that both manifests
    list the same utterances; everything else is prepared. Output is built in a temporary folder
    inside DEV and moved into place at the end, so an interrupted run leaves the previous state of DEV
    untouched.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", split):
        raise DevSetError(f"split name {split!r}: use letters, digits, '_', '-', '.' only")
    warn = warn or (lambda message: None)
    utterances = select_split(read_sap_dir(Path(sap_dir)), Path(sap_dir), split)

    left_out: list[LeftOut] = []

    def leave_out(utterance: SapUtterance, path: Path, reason: str) -> None:
        left_out.append(LeftOut(utterance.id, path, reason))
        warn(f"{path}: {utterance.id}: {reason}; left out")

    known = editions.all_editions()
    usable: list[tuple[SapUtterance, DevUtterance, list[tuple[str, ...]]]] = []  # with each edition's entry
    durations: list[float] = []
    for utterance in utterances:
        try:
            seconds = utterance_duration(utterance)
        except ValueError as error:
            leave_out(utterance, utterance.wav_path, str(error))
            continue
        try:
            timed = parse_timed_transcript(utterance.transcript) is not None
            prepared = DevUtterance(utterance.id, _one_line(utterance.speaker), _one_line(utterance.etiology),
                                    utterance.transcript, spoken_text(utterance.transcript), timed)
            entries = [edition.dev_entry(prepared) for edition in known]
        except ValueError as error:
            leave_out(utterance, utterance.json_path, str(error))
            continue
        overruns, whole = span_overruns(utterance)
        for start, end in overruns:
            warn(f"{utterance.json_path}: {utterance.id}: #ts span {start}-{end} s ends after the audio "
                 f"({whole:.3f} s); cut at its end, as the organisers' preprocessing cuts it")
        usable.append((utterance, prepared, entries))
        durations.append(seconds)
    available = len(utterances)

    subset_long = 0
    if subset_fraction is not None:
        keep = draw_subset(durations, subset_fraction, seed)
        subset_long = sum(1 for i in keep if durations[i] > LONG_UTTERANCE_SECONDS)
        usable = [usable[i] for i in keep]

    dev_dir = Path(dev_dir)
    created = not dev_dir.exists()
    dev_dir.mkdir(parents=True, exist_ok=True)
    data_root = dev_dir.resolve() / "data"
    staging = Path(tempfile.mkdtemp(prefix=f".prepare-{split}-", dir=dev_dir))
    try:
        (staging / "manifest").mkdir()
        wav_dir = staging / "data" / split
        wav_dir.mkdir(parents=True)
        rows: list[MetaRow] = []
        written: list[tuple[DevUtterance, list[tuple[str, ...]]]] = []
        resampled = cut = 0
        for done, (utterance, prepared, entries) in enumerate(usable):
            if on_progress:
                on_progress(done, len(usable))
            try:
                samples, was_converted, was_cut = load_utterance_audio(utterance)
            except Exception as error:  # a WAV whose header read but whose data does not
                reason = str(error) if isinstance(error, ValueError) else f"unreadable WAV ({_short(error)})"
                leave_out(utterance, utterance.wav_path, reason)
                continue
            audio.write_wav(wav_dir / f"{utterance.id}.wav", samples)
            prepared = dataclasses.replace(prepared, frames=len(samples), wav=f"data/{split}/{utterance.id}.wav")
            written.append((prepared, entries))
            rows.append(
                MetaRow(utterance.id, utterance.speaker, utterance.etiology, utterance.category, len(samples) / TARGET_RATE)
            )
            resampled += was_converted
            cut += was_cut
        if on_progress:
            on_progress(len(usable), len(usable))
        if not rows:
            shutil.rmtree(staging, ignore_errors=True)
            if created:
                dev_dir.rmdir()  # leave no trace of a run that wrote nothing
            raise DevSetError(f"{sap_dir}: no utterance of split {split!r} could be prepared")

        manifest = staging / "manifest"
        names = [f"{split}.meta.tsv"]
        for number, edition in enumerate(known):
            names += edition.write_dev_manifest(manifest, split, data_root,
                                                [(prepared, entries[number]) for prepared, entries in written])
        _write_lines(
            manifest / f"{split}.meta.tsv",
            ["\t".join(META_COLUMNS)]
            + [f"{r.id}\t{r.speaker}\t{r.etiology}\t{r.category}\t{r.duration:.3f}" for r in rows],
        )

        final_data = dev_dir / "data" / split
        replaced = final_data.exists() or (dev_dir / "manifest" / f"{split}.tsv").exists()
        (dev_dir / "manifest").mkdir(exist_ok=True)
        (dev_dir / "data").mkdir(exist_ok=True)
        if final_data.exists():
            os.replace(final_data, staging / "previous-data")
        os.replace(wav_dir, final_data)
        for name in names:
            os.replace(manifest / name, dev_dir / "manifest" / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    return PrepareSummary(
        split=split,
        dev_dir=dev_dir,
        prepared=rows,
        left_out=left_out,
        resampled=resampled,
        cut=cut,
        available=available,
        subset_fraction=subset_fraction,
        subset_long=subset_long,
        replaced_existing=replaced,
    )


def _write_lines(path: Path, lines: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for line in lines:
            handle.write(line + "\n")


# ---------------------------------------------------------------------------------------------
# Reading a prepared dev folder back


def _read_lines(path: Path) -> list[str]:
    """Lines as the organisers' tools see them (universal newlines, final newline not a line)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return [line.rstrip("\n") for line in handle.readlines()]
    except FileNotFoundError:
        raise DevSetError(f"{path}: missing (run `sapsoup dev prepare` first)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DevSetError(f"{path}: cannot read ({error})") from error


def list_splits(dev_dir: Path) -> list[str]:
    """Split names with a manifest in DEV/manifest, sorted."""
    manifest_dir = Path(dev_dir) / "manifest"
    if not manifest_dir.is_dir():
        raise DevSetError(f"{manifest_dir}: missing (run `sapsoup dev prepare` first)")
    names = sorted(p.name[: -len(".tsv")] for p in manifest_dir.glob("*.tsv") if not p.name.endswith(".meta.tsv"))
    if not names:
        raise DevSetError(f"{manifest_dir}: no SPLIT.tsv manifest found")
    return names


def load_dev_split(dev_dir: Path, split: str) -> DevSplit:
    """Read one prepared split and check that its files agree with each other line for line."""
    dev_dir = Path(dev_dir)
    manifest_dir = dev_dir / "manifest"
    tsv_path = manifest_dir / f"{split}.tsv"
    lines = _read_lines(tsv_path)
    if not lines:
        raise DevSetError(f"{tsv_path}: empty manifest")
    entries = []
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split("\t")
        if len(parts) != 2 or not parts[1].isdigit():
            raise DevSetError(f"{tsv_path}:{number}: expected 'path<TAB>n_frames', got {line!r}")
        entries.append(ManifestEntry(parts[0], int(parts[1])))
    ref1 = _read_lines(manifest_dir / f"{split}.ref1")
    ref2 = _read_lines(manifest_dir / f"{split}.ref2")
    meta_path = manifest_dir / f"{split}.meta.tsv"
    meta_lines = _read_lines(meta_path)
    if not meta_lines or tuple(meta_lines[0].split("\t")) != META_COLUMNS:
        raise DevSetError(f"{meta_path}: first line must be the header {' '.join(META_COLUMNS)}")
    meta = []
    for number, line in enumerate(meta_lines[1:], start=2):
        parts = line.split("\t")
        try:
            meta.append(MetaRow(parts[0], parts[1], parts[2], parts[3], float(parts[4])))
        except (IndexError, ValueError):
            raise DevSetError(f"{meta_path}:{number}: expected {len(META_COLUMNS)} tab-separated fields") from None
    for path, count in ((manifest_dir / f"{split}.ref1", len(ref1)), (manifest_dir / f"{split}.ref2", len(ref2)),
                        (meta_path, len(meta))):
        if count != len(entries):
            raise DevSetError(f"{path}: {count} utterances, but {tsv_path} lists {len(entries)}")
    for number, (entry, row) in enumerate(zip(entries, meta), start=2):
        if entry.id != row.id:
            raise DevSetError(f"{meta_path}:{number}: id {row.id!r} does not match manifest entry {entry.relative_path!r}")
    return DevSplit(split, dev_dir, lines[0], entries, ref1, ref2, meta)
