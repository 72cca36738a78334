"""Score a Whisper model on a prepared dev split, fast enough to run once per selection step.

Selective merging (SMAcT) and greedy soups evaluate a fresh merge at every step, so this module is
the inner loop of `sapsoup select`. What it scores must be what the validator reports for the built
archive, so it takes nothing of its own: audio is read with the archive's `decoding.read_audio`,
silent files are skipped as the archive skips them, transcripts come from the archive's decoding
(`decoding.transcribe_many`, batched but giving the text of one-at-a-time long-form `transcribe`),
lines are post-processed as the archive's `inference.py` does, and scored by the challenge
edition's own rules (`Edition.score` against `Edition.dev_references`), primary metric first.

Early rejection. A selection step only needs to know whether a trial merge beats the current best
rate. Each utterance adds non-negative errors and at most the longer of its two references'
lengths to the split's sums, so after some utterances are scored, `100 * errors so far / (length so
far + the longest the rest could add)` is a lower bound on the final rate. Once that bound reaches
the rate to beat, the trial cannot win, and the rest of its pass is not decoded. Utterances are
decoded in chunks, the current best model's worst utterances first, so the bound rises early; the
order changes how much is decoded, never a decision. An utterance whose scored length depends on
the hypothesis (SAPC2's `unk` rule rewrites a reference `unk` into the hypothesis' word) has no
such bound and is always decoded before the first check.

Several processes (`torchrun`, or `--workers` on one machine) run the same selection in step: each
decodes its share of every chunk on its own device, the texts are gathered on every rank, and every
rank scores and decides alike; only rank 0 reads and writes files.

Single-candidate scores are cached on disk by (weights hash, dev-set fingerprint, edition,
options), so a re-run, or a second strategy over the same candidates, does not decode them again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from sapsoup import editions
from sapsoup.errors import SapsoupError
from sapsoup.validate import devset
from sapsoup.validate.devset import LONG_UTTERANCE_SECONDS, DevSplit

CACHE_VERSION = 2  # bump when a change in decoding or scoring makes old cached scores wrong
SAMPLE_RATE = 16000


class DevScoreError(SapsoupError):
    """The dev split cannot be scored; the message names the file and the problem."""


def _default_decoding():
    from sapsoup.submission.decoding import DecodingSettings

    return DecodingSettings()


@dataclass(frozen=True)
class ScoringOptions:
    """Everything that changes the transcripts or their score (the cache key) plus the batch size.

    `decoding` is the archive's own `DecodingSettings` record (beam size, length penalty), so the
    settings selection decodes with are the ones the archive ships. The batch size is not part of
    the key: a batch gives the same text as one utterance at a time, wherever it runs.
    `postprocess` is `PostprocessOptions.to_dict()`; None means the defaults.
    """

    decoding: Any = field(default_factory=_default_decoding)
    postprocess: Optional[dict] = None
    weights_dtype: str = "fp32"  # the dtype the model is written in; it is scored as written
    batch_size: int = 8

    def key_dict(self) -> dict:
        from sapsoup.postprocess import PostprocessOptions

        options = PostprocessOptions.from_dict(self.postprocess) if self.postprocess else PostprocessOptions()
        return {
            "decoding": self.decoding.to_dict(),
            "postprocess": options.to_dict(),
            "weights_dtype": self.weights_dtype,
            "version": CACHE_VERSION,
        }


@dataclass
class DevData:
    """A prepared split with its audio in memory (16 kHz mono float32) and one edition's references.

    `bounds[i]` is the most utterance i can add to the primary metric's denominator (the longer of
    its two references, in the metric's units), or None when its length depends on the hypothesis.
    """

    split: DevSplit
    audios: list
    fingerprint: str
    edition: Any  # sapsoup.editions.Edition
    ref1: list
    ref2: list
    bounds: list
    silent: list  # files the archive does not decode (no speech): "" at no cost
    metrics: tuple = ()  # the text metrics the edition's score gives, primary first (SAPC1's SEM is not one)

    @property
    def durations(self) -> list[float]:
        return [len(audio) / SAMPLE_RATE for audio in self.audios]

    @property
    def metric(self) -> str:
        return self.edition.metrics[0]

    @property
    def long_indices(self) -> list[int]:
        return [i for i, row in enumerate(self.split.meta) if row.duration >= LONG_UTTERANCE_SECONDS]


@dataclass
class DevResult:
    """One model's score on one split under one edition.

    `rates` holds every text metric in percent, primary first; `rate` is the primary one and
    `rate_long` the primary rate over utterances of 30 s or more (None when there are none).
    `utterance_errors`/`utterance_lengths` are each utterance's primary counts, in manifest order.
    A pass stopped by early rejection has `rejected_after` = the number of utterances scored,
    `rate` = None, empty `rates`, and `bound` = the lower bound on its rate that stopped it.
    """

    edition: str
    metric: str
    rates: dict
    rate: Optional[float]
    rate_long: Optional[float]
    n_utterances: int
    n_long: int
    hypotheses: list = field(default_factory=list)  # post-processed, one per utterance ("" where not decoded)
    utterance_errors: list = field(default_factory=list)
    utterance_lengths: list = field(default_factory=list)
    utterances_decoded: int = 0  # utterances run through the model (silent files are not)
    audio_seconds: float = 0.0  # their audio
    rejected_after: Optional[int] = None
    bound: Optional[float] = None
    warnings: list = field(default_factory=list)
    seconds: float = 0.0  # decoding and scoring time

    @property
    def wer(self) -> Optional[float]:
        """The WER in percent (SAPC1's primary metric, SAPC2's second); None when not computed."""
        return self.rates.get("WER")

    @property
    def wer_long(self) -> Optional[float]:
        return self.rate_long if self.metric == "WER" else None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DevResult":
        return cls(**data)


# ----------------------------------------------------------------------------- the processes


@dataclass(frozen=True)
class Ranks:
    """The processes that share the dev set: this one's rank and how many there are (1: alone)."""

    rank: int = 0
    size: int = 1

    @property
    def is_writer(self) -> bool:
        """Only rank 0 reads and writes files and prints, so N processes leave one result."""
        return self.rank == 0

    def gather(self, items: list) -> list:
        """Every rank's `items`, in rank order, on every rank."""
        if self.size == 1:
            return [items]
        import torch.distributed as distributed

        gathered = [None] * self.size
        distributed.all_gather_object(gathered, items)
        return gathered

    def agree(self, make: Callable[[], Any]) -> Any:
        """Run `make` on rank 0 only; every rank gets its value, or raises its error.

        Files (the trace, the score cache, the digests) are read by rank 0 alone, so that ranks on
        other machines, or racing on one, can never start from different states.
        """
        if self.size == 1:
            return make()
        import torch.distributed as distributed

        payload = [None]
        if self.rank == 0:
            try:
                payload = [("value", make())]
            except Exception as error:  # raised on every rank below, not only here
                payload = [("error", error)]
        distributed.broadcast_object_list(payload, src=0)
        kind, value = payload[0]
        if kind == "error":
            raise value
        return value

    def share(self, indices: list, durations: list) -> list:
        """This rank's part of `indices`: dealt longest first, round robin, for similar loads."""
        if self.size == 1:
            return list(indices)
        ordered = sorted(indices, key=lambda i: (-durations[i], i))
        return ordered[self.rank :: self.size]


