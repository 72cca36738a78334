"""Synthetic speech: eSpeak NG through ctypes, and dysarthria-like perturbations of it.

Why eSpeak NG: the `espeakng-loader` wheel ships the shared library and its voice data, so every
machine that can `pip install` the project can speak English offline, with no system package and no
model hub. The `espeak-ng` program is used only when the library cannot be loaded.

Why a fresh library per session: eSpeak NG keeps synthesis state in C statics (pitch flutter index,
gain control, echo buffer) that survive `espeak_Terminate`, so the same text spoken twice in one
process gives slightly different samples. Loading a private copy of the library, speaking, and
unloading it again starts every session from the same state; together with a fixed random seed for
the breath noise this makes synthesis reproducible byte for byte, which the corpus promises.

The perturbations imitate what makes dysarthric speech hard for an ASR model: a slow and uneven
speaking rate, pauses inside sentences, repeated words and fillers (which the transcript marks in
parentheses, as SAP's transcribers do), an unsteady pitch (tremor and jitter), muffled articulation
and background noise. They are deliberately simple signal operations with numpy, no extra packages.
"""

from __future__ import annotations

import _ctypes
import atexit
import ctypes
import math
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass

import numpy as np

from sapsoup.errors import SapsoupError

SAMPLE_RATE = 16000  # what SAP distributes and Whisper expects

# English voices: a language plus one of eSpeak's voice variants (files under voices/!v).
VOICES = (
    "en-us",
    "en-us+m3",
    "en-us+m7",
    "en-us+f2",
    "en-us+f3",
    "en-us+f4",
    "en+m2",
    "en+f1",
    "en-us+klatt2",
    "en-us+grandpa",
)

NORMAL_RATE_WPM = 175  # eSpeak's default words per minute
NORMAL_PITCH = 50  # eSpeak's default pitch (0..99)
MIN_RATE_WPM = 80  # eSpeak's lower limit

# From speak_lib.h and espeak_ng.h.
_OUTPUT_MODE_SYNCHRONOUS = 1  # espeak_ng_OUTPUT_MODE
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class SynthesisError(SapsoupError):
    """eSpeak NG is missing, failed, or was asked for something it cannot say."""


class UnknownVoiceError(SynthesisError):
    """eSpeak NG loaded fine but has no such voice (no point trying the fallback program)."""


# ----------------------------------------------------------------------------------------------
# eSpeak NG backends


def _loader_paths() -> tuple[str, str]:
    """Library file and voice-data folder of the espeakng-loader wheel."""
    try:
        import espeakng_loader
    except ImportError as error:
        raise SynthesisError(f"espeakng-loader: package not installed ({error})") from error
    return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()


_lock = threading.Lock()  # eSpeak NG is one global synthesizer per loaded library
_lock_holder: int | None = None  # thread that holds it, to refuse nested sessions instead of hanging
_private_copies: dict[str, str] = {}


