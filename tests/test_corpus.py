"""The synthetic SAP-style corpus (sapsoup.demo.corpus, sapsoup.demo.prompts, `sapsoup corpus synth`)."""

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from sapsoup.demo import corpus, prompts, speech
from sapsoup.cli import main

SPEAKERS, UTTERANCES, SEED = 3, 4, 7


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    """A 3-speaker corpus (mild, moderate, severe), written once for the read-only tests."""
    out = tmp_path_factory.mktemp("corpus") / "sap"
    summary = corpus.write_corpus(out, speakers=SPEAKERS, utterances=UTTERANCES, seed=SEED)
    return out, summary


def speaker_files(root):
    return sorted(p for p in Path(root).iterdir() if p.is_dir())


def load_speakers(root):
    return [json.loads((folder / f"{folder.name}.json").read_text()) for folder in speaker_files(root)]


def all_entries(root):
    return [entry for speaker in load_speakers(root) for entry in speaker["Files"]]


def file_hashes(root):
    root = Path(root)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------------------
# Layout


def test_each_speaker_folder_holds_its_json_and_exactly_the_listed_wavs(small_corpus):
    root, _ = small_corpus
    folders = speaker_files(root)
    assert len(folders) == SPEAKERS
    for folder in folders:
        speaker = json.loads((folder / f"{folder.name}.json").read_text())
        assert speaker["Contributor ID"] == folder.name
        listed = {entry["Filename"] for entry in speaker["Files"]}
        on_disk = {p.name for p in folder.glob("*.wav")}
        assert listed == on_disk and len(listed) == UTTERANCES


def test_speaker_json_follows_the_sap_schema(small_corpus):
    root, _ = small_corpus
    for speaker in load_speakers(root):
        assert list(speaker) == ["Contributor ID", "Etiology", "Files"]
        assert speaker["Etiology"] in corpus.ETIOLOGIES
        for entry in speaker["Files"]:
            assert set(entry["Prompt"]) == {"Prompt Text", "Transcript", "Category Description",
                                            "Sub Category Description"}
            assert all(isinstance(value, str) and value for value in entry["Prompt"].values())


def test_wav_files_are_16khz_mono_pcm16(small_corpus):
    root, _ = small_corpus
    for wav in Path(root).rglob("*.wav"):
        info = soundfile.info(str(wav))
        assert (info.samplerate, info.channels, info.subtype, info.format) == (16000, 1, "PCM_16", "WAV")


def test_speaker_ids_are_unique_uuids(small_corpus):
    root, _ = small_corpus
    ids = [folder.name for folder in speaker_files(root)]
    assert len(set(ids)) == SPEAKERS
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i) for i in ids)


def test_split_assigns_every_speaker_to_exactly_one_of_train_and_dev(small_corpus):
    root, summary = small_corpus
    splits = json.loads((root / "splits.json").read_text())
    assert set(splits) == {"train", "dev"}
    assert splits["train"] and splits["dev"]
    assert not set(splits["train"]) & set(splits["dev"])
    assert set(splits["train"]) | set(splits["dev"]) == {f.name for f in speaker_files(root)}
    assert tuple(splits["dev"]) == summary.dev


def test_corpus_info_records_seed_version_and_options_but_no_time(small_corpus):
    root, _ = small_corpus
    info = json.loads((root / "corpus.json").read_text())
    assert (info["seed"], info["speakers"], info["utterances_per_speaker"], info["severity"]) == (
        SEED, SPEAKERS, UTTERANCES, "mixed")
    assert info["sapsoup_version"] and info["sample_rate"] == 16000
    assert not any("time" in key or "date" in key for key in info)


# ------------------------------------------------------------------------------------------------
# Content


def test_all_three_sap_categories_are_recorded(small_corpus):
    root, _ = small_corpus
    assert {entry["Prompt"]["Category Description"] for entry in all_entries(root)} == set(prompts.CATEGORIES)


def test_at_least_a_tenth_of_utterances_are_longer_than_30_seconds(small_corpus):
    root, summary = small_corpus
    durations = [soundfile.info(str(wav)).duration for wav in Path(root).rglob("*.wav")]
    long = sum(seconds > 30.0 for seconds in durations)
    assert long >= 0.1 * len(durations)
    assert long == summary.long_utterances


def test_speakers_have_their_own_voice_and_severity(small_corpus):
    root, _ = small_corpus
    severities = set()
    for speaker in load_speakers(root):
        synthesis = [entry["Synthesis"] for entry in speaker["Files"]]
        assert len({s["voice"] for s in synthesis}) == 1  # one voice per speaker
        assert len({json.dumps(s["perturbation"], sort_keys=True) for s in synthesis}) == 1
        severities.add(synthesis[0]["severity"])
    assert severities == {"mild", "moderate", "severe"}


