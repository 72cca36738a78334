"""Audio in, transcript out: the one decoding path that every sapsoup archive ships.

Both archive targets (SAPC1's `inference.py`, SAPC2's `model.py`) import this module, and so does
sapsoup's dev scorer (`validate/devscore.py`), so a score measured at home is a score of the exact code
the organisers' server runs. It is copied as is to the archive root and imported there as a top-level
module, so it imports only the standard library, numpy, soundfile, torch and whisper.
"""

import dataclasses
import os
import sys
import threading
from typing import Optional

import numpy as np
import soundfile
import torch
import whisper
from whisper.decoding import BeamSearchDecoder, DecodingResult, DecodingTask, PyTorchInference
from whisper.utils import compression_ratio

SAMPLE_RATE = 16000  # what Whisper's log-mel front end expects
LENGTH_PENALTY = 0.6  # the challenge's decoding setting (see the sapsoup README)
# A file whose loudest sample stays below this (about -80 dBFS, three 16-bit steps) holds no speech.
# Whisper would still decode it and often invents a word ("you", "Thank you."); an empty line costs
# less than an inserted word, so such files are not decoded at all.
SILENCE_PEAK = 1e-4


@dataclasses.dataclass(frozen=True)
class DecodingSettings:
    """How every sapsoup decoding runs: openai-whisper long-form, temperature 0, English.

    One record for the archive (written to `sapsoup.json`, read back by its scripts), the recipe and
    sapsoup's dev scorer, so that what `select` optimises is what the server runs. `beam_size=None`
    is greedy decoding, as in the organisers' baseline; the length penalty only matters with beams.
    """

    beam_size: Optional[int] = None
    length_penalty: float = LENGTH_PENALTY

    def __post_init__(self):
        if self.beam_size is not None and (
            isinstance(self.beam_size, bool) or not isinstance(self.beam_size, int) or self.beam_size < 1
        ):
            raise ValueError(f"beam size must be a whole number of at least 1, not {self.beam_size!r}")
        if isinstance(self.length_penalty, bool) or not 0.0 <= float(self.length_penalty) <= 1.0:
            raise ValueError(f"length penalty must lie in [0, 1], not {self.length_penalty!r}")

    def to_dict(self) -> dict:
        return {"beam_size": self.beam_size, "length_penalty": float(self.length_penalty), "temperature": 0.0}


class AudioError(Exception):
    """An audio file cannot be turned into 16 kHz mono samples; the message names the file."""


