"""Score a Whisper model on a prepared dev split, fast enough to run once per selection step.

Selective merging (SMAcT) and greedy soups evaluate a fresh merge at every step, so this module is
the inner loop of `sapsoup select`. What it scores must be what the validator reports for the built
archive, so it takes nothing of its own: audio is read with the archive's `decoding.read_audio`,
silent files are skipped as the archive skips them, transcripts come from the archive's decoding
(`decoding.transcribe_many`, batched but giving the text of one-at-a-time long-form `transcribe`),
lines are post-processed as the archive's `inference.py` does, and scored with the validator's
SAPC1 rules (`editions.sapc1.score_sapc1`).

Single-candidate scores are cached on disk by (weights hash, dev-set fingerprint, options), so a
re-run, or a second strategy over the same candidates, does not decode them again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from sapsoup.validate import devset
from sapsoup.validate.devset import LONG_UTTERANCE_SECONDS, DevSplit

from sapsoup.errors import SapsoupError

CACHE_VERSION = 1  # bump when a change in decoding or scoring makes old cached scores wrong


class DevScoreError(SapsoupError):
    """The dev split cannot be scored; the message names the file and the problem."""


@dataclass(frozen=True)
class ScoringOptions:
    """Everything that changes the transcripts or their score (the cache key) plus the batch size.

    The batch size and the number of workers are not part of the key: a batch gives the same text as
    one utterance at a time, wherever it runs.
    `postprocess` is `PostprocessOptions.to_dict()`; None means the defaults.
    """

    beam_size: Optional[int] = None
    length_penalty: float = 0.6
    postprocess: Optional[dict] = None
    weights_dtype: str = "fp32"  # the dtype the model is written in; it is scored as written
    batch_size: int = 8
    workers: int = 1  # processes sharing the dev set (torch.distributed); the text does not change

    def key_dict(self) -> dict:
        from sapsoup.postprocess import PostprocessOptions

        options = PostprocessOptions.from_dict(self.postprocess) if self.postprocess else PostprocessOptions()
        return {
            "beam_size": self.beam_size,
            "length_penalty": float(self.length_penalty),
            "postprocess": options.to_dict(),
            "weights_dtype": self.weights_dtype,
            "scorer": "sapc1",
            "version": CACHE_VERSION,
        }


@dataclass
class DevData:
    """A prepared split with its audio in memory (16 kHz mono float32), read once per selection."""

    split: DevSplit
    audios: list
    fingerprint: str

    @property
    def durations(self) -> list[float]:
        return [len(audio) / 16000 for audio in self.audios]


@dataclass
class DevResult:
    """One model's score on one split: SAPC1 WER overall and on utterances of 30 s or more."""

    wer: float
    errors: float
    words: float
    wer_long: Optional[float]  # None when the split has no utterance of 30 s or more
    n_utterances: int
    n_long: int
    hypotheses: list[str] = field(default_factory=list)  # post-processed, one per utterance
    seconds: float = 0.0  # decoding and scoring time

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DevResult":
        return cls(**data)


# ----------------------------------------------------------------------------- the dev split


def dev_fingerprint(split: DevSplit) -> str:
    """A hash of everything in the split that changes a score: manifest, references, audio bytes."""
    digest = hashlib.sha256()
    manifest = split.dev_dir / "manifest"
    for suffix in (".tsv", ".ref1", ".ref2"):
        digest.update((manifest / f"{split.name}{suffix}").read_bytes())
    for index in range(len(split.entries)):
        digest.update(split.wav_path(index).read_bytes())
    return digest.hexdigest()


def load_dev(dev_dir: str | os.PathLike, split_name: str = "dev") -> DevData:
    """Read a prepared split and all of its audio; an empty or unreadable split is an error."""
    from sapsoup.submission import decoding

    try:
        split = devset.load_dev_split(Path(dev_dir), split_name)
    except devset.DevSetError as error:
        raise DevScoreError(str(error)) from None
    if not split.entries:
        raise DevScoreError(f"{Path(dev_dir) / 'manifest' / (split_name + '.tsv')}: the split has no utterances")
    audios = []
    for index in range(len(split.entries)):
        try:
            audios.append(decoding.read_audio(str(split.wav_path(index))))
        except decoding.AudioError as error:
            raise DevScoreError(str(error)) from None
    return DevData(split, audios, dev_fingerprint(split))


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


def decode_dev(model, dev: DevData, options: ScoringOptions, on_done: Optional[Callable[[int], None]] = None) -> list[str]:
    """Raw transcripts of every utterance, in manifest order; silent files give "" undecoded."""
    from sapsoup.submission import decoding

    texts = [""] * len(dev.audios)
    spoken = [i for i, audio in enumerate(dev.audios) if not decoding.is_silent(audio)]
    silent = len(dev.audios) - len(spoken)
    if silent and on_done:
        on_done(silent)
    audios = [dev.audios[i] for i in spoken]
    if options.workers > 1:
        decoded = decode_in_workers(model, audios, options)
        if on_done:
            on_done(len(audios))
    else:
        decoded = decoding.transcribe_many(
            model, audios, beam_size=options.beam_size, length_penalty=options.length_penalty,
            batch_size=options.batch_size, on_done=on_done,
        )
    for i, text in zip(spoken, decoded):
        texts[i] = text
    return texts


