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
from sapsoup.validate.normalize import normalize_reference

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
        ref1.append(normalize_reference(text, True))
        ref2.append(normalize_reference(text, False))
        meta.append(f"{name}\tS1\tParkinson's Disease\tNovel Sentences\t{len(audio) / RATE:.3f}")
    for suffix, lines in ((".tsv", tsv), (".ref1", ref1), (".ref2", ref2), (".meta.tsv", meta)):
        (folder / "manifest" / f"{split}{suffix}").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def tiny(tiny_en_pt):
    return decoding.load_model(tiny_en_pt, device="cpu")


@pytest.fixture(scope="module")
def dev(tmp_path_factory, clean_speech):
    folder = tmp_path_factory.mktemp("devscore") / "dev"
    return devscore.load_dev(write_dev(folder, [*clean_speech[:3], long_audio(clean_speech)]))


# ----------------------------------------------------------------------------- batched decoding


def test_the_first_window_is_padded_in_the_log_mel_domain_as_transcribe_does(tiny, clean_speech):
    from whisper.audio import N_SAMPLES, log_mel_spectrogram, pad_or_trim

    audio = clean_speech[0][1]
    window = decoding.first_window(tiny, audio, torch.float32)
    frames = len(audio) // 160
    assert window.shape == (80, 3000)
    assert torch.all(window[:, frames + 1 :] == 0)  # zeros in the log-mel, not the log-mel of zeros
    padded_audio = log_mel_spectrogram(pad_or_trim(audio, N_SAMPLES), 80)
    assert not torch.allclose(window, padded_audio)


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


# ----------------------------------------------------------------------------- scoring


def test_score_is_the_validators_sapc1_wer_of_the_post_processed_lines(tiny, dev):
    from sapsoup.validate import scoring

    result = devscore.score_model(tiny, dev)
    expected = scoring.score_sapc1(result.hypotheses, dev.split.ref1, dev.split.ref2)
    assert result.wer == expected.wer and result.n_utterances == len(dev.audios)
    assert result.wer < 50  # clean speech: tiny.en hears most words


def test_wer_of_long_utterances_counts_only_those_of_30_seconds_or_more(dev):
    from sapsoup.validate import scoring

    lines = [ref for ref in dev.split.ref1]
    lines[3] = "wrong words only here"
    result = devscore.score_lines(lines, dev)
    assert result.n_long == 1
    expected = scoring.score_sapc1(lines[3:4], dev.split.ref1[3:4], dev.split.ref2[3:4]).wer
    assert result.wer_long == expected and result.wer < result.wer_long


def test_the_selection_wer_is_the_wer_the_archive_gets_on_the_organisers_command(tiny_en_pt, dev, tmp_path):
    from test_submission_runs import one_thread, run_organisers_command, unpack

    from sapsoup.builder.archive import build_archive
    from sapsoup.validate import scoring

    archive = str(tmp_path / "submission.zip")
    build_archive(tiny_en_pt, archive, "sapc1")
    root = unpack(archive, tmp_path / "ROOT")
    run = run_organisers_command(root, "dev", dev.split.dev_dir / "data", dev.split.dev_dir / "manifest")
    archive_wer = scoring.score_sapc1(run.lines, dev.split.ref1, dev.split.ref2).wer
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


def test_the_cache_key_changes_with_weights_dev_set_and_decoding_options():
    base = devscore.cache_key("w", "d", devscore.ScoringOptions())
    assert devscore.cache_key("w2", "d", devscore.ScoringOptions()) != base
    assert devscore.cache_key("w", "d2", devscore.ScoringOptions()) != base
    assert devscore.cache_key("w", "d", devscore.ScoringOptions(beam_size=5)) != base
    assert devscore.cache_key("w", "d", devscore.ScoringOptions(weights_dtype="fp16")) != base
    assert devscore.cache_key("w", "d", devscore.ScoringOptions(postprocess={"numbers": False})) != base
    assert devscore.cache_key("w", "d", devscore.ScoringOptions(batch_size=1)) == base  # same text


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
    tensors = {"a": torch.tensor([1.0 + 2**-20, 3.0]), "model.encoder.embed_positions.weight": torch.tensor([1.0 + 2**-20])}
    devscore.round_to_dtype(tensors, "fp16")
    assert tensors["a"].tolist() == [1.0, 3.0] and tensors["a"].dtype == torch.float32
    assert tensors["model.encoder.embed_positions.weight"].item() == 1.0 + 2**-20  # kept fp32 when written


def test_two_workers_give_exactly_the_text_of_one(tiny, dev):
    from test_submission_runs import one_thread

    with one_thread():  # one thread per worker below, so every sum runs in the same order
        alone = devscore.score_model(tiny, dev, devscore.ScoringOptions(workers=1))
        split = devscore.score_model(tiny, dev, devscore.ScoringOptions(workers=2))
    assert split.hypotheses == alone.hypotheses and split.wer == alone.wer
