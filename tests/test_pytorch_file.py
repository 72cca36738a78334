"""Writing PyTorch .pt files without torch: torch.load reads back exactly what was written."""

import struct
import zipfile

import ml_dtypes
import numpy as np
import pytest
import torch

from sapsoup.builder import pytorch_file
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
    pytorch_file.save(written, str(tmp_path / "m.pt"), "m")
    back = torch.load(str(tmp_path / "m.pt"), weights_only=True, mmap=mmap)
    assert back["dims"] == written["dims"]
    assert set(back["model_state_dict"]) == set(written["model_state_dict"])
    for name, array in written["model_state_dict"].items():
        tensor = back["model_state_dict"][name]
        expected = to_torch(np.ascontiguousarray(array))
        assert tensor.dtype == expected.dtype and torch.equal(tensor, expected), name


def test_every_record_starts_at_a_multiple_of_64_under_the_archive_name(tmp_path):
    pytorch_file.save(payload(), str(tmp_path / "m.pt"), "soup")
    with zipfile.ZipFile(tmp_path / "m.pt") as archive, open(tmp_path / "m.pt", "rb") as handle:
        for info in archive.infolist():
            assert info.filename.startswith("soup/") and info.compress_type == zipfile.ZIP_STORED
            handle.seek(info.header_offset)
            name_length, extra_length = struct.unpack("<HH", handle.read(30)[26:30])
            assert (info.header_offset + 30 + name_length + extra_length) % 64 == 0, info.filename
        assert archive.read("soup/byteorder") == b"little" and archive.read("soup/version") == b"3\n"


def test_one_payload_always_gives_the_same_file(tmp_path):
    pytorch_file.save(payload(), str(tmp_path / "a.pt"), "m")
    pytorch_file.save(payload(), str(tmp_path / "b.pt"), "m")
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()


def test_a_dtype_pytorch_files_cannot_hold_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="complex64"):
        pytorch_file.save({"x": np.zeros(2, np.complex64)}, str(tmp_path / "m.pt"), "m")


def test_a_file_torch_wrote_is_read_tensor_by_tensor_as_torch_reads_it(tmp_path):
    """Views into one storage (offsets, transposes, shared storage) and bfloat16 come back as torch
    loads them; each `TensorRef` maps only its own bytes."""
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    state = {"base": base, "transposed": base.t(), "row": base[2], "bf16": torch.randn(5).bfloat16(), "long": torch.arange(3)}
    torch.save({"model_state_dict": state}, str(tmp_path / "t.pt"))
    refs = pytorch_file.load(str(tmp_path / "t.pt"))["model_state_dict"]
    with open(tmp_path / "t.pt", "rb") as handle:
        for name, tensor in state.items():
            array = refs[name].read(handle)
            assert array.shape == tuple(tensor.shape) and torch.equal(to_torch(np.ascontiguousarray(array)), tensor), name


def write_evil_pickle(path):
    """A zip-format .pt whose pickle calls os.system to create a file; returns that file's path."""
    marker = path.parent / "ran"
    command = f"touch {marker}".encode()
    evil = b"\x80\x02cos\nsystem\nX" + struct.pack("<I", len(command)) + command + b"\x85R."
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", evil)
        archive.writestr("evil/version", "3\n")
    return marker


def test_a_pickle_naming_anything_else_is_refused_unrun(tmp_path):
    """Only torch's tensor globals and OrderedDict may be named: the pickle below would run a command."""
    marker = write_evil_pickle(tmp_path / "evil.pt")
    with pytest.raises(pytorch_file.Unsupported, match="os.system"):
        pytorch_file.load(str(tmp_path / "evil.pt"))
    assert not marker.exists()


def test_an_evil_pickle_is_a_one_line_error_from_open_checkpoint(tmp_path):
    """sapsoup hands a file its own reader does not handle to torch.load(weights_only=True), which refuses it too."""
    from sapsoup.builder.checkpoints import open_checkpoint

    marker = write_evil_pickle(tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match=r"evil\.pt: cannot load as a PyTorch file \(it pickles os\.system") as error:
        open_checkpoint(str(tmp_path / "evil.pt"))
    assert not marker.exists()
    assert "weights_only" not in str(error.value) and "\n" not in str(error.value)  # never advises unsafe loading
