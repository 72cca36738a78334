"""Dev scoring for selection: batched decoding that gives one-at-a-time text, the validator's WER, a cache.

Real tiny.en on eSpeak NG speech: batching must not change a single word, and the WER that selection
optimises must be the WER of the built archive as the organisers' command runs it.
"""

from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from sapsoup.submission import decoding
from sapsoup.validate import devscore
from sapsoup.editions import sapc1

RATE = 16000


def long_audio(clean_speech):
    """Two sentences 29 s apart: over 30 s, so `transcribe` decodes a second window."""
    (first_text, first), (second_text, second) = clean_speech[0], clean_speech[1]
    audio = np.concatenate([first, np.zeros(29 * RATE, np.float32), second])
    return f"{first_text} {second_text}", audio


def write_dev(folder, utterances, split="dev"):
    """A prepared dev folder (the layout `sapsoup dev prepare` writes) from (text, audio) pairs."""
    folder = Path(folder)
    (folder / "manifest").mkdir(parents=True)
    (folder / "data" / split).mkdir(parents=True)
    tsv, ref1, ref2 = [str(folder / "data" / split)], [], []
    meta = ["id\tspeaker\tetiology\tcategory\tduration"]
    for index, (text, audio) in enumerate(utterances):
        name = f"u{index:03d}"
        soundfile.write(folder / "data" / split / f"{name}.wav", audio, RATE, subtype="PCM_16")
        tsv.append(f"{split}/{name}.wav\t{len(audio)}")
        ref1.append(sapc1.reference(text, remove_parentheses=False))
        ref2.append(sapc1.reference(text, remove_parentheses=True))
        meta.append(f"{name}\tS1\tParkinson's Disease\tNovel Sentences\t{len(audio) / RATE:.3f}")
    for suffix, lines in ((".tsv", tsv), (".ref1", ref1), (".ref2", ref2), (".meta.tsv", meta)):
        (folder / "manifest" / f"{split}{suffix}").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    write_sapc2_manifest(folder, split, [(f"u{i:03d}", text) for i, (text, _) in enumerate(utterances)])
    return folder