def join_ranks() -> Ranks:
    """The ranks of this run: alone, or the process group that `torchrun` describes (env://).

    torchrun (and `select --workers`, which starts it) sets RANK, WORLD_SIZE, MASTER_ADDR and
    MASTER_PORT; with `--nnodes` the same command spans machines. Texts travel over gloo, which
    every machine has; decoding itself runs on each rank's own device.
    """
    size = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if size <= 1:
        return Ranks()
    import torch.distributed as distributed

    if not distributed.is_initialized():
        distributed.init_process_group("gloo", init_method="env://")
    return Ranks(distributed.get_rank(), distributed.get_world_size())


def rank_device() -> str:
    """This process's device: GPU LOCAL_RANK when the machine has that many, else the CPU."""
    import torch

    local = int(os.environ.get("LOCAL_RANK", "0") or 0)
    if torch.cuda.is_available() and torch.cuda.device_count() > local:
        return f"cuda:{local}"
    return "cpu"


# ----------------------------------------------------------------------------- the dev split


def dev_fingerprint(split: DevSplit, edition: str, ref1: list, ref2: list) -> str:
    """A hash of everything that changes a score: manifest, the edition and its references, audio."""
    digest = hashlib.sha256()
    digest.update((split.dev_dir / "manifest" / f"{split.name}.tsv").read_bytes())
    digest.update(json.dumps([edition, ref1, ref2]).encode())
    for index in range(len(split.entries)):
        digest.update(split.wav_path(index).read_bytes())
    return digest.hexdigest()


