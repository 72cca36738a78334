"""The archive runs without sapsoup: unpacked, started with the organisers' own command line.

Each archive is unpacked into a temporary folder and run in a separate process whose import path
holds only that folder and the installed third-party packages, never the repository, so an archive
that leans on sapsoup fails here rather than on the server. The audio is synthetic (tones, noise,
silence, broken files) and the model small and random: these tests check the plumbing (one line per
manifest entry, in order, the same text as sapsoup's own decoding), not what a model hears.

`run_organisers_command` and `run_sapc2_model` are meant for reuse (the real-weight tests call them).
"""

import contextlib
import os
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import numpy as np
import pytest
import soundfile
import torch

from conftest import SMALL, random_tensors, save_openai
from sapsoup.builder.archive import DecodingSettings, build_archive
from sapsoup.builder.layout import WhisperShape
from sapsoup.submission import decoding

RATE = 16000
SUBPROCESS_LIMIT_SECONDS = 900  # a safety net against a hung child, not a timing check


# ----------------------------------------------------------------------------- reusable helpers


@dataclass
class ArchiveRun:
    """What one run of an unpacked archive produced."""

    lines: List[str]  # the output file's lines (SAPC1) or predict()'s results (SAPC2), in order
    raw_lines: Optional[List[str]]  # $SAPSOUP_RAW_OUTPUT's lines, when asked for
    stderr: str
    command: List[str]