def resample(samples: np.ndarray, rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Change the sample rate by cutting or zero-padding the spectrum.

    Band-limited, so no aliasing on downsampling; the server's Python has neither scipy nor torchaudio
    for sure, and an FFT of even an hour of audio is quick.
    """
    if rate == target_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    n_out = int(round(samples.size * target_rate / rate))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    n_bins = n_out // 2 + 1
    if n_bins <= spectrum.size:
        spectrum = spectrum[:n_bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(n_bins - spectrum.size, spectrum.dtype)])
    out = np.fft.irfft(spectrum, n_out) * (n_out / samples.size)
    return out.astype(np.float32)


def read_audio(path: str) -> np.ndarray:
    """Read an audio file as 16 kHz mono float32 in [-1, 1].

    Multi-channel audio is averaged to mono and other sample rates are resampled, so a stray 44.1 kHz
    stereo file still gets a transcript. Whisper is never given the path itself: it would call ffmpeg,
    which the server need not have.
    """
    if not os.path.isfile(path):
        raise AudioError(f"{path}: no such file")
    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as error:  # soundfile raises LibsndfileError, RuntimeError, OSError, ...
        raise AudioError(f"{path}: cannot read audio ({error})") from None
    if samples.shape[0] == 0:
        raise AudioError(f"{path}: the file holds no samples")
    mono = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
    if not np.all(np.isfinite(mono)):
        raise AudioError(f"{path}: the audio holds NaN or infinite samples")
    return resample(mono, rate)


def is_silent(audio: np.ndarray) -> bool:
    """True when no sample reaches `SILENCE_PEAK`."""
    return audio.size == 0 or float(np.max(np.abs(audio))) < SILENCE_PEAK


def load_model(path: str, device=None) -> "whisper.Whisper":
    """Load an openai-whisper checkpoint file: on the GPU when there is one, else on the CPU.

    The weights stay fp32 in memory; `transcribe` runs fp16 on a GPU (openai-whisper casts per layer)
    and fp32 on a CPU, where fp16 is slower and not supported by every kernel.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such model file")
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return whisper.load_model(path, device=device)


def transcribe_options(model, beam_size=None, length_penalty: float = LENGTH_PENALTY) -> dict:
    """The keyword arguments of openai-whisper's `transcribe` that every sapsoup decoding uses.

    Temperature 0 with no fallback, so the same audio always gives the same text. The language is
    fixed to English for every model: the challenge's speech is English, and language detection on
    atypical speech can pick another language and translate. `beam_size=None` decodes greedily.
    """
    options = dict(
        temperature=0.0,
        language="en",
        task="transcribe",
        fp16=model.device.type == "cuda",
        verbose=None,
        length_penalty=length_penalty,
    )
    if beam_size is not None:
        options["beam_size"] = int(beam_size)
    return options


def transcribe(model, audio: np.ndarray, beam_size=None, length_penalty: float = LENGTH_PENALTY) -> str:
    """Transcribe 16 kHz mono samples with openai-whisper's long-form (30-s window) decoding.

    Line breaks and runs of spaces are collapsed, since one transcript must stay one output line.
    """
    options = transcribe_options(model, beam_size, length_penalty)
    result = model.transcribe(np.ascontiguousarray(audio, dtype=np.float32), **options)
    return " ".join(result["text"].split())


# ----------------------------------------------------------------------------- many utterances at once


def transcribe_many(model, audios, beam_size=None, length_penalty: float = LENGTH_PENALTY, batch_size: int = 8,
                    on_done=None) -> list:
    """Transcribe many utterances, giving exactly the text `transcribe` gives each one alone.

    Every utterance runs through openai-whisper's own long-form `transcribe` loop, up to `batch_size`
    of them side by side (`_Rounds`, longest first). The loops' `decode` calls are answered together
    (`decode_windows`): one encoder pass per window, then one batched decoding for the windows whose
    options are equal, each row as if alone. So `transcribe` alone decides every window (no-speech
    skips, seeking, prompts of the previous text) and computes every log-mel once, as alone; only
    the arithmetic is shared. `on_done(n)` is called as utterances finish (for a progress bar).
    """
    options = transcribe_options(model, beam_size, length_penalty)
    audios = [np.ascontiguousarray(audio, dtype=np.float32) for audio in audios]
    waiting = sorted(range(len(audios)), key=lambda i: -len(audios[i]))[::-1]  # popped longest first
    texts = [None] * len(audios)
    rounds, loops = _Rounds(), {}

    def run(index, stand_in):
        try:
            result = whisper.transcribe(stand_in, audios[index], **options)
            texts[index] = " ".join(result["text"].split())
        finally:
            rounds.finish(index)

    try:
        while waiting or loops:
            while waiting and len(loops) < max(1, int(batch_size)):
                index = waiting.pop()
                loops[index] = rounds.start(run, index, _Client(model, rounds, index))
            finished = rounds.settle()
            for index in finished:
                loops.pop(index).join()
            if rounds.errors:
                raise rounds.errors[0]
            if finished and on_done:
                on_done(len(finished))
            if finished and waiting:
                continue  # start the next loops first, so that their first windows join this round
            windows = rounds.take()
            if windows:
                rounds.answer(windows, decode_windows(model, windows, batch_size))
    except BaseException as error:
        rounds.fail(error)
        for thread in loops.values():
            thread.join()
        raise
    return texts


class _Window:
    """One `decode` call of one utterance's transcribe loop: a 30-s log-mel window and its options."""

    def __init__(self, rank: int, segment: torch.Tensor, options):
        self.rank, self.segment, self.options = rank, segment, options
        self.result = self.error = None
        self.answered = False


class _Client:
    """The model as one transcribe loop sees it: `decode` waits for the loop's round to be decoded."""

    def __init__(self, model, rounds, rank: int):
        self._model, self._rounds, self._rank = model, rounds, rank

    def __getattr__(self, name):
        return getattr(self._model, name)

    def decode(self, segment, options):
        return self._rounds.ask(_Window(self._rank, segment, options))


class _Rounds:
    """Runs the transcribe loops of several utterances side by side, their windows decoded in rounds.

    Each loop runs in a thread of its own and blocks in `ask` until its window is decoded. A round
    is decoded once no loop is computing (each waits for a window or has finished), so which windows
    share a round depends on the audio alone, never on thread timing. The main thread does all model
    arithmetic; a loop thread only does what `transcribe` does between its `decode` calls.
    """

    def __init__(self):
        self._condition = threading.Condition()
        self._computing = 0  # loops neither waiting for a window nor finished
        self._waiting, self._finished, self.errors = [], [], []
        self._failure = None

    def start(self, run, rank, stand_in) -> threading.Thread:
        thread = threading.Thread(target=self._guarded, args=(run, rank, stand_in), daemon=True)
        with self._condition:
            self._computing += 1
        thread.start()
        return thread

    def _guarded(self, run, rank, stand_in):
        try:
            run(rank, stand_in)
        except BaseException as error:
            with self._condition:
                self.errors.append(error)

    def ask(self, window: _Window):
        with self._condition:
            if self._failure is not None:
                raise self._failure
            self._waiting.append(window)
            self._computing -= 1
            self._condition.notify_all()
            while not window.answered:
                self._condition.wait()
        if window.error is not None:
            raise window.error
        return window.result

    def finish(self, rank: int) -> None:
        with self._condition:
            self._finished.append(rank)
            self._computing -= 1
            self._condition.notify_all()

    def settle(self) -> list:
        """Wait until no loop is computing; return the loops finished since the last call."""
        with self._condition:
            while self._computing:
                self._condition.wait()
            finished, self._finished = self._finished, []
        return finished

    def take(self) -> list:
        """The windows waiting for this round, in utterance order; they wait until `answer`ed."""
        with self._condition:
            return sorted(self._waiting, key=lambda w: w.rank)

    def answer(self, windows: list, results: list) -> None:
        with self._condition:
            for window, result in zip(windows, results):
                window.result, window.answered = result, True
            self._waiting = [window for window in self._waiting if not window.answered]
            self._computing += len(windows)
            self._condition.notify_all()

    def fail(self, error: BaseException) -> None:
        """Answer every window, waiting now or asked later, with `error`, so that every loop ends."""
        with self._condition:
            self._failure = error
            for window in self._waiting:
                window.error, window.answered = error, True
            self._waiting = []
            self._condition.notify_all()


def decode_windows(model, windows: list, batch_size: int = 8) -> list:
    """Decode the windows of one round: what `model.decode(window.segment, window.options)` gives each.

    Each window gets one encoder pass: one window at a time on a CPU, where that is fastest (the
    activations of one window stay in the cache, and a batch gives the same features bit for bit),
    all together on a GPU. Windows whose options are equal but for prompts of one length are then
    decoded together, `batch_size` utterances at a time (fewer with beam search, which decodes
    `beam_size` rows per utterance), by `_WindowTask`.
    """
    from dataclasses import replace

    with torch.inference_mode():
        mel = torch.stack([window.segment for window in windows])
        if windows[0].options.fp16:
            mel = mel.half()
        step = len(windows) if model.device.type == "cuda" else 1
        features = torch.cat([model.encoder(mel[s : s + step]) for s in range(0, len(windows), step)])
        groups = {}  # (options but the prompt, length of the initial tokens) -> window indices
        for index, window in enumerate(windows):
            task = _WindowTask(model, window.options)
            key = (replace(window.options, prompt=None), task.sample_begin)
            groups.setdefault(key, []).append((index, task.initial_tokens))
        results = [None] * len(windows)
        for members in groups.values():
            options = windows[members[0][0]].options  # any member's: the prompt's length is what counts
            size = max(1, int(batch_size) // (options.beam_size or 1))
            for start in range(0, len(members), size):
                part = members[start : start + size]
                rows = [index for index, _ in part]
                decoded = _WindowTask(model, options).run_rows(features[rows], [tokens for _, tokens in part])
                for index, result in zip(rows, decoded):
                    results[index] = result
    return results


class _RowInference(PyTorchInference):
    """whisper's `PyTorchInference` with the output layer computed as W x^T instead of x W^T.

    `TextDecoder.forward` ends in `x @ W^T`, W the 51,864 x d token embedding (80 MB for tiny.en).
    On a CPU, with the 2-8 rows of x of a batched step, that one product takes 13-20 ms, more than
    all decoder blocks together; `W @ x^T` streams W once and takes 2-5 ms. It is the same sum of
    products in another loop order: with one row both run the same kernel (bit-identical logits);
    with several rows the logits move by float32 rounding, as batching alone already moves them
    (whisper's batched `x @ W^T` differs from its one-row result as much). The rest is
    `TextDecoder.forward` line for line.
    """

    def logits(self, tokens: torch.Tensor, audio_features: torch.Tensor) -> torch.Tensor:
        if not self.kv_cache:
            self.kv_cache, self.hooks = self.model.install_kv_cache_hooks()
        if tokens.shape[-1] > self.initial_token_length:
            tokens = tokens[:, -1:]  # only the last token after the first forward pass
        decoder = self.model.decoder
        offset = next(iter(self.kv_cache.values())).shape[1] if self.kv_cache else 0
        x = decoder.token_embedding(tokens) + decoder.positional_embedding[offset : offset + tokens.shape[-1]]
        x = x.to(audio_features.dtype)
        for block in decoder.blocks:
            x = block(x, audio_features, mask=decoder.mask, kv_cache=self.kv_cache)
        x = decoder.ln(x)
        weight = decoder.token_embedding.weight.to(x.dtype)
        logits = (weight @ x.reshape(-1, x.shape[-1]).T).T.contiguous()
        return logits.reshape(*x.shape[:-1], -1).float()


class _WindowTask(DecodingTask):
    """openai-whisper's `DecodingTask`, run on the windows of several utterances at once.

    Every row computes what `DecodingTask.run` computes for its window alone, with the same modules,
    filters, token decoder and ranker (the output layer in another loop order, `_RowInference`);
    three things differ:
    * rows may have different prompts (of one length): their initial tokens are given per row;
    * beam search runs over several utterances: whisper's own `run` fails there (it does not repeat
      the audio features for the beams); here the first step runs once per utterance, as the beams
      of one utterance start alike, and its caches are then repeated for the beams;
    * an utterance whose decoding is complete leaves the batch (whisper keeps computing it until
      the slowest one ends), so a batch costs the steps of its rows, not rows x the longest.
    """

    def __init__(self, model, options):
        super().__init__(model, options)
        self.inference = _RowInference(model, len(self.initial_tokens))
        if isinstance(self.decoder, BeamSearchDecoder):
            self.decoder.inference = self.inference

    def run_rows(self, audio_features: torch.Tensor, initial_tokens: list) -> list:
        n_audio, group = len(initial_tokens), self.n_group
        tokens, sum_logprobs, no_speech_probs, finished = self._rows_loop(audio_features, initial_tokens)
        if isinstance(self.decoder, BeamSearchDecoder):
            self.decoder.finished_sequences = finished
        tokens = tokens.reshape(n_audio, group, -1)
        sum_logprobs = sum_logprobs.reshape(n_audio, group)

        # from here on as in `DecodingTask.run`
        eot = self.tokenizer.eot
        tokens, sum_logprobs = self.decoder.finalize(tokens, sum_logprobs)
        tokens = [[t[self.sample_begin : (t == eot).nonzero()[0, 0]] for t in s] for s in tokens]
        selected = self.sequence_ranker.rank(tokens, sum_logprobs)
        tokens = [t[i].tolist() for i, t in zip(selected, tokens)]
        texts = [self.tokenizer.decode(t).strip() for t in tokens]
        sum_logprobs = [lp[i] for i, lp in zip(selected, sum_logprobs)]
        avg_logprobs = [lp / (len(t) + 1) for t, lp in zip(tokens, sum_logprobs)]
        return [
            DecodingResult(
                audio_features=features, language=self.options.language, tokens=t, text=text,
                avg_logprob=avg_logprob, no_speech_prob=no_speech_prob, temperature=self.options.temperature,
                compression_ratio=compression_ratio(text),
            )
            for features, t, text, avg_logprob, no_speech_prob in zip(
                audio_features, tokens, texts, avg_logprobs, no_speech_probs
            )
        ]

    def _rows_loop(self, audio_features, initial_tokens):
        """`DecodingTask._main_loop` for several utterances: (tokens, sum_logprobs, no-speech, finished)."""
        n_audio, group, eot = len(initial_tokens), self.n_group, self.tokenizer.eot
        beam = isinstance(self.decoder, BeamSearchDecoder)
        cache = self.inference
        finished = [{} for _ in range(n_audio)]
        alive = list(range(n_audio))  # utterances still decoding, in row order
        ended = {}  # utterance -> (its rows' tokens, sum_logprobs) when it left the batch
        self.decoder.reset()
        try:
            tokens = torch.tensor(initial_tokens, device=audio_features.device)
            logits = cache.logits(tokens, audio_features)  # one row per utterance: its beams start alike
            no_speech_probs = [np.nan] * n_audio
            if self.tokenizer.no_speech is not None:
                probs_at_sot = logits[:, self.sot_index].float().softmax(dim=-1)
                no_speech_probs = probs_at_sot[:, self.tokenizer.no_speech].tolist()
            logits = logits[:, -1]
            if group > 1:
                tokens, logits = tokens.repeat_interleave(group, 0), logits.repeat_interleave(group, 0)
                for module, value in cache.kv_cache.items():
                    # a single utterance keeps one cross-attention cache for its beams, as whisper does
                    if module in cache.kv_modules or n_audio > 1:
                        cache.kv_cache[module] = value.repeat_interleave(group, 0)
            sum_logprobs = torch.zeros(n_audio * group, device=audio_features.device)
            for i in range(self.sample_len):
                if i > 0:
                    logits = cache.logits(tokens, audio_features)[:, -1]
                for logit_filter in self.logit_filters:
                    logit_filter.apply(logits, tokens)
                if beam:
                    self.decoder.finished_sequences = [finished[a] for a in alive]
                tokens, completed = self.decoder.update(tokens, logits, sum_logprobs)
                if completed or tokens.shape[-1] > self.n_ctx:
                    break
                if beam:
                    done = [len(finished[a]) >= self.decoder.max_candidates for a in alive]
                else:
                    done = (tokens[:, -1] == eot).tolist()
                if any(done):
                    keep = []
                    for place, (a, out) in enumerate(zip(alive, done)):
                        rows = list(range(place * group, (place + 1) * group))
                        if out:
                            ended[a] = (tokens[rows], sum_logprobs[rows])
                        else:
                            keep.extend(rows)
                    alive = [a for a, out in zip(alive, done) if not out]
                    tokens, sum_logprobs = tokens[keep], sum_logprobs[keep]
                    for module, value in cache.kv_cache.items():
                        cache.kv_cache[module] = value[keep]
        finally:
            cache.cleanup_caching()

        # every utterance's rows, those that ended early padded with EOT as whisper's loop would have
        all_tokens = torch.full((n_audio * group, tokens.shape[-1]), eot, dtype=tokens.dtype, device=tokens.device)
        all_sums = torch.zeros(n_audio * group, device=sum_logprobs.device)
        for place, a in enumerate(alive):
            ended[a] = (tokens[place * group : (place + 1) * group], sum_logprobs[place * group : (place + 1) * group])
        for a, (rows, sums) in ended.items():
            all_tokens[a * group : (a + 1) * group, : rows.shape[-1]] = rows
            all_sums[a * group : (a + 1) * group] = sums
        return all_tokens, all_sums, no_speech_probs, finished


def warn(message: str) -> None:
    """One line on stderr; the archive's scripts use no logging set-up the server might lack."""
    print(f"WARNING: {message}", file=sys.stderr, flush=True)


def transcribe_file(model, path: str, beam_size=None, length_penalty: float = LENGTH_PENALTY, on_warning=warn) -> str:
    """Transcribe one file, or return "" and warn (one line naming the file) if it cannot be.

    Output lines are paired with references by position, so one bad file must cost one empty line,
    never a crash (no line for the rest) or a missing line (every later line shifted). `on_warning`
    lets a caller with a progress bar print the warning without breaking the bar.
    """
    try:
        audio = read_audio(path)
        if is_silent(audio):
            on_warning(f"{path}: silent audio (peak below {SILENCE_PEAK}); writing an empty line")
            return ""
        return transcribe(model, audio, beam_size=beam_size, length_penalty=length_penalty)
    except Exception as error:
        message = str(error) if str(error).startswith(path) else f"{path}: {type(error).__name__}: {error}"
        on_warning(f"{message}; writing an empty line")
        return ""


def transcribe_files(model, paths, beam_size=None, length_penalty: float = LENGTH_PENALTY, batch_size: int = 8,
                     on_warning=warn, on_done=None) -> list:
    """`transcribe_file` for many files at once, batched: one string per path, "" where it fails.

    Files that cannot be read or are silent give "" and one warning each, as in `transcribe_file`.
    If the batch itself fails (out of memory, say), its files are decoded one at a time, so one bad
    utterance still costs only its own line. A path of None (a manifest line naming no file) gives ""
    without a warning: the caller names that problem.
    """
    texts = [""] * len(paths)
    audios, places = [], []
    for index, path in enumerate(paths):
        if path is None:
            continue
        try:
            audio = read_audio(path)
        except Exception as error:
            message = str(error) if str(error).startswith(path) else f"{path}: {type(error).__name__}: {error}"
            on_warning(f"{message}; writing an empty line")
            continue
        if is_silent(audio):
            on_warning(f"{path}: silent audio (peak below {SILENCE_PEAK}); writing an empty line")
            continue
        audios.append(audio)
        places.append(index)
    skipped = len(paths) - len(places)
    if skipped and on_done:
        on_done(skipped)
    try:
        decoded = transcribe_many(model, audios, beam_size, length_penalty, batch_size, on_done)
    except Exception as error:
        on_warning(f"batched decoding failed ({type(error).__name__}: {error}); decoding {len(audios)} files one at a time")
        decoded = []
        for index, audio in zip(places, audios):
            decoded.append(transcribe_file(model, paths[index], beam_size, length_penalty, on_warning))
            if on_done:
                on_done(1)
    for index, text in zip(places, decoded):
        texts[index] = text
    return texts
