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


def transcribe(model, audio: np.ndarray, beam_size=None, length_penalty: float = LENGTH_PENALTY) -> str:
    """Transcribe 16 kHz mono samples with openai-whisper's long-form (30-s window) decoding.

    Temperature 0 with no fallback, so the same audio always gives the same text. The language is
    fixed to English for every model: the challenge's speech is English, and language detection on
    atypical speech can pick another language and translate. `beam_size=None` decodes greedily.
    Line breaks and runs of spaces are collapsed, since one transcript must stay one output line.
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
    result = model.transcribe(np.ascontiguousarray(audio, dtype=np.float32), **options)
    return " ".join(result["text"].split())


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