def write_sapc2_manifest(folder, split, rows):
    """DEV/manifest/SPLIT.csv, the SAPC2 manifest, with both normalised references of each (id, text)."""
    import csv

    from sapsoup.editions import sapc2_normalizer

    with open(Path(folder) / "manifest" / f"{split}.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "audio_filepath", "norm_text_with_disfluency", "norm_text_without_disfluency"])
        for uid, text in rows:
            writer.writerow([uid, f"{split}/{uid}.wav", sapc2_normalizer.reference(text, False),
                             sapc2_normalizer.reference(text, True)])


@pytest.fixture(scope="module")
def tiny(tiny_en_pt):
    return decoding.load_model(tiny_en_pt, device="cpu")


@pytest.fixture(scope="module")
def dev(tmp_path_factory, clean_speech):
    folder = tmp_path_factory.mktemp("devscore") / "dev"
    return devscore.load_dev(write_dev(folder, [*clean_speech[:3], long_audio(clean_speech)]))


# ----------------------------------------------------------------------------- batched decoding


class Recorder:
    """A model stand-in for `whisper.transcribe` that keeps every window it is asked to decode."""

    def __init__(self, model):
        self.model, self.windows, self.results = model, [], []

    def __getattr__(self, name):
        return getattr(self.model, name)

    def decode(self, segment, options):
        result = self.model.decode(segment, options)
        self.windows.append(decoding._Window(len(self.windows), segment, options))
        self.results.append(result)
        return result


def transcribe_windows(model, audios, beam_size=None):
    """Every window `transcribe` decodes for `audios`, one at a time, with whisper's own results."""
    import whisper

    recorder = Recorder(model)
    for audio in audios:
        whisper.transcribe(recorder, audio, **decoding.transcribe_options(model, beam_size))
    return recorder.windows, recorder.results


def assert_same_results(batched, alone):
    """Same tokens and text; the scores agree to float32 rounding (a batch rounds its sums differently)."""
    for got, expected in zip(batched, alone, strict=True):
        assert (got.tokens, got.text, got.language, got.temperature) == (
            expected.tokens, expected.text, expected.language, expected.temperature)
        assert got.compression_ratio == expected.compression_ratio
        assert got.avg_logprob == pytest.approx(expected.avg_logprob, rel=1e-5, abs=1e-6)
        assert got.no_speech_prob == pytest.approx(expected.no_speech_prob, rel=1e-5, abs=1e-6)
        assert torch.equal(got.audio_features, expected.audio_features)


@pytest.mark.parametrize("beam_size", [None, 2])
def test_a_round_of_windows_decodes_as_whisper_decodes_each_window_alone(tiny, clean_speech, beam_size):
    audios = [audio for _, audio in clean_speech] + [long_audio(clean_speech)[1]]
    windows, alone = transcribe_windows(tiny, audios, beam_size)
    assert sum(bool(window.options.prompt) for window in windows) >= 1  # a continuation window too
    assert_same_results(decoding.decode_windows(tiny, windows, batch_size=8), alone)


@pytest.mark.parametrize("beam_size", [None, 3])
def test_windows_whose_prompts_differ_but_have_one_length_share_a_batch(tiny, clean_speech, beam_size):
    from dataclasses import replace

    from whisper.tokenizer import get_tokenizer

    tokenizer = get_tokenizer(False)
    windows, _ = transcribe_windows(tiny, [audio for _, audio in clean_speech[:3]], beam_size)
    prompts = [tokenizer.encode(" " + text)[:5] for text, _ in clean_speech[1:4]]
    windows = [decoding._Window(rank, window.segment, replace(window.options, prompt=prompt))
               for rank, (window, prompt) in enumerate(zip(windows, prompts))]
    tasks = []
    original = decoding._WindowTask.run_rows

    def run_rows(task, features, initial_tokens):
        tasks.append(len(initial_tokens))
        return original(task, features, initial_tokens)

    decoding._WindowTask.run_rows = run_rows
    try:
        batched = decoding.decode_windows(tiny, windows, batch_size=9)
    finally:
        decoding._WindowTask.run_rows = original
    assert tasks == [3]  # one batch for the three prompts
    assert_same_results(batched, [tiny.decode(window.segment, window.options) for window in windows])


def test_a_batch_gives_exactly_the_text_of_one_utterance_at_a_time(tiny, clean_speech):
    noise = np.random.default_rng(0).normal(0, 0.05, 2 * RATE).astype(np.float32)
    audios = [audio for _, audio in clean_speech[2:]] + [long_audio(clean_speech)[1], noise]
    alone = [decoding.transcribe(tiny, audio) for audio in audios]
    batched = decoding.transcribe_many(tiny, audios, batch_size=3)
    assert batched == alone
    assert "kitchen" in alone[2].lower()  # the long one was decoded past its first window


def test_a_batch_with_beam_search_gives_exactly_the_text_of_one_utterance_at_a_time(tiny, clean_speech):
    audios = [audio for _, audio in clean_speech[1:3]]
    alone = [decoding.transcribe(tiny, audio, beam_size=2) for audio in audios]
    assert decoding.transcribe_many(tiny, audios, beam_size=2, batch_size=2) == alone


def test_transcribe_many_reports_progress_for_every_utterance(tiny, clean_speech):
    done = []
    decoding.transcribe_many(tiny, [audio for _, audio in clean_speech[1:4]], batch_size=2, on_done=done.append)
    assert done == [2, 1]


def test_transcribe_many_of_nothing_and_of_a_clip_too_short_for_one_frame(tiny):
    assert decoding.transcribe_many(tiny, []) == []
    short = np.zeros(100, np.float32)
    assert decoding.transcribe_many(tiny, [short]) == [decoding.transcribe(tiny, short)]


def test_an_error_in_one_utterance_ends_every_loop_and_is_raised(tiny, clean_speech, monkeypatch):
    import threading

    import whisper

    real = whisper.transcribe
    bad = clean_speech[1][1]

    def transcribe(model, audio, **options):
        if audio.shape == bad.shape and np.array_equal(audio, bad):
            raise ValueError("this utterance cannot be decoded")
        return real(model, audio, **options)

    monkeypatch.setattr(whisper, "transcribe", transcribe)
    before = threading.active_count()
    with pytest.raises(ValueError, match="cannot be decoded"):
        decoding.transcribe_many(tiny, [audio for _, audio in clean_speech], batch_size=4)
    assert threading.active_count() == before  # no loop thread is left waiting


def test_a_decoding_error_ends_every_loop_and_is_raised(tiny, clean_speech, monkeypatch):
    import threading

    def fail(model, windows, batch_size=8):
        raise MemoryError("out of memory")

    monkeypatch.setattr(decoding, "decode_windows", fail)
    before = threading.active_count()
    with pytest.raises(MemoryError):
        decoding.transcribe_many(tiny, [audio for _, audio in clean_speech], batch_size=3)
    assert threading.active_count() == before


# ----------------------------------------------------------------------------- scoring


def test_score_is_the_validators_sapc1_wer_of_the_post_processed_lines(tiny, dev):
    result = devscore.score_model(tiny, dev)
    expected = sapc1.score_sapc1(result.hypotheses, dev.split.ref1, dev.split.ref2)
    assert result.wer == expected.wer and result.n_utterances == len(dev.audios)
    assert result.wer < 50  # clean speech: tiny.en hears most words


def test_wer_of_long_utterances_counts_only_those_of_30_seconds_or_more(dev):
    lines = [ref for ref in dev.split.ref1]
    lines[3] = "wrong words only here"
    result = devscore.score_lines(lines, dev)
    assert result.n_long == 1
    expected = sapc1.score_sapc1(lines[3:4], dev.split.ref1[3:4], dev.split.ref2[3:4]).wer
    assert result.wer_long == expected and result.wer < result.wer_long


def test_the_selection_wer_is_the_wer_the_archive_gets_on_the_organisers_command(tiny_en_pt, dev, tmp_path):
    from test_submission_runs import one_thread, run_organisers_command, unpack

    from sapsoup.builder.archive import build_archive

    archive = str(tmp_path / "submission.zip")
    build_archive(tiny_en_pt, archive, "sapc1")
    root = unpack(archive, tmp_path / "ROOT")
    run = run_organisers_command(root, "dev", dev.split.dev_dir / "data", dev.split.dev_dir / "manifest")
    archive_wer = sapc1.score_sapc1(run.lines, dev.split.ref1, dev.split.ref2).wer
    with one_thread():  # the archive's child runs one thread; sums in the same order give the same text
        ours = devscore.score_model(decoding.load_model(tiny_en_pt, device="cpu"), dev)
    assert ours.hypotheses == run.lines
    assert ours.wer == archive_wer


def test_an_empty_dev_split_is_an_error_naming_the_manifest(tmp_path):
    write_dev(tmp_path / "dev", [])
    with pytest.raises(devscore.DevScoreError, match=r"dev\.tsv: the split has no utterances"):
        devscore.load_dev(tmp_path / "dev")


def test_a_missing_dev_folder_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(devscore.DevScoreError, match="dev.tsv"):
        devscore.load_dev(tmp_path / "nowhere")


# ----------------------------------------------------------------------------- the cache


def test_a_single_candidates_score_is_cached_and_reused(tiny_en_pt, dev, tmp_path):
    from sapsoup.builder.checkpoints import open_checkpoint

    cache = devscore.ScoreCache(str(tmp_path / "cache"))
    first = devscore.DevEvaluator(dev, cache=cache, device="cpu")
    scored = first.evaluate_single(open_checkpoint(tiny_en_pt))
    second = devscore.DevEvaluator(dev, cache=cache, device="cpu")
    again = second.evaluate_single(open_checkpoint(tiny_en_pt))
    assert (first.decoded, second.decoded, second.cached) == (1, 0, 1)
    assert again == scored


def test_the_cache_key_changes_with_weights_dev_set_edition_and_decoding_options():
    from sapsoup.submission.decoding import DecodingSettings

    options = devscore.ScoringOptions()
    base = devscore.cache_key("w", "d", options, "sapc1")
    assert devscore.cache_key("w2", "d", options, "sapc1") != base
    assert devscore.cache_key("w", "d2", options, "sapc1") != base
    assert devscore.cache_key("w", "d", options, "sapc2") != base
    assert devscore.cache_key("w", "d", devscore.ScoringOptions(DecodingSettings(beam_size=5)), "sapc1") != base
    assert devscore.cache_key("w", "d", devscore.ScoringOptions(DecodingSettings(length_penalty=1.0)), "sapc1") != base
    assert devscore.cache_key("w", "d", devscore.ScoringOptions(weights_dtype="fp16"), "sapc1") != base
    assert devscore.cache_key("w", "d", devscore.ScoringOptions(postprocess={"numbers": False}), "sapc1") != base
    assert devscore.cache_key("w", "d", devscore.ScoringOptions(batch_size=1), "sapc1") == base  # same text


def test_the_scoring_options_hold_the_archives_decoding_settings_and_its_length_penalty():
    from sapsoup.submission.decoding import LENGTH_PENALTY, DecodingSettings

    options = devscore.ScoringOptions()
    assert options.decoding == DecodingSettings() and options.decoding.length_penalty == LENGTH_PENALTY
    assert options.key_dict()["decoding"] == DecodingSettings().to_dict()


def test_a_damaged_cache_entry_is_a_miss_not_a_score(tmp_path):
    cache = devscore.ScoreCache(str(tmp_path))
    Path(cache.path("k")).write_text("{not json", encoding="utf-8")
    assert cache.get("k") is None


def test_the_dev_fingerprint_changes_when_a_reference_changes(dev, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dev.split.dev_dir, copy)
    before = devscore.load_dev(copy).fingerprint
    ref1 = copy / "manifest" / "dev.ref1"
    lines = ref1.read_text(encoding="utf-8").splitlines()
    ref1.write_text("\n".join(["another reference"] + lines[1:]) + "\n", encoding="utf-8")
    assert devscore.load_dev(copy).fingerprint != before


def test_a_merge_is_scored_as_it_will_be_written(dev):
    tensors = {"a": np.array([1.0 + 2**-20, 3.0], np.float32), "model.encoder.embed_positions.weight": np.array([1.0 + 2**-20], np.float32)}
    devscore.round_to_dtype(tensors, "fp16")
    assert tensors["a"].tolist() == [1.0, 3.0] and tensors["a"].dtype == np.float32
    assert tensors["model.encoder.embed_positions.weight"].item() == 1.0 + 2**-20  # kept fp32 when written


# ----------------------------------------------------------------------------- the editions


def test_sapc2_dev_scores_are_the_editions_cer_then_wer_of_the_post_processed_lines(dev):
    from sapsoup.editions import sapc2

    dev2 = devscore.load_dev(dev.split.dev_dir, "dev", "sapc2")
    lines = ["the weather is nice", "", "she reads a book every night", "wrong words"]
    result = devscore.score_lines(lines, dev2)
    expected = sapc2.EDITION.score(lines, dev2.ref1, dev2.ref2)
    assert result.metric == "CER" and list(result.rates) == ["CER", "WER"]
    assert result.rate == expected.rates["CER"] and result.rates == expected.rates
    assert result.utterance_errors == [u.errors for u in expected.utterances]  # characters, per utterance
    assert dev2.fingerprint != dev.fingerprint and dev2.metrics == ("CER", "WER") and dev.metrics == ("WER",)


def test_each_utterances_length_bound_is_its_longer_reference_in_the_primary_metrics_units(dev):
    dev2 = devscore.load_dev(dev.split.dev_dir, "dev", "sapc2")
    assert dev.bounds == [float(max(len(a.split()), len(b.split()))) for a, b in zip(dev.ref1, dev.ref2)]
    assert dev2.bounds == [float(max(len(a), len(b))) for a, b in zip(dev2.ref1, dev2.ref2)]  # characters


def test_an_unk_reference_has_no_length_bound_since_the_hypothesis_can_lengthen_it():
    from sapsoup.editions import sapc2

    bounds = devscore.length_bounds(sapc2.EDITION, ["i saw unk there", "a b"], ["i saw unk there", "a b c"])
    assert bounds == [None, 5.0]
    longer = sapc2.EDITION.score(["i saw elephants there"], ["i saw unk there"], ["i saw unk there"])
    assert longer.utterances[0].length > len("i saw unk there")  # why: `unk` became the hypothesis' word


def test_a_missing_sapc2_manifest_is_an_error_naming_it(dev, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dev.split.dev_dir, copy)
    (copy / "manifest" / "dev.csv").unlink()
    with pytest.raises(devscore.DevScoreError, match=r"dev\.csv: missing"):
        devscore.load_dev(copy, "dev", "sapc2")
