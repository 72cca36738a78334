"""Fine-tune a Whisper model on a corpus' train split: several runs, one hyper-parameter draw each.

This is the demo's stand-in for the paper's training (Ducorroy & Riad, Interspeech 2025): the merging
methods need *several* fine-tuning runs that differ only in their hyper-parameters, each leaving a
trajectory of checkpoints. Every run draws its hyper-parameters uniformly from `HPARAM_RANGES` and
writes Hugging Face checkpoints `RUNS/run-k/checkpoint-N` that `sapsoup merge` reads as they are.

Hyper-parameter ranges. The paper draws the learning rate, weight decay, the three dropouts and the
SpecAugment mask probabilities per run, uniformly. Its exact ranges were not available to us, so the
ranges below are our own choice and should be read as such. The learning-rate range is scaled for
tiny.en: fine-tuning Whisper large is usually done around 1e-6..1e-5, which barely moves tiny.en in
the few steps a laptop demo affords (tiny was also pre-trained with a learning rate about ten times
larger than large), so the range is ten times higher, 1e-5..1e-4. The dropout ranges are scaled
*down* for tiny.en, after measuring: its residual stream carries a few very large activations, and
dropping one of them wrecks the layer norms. On a batch of clean-ish synthetic speech whose loss is
1.8 nats per token without dropout, plain (residual) dropout of 0.005 gives 2.3, 0.01 gives 3.2,
0.02 gives 5.5 and 0.05 about 7 (no better than guessing); activation dropout 0.1 adds 0.4, attention
dropout 0.05 nothing. So plain dropout is drawn in 0..0.005 and activation dropout in 0..0.05; with
the usual 0..0.1 the runs would learn from noise.

Labels. SAP transcripts carry markup: disfluencies in parentheses ("(I) I went", "(uh)"), spelled
letters as "~T ~V", notes in brackets, unknown words in braces. The paper's post-processing expects
the model to write plain text, so a label is the plain spoken words (`label_text`): parentheses are
dropped but their words kept (the repeated word and the filler were spoken, and the scorer forgives
them through its disfluency-keeping reference), spelled letters become capitals "T V", notes go,
`{x:text}` keeps its text. Case, punctuation and numbers are kept as the transcriber wrote them,
which is how Whisper writes. An utterance whose words cannot be written (unintelligible `{w:N}` or
`{u:...}`, or a `#ts` transcript whose audio would have to be cut) is left out of training and listed,
as is every utterance over 30 s (the paper's rule: Whisper's window is 30 s). Labels are tokenised
with openai-whisper's own tiktoken tokenizer (the reference one; the `tokenizer.json` of some
packaged checkpoints is broken), with a leading space as Whisper writes its first word, between the
no-timestamps transcription prefix and end-of-text. The loss covers the text and end-of-text only.

Training is a plain PyTorch loop over `WhisperForConditionalGeneration` (no Trainer: it would need
`accelerate` and adds nothing here): AdamW (no weight decay on biases and norms, as Hugging Face's
Trainer does), a linear decay of the learning rate to zero with no warm-up (runs are a handful of
steps), gradient clipping at 1.0, fp32, 30-s padded log-mel from the checkpoint's feature extractor.

Resuming. Everything random is a function of (seed, run, step): the hyper-parameters of run k, the
order of examples (one shuffle per epoch) and the dropout and SpecAugment draws of each step (the
global torch and numpy generators are seeded per step and restored after it). With the optimiser
state saved beside the latest checkpoint (`run-k/resume_state.pt`, removed when the run finishes),
an interrupted run resumes from its latest complete checkpoint to the very weights it would have
reached uninterrupted. Each checkpoint is written into a hidden temporary folder and renamed into
place, so a `checkpoint-N` folder is always complete; `RUNS/finetune.json` is written last and is
what says the whole job is done.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import soundfile
from sapsoup.demo import corpus as corpus_lib

from sapsoup.atomic import atomic_path, write_json
from sapsoup.errors import SapsoupError

# Only local folders are ever loaded; should transformers look for anything on a hub, it must fail
# rather than download (set before transformers or huggingface_hub are imported, lazily, below).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SAMPLE_RATE = 16000
MAX_SECONDS = 30.0  # the paper leaves longer utterances out of training: Whisper's window is 30 s
MAX_GRAD_NORM = 1.0
LABEL_RULES_VERSION = 1  # bump when `label_text` changes, so old runs are not resumed with new labels

PLAN_FILE = "plan.json"  # settings and training set of a RUNS folder, written first
SUMMARY_FILE = "finetune.json"  # written last: its presence means every run is finished
HPARAMS_FILE = "hparams.json"
RESUME_FILE = "resume_state.pt"
TRAINER_STATE_FILE = "trainer_state.json"
CHECKPOINT_PATTERN = re.compile(r"^checkpoint-(\d+)$")

# (low, high) of the uniform draw of each hyper-parameter; see the module docstring for why.
HPARAM_RANGES = {
    "learning_rate": (1e-5, 1e-4),  # scaled x10 for tiny.en
    "weight_decay": (0.0, 0.1),
    "dropout": (0.0, 0.005),  # scaled /20 for tiny.en: see the module docstring
    "attention_dropout": (0.0, 0.1),
    "activation_dropout": (0.0, 0.05),  # halved for tiny.en
    "mask_time_prob": (0.0, 0.1),  # SpecAugment: fraction of time frames masked
    "mask_feature_prob": (0.0, 0.1),  # SpecAugment: fraction of mel channels masked
}


class FinetuneError(SapsoupError):
    """Fine-tuning cannot start or continue as asked; the message names the file and the problem."""


class UnusableTranscript(FinetuneError):
    """A transcript whose words cannot be written as a training label."""


# ----------------------------------------------------------------------------------------------
# Hyper-parameters


@dataclass(frozen=True)
class HyperParameters:
    """What differs between the runs of one job (everything else is shared, so merging compares like
    with like): the optimiser's step size and decay, the three dropouts and SpecAugment's masking."""

    learning_rate: float
    weight_decay: float
    dropout: float
    attention_dropout: float
    activation_dropout: float
    mask_time_prob: float
    mask_feature_prob: float


def draw_hyperparameters(seed: int, run: int) -> HyperParameters:
    """Run `run`'s hyper-parameters: uniform in HPARAM_RANGES, the same whatever the number of runs."""
    rng = np.random.default_rng([seed, run, 0x4B9])
    return HyperParameters(**{name: float(rng.uniform(low, high)) for name, (low, high) in HPARAM_RANGES.items()})


