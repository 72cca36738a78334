"""eSpeak NG synthesis and the dysarthria-like perturbations (sapsoup.demo.speech)."""

import os
import stat
import sys

import numpy as np
import pytest

from sapsoup.demo import prompts, speech

SENTENCE = "the quick brown fox jumps over the lazy dog near the river bank"


def words_of(text):
    return [(word, word) for word in text.split()]


def dominant_hz(audio, rate):
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return np.fft.rfftfreq(len(audio), 1 / rate)[np.argmax(spectrum)]


def test_synthesize_clean_returns_16khz_float_audio_of_speech_length():
    audio = speech.synthesize_clean("Please turn on the kitchen lights.")
    assert audio.dtype == np.float32
    assert 1.0 < len(audio) / speech.SAMPLE_RATE < 4.0
    assert 0.05 < np.max(np.abs(audio)) <= 1.0


def test_same_text_and_voice_synthesise_identical_samples_whatever_was_spoken_before():
    first = speech.synthesize_clean("Set a timer for ten minutes.", "en-us+f3")
    speech.synthesize_clean("Something else entirely, with another voice.", "en-us+m7")
    second = speech.synthesize_clean("Set a timer for ten minutes.", "en-us+f3")
    assert np.array_equal(first, second)


def test_every_listed_voice_speaks_and_voices_differ():
    samples = [speech.synthesize_clean("Hello there.", voice) for voice in speech.VOICES]
    assert all(len(audio) > 0.3 * speech.SAMPLE_RATE for audio in samples)
    fingerprints = {audio.tobytes() for audio in samples}
    assert len(fingerprints) == len(speech.VOICES)


def test_slower_rate_gives_longer_audio():
    fast = speech.synthesize_clean(SENTENCE, rate_wpm=200)
    slow = speech.synthesize_clean(SENTENCE, rate_wpm=100)
    assert len(slow) > 1.6 * len(fast)


def test_unknown_voice_is_a_one_line_error_naming_the_voice():
    with pytest.raises(speech.SynthesisError, match="no voice 'xx-nonsense'") as caught:
        speech.synthesize_clean("hello", "xx-nonsense")
    assert "\n" not in str(caught.value)


def test_empty_text_is_an_error():
    with pytest.raises(speech.SynthesisError, match="empty text"):
        speech.synthesize_clean("   ")


def test_missing_library_and_program_is_a_clear_error_naming_the_library(monkeypatch, tmp_path):
    missing = str(tmp_path / "libespeak-ng.so")
    monkeypatch.setattr(speech, "_loader_paths", lambda: (missing, str(tmp_path)))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(speech.SynthesisError) as caught:
        speech.synthesize_clean("hello")
    message = str(caught.value)
    assert missing in message and "no espeak-ng program on PATH" in message and "\n" not in message


FAKE_PROGRAM = """#!{python}
# A stand-in for espeak-ng: logs its arguments and writes a 22050 Hz WAV to stdout the way the
# real program does on a pipe (RIFF and data sizes left as placeholders).
import math, struct, sys
text = sys.stdin.read()
open({log!r}, "a").write(" ".join(sys.argv[1:]) + "|" + text + "\\n")
rate = 22050
samples = [int(8000 * math.sin(2 * math.pi * 300 * i / rate)) for i in range(rate // 2)]
header = b"RIFF" + struct.pack("<I", 0x7FFFFFFF) + b"WAVE"
header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
header += b"data" + struct.pack("<I", 0x7FFFFFFF)
sys.stdout.buffer.write(header + struct.pack("<%dh" % len(samples), *samples))
"""


def test_missing_library_falls_back_to_the_espeak_ng_program(monkeypatch, tmp_path):
    log = tmp_path / "calls.log"
    program = tmp_path / "espeak-ng"
    program.write_text(FAKE_PROGRAM.format(python=sys.executable, log=str(log)))
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(speech, "_loader_paths", lambda: (str(tmp_path / "missing.so"), str(tmp_path)))
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    audio = speech.synthesize_clean("hello world", "en-us+f2", rate_wpm=120, pitch=40)
    assert abs(len(audio) / speech.SAMPLE_RATE - 0.5) < 0.01
    assert abs(dominant_hz(audio, speech.SAMPLE_RATE) - 300) < 5
    arguments, text = log.read_text().strip().split("|")
    assert arguments.split() == ["--stdout", "--stdin", "-v", "en-us+f2", "-s", "120", "-p", "40"]
    assert text == "hello world"


