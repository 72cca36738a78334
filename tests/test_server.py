"""The replay of the organisers' run: their command in an isolated process, limits, line counts, and
`sapsoup validate` end to end on small fake archives."""

import importlib.metadata
import json
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from sapsoup.cli import main
from sapsoup.postprocess import PostprocessOptions, postprocess
from sapsoup.validate import devset, server

UTTERANCES = [  # id, duration s, etiology, category, ref1, ref2, hypothesis
    ("utt1", 1.0, "ALS", "Digital Assistant Commands", "HELLO UM WORLD", "HELLO WORLD", "hello world"),
    ("utt2", 1.0, "ALS", "Novel Sentences", "TURN ON THE T V", "TURN ON THE T V", "turn on the tv"),
    ("utt3", 2.0, "Stroke", "Spontaneous Speech", "I HAVE TWO DOGS", "I HAVE TWO DOGS", "i have 2 dogs"),
]
EXPECTED_WER = 100.0 * 3 / 11  # utt1: 0 of 2 (ref2); utt2: 2 of 5 (TV for T V); utt3: 1 of 4 (the digit vanishes)

ARGUMENTS = """\
import argparse, json, os, sys
parser = argparse.ArgumentParser()
for option in ("--root", "--split", "--output-name", "--data-pth", "--manifest-pth"):
    parser.add_argument(option)
args = parser.parse_args()
with open(os.path.join(args.manifest_pth, args.split + ".tsv")) as handle:
    names = [line.split("\\t")[0] for line in handle.read().splitlines()[1:]]
with open(os.path.join(args.root, "answers.json")) as handle:
    answers = json.load(handle)
"""

GOOD = ARGUMENTS + """\
try:
    import sapsoup
    leak = "SAPSOUP WAS IMPORTABLE"
except ImportError:
    leak = None
print("cwd", os.getcwd(), file=sys.stderr)
lines = []
for name in names:
    assert os.path.isfile(os.path.join(args.data_pth, args.split, os.path.basename(name))), name
    lines.append(leak or answers["final"][os.path.basename(name)[:-4]])
with open(args.output_name, "w") as handle:
    handle.write("\\n".join(lines) + "\\n")
raw = os.environ.get("SAPSOUP_RAW_OUTPUT")
if raw:
    with open(raw, "w") as handle:
        handle.write("\\n".join(answers["raw"][os.path.basename(n)[:-4]] for n in names) + "\\n")
"""
CRASH = ARGUMENTS + "print('loading model', file=sys.stderr)\nraise RuntimeError('CUDA out of memory: boom')\n"
HANG = ARGUMENTS + """\
import subprocess, time
child = subprocess.Popen(["sleep", "300"])
with open(os.path.join(os.path.dirname(args.root), "child.pid"), "w") as handle:
    handle.write(str(child.pid))
time.sleep(300)
"""
SHORT = ARGUMENTS + """\
with open(args.output_name, "w") as handle:
    handle.write("hello world\\nturn on the tv\\n")
print("skipped utt3 after a decoding error", file=sys.stderr)
"""
LONG = ARGUMENTS + """\
with open(args.output_name, "w") as handle:
    handle.write("a\\nb\\nc\\nan extra line\\n")
"""
SILENT = ARGUMENTS + "print('forgot to write', file=sys.stderr)\n"
SAPC2_MODEL = """\
import json, os
HERE = os.path.dirname(os.path.abspath(__file__))
class Model:
    def __init__(self):
        with open(os.path.join(HERE, "answers.json")) as handle:
            self.answers = json.load(handle)["final"]
    def predict(self, wav_path):
        assert os.path.isfile(wav_path)
        return self.answers[os.path.basename(wav_path)[:-4]]
"""


def answers(final=None, raw=None) -> str:
    final = final or {u[0]: u[6] for u in UTTERANCES}
    raw = raw or final
    return json.dumps({"final": final, "raw": raw})


def make_archive(path: Path, inference: str, extra: dict | None = None) -> Path:
    files = {"run.sh": "python_version=3.9\n", "inference.py": inference, "model.pt": "", "answers.json": answers()}
    files.update(extra or {})
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    return path