def learning_rate_at(peak: float, step: int, total_steps: int) -> float:
    """Linear decay to zero, no warm-up: step 1 uses the peak, step `total_steps` peak / total_steps."""
    return peak * (total_steps - step + 1) / total_steps


# ----------------------------------------------------------------------------------------------
# Labels

_NOTE = re.compile(r"\[[^\[\]]*\]")
_UNINTELLIGIBLE = re.compile(r"\{\s*[wu]\s*:[^{}]*\}", re.IGNORECASE)
_CURLY = re.compile(r"\{(?:\s*[A-Za-z_]+\s*:)?([^{}]*)\}")
_INNER_PARENTHESES = re.compile(r"\((?:\s*(?:cs|assistant)\s*:)?([^()]*)\)", re.IGNORECASE)
_SPELLED_LETTER = re.compile(r"~\s*([A-Za-z])")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?])")


def label_text(transcript: str) -> str:
    """The plain spoken words of a SAP transcript: what the model should learn to write.

    "(I) I went (uh) home" -> "I I went uh home"; "~T ~V" -> "T V"; "[noise] yes" -> "yes";
    "{x:word}" -> "word". Raises UnusableTranscript for unintelligible words, `#ts` transcripts and
    transcripts with no words, rather than guessing a label.
    """
    if transcript.lstrip().lower().startswith("#ts"):
        raise UnusableTranscript("a timed (#ts) transcript: its audio would have to be cut to its spans")
    text = transcript.replace("\u2019", "'").replace("\u2018", "'")
    if _UNINTELLIGIBLE.search(text):
        raise UnusableTranscript("unintelligible words ({w:N} or {u:...}) have no text to learn")
    text = _NOTE.sub(" ", text)
    text = _CURLY.sub(r" \1 ", text)
    while True:  # innermost parentheses first, so nested ones unwrap too
        unwrapped = _INNER_PARENTHESES.sub(r" \1 ", text)
        if unwrapped == text:
            break
        text = unwrapped
    text = _SPELLED_LETTER.sub(lambda match: " " + match[1].upper() + " ", text)
    text = re.sub(r"[~*()\[\]{}]", " ", text)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(text.split()))
    if not any(ch.isalnum() for ch in text):
        raise UnusableTranscript("the transcript has no words")
    return text


