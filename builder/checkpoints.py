"""Read a Whisper checkpoint in any format sapsoup knows, one tensor at a time.

A user points sapsoup at whatever training left behind: a Hugging Face folder (safetensors, sharded
safetensors, `pytorch_model.bin`), a training run folder full of `checkpoint-N` folders, an
openai-whisper `.pt`, or a CTranslate2 folder. `open_checkpoint` looks at the path, reads only
metadata (names, shapes, dims), and returns a `Checkpoint`; `read_arrays` then opens it and hands out
tensors by canonical name (see `layout.py`) as numpy arrays in their stored dtype (`arrays.py`),
without loading the whole file: safetensors, CTranslate2 and zip-format PyTorch files
(`pytorch_file.py`) are read per tensor, without torch. Only legacy pickles (before PyTorch 1.6)
need torch, loaded with `weights_only=True`. `read_tensors` hands out the same memory as torch
tensors, for code that runs a model.
"""

import json
import os
import re
import struct
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from . import ctranslate2, layout, pytorch_file
from .arrays import dtype_name, from_torch, is_float, map_array, to_torch
from .errors import CheckpointError
from .layout import WhisperShape
from .safetensors_writer import DTYPES_BY_NAME
from .sources import detect_format, hf_weight_files, load_json, step_of


@dataclass
class Checkpoint:
    """Where a checkpoint is and what it holds; no tensor is loaded."""

    path: str
    format: str  # "hf", "openai" or "ctranslate2"
    shape: WhisperShape
    weight_files: List[str]
    step: Optional[int] = None
    config: Dict = field(default_factory=dict)  # the source's own config.json, if any
    tensor_shapes: Dict[str, Tuple[int, ...]] = field(default_factory=dict)  # canonical name -> shape
    stored_dtypes: List[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.path if self.step is None else f"{self.path} (step {self.step})"


def _load_pickle(path: str):
    """A PyTorch file's payload, its tensors as `pytorch_file.TensorRef`s (the zip format of every
    PyTorch since 1.6, read without torch) or numpy arrays (other files, read by torch itself)."""
    try:
        return pytorch_file.load(path)
    except pytorch_file.Unsupported:
        return _as_arrays(_torch_load(path))
    except Exception as error:  # zip, pickle and range errors alike: say which file
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path}: cannot load as a PyTorch file ({message})") from None


def _as_arrays(value):
    """`value` with every torch tensor replaced by a numpy array sharing its memory."""
    import torch

    if torch.is_tensor(value):
        return from_torch(value)
    if isinstance(value, dict):
        return type(value)((key, _as_arrays(item)) for key, item in value.items())
    return value


def _is_tensor(value) -> bool:
    return isinstance(value, (pytorch_file.TensorRef, np.ndarray))


def _tensor(value, handle) -> np.ndarray:
    """A tensor of a loaded pickle as an array: `TensorRef`s map their bytes from `handle`."""
    if not isinstance(value, pytorch_file.TensorRef):
        return value
    try:
        return value.read(handle)
    except OSError as error:
        raise CheckpointError(f"{handle.name}: {error}") from None


def reads_tensor_by_tensor(checkpoint: "Checkpoint") -> bool:
    """Whether `read_arrays` maps each tensor from the file on its own (safetensors, CTranslate2,
    zip-format PyTorch files) rather than holding a whole file (legacy PyTorch pickles)."""
    if checkpoint.format == "ctranslate2":
        return True
    return all(f.endswith(".safetensors") or zipfile.is_zipfile(f) for f in checkpoint.weight_files)