def make_dev(root: Path, split: str = "dev") -> Path:
    """A dev folder in the organisers' layout, written directly (independent of `dev prepare`)."""
    dev = root / "dev"
    (dev / "manifest").mkdir(parents=True)
    (dev / "data" / split).mkdir(parents=True)
    tsv = [str((dev / "data").resolve())]
    for uid, seconds, *_ in UTTERANCES:
        samples = np.zeros(int(seconds * 16000), dtype=np.int16)
        soundfile.write(dev / "data" / split / f"{uid}.wav", samples, 16000, subtype="PCM_16")
        tsv.append(f"{split}/{uid}.wav\t{len(samples)}")
    (dev / "manifest" / f"{split}.tsv").write_text("\n".join(tsv) + "\n")
    (dev / "manifest" / f"{split}.ref1").write_text("".join(u[4] + "\n" for u in UTTERANCES))
    (dev / "manifest" / f"{split}.ref2").write_text("".join(u[5] + "\n" for u in UTTERANCES))
    meta = ["id\tspeaker\tetiology\tcategory\tduration"] + [f"{u[0]}\tspk\t{u[2]}\t{u[3]}\t{u[1]}" for u in UTTERANCES]
    (dev / "manifest" / f"{split}.meta.tsv").write_text("\n".join(meta) + "\n")
    csv_rows = ["id,audio_filepath,norm_text_with_disfluency,norm_text_without_disfluency"] + [
        f"{u[0]},data/{split}/{u[0]}.wav,{u[4].lower()},{u[5].lower()}" for u in UTTERANCES
    ]
    (dev / "manifest" / f"{split}.csv").write_text("\n".join(csv_rows) + "\n")
    return dev


@pytest.fixture
def dev(tmp_path):
    return make_dev(tmp_path)


def replay(archive, dev, tmp_path, **options):
    return server.replay_archive(archive, [devset.load_dev_split(dev, "dev")], tmp_path / "work", **options)


def test_the_organisers_command_runs_in_the_workdir_without_sapsoup(tmp_path, dev):
    result = replay(make_archive(tmp_path / "a.zip", GOOD), dev, tmp_path)
    run = result.runs["dev"]
    assert run.hypotheses == ["hello world", "turn on the tv", "i have 2 dogs"]
    assert f"cwd {(tmp_path / 'work').resolve()}" in run.stderr_tail
    assert run.command[2:] == [
        str(result.root / "inference.py"), "--root", str(result.root), "--split", "dev",
        "--output-name", str(result.root / "inference" / "dev.hypo"),
        "--data-pth", str(dev.resolve() / "data"), "--manifest-pth", str(dev.resolve() / "manifest"),
    ]
    assert (result.root / "inference" / "dev.hypo").is_file()


def test_stage_timings_cover_unpack_layout_inference_and_the_output_check(tmp_path, dev):
    slow = GOOD.replace("lines = []", "import time\ntime.sleep(0.5)\nlines = []")
    started = time.monotonic()
    result = replay(make_archive(tmp_path / "a.zip", slow), dev, tmp_path)
    wall = time.monotonic() - started
    stages = {timing.stage: timing.seconds for timing in result.timings}
    assert list(stages)[:2] == ["unpack", "layout check"]
    assert "output check dev" in stages
    assert 0.5 <= stages["inference dev"] <= wall  # the script's own sleep is inside the inference stage
    assert sum(stages.values()) <= wall


def test_a_crashing_script_is_reported_with_its_exit_status_and_stderr_tail(tmp_path, dev):
    with pytest.raises(server.ReplayError, match="split dev exited with status 1") as caught:
        replay(make_archive(tmp_path / "a.zip", CRASH), dev, tmp_path)
    assert "CUDA out of memory: boom" in caught.value.details
    assert "loading model" in caught.value.details


def test_a_hanging_script_and_its_children_are_killed_at_the_time_limit(tmp_path, dev):
    started = time.monotonic()
    with pytest.raises(server.ReplayError, match="did not finish within the 1.5 s limit; killed"):
        replay(make_archive(tmp_path / "a.zip", HANG), dev, tmp_path, timeout=1.5)
    assert time.monotonic() - started < 30
    pid = int((tmp_path / "work" / "child.pid").read_text())

    def dead() -> bool:
        try:
            return "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return True

    for _ in range(50):  # SIGKILL is delivered asynchronously; give the kernel a moment
        if dead():
            break
        time.sleep(0.1)
    assert dead()


