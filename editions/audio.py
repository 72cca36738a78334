"""Audio as the organisers prepare it: 16 kHz mono 16-bit WAV, sample for sample.

Both challenge editions convert the SAP release with the same few steps (`utils/resample.py`):
soundfile reads the file as float64, channels are averaged, librosa resamples to 16 kHz when the rate
differs, and soundfile writes the result with its default WAV subtype, 16-bit PCM. Whisper is
sensitive to the resampler (an FFT resampler changed 5 of 43 tiny.en transcripts of 22.05 kHz
speech), so a local dev set is only worth its score if its samples are theirs.

librosa's default resampler is soxr at "high quality" followed by a pad or trim to
ceil(n * 16000 / rate) samples; this module calls soxr directly (librosa is a heavy import) and
applies the same length rule. The float-to-16-bit step is left to libsndfile, through soundfile,
exactly as their `soundfile.write` does it: its rounding and clipping are libsndfile's own.

SAPC1 also cuts `#ts` transcripts to their spans (`utils/generate_manifest.py`): after the
conversion, with pydub, on the 16 kHz file, in milliseconds. `cut_spans` reproduces that arithmetic.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile
import soxr

from sapsoup.editions import EditionError

TARGET_RATE = 16000
SOXR_QUALITY = "HQ"  # librosa's default res_type "soxr_hq"
ALREADY_CUT_TOLERANCE = 0.02  # seconds: SAPC1 keeps a file whose spans already add up to its length


class AudioError(EditionError, ValueError):
    """Audio the organisers' conversion cannot handle; the message says why."""


def read_mono(path: str | Path) -> tuple[np.ndarray, int]:
    """The file as float64 samples and its rate, channels averaged as `data.mean(axis=1)` does."""
    data, rate = soundfile.read(str(path), dtype="float64")
    if data.ndim > 1:
        data = data.mean(axis=1)
    return data, rate


def resample(samples: np.ndarray, rate: int, target_rate: int = TARGET_RATE) -> np.ndarray:
    """`librosa.resample(samples, orig_sr=rate, target_sr=target_rate)` with its defaults.

    soxr's output can be one sample shorter than librosa promises; librosa pads it with a zero (or
    trims) to ceil(n * target / rate), and so does this. Non-finite samples are refused, as librosa
    refuses them (the organisers' script then skips the file).
    """
    samples = np.asarray(samples, dtype=np.float64)
    if rate == target_rate:
        return samples
    if not np.all(np.isfinite(samples)):
        raise AudioError("audio has non-finite samples (NaN or infinity); it cannot be resampled")
    length = int(np.ceil(samples.shape[-1] * (float(target_rate) / rate)))
    converted = soxr.resample(samples, rate, target_rate, quality=SOXR_QUALITY)
    if len(converted) >= length:
        return converted[:length]
    return np.concatenate([converted, np.zeros(length - len(converted))])


def to_pcm16(samples: np.ndarray, rate: int = TARGET_RATE) -> np.ndarray:
    """The int16 samples `soundfile.write(path, samples, rate)` puts in a WAV file.

    Written to memory and read back, so the rounding and clipping are libsndfile's and cannot drift
    from what the organisers' script writes with the same library.
    """
    buffer = io.BytesIO()
    soundfile.write(buffer, np.asarray(samples, dtype=np.float64), rate, format="WAV", subtype="PCM_16")
    buffer.seek(0)
    pcm, _ = soundfile.read(buffer, dtype="int16")
    return pcm


def convert(path: str | Path) -> tuple[np.ndarray, bool]:
    """The organisers' 16 kHz mono 16-bit version of an audio file, as int16 samples, and whether
    its rate or channel count changed.

    A file that is already 16 kHz mono 16-bit comes back unchanged: libsndfile reads and writes
    16-bit PCM with the same scale, so their read-then-write round trip is exact.
    """
    info = soundfile.info(str(path))
    samples, rate = read_mono(path)
    converted = rate != TARGET_RATE or info.channels != 1
    return to_pcm16(resample(samples, rate)), converted


def converted_length(frames: int, rate: int) -> int:
    """How many 16 kHz samples a file of `frames` samples at `rate` becomes (librosa's length rule)."""
    if rate == TARGET_RATE:
        return frames
    return int(np.ceil(frames * (float(TARGET_RATE) / rate)))


def already_cut(spans: list[tuple[float, float]], frames: int) -> bool:
    """Whether SAPC1 leaves the audio whole: its spans add up to the file's length (to 0.02 s,
    both rounded to hundredths). Such files were cut before release."""
    total = 0.0
    for start, end in spans:
        total += end - start
    return abs(round(total, 2) - round(frames / TARGET_RATE, 2)) <= ALREADY_CUT_TOLERANCE


def span_bounds(spans: list[tuple[float, float]], frames: int) -> list[tuple[int, int]]:
    """Sample ranges [first, last) pydub takes for each (start s, end s) span of 16 kHz audio.

    pydub counts in milliseconds: both ends are clamped to the audio's length rounded to whole
    milliseconds, then truncated to samples (int(ms * 16.0)). A span past the end of the audio is
    therefore cut at the end, never refused; `overruns` names such spans.
    """
    length_ms = round(1000 * (float(frames) / TARGET_RATE))
    per_ms = TARGET_RATE / 1000.0
    return [(int(min(start * 1000, length_ms) * per_ms), int(min(end * 1000, length_ms) * per_ms))
            for start, end in spans]


def overruns(spans: list[tuple[float, float]], frames: int) -> list[tuple[float, float]]:
    """The spans that end after the audio (by more than pydub's rounding to whole milliseconds)."""
    if already_cut(spans, frames):
        return []
    length_ms = round(1000 * (float(frames) / TARGET_RATE))
    return [(start, end) for start, end in spans if end * 1000 > length_ms]


def cut_spans(samples: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """16 kHz int16 audio cut to its `#ts` spans and joined, as SAPC1's preprocessing does it.

    Audio whose spans already add up to its length is returned whole (see `already_cut`). Where the
    rounding to whole milliseconds reaches past the last sample, pydub pads the slice with silent
    frames (up to half a millisecond), unless the slice is empty; so does this.
    """
    samples = np.asarray(samples)
    if already_cut(spans, len(samples)):
        return samples
    pieces = []
    for first, last in span_bounds(spans, len(samples)):
        piece = samples[first:last]
        missing = (last - first) - len(piece)
        if missing > 0 and len(piece):
            piece = np.concatenate([piece, np.zeros(missing, dtype=samples.dtype)])
        pieces.append(piece)
    return np.concatenate(pieces)


def cut_length(spans: list[tuple[float, float]], frames: int) -> int:
    """How many samples `cut_spans` leaves of `frames` 16 kHz samples, without reading the audio."""
    if already_cut(spans, frames):
        return frames
    return sum(last - first for first, last in span_bounds(spans, frames) if first < frames and last > first)


def write_wav(path: str | Path, samples: np.ndarray) -> None:
    """A 16 kHz mono 16-bit WAV, the format of the organisers' processed files."""
    soundfile.write(str(path), np.asarray(samples, dtype=np.int16), TARGET_RATE, subtype="PCM_16")