def _torch_load(path: str) -> Dict:
    """Load a PyTorch pickle that `pytorch_file` does not read, with torch, safely."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(2)
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read ({error.strerror or error})") from None
    if head[:1] != b"\x80" and head != b"PK":  # a pickle opens with PROTO (protocol 2 on), a zip with PK
        raise CheckpointError(
            f"{path}: cannot load as a PyTorch file (neither a zip archive nor a pickle; an openai-whisper .pt was expected)"
        )
    import torch

    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as error:
            if "mmap" not in str(error):
                raise
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle, zip and torch errors alike: say which file
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if isinstance(error, KeyError):  # the legacy loader's magic number check: "KeyError: 174812789"
            message = "neither a zip archive nor a legacy PyTorch pickle"
        if "Weights only load failed" in str(error):
            raise CheckpointError(f"{path}: {_unsafe_pickle(str(error))}") from None
        raise CheckpointError(f"{path}: cannot load as a PyTorch file ({message})") from None


def _unsafe_pickle(torch_message: str) -> str:
    """torch's refusal of a pickle, in sapsoup's words. torch's own message advises loading the file
    with `weights_only=False`, which runs whatever code the pickle names: sapsoup never does that,
    and never suggests it."""
    found = re.search(r"GLOBAL ([\w.]+)", torch_message)
    what = f"pickles {found.group(1)}" if found else "pickles objects other than tensors and plain data"
    return (
        f"cannot load as a PyTorch file (it {what}, and loading them could run code; sapsoup loads only "
        "tensors, numbers, strings and dicts)"
    )


# ----------------------------------------------------------------------------- per-format metadata


def _shape_from_hf_config(path: str, config: Dict) -> WhisperShape:
    if config.get("model_type") != "whisper":
        raise CheckpointError(f"{path}: config.json model_type is {config.get('model_type')!r}, not 'whisper'")
    try:
        return WhisperShape.from_hf_config(config)
    except KeyError as error:
        raise CheckpointError(f"{path}: config.json lacks {error.args[0]}") from None


def _canonical_hf_name(name: str) -> str:
    """`WhisperModel` files have no `model.` prefix; `WhisperForConditionalGeneration` files do."""
    if name.startswith(("encoder.", "decoder.")):
        return "model." + name
    return name


def _open_hf(path: str) -> Checkpoint:
    config = load_json(os.path.join(path, "config.json"))
    shape = _shape_from_hf_config(path, config)
    files = hf_weight_files(path)
    shapes: Dict[str, Tuple[int, ...]] = {}
    dtypes = set()
    for file in files:
        for name, (tensor_shape, dtype) in _hf_file_metadata(file).items():
            shapes[_canonical_hf_name(name)] = tensor_shape
            dtypes.add(dtype)
    return Checkpoint(path, "hf", shape, files, step_of(path), config, shapes, sorted(dtypes))


def _hf_file_metadata(file: str) -> Dict[str, Tuple[Tuple[int, ...], str]]:
    if file.endswith(".safetensors"):
        return {name: (entry.shape, dtype_name(entry.dtype)) for name, entry in safetensors_index(file).items()}
    state = _load_pickle(file)
    return {k: (tuple(v.shape), dtype_name(v.dtype)) for k, v in state.items() if _is_tensor(v)}


@dataclass
class SafetensorsEntry:
    dtype: np.dtype
    shape: Tuple[int, ...]
    start: int  # absolute byte offsets in the file
    end: int


def safetensors_index(file: str) -> Dict[str, SafetensorsEntry]:
    """Names, dtypes, shapes and byte ranges of a safetensors file, checked against its size.

    Parsed here rather than with `safetensors.safe_open` so that every byte range is checked against
    the file's size before anything is mapped, and each tensor can be mapped on its own
    (`read_safetensor`). Files are written by `safetensors_writer.py`, byte for byte as the library writes them.
    """
    try:
        size = os.path.getsize(file)
        with open(file, "rb") as handle:
            (header_size,) = struct.unpack("<Q", handle.read(8))
            if header_size > min(size - 8, 100_000_000):
                raise ValueError("header larger than the file")
            header = json.loads(handle.read(header_size))
        base = 8 + header_size
        entries = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            if info["dtype"] not in DTYPES_BY_NAME:
                raise ValueError(f"tensor {name} has dtype {info['dtype']}, which sapsoup does not read")
            dtype = DTYPES_BY_NAME[info["dtype"]]
            shape = tuple(int(d) for d in info["shape"])
            start, end = (base + int(o) for o in info["data_offsets"])
            numel = 1
            for d in shape:
                numel *= d
            if not base <= start <= end <= size or end - start != numel * dtype.itemsize:
                raise ValueError(f"tensor {name} lies outside the file or has the wrong size")
            entries[name] = SafetensorsEntry(dtype, shape, start, end)
        return entries
    except (OSError, ValueError, KeyError, TypeError, struct.error) as error:
        raise CheckpointError(f"{file}: cannot read as safetensors ({error})") from None


def read_safetensor(handle, entry: SafetensorsEntry) -> np.ndarray:
    """One tensor of an open safetensors file, memory-mapped copy-on-write (`arrays.map_array`).
    Mapping was measured 1.4x faster than reading into a reused buffer (benchmarks/RESULTS.md,
    merge engine)."""
    try:
        flat = map_array(handle, entry.start, entry.dtype, (entry.end - entry.start) // entry.dtype.itemsize)
    except OSError as error:
        raise CheckpointError(f"{handle.name}: {error}") from None
    return flat.reshape(entry.shape)


def _open_openai(path: str) -> Checkpoint:
    payload = _load_pickle(path)
    if not isinstance(payload, dict) or "dims" not in payload or "model_state_dict" not in payload:
        raise CheckpointError(f"{path}: not an openai-whisper checkpoint (no 'dims' and 'model_state_dict')")
    try:
        shape = WhisperShape.from_openai_dims(payload["dims"])
    except KeyError as error:
        raise CheckpointError(f"{path}: dims lack {error.args[0]}") from None
    to_hf = {oa: hf for hf, oa in layout.hf_openai_pairs(shape)}
    shapes, dtypes = {}, set()
    for name, tensor in payload["model_state_dict"].items():
        shapes[to_hf.get(name, name)] = tuple(tensor.shape)
        dtypes.add(dtype_name(tensor.dtype))
    return Checkpoint(path, "openai", shape, [path], None, {"dims": payload["dims"]}, shapes, sorted(dtypes))


def _ct2_shape(path: str, index: ctranslate2.CT2Index) -> WhisperShape:
    def var(name):
        if name not in index.variables:
            raise CheckpointError(f"{path}: model.bin lacks {name}; not a Whisper model")
        return index.variables[name]

    def scalar(name):
        return int(ctranslate2.read_variable(index, name).item())

    d, n_mels, _ = var("encoder/conv1/weight").shape
    layers = {
        side: len({n.split("/")[1] for n in index.variables if re.match(rf"{side}/layer_\d+/", n)})
        for side in ("encoder", "decoder")
    }
    return WhisperShape(
        n_mels=n_mels,
        n_vocab=var("decoder/embeddings/weight").shape[0],
        d_model=d,
        encoder_layers=layers["encoder"],
        decoder_layers=layers["decoder"],
        encoder_heads=scalar("encoder/num_heads"),
        decoder_heads=scalar("decoder/num_heads"),
        encoder_ffn=var("encoder/layer_0/ffn/linear_0/weight").shape[0],
        decoder_ffn=var("decoder/layer_0/ffn/linear_0/weight").shape[0],
        n_audio_ctx=var("encoder/position_encodings/encodings").shape[0],
        n_text_ctx=var("decoder/position_encodings/encodings").shape[0],
    )


def _open_ct2(path: str, parts: Optional[Sequence[str]] = None) -> Checkpoint:
    parts = list(parts) if parts else [os.path.join(path, "model.bin")]
    index = ctranslate2.read_index(parts)
    if index.spec_name and index.spec_name != "WhisperSpec":
        raise CheckpointError(f"{parts[0]}: a CTranslate2 {index.spec_name}, not a WhisperSpec")
    shape = _ct2_shape(path, index)
    config_path = os.path.join(path, "config.json")
    config = load_json(config_path) if os.path.exists(config_path) else {}
    shapes = {}
    for name, source in layout.ct2_sources(shape).items():
        if source is None:
            shapes[name] = (shape.n_audio_ctx, shape.d_model)
            continue
        variable, _, n_parts = source
        if variable not in index.variables and variable not in index.aliases:
            continue
        full = index.resolve(variable).shape
        shapes[name] = (full[0] // n_parts,) + tuple(full[1:])
    _check_key_bias_is_zero(parts[0], index, shape)
    dtypes = sorted({dtype_name(v.dtype) for v in index.variables.values() if is_float(v.dtype)})
    return Checkpoint(path, "ctranslate2", shape, parts, step_of(path), config, shapes, dtypes)


def _check_key_bias_is_zero(path: str, index: ctranslate2.CT2Index, shape: WhisperShape) -> None:
    """CTranslate2 fuses a bias for Whisper's key projection, which has none: it must be all zeros,
    or dropping it (as every other format does) would change the model."""
    fused = [(f"encoder/layer_{i}/self_attention/linear_0/bias", 1, 3) for i in range(shape.encoder_layers)]
    fused += [(f"decoder/layer_{i}/self_attention/linear_0/bias", 1, 3) for i in range(shape.decoder_layers)]
    fused += [(f"decoder/layer_{i}/attention/linear_1/bias", 0, 2) for i in range(shape.decoder_layers)]
    for name, part, n_parts in fused:
        if name not in index.variables:
            raise CheckpointError(f"{path}: model.bin lacks {name}; not a Whisper model")
        bias = ctranslate2.read_variable(index, name)
        rows = bias.shape[0] // n_parts
        if bool(bias[part * rows : (part + 1) * rows].any()):
            raise CheckpointError(f"{path}: {name} has a non-zero key bias, which Whisper cannot hold")


def open_checkpoint(path: str, parts: Optional[Sequence[str]] = None) -> Checkpoint:
    """Identify a checkpoint and read its metadata; `parts` lists split CTranslate2 `model.bin` files."""
    path = os.fspath(path)
    kind = "ctranslate2" if parts else detect_format(path)
    if kind == "run":
        raise CheckpointError(f"{path}: a training run folder; name one checkpoint-N folder, or merge the run")
    checkpoint = {"hf": _open_hf, "openai": _open_openai}.get(kind)
    checkpoint = checkpoint(path) if checkpoint else _open_ct2(path, parts)
    check_names(checkpoint)
    return checkpoint


def check_names(checkpoint: Checkpoint) -> None:
    """Every canonical tensor present with its expected shape, and nothing unknown."""
    expected = layout.canonical_shapes(checkpoint.shape)
    have = dict(checkpoint.tensor_shapes)
    tied = have.pop("proj_out.weight", None)
    if tied is not None and checkpoint.config.get("tie_word_embeddings", True) is False:
        raise CheckpointError(
            f"{checkpoint.path}: proj_out.weight is not tied to the token embeddings; sapsoup cannot merge it"
        )
    for name, tensor_shape in expected.items():
        if name not in have:
            raise CheckpointError(f"{checkpoint.path}: tensor {name} is missing")
        if tuple(have[name]) != tuple(tensor_shape):
            raise CheckpointError(
                f"{checkpoint.path}: tensor {name} has shape {tuple(have[name])}, expected {tuple(tensor_shape)}"
            )
    unknown = sorted(set(have) - set(expected))
    if unknown:
        raise CheckpointError(f"{checkpoint.path}: unexpected tensor {unknown[0]} (and {len(unknown) - 1} more)")


def stored_name(checkpoint: Checkpoint, name: str) -> str:
    """What `checkpoint`'s own file calls canonical tensor `name`, for messages: the user searches
    their file for it (`decoder.blocks.1.mlp.2.bias` in an openai-whisper `.pt`)."""
    if checkpoint.format == "openai":
        return dict(layout.hf_openai_pairs(checkpoint.shape)).get(name, name)
    if checkpoint.format == "ctranslate2":
        source = layout.ct2_sources(checkpoint.shape).get(name)
        if source is None:
            return name
        variable, part, n_parts = source
        return variable if n_parts == 1 else f"{variable} (part {part + 1} of {n_parts})"
    return name


# ----------------------------------------------------------------------------- tensor access


@contextmanager
def read_arrays(checkpoint: Checkpoint) -> Iterator[Callable[[str], np.ndarray]]:
    """Open a checkpoint; yield `get(canonical_name) -> array` (stored dtype).

    An array may map the file (copy-on-write): valid while the checkpoint is open, and writing to
    it never changes the file.
    """
    if checkpoint.format == "hf":
        with _hf_reader(checkpoint) as get:
            yield get
    elif checkpoint.format == "openai":
        payload = _load_pickle(checkpoint.path)
        state = payload["model_state_dict"]
        to_openai = dict(layout.hf_openai_pairs(checkpoint.shape))
        with open(checkpoint.path, "rb") as handle:
            yield lambda name: _tensor(state[to_openai[name]], handle)
        del payload, state
    else:
        index = ctranslate2.read_index(checkpoint.weight_files)
        sources = layout.ct2_sources(checkpoint.shape)
        yield lambda name: _ct2_tensor(checkpoint, index, sources[name])


@contextmanager
def read_tensors(checkpoint: Checkpoint):
    """`read_arrays` for code that runs a model: yield `get(canonical_name) -> torch.Tensor`,
    sharing the array's memory."""
    with read_arrays(checkpoint) as get:
        yield lambda name: to_torch(get(name))


def _ct2_tensor(checkpoint, index, source) -> np.ndarray:
    if source is None:
        return layout.sinusoids(checkpoint.shape.n_audio_ctx, checkpoint.shape.d_model)
    variable, part, n_parts = source
    full = ctranslate2.read_variable(index, variable)
    rows = full.shape[0] // n_parts
    return full[part * rows : (part + 1) * rows].copy()


@contextmanager
def _hf_reader(checkpoint: Checkpoint):
    handles, where, states = [], {}, []
    try:
        for file in checkpoint.weight_files:
            if file.endswith(".safetensors"):
                handle = open(file, "rb")
                handles.append(handle)
                for name, entry in safetensors_index(file).items():
                    where[_canonical_hf_name(name)] = (lambda e, h=handle: read_safetensor(h, e), entry)
            else:
                state = _load_pickle(file)
                handle = open(file, "rb")
                handles.append(handle)
                states.append(state)
                for name in state:
                    where[_canonical_hf_name(name)] = (lambda key, s=state, h=handle: _tensor(s[key], h), name)

        def get(name: str) -> np.ndarray:
            reader, key = where[name]
            return reader(key)

        yield get
    finally:
        where.clear()
        states.clear()
        for handle in handles:
            handle.close()
