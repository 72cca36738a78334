"""`sapsoup demo finetune`: labels, training set, hyper-parameter draws, checkpoints, resuming, bad input.

Most behaviour is checked on a small random Whisper (fast); one test trains the real tiny.en on
eSpeak speech to check that labels line up with what the real model expects.
"""

import json
import os
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from click.testing import CliRunner

from sapsoup.demo import finetune as ft
from sapsoup.builder.layout import WhisperShape
from sapsoup.builder.tokenizer import build_hf_tokenizer, whisper_tokenizer, write_processor
from sapsoup.cli import main
from conftest import SMALL, random_tensors, save_hf

# ----------------------------------------------------------------------------------------------
# A hand-made corpus in the SAP layout (no speech synthesis: the audio is quiet noise)


def write_speaker(root: Path, speaker_id: str, utterances, sample_rate=16000):
    """`utterances`: (transcript, seconds) pairs, or (transcript, audio array) pairs."""
    folder = root / speaker_id
    folder.mkdir(parents=True)
    files = []
    for number, (transcript, audio) in enumerate(utterances, start=1):
        if np.isscalar(audio):
            audio = np.random.default_rng(number).normal(0, 0.01, int(audio * sample_rate)).astype(np.float32)
        name = f"{speaker_id}_{number:04d}.wav"
        soundfile.write(folder / name, audio, sample_rate, subtype="PCM_16")
        files.append({"Filename": name, "Prompt": {"Prompt Text": transcript, "Transcript": transcript,
                                                   "Category Description": "Digital Assistant Commands",
                                                   "Sub Category Description": "Smart Home"}})
    (folder / f"{speaker_id}.json").write_text(json.dumps(
        {"Contributor ID": speaker_id, "Etiology": "Parkinson's Disease", "Files": files}))