def _private_library(library_path: str) -> str:
    """A copy of the library that only this module opens.

    dlclose() unloads a library (and so resets its statics) only when nobody else holds it; a
    private file name guarantees that another user of espeakng-loader in the same process cannot
    keep our copy loaded.
    """
    copy = _private_copies.get(library_path)
    if copy is None or not os.path.exists(copy):
        folder = tempfile.mkdtemp(prefix="sapsoup-espeak-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        copy = os.path.join(folder, os.path.basename(library_path))
        try:
            shutil.copyfile(library_path, copy)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        _private_copies[library_path] = copy
    return copy


class _LibrarySession:
    """One load of libespeak-ng: speak any number of phrases, then unload."""

    def __init__(self, library_path: str, data_path: str, voice: str, rand_seed: int):
        self._lib = None
        try:
            self._lib = ctypes.CDLL(_private_library(library_path))
        except OSError as error:
            reason = error.strerror or str(error)
            raise SynthesisError(f"{library_path}: cannot load eSpeak NG ({reason})") from error
        lib = self._lib
        lib.espeak_ng_InitializePath.argtypes = [ctypes.c_char_p]
        lib.espeak_ng_Initialize.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        lib.espeak_ng_ClearErrorContext.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        lib.espeak_ng_InitializeOutput.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
        lib.espeak_ng_GetStatusCodeMessage.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        self._samples: list[np.ndarray] = []
        self._callback = _SYNTH_CALLBACK(self._collect)  # kept alive while the library may call it
        # The espeak_ng_* calls report a bad data folder as a status; espeak_Initialize would exit()
        # the whole process, and silently falls back to a compiled-in path when ours is missing.
        if not os.path.isfile(os.path.join(data_path, "phontab")):
            self.close()
            raise SynthesisError(f"{data_path}: not an eSpeak NG data folder (no phontab)")
        lib.espeak_ng_InitializePath(data_path.encode())
        context = ctypes.c_void_p()
        status = lib.espeak_ng_Initialize(ctypes.byref(context))
        lib.espeak_ng_ClearErrorContext(ctypes.byref(context))
        if status == 0:
            status = lib.espeak_ng_InitializeOutput(_OUTPUT_MODE_SYNCHRONOUS, 0, None)
        if status != 0:
            message = ctypes.create_string_buffer(512)
            lib.espeak_ng_GetStatusCodeMessage(status, message, len(message))
            self.close()
            raise SynthesisError(f"{data_path}: eSpeak NG could not initialise "
                                 f"({message.value.decode('utf-8', 'replace')})")
        self.sample_rate = lib.espeak_ng_GetSampleRate()
        lib.espeak_SetSynthCallback(self._callback)
        lib.espeak_ng_SetRandSeed(rand_seed)
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            self.close()
            raise UnknownVoiceError(f"{data_path}: eSpeak NG has no voice {voice!r}")

    def _collect(self, samples, count, events):
        if samples and count > 0:
            self._samples.append(np.ctypeslib.as_array(samples, (count,)).copy())
        return 0

    def say(self, text: str, rate_wpm: int, pitch: int) -> np.ndarray:
        self._samples = []
        self._lib.espeak_SetParameter(_PARAM_RATE, int(rate_wpm), 0)
        self._lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
        data = text.encode("utf-8")
        status = self._lib.espeak_Synth(
            data, len(data) + 1, 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
        )
        if status != 0:
            raise SynthesisError(f"eSpeak NG failed (status {status}) on {text!r}")
        self._lib.espeak_Synchronize()
        if not self._samples:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self._samples)

    def close(self):
        if self._lib is not None:
            self._lib.espeak_Terminate()
            _ctypes.dlclose(self._lib._handle)
            self._lib = None


class _ProgramSession:
    """Fallback: one `espeak-ng --stdout` process per phrase."""

    def __init__(self, program: str, voice: str):
        self.program = program
        self.voice = voice
        self.sample_rate = 0

    def say(self, text: str, rate_wpm: int, pitch: int) -> np.ndarray:
        command = [self.program, "--stdout", "--stdin", "-v", self.voice, "-s", str(int(rate_wpm)),
                   "-p", str(int(pitch))]
        result = subprocess.run(command, input=text.encode("utf-8"), capture_output=True)
        if result.returncode != 0:
            message = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise SynthesisError(f"{self.program}: failed on {text!r}: {message[-1] if message else ''}")
        samples, self.sample_rate = _parse_wav_stream(result.stdout, self.program)
        return samples

    def close(self):
        pass