def length_bounds(edition, ref1: list, ref2: list) -> list:
    """The most each utterance can add to the primary metric's denominator, or None where unknown.

    Each reference is scored against itself: its length in the metric's units (words, characters).
    A length that changes when the hypothesis is empty instead depends on the hypothesis (SAPC2's
    `unk` rule), so it gets no bound; neither does anything the edition refuses to score.
    """
    sides = []
    for references in (ref1, ref2):
        try:
            alone = edition.score(list(references), list(references), list(references)).utterances
            empty = edition.score([""] * len(references), list(references), list(references)).utterances
        except (SapsoupError, ValueError):
            return [None] * len(ref1)
        sides.append([a.length if a.length == b.length else None for a, b in zip(alone, empty)])
    return [None if a is None or b is None else max(a, b) for a, b in zip(*sides)]


def load_dev(dev_dir: str | os.PathLike, split_name: str = "dev", edition=editions.DEFAULT) -> DevData:
    """Read a prepared split, all of its audio and `edition`'s references (a name or an Edition).

    An empty or unreadable split, or missing references, is an error naming the file.
    """
    from sapsoup.submission import decoding

    edition = editions.get(edition) if isinstance(edition, str) else edition
    try:
        split = devset.load_dev_split(Path(dev_dir), split_name)
    except devset.DevSetError as error:
        raise DevScoreError(str(error)) from None
    if not split.entries:
        raise DevScoreError(f"{Path(dev_dir) / 'manifest' / (split_name + '.tsv')}: the split has no utterances")
    try:
        ref1, ref2 = edition.dev_references(Path(dev_dir), split_name, split.ids)
    except editions.EditionError as error:
        raise DevScoreError(str(error)) from None
    audios = []
    for index in range(len(split.entries)):
        try:
            audios.append(decoding.read_audio(str(split.wav_path(index))))
        except decoding.AudioError as error:
            raise DevScoreError(str(error)) from None
    silent = [bool(decoding.is_silent(audio)) for audio in audios]
    fingerprint = dev_fingerprint(split, edition.name, list(ref1), list(ref2))
    return DevData(split, audios, fingerprint, edition, list(ref1), list(ref2), length_bounds(edition, ref1, ref2),
                   silent, text_metrics(edition, ref1, ref2))


def text_metrics(edition, ref1: list, ref2: list) -> tuple:
    """The metrics `edition.score` gives on this split, primary first (those selection can show)."""
    try:
        return tuple(edition.score(list(ref1), list(ref1), list(ref2)).rates)
    except (SapsoupError, ValueError):
        return (edition.metrics[0],)


# ----------------------------------------------------------------------------- decoding and scoring


def default_device() -> str:
    """The GPU when there is one (decoding then runs fp16), else the CPU."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def model_from_tensors(shape, tensors: dict, device: Optional[str] = None):
    """An openai-whisper model built in memory from canonical (Hugging Face) arrays, no file written.

    float32 arrays are used as they are (shared, never written to by decoding); others are cast.
    """
    import torch
    from sapsoup.builder import layout
    from sapsoup.builder.arrays import to_torch
    from whisper.model import ModelDimensions, Whisper

    model = Whisper(ModelDimensions(**shape.openai_dims()))
    state = {oa: to_torch(tensors[hf]).to(torch.float32) for hf, oa in layout.hf_openai_pairs(shape)}
    # assign: the model holds the given float32 tensors themselves, not one more copy of the weights
    model.load_state_dict(state, strict=True, assign=True)
    return model.to(device or default_device()).eval()


def finish_line(raw: str, options) -> str:
    """Post-process one raw transcript into one line, as the archive's inference.py does."""
    from sapsoup.postprocess import postprocess

    if not raw:
        return ""
    return " ".join(postprocess(raw, options).split())