def test_too_few_lines_name_the_first_utterance_without_a_hypothesis(tmp_path, dev):
    with pytest.raises(server.ReplayError, match=r"2 lines, but .*dev.tsv lists 3 utterances; first utterance without a hypothesis: line 3 \(utt3\)") as caught:
        replay(make_archive(tmp_path / "a.zip", SHORT), dev, tmp_path)
    assert "skipped utt3" in caught.value.details


def test_too_many_lines_name_the_first_extra_line(tmp_path, dev):
    with pytest.raises(server.ReplayError, match="first extra line: line 4: 'an extra line'"):
        replay(make_archive(tmp_path / "a.zip", LONG), dev, tmp_path)


def test_a_script_that_writes_nothing_is_reported(tmp_path, dev):
    with pytest.raises(server.ReplayError, match="exited 0 but wrote no .*dev.hypo") as caught:
        replay(make_archive(tmp_path / "a.zip", SILENT), dev, tmp_path)
    assert "forgot to write" in caught.value.details


def test_a_hypo_shipped_in_the_archive_is_used_without_running_inference(tmp_path, dev):
    shipped = {"inference/dev.hypo": "x\ny\nz\n"}
    result = replay(make_archive(tmp_path / "a.zip", CRASH, shipped), dev, tmp_path)
    assert result.runs["dev"].hypotheses == ["x", "y", "z"]
    assert "the server would not run inference.py" in result.runs["dev"].skipped


def test_raw_transcripts_are_read_from_the_archives_raw_output(tmp_path, dev):
    archive = make_archive(tmp_path / "a.zip", GOOD)
    result = replay(archive, dev, tmp_path, raw_output=True)
    assert result.runs["dev"].raw_hypotheses == ["hello world", "turn on the tv", "i have 2 dogs"]


def test_a_workdir_inside_the_repository_is_refused():
    with pytest.raises(server.ReplayError, match="inside the sapsoup repository"):
        server.check_workdir(server.repository_root() / "some-work")


def test_sapc2_model_predict_is_called_per_wav_and_read_back_in_manifest_order(tmp_path, dev):
    archive = tmp_path / "sapc2.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("model.py", SAPC2_MODEL)
        bundle.writestr("answers.json", answers())
    result = replay(archive, dev, tmp_path)
    assert result.layout.target == "sapc2"
    assert result.runs["dev"].hypotheses == ["hello world", "turn on the tv", "i have 2 dogs"]
    assert result.runs["dev"].output_path.read_text().splitlines()[0] == "id,raw_hypos"


# ---------------------------------------------------------------------------------------------
# sapsoup validate


def test_validate_scores_the_archive_and_writes_organisers_json_rows_and_plot(tmp_path, dev):
    archive = make_archive(tmp_path / "a.zip", GOOD)
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, [
        "validate", str(archive), "--dev", str(dev), "--no-sem", "--json", str(out), "--plot", str(tmp_path / "p.png"),
        "--workdir", str(tmp_path / "work"),
    ])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["dev_split"] == [round(EXPECTED_WER, 4), None]
    rows = data["sapsoup"]["splits"]["dev"]["utterances"]
    assert [row["id"] for row in rows] == ["utt1", "utt2", "utt3"]
    assert rows[0]["reference"] == "ref2" and rows[1]["errors"] == 2.0
    buckets = {(b["group"], b["name"]): b for b in data["sapsoup"]["splits"]["dev"]["buckets"]}
    assert buckets[("etiology", "ALS")]["rate"] == round(100 * 2 / 7, 4)
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "work" / "submission" / "inference" / "dev.hypo").is_file()
    assert "SEM not computed" in result.output
    assert "--output-name" in data["sapsoup"]["commands"]["dev"]


def test_validate_without_sem_models_says_why_and_still_gives_the_phonetic_part(tmp_path, dev, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, ["validate", str(make_archive(tmp_path / "a.zip", GOOD)), "--dev", str(dev), "--json", str(out)])
    assert result.exit_code == 0, result.output
    semantic = json.loads(out.read_text())["sapsoup"]["splits"]["dev"]["semantic"]
    assert semantic["sem"] is None and semantic["missing"]
    assert 0 <= semantic["phonetic"] <= 100
    assert json.loads(out.read_text())["dev_split"][1] is None


