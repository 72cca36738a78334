"""Audio in, transcript out: the one decoding path that every sapsoup archive ships.

Both archive targets (SAPC1's `inference.py`, SAPC2's `model.py`) and sapsoup's own dev scorer
(`sapsoup.submission.decoding`) import this module, so a score measured at home is a score of the
exact code the organisers' server runs. It is copied as is to the archive root and imported there as a
top-level module, so it imports only the standard library, numpy, soundfile, torch and whisper.
"""

import os
import sys

import numpy as np
import soundfile
import torch
import whisper

SAMPLE_RATE = 16000  # what Whisper's log-mel front end expects
LENGTH_PENALTY = 0.6  # the challenge's decoding setting (see the sapsoup README)
# A file whose loudest sample stays below this (about -80 dBFS, three 16-bit steps) holds no speech.
# Whisper would still decode it and often invents a word ("you", "Thank you."); an empty line costs
# less than an inserted word, so such files are not decoded at all.
SILENCE_PEAK = 1e-4


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


def first_window(model, audio: np.ndarray, dtype) -> torch.Tensor:
    """The log-mel of the first 30-s window exactly as `whisper.transcribe` builds it.

    `transcribe` computes the log-mel of the audio followed by 30 s of zeros, keeps the frames of
    the audio itself, and pads those with zeros *in the log-mel domain*. `pad_or_trim` on the audio
    (the usual batch recipe) gives another input and, on short clips, other text.
    """
    from whisper.audio import N_FRAMES, N_SAMPLES, log_mel_spectrogram, pad_or_trim

    mel = log_mel_spectrogram(np.ascontiguousarray(audio, dtype=np.float32), model.dims.n_mels, padding=N_SAMPLES)
    content_frames = mel.shape[-1] - N_FRAMES
    return pad_or_trim(mel[:, : min(N_FRAMES, content_frames)], N_FRAMES).to(model.device).to(dtype)


class _FirstWindowDone:
    """A model stand-in for `whisper.transcribe` whose first `decode` call is already answered.

    `transcribe` then does everything else itself (no-speech skip, timestamps, seeking, further
    windows with the real model), so a batched first window cannot change what happens after it.
    The answer is given only for the exact window and options it was computed for.
    """

    def __init__(self, model, segment, options, result):
        self._model, self._segment, self._options, self._result = model, segment, options, result
        self.answered = False

    def __getattr__(self, name):
        return getattr(self._model, name)

    def decode(self, segment, options):
        if not self.answered and options == self._options and torch.equal(segment, self._segment):
            self.answered = True
            return self._result
        return self._model.decode(segment, options)


def transcribe_many(model, audios, beam_size=None, length_penalty: float = LENGTH_PENALTY, batch_size: int = 8,
                    on_done=None) -> list:
    """Transcribe many utterances, giving exactly the text `transcribe` gives each one alone.

    Utterances are sorted by length and their first 30-s windows go through the model in batches
    (one padded log-mel batch; greedy decoding runs the batch together, beam search decodes each
    utterance from the batch's encoder output, since openai-whisper's batched beam search fails).
    Each utterance then runs through `whisper.transcribe` with its first window already decoded, so
    utterances over 30 s, or whose first window does not reach the end, continue with long-form
    decoding exactly as alone. `on_done(n)` is called as utterances finish (for a progress bar).
    """
    from whisper.decoding import DecodingOptions

    options = transcribe_options(model, beam_size, length_penalty)
    dtype = torch.float16 if options["fp16"] else torch.float32
    kwargs = {k: v for k, v in options.items() if k not in ("temperature", "verbose")}
    window_options = DecodingOptions(**kwargs, prompt=[], temperature=0.0)  # what transcribe asks first
    audios = [np.ascontiguousarray(audio, dtype=np.float32) for audio in audios]
    order = sorted(range(len(audios)), key=lambda i: -len(audios[i]))
    texts = [None] * len(audios)
    for start in range(0, len(order), max(1, int(batch_size))):
        chunk = order[start : start + max(1, int(batch_size))]
        segments = [first_window(model, audios[i], dtype) for i in chunk]
        with torch.no_grad():
            if beam_size is None:
                results = model.decode(torch.stack(segments), window_options)
            else:
                features = model.embed_audio(torch.stack(segments))
                results = [model.decode(features[j], window_options) for j in range(len(chunk))]
        for i, segment, result in zip(chunk, segments, results):
            stand_in = _FirstWindowDone(model, segment, window_options, result)
            transcript = whisper.transcribe(stand_in, audios[i], **options)
            texts[i] = " ".join(transcript["text"].split())
        if on_done:
            on_done(len(chunk))
    return texts


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