def decode_utterances(model, dev: DevData, indices: list, options: ScoringOptions, ranks: Ranks = Ranks(),
                      on_done: Optional[Callable[[int], None]] = None) -> dict:
    """Raw transcripts of the utterances `indices` ({index: text}); silent files give "" undecoded.

    With several ranks each decodes its share and every rank gets all texts. An utterance's text
    does not depend on its batch or rank, so the result is the one-process result.
    """
    from sapsoup.submission import decoding

    texts = {i: "" for i in indices}
    spoken = [i for i in indices if not dev.silent[i]]
    if on_done and len(spoken) < len(indices):
        on_done(len(indices) - len(spoken))
    mine = ranks.share(spoken, dev.durations)
    decoded = decoding.transcribe_many(
        model, [dev.audios[i] for i in mine], beam_size=options.decoding.beam_size,
        length_penalty=options.decoding.length_penalty, batch_size=options.batch_size,
        on_done=on_done if ranks.size == 1 else None,
    )
    for part in ranks.gather(list(zip(mine, decoded))):
        texts.update(dict(part))
    if on_done and ranks.size > 1:
        on_done(len(spoken))
    return texts


def decode_dev(model, dev: DevData, options: ScoringOptions, on_done: Optional[Callable[[int], None]] = None,
               ranks: Ranks = Ranks()) -> list[str]:
    """Raw transcripts of every utterance, in manifest order; silent files give "" undecoded."""
    texts = decode_utterances(model, dev, list(range(len(dev.audios))), options, ranks, on_done)
    return [texts[i] for i in range(len(dev.audios))]


def decoding_order(dev: DevData, guide: Optional[DevResult] = None) -> list[int]:
    """The order early rejection decodes in: utterances without a length bound first (nothing can be
    checked before they are scored), then those on which `guide` (the model to beat) made the most
    errors, then the longest. Only how much is decoded depends on it, never a score."""
    count = len(dev.audios)
    errors = list(guide.utterance_errors) if guide is not None and len(guide.utterance_errors) == count else [0.0] * count
    durations = dev.durations
    return sorted(range(count), key=lambda i: (dev.bounds[i] is not None, -errors[i], -durations[i], i))


def _rate(errors: float, length: float) -> Optional[float]:
    return 100.0 * errors / length if length else None


def score_lines(lines: list[str], dev: DevData) -> DevResult:
    """Every metric of post-processed `lines` under the dev set's edition, overall and on utterances
    of 30 s or more (the primary metric there)."""
    try:
        split = dev.edition.score(list(lines), dev.ref1, dev.ref2)
    except (SapsoupError, ValueError) as error:
        raise DevScoreError(f"{dev.split.dev_dir / 'manifest' / dev.split.name} ({dev.edition.name}): {error}") from None
    long_ones = dev.long_indices
    rate_long = None
    if long_ones:
        rate_long = _rate(sum(split.utterances[i].errors for i in long_ones),
                          sum(split.utterances[i].length for i in long_ones))
    metric = dev.metric
    return DevResult(
        edition=dev.edition.name, metric=metric, rates=dict(split.rates), rate=split.rates[metric],
        rate_long=rate_long, n_utterances=len(lines), n_long=len(long_ones), hypotheses=list(lines),
        utterance_errors=[u.errors for u in split.utterances], utterance_lengths=[u.length for u in split.utterances],
        warnings=list(split.warnings),
    )


class _LowerBound:
    """The lower bound on a pass's primary rate as its utterances are scored (see the module's docstring)."""

    def __init__(self, dev: DevData):
        self.dev = dev
        self.errors = 0.0
        self.length = 0.0
        self.pending: list = []  # decoded, not yet counted (the edition refused them as a part)
        self.unscored = set(range(len(dev.audios)))

    def add(self, indices: list, lines: list) -> None:
        self.pending.extend(indices)
        self.unscored.difference_update(indices)
        try:
            part = self.dev.edition.score([lines[i] for i in self.pending], [self.dev.ref1[i] for i in self.pending],
                                          [self.dev.ref2[i] for i in self.pending])
        except (SapsoupError, ValueError):
            return  # e.g. only empty references so far: counted with the next chunk, or by the full score
        for utterance in part.utterances:
            self.errors += utterance.errors
            self.length += utterance.length
        self.pending = []

    def value(self) -> Optional[float]:
        """The bound, or None while something decoded or still to decode has no bounded length."""
        if self.pending or any(self.dev.bounds[i] is None for i in self.unscored):
            return None
        most = self.length + sum(self.dev.bounds[i] for i in sorted(self.unscored))
        return _rate(self.errors, most)