def test_transcripts_write_numbers_as_words_and_mark_disfluencies_in_parentheses(small_corpus):
    root, _ = small_corpus
    for entry in all_entries(root):
        transcript = entry["Prompt"]["Transcript"]
        assert not re.search(r"\d", transcript)
        for marked in re.findall(r"\(([^()]*)\)", transcript):
            assert marked in speech.FILLERS or re.fullmatch(r"[A-Za-z']+", marked)


def test_fluent_transcript_says_what_the_prompt_shows(small_corpus):
    root, _ = small_corpus
    for entry in all_entries(root):
        prompt = entry["Prompt"]
        if prompt["Category Description"] == prompts.CATEGORY_SPONTANEOUS:
            continue  # the prompt is a question
        fluent = prompts.fluent_transcript(prompt["Transcript"]).split()
        plain_words = [w.strip(".,?!") for w in prompt["Prompt Text"].split() if w.strip(".,?!").islower()]
        assert all(word in fluent or word + "." in fluent or word + "?" in fluent for word in plain_words)
        assert "(" not in " ".join(fluent)


def test_clean_text_is_the_spoken_form_of_the_fluent_transcript(small_corpus):
    root, _ = small_corpus
    for entry in all_entries(root):
        fluent = prompts.fluent_transcript(entry["Prompt"]["Transcript"]).split()
        assert entry["Synthesis"]["clean_text"].split() == [prompts.spoken_form(token) for token in fluent]


def test_clean_audio_regenerates_the_utterance_without_perturbation(small_corpus):
    root, _ = small_corpus
    entry = next(e for e in all_entries(root) if e["Synthesis"]["severity"] == "severe"
                 and e["Prompt"]["Category Description"] == prompts.CATEGORY_COMMANDS)
    clean = corpus.clean_audio(entry)
    expected = speech.synthesize_clean(entry["Synthesis"]["clean_text"], entry["Synthesis"]["voice"],
                                       speech.NORMAL_RATE_WPM, entry["Synthesis"]["clean_pitch"])
    assert np.array_equal(clean, expected)
    assert len(clean) / speech.SAMPLE_RATE < entry["Synthesis"]["duration_s"]


def test_clean_audio_of_an_entry_without_synthesis_record_is_an_error():
    with pytest.raises(corpus.CorpusError, match="x.wav: file entry has no usable 'Synthesis' record"):
        corpus.clean_audio({"Filename": "x.wav", "Prompt": {}})


def test_iter_files_yields_every_recording_of_a_split(small_corpus):
    root, summary = small_corpus
    dev = list(corpus.iter_files(root, "dev"))
    everything = list(corpus.iter_files(root))
    assert {f.speaker_id for f in dev} == set(summary.dev)
    assert len(everything) == SPEAKERS * UTTERANCES
    assert all(f.wav_path.is_file() for f in everything)
    with pytest.raises(corpus.CorpusError, match="no split 'test'"):
        list(corpus.iter_files(root, "test"))


# ------------------------------------------------------------------------------------------------
# Determinism and the all-or-nothing write


def test_same_seed_gives_a_byte_identical_corpus(small_corpus, tmp_path):
    root, _ = small_corpus
    again = tmp_path / "again"
    corpus.write_corpus(again, speakers=SPEAKERS, utterances=UTTERANCES, seed=SEED)
    assert file_hashes(again) == file_hashes(root)


def test_a_different_seed_gives_different_speakers():
    first = corpus.make_profile(0, corpus.speaker_rng(1, 0))
    second = corpus.make_profile(0, corpus.speaker_rng(2, 0))
    assert first.speaker_id != second.speaker_id


def test_a_speaker_does_not_depend_on_how_many_speakers_there_are():
    assert corpus.make_profile(1, corpus.speaker_rng(3, 1)) == corpus.make_profile(1, corpus.speaker_rng(3, 1))
    assert corpus.speaker_rng(3, 1).random() != corpus.speaker_rng(3, 2).random()


def test_existing_output_without_force_is_an_error_and_left_untouched(tmp_path):
    out = tmp_path / "sap"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(corpus.CorpusError, match="already exists"):
        corpus.write_corpus(out, speakers=2, utterances=3)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sap"]


def test_force_replaces_existing_output(tmp_path):
    out = tmp_path / "sap"
    out.mkdir()
    (out / "old.txt").write_text("old")
    corpus.write_corpus(out, speakers=2, utterances=3, seed=1, severity="clean", force=True)
    assert not (out / "old.txt").exists()
    assert (out / "splits.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sap"]


