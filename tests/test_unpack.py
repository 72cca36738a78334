"""Safe extraction of submission archives and the layout check per target."""

import stat
import zipfile
from pathlib import Path

import pytest

from sapsoup.validate import unpack

SAPC1_FILES = {
    "run.sh": "python_version=3.9\n",
    "inference.py": "import argparse  # --root --split --output-name --data-pth --manifest-pth\n",
    "model.pt": "weights",
    "postprocess/__init__.py": "",
}
SAPC2_FILES = {
    "model.py": "class Model:\n    def __init__(self):\n        pass\n\n    def predict(self, wav_path):\n        return ''\n",
    "requirements.txt": "openai-whisper\n",
}


def make_zip(path: Path, files: dict[str, str], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    return path


def test_a_clean_archive_is_extracted_with_its_folders(tmp_path):
    archive = make_zip(tmp_path / "good.zip", SAPC1_FILES)
    root = unpack.safe_extract(archive, tmp_path / "out")
    assert (root / "postprocess" / "__init__.py").is_file()
    assert (root / "model.pt").read_text() == "weights"


@pytest.mark.parametrize(
    "name, problem",
    [
        ("/etc/evil.py", "absolute path"),
        ("C:/evil.py", "absolute path"),
        ("../evil.py", "'..' component"),
        ("postprocess/../../evil.py", "'..' component"),
        ("sub\\evil.py", "backslash"),
    ],
)
def test_dangerous_names_are_refused_before_extraction(tmp_path, name, problem):
    archive = make_zip(tmp_path / "bad.zip", {**SAPC1_FILES, name: "print('pwned')"})
    with pytest.raises(unpack.ArchiveError, match=problem):
        unpack.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.py").exists()


def test_symbolic_links_are_refused(tmp_path):
    archive = tmp_path / "link.zip"
    make_zip(archive, SAPC1_FILES)
    with zipfile.ZipFile(archive, "a") as bundle:
        info = zipfile.ZipInfo("model.bin")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        bundle.writestr(info, "/etc/passwd")
    with pytest.raises(unpack.ArchiveError, match="symbolic link"):
        unpack.safe_extract(archive, tmp_path / "out")
    assert list(tmp_path.iterdir()) == [archive]


def test_an_archive_over_the_size_limit_is_refused_before_extraction(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", {**SAPC1_FILES, "zeros.bin": "\0" * 2_000_000})
    assert archive.stat().st_size < 100_000
    with pytest.raises(unpack.ArchiveError, match="exceeds the limit of 1,000,000 bytes"):
        unpack.safe_extract(archive, tmp_path / "out", max_unpacked_bytes=1_000_000)
    assert not (tmp_path / "out").exists()


def test_duplicate_entries_are_refused(tmp_path):
    archive = tmp_path / "dup.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("inference.py", "a")
        with pytest.warns(UserWarning):
            bundle.writestr("inference.py", "b")
    with pytest.raises(unpack.ArchiveError, match="duplicate name"):
        unpack.inspect_archive(archive)


def test_a_file_that_is_not_a_zip_is_named_in_the_error(tmp_path):
    fake = tmp_path / "model.zip"
    fake.write_bytes(b"not a zip")
    with pytest.raises(unpack.ArchiveError, match=r"model\.zip: not a ZIP archive"):
        unpack.inspect_archive(fake)


def test_an_existing_destination_is_not_overwritten(tmp_path):
    archive = make_zip(tmp_path / "good.zip", SAPC1_FILES)
    (tmp_path / "out").mkdir()
    with pytest.raises(unpack.ArchiveError, match="already exists"):
        unpack.safe_extract(archive, tmp_path / "out")


def test_sapc1_layout_is_recognised_and_only_the_python_version_is_noted_when_complete(tmp_path):
    root = unpack.safe_extract(make_zip(tmp_path / "a.zip", SAPC1_FILES), tmp_path / "out")
    layout = unpack.check_layout(root)
    assert layout.target == "sapc1"
    assert "model.pt" in layout.files
    assert layout.notes == ["run.sh asks for Python 3.9; the replay uses the local interpreter"]


def test_sapc1_without_model_pt_or_organisers_options_gets_notes(tmp_path):
    files = {"run.sh": "", "inference.py": "print('hi')\n"}
    root = unpack.safe_extract(make_zip(tmp_path / "a.zip", files), tmp_path / "out")
    notes = unpack.check_layout(root).notes
    assert any("no model.pt" in note for note in notes)
    assert any("--data-pth" in note for note in notes)


def test_sapc1_whose_inference_loads_a_missing_model_pt_is_refused_before_it_runs(tmp_path):
    """The server would crash on every split; the message names the archive, not a temporary path."""
    files = {"run.sh": "", "inference.py": "import os\nmodel = os.path.join(root, 'model.pt')\n"}
    archive = make_zip(tmp_path / "a.zip", files)
    root = unpack.safe_extract(archive, tmp_path / "out")
    with pytest.raises(unpack.ArchiveError, match=r"a.zip: inference.py loads model.pt, but the archive has no model.pt at its root"):
        unpack.check_layout(root, archive)


def test_files_zipped_inside_a_folder_are_reported_as_not_at_the_root(tmp_path):
    files = {f"my_submission/{name}": text for name, text in SAPC1_FILES.items()}
    root = unpack.safe_extract(make_zip(tmp_path / "a.zip", files), tmp_path / "out")
    with pytest.raises(unpack.ArchiveError, match="missing run.sh, inference.py at the archive root; found them under my_submission/"):
        unpack.check_layout(root)


def test_inference_py_with_a_syntax_error_is_refused_with_its_line(tmp_path):
    files = {**SAPC1_FILES, "inference.py": "import os\ndef broken(:\n"}
    root = unpack.safe_extract(make_zip(tmp_path / "a.zip", files), tmp_path / "out")
    with pytest.raises(unpack.ArchiveError, match="inference.py line 2: syntax error"):
        unpack.check_layout(root)


def test_sapc2_layout_needs_a_model_class_with_predict(tmp_path):
    root = unpack.safe_extract(make_zip(tmp_path / "a.zip", SAPC2_FILES), tmp_path / "good")
    assert unpack.check_layout(root).target == "sapc2"
    broken = {**SAPC2_FILES, "model.py": "class Model:\n    def run(self, path):\n        return ''\n"}
    root = unpack.safe_extract(make_zip(tmp_path / "b.zip", broken), tmp_path / "bad")
    with pytest.raises(unpack.ArchiveError, match="does not define class Model with a predict method"):
        unpack.check_layout(root)


def test_a_target_declared_in_sapsoup_json_must_match_the_files(tmp_path):
    files = {**SAPC2_FILES, "sapsoup.json": '{"target": "sapc1"}'}
    root = unpack.safe_extract(make_zip(tmp_path / "a.zip", files), tmp_path / "out")
    with pytest.raises(unpack.ArchiveError, match="sapsoup.json says target 'sapc1' but the files are a sapc2 layout"):
        unpack.check_layout(root)


def test_sapsoup_json_is_read_into_the_layout(tmp_path):
    files = {**SAPC1_FILES, "sapsoup.json": '{"postprocess": {"numbers": false}}'}
    root = unpack.safe_extract(make_zip(tmp_path / "a.zip", files), tmp_path / "out")
    assert unpack.check_layout(root).sapsoup_json == {"postprocess": {"numbers": False}}