def label_ids(tokenizer, text: str) -> list[int]:
    """Whisper's decoder sequence for a label: transcription prefix (no timestamps), text, end-of-text.

    `tokenizer` is openai-whisper's (see `builder.tokenizer.whisper_tokenizer`). The text gets a leading
    space because Whisper writes its first word that way.
    """
    return [*tokenizer.sot_sequence_including_notimestamps, *tokenizer.encode(" " + text), tokenizer.eot]


# ----------------------------------------------------------------------------------------------
# The training set


@dataclass(frozen=True)
class TrainingExample:
    wav_path: Path
    label: str
    seconds: float


@dataclass(frozen=True)
class LeftOut:
    wav_path: Path
    reason: str
    too_long: bool  # over max_seconds (else: its transcript cannot be written as a label)


@dataclass(frozen=True)
class TrainingSet:
    examples: tuple[TrainingExample, ...]
    left_out: tuple[LeftOut, ...]

    def fingerprint(self, root: Path) -> str:
        """A digest of what is trained on (file, label, length): resuming needs the same set."""
        digest = hashlib.sha256()
        for example in self.examples:
            line = f"{os.path.relpath(example.wav_path, root)}\t{example.label}\t{example.seconds:.4f}\n"
            digest.update(line.encode("utf-8"))
        return digest.hexdigest()


def _audio_seconds(wav_path: Path) -> float:
    """Length of a 16 kHz mono WAV, checked without reading the samples."""
    if not wav_path.is_file():
        raise FinetuneError(f"{wav_path}: audio file missing")
    try:
        info = soundfile.info(str(wav_path))
    except Exception as error:  # libsndfile raises its own types; any of them means unreadable
        raise FinetuneError(f"{wav_path}: unreadable audio ({str(error).strip() or type(error).__name__})") from None
    if info.samplerate != SAMPLE_RATE or info.channels != 1:
        raise FinetuneError(f"{wav_path}: expected 16 kHz mono, got {info.samplerate} Hz with {info.channels} channels")
    if info.frames == 0:
        raise FinetuneError(f"{wav_path}: the audio is empty")
    return info.frames / info.samplerate


