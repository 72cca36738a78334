"""Writing PyTorch .pt files without torch: torch.load reads back exactly what was written."""

import struct
import zipfile

import ml_dtypes
import numpy as np
import pytest
import torch

from sapsoup.builder import pt_writer
from sapsoup.builder.arrays import to_torch
from sapsoup.builder.errors import CheckpointError


def payload():
    rng = np.random.default_rng(0)
    return {
        "dims": {"n_mels": 80, "n_vocab": 51864, "name": "tiny"},
        "model_state_dict": {
            "encoder.conv1.weight": rng.standard_normal((4, 3, 3)).astype(np.float16),
            "encoder.positional_embedding": rng.standard_normal((5, 4)).astype(np.float32),
            "decoder.ln.bias": rng.standard_normal(7).astype(ml_dtypes.bfloat16),
            "transposed": rng.standard_normal((3, 2)).astype(np.float32).T,  # not contiguous
            "steps": np.arange(6, dtype=np.int64).reshape(2, 3),
            "empty": np.zeros((0, 4), np.float32),
        },
    }


@pytest.mark.parametrize("mmap", [False, True])
def test_torch_load_gives_back_every_tensor_and_value(tmp_path, mmap):
    written = payload()
    pt_writer.save(written, str(tmp_path / "m.pt"), "m")
    back = torch.load(str(tmp_path / "m.pt"), weights_only=True, mmap=mmap)
    assert back["dims"] == written["dims"]
    assert set(back["model_state_dict"]) == set(written["model_state_dict"])
    for name, array in written["model_state_dict"].items():
        tensor = back["model_state_dict"][name]
        expected = to_torch(np.ascontiguousarray(array))
        assert tensor.dtype == expected.dtype and torch.equal(tensor, expected), name


def test_every_record_starts_at_a_multiple_of_64_under_the_archive_name(tmp_path):
    pt_writer.save(payload(), str(tmp_path / "m.pt"), "soup")
    with zipfile.ZipFile(tmp_path / "m.pt") as archive, open(tmp_path / "m.pt", "rb") as handle:
        for info in archive.infolist():
            assert info.filename.startswith("soup/") and info.compress_type == zipfile.ZIP_STORED
            handle.seek(info.header_offset)
            name_length, extra_length = struct.unpack("<HH", handle.read(30)[26:30])
            assert (info.header_offset + 30 + name_length + extra_length) % 64 == 0, info.filename
        assert archive.read("soup/byteorder") == b"little" and archive.read("soup/version") == b"3\n"


def test_one_payload_always_gives_the_same_file(tmp_path):
    pt_writer.save(payload(), str(tmp_path / "a.pt"), "m")
    pt_writer.save(payload(), str(tmp_path / "b.pt"), "m")
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()


def test_a_dtype_pytorch_files_cannot_hold_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="complex64"):
        pt_writer.save({"x": np.zeros(2, np.complex64)}, str(tmp_path / "m.pt"), "m")