def score_model(model, dev: DevData, options: Optional[ScoringOptions] = None,
                on_done: Optional[Callable[[int], None]] = None, must_beat: Optional[float] = None,
                guide: Optional[DevResult] = None, ranks: Ranks = Ranks()) -> DevResult:
    """Decode, post-process and score: the rates the validator would report for this model's archive.

    With `must_beat` (a primary rate), the pass stops as soon as its rate cannot fall below it and
    returns a result with `rejected_after` set; `guide` (the result of the model to beat) orders
    the utterances so that happens early. Without it, one full pass.
    """
    from sapsoup.postprocess import PostprocessOptions

    started = time.perf_counter()
    options = options or ScoringOptions()
    post = PostprocessOptions.from_dict(options.postprocess) if options.postprocess else PostprocessOptions()
    count = len(dev.audios)
    if must_beat is None:
        chunks = [list(range(count))]
    else:
        order, size = decoding_order(dev, guide), max(1, int(options.batch_size)) * ranks.size
        chunks = [order[start : start + size] for start in range(0, count, size)]
    lines = [""] * count
    bound, decoded, seconds = _LowerBound(dev), 0, 0.0
    durations = dev.durations
    for number, chunk in enumerate(chunks):
        texts = decode_utterances(model, dev, chunk, options, ranks, on_done)
        for i in chunk:
            lines[i] = finish_line(texts[i], post)
            if not dev.silent[i]:
                decoded, seconds = decoded + 1, seconds + durations[i]
        if must_beat is None or number == len(chunks) - 1:
            continue
        bound.add(chunk, lines)
        lowest = bound.value()
        if lowest is not None and lowest >= must_beat:
            scored = count - len(bound.unscored)
            return DevResult(
                edition=dev.edition.name, metric=dev.metric, rates={}, rate=None, rate_long=None, n_utterances=count,
                n_long=len(dev.long_indices), utterances_decoded=decoded, audio_seconds=seconds,
                rejected_after=scored, bound=lowest, seconds=time.perf_counter() - started,
            )
    result = score_lines(lines, dev)
    result.utterances_decoded, result.audio_seconds = decoded, seconds
    result.seconds = time.perf_counter() - started
    return result


# ----------------------------------------------------------------------------- the score cache


def default_cache_dir() -> str:
    from sapsoup.builder.hashing import cache_root

    return os.path.join(cache_root(), "scores")


def weights_hash(weight_files: list[str]) -> str:
    """One hash over a checkpoint's weight files, in order: equal weights give equal keys."""
    from sapsoup.builder.hashing import cached_sha256

    digest = hashlib.sha256()
    for path in weight_files:
        digest.update(cached_sha256(path).encode())
    return digest.hexdigest()


