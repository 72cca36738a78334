"""The submission archive: its contents per target, its build record, and its reproducibility."""

import hashlib
import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest
import torch
from rich.console import Console

from conftest import SMALL, random_tensors, save_openai
from sapsoup.builder import archive as packer
from sapsoup.builder.archive import BuildError, DecodingSettings, build_archive, files_table
from sapsoup.builder.layout import WhisperShape
from sapsoup.postprocess import PostprocessOptions

SAPC1_FILES = {"run.sh", "inference.py", "decoding.py", "model.pt", "sapsoup.json", "postprocess/__init__.py"}
SAPC2_FILES = {"model.py", "requirements.txt", "decoding.py", "model.pt", "sapsoup.json", "postprocess/__init__.py"}


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    return save_openai(tmp_path_factory.mktemp("model") / "small.pt", random_tensors(), dtype=torch.float16)


@pytest.fixture(scope="module")
def sapc1_zip(small_model, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("sapc1") / "submission.zip")
    provenance = {"method": "none", "inputs": [{"path": small_model}]}
    build_archive(small_model, out, "sapc1", DecodingSettings(beam_size=3), None, provenance)
    return out


@pytest.fixture(scope="module")
def sapc2_zip(small_model, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("sapc2") / "submission.zip")
    build_archive(small_model, out, "sapc2")
    return out


def names(path):
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def record(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("sapsoup.json"))


def text(path, name):
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")


# ----------------------------------------------------------------------------- contents


def test_sapc1_archive_holds_the_organisers_files_at_its_root(sapc1_zip):
    assert SAPC1_FILES <= set(names(sapc1_zip))
    assert not {"model.py", "requirements.txt"} & set(names(sapc1_zip))


def test_sapc2_archive_holds_model_py_requirements_and_weights(sapc2_zip):
    assert SAPC2_FILES <= set(names(sapc2_zip))
    assert not {"run.sh", "inference.py"} & set(names(sapc2_zip))


def test_postprocess_package_is_copied_as_python_files_only(sapc1_zip):
    from sapsoup import postprocess

    folder = os.path.dirname(postprocess.__file__)
    shipped = sorted(n for n in names(sapc1_zip) if n.startswith("postprocess/"))
    expected = sorted("postprocess/" + n for n in os.listdir(folder) if n.endswith(".py"))
    assert shipped == expected
    for name in shipped:
        with open(os.path.join(folder, name.split("/", 1)[1]), "rb") as handle:
            assert text(sapc1_zip, name).encode("utf-8") == handle.read()


def test_shared_decoding_module_is_shipped_unchanged(sapc1_zip, sapc2_zip):
    from sapsoup.submission import decoding

    with open(decoding.__file__, encoding="utf-8") as handle:
        source = handle.read()
    assert text(sapc1_zip, "decoding.py") == source == text(sapc2_zip, "decoding.py")


def test_run_sh_todo_sections_carry_python_version_and_pinned_installs(sapc1_zip):
    script = text(sapc1_zip, "run.sh")
    assert "{{" not in script
    assert f"python_version={sys.version_info.major}.{sys.version_info.minor}\n" in script
    for pin in ("openai-whisper==20250625", f"torch=={torch.__version__.split('+')[0]}", "soundfile==", "inflect=="):
        assert pin in script
    assert "--root ${root}" in script and "--output-name ${hypo}" in script


def test_sapc2_requirements_pin_whisper_but_leave_torch_to_the_image(sapc2_zip):
    lines = [line for line in text(sapc2_zip, "requirements.txt").splitlines() if line and not line.startswith("#")]
    assert "openai-whisper==20250625" in lines
    assert all("==" in line for line in lines)
    assert not any(line.startswith(("torch==", "numpy==")) for line in lines)


def test_packed_model_loads_in_openai_whisper_with_the_same_weights(sapc1_zip, small_model, tmp_path):
    import whisper

    with zipfile.ZipFile(sapc1_zip) as archive:
        archive.extract("model.pt", tmp_path)
    model = whisper.load_model(str(tmp_path / "model.pt"), device="cpu")
    original = torch.load(small_model, weights_only=True)["model_state_dict"]
    packed = torch.load(tmp_path / "model.pt", weights_only=True)["model_state_dict"]
    assert packed.keys() == original.keys()
    assert all(torch.equal(packed[k], original[k]) for k in original)
    assert model.dims.n_audio_state == SMALL.d_model


# ----------------------------------------------------------------------------- the build record


def test_build_record_lists_the_sha256_of_every_other_file(sapc1_zip):
    hashes = record(sapc1_zip)["files"]
    with zipfile.ZipFile(sapc1_zip) as archive:
        actual = {n: hashlib.sha256(archive.read(n)).hexdigest() for n in archive.namelist() if n != "sapsoup.json"}
    assert hashes == actual