def test_program_output_that_is_not_wav_is_rejected():
    with pytest.raises(speech.SynthesisError, match="espeak-ng: output is not a WAV stream"):
        speech._parse_wav_stream(b"oops", "espeak-ng")


def test_resampling_keeps_a_tone_at_its_frequency():
    rate = 22050
    tone = np.sin(2 * np.pi * 440 * np.arange(rate) / rate)
    out = speech.resample(tone, rate)
    assert abs(len(out) - speech.SAMPLE_RATE) <= 1
    assert abs(dominant_hz(out, speech.SAMPLE_RATE) - 440) < 2
    assert abs(np.sqrt(np.mean(out[1000:-1000] ** 2)) - np.sqrt(0.5)) < 0.02


def test_resampling_removes_tones_above_the_new_nyquist_frequency():
    rate = 22050
    t = np.arange(rate) / rate
    high = np.sin(2 * np.pi * 9500 * t)  # would alias to 6500 Hz at 16 kHz without filtering
    out = speech.resample(high, rate)
    assert np.sqrt(np.mean(out[1000:-1000] ** 2)) < 0.02


def test_faster_playback_speed_raises_the_pitch():
    rate = 22050
    tone = np.sin(2 * np.pi * 400 * np.arange(2 * rate) / rate)
    speed = np.full(speech.SAMPLE_RATE, 1.1)
    out = speech.resample(tone, rate, speed)
    assert abs(dominant_hz(out, speech.SAMPLE_RATE) - 440) < 3


def test_pitch_wobble_swings_by_the_tremor_depth_around_one():
    rng = np.random.default_rng(0)
    speed = speech.pitch_wobble(3 * speech.SAMPLE_RATE, 0.04, 5.0, 0.0, rng)
    assert abs(speed.mean() - 1.0) < 0.01
    assert 0.035 < speed.max() - 1.0 <= 0.041


def test_noise_is_added_at_the_requested_signal_to_noise_ratio():
    rng = np.random.default_rng(1)
    t = np.arange(2 * speech.SAMPLE_RATE) / speech.SAMPLE_RATE
    tone = 0.5 * np.sin(2 * np.pi * 300 * t)
    noisy = speech.add_noise(tone, 20.0, rng)
    noise = noisy - tone
    snr = 20 * np.log10(np.sqrt(np.mean(tone**2)) / np.sqrt(np.mean(noise**2)))
    assert abs(snr - 20.0) < 0.5


def test_no_noise_when_snr_is_none():
    tone = np.ones(100)
    assert np.array_equal(speech.add_noise(tone, None, np.random.default_rng(0)), tone)


def test_pcm16_conversion_scales_the_peak_and_keeps_silence_silent():
    pcm = speech.to_pcm16(np.array([0.0, 0.25, -0.5]), peak=0.9)
    assert pcm.dtype == np.int16
    assert pcm[2] == -round(0.9 * 32767) and pcm[0] == 0
    assert np.array_equal(speech.to_pcm16(np.zeros(5)), np.zeros(5, dtype=np.int16))


def test_clean_plan_is_the_whole_sentence_at_normal_rate():
    segments = speech.plan_sentence(words_of(SENTENCE), speech.preset("clean"), np.random.default_rng(0))
    assert segments == [speech.Segment(SENTENCE, tuple(SENTENCE.split()), speech.NORMAL_RATE_WPM, speech.NORMAL_PITCH)]


def test_repetitions_and_fillers_are_spoken_and_written_in_parentheses():
    stutter = speech.Perturbation(max_phrase_words=3, repeat_prob=1.0, filler_prob=1.0)
    segments = speech.plan_sentence(words_of("turn on the lights"), stutter, np.random.default_rng(0))
    transcript = speech.transcript_of(segments)
    assert prompts.fluent_transcript(transcript) == "turn on the lights"
    for word in ("turn", "on", "the", "lights"):
        assert f"({word}) {word}" in transcript
    assert "(uh)" in transcript or "(um)" in transcript
    spoken = " ".join(segment.spoken for segment in segments if segment.spoken).split()
    written = [token.strip("()") for token in transcript.split()]
    assert spoken == written  # the audio says exactly what the transcript writes