def training_set(corpus_dir: str | os.PathLike, split: str = "train", max_seconds: float = MAX_SECONDS) -> TrainingSet:
    """The utterances of a corpus split to train on, and those left out with the reason why.

    Every audio file is checked (present, readable, 16 kHz mono) before anything is trained, so bad
    input fails at once. Raises FinetuneError when the corpus is missing, the split is empty, or no
    utterance is left to train on.
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise FinetuneError(f"{corpus_dir}: no such corpus folder")
    try:
        speakers = corpus_lib.read_splits(corpus_dir).get(split)
        if speakers is None:
            raise FinetuneError(f"{corpus_dir / corpus_lib.SPLITS_FILE}: no {split!r} split")
        if not speakers:
            raise FinetuneError(f"{corpus_dir / corpus_lib.SPLITS_FILE}: the {split!r} split has no speakers")
        files = list(corpus_lib.iter_files(corpus_dir, split))
    except corpus_lib.CorpusError as error:
        raise FinetuneError(str(error)) from None
    examples, left_out = [], []
    for item in files:
        where = item.wav_path.parent / f"{item.speaker_id}.json"
        try:
            transcript = item.entry["Prompt"]["Transcript"]
        except (KeyError, TypeError):
            raise FinetuneError(f"{where}: {item.wav_path.name} has no 'Prompt' / 'Transcript'") from None
        if not isinstance(transcript, str):
            raise FinetuneError(f"{where}: the transcript of {item.wav_path.name} is not text")
        seconds = _audio_seconds(item.wav_path)
        if seconds > max_seconds:
            left_out.append(LeftOut(item.wav_path, f"{seconds:.1f} s, over {max_seconds:g} s", too_long=True))
            continue
        try:
            label = label_text(transcript)
        except UnusableTranscript as why:
            left_out.append(LeftOut(item.wav_path, str(why), too_long=False))
            continue
        examples.append(TrainingExample(item.wav_path, label, seconds))
    if not examples:
        raise FinetuneError(f"{corpus_dir}: none of the {len(files)} {split} utterances can be trained on "
                            f"(all over {max_seconds:g} s or without a usable transcript)")
    return TrainingSet(tuple(examples), tuple(left_out))


def batch_indices(n_examples: int, batch_size: int, step: int, seed: int, run: int) -> list[int]:
    """Which examples step `step` (from 1) trains on: consecutive slices of one shuffle per epoch.

    A function of its arguments only, so a resumed run sees the batches it would have seen.
    """
    indices = []
    for position in range((step - 1) * batch_size, step * batch_size):
        epoch, offset = divmod(position, n_examples)
        order = np.random.default_rng([seed, run, epoch, 0xB47]).permutation(n_examples)
        indices.append(int(order[offset]))
    return indices


# ----------------------------------------------------------------------------------------------
# Settings, plan and summary


@dataclass(frozen=True)
class FinetuneSettings:
    base: str = "tiny.en"  # a packaged pretrained name or a Hugging Face folder with processor files
    runs: int = 3
    steps: int = 8
    save_every: int = 2
    batch_size: int = 4
    seed: int = 0
    max_seconds: float = MAX_SECONDS

    def check(self) -> None:
        for name in ("runs", "steps", "save_every", "batch_size"):
            if getattr(self, name) < 1:
                raise FinetuneError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.seed < 0:
            raise FinetuneError(f"--seed must be a non-negative integer, got {self.seed}")

    def checkpoint_steps(self) -> list[int]:
        """Every `save_every` steps, and always the last step."""
        return sorted({*range(self.save_every, self.steps + 1, self.save_every), self.steps})


@dataclass
class RunSummary:
    name: str
    hyperparameters: HyperParameters
    checkpoints: list[str]  # paths, in step order
    losses: list[float]  # training loss of each step
    resumed_from: int = 0  # the step a resumed run started after (0: trained from the start)
    skipped: bool = False  # already finished before this call


@dataclass
class FinetuneSummary:
    runs_dir: Path
    train_utterances: int
    left_out: list[LeftOut]
    runs: list[RunSummary] = field(default_factory=list)
    seconds: float = 0.0
    already_done: bool = False


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FinetuneError(f"{path}: unreadable ({error})") from None


def _plan(settings: FinetuneSettings, train: TrainingSet, corpus_dir: Path) -> dict:
    return {
        "settings": asdict(settings),
        "label_rules_version": LABEL_RULES_VERSION,
        "train_utterances": len(train.examples),
        "train_fingerprint": train.fingerprint(corpus_dir),
        "hyperparameters": {f"run-{k}": asdict(draw_hyperparameters(settings.seed, k))
                            for k in range(1, settings.runs + 1)},
    }


def _plan_difference(old: dict, new: dict) -> str | None:
    """The first setting in which two plans differ, said for a person; None when they agree."""
    old_settings, new_settings = old.get("settings", {}), new["settings"]
    for name, value in new_settings.items():
        if old_settings.get(name) != value:
            return f"{name} was {old_settings.get(name)!r}, now {value!r}"
    if old.get("label_rules_version") != new["label_rules_version"]:
        return "the label rules changed"
    if old.get("train_fingerprint") != new["train_fingerprint"]:
        return "the training set changed"
    return None


def _summary_record(summary: FinetuneSummary, corpus_dir: Path) -> dict:
    return {
        "train_utterances": summary.train_utterances,
        "left_out": [{"file": os.path.relpath(item.wav_path, corpus_dir), "reason": item.reason,
                      "too_long": item.too_long} for item in summary.left_out],
        "runs": [{"name": run.name, "hyperparameters": asdict(run.hyperparameters),
                  "checkpoints": [os.path.relpath(c, summary.runs_dir) for c in run.checkpoints],
                  "losses": run.losses} for run in summary.runs],
    }


def _summary_from_record(runs_dir: Path, corpus_dir: Path, record: dict) -> FinetuneSummary:
    runs = [RunSummary(run["name"], HyperParameters(**run["hyperparameters"]),
                       [str(runs_dir / c) for c in run["checkpoints"]], run["losses"], skipped=True)
            for run in record["runs"]]
    left_out = [LeftOut(corpus_dir / item["file"], item["reason"], item["too_long"]) for item in record["left_out"]]
    return FinetuneSummary(runs_dir, record["train_utterances"], left_out, runs, already_done=True)


# ----------------------------------------------------------------------------------------------
# The base model


def _base_shape(base: str):
    """The WhisperShape of the base model, read from metadata only (no weights are loaded)."""
    from sapsoup.builder.errors import CheckpointError
    from sapsoup.builder.layout import WhisperShape
    from sapsoup.builder.pretrained import PRETRAINED, open_pretrained

    try:
        if base in PRETRAINED:
            return open_pretrained(base).shape
        config_path = Path(base) / "config.json"
        if not config_path.is_file():
            raise FinetuneError(f"{base}: neither a packaged model ({', '.join(sorted(PRETRAINED))}) "
                                "nor a Hugging Face folder with config.json")
        present = [name for name in ("preprocessor_config.json", "processor_config.json", "tokenizer.json")
                   if (Path(base) / name).exists()]
        if not present:
            raise FinetuneError(f"{base}: no processor files (write them with `sapsoup convert --to hf`)")
        return WhisperShape.from_hf_config(_read_json(config_path))
    except CheckpointError as error:
        raise FinetuneError(str(error)) from None
    except (KeyError, TypeError, ValueError) as error:
        raise FinetuneError(f"{base}/config.json: not a Whisper config ({error})") from None


@contextlib.contextmanager
def _base_folder(base: str) -> Iterator[Callable[[], str]]:
    """A function giving a Hugging Face folder of the base model. A packaged model is converted into
    a temporary folder on first call only, so a resumed job whose runs need no base skips that."""
    from sapsoup.builder.pretrained import PRETRAINED, write_pretrained

    if base not in PRETRAINED:
        yield lambda: base
        return
    with tempfile.TemporaryDirectory(prefix="sapsoup-base-") as scratch:
        folder = os.path.join(scratch, base)

        def converted() -> str:
            if not os.path.isdir(folder):
                write_pretrained(base, folder, to="hf", dtype="fp32")
            return folder

        yield converted


def _quiet_transformers() -> None:
    """No per-tensor loading bars or advice from transformers inside our own progress bar."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def load_for_training(folder: str, hparams: HyperParameters | None = None):
    """(model in training mode, processor) from a Hugging Face folder, fp32, with the run's
    dropouts and SpecAugment probabilities in its config."""
    import torch
    from transformers import (
        WhisperConfig,
        WhisperForConditionalGeneration,
        WhisperProcessor,
    )

    _quiet_transformers()
    config = WhisperConfig.from_pretrained(folder)
    if hparams is not None:
        for name in ("dropout", "attention_dropout", "activation_dropout", "mask_time_prob", "mask_feature_prob"):
            setattr(config, name, getattr(hparams, name))
        config.apply_spec_augment = True
    model = WhisperForConditionalGeneration.from_pretrained(folder, config=config, dtype=torch.float32)
    processor = WhisperProcessor.from_pretrained(folder)
    model.train()
    return model, processor


