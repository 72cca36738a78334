"""Writing safetensors tensor by tensor: the library's bytes exactly, hashed on the way, nothing left on error."""

import hashlib

import pytest
import torch
from safetensors.torch import load_file, save_file

from sapsoup.builder.arrays import from_torch
from sapsoup.builder.errors import CheckpointError
from sapsoup.builder.safetensors_writer import StreamingWriter, TensorSpec


def mixed_tensors():
    generator = torch.Generator().manual_seed(0)
    return {
        "model.decoder.embed_tokens.weight": torch.randn(7, 4, generator=generator).half(),
        "model.encoder.embed_positions.weight": torch.randn(5, 4, generator=generator),
        "b.bias": torch.randn(3, generator=generator).to(torch.bfloat16),
        "a.steps": torch.arange(6, dtype=torch.int64).reshape(2, 3),
        "empty": torch.zeros(0, 4),
        "odd": torch.randn(3, generator=generator).half(),
    }


def specs_of(tensors):
    return [TensorSpec(name, from_torch(t).dtype, tuple(t.shape)) for name, t in tensors.items()]


def stream(path, tensors, metadata=None):
    """Write torch `tensors` with the streaming writer (which takes their memory as numpy arrays)."""
    with StreamingWriter(str(path), specs_of(tensors), metadata) as writer:
        for name in writer.names:
            writer.write(name, from_torch(tensors[name]))
        return writer.finish()


def test_the_file_is_byte_for_byte_what_safetensors_writes(tmp_path):
    tensors = mixed_tensors()
    save_file(tensors, str(tmp_path / "library.safetensors"), metadata={"format": "pt"})
    stream(tmp_path / "streamed.safetensors", tensors, {"format": "pt"})
    assert (tmp_path / "streamed.safetensors").read_bytes() == (tmp_path / "library.safetensors").read_bytes()


def test_the_returned_digest_is_the_files_sha256(tmp_path):
    digest = stream(tmp_path / "m.safetensors", mixed_tensors())
    assert digest == hashlib.sha256((tmp_path / "m.safetensors").read_bytes()).hexdigest()


def test_the_library_reads_back_every_tensor(tmp_path):
    tensors = mixed_tensors()
    stream(tmp_path / "m.safetensors", tensors)
    back = load_file(str(tmp_path / "m.safetensors"))
    assert set(back) == set(tensors)
    for name, tensor in tensors.items():
        assert back[name].dtype == tensor.dtype and torch.equal(back[name], tensor), name


def test_a_tensor_out_of_order_is_refused(tmp_path):
    tensors = mixed_tensors()
    with pytest.raises(CheckpointError, match="expected tensor .* next, got"):
        with StreamingWriter(str(tmp_path / "m.safetensors"), specs_of(tensors)) as writer:
            writer.write(writer.names[1], from_torch(tensors[writer.names[1]]))


def test_a_tensor_unlike_its_header_entry_is_refused(tmp_path):
    tensors = mixed_tensors()
    with pytest.raises(CheckpointError, match="the header says"):
        with StreamingWriter(str(tmp_path / "m.safetensors"), specs_of(tensors)) as writer:
            first = writer.names[0]
            writer.write(first, from_torch(tensors[first].double()))


def test_finishing_before_every_tensor_is_written_is_refused(tmp_path):
    tensors = mixed_tensors()
    with pytest.raises(CheckpointError, match="5 tensors were never written"):
        with StreamingWriter(str(tmp_path / "m.safetensors"), specs_of(tensors)) as writer:
            writer.write(writer.names[0], from_torch(tensors[writer.names[0]]))
            writer.finish()


def test_an_error_in_the_caller_stops_the_writer_thread(tmp_path):
    tensors = mixed_tensors()
    with pytest.raises(KeyboardInterrupt):
        with StreamingWriter(str(tmp_path / "m.safetensors"), specs_of(tensors), depth=1) as writer:
            writer.write(writer.names[0], from_torch(tensors[writer.names[0]]))
            raise KeyboardInterrupt
    assert not any(thread.is_alive() for thread, _ in writer._workers)


class FullDisk:
    """A file that accepts no more bytes."""

    def __init__(self, real):
        self.real = real

    def write(self, data):
        raise OSError("disk full")

    def close(self):
        self.real.close()


def test_a_failed_write_is_raised_in_the_callers_thread(tmp_path):
    tensors = mixed_tensors()
    with pytest.raises(CheckpointError, match="could not write: disk full"):
        with StreamingWriter(str(tmp_path / "m.safetensors"), specs_of(tensors), depth=1) as writer:
            writer._handle = FullDisk(writer._handle)
            for name in writer.names:
                writer.write(name, from_torch(tensors[name]))
            writer.finish()