def test_spelled_letters_and_numbers_are_never_repeated():
    stutter = speech.Perturbation(repeat_prob=1.0)
    words = [("~T", "T"), ("~V", "V"), ("forty-two", "forty-two"), ("channel.", "channel.")]
    transcript = speech.transcript_of(speech.plan_sentence(words, stutter, np.random.default_rng(0)))
    assert transcript == "~T ~V forty-two (channel) channel."


def test_pauses_are_inserted_between_phrases_only():
    choppy = speech.Perturbation(max_phrase_words=1, pause_prob=1.0, pause_seconds=(0.5, 0.5))
    segments = speech.plan_sentence(words_of("one two three"), choppy, np.random.default_rng(0))
    kinds = ["pause" if not segment.spoken else "say" for segment in segments]
    assert kinds == ["say", "pause", "say", "pause", "say"]
    assert all(segment.pause == 0.5 for segment in segments if not segment.spoken)


@pytest.mark.parametrize("severity", ["mild", "moderate", "severe"])
def test_more_severe_speech_is_slower_than_clean(severity):
    durations = {}
    for level in ("clean", severity):
        perturbation = speech.preset(level)
        rng = np.random.default_rng(5)
        segments = speech.plan_sentence(words_of(SENTENCE), perturbation, rng)
        with speech.EspeakSession("en-us", 1) as tts:
            durations[level] = len(speech.render(segments, tts, perturbation, rng))
    assert durations[severity] > 1.15 * durations["clean"]


def test_severity_presets_grow_worse_in_order():
    levels = [speech.preset(name) for name in speech.SEVERITIES]
    for milder, worse in zip(levels[1:], levels[2:]):
        assert worse.rate_wpm < milder.rate_wpm
        assert worse.pause_prob > milder.pause_prob
        assert worse.tremor_depth > milder.tremor_depth
        assert worse.snr_db < milder.snr_db


def test_unknown_severity_is_an_error():
    with pytest.raises(speech.SynthesisError, match="unknown severity 'awful'"):
        speech.preset("awful")


def test_finish_pads_adds_noise_and_returns_pcm16():
    rng = np.random.default_rng(2)
    speech_part = 1000 * np.sin(np.arange(speech.SAMPLE_RATE) / 5.0)
    pcm = speech.finish(speech_part, speech.preset("moderate"), rng, lead_seconds=0.5, tail_seconds=0.5)
    assert pcm.dtype == np.int16 and len(pcm) == 2 * speech.SAMPLE_RATE
    rms = lambda part: np.sqrt(np.mean(part.astype(np.float64) ** 2))  # noqa: E731
    lead, spoken = pcm[: speech.SAMPLE_RATE // 2], pcm[speech.SAMPLE_RATE // 2: -speech.SAMPLE_RATE // 2]
    assert 0 < rms(lead) < 0.15 * rms(spoken)  # quiet room noise (20 dB down) before the speech


def test_a_nested_session_in_the_same_thread_is_refused_not_deadlocked():
    with speech.EspeakSession("en-us"):
        with pytest.raises(speech.SynthesisError, match="already open"):
            speech.synthesize_clean("hello")
    assert len(speech.synthesize_clean("hello")) > 0  # the lock was released


def test_a_broken_voice_data_folder_is_an_error_not_an_exit(monkeypatch, tmp_path):
    import espeakng_loader

    (tmp_path / "phontab").write_bytes(b"not phoneme data")
    monkeypatch.setattr(speech, "_loader_paths", lambda: (espeakng_loader.get_library_path(), str(tmp_path)))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(speech.SynthesisError, match=f"{tmp_path}: eSpeak NG could not initialise"):
        speech.synthesize_clean("hello")
    monkeypatch.undo()
    assert len(speech.synthesize_clean("hello")) > 0  # a failed load leaves no state behind