def unpack(archive: str, folder) -> Path:
    """Unpack a submission ZIP the way the server does: into a fresh folder of its own."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=False)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(root)
    return root


def isolated_environment(root: Path, extra: Optional[dict] = None) -> dict:
    """Environment for a child that sees the archive and third-party packages, never the repository.

    The child runs `python -S`: no `site` module, so no `.pth` hooks, among them the one that makes
    the editable sapsoup importable. Third-party packages come back through PYTHONPATH. One thread:
    on a shared machine it is faster, and it keeps the child's arithmetic equal to this process's
    (see `one_thread`).
    """
    paths = sysconfig.get_paths()
    packages = list(dict.fromkeys([paths["purelib"], paths["platlib"]]))
    environment = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    environment.update(
        PYTHONPATH=os.pathsep.join([str(root)] + packages),
        PYTHONNOUSERSITE="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        HF_HUB_OFFLINE="1",
        CUDA_VISIBLE_DEVICES="",  # CPU, as this process decodes for the line-by-line comparison
    )
    environment.update(extra or {})
    return environment


def run_isolated(command: List[str], root: Path, workdir: Path, extra: Optional[dict] = None):
    return subprocess.run(
        command, cwd=workdir, env=isolated_environment(root, extra), capture_output=True, text=True,
        timeout=SUBPROCESS_LIMIT_SECONDS,
    )  # fmt: skip


def run_organisers_command(
    root: Path, split: str, data_pth: Optional[str] = None, manifest_pth: Optional[str] = None,
    raw_output: Optional[Path] = None, environment: Optional[dict] = None,
) -> ArchiveRun:  # fmt: skip
    """Run SAPC1's `python ROOT/inference.py --root ROOT --split SPLIT --output-name
    ROOT/inference/SPLIT.hypo` in isolation and return the output's lines.

    `data_pth`/`manifest_pth` replace the server's /taiga defaults (left out: the defaults). The
    working folder is ROOT's parent, outside the repository. A non-zero exit fails the test with
    the child's stderr. `environment` adds or replaces variables of the child's environment (for
    example CUDA_VISIBLE_DEVICES, which is empty by default: see `isolated_environment`).
    """
    root = Path(root).resolve()
    output = root / "inference" / f"{split}.hypo"
    command = [sys.executable, "-S", str(root / "inference.py"), "--root", str(root), "--split", split,
               "--output-name", str(output)]  # fmt: skip
    if data_pth is not None:
        command += ["--data-pth", str(data_pth)]
    if manifest_pth is not None:
        command += ["--manifest-pth", str(manifest_pth)]
    extra = dict(environment or {})
    if raw_output:
        extra["SAPSOUP_RAW_OUTPUT"] = str(raw_output)
    result = run_isolated(command, root, root.parent, extra)
    if result.returncode != 0:
        pytest.fail(f"inference.py exited with {result.returncode}:\n{result.stderr[-4000:]}")
    lines = output.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", "the output must end with a newline"
    raw = raw_output.read_text(encoding="utf-8").split("\n")[:-1] if raw_output else None
    return ArchiveRun(lines[:-1], raw, result.stderr, command)


SAPC2_INGESTION = """
import json, sys
root, paths = sys.argv[1], sys.argv[2:]
sys.path.append(root)  # as the organisers' ingestion program does
from model import Model
model = Model()
results = [model.predict(path) for path in paths]
assert all(isinstance(text, str) for text in results)
print(json.dumps(results))
"""


def run_sapc2_model(root: Path, wav_paths: List[str], environment: Optional[dict] = None) -> ArchiveRun:
    """Load SAPC2's `model.Model` in isolation and return `predict(path)` for each path, in order."""
    import json

    root = Path(root).resolve()
    command = [sys.executable, "-S", "-c", SAPC2_INGESTION, str(root)] + [str(p) for p in wav_paths]
    result = run_isolated(command, root, root.parent, environment)
    if result.returncode != 0:
        pytest.fail(f"model.py failed with {result.returncode}:\n{result.stderr[-4000:]}")
    return ArchiveRun(json.loads(result.stdout.strip().splitlines()[-1]), None, result.stderr, command)


def write_manifest(folder: Path, split: str, names: List[str]) -> None:
    """A wav2vec-style manifest: a root line, then `relative/path<TAB>frames` per utterance."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["/somewhere/on/the/server"] + [f"speaker/{name}\t{RATE}" for name in names]
    (folder / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_test_audio(folder: Path) -> dict:
    """Every kind of file a split can hold: name -> what it is. Written with soundfile, 16 kHz."""
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(2 * RATE) / RATE
    rng = np.random.default_rng(0)
    soundfile.write(folder / "tone.wav", 0.3 * np.sin(2 * np.pi * 440 * t), RATE)
    soundfile.write(folder / "noise.wav", rng.normal(0, 0.1, 2 * RATE).clip(-1, 1), RATE)
    long_t = np.arange(35 * RATE) / RATE  # longer than one 30-s window
    soundfile.write(folder / "long.wav", 0.2 * np.sin(2 * np.pi * 220 * long_t) * np.sin(np.pi * long_t / 35), RATE)
    stereo = np.stack([np.sin(2 * np.pi * 330 * np.arange(44100) / 44100)] * 2, axis=1) * 0.3
    soundfile.write(folder / "stereo44k.wav", stereo, 44100)
    soundfile.write(folder / "silent.wav", np.zeros(RATE), RATE)
    soundfile.write(folder / "empty.wav", np.zeros(0), RATE)
    (folder / "broken.wav").write_bytes((folder / "tone.wav").read_bytes()[:30])  # cut inside the header
    return {
        "tone.wav": "speech-like", "noise.wav": "speech-like", "long.wav": "speech-like",
        "stereo44k.wav": "speech-like", "silent.wav": "silent", "empty.wav": "empty", "broken.wav": "unreadable",
    }  # fmt: skip


@contextlib.contextmanager
def one_thread():
    """Decode in this process with one thread, like the isolated child, so both sum in the same order."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def expected_lines(model_path: str, paths: List[str], beam_size, options) -> List[str]:
    """What sapsoup's own decoding and post-processing make of the files, in this process."""
    from sapsoup.postprocess import postprocess

    with one_thread():
        model = decoding.load_model(model_path, device="cpu")
        raw = [decoding.transcribe_file(model, p, beam_size) for p in paths]
    return [" ".join(postprocess(r, options).split()) if r else "" for r in raw]


# ----------------------------------------------------------------------------- SAPC1, end to end

# Small and random: 1+1 layers, a short text context so each 30-s window stops after 32 tokens.
RUN_SHAPE = WhisperShape(**{**SMALL.__dict__, "encoder_layers": 1, "decoder_layers": 1, "n_text_ctx": 64})
# The manifest, in the order the output must follow; missing.wav is named but absent from the disk.
ORDER = ["tone.wav", "broken.wav", "long.wav", "silent.wav", "noise.wav", "empty.wav", "missing.wav", "stereo44k.wav"]


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "small.pt"
    return save_openai(path, random_tensors(RUN_SHAPE, seed=3), RUN_SHAPE, dtype=torch.float16)


@pytest.fixture(scope="module")
def dev_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dev")
    write_test_audio(folder / "data" / "test1")
    write_manifest(folder / "manifest", "test1", ORDER)
    return folder


@pytest.fixture(scope="module")
def sapc1_run(small_model, dev_folder, tmp_path_factory):
    """Build, unpack and run a SAPC1 archive once; the tests below read the result."""
    work = tmp_path_factory.mktemp("sapc1")
    archive = str(work / "submission.zip")
    build_archive(small_model, archive, "sapc1", DecodingSettings(beam_size=2))
    root = unpack(archive, work / "ROOT")
    run = run_organisers_command(
        root, "test1", dev_folder / "data", dev_folder / "manifest", raw_output=work / "raw" / "test1.raw"
    )
    return root, run


def test_output_has_one_line_per_manifest_entry(sapc1_run):
    _, run = sapc1_run
    assert len(run.lines) == len(ORDER)


def test_output_matches_sapsoups_own_decoding_line_by_line(sapc1_run, dev_folder):
    from sapsoup.postprocess import PostprocessOptions

    root, run = sapc1_run
    paths = [str(dev_folder / "data" / "test1" / name) for name in ORDER]
    expected = expected_lines(str(root / "model.pt"), paths, 2, PostprocessOptions())
    assert run.lines == expected
    assert all(run.lines[ORDER.index(n)] for n in ("tone.wav", "long.wav", "noise.wav", "stereo44k.wav"))


@pytest.mark.parametrize("name, problem", [
    ("broken.wav", "cannot read audio"), ("empty.wav", "holds no samples"),
    ("silent.wav", "silent audio"), ("missing.wav", "no such file"),
])  # fmt: skip
def test_a_file_that_cannot_be_transcribed_gives_an_empty_line_and_a_warning(sapc1_run, name, problem):
    _, run = sapc1_run
    assert run.lines[ORDER.index(name)] == ""
    warnings = [line for line in run.stderr.splitlines() if line.startswith("WARNING:") and name in line]
    assert len(warnings) == 1 and problem in warnings[0]


def test_raw_transcripts_are_written_where_sapsoup_raw_output_says(sapc1_run):
    _, run = sapc1_run
    assert len(run.raw_lines) == len(ORDER)
    for raw, final in zip(run.raw_lines, run.lines):
        assert bool(raw) == bool(final)


def test_output_file_is_written_whole_with_no_partial_file_left(sapc1_run):
    root, _ = sapc1_run
    assert sorted(os.listdir(root / "inference")) == ["test1.hypo"]


def test_sapsoup_itself_is_not_importable_where_the_archive_runs(sapc1_run):
    root, _ = sapc1_run
    probe = (
        "import importlib.util, sys; import decoding, postprocess, whisper; "
        "sys.exit(0 if importlib.util.find_spec('sapsoup') is None else 3)"
    )
    result = run_isolated([sys.executable, "-S", "-c", probe], root, root.parent)
    assert result.returncode == 0, result.stderr  # the archive's own modules import, sapsoup does not


def test_inference_takes_the_organisers_arguments_and_defaults(sapc1_run):
    root, _ = sapc1_run
    probe = (
        "import sys; sys.argv = ['inference.py']; import inference; parser = inference.get_parser(); "
        "a = parser.parse_args(); print(a.data_pth, a.manifest_pth, a.split); print(parser.format_help())"
    )
    result = run_isolated([sys.executable, "-S", "-c", probe], root, root.parent)
    defaults, help_text = result.stdout.split("\n", 1)
    assert defaults.split() == ["/taiga/data/processed", "/taiga/manifest", "test1"]
    for option in ("--data-pth", "--manifest-pth", "--root", "--split", "--output-name"):
        assert option in help_text


# ----------------------------------------------------------------------------- SAPC2


def test_sapc2_model_predicts_each_file_or_an_empty_string(small_model, dev_folder, tmp_path):
    archive = str(tmp_path / "submission.zip")
    build_archive(small_model, archive, "sapc2", DecodingSettings(beam_size=None), {"fillers": "drop"})
    root = unpack(archive, tmp_path / "submission")
    names = ["tone.wav", "broken.wav", "silent.wav"]
    paths = [str(dev_folder / "data" / "test1" / n) for n in names]
    run = run_sapc2_model(root, paths)
    from sapsoup.postprocess import PostprocessOptions

    assert run.lines == expected_lines(str(root / "model.pt"), paths, None, PostprocessOptions(fillers="drop"))
    assert run.lines[0] and run.lines[1:] == ["", ""]
    assert "broken.wav: cannot read audio" in run.stderr


# ----------------------------------------------------------------------------- decoding.py on its own


def test_read_audio_downmixes_and_resamples_to_16k_mono(tmp_path):
    seconds, frequency = 1.0, 1000.0
    t = np.arange(int(44100 * seconds)) / 44100
    stereo = np.stack([np.sin(2 * np.pi * frequency * t), np.zeros_like(t)], axis=1) * 0.5
    soundfile.write(tmp_path / "x.wav", stereo, 44100, subtype="FLOAT")
    audio = decoding.read_audio(str(tmp_path / "x.wav"))
    assert audio.dtype == np.float32 and audio.ndim == 1 and audio.size == RATE
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) == pytest.approx(frequency * seconds, abs=1)  # same pitch, bin = Hz here
    assert np.max(np.abs(audio)) == pytest.approx(0.25, rel=0.02)  # the two channels averaged


def test_read_audio_keeps_16k_mono_samples_as_they_are(tmp_path):
    samples = np.random.default_rng(1).uniform(-0.5, 0.5, 4000).astype(np.float32)
    soundfile.write(tmp_path / "x.wav", samples, RATE, subtype="FLOAT")
    assert np.array_equal(decoding.read_audio(str(tmp_path / "x.wav")), samples)


def test_read_audio_names_the_file_it_cannot_read(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"RIFF\x00\x00")
    with pytest.raises(decoding.AudioError, match=r"bad.wav: cannot read audio"):
        decoding.read_audio(str(tmp_path / "bad.wav"))


def test_silence_is_below_the_peak_threshold():
    assert decoding.is_silent(np.zeros(RATE, np.float32))
    assert decoding.is_silent(np.full(RATE, decoding.SILENCE_PEAK / 2, np.float32))
    assert not decoding.is_silent(np.full(RATE, 0.01, np.float32))


class RecordingModel:
    """Stands in for a Whisper model: records what `transcribe` is asked to do."""

    def __init__(self, device: str, text: str = " Hello,\n  world. "):
        self.device, self.text, self.calls = torch.device(device), text, []

    def transcribe(self, audio, **options):
        self.calls.append((audio, options))
        return {"text": self.text}


def test_transcribe_decodes_at_temperature_zero_in_english_with_the_length_penalty():
    model = RecordingModel("cpu")
    text = decoding.transcribe(model, np.zeros(RATE, np.float64))
    (audio, options), = model.calls
    assert audio.dtype == np.float32
    assert options["temperature"] == 0.0 and options["language"] == "en" and options["task"] == "transcribe"
    assert options["length_penalty"] == 0.6
    assert "beam_size" not in options  # greedy unless a beam size is given
    assert text == "Hello, world."  # one line, spaces collapsed


def test_transcribe_runs_fp16_on_a_gpu_and_fp32_on_a_cpu():
    on_cpu, on_gpu = RecordingModel("cpu"), RecordingModel("cuda")
    decoding.transcribe(on_cpu, np.zeros(RATE, np.float32), beam_size=5)
    decoding.transcribe(on_gpu, np.zeros(RATE, np.float32), beam_size=5)
    assert on_cpu.calls[0][1]["fp16"] is False and on_gpu.calls[0][1]["fp16"] is True
    assert on_cpu.calls[0][1]["beam_size"] == 5


def test_load_model_uses_the_cpu_when_there_is_no_gpu(small_model, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model = decoding.load_model(small_model)
    assert model.device.type == "cpu"
    assert next(model.parameters()).dtype == torch.float32


def test_transcribe_file_turns_any_failure_into_an_empty_string_and_one_warning(tmp_path):
    class BrokenModel(RecordingModel):
        def transcribe(self, audio, **options):
            raise RuntimeError("out of memory")

    soundfile.write(tmp_path / "ok.wav", np.full(RATE, 0.1), RATE)
    warnings = []
    text = decoding.transcribe_file(BrokenModel("cpu"), str(tmp_path / "ok.wav"), on_warning=warnings.append)
    assert text == ""
    assert warnings == [f"{tmp_path / 'ok.wav'}: RuntimeError: out of memory; writing an empty line"]


def test_manifest_blank_lines_at_the_end_are_not_utterances_but_one_in_between_is(sapc1_run, tmp_path):
    root, _ = sapc1_run
    manifest = tmp_path / "test9.tsv"
    manifest.write_text("/root\na/one.wav\t10\n\nb/two.wav\t20\n\n\n", encoding="utf-8")
    probe = f"import inference; print(inference.read_manifest({str(manifest)!r}))"
    result = run_isolated([sys.executable, "-S", "-c", probe], root, root.parent)
    assert result.stdout.strip() == "['a/one.wav', '', 'b/two.wav']"  # the blank middle line keeps its place


def test_a_real_tiny_en_archive_transcribes_real_speech_long_audio_and_survives_a_broken_file(
    tiny_en_pt, clean_speech, tmp_path
):
    """The organisers' exact command on the archive of the real tiny.en: speech, a 35-s passage and
    a broken file, one line each, in manifest order."""
    from sapsoup.builder.archive import build_archive

    build_archive(tiny_en_pt, str(tmp_path / "real.zip"), "sapc1")
    root = unpack(str(tmp_path / "real.zip"), tmp_path / "server" / "ROOT")
    data = tmp_path / "data" / "test1"
    data.mkdir(parents=True)
    kitchen_audio, book_audio = clean_speech[1][1], clean_speech[2][1]
    pause = np.zeros(RATE, dtype=np.float32)
    passage = np.concatenate([kitchen_audio, pause, book_audio, pause] * 6)
    assert len(passage) > 30 * RATE
    soundfile.write(data / "kitchen.wav", kitchen_audio, RATE, subtype="PCM_16")
    soundfile.write(data / "passage.wav", passage, RATE, subtype="PCM_16")
    (data / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt truncated")
    soundfile.write(data / "book.wav", book_audio, RATE, subtype="PCM_16")
    write_manifest(tmp_path / "manifest", "test1", ["kitchen.wav", "passage.wav", "broken.wav", "book.wav"])

    run = run_organisers_command(root, "test1", data_pth=tmp_path / "data", manifest_pth=tmp_path / "manifest")

    assert len(run.lines) == 4
    assert "kitchen lights" in run.lines[0].lower()
    assert run.lines[1].lower().count("kitchen") >= 5  # the whole passage, not only its first 30 s
    assert run.lines[2] == "" and "broken.wav" in run.stderr
    assert "book" in run.lines[3].lower()