def cache_key(weights: str, fingerprint: str, options: ScoringOptions, edition: str = editions.DEFAULT) -> str:
    text = json.dumps({"weights": weights, "dev": fingerprint, "edition": edition, "options": options.key_dict()},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ScoreCache:
    """Scores on disk, one small JSON file per key; a damaged file is a miss, never a wrong score."""

    directory: str

    def path(self, key: str) -> str:
        return os.path.join(self.directory, f"{key}.json")

    def get(self, key: str) -> Optional[DevResult]:
        try:
            with open(self.path(key), encoding="utf-8") as handle:
                return DevResult.from_dict(json.load(handle))
        except (OSError, ValueError, TypeError):
            return None

    def put(self, key: str, result: DevResult) -> None:
        from sapsoup.atomic import write_json

        os.makedirs(self.directory, exist_ok=True)
        write_json(self.path(key), result.to_dict())


# ----------------------------------------------------------------------------- the selection scorer


def round_to_dtype(tensors: dict, dtype: str) -> dict:
    """Round float32 arrays in place to the values they will have once written in `dtype`.

    The merge is scored as it will be written (fp16 by default for openai `.pt` files), so the rate
    selection optimises is the rate of the file. In place, so that scoring costs no further copy.
    """
    import numpy as np
    from sapsoup.builder.convert import cast

    if dtype == "fp32":
        return tensors
    for name, array in tensors.items():
        if array.dtype == np.float32:
            array[...] = cast(name, array, dtype)
    return tensors


@dataclass
class DevEvaluator:
    """Scores merges and single candidates on one dev split; single-candidate scores are cached.

    `progress(label, total)` is called when an evaluation starts and returns a callable advanced by
    the number of utterances done (for a progress bar); None shows nothing. The counters say how
    much was decoded, and how much full passes would have decoded (`full_*`).
    """

    dev: DevData
    options: ScoringOptions = field(default_factory=ScoringOptions)
    cache: Optional[ScoreCache] = None
    device: Optional[str] = None
    progress: Optional[Callable] = None
    ranks: Ranks = Ranks()
    decoded: int = 0  # evaluations that decoded the dev set (whole or until rejected)
    cached: int = 0  # evaluations answered by the cache
    rejected: int = 0  # evaluations stopped early
    utterances_decoded: int = 0
    audio_seconds: float = 0.0
    full_utterances: int = 0  # what the same evaluations would have decoded in full passes
    full_audio_seconds: float = 0.0

    @property
    def edition(self):
        return self.dev.edition

    @property
    def metric(self) -> str:
        return self.dev.metric

    @property
    def metrics(self) -> tuple:
        return tuple(self.dev.metrics or (self.dev.metric,))

    def agree(self, make: Callable[[], Any]) -> Any:
        return self.ranks.agree(make)

    @property
    def is_writer(self) -> bool:
        return self.ranks.is_writer

    def settings(self) -> dict:
        """What a selection trace must match to be resumed with this evaluator."""
        return {"dev": self.dev.fingerprint, "split": self.dev.split.name, "edition": self.dev.edition.name,
                "options": self.options.key_dict()}

    def evaluate(self, shape, tensors: dict, label: str = "merge", must_beat: Optional[float] = None,
                 guide: Optional[DevResult] = None) -> DevResult:
        """Score the model made of canonical float32 `tensors` (rounded in place to the output dtype);
        with `must_beat`, stop once it cannot (see `score_model`)."""
        model = model_from_tensors(shape, round_to_dtype(tensors, self.options.weights_dtype),
                                   self.device or (rank_device() if self.ranks.size > 1 else None))
        on_done = self.progress(label, len(self.dev.audios)) if self.progress and self.ranks.is_writer else None
        try:
            result = score_model(model, self.dev, self.options, on_done, must_beat, guide, self.ranks)
        finally:
            del model
        self.decoded += 1
        self.rejected += result.rejected_after is not None
        self.utterances_decoded += result.utterances_decoded
        self.audio_seconds += result.audio_seconds
        self.full_utterances += sum(not s for s in self.dev.silent)
        self.full_audio_seconds += sum(d for d, s in zip(self.dev.durations, self.dev.silent) if not s)
        return result

    def evaluate_single(self, checkpoint) -> DevResult:
        """Score one candidate alone (always a full pass), or return its cached score."""
        import numpy as np
        from sapsoup.builder import layout
        from sapsoup.builder.checkpoints import read_arrays

        key, hit = None, None
        if self.cache is not None:
            def look_up():
                found = cache_key(weights_hash(checkpoint.weight_files), self.dev.fingerprint, self.options,
                                  self.dev.edition.name)
                return found, self.cache.get(found)

            key, hit = self.ranks.agree(look_up)
            if hit is not None:
                self.cached += 1
                return hit
        with read_arrays(checkpoint) as get:
            tensors = {name: get(name).astype(np.float32) for name in layout.canonical_names(checkpoint.shape)}
        result = self.evaluate(checkpoint.shape, tensors, os.path.basename(checkpoint.path.rstrip("/")))
        if key is not None and self.ranks.is_writer:
            self.cache.put(key, result)
        return result
