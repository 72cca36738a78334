"""The organisers' audio conversion, reproduced sample for sample.

The reference is what their `utils/resample.py` does: soundfile reads float64, channels averaged,
`librosa.resample` to 16 kHz when the rate differs, `soundfile.write` with its default subtype.
librosa is only a test dependency: sapsoup calls soxr directly.
"""

import librosa  # a test dependency: the organisers resample with it
import numpy as np
import pytest
import soundfile
from sapsoup.editions import audio


def chirp_with_noise(rate: int, seconds: float, channels: int = 1, seed: int = 0, level: float = 0.5) -> np.ndarray:
    """A sweep from 100 Hz past the Nyquist frequency of 16 kHz, plus white noise: every part of the
    resampler's band (pass band, transition, stop band) is exercised."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    t = np.arange(n) / rate
    mono = level * np.sin(2 * np.pi * (100 + 3000 * t) * t) + 0.1 * rng.standard_normal(n)
    if channels == 1:
        return mono
    return np.stack([mono, 0.7 * np.roll(mono, 37)], axis=1)


def organisers_conversion(path, tmp_path) -> np.ndarray:
    """Their steps, with the libraries they call, ending in the int16 samples of their WAV."""
    data, rate = soundfile.read(str(path))
    if data.ndim > 1:
        data = data.mean(axis=1)
    if rate != 16000:
        data = librosa.resample(y=data, orig_sr=rate, target_sr=16000)
    target = tmp_path / f"theirs-{path.name}"
    soundfile.write(str(target), data, 16000)
    samples, _ = soundfile.read(str(target), dtype="int16")
    return samples


INPUT_KINDS = {
    "22.05 kHz 16-bit": (22050, 1, "PCM_16", 0.5),
    "44.1 kHz 16-bit": (44100, 1, "PCM_16", 0.5),
    "8 kHz 16-bit": (8000, 1, "PCM_16", 0.5),
    "48 kHz stereo": (48000, 2, "PCM_16", 0.5),
    "44.1 kHz 24-bit": (44100, 1, "PCM_24", 0.5),
    "22.05 kHz float": (22050, 1, "FLOAT", 0.5),
    "32 kHz double, clipping": (32000, 1, "DOUBLE", 1.6),
    "16 kHz stereo": (16000, 2, "PCM_16", 0.5),
    "16 kHz float": (16000, 1, "FLOAT", 0.5),
    "11.025 kHz odd length": (11025, 1, "PCM_16", 0.5),
}


@pytest.mark.parametrize("kind", list(INPUT_KINDS))
def test_conversion_equals_the_organisers_sample_for_sample(kind, tmp_path):
    rate, channels, subtype, level = INPUT_KINDS[kind]
    seconds = 1.7 + 3 / rate  # an odd number of input samples: soxr alone would be a sample short
    path = tmp_path / "input.wav"
    soundfile.write(str(path), chirp_with_noise(rate, seconds, channels, level=level), rate, subtype=subtype)
    mine, converted = audio.convert(path)
    theirs = organisers_conversion(path, tmp_path)
    assert mine.dtype == np.int16
    assert len(mine) == len(theirs)
    assert np.array_equal(mine, theirs)
    assert converted == (rate != 16000 or channels != 1)


def test_16k_mono_16bit_input_comes_back_unchanged(tmp_path):
    samples = (chirp_with_noise(16000, 1.0) * 32767).astype(np.int16)
    samples[:4] = [32767, -32768, 1, -1]
    soundfile.write(str(tmp_path / "a.wav"), samples, 16000, subtype="PCM_16")
    mine, converted = audio.convert(tmp_path / "a.wav")
    assert np.array_equal(mine, samples) and not converted


def test_resampled_length_is_librosas_not_soxrs():
    samples = chirp_with_noise(22050, 1.0 + 1 / 22050)
    assert len(samples) == 22051
    assert len(audio.resample(samples, 22050)) == int(np.ceil(22051 * 16000 / 22050)) == 16001
    assert np.array_equal(audio.resample(samples, 22050), librosa.resample(samples, orig_sr=22050, target_sr=16000))
    assert audio.converted_length(22051, 22050) == 16001
    assert audio.converted_length(22051, 16000) == 22051


def test_resampling_keeps_a_tone_and_removes_what_would_alias():
    t = np.arange(44100) / 44100
    kept = audio.resample(np.sin(2 * np.pi * 1000 * t), 44100)
    ideal = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000)
    assert np.max(np.abs(kept - ideal)[400:-400]) < 1e-3
    folded = audio.resample(np.sin(2 * np.pi * 12000 * t), 44100)  # above the new Nyquist frequency
    assert np.max(np.abs(folded[400:-400])) < 1e-3


def test_non_finite_samples_are_refused_as_librosa_refuses_them():
    samples = np.zeros(1000)
    samples[10] = np.nan
    with pytest.raises(audio.AudioError, match="non-finite"):
        audio.resample(samples, 22050)


def test_float_to_16bit_clips_instead_of_wrapping():
    pcm = audio.to_pcm16(np.array([1.5, -1.5, 0.0]))
    assert pcm.tolist() == [32767, -32768, 0]


# ---------------------------------------------------------------------------------------------
# SAPC1's cut of `#ts` transcripts (pydub, milliseconds)


def numbered(frames: int) -> np.ndarray:
    return (np.arange(frames) % 30000).astype(np.int16)


def test_spans_are_cut_and_joined():
    samples = numbered(48000)
    cut = audio.cut_spans(samples, [(0.5, 1.0), (2.0, 2.75)])
    assert np.array_equal(cut, np.concatenate([samples[8000:16000], samples[32000:44000]]))
    assert audio.cut_length([(0.5, 1.0), (2.0, 2.75)], 48000) == len(cut) == 20000


def test_span_ends_are_truncated_from_milliseconds_as_pydub_does():
    # 1.001 s is 1000.9999999999999 ms in floating point: pydub takes sample 16015, not 16016.
    assert audio.span_bounds([(1.001, 2.0)], 48000) == [(16015, 32000)]
    cut = audio.cut_spans(numbered(48000), [(1.001, 2.0)])
    assert len(cut) == 15985 and cut[0] == 16015


def test_spans_that_already_add_up_to_the_file_leave_it_whole():
    samples = numbered(48000)  # 3.0 s
    assert np.array_equal(audio.cut_spans(samples, [(0.0, 1.5), (1.5, 2.99)]), samples)
    assert audio.cut_length([(0.0, 1.5), (1.5, 2.99)], 48000) == 48000
    assert len(audio.cut_spans(samples, [(0.0, 1.5), (1.6, 2.9)])) == 24000 + 20800


def test_a_span_past_the_end_stops_at_the_end_and_is_named():
    samples = numbered(48000)
    cut = audio.cut_spans(samples, [(0.0, 0.5), (2.5, 9.0)])
    assert np.array_equal(cut, np.concatenate([samples[:8000], samples[40000:]]))
    assert audio.overruns([(0.0, 0.5), (2.5, 9.0)], 48000) == [(2.5, 9.0)]
    assert audio.overruns([(0.0, 0.5), (2.5, 3.0)], 48000) == []


def test_rounding_to_whole_milliseconds_pads_the_last_span_with_silence():
    samples = numbered(47995)  # 2999.6875 ms, which pydub calls 3000 ms: 5 samples past the end
    cut = audio.cut_spans(samples, [(0.1, 0.2), (2.9, 3.5)])
    assert len(cut) == 1600 + 1600 == audio.cut_length([(0.1, 0.2), (2.9, 3.5)], 47995)
    assert np.array_equal(cut[1600:1600 + 1595], samples[46400:])
    assert not cut[-5:].any()