def _parse_wav_stream(data: bytes, source: str) -> tuple[np.ndarray, int]:
    """Samples and rate of the 16-bit mono WAV espeak-ng writes to a pipe.

    A pipe cannot be rewound, so espeak-ng leaves the RIFF and data sizes as placeholders; the
    samples are simply everything after the data chunk header.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SynthesisError(f"{source}: output is not a WAV stream")
    position, rate, bits, channels = 12, 0, 0, 0
    while position + 8 <= len(data):
        chunk, size = data[position:position + 4], int.from_bytes(data[position + 4:position + 8], "little")
        body = position + 8
        if chunk == b"fmt ":
            channels = int.from_bytes(data[body + 2:body + 4], "little")
            rate = int.from_bytes(data[body + 4:body + 8], "little")
            bits = int.from_bytes(data[body + 14:body + 16], "little")
        elif chunk == b"data":
            if (bits, channels) != (16, 1) or rate <= 0:
                raise SynthesisError(f"{source}: expected 16-bit mono WAV, got {bits}-bit, {channels} channels")
            payload = data[body:]
            payload = payload[: len(payload) - len(payload) % 2]
            return np.frombuffer(payload, dtype="<i2").astype(np.int16), rate
        position = body + size + (size & 1)
    raise SynthesisError(f"{source}: WAV stream has no data chunk")


class EspeakSession:
    """Speak phrases with one voice, from a freshly loaded synthesizer.

    Use as a context manager; `say` returns int16 samples at `sample_rate` (eSpeak's own rate,
    22050 Hz). Two sessions given the same voice, seed and sequence of `say` calls produce the same
    samples.
    """

    def __init__(self, voice: str = "en-us", rand_seed: int = 0):
        global _lock_holder
        self.voice = voice
        self._lock_held = False
        if _lock_holder == threading.get_ident():
            raise SynthesisError("an eSpeak NG session is already open in this thread; close it first")
        _lock.acquire()
        _lock_holder = threading.get_ident()
        self._lock_held = True
        try:
            self._backend = _open_backend(voice, rand_seed)
        except BaseException:
            self._release()
            raise

    @property
    def sample_rate(self) -> int:
        return self._backend.sample_rate

    def say(self, text: str, rate_wpm: int = NORMAL_RATE_WPM, pitch: int = NORMAL_PITCH) -> np.ndarray:
        if not text.strip():
            raise SynthesisError("eSpeak NG was given an empty text")
        samples = self._backend.say(text, rate_wpm, pitch)
        if samples.size == 0:
            raise SynthesisError(f"eSpeak NG produced no audio for {text!r} with voice {self.voice!r}")
        return samples

    def close(self):
        try:
            self._backend.close()
        finally:
            self._release()

    def _release(self):
        global _lock_holder
        if self._lock_held:
            self._lock_held = False
            _lock_holder = None
            _lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _open_backend(voice: str, rand_seed: int):
    library_error = None
    try:
        library_path, data_path = _loader_paths()
        return _LibrarySession(library_path, data_path, voice, rand_seed)
    except UnknownVoiceError:
        raise
    except SynthesisError as error:
        library_error = error
    program = shutil.which("espeak-ng")
    if program is None:
        raise SynthesisError(f"{library_error}; and no espeak-ng program on PATH")
    return _ProgramSession(program, voice)


# ----------------------------------------------------------------------------------------------
# Signal helpers


def resample(samples: np.ndarray, source_rate: int, speed: np.ndarray | None = None,
             target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling to `target_rate`, optionally with a time-varying playback speed.

    `speed` (one value per output sample, around 1.0) plays the input faster or slower at each
    instant, which raises or lowers pitch and tempo together: a slowly varying speed is a vocal
    tremor, a fast small one is jitter. Each output sample is a Hann-windowed sinc interpolation of
    the input, low-passed below the output's Nyquist frequency so nothing aliases. Output samples
    are float64 in the input's units; the output ends where the input runs out.
    """
    x = np.asarray(samples, dtype=np.float64)
    step = source_rate / target_rate
    if speed is None:
        count = int(math.floor((len(x) - 1) / step)) + 1 if len(x) else 0
        positions = np.arange(count, dtype=np.float64) * step
        fastest = 1.0
    else:
        speed = np.asarray(speed, dtype=np.float64)
        positions = np.concatenate(([0.0], np.cumsum(speed[:-1] * step)))
        positions = positions[positions <= len(x) - 1]
        fastest = float(speed[: len(positions)].max()) if len(positions) else 1.0
    cutoff = min(1.0, 0.92 / (step * fastest))  # fraction of the input's Nyquist frequency
    half_width = int(math.ceil(8 / cutoff))
    offsets = np.arange(-half_width + 1, half_width + 1)
    padded = np.concatenate((np.zeros(half_width), x, np.zeros(half_width + 1)))
    out = np.empty(len(positions), dtype=np.float64)
    for start in range(0, len(positions), 16384):
        chunk = positions[start:start + 16384]
        base = np.floor(chunk).astype(np.int64)
        taps = base[:, None] + offsets[None, :]
        distance = chunk[:, None] - taps
        weights = cutoff * np.sinc(cutoff * distance) * (0.5 + 0.5 * np.cos(np.pi * distance / half_width))
        out[start:start + len(chunk)] = np.sum(padded[taps + half_width] * weights, axis=1)
    return out