# ----------------------------------------------------------------------------------------------
# One training step


@contextlib.contextmanager
def seeded_randomness(seed: int, run: int, step: int) -> Iterator[None]:
    """Seed torch's and numpy's global generators for one step (dropout, SpecAugment), then restore them.

    Hugging Face's SpecAugment draws from numpy's global generator, dropout from torch's.
    """
    import torch

    value = int(np.random.SeedSequence([seed, run, step, 0x57E9]).generate_state(1)[0])
    numpy_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(value)
        np.random.seed(value)
        try:
            yield
        finally:
            np.random.set_state(numpy_state)


def make_optimizer(model, hparams: HyperParameters):
    """AdamW with weight decay on matrices only (biases, norms and 1-D tables are not decayed)."""
    import torch

    decayed = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    plain = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [{"params": decayed, "weight_decay": hparams.weight_decay}, {"params": plain, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=hparams.learning_rate)


def collate(examples: Sequence[TrainingExample], token_ids: Sequence[list[int]], prefix_length: int, processor):
    """(log-mel features, decoder inputs, targets) of a batch; targets are -100 where no loss is taken.

    The decoder reads the sequence without its last token and predicts it shifted by one; the
    prediction of the prefix itself (no-timestamps after start-of-transcript) is not trained.
    """
    import torch

    audio = []
    for example in examples:
        try:
            samples, _ = soundfile.read(str(example.wav_path), dtype="float32", always_2d=False)
        except Exception as error:
            raise FinetuneError(f"{example.wav_path}: unreadable audio ({str(error).strip()})") from None
        audio.append(samples)
    features = processor.feature_extractor(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
    width = max(len(ids) for ids in token_ids) - 1
    eot = token_ids[0][-1]
    inputs = torch.full((len(token_ids), width), eot, dtype=torch.long)
    targets = torch.full((len(token_ids), width), -100, dtype=torch.long)
    for row, ids in enumerate(token_ids):
        sequence = torch.tensor(ids, dtype=torch.long)
        inputs[row, : len(ids) - 1] = sequence[:-1]
        targets[row, prefix_length - 1 : len(ids) - 1] = sequence[prefix_length:]
    return features, inputs, targets


def train_step(model, optimizer, features, decoder_inputs, targets, learning_rate: float) -> float:
    """One AdamW update on one batch; returns the mean token loss before the update."""
    import torch

    for group in optimizer.param_groups:
        group["lr"] = learning_rate
    logits = model(input_features=features, decoder_input_ids=decoder_inputs, use_cache=False).logits
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
    if not torch.isfinite(loss):
        raise FinetuneError(f"the training loss became {loss.item()} (learning rate {learning_rate:.3g} too high?)")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
    optimizer.step()
    return float(loss.item())


# ----------------------------------------------------------------------------------------------
# One run


def _checkpoints_of(run_dir: Path) -> dict[int, Path]:
    found = {}
    if run_dir.is_dir():
        for entry in run_dir.iterdir():
            match = CHECKPOINT_PATTERN.match(entry.name)
            if match and entry.is_dir():
                found[int(match.group(1))] = entry
    return found


def _remove_partials(run_dir: Path) -> None:
    """Half-written checkpoints and state files left by an interruption are never used: remove them."""
    for entry in run_dir.iterdir():
        if entry.name.startswith(".") and (entry.name.endswith(".partial") or entry.name.endswith(".tmp")):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _save_checkpoint(run_dir: Path, step: int, model, processor, state: dict) -> Path:
    """Write `checkpoint-<step>` into a hidden folder and rename it into place (all or nothing)."""
    target = run_dir / f"checkpoint-{step}"
    with atomic_path(target, folder=True) as building:  # a stale copy from an abandoned attempt is replaced
        model.save_pretrained(building)
        processor.save_pretrained(building)
        write_json(Path(building) / TRAINER_STATE_FILE, state)
    return target


def _save_resume_state(run_dir: Path, step: int, optimizer) -> None:
    import torch

    with atomic_path(run_dir / RESUME_FILE) as tmp:
        torch.save({"step": step, "optimizer": optimizer.state_dict()}, tmp)


def _resume_point(run_dir: Path, settings: FinetuneSettings) -> tuple[int, dict | None]:
    """(step to continue after, optimizer state) of a run folder; (0, None) to start afresh.

    A run continues from its latest checkpoint only when the saved optimizer state belongs to that
    very step; otherwise it starts again (the result is the same, by determinism, only later).
    """
    import torch

    checkpoints = _checkpoints_of(run_dir)
    if not checkpoints:
        return 0, None
    latest = max(checkpoints)
    if latest >= settings.steps:
        return latest, None
    state_path = run_dir / RESUME_FILE
    if state_path.is_file():
        try:
            state = torch.load(state_path, map_location="cpu", weights_only=True)
        except Exception:
            state = None
        if isinstance(state, dict) and state.get("step") == latest:
            return latest, state["optimizer"]
    return 0, None


def train_run(base_dir: Callable[[], str], run_dir: Path, run: int, train: TrainingSet, token_ids: list[list[int]],
              prefix_length: int, settings: FinetuneSettings,
              on_step: Callable[[int, int, float], None] | None = None) -> RunSummary:
    """Train (or finish) run `run` into `run_dir`; `on_step(run, step, loss)` after every step.

    `base_dir()` gives the base model's Hugging Face folder (called only if the run starts afresh).
    """
    hparams = draw_hyperparameters(settings.seed, run)
    run_dir.mkdir(exist_ok=True)
    _remove_partials(run_dir)
    hparams_record = {"run": run, "seed": settings.seed, **asdict(hparams)}
    if not (run_dir / HPARAMS_FILE).is_file() or _read_json(run_dir / HPARAMS_FILE) != hparams_record:
        write_json(run_dir / HPARAMS_FILE, hparams_record)
    done_step, optimizer_state = _resume_point(run_dir, settings)
    saved_at = set(settings.checkpoint_steps())
    if done_step >= settings.steps:
        final = _read_json(_checkpoints_of(run_dir)[done_step] / TRAINER_STATE_FILE)
        losses = [entry["loss"] for entry in final.get("log_history", [])]
        if on_step is not None:
            for step, loss in enumerate(losses, start=1):
                on_step(run, step, loss)
        return RunSummary(run_dir.name, hparams, [str(p) for s, p in sorted(_checkpoints_of(run_dir).items())
                                                  if s in saved_at], losses, done_step, skipped=True)
    if done_step == 0:  # start again: nothing before the first checkpoint is kept
        for stale in _checkpoints_of(run_dir).values():
            shutil.rmtree(stale)
        (run_dir / RESUME_FILE).unlink(missing_ok=True)
        model, processor = load_for_training(base_dir(), hparams)
        history = []
    else:
        for step, stale in _checkpoints_of(run_dir).items():
            if step > done_step:
                shutil.rmtree(stale)
        latest = _checkpoints_of(run_dir)[done_step]
        model, processor = load_for_training(str(latest), hparams)
        history = _read_json(latest / TRAINER_STATE_FILE).get("log_history", [])[:done_step]
    optimizer = make_optimizer(model, hparams)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    if on_step is not None:
        for entry in history:
            on_step(run, entry["step"], entry["loss"])

    for step in range(done_step + 1, settings.steps + 1):
        chosen = batch_indices(len(train.examples), settings.batch_size, step, settings.seed, run)
        features, inputs, targets = collate([train.examples[i] for i in chosen], [token_ids[i] for i in chosen],
                                            prefix_length, processor)
        rate = learning_rate_at(hparams.learning_rate, step, settings.steps)
        with seeded_randomness(settings.seed, run, step):
            loss = train_step(model, optimizer, features, inputs, targets, rate)
        history.append({"step": step, "loss": loss, "learning_rate": rate})
        if step in saved_at:
            state = {"global_step": step, "max_steps": settings.steps, "run": run_dir.name, "seed": settings.seed,
                     "batch_size": settings.batch_size, "hyperparameters": asdict(hparams), "log_history": history}
            _save_checkpoint(run_dir, step, model, processor, state)
            if step < settings.steps:
                _save_resume_state(run_dir, step, optimizer)
            else:
                (run_dir / RESUME_FILE).unlink(missing_ok=True)
        if on_step is not None:
            on_step(run, step, loss)
    checkpoints = [str(p) for s, p in sorted(_checkpoints_of(run_dir).items()) if s in saved_at]
    return RunSummary(run_dir.name, hparams, checkpoints, [entry["loss"] for entry in history], done_step)


# ----------------------------------------------------------------------------------------------
# All runs


def finetune(corpus_dir: str | os.PathLike, runs_dir: str | os.PathLike, settings: FinetuneSettings = FinetuneSettings(),
             resume: bool = False, force: bool = False,
             on_step: Callable[[int, int, float], None] | None = None) -> FinetuneSummary:
    """Fine-tune `settings.runs` runs on the corpus' train split into `runs_dir/run-k/checkpoint-N`.

    An existing `runs_dir` is an error unless `resume` (continue it: finished runs and checkpoints are
    kept, and a finished job returns at once) or `force` (replace it). Everything the user gave is
    checked before anything is written.
    """
    from sapsoup.builder.tokenizer import whisper_tokenizer

    started = time.monotonic()
    corpus_dir, runs_dir = Path(corpus_dir), Path(runs_dir)
    settings.check()
    train = training_set(corpus_dir, "train", settings.max_seconds)
    shape = _base_shape(settings.base)
    tokenizer = whisper_tokenizer(shape)
    prefix_length = len(tokenizer.sot_sequence_including_notimestamps)
    token_ids = [label_ids(tokenizer, example.label) for example in train.examples]
    for example, ids in zip(train.examples, token_ids):
        if len(ids) > shape.n_text_ctx:
            raise FinetuneError(f"{example.wav_path}: the label is {len(ids)} tokens, over the decoder's "
                                f"{shape.n_text_ctx}")
    plan = _plan(settings, train, corpus_dir)

    exists = runs_dir.exists() or runs_dir.is_symlink()
    if exists and not runs_dir.is_dir():
        if not force:
            raise FinetuneError(f"{runs_dir}: exists and is not a folder (use --force to replace it)")
    elif exists and not force:
        if not resume:
            raise FinetuneError(f"{runs_dir}: already exists (use --resume to continue it or --force to replace it)")
        if not (runs_dir / PLAN_FILE).is_file():
            raise FinetuneError(f"{runs_dir}: not a fine-tuning folder (no {PLAN_FILE}); use --force to replace it")
        difference = _plan_difference(_read_json(runs_dir / PLAN_FILE), plan)
        if difference:
            raise FinetuneError(f"{runs_dir}: started with other settings ({difference}); "
                                "use --force to start again")
        if (runs_dir / SUMMARY_FILE).is_file():
            try:
                done = _summary_from_record(runs_dir, corpus_dir, _read_json(runs_dir / SUMMARY_FILE))
            except (FinetuneError, KeyError, TypeError):
                done = None  # unreadable: the runs below are checked one by one and it is written again
            if done is not None and all(os.path.isdir(c) for run in done.runs for c in run.checkpoints):
                return done
            (runs_dir / SUMMARY_FILE).unlink()  # not done any more (a checkpoint was removed since)
    if not runs_dir.absolute().parent.is_dir():
        raise FinetuneError(f"{runs_dir}: parent folder {runs_dir.absolute().parent} does not exist")
    if exists and force:
        if runs_dir.is_dir() and not runs_dir.is_symlink():
            shutil.rmtree(runs_dir)
        else:
            runs_dir.unlink()

    runs_dir.mkdir(exist_ok=True)
    write_json(runs_dir / PLAN_FILE, plan)
    summary = FinetuneSummary(runs_dir, len(train.examples), list(train.left_out))
    with _base_folder(settings.base) as base_dir:
        for run in range(1, settings.runs + 1):
            summary.runs.append(train_run(base_dir, runs_dir / f"run-{run}", run, train, token_ids,
                                          prefix_length, settings, on_step))
    summary.seconds = time.monotonic() - started
    write_json(runs_dir / SUMMARY_FILE, _summary_record(summary, corpus_dir))
    return summary
