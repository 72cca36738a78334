"""A synthetic corpus in the SAP dataset's layout, for testing everything without the real data.

The Speech Accessibility Project's data cannot be shipped with a tool, but its layout can: one
folder per speaker holding `<speaker id>.json` ("Contributor ID", "Etiology", "Files") and the
16 kHz mono WAV files it lists. This module fills that layout with eSpeak NG speech, each speaker
with a voice, an etiology label and a severity that shape how their speech is perturbed, and
writes a train/dev split by speaker beside it.

Each file entry carries an extra "Synthesis" key (SAP readers ignore unknown keys) with what is
needed to regenerate a clean version of the utterance: `clean_audio(entry)` speaks its fluent text
with the same voice and no perturbation, which is how the ASR model is checked on the corpus.

The output depends on nothing but the options: every random choice comes from numpy Generators
seeded from the seed (one per speaker, so speaker i is the same whatever the number of speakers),
eSpeak NG is reloaded for every utterance, and no file holds a time or a path.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import soundfile
from sapsoup.demo import prompts, speech

from sapsoup import __version__
from sapsoup.atomic import atomic_path
from sapsoup.errors import SapsoupError

ETIOLOGIES = ("ALS", "Cerebral Palsy", "Down Syndrome", "Parkinson's Disease", "Stroke")
MIXED = "mixed"  # each speaker gets a severity in turn: mild, moderate, severe
LONG_SECONDS = 30.0  # Whisper's window: longer recordings need long-form decoding
LONG_TARGET_SECONDS = 31.0  # long recordings keep adding sentences until their speech is this long
DEV_FRACTION = 0.25
MIN_SPEAKERS = 2  # one for train, one for dev
MIN_UTTERANCES = 3  # one per category
SPLITS_FILE = "splits.json"
INFO_FILE = "corpus.json"


class CorpusError(SapsoupError):
    """The corpus cannot be written or read as asked."""


@dataclass(frozen=True)
class SpeakerProfile:
    """Who a synthetic speaker is: the label SAP gives them and how their speech departs from fluent."""

    speaker_id: str
    etiology: str
    severity: str
    voice: str
    perturbation: speech.Perturbation


@dataclass(frozen=True)
class CorpusSummary:
    path: Path
    speakers: int
    utterances: int
    long_utterances: int
    total_seconds: float
    train: tuple[str, ...]
    dev: tuple[str, ...]


@dataclass(frozen=True)
class CorpusFile:
    """One recording of a corpus on disk, as `iter_files` yields it."""

    speaker_id: str
    etiology: str
    wav_path: Path
    entry: dict  # the "Files" entry of the speaker's JSON


# ----------------------------------------------------------------------------------------------
# Speakers


# How each etiology tends to colour speech, as factors on the severity's preset. They follow the
# textbook pictures loosely: Parkinson's is quick, monotone, soft and tremulous; ALS slow and
# strained; cerebral palsy irregular; Down syndrome imprecise with more repetitions; stroke slow
# with many pauses.
_ETIOLOGY_FACTORS = {
    "ALS": dict(rate_wpm=0.85, muffle=1.3, pause_prob=1.2, tremor_depth=0.8),
    "Cerebral Palsy": dict(rate_spread=1.5, pitch_spread=1.5, jitter_depth=1.5, pause_prob=1.2),
    "Down Syndrome": dict(muffle=1.2, repeat_prob=1.5, filler_prob=1.3),
    "Parkinson's Disease": dict(rate_wpm=1.15, rate_spread=1.2, pitch_spread=0.4, tremor_depth=1.6,
                                pause_prob=0.7, muffle=1.2),
    "Stroke": dict(rate_wpm=0.9, pause_prob=1.5, repeat_prob=1.2),
}


def speaker_rng(seed: int, index: int) -> np.random.Generator:
    """The random source of speaker `index`: independent of how many speakers there are."""
    return np.random.default_rng([seed, index])


def make_profile(index: int, rng: np.random.Generator, severity: str = MIXED) -> SpeakerProfile:
    """Draw speaker `index`'s identity, voice and perturbation.

    Etiologies and (for `severity="mixed"`) severities rotate with the index so that a handful of
    speakers already covers them all; the rest is drawn from `rng`.
    """
    if severity == MIXED:
        severity = ("mild", "moderate", "severe")[index % 3]
    base = speech.preset(severity)
    etiology = ETIOLOGIES[index % len(ETIOLOGIES)]
    speaker_id = str(uuid.UUID(bytes=rng.bytes(16), version=4))
    voice = str(rng.choice(speech.VOICES))
    if severity == "clean":
        return SpeakerProfile(speaker_id, etiology, severity, voice, base)
    changes = {}
    for name, factor in _ETIOLOGY_FACTORS[etiology].items():
        personal = math.exp(rng.normal(0, 0.12))  # no two speakers of a kind are alike
        changes[name] = getattr(base, name) * factor * personal
    changes["rate_wpm"] = int(np.clip(round(changes.get("rate_wpm", base.rate_wpm)), speech.MIN_RATE_WPM, 300))
    changes["pitch_spread"] = int(round(changes.get("pitch_spread", base.pitch_spread)))
    for name in ("pause_prob", "repeat_prob", "filler_prob", "muffle"):
        if name in changes:
            changes[name] = float(min(changes[name], 0.9))
    changes["pitch"] = int(np.clip(base.pitch + rng.integers(-12, 13), 10, 90))
    changes["tremor_hz"] = float(rng.uniform(4.0, 7.0))
    if etiology == "Parkinson's Disease":
        changes["snr_db"] = base.snr_db - 3.0  # a soft voice in the same room
    return SpeakerProfile(speaker_id, etiology, severity, voice, replace(base, **changes))


def plan_categories(count: int, rng: np.random.Generator) -> list[tuple[str, bool]]:
    """(category, is long) for each of a speaker's `count` recordings, in recording order.

    At least one in eight recordings (and at least one per speaker) is a spontaneous passage longer
    than LONG_SECONDS; the rest are commands and read sentences in equal parts, with one short
    spontaneous answer in five.
    """
    if count < MIN_UTTERANCES:
        raise CorpusError(f"a speaker needs at least {MIN_UTTERANCES} utterances, got {count}")
    long_count = max(1, math.ceil(count / 8))
    rest = count - long_count
    short_spontaneous = rest // 5
    commands = (rest - short_spontaneous + 1) // 2
    read = rest - short_spontaneous - commands
    plan = ([(prompts.CATEGORY_SPONTANEOUS, True)] * long_count
            + [(prompts.CATEGORY_SPONTANEOUS, False)] * short_spontaneous
            + [(prompts.CATEGORY_COMMANDS, False)] * commands
            + [(prompts.CATEGORY_READ, False)] * read)
    return [plan[i] for i in rng.permutation(len(plan))]


# ----------------------------------------------------------------------------------------------
# Utterances


@dataclass(frozen=True)
class Utterance:
    prompt: prompts.Prompt
    transcript: str
    clean_text: str
    pcm: np.ndarray  # int16 at 16 kHz
    espeak_seed: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / speech.SAMPLE_RATE


def synthesize_utterance(profile: SpeakerProfile, prompt: prompts.Prompt, long: bool,
                         rng: np.random.Generator) -> Utterance:
    """Speak one prompt as `profile`'s speaker.

    Commands and read text are one sentence; a short spontaneous answer is its first one to three
    sentences; a long one adds sentences (with pauses between them) until its speech lasts
    LONG_TARGET_SECONDS.
    """
    perturbation = profile.perturbation
    if prompt.category == prompts.CATEGORY_SPONTANEOUS and perturbation != speech.preset("clean"):
        perturbation = replace(perturbation, filler_prob=min(0.5, 2 * perturbation.filler_prob))
    if long:
        wanted = len(prompt.sentences)
    elif prompt.category == prompts.CATEGORY_SPONTANEOUS:
        wanted = int(rng.integers(1, 4))
    else:
        wanted = 1
    espeak_seed = int(rng.integers(1, 2**31 - 1))
    pieces, transcripts, used = [], [], []
    seconds = 0.0
    with speech.EspeakSession(profile.voice, espeak_seed) as tts:
        for sentence in prompt.sentences[:wanted]:
            if pieces:
                gap = speech.silence(rng.uniform(*perturbation.pause_seconds) + 0.2)
                pieces.append(gap)
                seconds += len(gap) / speech.SAMPLE_RATE
            segments = speech.plan_sentence(list(sentence), perturbation, rng)
            audio = speech.render(segments, tts, perturbation, rng)
            pieces.append(audio)
            seconds += len(audio) / speech.SAMPLE_RATE
            transcripts.append(speech.transcript_of(segments))
            used.append(sentence)
            if long and seconds >= LONG_TARGET_SECONDS:
                break
    if long and seconds < LONG_TARGET_SECONDS:
        raise CorpusError(f"prompt material too short for a {LONG_TARGET_SECONDS:.0f} s passage "
                          f"({seconds:.1f} s from {len(used)} sentences)")
    pcm = speech.finish(np.concatenate(pieces), perturbation, rng,
                        lead_seconds=float(rng.uniform(0.2, 0.6)), tail_seconds=float(rng.uniform(0.3, 0.8)))
    return Utterance(prompt, " ".join(transcripts), prompts.spoken_text(used), pcm, espeak_seed)


def file_entry(filename: str, profile: SpeakerProfile, utterance: Utterance) -> dict:
    """The SAP "Files" entry of one recording, plus how it was synthesised."""
    return {
        "Filename": filename,
        "Prompt": {
            "Prompt Text": utterance.prompt.prompt_text,
            "Transcript": utterance.transcript,
            "Category Description": utterance.prompt.category,
            "Sub Category Description": utterance.prompt.sub_category,
        },
        "Synthesis": {
            "voice": profile.voice,
            "severity": profile.severity,
            "clean_text": utterance.clean_text,
            "clean_rate_wpm": speech.NORMAL_RATE_WPM,
            "clean_pitch": profile.perturbation.pitch,
            "duration_s": round(utterance.seconds, 4),
            "espeak_seed": utterance.espeak_seed,
            "perturbation": dataclasses.asdict(profile.perturbation),
        },
    }


def clean_audio(entry: dict) -> np.ndarray:
    """The recording of a corpus file entry spoken fluently: float32 at 16 kHz, no perturbation."""
    try:
        synthesis = entry["Synthesis"]
        return speech.synthesize_clean(synthesis["clean_text"], synthesis["voice"],
                                       synthesis["clean_rate_wpm"], synthesis["clean_pitch"])
    except (KeyError, TypeError) as error:
        name = entry.get("Filename", "?") if isinstance(entry, dict) else "?"
        raise CorpusError(f"{name}: file entry has no usable 'Synthesis' record ({error})") from error


# ----------------------------------------------------------------------------------------------
# The corpus on disk


def write_corpus(out_dir: str | os.PathLike, speakers: int = 8, utterances: int = 12, seed: int = 0,
                 severity: str = MIXED, force: bool = False,
                 on_utterance: Callable[[str], None] | None = None) -> CorpusSummary:
    """Write a synthetic SAP-style corpus to `out_dir`, all or nothing.

    The corpus is built in a hidden folder beside `out_dir` and renamed into place at the end, so
    an error or an interruption leaves no partial corpus. An existing `out_dir` is an error unless
    `force`, which replaces it. `on_utterance` is called with a short description after each
    recording (for a progress bar); there are `speakers * utterances` of them.
    """
    out_dir = Path(out_dir)
    if speakers < MIN_SPEAKERS:
        raise CorpusError(f"{out_dir}: need at least {MIN_SPEAKERS} speakers for a train/dev split, got {speakers}")
    if utterances < MIN_UTTERANCES:
        raise CorpusError(f"{out_dir}: need at least {MIN_UTTERANCES} utterances per speaker, got {utterances}")
    if seed < 0:
        raise CorpusError(f"{out_dir}: the seed must be a non-negative integer, got {seed}")
    if severity != MIXED and severity not in speech.SEVERITIES:
        raise CorpusError(f"{out_dir}: unknown severity {severity!r}; expected {MIXED} or one of "
                          f"{', '.join(speech.SEVERITIES)}")
    if (out_dir.exists() or out_dir.is_symlink()) and not force:
        raise CorpusError(f"{out_dir}: already exists (use --force to replace it)")
    parent = out_dir.absolute().parent
    if not parent.is_dir():
        raise CorpusError(f"{out_dir}: parent folder {parent} does not exist")

    with atomic_path(out_dir, folder=True) as building:
        summary = _build(Path(building), speakers, utterances, seed, severity, on_utterance)
    return replace(summary, path=out_dir)


def _build(root: Path, speakers: int, utterances: int, seed: int, severity: str,
           on_utterance: Callable[[str], None] | None) -> CorpusSummary:
    speaker_ids, seconds, long_count = [], 0.0, 0
    for index in range(speakers):
        rng = speaker_rng(seed, index)
        profile = make_profile(index, rng, severity)
        plan = plan_categories(utterances, rng)
        drawn = {category: iter(prompts.draw_prompts(category, sum(c == category for c, _ in plan), rng))
                 for category in prompts.CATEGORIES}
        folder = root / profile.speaker_id
        folder.mkdir()
        files = []
        for number, (category, long) in enumerate(plan, start=1):
            utterance = synthesize_utterance(profile, next(drawn[category]), long, rng)
            filename = f"{profile.speaker_id}_{number:04d}.wav"
            soundfile.write(folder / filename, utterance.pcm, speech.SAMPLE_RATE, subtype="PCM_16", format="WAV")
            files.append(file_entry(filename, profile, utterance))
            seconds += utterance.seconds
            long_count += utterance.seconds > LONG_SECONDS
            if on_utterance is not None:
                on_utterance(f"speaker {index + 1}/{speakers}")
        _write_json(folder / f"{profile.speaker_id}.json", {
            "Contributor ID": profile.speaker_id,
            "Etiology": profile.etiology,
            "Files": files,
        })
        speaker_ids.append(profile.speaker_id)

    split_rng = np.random.default_rng([seed, speakers, 0x5A9])
    dev_count = max(1, round(speakers * DEV_FRACTION))
    order = split_rng.permutation(speakers)
    dev = tuple(sorted(speaker_ids[i] for i in order[:dev_count]))
    train = tuple(sorted(speaker_ids[i] for i in order[dev_count:]))
    _write_json(root / SPLITS_FILE, {"train": list(train), "dev": list(dev)})
    _write_json(root / INFO_FILE, {
        "generator": "sapsoup corpus synth",
        "sapsoup_version": __version__,
        "seed": seed,
        "speakers": speakers,
        "utterances_per_speaker": utterances,
        "severity": severity,
        "sample_rate": speech.SAMPLE_RATE,
        "utterances": speakers * utterances,
        "long_utterances": long_count,
        "long_threshold_s": LONG_SECONDS,
        "total_seconds": round(seconds, 3),
    })
    return CorpusSummary(root, speakers, speakers * utterances, long_count, seconds, train, dev)


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_splits(corpus_dir: str | os.PathLike) -> dict[str, list[str]]:
    """The corpus's {"train": [speaker ids], "dev": [...]}."""
    path = Path(corpus_dir) / SPLITS_FILE
    try:
        splits = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CorpusError(f"{path}: no split file (not a synthetic corpus?)") from error
    except (OSError, json.JSONDecodeError) as error:
        raise CorpusError(f"{path}: unreadable split file ({error})") from error
    if not isinstance(splits, dict) or not all(isinstance(splits.get(k), list) for k in ("train", "dev")):
        raise CorpusError(f"{path}: expected {{\"train\": [...], \"dev\": [...]}}")
    return splits


def iter_files(corpus_dir: str | os.PathLike, split: str | None = None) -> Iterator[CorpusFile]:
    """Every recording of a corpus (or of one split), speaker by speaker in split-file order."""
    corpus_dir = Path(corpus_dir)
    splits = read_splits(corpus_dir)
    if split is None:
        speaker_ids = splits["train"] + splits["dev"]
    elif split in splits:
        speaker_ids = splits[split]
    else:
        raise CorpusError(f"{corpus_dir / SPLITS_FILE}: no split {split!r}")
    for speaker_id in speaker_ids:
        path = corpus_dir / speaker_id / f"{speaker_id}.json"
        try:
            speaker = json.loads(path.read_text(encoding="utf-8"))
            etiology, entries = speaker["Etiology"], speaker["Files"]
        except FileNotFoundError as error:
            raise CorpusError(f"{path}: speaker file missing") from error
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise CorpusError(f"{path}: not a SAP speaker file ({error})") from error
        for entry in entries:
            yield CorpusFile(speaker_id, etiology, path.parent / entry["Filename"], entry)