def smooth_noise(count: int, rate: float, cutoff_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Random wobble with unit standard deviation that changes no faster than `cutoff_hz`."""
    knots = max(2, int(math.ceil(count / rate * cutoff_hz)) + 2)
    values = rng.standard_normal(knots)
    return np.interp(np.arange(count) / rate * cutoff_hz, np.arange(knots), values)


def pitch_wobble(count: int, tremor_depth: float, tremor_hz: float, jitter_depth: float,
                 rng: np.random.Generator) -> np.ndarray:
    """Playback speed per output sample: 1 plus a wavering tremor plus jitter."""
    phase = rng.uniform(0, 2 * np.pi)
    wavering_hz = tremor_hz * (1 + 0.15 * smooth_noise(count, SAMPLE_RATE, 1.0, rng))
    tremor = tremor_depth * np.sin(2 * np.pi * np.cumsum(wavering_hz) / SAMPLE_RATE + phase)
    jitter = jitter_depth * smooth_noise(count, SAMPLE_RATE, 25.0, rng)
    return np.clip(1.0 + tremor + jitter, 0.8, 1.25) if count else np.ones(0)


def muffle(audio: np.ndarray, amount: float) -> np.ndarray:
    """Blend in a low-passed copy: the blurred consonants of imprecise articulation."""
    if amount <= 0 or audio.size == 0:
        return audio
    kernel = np.hanning(11)
    kernel /= kernel.sum()
    return (1 - amount) * audio + amount * np.convolve(audio, kernel, mode="same")


def add_noise(audio: np.ndarray, snr_db: float | None, rng: np.random.Generator) -> np.ndarray:
    """Add room noise (a pink-ish hiss and a faint mains hum) at `snr_db` below the speech.

    The speech level is measured on the loudest half of the samples (30 ms frames), so pauses do
    not lower it; `snr_db=None` means no noise.
    """
    if snr_db is None or audio.size == 0:
        return audio
    hiss = rng.standard_normal(audio.size + 1)
    hiss = 0.6 * hiss[1:] + 0.4 * np.cumsum(hiss)[1:] / np.sqrt(np.arange(1, audio.size + 1))
    hiss = muffle(hiss, 0.5)
    hum_hz = rng.choice([50.0, 60.0])
    t = np.arange(audio.size) / SAMPLE_RATE
    hum = 0.3 * np.sin(2 * np.pi * hum_hz * t) + 0.1 * np.sin(2 * np.pi * 3 * hum_hz * t)
    noise = hiss / (hiss.std() + 1e-12) + hum
    noise /= np.sqrt(np.mean(noise**2)) + 1e-12
    speech_level = active_rms(audio)
    return audio + noise * speech_level * 10 ** (-snr_db / 20)


def active_rms(audio: np.ndarray) -> float:
    """Root mean square over the louder half of 30 ms frames: the level of the speech itself."""
    frame = int(0.03 * SAMPLE_RATE)
    usable = audio[: audio.size - audio.size % frame] if audio.size >= frame else audio
    if usable.size == 0:
        return 0.0
    energies = np.mean(usable.reshape(-1, min(frame, usable.size)) ** 2, axis=1)
    loud = np.sort(energies)[len(energies) // 2:]
    return float(np.sqrt(np.mean(loud)))


def to_pcm16(audio: np.ndarray, peak: float = 0.9) -> np.ndarray:
    """Scale float audio so its peak is `peak` of full scale and round to int16."""
    audio = np.asarray(audio, dtype=np.float64)
    largest = float(np.max(np.abs(audio))) if audio.size else 0.0
    if largest == 0.0:
        return np.zeros(audio.size, dtype=np.int16)
    scaled = np.round(audio * (peak * 32767 / largest))
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SAMPLE_RATE)), dtype=np.float64)


# ----------------------------------------------------------------------------------------------
# Clean speech


def synthesize_clean(text: str, voice: str = "en-us", rate_wpm: int = NORMAL_RATE_WPM,
                     pitch: int = NORMAL_PITCH, rand_seed: int = 0) -> np.ndarray:
    """`text` spoken fluently by eSpeak NG: float32 samples in [-1, 1] at 16 kHz, no perturbation.

    This is the reference a perturbed utterance degrades from: transcribing it measures what the
    ASR model can do on synthetic speech at all.
    """
    with EspeakSession(voice, rand_seed) as tts:
        native = tts.say(text, rate_wpm, pitch)
        audio = resample(native, tts.sample_rate)
    return (audio / 32768.0).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Perturbed speech


@dataclass(frozen=True)
class Perturbation:
    """How far one speaker departs from fluent synthetic speech. All zero/None means clean."""

    rate_wpm: int = NORMAL_RATE_WPM  # typical speaking rate
    rate_spread: float = 0.0  # log-normal spread of the rate from phrase to phrase
    pitch: int = NORMAL_PITCH  # eSpeak pitch (0..99)
    pitch_spread: int = 0  # phrase-to-phrase pitch variation, eSpeak units
    max_phrase_words: int = 0  # words spoken in one breath; 0 = whole sentences
    pause_prob: float = 0.0  # chance of a pause between two phrases
    pause_seconds: tuple[float, float] = (0.3, 0.8)
    repeat_prob: float = 0.0  # chance that a word is said twice, "(the) the"
    filler_prob: float = 0.0  # chance that a phrase starts with "(uh)" or "(um)"
    tremor_depth: float = 0.0  # relative pitch swing of the tremor
    tremor_hz: float = 5.0
    jitter_depth: float = 0.0  # relative pitch jitter
    muffle: float = 0.0  # 0..1, blur of consonants
    snr_db: float | None = None  # background noise level below speech; None = silent room


SEVERITIES = ("clean", "mild", "moderate", "severe")

_PRESETS = {
    "clean": Perturbation(),
    "mild": Perturbation(
        rate_wpm=145, rate_spread=0.10, pitch_spread=6, max_phrase_words=6, pause_prob=0.15,
        pause_seconds=(0.2, 0.6), repeat_prob=0.02, filler_prob=0.05, tremor_depth=0.01,
        jitter_depth=0.005, muffle=0.15, snr_db=30.0,
    ),
    "moderate": Perturbation(
        rate_wpm=120, rate_spread=0.18, pitch_spread=10, max_phrase_words=4, pause_prob=0.35,
        pause_seconds=(0.3, 0.9), repeat_prob=0.05, filler_prob=0.10, tremor_depth=0.025,
        jitter_depth=0.01, muffle=0.35, snr_db=20.0,
    ),
    "severe": Perturbation(
        rate_wpm=95, rate_spread=0.25, pitch_spread=15, max_phrase_words=2, pause_prob=0.55,
        pause_seconds=(0.4, 1.3), repeat_prob=0.09, filler_prob=0.18, tremor_depth=0.045,
        jitter_depth=0.02, muffle=0.55, snr_db=12.0,
    ),
}


def preset(severity: str) -> Perturbation:
    """The perturbation of a severity level: one of SEVERITIES."""
    if severity not in _PRESETS:
        raise SynthesisError(f"unknown severity {severity!r}; expected one of {', '.join(SEVERITIES)}")
    return _PRESETS[severity]


@dataclass(frozen=True)
class Segment:
    """One step of an utterance: a phrase to speak (with its transcript tokens) or a pause."""

    spoken: str = ""  # what eSpeak says
    transcript: tuple[str, ...] = ()  # what the transcript writes for it
    rate_wpm: int = NORMAL_RATE_WPM
    pitch: int = NORMAL_PITCH
    pause: float = 0.0  # seconds of silence (for a pause segment)


FILLERS = ("uh", "um")


def plan_sentence(words: list[tuple[str, str]], perturbation: Perturbation,
                  rng: np.random.Generator) -> list[Segment]:
    """Cut one sentence into phrases and pauses, inserting repetitions and fillers.

    `words` pairs each transcript token with what is spoken for it (e.g. ("~T", "T")). A repeated
    word is spoken twice and written "(word) word"; a filler is spoken and written "(uh)". So the
    audio says exactly what the transcript says, and SAP's second reference (parentheses removed)
    is the fluent sentence.
    """
    if not words:
        raise SynthesisError("cannot plan an empty sentence")
    p = perturbation
    phrase_limit = p.max_phrase_words if p.max_phrase_words > 0 else len(words)
    segments: list[Segment] = []
    position = 0
    while position < len(words):
        size = int(rng.integers(1, phrase_limit + 1)) if p.max_phrase_words > 0 else len(words)
        phrase = words[position:position + size]
        rate = _phrase_rate(p, rng)
        pitch = int(np.clip(p.pitch + rng.integers(-p.pitch_spread, p.pitch_spread + 1), 0, 99))
        if position > 0 and rng.random() < p.pause_prob:
            segments.append(Segment(pause=float(rng.uniform(*p.pause_seconds))))
        if rng.random() < p.filler_prob:
            filler = str(rng.choice(FILLERS))
            segments.append(Segment(filler, (f"({filler})",), rate, pitch))
            segments.append(Segment(pause=float(rng.uniform(0.15, 0.45))))
        spoken, transcript = [], []
        for index, (token, said) in enumerate(phrase):
            if _repeatable(token) and rng.random() < p.repeat_prob:
                bare = token.strip(".,;:!?\"")
                if index > 0:  # the repetition starts a new breath
                    segments.append(Segment(" ".join(spoken), tuple(transcript), rate, pitch))
                    spoken, transcript = [], []
                segments.append(Segment(said, (f"({bare})",), rate, pitch))
                segments.append(Segment(pause=float(rng.uniform(0.1, 0.4))))
            spoken.append(said)
            transcript.append(token)
        segments.append(Segment(" ".join(spoken), tuple(transcript), rate, pitch))
        position += size
    return segments


def _phrase_rate(p: Perturbation, rng: np.random.Generator) -> int:
    if p.rate_spread <= 0:
        return p.rate_wpm
    return int(np.clip(round(p.rate_wpm * math.exp(rng.normal(0, p.rate_spread))), MIN_RATE_WPM, 400))


def _repeatable(token: str) -> bool:
    """Only plain words are repeated: not spelled letters, numbers or tokens already marked."""
    bare = token.strip(".,;:!?\"")
    return bare.isalpha() and len(bare) > 1 or bare.lower() in ("i", "a")


def transcript_of(segments: list[Segment]) -> str:
    """The SAP-style transcript of a plan: every written token, in spoken order."""
    return " ".join(token for segment in segments for token in segment.transcript)


def render(segments: list[Segment], tts: EspeakSession, perturbation: Perturbation,
           rng: np.random.Generator) -> np.ndarray:
    """Speak a plan: float64 audio at 16 kHz in eSpeak's sample units, without background noise.

    Each phrase is synthesised at its own rate and pitch, resampled with the speaker's tremor and
    jitter, and muffled; pauses are inserted as silence.
    """
    pieces = []
    p = perturbation
    for segment in segments:
        if not segment.spoken:
            pieces.append(silence(segment.pause))
            continue
        native = tts.say(segment.spoken, segment.rate_wpm, segment.pitch)
        if p.tremor_depth > 0 or p.jitter_depth > 0:
            estimate = int(len(native) * SAMPLE_RATE / tts.sample_rate * 1.3) + 16
            speed = pitch_wobble(estimate, p.tremor_depth, p.tremor_hz, p.jitter_depth, rng)
            audio = resample(native, tts.sample_rate, speed)
        else:
            audio = resample(native, tts.sample_rate)
        pieces.append(muffle(audio, p.muffle))
    return np.concatenate(pieces) if pieces else np.zeros(0)


def finish(speech: np.ndarray, perturbation: Perturbation, rng: np.random.Generator,
           lead_seconds: float = 0.3, tail_seconds: float = 0.4) -> np.ndarray:
    """Pad with room silence, add the background noise and convert to int16 PCM."""
    padded = np.concatenate((silence(lead_seconds), speech, silence(tail_seconds)))
    return to_pcm16(add_noise(padded, perturbation.snr_db, rng))