def test_validate_removes_its_temporary_workdir(tmp_path, dev, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    result = CliRunner().invoke(main, ["validate", str(make_archive(tmp_path / "a.zip", GOOD)), "--dev", str(dev), "--no-sem"])
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "tmp").iterdir()) == []


def test_validate_reports_a_wrong_line_count_with_the_stderr_tail_and_exits_non_zero(tmp_path, dev):
    result = CliRunner().invoke(main, ["validate", str(make_archive(tmp_path / "a.zip", SHORT)), "--dev", str(dev), "--no-sem"])
    assert result.exit_code == 1
    assert "skipped utt3 after a decoding error" in result.output
    assert "Error:" in result.output and "line 3 (utt3)" in result.output


def test_validate_refuses_an_unsafe_archive_with_one_line(tmp_path, dev):
    archive = make_archive(tmp_path / "a.zip", GOOD, {"../escape.py": "x"})
    result = CliRunner().invoke(main, ["validate", str(archive), "--dev", str(dev), "--no-sem"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {archive}: refused entry '../escape.py': '..' component"]


def test_validate_compares_with_a_baseline_archive_and_gives_a_bootstrap_interval(tmp_path, dev):
    better = {"utt1": "hello world", "utt2": "turn on the t v", "utt3": "i have two dogs"}
    candidate = make_archive(tmp_path / "cand.zip", GOOD, {"answers.json": answers(final=better)})
    baseline = make_archive(tmp_path / "base.zip", GOOD)
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, ["validate", str(candidate), "--dev", str(dev), "--no-sem", "--baseline", str(baseline),
                                       "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["dev_split"][0] == 0.0
    assert data["sapsoup"]["baseline"]["result"]["dev_split"][0] == round(EXPECTED_WER, 4)
    interval = data["sapsoup"]["comparison"]["dev"]["interval"]
    assert interval["difference"] == pytest.approx(-EXPECTED_WER)
    assert interval["low"] <= interval["difference"] <= interval["high"] <= 0
    assert "candidate vs baseline" in result.output


def test_validate_ablation_scores_each_postprocessing_rule_switched_off(tmp_path, dev):
    options = PostprocessOptions()
    raw = {"utt1": "hello world", "utt2": "turn on the TV", "utt3": "i have 2 dogs"}
    final = {uid: " ".join(postprocess(text, options).split()) for uid, text in raw.items()}
    archive = make_archive(tmp_path / "a.zip", GOOD, {
        "answers.json": answers(final=final, raw=raw),
        "sapsoup.json": json.dumps({"postprocess": options.to_dict()}),
    })
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, ["validate", str(archive), "--dev", str(dev), "--no-sem", "--ablate-postprocess",
                                       "--json", str(out)])
    assert result.exit_code == 0, result.output
    rows = {row["rule"]: row for row in json.loads(out.read_text())["sapsoup"]["ablation"]["dev"]}
    assert set(rows) >= {"(all rules)", "numbers", "(no post-processing)"}
    assert rows["numbers"]["gain"] > 0  # without it, "2" is deleted by the scorer's cleaning
    assert rows["(no post-processing)"]["rate"] == pytest.approx(EXPECTED_WER)


def test_validate_packs_a_checkpoint_baseline_with_the_candidates_settings(tmp_path, dev, monkeypatch):
    """A torch `.pt` is a ZIP too, but it is a checkpoint: it is packed like the candidate, then run."""
    import torch

    from sapsoup.builder import build as builder_build

    plans = []

    def fake_build(plan, out, force=False, **_):
        plans.append(plan)
        make_archive(Path(out), GOOD)

    monkeypatch.setattr(builder_build, "build_submission", fake_build)
    settings = {"decoding": {"beam_size": 5, "length_penalty": None}, "postprocess": {"numbers": False, "fillers": "drop"}}
    candidate = make_archive(tmp_path / "cand.zip", GOOD, {"sapsoup.json": json.dumps(settings)})
    checkpoint = tmp_path / "finetuned.pt"
    torch.save({"dims": {}, "model_state_dict": {}}, checkpoint)
    assert zipfile.is_zipfile(checkpoint)
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, ["validate", str(candidate), "--dev", str(dev), "--no-sem", "--baseline", str(checkpoint),
                                       "--json", str(out)])
    assert result.exit_code == 0, result.output
    (plan,) = plans
    assert plan.checkpoints == [str(checkpoint)]
    assert plan.target == "sapc1"
    assert plan.decoding.beam_size == 5 and plan.decoding.length_penalty == 0.6
    assert {key: plan.postprocess[key] for key in ("numbers", "fillers")} == {"numbers": False, "fillers": "drop"}
    data = json.loads(out.read_text())
    assert data["sapsoup"]["baseline"]["result"]["dev_split"][0] == round(EXPECTED_WER, 4)


def test_validate_names_a_baseline_that_does_not_exist(tmp_path, dev):
    missing = tmp_path / "nothing.zip"
    result = CliRunner().invoke(main, ["validate", str(make_archive(tmp_path / "a.zip", GOOD)), "--dev", str(dev), "--no-sem",
                                       "--baseline", str(missing)])
    assert result.exit_code == 1
    assert f"{missing}: no such archive or checkpoint" in result.output


@pytest.mark.real
def test_a_real_sapsoup_archive_runs_isolated_and_scores_clean_speech(tmp_path, tiny_en_pt, clean_speech):
    """The archive `sapsoup build` writes (real tiny.en weights) passes the replay as the server runs it."""
    from sapsoup.builder.archive import build_archive
    from sapsoup.editions import sapc1

    archive = tmp_path / "tiny.zip"
    build_archive(tiny_en_pt, str(archive), "sapc1")
    dev = tmp_path / "dev"
    (dev / "manifest").mkdir(parents=True)
    (dev / "data" / "dev").mkdir(parents=True)
    tsv, refs, meta = [str((dev / "data").resolve())], [], ["id\tspeaker\tetiology\tcategory\tduration"]
    for number, (text, audio) in enumerate(clean_speech[1:2]):
        soundfile.write(dev / "data" / "dev" / f"u{number}.wav", audio, 16000, subtype="PCM_16")
        tsv.append(f"dev/u{number}.wav\t{len(audio)}")
        refs.append(sapc1.reference(text, remove_parentheses=False))
        meta.append(f"u{number}\tspk\tALS\tRead\t{len(audio) / 16000:.3f}")
    for name, lines in (("tsv", tsv), ("ref1", refs), ("ref2", refs), ("meta.tsv", meta)):
        (dev / "manifest" / f"dev.{name}").write_text("\n".join(lines) + "\n")
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, ["validate", str(archive), "--dev", str(dev), "--no-sem", "--ablate-postprocess",
                                       "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    row = data["sapsoup"]["splits"]["dev"]["utterances"][0]
    assert data["dev_split"][0] < 50.0, row  # eSpeak's voice is far from Whisper's training data
    assert "KITCHEN LIGHTS" in row["hypothesis_clean"]
    assert [row["rule"] for row in data["sapsoup"]["ablation"]["dev"]][0] == "(all rules)"


def test_the_scripts_own_progress_counter_is_read_from_its_log(tmp_path):
    (tmp_path / "run.stderr").write_text("loading\ndev:  20%|##  | 1/5 [00:01<00:04]\rdev:  40%|#### | 2/5 [00:02<00:03]")
    (tmp_path / "run.stdout").write_text("")
    assert server.reported_progress(tmp_path / "run") == (2, 5)
    (tmp_path / "run.stderr").write_text("no counter here")
    assert server.reported_progress(tmp_path / "run") is None


def test_an_archive_may_ship_its_own_package_named_like_sapsoup(tmp_path, dev):
    # Isolation is about the local installation leaking in, not about what the archive carries.
    result = replay(make_archive(tmp_path / "a.zip", GOOD, {"sapsoup/__init__.py": ""}), dev, tmp_path)
    assert result.runs["dev"].hypotheses == ["SAPSOUP WAS IMPORTABLE"] * 3


def test_ablation_of_an_archive_that_writes_no_raw_transcripts_is_refused_after_inference(tmp_path, dev):
    archive = tmp_path / "sapc2.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("model.py", SAPC2_MODEL)
        bundle.writestr("answers.json", answers())
    with pytest.raises(server.ReplayError, match=r"wrote no raw transcripts to \$SAPSOUP_RAW_OUTPUT"):
        replay(archive, dev, tmp_path, raw_output=True)


def tiny_roberta(folder: Path, classifier: bool) -> str:
    """A random two-layer RoBERTa whose byte-level vocabulary covers cleaned SAPC1 text."""
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaModel, RobertaTokenizer

    folder.mkdir()
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for symbol in list("ABCDEFGHIJKLMNOPQRSTUVWXYZ'") + ["\u0120"]:  # \u0120 is byte-level BPE's space
        vocab[symbol] = len(vocab)
    vocab["<mask>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    RobertaTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=60).save_pretrained(folder)
    import torch

    torch.manual_seed(0)
    config = RobertaConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=32, max_position_embeddings=64, num_labels=3)
    config.id2label = {0: "entailment", 1: "neutral", 2: "contradiction"}
    config.label2id = {v: k for k, v in config.id2label.items()}
    (RobertaForSequenceClassification(config) if classifier else RobertaModel(config)).save_pretrained(folder)
    return str(folder)


def test_validate_computes_sem_with_local_models(tmp_path, dev):
    bert = tiny_roberta(tmp_path / "bert", classifier=False)
    nli = tiny_roberta(tmp_path / "nli", classifier=True)
    baseline = tmp_path / "baseline.tsv"
    baseline.write_text("LAYER,P,R,F\n0,0.1,0.1,0.1\n1,0.2,0.2,0.2\n2,0.3,0.3,0.3\n")
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, [
        "validate", str(make_archive(tmp_path / "a.zip", GOOD)), "--dev", str(dev), "--json", str(out),
        "--bert-model", bert, "--nli-model", nli, "--bert-baseline", str(baseline),
    ])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    semantic = data["sapsoup"]["splits"]["dev"]["semantic"]
    assert semantic["missing"] is None
    assert 0.0 <= data["dev_split"][1] <= 100.0 and data["dev_split"][1] == semantic["sem"]
    assert all(row["semantic"]["sem"] is not None for row in data["sapsoup"]["splits"]["dev"]["utterances"])
    installed = importlib.metadata.version("transformers")
    assert semantic["versions"]["transformers"] == installed
    assert semantic["versions"]["bert_score"] == "0.3.13"
    assert f"transformers {installed}, bert_score 0.3.13" in result.output


# ---------------------------------------------------------------------------------------------
# Dev audio the archive's script could not read


TOLERANT = ARGUMENTS + """\
lines = []
for name in names:
    path = os.path.join(args.data_pth, args.split, os.path.basename(name))
    try:
        with open(path, "rb") as handle:
            readable = handle.read(4) == b"RIFF"
    except OSError:
        readable = False
    if not readable:
        print(f"{path}: cannot read audio (not a WAV); writing an empty line", file=sys.stderr)
    lines.append(answers["final"][os.path.basename(name)[:-4]] if readable else "")
with open(args.output_name, "w") as handle:
    handle.write("\\n".join(lines) + "\\n")
"""


@pytest.mark.parametrize("damage", ["random bytes", "deleted"])
def test_validate_refuses_a_score_over_dev_audio_the_script_could_not_read(tmp_path, dev, damage):
    wav = dev / "data" / "dev" / "utt2.wav"
    if damage == "deleted":
        wav.unlink()
    else:
        wav.write_bytes(np.random.default_rng(0).bytes(3000))
    out = tmp_path / "result.json"
    arguments = ["validate", str(make_archive(tmp_path / "a.zip", TOLERANT)), "--dev", str(dev), "--no-sem",
                 "--json", str(out)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: 1 dev utterance(s) could not be read by the archive's script")
    assert "first utt2 in dev" in last and "--allow-unreadable" in last
    listed = json.loads(out.read_text())["sapsoup"]["unreadable"]["dev"]
    assert [item["id"] for item in listed] == ["utt2"]
    expected_reason = "no such file" if damage == "deleted" else "not readable audio"
    assert listed[0]["reason"].startswith(expected_reason)

    accepted = CliRunner().invoke(main, arguments + ["--allow-unreadable"])
    assert accepted.exit_code == 0, accepted.output
    assert "unreadable: dev utt2" in accepted.output
    # utt2's reference (5 words) is all deletions; the others score as before: 0/2 + 5/5 + 1/4
    assert json.loads(out.read_text())["dev_split"][0] == round(100.0 * 6 / 11, 4)