def test_build_record_holds_target_version_decoding_postprocessing_and_provenance(sapc1_zip, small_model):
    from sapsoup import __version__

    built = record(sapc1_zip)
    assert built["target"] == "sapc1"
    assert built["sapsoup_version"] == __version__
    assert built["decoding"] == {"beam_size": 3, "length_penalty": 0.6, "temperature": 0.0}
    assert built["postprocess"] == PostprocessOptions().to_dict()
    assert built["merge"] == {"method": "none", "inputs": [{"path": small_model}]}
    assert built["model"]["dims"] == SMALL.openai_dims()


# ----------------------------------------------------------------------------- reproducibility


def test_entries_are_sorted_dated_1980_and_deflated(sapc1_zip):
    with zipfile.ZipFile(sapc1_zip) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
    assert not any(i.is_dir() for i in infos)


def test_run_sh_alone_is_executable(sapc1_zip):
    with zipfile.ZipFile(sapc1_zip) as archive:
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in archive.infolist()}
    assert modes.pop("run.sh") == 0o755
    assert set(modes.values()) == {0o644}


BUILD_IN_A_FRESH_PROCESS = """
import sys
from sapsoup.builder.archive import build_archive, DecodingSettings
build_archive(sys.argv[1], sys.argv[2], "sapc1", DecodingSettings(beam_size=2), {"fillers": "drop"}, {"a": 1})
"""
RESAVE_IN_A_FRESH_PROCESS = "import sys, torch; torch.save(torch.load(sys.argv[1], weights_only=True), sys.argv[2])"


def test_two_builds_in_separate_processes_are_byte_identical(small_model, tmp_path):
    # The second build starts from a copy saved by another process, as a fresh conversion would be:
    # same tensors, but PyTorch writes a random serialization id into every file it saves.
    copy = tmp_path / "copy.pt"
    subprocess.run([sys.executable, "-c", RESAVE_IN_A_FRESH_PROCESS, small_model, str(copy)], check=True)
    with open(small_model, "rb") as handle:
        assert handle.read() != copy.read_bytes()
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first, second = tmp_path / "one" / "submission.zip", tmp_path / "two" / "submission.zip"
    build_archive(small_model, str(first), "sapc1", DecodingSettings(beam_size=2), {"fillers": "drop"}, {"a": 1})
    subprocess.run([sys.executable, "-c", BUILD_IN_A_FRESH_PROCESS, str(copy), str(second)], check=True)
    assert first.read_bytes() == second.read_bytes()