def test_a_failure_midway_leaves_nothing_behind(tmp_path, monkeypatch):
    calls = []
    real = corpus.synthesize_utterance

    def fail_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise speech.SynthesisError("eSpeak NG failed (status 1) on 'x'")
        return real(*args, **kwargs)

    monkeypatch.setattr(corpus, "synthesize_utterance", fail_on_third)
    with pytest.raises(speech.SynthesisError):
        corpus.write_corpus(tmp_path / "sap", speakers=2, utterances=3, severity="clean")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("options, problem", [
    (dict(speakers=1), "at least 2 speakers"),
    (dict(utterances=2), "at least 3 utterances"),
    (dict(seed=-1), "non-negative"),
    (dict(severity="awful"), "unknown severity 'awful'"),
])
def test_bad_options_are_one_line_errors_naming_the_output(tmp_path, options, problem):
    out = tmp_path / "sap"
    with pytest.raises(corpus.CorpusError, match=problem) as caught:
        corpus.write_corpus(out, **options)
    assert str(out) in str(caught.value) and "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_progress_callback_is_called_once_per_utterance(tmp_path):
    seen = []
    corpus.write_corpus(tmp_path / "sap", speakers=2, utterances=3, severity="clean", on_utterance=seen.append)
    assert len(seen) == 6


# ------------------------------------------------------------------------------------------------
# Prompt material and its markup


def test_marked_text_shows_one_side_and_transcribes_the_other():
    shown, tokens = prompts.realize("Turn on the {TV|~T ~V} at {7:30|seven thirty}.", np.random.default_rng(0))
    assert shown == "Turn on the TV at 7:30."
    assert [t for t, _ in tokens] == ["Turn", "on", "the", "~T", "~V", "at", "seven", "thirty."]
    assert [s for _, s in tokens] == ["Turn", "on", "the", "T", "V", "at", "seven", "thirty."]


def test_number_slots_show_digits_and_transcribe_words():
    shown, tokens = prompts.realize("Set a timer for {#21-21} minutes.", np.random.default_rng(0))
    assert shown == "Set a timer for 21 minutes."
    assert " ".join(t for t, _ in tokens) == "Set a timer for twenty-one minutes."


def test_spelled_letter_a_is_spoken_so_espeak_names_the_letter():
    assert prompts.spoken_form("~A") == "eh"
    assert prompts.spoken_form("~m.") == "M."


def test_number_words_say_and_as_nemo_reads_a_written_number():
    """The transcript then agrees with the reference the organisers' NeMo would make of "105"."""
    assert prompts.number_words(105) == "one hundred and five"
    assert prompts.number_words(42) == "forty-two"


@pytest.mark.parametrize("template", ["Broken {brace", "Two {a|b|c} bars", "Backwards {#9-2}", "{|}"])
def test_malformed_markup_is_an_error(template):
    with pytest.raises(prompts.PromptError, match="prompt material"):
        prompts.realize(template, np.random.default_rng(0))


def test_all_prompt_material_is_well_formed():
    rng = np.random.default_rng(0)
    lines = [line for table in (prompts.COMMANDS, prompts.READ_SENTENCES) for lines in table.values() for line in lines]
    lines += [line for _, answer in prompts.SPONTANEOUS.values() for line in answer]
    for line in lines:
        shown, tokens = prompts.realize(line, rng)
        assert "{" not in shown and not any(re.search(r"\d", t) for t, _ in tokens)


def test_fluent_transcript_removes_parenthesised_disfluencies():
    assert prompts.fluent_transcript("(uh) (the) the ~T ~V is (um) on.") == "the ~T ~V is on."


def test_category_plan_has_every_category_and_enough_long_passages():
    for count in (3, 8, 12, 40):
        plan = corpus.plan_categories(count, np.random.default_rng(count))
        assert len(plan) == count
        assert {category for category, _ in plan} == set(prompts.CATEGORIES)
        assert sum(long for _, long in plan) >= 0.1 * count


# ------------------------------------------------------------------------------------------------
# The command


def test_cli_synth_writes_the_corpus_and_reports_it(tmp_path):
    out = tmp_path / "sap"
    result = CliRunner().invoke(main, ["corpus", "synth", "-o", str(out), "--speakers", "2", "--utterances", "3",
                                       "--seed", "4", "--severity", "clean"])
    assert result.exit_code == 0, result.output
    assert "2 speakers, 6 utterances" in result.output
    assert len(speaker_files(out)) == 2 and (out / "splits.json").is_file()


def test_cli_refuses_an_existing_output_in_one_line(tmp_path):
    out = tmp_path / "sap"
    out.mkdir()
    result = CliRunner().invoke(main, ["corpus", "synth", "-o", str(out)])
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [f"Error: {out}: already exists (use --force to replace it)"]