def write_corpus(root: Path, train: dict, dev: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for speaker_id, utterances in {**train, **dev}.items():
        write_speaker(root, speaker_id, utterances)
    (root / "splits.json").write_text(json.dumps({"train": list(train), "dev": list(dev)}))
    return root


def four_utterance_corpus(root):
    return write_corpus(root, train={
        "spk-a": [("Turn on the (uh) lights.", 0.6), ("Set a timer for ten minutes.", 0.5)],
        "spk-b": [("(I) I like the ~T ~V show.", 0.5), ("What time is it?", 0.4)],
    }, dev={"spk-c": [("Dev only words.", 0.5)]})


@pytest.fixture
def corpus(tmp_path):
    """A corpus a test may damage."""
    return four_utterance_corpus(tmp_path / "corpus")


@pytest.fixture(scope="module")
def shared_corpus(tmp_path_factory):
    """The same corpus, shared read-only by the tests of this module."""
    return four_utterance_corpus(tmp_path_factory.mktemp("shared") / "corpus")


# The small random Whisper of conftest with a 3-s audio window instead of 30 s: its encoder reads
# 300 log-mel frames, so a training step takes a fraction of a second. (The real tiny.en test below
# trains on the real 30-s window.)
SHORT = replace(SMALL, n_audio_ctx=150)


@pytest.fixture(scope="module")
def small_base(tmp_path_factory):
    """A small random Whisper as a complete Hugging Face folder (weights and processor files)."""
    from transformers import WhisperFeatureExtractor, WhisperProcessor

    folder = tmp_path_factory.mktemp("small-base") / "hf"
    save_hf(folder, random_tensors(SHORT), SHORT)
    write_processor(str(folder), SHORT)
    extractor = WhisperFeatureExtractor(feature_size=SHORT.n_mels, chunk_length=3)
    WhisperProcessor(feature_extractor=extractor, tokenizer=build_hf_tokenizer(SHORT)).save_pretrained(folder)
    return str(folder)


def settings(base, **changes):
    values = dict(base=base, runs=2, steps=4, save_every=2, batch_size=2, seed=0)
    values.update(changes)
    return ft.FinetuneSettings(**values)


@pytest.fixture(scope="module")
def reference(shared_corpus, small_base, tmp_path_factory):
    """Two runs of four steps, trained once and only read by the tests: (runs folder, summary)."""
    runs = tmp_path_factory.mktemp("reference") / "runs"
    return runs, ft.finetune(shared_corpus, runs, settings(small_base))


def weights(folder):
    from safetensors.torch import load_file

    return load_file(os.path.join(folder, "model.safetensors"))


def same_weights(a, b):
    first, second = weights(a), weights(b)
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


# ----------------------------------------------------------------------------------------------
# Labels


def test_label_keeps_the_words_of_parenthesised_disfluencies():
    assert ft.label_text("(I) I usually (uh) wake up (the) the cat.") == "I I usually uh wake up the the cat."


def test_label_writes_spelled_letters_as_separate_capitals():
    assert ft.label_text("Turn on the ~T ~V.") == "Turn on the T V."
    assert ft.label_text("spell ~a~b") == "spell A B"


def test_label_removes_notes_and_keeps_the_text_of_curly_markup():
    assert ft.label_text("[laughs] I said {x:hello} there") == "I said hello there"


def test_label_keeps_the_content_of_labelled_parentheses():
    assert ft.label_text("(cs: hola) yes please") == "hola yes please"


def test_label_keeps_case_punctuation_and_numbers_as_written():
    assert ft.label_text("Set a timer for 5 minutes, OK?") == "Set a timer for 5 minutes, OK?"


def test_label_leaves_no_space_before_punctuation():
    assert ft.label_text("I fed the cat (uh).") == "I fed the cat uh."


def test_label_turns_curly_apostrophes_straight():
    assert ft.label_text("I\u2019m home") == "I'm home"


@pytest.mark.parametrize("transcript", ["{w:2} the dog", "the {u:mumble} dog", "#ts\n0.0 1.0 hello", "[noise]", "  "])
def test_label_refuses_transcripts_whose_words_cannot_be_written(transcript):
    with pytest.raises(ft.UnusableTranscript):
        ft.label_text(transcript)


def test_label_ids_are_whisper_tokens_between_the_no_timestamps_prefix_and_end_of_text():
    from whisper.tokenizer import get_tokenizer

    shape = WhisperShape(80, 51864, 384, 4, 4, 6, 6, 1536, 1536, 1500, 448)  # tiny.en
    reference = get_tokenizer(multilingual=False)
    ids = ft.label_ids(whisper_tokenizer(shape), "Hello world.")
    assert ids == [reference.sot, reference.no_timestamps, *reference.encode(" Hello world."), reference.eot]
    assert reference.decode(ids[2:-1]) == " Hello world."


# ----------------------------------------------------------------------------------------------
# The training set


def test_training_set_reads_the_train_split_only(corpus):
    train = ft.training_set(corpus)
    assert [e.label for e in train.examples] == [
        "Turn on the uh lights.", "Set a timer for ten minutes.", "I I like the T V show.", "What time is it?"]
    assert all("spk-c" not in str(e.wav_path) for e in train.examples)


def test_utterances_over_30_seconds_are_left_out_with_the_reason(tmp_path):
    corpus = write_corpus(tmp_path / "c", train={"a": [("Short one.", 0.5), ("Long passage.", 30.5), ("Just 30.", 30.0)]},
                          dev={"b": [("Dev.", 0.5)]})
    train = ft.training_set(corpus)
    assert [e.label for e in train.examples] == ["Short one.", "Just 30."]
    assert [(item.wav_path.name, item.reason, item.too_long) for item in train.left_out] == [
        ("a_0002.wav", "30.5 s, over 30 s", True)]


def test_unusable_transcripts_are_left_out_and_listed(tmp_path):
    corpus = write_corpus(tmp_path / "c", train={"a": [("Fine words.", 0.5), ("{w:3} dog", 0.5)]}, dev={"b": [("Dev.", 0.5)]})
    train = ft.training_set(corpus)
    assert len(train.examples) == 1
    assert "unintelligible" in train.left_out[0].reason and not train.left_out[0].too_long


def test_missing_corpus_is_an_error_naming_it(tmp_path):
    with pytest.raises(ft.FinetuneError, match="no-corpus: no such corpus folder"):
        ft.training_set(tmp_path / "no-corpus")


def test_empty_train_split_is_an_error(tmp_path):
    corpus = write_corpus(tmp_path / "c", train={}, dev={"b": [("Dev.", 0.5)]})
    with pytest.raises(ft.FinetuneError, match="the 'train' split has no speakers"):
        ft.training_set(corpus)


def test_a_split_with_nothing_to_train_on_is_an_error(tmp_path):
    corpus = write_corpus(tmp_path / "c", train={"a": [("Too long.", 31.0)]}, dev={"b": [("Dev.", 0.5)]})
    with pytest.raises(ft.FinetuneError, match="none of the 1 train utterances"):
        ft.training_set(corpus)


def test_missing_audio_file_is_an_error_naming_it(corpus):
    os.remove(corpus / "spk-b" / "spk-b_0002.wav")
    with pytest.raises(ft.FinetuneError, match=r"spk-b_0002\.wav: audio file missing"):
        ft.training_set(corpus)


def test_audio_at_another_sample_rate_is_an_error_naming_it(corpus):
    soundfile.write(corpus / "spk-a" / "spk-a_0001.wav", np.zeros(8000, dtype=np.float32), 8000)
    with pytest.raises(ft.FinetuneError, match=r"spk-a_0001\.wav: expected 16 kHz mono, got 8000 Hz"):
        ft.training_set(corpus)


def test_unreadable_audio_is_an_error_naming_it(corpus):
    (corpus / "spk-a" / "spk-a_0002.wav").write_bytes(b"not a wav file")
    with pytest.raises(ft.FinetuneError, match=r"spk-a_0002\.wav: unreadable audio"):
        ft.training_set(corpus)


# ----------------------------------------------------------------------------------------------
# Hyper-parameters, batches, schedule


def test_hyperparameters_fall_in_their_ranges():
    for seed in range(20):
        for run in range(1, 4):
            drawn = asdict(ft.draw_hyperparameters(seed, run))
            assert drawn.keys() == ft.HPARAM_RANGES.keys()
            for name, (low, high) in ft.HPARAM_RANGES.items():
                assert low <= drawn[name] <= high


def test_hyperparameters_depend_only_on_seed_and_run():
    assert ft.draw_hyperparameters(7, 2) == ft.draw_hyperparameters(7, 2)
    assert ft.draw_hyperparameters(7, 2) != ft.draw_hyperparameters(7, 3)
    assert ft.draw_hyperparameters(7, 2) != ft.draw_hyperparameters(8, 2)


def test_each_epoch_visits_every_example_once():
    batches = [ft.batch_indices(10, 5, step, seed=3, run=1) for step in range(1, 7)]
    for epoch in range(3):
        assert sorted(batches[2 * epoch] + batches[2 * epoch + 1]) == list(range(10))
    assert batches[:2] != batches[2:4]  # reshuffled each epoch


def test_learning_rate_decays_linearly_to_zero():
    rates = [ft.learning_rate_at(1e-4, step, 4) for step in range(1, 5)]
    assert rates == pytest.approx([1e-4, 0.75e-4, 0.5e-4, 0.25e-4])


def test_checkpoints_are_saved_every_save_every_steps_and_at_the_last_step():
    assert ft.FinetuneSettings(steps=5, save_every=2).checkpoint_steps() == [2, 4, 5]
    assert ft.FinetuneSettings(steps=3, save_every=10).checkpoint_steps() == [3]


# ----------------------------------------------------------------------------------------------
# Training on a small random model


def test_finetune_writes_hugging_face_checkpoints_every_save_every_steps(reference):
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    runs, summary = reference
    assert sorted(p.name for p in runs.iterdir()) == ["finetune.json", "plan.json", "run-1", "run-2"]
    for k in (1, 2):
        run = runs / f"run-{k}"
        assert sorted(p.name for p in run.iterdir()) == ["checkpoint-2", "checkpoint-4", "hparams.json"]
        hparams = json.loads((run / "hparams.json").read_text())
        assert hparams == {"run": k, "seed": 0, **asdict(ft.draw_hyperparameters(0, k))}
        state = json.loads((run / "checkpoint-4" / "trainer_state.json").read_text())
        assert state["global_step"] == 4 and [e["step"] for e in state["log_history"]] == [1, 2, 3, 4]
        assert state["hyperparameters"] == asdict(ft.draw_hyperparameters(0, k))
    model = WhisperForConditionalGeneration.from_pretrained(runs / "run-1" / "checkpoint-2")
    processor = WhisperProcessor.from_pretrained(runs / "run-1" / "checkpoint-2")
    assert model.config.d_model == SHORT.d_model and processor.tokenizer is not None
    assert [len(run.losses) for run in summary.runs] == [4, 4]
    assert all(np.isfinite(run.losses).all() for run in summary.runs)


def test_run_folders_are_read_by_the_merge_engine(reference):
    from sapsoup.builder.checkpoints import open_checkpoint
    from sapsoup.builder.sources import detect_format, run_checkpoints

    run = str(reference[0] / "run-1")
    assert detect_format(run) == "run"
    found = run_checkpoints(run)
    assert [os.path.basename(p) for p in found] == ["checkpoint-2", "checkpoint-4"]
    checkpoint = open_checkpoint(found[-1])
    assert checkpoint.format == "hf" and checkpoint.step == 4 and checkpoint.shape == SHORT


def test_training_moves_the_weights_and_runs_end_apart(reference, small_base):
    runs = reference[0]
    assert not same_weights(small_base, runs / "run-1" / "checkpoint-2")
    assert not same_weights(runs / "run-1" / "checkpoint-4", runs / "run-2" / "checkpoint-4")


def test_the_same_seed_gives_the_same_weights_whatever_the_number_of_runs(reference, shared_corpus, small_base, tmp_path):
    ft.finetune(shared_corpus, tmp_path / "again", settings(small_base, runs=1))
    assert same_weights(reference[0] / "run-1" / "checkpoint-4", tmp_path / "again" / "run-1" / "checkpoint-4")


def interrupt_after(step_count):
    def on_step(run, step, loss):
        if run == 1 and step == step_count:
            raise KeyboardInterrupt

    return on_step


def test_an_interrupted_run_resumes_to_the_weights_of_an_uninterrupted_one(reference, corpus, small_base, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        ft.finetune(corpus, tmp_path / "cut", settings(small_base, runs=1), on_step=interrupt_after(3))
    assert sorted(p.name for p in (tmp_path / "cut" / "run-1").iterdir()) == ["checkpoint-2", "hparams.json",
                                                                               "resume_state.pt"]
    assert not (tmp_path / "cut" / "finetune.json").exists()
    steps = []
    ft.finetune(corpus, tmp_path / "cut", settings(small_base, runs=1), resume=True,
                on_step=lambda run, step, loss: steps.append(step))
    assert steps == [1, 2, 3, 4]  # 1-2 replayed from the checkpoint's history, 3-4 trained
    assert same_weights(reference[0] / "run-1" / "checkpoint-4", tmp_path / "cut" / "run-1" / "checkpoint-4")
    assert not (tmp_path / "cut" / "run-1" / "resume_state.pt").exists()
    assert (tmp_path / "cut" / "finetune.json").exists()


def test_a_half_written_checkpoint_is_never_taken_as_done(corpus, small_base, tmp_path):
    runs = tmp_path / "runs"
    with pytest.raises(KeyboardInterrupt):
        ft.finetune(corpus, runs, settings(small_base, runs=1), on_step=interrupt_after(3))
    partial = runs / "run-1" / ".checkpoint-4.abc.partial"
    partial.mkdir()
    (partial / "config.json").write_text("{}")
    ft.finetune(corpus, runs, settings(small_base, runs=1), resume=True)
    assert not partial.exists()
    assert json.loads((runs / "run-1" / "checkpoint-4" / "trainer_state.json").read_text())["global_step"] == 4


def test_a_run_without_matching_optimizer_state_starts_again(reference, corpus, small_base, tmp_path):
    runs = tmp_path / "runs"
    with pytest.raises(KeyboardInterrupt):
        ft.finetune(corpus, runs, settings(small_base, runs=1), on_step=interrupt_after(3))
    os.remove(runs / "run-1" / "resume_state.pt")
    steps = []
    ft.finetune(corpus, runs, settings(small_base, runs=1), resume=True, on_step=lambda r, s, l: steps.append(s))
    assert steps == [1, 2, 3, 4]
    assert same_weights(reference[0] / "run-1" / "checkpoint-4", runs / "run-1" / "checkpoint-4")


def test_a_finished_job_resumes_without_training(corpus, small_base, tmp_path):
    first = ft.finetune(corpus, tmp_path / "runs", settings(small_base, runs=1, steps=2))
    calls = []
    again = ft.finetune(corpus, tmp_path / "runs", settings(small_base, runs=1, steps=2), resume=True,
                        on_step=lambda *args: calls.append(args))
    assert again.already_done and calls == []
    assert again.runs[0].checkpoints == first.runs[0].checkpoints
    assert again.runs[0].losses == first.runs[0].losses


def test_a_finished_job_missing_a_checkpoint_trains_it_again(corpus, small_base, tmp_path):
    import shutil

    ft.finetune(corpus, tmp_path / "runs", settings(small_base, runs=1, steps=2))
    shutil.rmtree(tmp_path / "runs" / "run-1" / "checkpoint-2")
    steps = []
    again = ft.finetune(corpus, tmp_path / "runs", settings(small_base, runs=1, steps=2), resume=True,
                        on_step=lambda run, step, loss: steps.append(step))
    assert not again.already_done and steps == [1, 2]
    assert (tmp_path / "runs" / "run-1" / "checkpoint-2" / "model.safetensors").is_file()


def test_resuming_with_other_settings_is_refused(corpus, small_base, tmp_path):
    ft.finetune(corpus, tmp_path / "runs", settings(small_base, runs=1, steps=2))
    with pytest.raises(ft.FinetuneError, match=r"runs: started with other settings \(steps was 2, now 3\)"):
        ft.finetune(corpus, tmp_path / "runs", settings(small_base, runs=1, steps=3), resume=True)


def test_resuming_a_folder_that_is_not_a_fine_tuning_output_is_refused(corpus, small_base, tmp_path):
    (tmp_path / "runs").mkdir()
    with pytest.raises(ft.FinetuneError, match="not a fine-tuning folder"):
        ft.finetune(corpus, tmp_path / "runs", settings(small_base), resume=True)


def test_force_replaces_an_existing_output(corpus, small_base, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "old.txt").write_text("old")
    ft.finetune(corpus, runs, settings(small_base, runs=1, steps=1), force=True)
    assert sorted(p.name for p in runs.iterdir()) == ["finetune.json", "plan.json", "run-1"]


def test_a_base_folder_without_processor_files_is_an_error(corpus, tmp_path):
    bare = tmp_path / "bare"
    save_hf(bare, random_tensors())
    with pytest.raises(ft.FinetuneError, match="bare: no processor files"):
        ft.finetune(corpus, tmp_path / "runs", settings(str(bare)))
    assert not (tmp_path / "runs").exists()


# ----------------------------------------------------------------------------------------------
# The command


def invoke(*args):
    return CliRunner().invoke(main, ["demo", "finetune", *args])


def test_the_command_trains_and_reports_each_run(corpus, small_base, tmp_path):
    result = invoke("--corpus", str(corpus), "-o", str(tmp_path / "runs"), "--runs", "2", "--steps", "1",
                    "--batch-size", "2", "--base", small_base)
    assert result.exit_code == 0, result.output
    assert "run-1: lr " in result.output and "run-2: lr " in result.output
    assert "2 runs on 4 utterances (0 left out)" in result.output
    assert sorted(p.name for p in (tmp_path / "runs" / "run-2").iterdir()) == ["checkpoint-1", "hparams.json"]


def test_the_command_refuses_an_existing_output_without_resume_or_force(corpus, small_base, tmp_path):
    (tmp_path / "runs").mkdir()
    result = invoke("--corpus", str(corpus), "-o", str(tmp_path / "runs"), "--base", small_base)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {tmp_path / 'runs'}: already exists (use --resume to continue it or --force to replace it)"]
    assert list((tmp_path / "runs").iterdir()) == []


@pytest.mark.parametrize("problem, message", [
    ("no corpus", "no such corpus folder"),
    ("empty train split", "the 'train' split has no speakers"),
    ("zero steps", "--steps must be at least 1"),
])
def test_bad_input_is_one_line_and_leaves_nothing_behind(problem, message, corpus, small_base, tmp_path):
    args = ["--corpus", str(corpus), "-o", str(tmp_path / "runs"), "--base", small_base]
    if problem == "no corpus":
        args[1] = str(tmp_path / "missing")
    elif problem == "empty train split":
        (corpus / "splits.json").write_text(json.dumps({"train": [], "dev": ["spk-c"]}))
    else:
        args += ["--steps", "0"]
    result = invoke(*args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert not (tmp_path / "runs").exists()


# ----------------------------------------------------------------------------------------------
# The real tiny.en


@pytest.mark.real
def test_real_tiny_en_learns_from_labels_that_line_up_with_its_own_tokens(tmp_path, tiny_en_hf, clean_speech):
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    corpus = write_corpus(tmp_path / "corpus", train={"a": clean_speech[:2]}, dev={"b": clean_speech[2:3]})
    train = ft.training_set(corpus)
    tokenizer = whisper_tokenizer(ft._base_shape(tiny_en_hf))
    token_ids = [ft.label_ids(tokenizer, e.label) for e in train.examples]
    hf_tokenizer = WhisperProcessor.from_pretrained(tiny_en_hf).tokenizer
    for example, ids in zip(train.examples, token_ids):
        assert hf_tokenizer.encode(" " + example.label, add_special_tokens=False) == ids[2:-1]

    # With the labels right, the pretrained model already finds them likely (a misaligned or badly
    # tokenised label costs several nats per token).
    model, processor = ft.load_for_training(tiny_en_hf)
    model.eval()
    features, inputs, targets = ft.collate(train.examples, token_ids, 2, processor)
    with torch.no_grad():
        logits = model(input_features=features, decoder_input_ids=inputs).logits
    assert torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten()).item() < 1.0

    # The default base: the packaged tiny.en, converted on the fly.
    summary = ft.finetune(corpus, tmp_path / "runs", ft.FinetuneSettings(base="tiny.en", runs=1, steps=1,
                                                                         save_every=1, batch_size=2))
    losses = summary.runs[0].losses
    assert len(losses) == 1 and losses[0] < 2.5  # dropout is on while training, so above the eval loss
    checkpoint = tmp_path / "runs" / "run-1" / "checkpoint-1"
    tuned = WhisperForConditionalGeneration.from_pretrained(checkpoint).eval()
    assert not same_weights(tiny_en_hf, checkpoint)
    with torch.no_grad():
        generated = tuned.generate(features[:1], max_new_tokens=40)
    text = WhisperProcessor.from_pretrained(checkpoint).batch_decode(generated, skip_special_tokens=True)[0]
    assert text.strip().lower().rstrip(".") == clean_speech[0][0].lower().rstrip(".")
