"""`dev prepare`: SAP-layout data in, the organisers' dev layout out."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from sapsoup.cli import main
from sapsoup.editions import sapc2_normalizer
from sapsoup.validate import devset


def tone(seconds: float, rate: int, frequency: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    signal = 0.3 * np.sin(2 * np.pi * frequency * t)
    return np.stack([signal] * channels, axis=1) if channels > 1 else signal


def write_speaker(sap_dir: Path, speaker: str, etiology: str, files: list[dict]) -> None:
    folder = sap_dir / speaker
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "Contributor ID": speaker,
        "Etiology": etiology,
        "Files": [
            {
                "Filename": f["name"],
                "Prompt": {
                    "Prompt Text": f["transcript"],
                    "Transcript": f["transcript"],
                    "Category Description": f.get("category", "Digital Assistant Commands"),
                    "Sub Category Description": "",
                },
            }
            for f in files
        ],
    }
    (folder / f"{speaker}.json").write_text(json.dumps(record), encoding="utf-8")


def make_sap_dir(root: Path) -> Path:
    """Two speakers: a plain 16 kHz file, a 44.1 kHz stereo file, an 8 kHz file, a `#ts` transcript,
    a 31-s file, a corrupt WAV and a missing one."""
    sap = root / "sap"
    write_speaker(sap, "spk1", "ALS", [
        {"name": "spk1_plain.wav", "transcript": "Hello (um) world"},
        {"name": "spk1_stereo.wav", "transcript": "I have 2 dogs", "category": "Novel Sentences"},
        {"name": "spk1_corrupt.wav", "transcript": "broken file"},
        {"name": "spk1_missing.wav", "transcript": "no file at all"},
    ])
    write_speaker(sap, "spk2", "Parkinson's Disease", [
        {"name": "spk2_narrow.wav", "transcript": "turn on the TV"},
        {"name": "spk2_timed.wav", "transcript": "#ts\n0.5 1.0 good morning\n2.0 2.75 everyone"},
        {"name": "spk2_long.wav", "transcript": "a long story", "category": "Spontaneous Speech"},
    ])
    soundfile.write(sap / "spk1" / "spk1_plain.wav", (tone(1.0, 16000) * 32767).astype(np.int16), 16000, subtype="PCM_16")
    soundfile.write(sap / "spk1" / "spk1_stereo.wav", tone(2.0, 44100, channels=2), 44100, subtype="PCM_16")
    (sap / "spk1" / "spk1_corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    soundfile.write(sap / "spk2" / "spk2_narrow.wav", tone(1.5, 8000), 8000, subtype="PCM_16")
    soundfile.write(sap / "spk2" / "spk2_timed.wav", tone(3.0, 16000), 16000, subtype="FLOAT")
    soundfile.write(sap / "spk2" / "spk2_long.wav", tone(31.0, 16000, frequency=200.0), 16000, subtype="PCM_16")
    return sap


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("devset")
    sap = make_sap_dir(root)
    warnings = []
    summary = devset.prepare_dev(sap, root / "dev", split="dev", warn=warnings.append)
    return root, sap, summary, warnings


def test_prepare_writes_the_organisers_manifest(prepared):
    root, _, _, _ = prepared
    lines = (root / "dev" / "manifest" / "dev.tsv").read_text().splitlines()
    assert lines[0] == str((root / "dev" / "data").resolve())
    entries = dict(line.split("\t") for line in lines[1:])
    assert set(entries) == {f"dev/{name}.wav" for name in ("spk1_plain", "spk1_stereo", "spk2_long", "spk2_narrow", "spk2_timed")}
    for relative, frames in entries.items():
        assert soundfile.info(str(root / "dev" / "data" / relative)).frames == int(frames)


def test_prepared_wavs_are_16k_mono_pcm16(prepared):
    root, _, _, _ = prepared
    for wav in (root / "dev" / "data" / "dev").glob("*.wav"):
        info = soundfile.info(str(wav))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")


def test_16k_mono_pcm16_input_is_copied_sample_for_sample(prepared):
    root, sap, _, _ = prepared
    original, _ = soundfile.read(sap / "spk1" / "spk1_plain.wav", dtype="int16")
    copied, _ = soundfile.read(root / "dev" / "data" / "dev" / "spk1_plain.wav", dtype="int16")
    assert np.array_equal(original, copied)


def test_44k_stereo_is_downmixed_and_resampled_without_distortion(prepared):
    root, _, summary, _ = prepared
    audio, rate = soundfile.read(root / "dev" / "data" / "dev" / "spk1_stereo.wav")
    assert len(audio) == 32000
    expected = tone(2.0, 16000)
    assert np.max(np.abs(audio - expected)[500:-500]) < 1e-3
    assert summary.resampled == 2  # the stereo 44.1 kHz file and the 8 kHz file


def test_ts_transcript_is_cut_to_its_spans(prepared):
    root, _, summary, _ = prepared
    info = soundfile.info(str(root / "dev" / "data" / "dev" / "spk2_timed.wav"))
    assert info.frames == int(0.5 * 16000) + int(0.75 * 16000)
    ids = [row.id for row in summary.prepared]
    ref1 = (root / "dev" / "manifest" / "dev.ref1").read_text().splitlines()
    assert ref1[ids.index("spk2_timed")] == "GOOD MORNING EVERYONE"
    assert summary.cut == 1


def test_references_keep_parenthesised_disfluencies_only_in_ref1(prepared):
    root, _, summary, _ = prepared
    ids = [row.id for row in summary.prepared]
    ref1 = (root / "dev" / "manifest" / "dev.ref1").read_text().splitlines()
    ref2 = (root / "dev" / "manifest" / "dev.ref2").read_text().splitlines()
    assert ref1[ids.index("spk1_plain")] == "HELLO UM WORLD"
    assert ref2[ids.index("spk1_plain")] == "HELLO WORLD"
    assert ref2[ids.index("spk1_stereo")] == "I HAVE TWO DOGS"


def test_corrupt_and_missing_wavs_are_named_and_left_out(prepared):
    _, _, summary, warnings = prepared
    assert sorted(item.id for item in summary.left_out) == ["spk1_corrupt", "spk1_missing"]
    assert any("spk1_corrupt.wav" in message for message in warnings)
    assert any("spk1_missing.wav" in message for message in warnings)
    assert len(summary.prepared) == 5


def test_meta_tsv_lists_speaker_etiology_category_and_duration(prepared):
    root, _, _, _ = prepared
    split = devset.load_dev_split(root / "dev", "dev")
    rows = {row.id: row for row in split.meta}
    assert rows["spk2_long"].etiology == "Parkinson's Disease"
    assert rows["spk2_long"].category == "Spontaneous Speech"
    assert rows["spk2_long"].duration == pytest.approx(31.0)
    assert rows["spk1_stereo"].speaker == "spk1"


def test_load_dev_split_reads_back_what_prepare_wrote(prepared):
    root, _, summary, _ = prepared
    split = devset.load_dev_split(root / "dev", "dev")
    assert split.ids == [row.id for row in summary.prepared]
    assert len(split.ref1) == len(split.ref2) == len(split.entries) == 5
    assert split.wav_path(0).is_file()


def test_load_dev_split_refuses_a_reference_file_of_the_wrong_length(prepared, tmp_path):
    root, _, _, _ = prepared
    import shutil

    shutil.copytree(root / "dev" / "manifest", tmp_path / "manifest")
    ref2 = tmp_path / "manifest" / "dev.ref2"
    ref2.write_text("\n".join(ref2.read_text().splitlines()[:-1]) + "\n")
    with pytest.raises(devset.DevSetError, match="dev.ref2: 4 utterances"):
        devset.load_dev_split(tmp_path, "dev")


def test_empty_reference_is_left_out_with_its_reason(tmp_path):
    sap = tmp_path / "sap"
    write_speaker(sap, "spk", "Stroke", [
        {"name": "a.wav", "transcript": "fine words"},
        {"name": "b.wav", "transcript": "(um)"},
    ])
    for name in ("a.wav", "b.wav"):
        soundfile.write(sap / "spk" / name, tone(0.5, 16000), 16000)
    summary = devset.prepare_dev(sap, tmp_path / "dev")
    assert [row.id for row in summary.prepared] == ["a"]
    assert summary.left_out[0].id == "b" and "empty reference" in summary.left_out[0].reason


def test_splits_json_selects_speakers_of_the_split(tmp_path):
    sap = make_sap_dir(tmp_path)
    (sap / "splits.json").write_text(json.dumps({"train": ["spk1"], "dev": ["spk2"]}))
    summary = devset.prepare_dev(sap, tmp_path / "dev", split="dev")
    assert {row.speaker for row in summary.prepared} == {"spk2"}


def test_splits_json_with_an_unknown_name_is_an_error(tmp_path):
    sap = make_sap_dir(tmp_path)
    (sap / "splits.json").write_text(json.dumps({"dev": ["spk2", "nobody"]}))
    with pytest.raises(devset.DevSetError, match="unknown speakers/utterances: \\['nobody'\\]"):
        devset.prepare_dev(sap, tmp_path / "dev", split="dev")
    assert not (tmp_path / "dev").exists() or not any((tmp_path / "dev").iterdir())


def test_subset_keeps_every_long_utterance_and_draws_the_fraction_of_the_rest():
    durations = [5.0] * 20 + [31.0, 45.0] + [29.9] * 20
    keep = devset.draw_subset(durations, 0.25, seed=3)
    assert {20, 21} <= set(keep)
    assert len(keep) == 2 + 10
    assert keep == sorted(keep)


def test_subset_draw_is_reproducible_with_its_seed_and_changes_with_another():
    durations = [float(i % 29) for i in range(200)]
    assert devset.draw_subset(durations, 0.3, seed=1) == devset.draw_subset(durations, 0.3, seed=1)
    assert devset.draw_subset(durations, 0.3, seed=1) != devset.draw_subset(durations, 0.3, seed=2)


def test_subset_fraction_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="subset fraction"):
        devset.draw_subset([1.0], 0.0, seed=0)


def test_rerunning_prepare_replaces_the_split_and_leaves_no_staging_folder(tmp_path):
    sap = make_sap_dir(tmp_path)
    devset.prepare_dev(sap, tmp_path / "dev")
    summary = devset.prepare_dev(sap, tmp_path / "dev", subset_fraction=0.5, seed=0)
    assert summary.replaced_existing
    assert sorted(p.name for p in (tmp_path / "dev").iterdir()) == ["data", "manifest"]
    assert len(list((tmp_path / "dev" / "data" / "dev").glob("*.wav"))) == len(summary.prepared)
    assert "spk2_long" in [row.id for row in summary.prepared]


def test_cli_prepare_reports_what_it_wrote_and_what_it_left_out(tmp_path):
    sap = make_sap_dir(tmp_path)
    result = CliRunner().invoke(main, ["dev", "prepare", str(sap), "-o", str(tmp_path / "dev"), "--split", "dev"])
    assert result.exit_code == 0, result.output
    assert "dev: 5 utterances" in result.output
    assert "left out: 2" in result.output
    assert (tmp_path / "dev" / "manifest" / "dev.meta.tsv").is_file()


def test_cli_prepare_of_a_folder_without_speakers_fails_with_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["dev", "prepare", str(tmp_path / "empty"), "-o", str(tmp_path / "dev")])
    assert result.exit_code == 1
    assert "no speaker folders" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_split_where_nothing_can_be_prepared_fails_and_leaves_no_output(tmp_path):
    sap = tmp_path / "sap"
    write_speaker(sap, "spk", "ALS", [{"name": "gone.wav", "transcript": "hello"}])
    with pytest.raises(devset.DevSetError, match="no utterance of split 'dev' could be prepared"):
        devset.prepare_dev(sap, tmp_path / "dev")
    assert not (tmp_path / "dev").exists()


def test_the_synthetic_corpus_is_prepared_with_its_dev_speakers_and_long_passages(tmp_path):
    from sapsoup.demo import corpus

    corpus.write_corpus(tmp_path / "corpus", speakers=2, utterances=3, seed=0, severity="clean")
    dev_speakers = set(corpus.read_splits(tmp_path / "corpus")["dev"])
    summary = devset.prepare_dev(tmp_path / "corpus", tmp_path / "dev", split="dev")
    assert summary.left_out == []
    assert {row.speaker for row in summary.prepared} == dev_speakers
    assert any(row.duration > 30 for row in summary.prepared)
    split = devset.load_dev_split(tmp_path / "dev", "dev")
    assert all(ref.strip() for ref in split.ref1 + split.ref2)


# ---------------------------------------------------------------------------------------------
# Audio as the organisers convert it


def chirp_with_noise(seconds: float, rate: int, channels: int = 1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate))) / rate
    mono = 0.5 * np.sin(2 * np.pi * (100 + 3000 * t) * t) + 0.1 * rng.standard_normal(len(t))
    return np.stack([mono, 0.7 * np.roll(mono, 37)], axis=1) if channels > 1 else mono


def organisers_wav(path: Path, tmp_path: Path) -> np.ndarray:
    """What their utils/resample.py writes for `path`, read back as int16."""
    import librosa  # a test dependency: the organisers resample with it
    data, rate = soundfile.read(str(path))
    if data.ndim > 1:
        data = data.mean(axis=1)
    if rate != 16000:
        data = librosa.resample(y=data, orig_sr=rate, target_sr=16000)
    soundfile.write(str(tmp_path / "theirs.wav"), data, 16000)
    return soundfile.read(str(tmp_path / "theirs.wav"), dtype="int16")[0]


KINDS = {  # name: rate, channels, subtype
    "r22050": (22050, 1, "PCM_16"), "r44100": (44100, 1, "PCM_16"), "r8000": (8000, 1, "PCM_16"),
    "stereo": (44100, 2, "PCM_16"), "pcm24": (48000, 1, "PCM_24"), "float": (22050, 1, "FLOAT"),
    "plain": (16000, 1, "PCM_16"),
}


def test_prepared_wavs_equal_the_organisers_conversion_sample_for_sample(tmp_path):
    sap = tmp_path / "sap"
    write_speaker(sap, "spk", "ALS", [{"name": f"spk_{kind}.wav", "transcript": "good words"} for kind in KINDS])
    for seed, (kind, (rate, channels, subtype)) in enumerate(KINDS.items()):
        signal = chirp_with_noise(1.3 + 1 / rate, rate, channels, seed)
        soundfile.write(str(sap / "spk" / f"spk_{kind}.wav"), signal, rate, subtype=subtype)
    summary = devset.prepare_dev(sap, tmp_path / "dev")
    assert summary.resampled == 6
    for kind in KINDS:
        mine, _ = soundfile.read(str(tmp_path / "dev" / "data" / "dev" / f"spk_{kind}.wav"), dtype="int16")
        theirs = organisers_wav(sap / "spk" / f"spk_{kind}.wav", tmp_path)
        assert len(mine) == len(theirs) and np.array_equal(mine, theirs), kind
    rows = {row.id: row for row in summary.prepared}
    assert rows["spk_r22050"].duration == pytest.approx(len(theirs) / 16000)


def test_timed_transcript_is_cut_after_conversion_in_pydubs_milliseconds(tmp_path):
    sap = tmp_path / "sap"
    write_speaker(sap, "spk", "ALS", [{"name": "spk_t.wav", "transcript": "#ts\n1.001 1.5 hello\n2.0 2.5 there"}])
    soundfile.write(str(sap / "spk" / "spk_t.wav"), chirp_with_noise(3.0, 22050), 22050, subtype="PCM_16")
    summary = devset.prepare_dev(sap, tmp_path / "dev")
    whole = organisers_wav(sap / "spk" / "spk_t.wav", tmp_path)
    mine, _ = soundfile.read(str(tmp_path / "dev" / "data" / "dev" / "spk_t.wav"), dtype="int16")
    # 1.001 s is 1000.9999999999999 ms: pydub starts at sample 16015.
    assert np.array_equal(mine, np.concatenate([whole[16015:24000], whole[32000:40000]]))
    assert summary.prepared[0].duration == pytest.approx(len(mine) / 16000)


def test_timed_transcript_that_already_fits_its_audio_is_not_cut(tmp_path):
    sap = tmp_path / "sap"
    write_speaker(sap, "spk", "ALS", [{"name": "spk_t.wav", "transcript": "#ts\n0.0 1.2 hello\n1.2 1.99 there"}])
    soundfile.write(str(sap / "spk" / "spk_t.wav"), tone(2.0, 16000), 16000, subtype="PCM_16")
    summary = devset.prepare_dev(sap, tmp_path / "dev")
    assert summary.cut == 0
    assert soundfile.info(str(tmp_path / "dev" / "data" / "dev" / "spk_t.wav")).frames == 32000


def test_a_span_past_the_end_of_the_audio_is_cut_at_the_end_and_named(tmp_path):
    sap = tmp_path / "sap"
    write_speaker(sap, "spk", "ALS", [{"name": "spk_t.wav", "transcript": "#ts\n0.5 1.0 hello\n1.5 4.0 there"}])
    soundfile.write(str(sap / "spk" / "spk_t.wav"), tone(2.0, 16000), 16000, subtype="PCM_16")
    warnings = []
    summary = devset.prepare_dev(sap, tmp_path / "dev", warn=warnings.append)
    assert [row.id for row in summary.prepared] == ["spk_t"]
    assert soundfile.info(str(tmp_path / "dev" / "data" / "dev" / "spk_t.wav")).frames == 8000 + 8000
    assert any("span 1.5-4.0 s ends after the audio (2.000 s)" in message for message in warnings)


# ---------------------------------------------------------------------------------------------
# The SAPC2 manifest


def read_manifest_csv(dev: Path, split: str = "dev") -> list[dict]:
    """As the organisers' local_decode.py and evaluate.py read it."""
    with open(dev / "manifest" / f"{split}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_sapc2_manifest_has_the_organisers_columns_in_their_order(prepared):
    root, _, _, _ = prepared
    raw = (root / "dev" / "manifest" / "dev.csv").read_bytes()
    assert raw.startswith(b"id,speaker,etiology,audio_filepath,duration,text,"
                          b"norm_text_with_disfluency,norm_text_without_disfluency\r\n")
    assert raw.count(b"\r\n") == raw.count(b"\n") == 1 + 5


def test_sapc2_manifest_rows_follow_the_tsv_and_point_at_the_prepared_wavs(prepared):
    root, _, summary, _ = prepared
    rows = read_manifest_csv(root / "dev")
    assert [row["id"] for row in rows] == [meta.id for meta in summary.prepared]
    for row, meta in zip(rows, summary.prepared):
        wav = root / "dev" / row["audio_filepath"]  # local_decode.py joins --data-root with it
        assert row["audio_filepath"] == f"data/dev/{row['id']}.wav" and wav.is_file()
        assert float(row["duration"]) == soundfile.info(str(wav)).frames / 16000
        assert (row["speaker"], row["etiology"]) == (meta.speaker, meta.etiology)
    assert len(rows) == 5


def test_sapc2_manifest_references_are_the_sapc2_normalisers(prepared):
    root, _, _, _ = prepared
    rows = {row["id"]: row for row in read_manifest_csv(root / "dev")}
    plain = rows["spk1_plain"]
    assert plain["text"] == "Hello (um) world"
    assert plain["norm_text_with_disfluency"] == sapc2_normalizer.reference("Hello (um) world", remove_parentheses=False)
    assert plain["norm_text_without_disfluency"] == sapc2_normalizer.reference("Hello (um) world", remove_parentheses=True)
    assert rows["spk2_timed"]["text"] == "good morning everyone"  # the words of the cut audio


def test_sapc2_text_drops_a_dis_line_and_deletes_newlines_as_the_organisers_do(tmp_path):
    sap = tmp_path / "sap"
    write_speaker(sap, "spk", "Stroke", [{"name": "a.wav", "transcript": "#dis\nTurn on,\nthe \"big\" light\n"}])
    soundfile.write(str(sap / "spk" / "a.wav"), tone(0.5, 16000), 16000)
    devset.prepare_dev(sap, tmp_path / "dev")
    row = read_manifest_csv(tmp_path / "dev")[0]
    assert row["text"] == 'Turn on,the "big" light'
    assert '"Turn on,the ""big"" light"' in (tmp_path / "dev" / "manifest" / "dev.csv").read_text(encoding="utf-8")


def test_a_transcript_that_is_only_a_filler_stays_in_both_manifests(tmp_path):
    """SAPC2 drops "Mhm." from its references, but the organisers keep the row: their scorer counts a
    hypothesis's words against the empty reference. SAPC1 keeps MHM as a word."""
    sap = tmp_path / "sap"
    write_speaker(sap, "spk", "Stroke", [
        {"name": "a.wav", "transcript": "fine words"},
        {"name": "b.wav", "transcript": "Mhm."},
    ])
    for name in ("a.wav", "b.wav"):
        soundfile.write(sap / "spk" / name, tone(0.5, 16000), 16000)
    summary = devset.prepare_dev(sap, tmp_path / "dev")
    assert [row.id for row in summary.prepared] == ["a", "b"]
    rows = read_manifest_csv(tmp_path / "dev")
    assert [row["id"] for row in rows] == ["a", "b"]
    assert rows[1]["norm_text_with_disfluency"].strip() == rows[1]["norm_text_without_disfluency"].strip() == ""
    assert (tmp_path / "dev" / "manifest" / "dev.ref1").read_text().splitlines()[1] == "MHM"