def score_lines(lines: list[str], dev: DevData) -> DevResult:
    """SAPC1 WER of post-processed lines, overall and on utterances of 30 s or more."""
    from sapsoup.editions import sapc1

    try:
        overall = sapc1.score_sapc1(lines, dev.split.ref1, dev.split.ref2)
    except ValueError as error:
        raise DevScoreError(f"{dev.split.dev_dir / 'manifest' / dev.split.name}.ref1: {error}") from None
    long_ones = [i for i, row in enumerate(dev.split.meta) if row.duration >= LONG_UTTERANCE_SECONDS]
    wer_long = sapc1.summarize([overall.utterances[i] for i in long_ones]).wer if long_ones else None
    return DevResult(
        wer=overall.wer, errors=overall.errors, words=overall.words, wer_long=wer_long,
        n_utterances=len(lines), n_long=len(long_ones), hypotheses=list(lines),
    )


def score_model(model, dev: DevData, options: ScoringOptions = ScoringOptions(),
                on_done: Optional[Callable[[int], None]] = None) -> DevResult:
    """Decode, post-process and score: the WER the validator would report for this model's archive."""
    from sapsoup.postprocess import PostprocessOptions

    started = time.perf_counter()
    post = PostprocessOptions.from_dict(options.postprocess) if options.postprocess else PostprocessOptions()
    raw = decode_dev(model, dev, options, on_done)
    result = score_lines([finish_line(text, post) for text in raw], dev)
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


def cache_key(weights: str, fingerprint: str, options: ScoringOptions) -> str:
    text = json.dumps({"weights": weights, "dev": fingerprint, "options": options.key_dict()}, sort_keys=True)
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

    The merge is scored as it will be written (fp16 by default for openai `.pt` files), so the WER
    selection optimises is the WER of the file. In place, so that scoring costs no further copy.
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
    the number of utterances done (for a progress bar); None shows nothing.
    """

    dev: DevData
    options: ScoringOptions = ScoringOptions()
    cache: Optional[ScoreCache] = None
    device: Optional[str] = None
    progress: Optional[Callable] = None
    decoded: int = 0  # evaluations that decoded the dev set
    cached: int = 0  # evaluations answered by the cache

    def settings(self) -> dict:
        """What a selection trace must match to be resumed with this evaluator."""
        return {"dev": self.dev.fingerprint, "split": self.dev.split.name, "options": self.options.key_dict()}

    def evaluate(self, shape, tensors: dict, label: str = "merge") -> DevResult:
        """Score the model made of canonical float32 `tensors` (rounded in place to the output dtype)."""
        model = model_from_tensors(shape, round_to_dtype(tensors, self.options.weights_dtype), self.device)
        on_done = self.progress(label, len(self.dev.audios)) if self.progress else None
        try:
            result = score_model(model, self.dev, self.options, on_done)
        finally:
            del model
        self.decoded += 1
        return result

    def evaluate_single(self, checkpoint) -> DevResult:
        """Score one candidate alone, or return its cached score."""
        import numpy as np
        from sapsoup.builder import layout
        from sapsoup.builder.checkpoints import read_arrays

        key = None
        if self.cache is not None:
            key = cache_key(weights_hash(checkpoint.weight_files), self.dev.fingerprint, self.options)
            hit = self.cache.get(key)
            if hit is not None:
                self.cached += 1
                return hit
        with read_arrays(checkpoint) as get:
            tensors = {name: get(name).astype(np.float32) for name in layout.canonical_names(checkpoint.shape)}
        result = self.evaluate(checkpoint.shape, tensors, os.path.basename(checkpoint.path.rstrip("/")))
        if key is not None:
            self.cache.put(key, result)
        return result



# ----------------------------------------------------------------------------- several workers


def decode_in_workers(model, audios: list, options: ScoringOptions) -> list[str]:
    """Decode `audios` in `options.workers` processes joined by torch.distributed (gloo); same text.

    Utterances are dealt out longest first, round robin, so every worker gets a similar load; each
    worker decodes its share with `transcribe_many` (on GPU r when there are enough GPUs, else on the
    CPU with an equal share of the threads) and the texts are gathered on rank 0. The weights go to
    the workers through shared memory, not copies. Every utterance's text is independent of which
    batch or worker decodes it, so the result is the one-worker result.
    """
    import socket

    import torch
    import torch.multiprocessing as multiprocessing

    workers = int(options.workers)
    order = sorted(range(len(audios)), key=lambda i: -len(audios[i]))
    shares = [[audios[i] for i in order[rank::workers]] for rank in range(workers)]
    with socket.socket() as probe:  # a free port for the rendezvous
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    state = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    threads = max(1, torch.get_num_threads() // workers)
    context = multiprocessing.get_context("spawn")
    results = context.SimpleQueue()
    multiprocessing.start_processes(
        _worker, args=(workers, port, model.dims, state, shares, options, threads, results),
        nprocs=workers, join=True, start_method="spawn",
    )
    gathered = results.get()
    texts = [""] * len(audios)
    for rank, share in enumerate(gathered):
        for index, text in zip(order[rank::workers], share):
            texts[index] = text
    return texts


def _worker(rank, workers, port, dims, state, shares, options, threads, results) -> None:
    """One worker of `decode_in_workers`: decode this rank's share, gather all texts on rank 0."""
    import torch
    import torch.distributed as distributed
    from sapsoup.submission import decoding
    from whisper.model import Whisper

    torch.set_num_threads(threads)
    distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=workers)
    try:
        device = f"cuda:{rank}" if torch.cuda.device_count() >= workers else "cpu"
        model = Whisper(dims)
        model.load_state_dict(state, strict=True, assign=True)
        model = model.to(device).eval()
        texts = decoding.transcribe_many(model, shares[rank], beam_size=options.beam_size,
                                         length_penalty=options.length_penalty, batch_size=options.batch_size)
        gathered = [None] * workers if rank == 0 else None
        distributed.gather_object(texts, gathered, dst=0)
        if rank == 0:
            results.put(gathered)
    finally:
        distributed.destroy_process_group()