def test_pinned_serialization_id_leaves_a_valid_loadable_file(tmp_path):
    path = str(tmp_path / "model.pt")
    torch.save({"x": torch.arange(5)}, path)
    packer.pin_serialization_id(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # every CRC-32 matches its data
        (name,) = [n for n in archive.namelist() if n.endswith(".data/serialization_id")]
        pinned = archive.read(name)
    assert pinned.isdigit() and len(pinned) == 40
    assert torch.equal(torch.load(path, weights_only=True)["x"], torch.arange(5))


# ----------------------------------------------------------------------------- bad input


def ffn_mismatched_model(path):
    """A model whose FFN is 3 x d: Hugging Face can hold it, openai-whisper cannot."""
    tensors = random_tensors()
    state = {}
    from sapsoup.builder import layout

    for hf, oa in layout.hf_openai_pairs(SMALL):
        tensor = tensors[hf]
        if oa.endswith("mlp.0.weight"):
            tensor = tensor[: 3 * SMALL.d_model]
        elif oa.endswith("mlp.0.bias"):
            tensor = tensor[: 3 * SMALL.d_model]
        elif oa.endswith("mlp.2.weight"):
            tensor = tensor[:, : 3 * SMALL.d_model]
        state[oa] = tensor
    torch.save({"dims": SMALL.openai_dims(), "model_state_dict": state}, path)
    return str(path)


def test_a_model_with_ffn_other_than_4d_is_refused_and_nothing_written(tmp_path):
    model = ffn_mismatched_model(tmp_path / "wide.pt")
    out = tmp_path / "out" / "submission.zip"
    out.parent.mkdir()
    with pytest.raises(BuildError, match=r"wide.pt: encoder FFN width 192 is not 4 x d_model \(256\)"):
        build_archive(model, str(out))
    assert os.listdir(out.parent) == []


def test_a_model_missing_a_tensor_is_refused_naming_it(tmp_path):
    path = tmp_path / "partial.pt"
    save_openai(path, random_tensors())
    payload = torch.load(path, weights_only=True)
    del payload["model_state_dict"]["decoder.ln.weight"]
    torch.save(payload, path)
    with pytest.raises(BuildError, match=r"partial.pt: openai-whisper cannot load the weights: missing tensor\(s\) decoder.ln.weight"):
        build_archive(str(path), str(tmp_path / "submission.zip"))


def test_a_file_that_is_not_an_openai_checkpoint_is_refused(tmp_path):
    path = tmp_path / "notes.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(BuildError, match="notes.pt: not an openai-whisper checkpoint"):
        build_archive(str(path), str(tmp_path / "submission.zip"))


def test_a_model_openai_whisper_cannot_window_is_refused(tmp_path):
    short = WhisperShape(**{**SMALL.__dict__, "n_audio_ctx": 750})
    path = save_openai(tmp_path / "short.pt", random_tensors(short), short)
    with pytest.raises(BuildError, match="n_audio_ctx is 750"):
        build_archive(path, str(tmp_path / "submission.zip"))


def test_a_failed_build_leaves_an_existing_archive_untouched(tmp_path, small_model):
    out = tmp_path / "submission.zip"
    out.write_bytes(b"the previous archive")
    with pytest.raises(BuildError):
        build_archive(ffn_mismatched_model(tmp_path / "wide.pt"), str(out))
    assert out.read_bytes() == b"the previous archive"
    assert sorted(os.listdir(tmp_path)) == ["submission.zip", "wide.pt"]


def test_an_unknown_target_is_refused(tmp_path, small_model):
    with pytest.raises(BuildError, match="unknown challenge edition 'sapc9'"):
        build_archive(small_model, str(tmp_path / "submission.zip"), "sapc9")


def test_an_archive_name_that_could_escape_its_folder_is_refused(tmp_path):
    with pytest.raises(BuildError, match="not a plain relative archive name"):
        packer.write_reproducible_zip(str(tmp_path / "x.zip"), {"../evil.py": b""})
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------- the table


def test_files_table_lists_every_file_with_its_size(sapc1_zip):
    with zipfile.ZipFile(sapc1_zip) as archive:
        files = [packer.ArchiveFile(i.filename, i.file_size, "0" * 64) for i in archive.infolist()]
    console = Console(record=True, width=200)
    console.print(files_table(files))
    shown = console.export_text()
    for entry in files:
        assert entry.name in shown and f"{entry.size:,}" in shown
    assert f"{sum(f.size for f in files):,}" in shown


# ----------------------------------------------------------------------------- refusals of `build`


def test_a_model_with_a_nan_weight_is_refused_and_no_archive_is_written(tmp_path):
    """Such a model runs and writes garbage; the server would score it, so build refuses it."""
    tensors = random_tensors()
    tensors["model.decoder.layers.0.fc1.weight"][3, 5] = float("nan")  # decoder.blocks.0.mlp.0 in the .pt
    model = save_openai(tmp_path / "nan.pt", tensors, dtype=torch.float16)
    out = tmp_path / "submission.zip"
    with pytest.raises(BuildError, match=r"nan.pt: tensor decoder.blocks.0.mlp.0.weight holds 1 NaN or infinite value"):
        build_archive(model, str(out), "sapc1")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nan.pt"]


def test_build_refuses_to_replace_an_existing_zip_without_force(tmp_path, small_model):
    from sapsoup.builder.build import build_submission
    from sapsoup.builder.recipe import model_recipe

    out = tmp_path / "submission.zip"
    out.write_bytes(b"an archive already uploaded")
    plan = model_recipe(small_model)
    with pytest.raises(BuildError, match=r"submission.zip: already exists \(use --force to replace it\)"):
        build_submission(plan, str(out))
    assert out.read_bytes() == b"an archive already uploaded"
    build_submission(plan, str(out), force=True)
    assert "model.pt" in names(out)


def test_build_leaves_nothing_in_the_temporary_folder(tmp_path, small_model):
    """Not even the compiler cache that building a model on torch's meta device creates."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "submission.zip"
    environment = dict(os.environ, TMPDIR=str(scratch))
    subprocess.run([sys.executable, "-m", "sapsoup.cli", "build", "--model", small_model, "-o", str(out)],
                   env=environment, check=True, capture_output=True)
    assert out.is_file()
    assert list(scratch.iterdir()) == []


def test_build_refuses_to_write_the_archive_over_its_own_checkpoint(tmp_path, small_model):
    from sapsoup.builder.build import build_submission
    from sapsoup.builder.errors import CheckpointError
    from sapsoup.builder.recipe import model_recipe

    before = open(small_model, "rb").read()
    with pytest.raises(CheckpointError, match=r"small.pt: the archive is the input .*small.pt; write it to another path"):
        build_submission(model_recipe(small_model), small_model, force=True)
    assert open(small_model, "rb").read() == before
